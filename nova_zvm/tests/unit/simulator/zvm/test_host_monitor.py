# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The host's resources, name lists and monitor data through zvmsdk."""

import os

import fixtures
from oslotest import base as oslo_base

from nova_zvm.simulator.zvm import host
from nova_zvm.simulator.zvm import monitor
from nova_zvm.tests.unit.simulator.zvm import base
from nova_zvm.tests.unit.simulator.zvm import guests


class HostThroughZvmsdkTest(base.ConnectorTestCase):

    def test_host_info_guest_list_and_stats(self):
        answers = self.run_calls(
            ['host_get_info'],
            ['guest_create', ['MON1', 2, 2048, []]],
            ['guest_create', ['MON2', 1, 1024, []]],
            ['guest_start', ['MON1']],
            ['host_get_guest_list'],
            ['host_get_info'],
            ['guest_inspect_stats', [['MON1', 'MON2']]],
            ['guest_inspect_stats', ['MON2']],
            ['guest_get_info', ['MON2']],
            ['guest_delete', ['MON2']],
            disk_pool=None, cpus=8, memory_mb=32768)
        for answer in answers:
            self.assertNotIn('error', answer)
        before, after = answers[0]['output'], answers[5]['output']
        self.assertEqual(8, before['vcpus'])
        self.assertEqual(8, before['vcpus_used'])
        self.assertEqual(32768, before['memory_mb'])
        self.assertEqual('ZCCUSER', before['zcc_userid'])
        self.assertEqual('ZVMHOST1', before['hypervisor_hostname'])
        self.assertEqual(730, before['hypervisor_version'])
        self.assertEqual('8561', before['cpu_info']['cec_model'])
        # MON1 logged on with 2 GB: CP counts its storage in use.
        self.assertEqual(2048, after['memory_mb_used'] -
                         before['memory_mb_used'])
        self.assertEqual(['MON1', 'MON2'], sorted(answers[4]['output']))
        stats = answers[6]['output']
        # Only the logged-on guest has a monitor record.
        self.assertEqual(['MON1'], list(stats))
        self.assertEqual(2, stats['MON1']['guest_cpus'])
        self.assertEqual(64 * 1024 * 1024, stats['MON1']['max_mem_kb'])
        self.assertEqual(1024 * 1024, stats['MON1']['used_mem_kb'])
        self.assertEqual({}, answers[7]['output'])
        # A stopped guest: what its directory entry says.
        self.assertEqual({'power_state': 'off', 'max_mem_kb': 64 * 1024 * 1024,
                          'mem_kb': 0, 'num_cpu': 1, 'cpu_time_us': 0,
                          'online_cpu_num': 0, 'os_distro': '',
                          'kernel_info': ''}, answers[8]['output'])
        lists = self.zvm_state().system_info()['namelists']
        # zvmsdk's name list holds its guests; the deleted one left it.
        members = [m for names in lists.values() for m in names]
        self.assertIn('MON1', members)
        self.assertNotIn('MON2', members)


class HostHandlersTest(oslo_base.BaseTestCase):

    def setUp(self):
        super(HostHandlersTest, self).setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.zvm = guests.fake_zvm(os.path.join(tmp, 'zvm'), cpus=4)

    def test_standby_processors_are_not_used(self):
        with self.zvm.state.update_system() as info:
            info['cpus_standby'] = 2
        rc, out = guests.smcli(self.zvm, 'System_Processor_Query')
        self.assertEqual(0, rc)
        body = out.split('\n', 1)[1]
        lines = body.splitlines()
        self.assertEqual(6, len([line for line in lines if ' IFL ' in line]))
        self.assertEqual(2, len([line for line in lines
                                 if 'STANDBY' in line]))
        self.assertIn('LPAR CPUs Total:      6',
                      host.sysinfo(self.zvm))

    def test_guest_cpus_count_one_address_once(self):
        # ``CPU 1`` and ``COMMAND DEFINE CPU 01`` name the same CPU: the
        # monitor counts what the guest gets at logon, as resize does.
        record = {'lines': ['USER MONCPU', 'CPU 1',
                            'COMMAND DEFINE CPU 01 TYPE IFL',
                            'COMMAND DEFINE CPU 02 TYPE IFL']}
        self.assertEqual(2, monitor.guest_cpus(record))

    def test_name_lists(self):
        nl = ['-T', 'NLTEST']
        self.assertEqual(0, guests.smcli(self.zvm, 'Name_List_Add',
                                         *nl + ['-n', 'A1'])[0])
        self.assertEqual(0, guests.smcli(self.zvm, 'Name_List_Add',
                                         *nl + ['-n', 'A2'])[0])
        rc, out = guests.smcli(self.zvm, 'Name_List_Query', *nl)
        self.assertEqual(['A1', 'A2'], out.splitlines()[1:])
        guests.smcli(self.zvm, 'Name_List_Remove', *nl + ['-n', 'A1'])
        guests.smcli(self.zvm, 'Name_List_Remove', *nl + ['-n', 'A2'])
        # The last name gone, the list is gone.
        rc, out = guests.smcli(self.zvm, 'Name_List_Query', *nl)
        self.assertNotEqual(0, rc)
        self.assertTrue(out.startswith('8 4 16'), out)

    def test_performance_records_parse_with_zvmsdk(self):
        guests.define_guest(self.zvm, 'P1', cpus=3, storage='4G')
        guests.define_guest(self.zvm, 'P2')
        guests.smcli(self.zvm, 'Image_Activate', '-T', 'P1')
        rc, out = guests.smcli(self.zvm, 'Image_Performance_Query',
                               '-T', 'P1 P2', '-c', '2')
        self.assertEqual(0, rc)
        self.assertEqual(1, out.count('Guest name:'))
        self.assertIn('Guest CPUs: "3"', out)
        self.assertIn('Max memory: "%d KB"' % (64 * 1024 * 1024), out)
        self.assertEqual(3, monitor.guest_cpus(self.zvm.state.user('P1')))
