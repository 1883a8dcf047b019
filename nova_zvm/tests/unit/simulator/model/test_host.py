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

from nova_zvm.tests.unit.simulator.model import base

HOST_KEYS = {'zcc_userid', 'zvm_host', 'vcpus', 'vcpus_used', 'cpu_info',
             'memory_mb', 'memory_mb_used', 'hypervisor_type',
             'hypervisor_version', 'hypervisor_hostname', 'ipl_time',
             'disk_total', 'disk_used', 'disk_available'}


class HostInfoTestCase(base.ModelTestCase):

    model_options = {'zvm_host': 'zvmlpar1', 'zcc_userid': 'zcc01',
                     'cpus': 4, 'memory_mb': 16384}

    def test_keys_and_fixed_values(self):
        info = self.model.host_get_info()
        self.assertEqual(HOST_KEYS, set(info))
        self.assertEqual('ZVMLPAR1', info['zvm_host'])
        self.assertEqual('ZVMLPAR1', info['hypervisor_hostname'])
        self.assertEqual('ZCC01', info['zcc_userid'])
        self.assertEqual('zvm', info['hypervisor_type'])
        self.assertEqual(730, info['hypervisor_version'])
        self.assertEqual({'architecture': 's390x', 'cec_model': '3931'},
                         info['cpu_info'])
        self.assertEqual((4, 16384.0), (info['vcpus'], info['memory_mb']))
        self.assertTrue(info['ipl_time'].startswith('IPL at '))
        self.assertEqual((206, 0, 206), (info['disk_total'],
                                         info['disk_used'],
                                         info['disk_available']))

    def test_usage_follows_logged_on_guests(self):
        self.create_guest('VM1', vcpus=2, memory=4096)
        self.create_guest('VM2', vcpus=3, memory=2048, root='1g')
        info = self.model.host_get_info()
        self.assertEqual((0, 0.0), (info['vcpus_used'],
                                    info['memory_mb_used']))
        self.assertEqual(3, info['disk_used'])
        self.model.guest_start('VM1')
        self.model.guest_start('VM2')
        info = self.model.host_get_info()
        # Capped at the LPAR's CPUs.
        self.assertEqual((4, 6144.0), (info['vcpus_used'],
                                       info['memory_mb_used']))
        self.model.guest_stop('VM2')
        info = self.model.host_get_info()
        self.assertEqual((2, 4096.0), (info['vcpus_used'],
                                       info['memory_mb_used']))

    def test_ipl_time_survives_a_restart(self):
        first = self.model.host_get_info()['ipl_time']
        self.assertEqual(first, self.make_model().host_get_info()['ipl_time'])

    def test_guest_list_of_the_hypervisor(self):
        self.create_guest('VM1')
        self.create_guest('VM2')
        self.model.guest_deregister('VM2')
        self.assertEqual(['VM1'], self.model.guest_list())
        self.assertEqual(['MAINT', 'OPERATOR', 'VM1', 'VM2', 'ZCC01'],
                         self.model.host_get_guest_list())
        self.model.vanish_guest('VM1')
        self.assertNotIn('VM1', self.model.host_get_guest_list())
