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

"""FCP devices and dedicated devices of the fake z/VM."""

import os

import fixtures
from oslotest import base as test_base
from smtLayer import getVM
from zvmsdk import volumeop

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import fcp
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system
from nova_zvm.tests.unit.simulator.zvm import base

SPEC = '1a00-1a03;1b00-1b03'
LUN = '0001000000000000'
TARGETS = ['500507680B21BAC6', '500507680B22BAC6']


class _Handle(object):
    """What smtLayer's parsers need of a request handle."""

    def printLn(self, *args):
        pass


def parse_wwpn_query(output, status='all'):
    """System_WWPN_Query's output through smtLayer and zvmsdk's parsers."""
    response = output.split('\n', 1)[1]
    lines = getVM.extract_fcp_data(_Handle(), response, status).split('\n')
    lines = [line for line in lines if line]
    devices = {}
    for i in range(0, len(lines), 6):
        dev = volumeop.FCP(lines[i:i + 6])
        devices[dev.get_dev_no()] = dev.to_tuple()
    return devices


class FakeZVMTestCase(test_base.BaseTestCase):
    """Handlers run directly on a fake z/VM (no connector)."""

    def setUp(self):
        super(FakeZVMTestCase, self).setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.state = zvm_state.ZVMState(os.path.join(tmp, 'zvm'))
        self.zvm = system.FakeZVM(self.state)
        self.zvm.setup(fcp_devices=SPEC)

    def define(self, userid, *lines):
        self.state.put_user(self.state.new_user(
            userid, ['USER %s LBYONLY 1024M 2G G' % userid] + list(lines)))

    def smcli(self, api, *parms):
        rc, out = self.zvm.run(['smcli', api, '--addRCheader'] + list(parms))
        header = out.split('\n', 1)[0].split()
        return rc, (int(header[1]), int(header[2])), out

    def logon(self, userid):
        return self.smcli('Image_Activate', '-T', userid)


class FCPDeviceTest(FakeZVMTestCase):

    def test_wwpn_query_lists_the_devices_as_zvmsdk_parses_them(self):
        rc, codes, out = self.smcli('System_WWPN_Query', '-T', 'ZCCUSER',
                                    '-k OWNER=YES')
        self.assertEqual((0, (0, 0)), (rc, codes))
        devices = parse_wwpn_query(out)
        self.assertEqual(8, len(devices))
        dev = devices['1a00']
        self.assertEqual(('free', 'none'), dev[4:])
        # 16 hex digits each; NPIV WWPNs unique, one physical port and
        # CHPID per path.
        self.assertEqual(16, len(dev[1]))
        self.assertEqual(16, len(dev[2]))
        self.assertEqual(8, len(set(d[1] for d in devices.values())))
        self.assertEqual({'27', '28'}, set(d[3] for d in devices.values()))
        self.assertEqual(devices['1a00'][2], devices['1a03'][2])
        self.assertNotEqual(devices['1a00'][2], devices['1b00'][2])

    def test_dedicated_device_is_active_while_its_guest_is_logged_on(self):
        self.define('G1', 'DEDICATE 1A01 1A01')
        self.logon('G1')
        rc, codes, out = self.smcli('System_WWPN_Query', '-T', 'ZCCUSER')
        self.assertEqual(('1a01', 'active', 'g1'),
                         (lambda d: (d[0], d[4], d[5]))(
                             parse_wwpn_query(out)['1a01']))
        self.assertEqual(['1a01'], list(parse_wwpn_query(out, 'active')))
        self.smcli('Image_Deactivate', '-T', 'G1')
        rc, codes, out = self.smcli('System_WWPN_Query', '-T', 'ZCCUSER')
        self.assertEqual('free', parse_wwpn_query(out)['1a01'][4])

    def test_dedicate_in_directory_and_active_configuration(self):
        self.define('G1')
        self.logon('G1')
        self.assertEqual(0, self.smcli('Image_Device_Dedicate_DM', '-T',
                                       'G1', '-v', '1a00', '-r', '1a00',
                                       '-R', '0')[0])
        self.assertEqual(0, self.smcli('Image_Device_Dedicate', '-T', 'G1',
                                       '-v', '1a00', '-r', '1a00',
                                       '-R', '0')[0])
        record = self.state.user('G1')
        self.assertEqual(['DEDICATE 1A00 1A00'],
                         directory.statements(record, 'DEDICATE'))
        self.assertEqual({'1A00': '1A00'}, record['attached'])
        # The same virtual device twice: DirMaint and CP refuse.
        self.assertEqual((404, 4), self.smcli(
            'Image_Device_Dedicate_DM', '-T', 'G1', '-v', '1A00', '-r',
            '1a01', '-R', '0')[1])
        self.assertEqual((204, 4), self.smcli(
            'Image_Device_Dedicate', '-T', 'G1', '-v', '1a00', '-r',
            '1a01', '-R', '0')[1])
        self.assertEqual(0, self.smcli('Image_Device_Undedicate', '-T', 'G1',
                                       '-v', '1a00')[0])
        self.assertEqual(0, self.smcli('Image_Device_Undedicate_DM', '-T',
                                       'G1', '-v', '1a00')[0])
        record = self.state.user('G1')
        self.assertEqual([], directory.statements(record, 'DEDICATE'))
        self.assertEqual({}, record['attached'])
        # What zvmsdk's detach ignores: already undedicated.
        self.assertEqual((404, 8), self.smcli(
            'Image_Device_Undedicate_DM', '-T', 'G1', '-v', '1a00')[1])
        self.assertEqual((204, 8), self.smcli(
            'Image_Device_Undedicate', '-T', 'G1', '-v', '1a00')[1])

    def test_a_real_device_is_attached_to_one_guest_at_a_time(self):
        self.define('G1', 'DEDICATE 1A02 1A02')
        self.define('G2', 'DEDICATE 1A02 1A02')
        self.logon('G1')
        self.logon('G2')
        # G2 logged on without the device G1 has.
        self.assertEqual({'1A02': '1A02'},
                         self.state.user('G1')['attached'])
        self.assertEqual({}, self.state.user('G2')['attached'])
        self.assertEqual((204, 16), self.smcli(
            'Image_Device_Dedicate', '-T', 'G2', '-v', '1a02', '-r', '1a02',
            '-R', '0')[1])
        # Not a device of this system; a guest that is not logged on.
        self.assertEqual((396, 40), self.smcli(
            'Image_Device_Dedicate', '-T', 'G2', '-v', '2000', '-r', '2000',
            '-R', '0')[1])
        self.define('G3')
        self.assertEqual((200, 12), self.smcli(
            'Image_Device_Dedicate', '-T', 'G3', '-v', '1a03', '-r', '1a03',
            '-R', '0')[1])


class RefreshBootmapTest(FakeZVMTestCase):

    def bootmap(self, *args):
        return self.zvm.run(['/opt/zthin/bin/refresh_bootmap'] + list(args))

    def test_paths_of_each_device(self):
        rc, out = self.bootmap('--fcpchannel=1a00,1b00',
                               '--wwpn=%s' % ','.join(TARGETS),
                               '--lun=%s' % LUN, '--wwid=', '--minfcp=2')
        self.assertEqual(0, rc, out)
        line = [x for x in out.splitlines()
                if x.startswith('RESULT PATHS: ')]
        wwpns = ' '.join(w.lower() for w in TARGETS)
        self.assertEqual(['RESULT PATHS: 1a00:%s,1b00:%s' % (wwpns, wwpns)],
                         line)

    def test_refusals(self):
        many = ','.join('%04x' % n for n in range(0x1a00, 0x1a04)) + ',' + \
            ','.join('%04x' % n for n in range(0x1b00, 0x1b05))
        self.assertEqual(fcp.BOOTMAP_TOO_MANY, self.bootmap(
            '--fcpchannel=%s' % many, '--wwpn=%s' % TARGETS[0],
            '--lun=%s' % LUN)[0])
        self.assertEqual(fcp.BOOTMAP_MISSING, self.bootmap(
            '--fcpchannel=1a00', '--wwpn=%s' % TARGETS[0])[0])
        # A device this system does not have, or one a guest has.
        self.assertEqual(fcp.BOOTMAP_DEDICATE_FAILED, self.bootmap(
            '--fcpchannel=2a00', '--wwpn=%s' % TARGETS[0],
            '--lun=%s' % LUN)[0])
        self.define('G1', 'DEDICATE 1A00 1A00')
        self.logon('G1')
        rc, out = self.bootmap('--fcpchannel=1a00', '--wwpn=%s' % TARGETS[0],
                               '--lun=%s' % LUN)
        self.assertEqual(fcp.BOOTMAP_DEDICATE_FAILED, rc)
        self.assertIn('Exit MSG:', out)


def spool_is_a_stub():
    """Whether spool.py's vmur is still the placeholder (no punch yet)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        zvm = system.FakeZVM(zvm_state.ZVMState(os.path.join(tmp, 'zvm')))
        path = os.path.join(tmp, 'probe.sh')
        with open(path, 'w') as f:
            f.write('#!/bin/bash\n')
        rc, out = zvm.run(['vmur', 'punch', '-r', path])
        return rc != 0 and 'vmur: not available' in out


def connection_info(connector, userid, lun=LUN):
    return {'zvm_fcp': connector['zvm_fcp'], 'target_wwpn': TARGETS,
            'target_lun': lun, 'assigner_id': userid, 'multipath': 'true',
            'os_version': 'rhel8.6', 'mount_point': '/dev/sdz'}


class VolumeConnectorTest(base.ConnectorTestCase):
    """zvmsdk's FCP database over the fake z/VM's devices."""

    def test_templates_reservations_and_bootmap(self):
        answers = self.run_calls(
            ['create_fcp_template', ['tmpl'], {'fcp_devices': SPEC,
                                               'host_default': True}],
            ['get_fcp_templates', []],
            ['guest_create', ['VOL0001', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['get_volume_connector', ['VOL0001', True]],
            fcp_devices=SPEC)
        tmpl = answers[0]['output']['fcp_template']
        self.assertEqual([tmpl['id']], [t['id'] for t in answers[1][
            'output']['fcp_templates'] if t['host_default']])
        conn = answers[3]['output']
        self.assertEqual(tmpl['id'], conn['fcp_template_id'])
        self.assertEqual(2, conn['fcp_paths'])
        self.assertEqual('ZVMHOST1_VOL0001', conn['host'])
        # One device of each path, with the WWPNs z/VM reports.
        self.assertEqual(['1a', '1b'], sorted(f[:2] for f in conn['zvm_fcp']))
        table = fcp.devices(self.zvm_state())
        for dev, wwpn in zip(conn['zvm_fcp'], conn['wwpns']):
            self.assertEqual(table[dev.upper()]['npiv_wwpn'].lower(), wwpn)
            self.assertEqual(table[dev.upper()]['phy_wwpn'].lower(),
                             conn['phy_to_virt_initiators'][wwpn])
        first = conn['zvm_fcp'][0]
        answers = self.run_calls(
            ['get_fcp_usage', [first]],
            ['get_volume_connector', ['VOL0001', True]],
            ['get_volume_connector', ['VOL0001', False, tmpl['id']]],
            ['get_fcp_usage', [first]],
            ['set_fcp_usage', [first, 'VOL0001', 1, 2, tmpl['id']]],
            ['get_fcp_usage', [first]],
            ['volume_refresh_bootmap', [conn['zvm_fcp'], TARGETS, LUN]],
            fcp_devices=SPEC)
        self.assertEqual(['VOL0001', 1, 0, tmpl['id']],
                         answers[0]['output'])
        # Reserved devices are reused, then released.
        self.assertEqual(conn['zvm_fcp'], answers[1]['output']['zvm_fcp'])
        self.assertEqual(0, answers[3]['output'][1])
        self.assertEqual(['VOL0001', 1, 2, tmpl['id']],
                         answers[5]['output'])
        self.assertEqual(sorted(conn['zvm_fcp']),
                         sorted(answers[6]['output']))

    def test_fcp_devices_make_one_host_default_template(self):
        # The operator's setup: get_volume_connector needs a template.
        calls = (['get_fcp_templates_details', [], {'statistics': False}],
                 ['guest_create', ['VOL0004', 1, 1024,
                                   [{'size': '1g', 'is_boot_disk': True}]]],
                 ['get_volume_connector', ['VOL0004', True]])
        answers = self.run_calls(*calls, fcp_devices=SPEC)
        templates = answers[0]['output']['fcp_templates']
        self.assertEqual([True], [t['host_default'] for t in templates])
        # One path per ';'-separated group of --fcp-devices.
        self.assertEqual(2, templates[0]['min_fcp_paths_count'])
        self.assertEqual(2, answers[2]['output']['fcp_paths'])
        self.assertEqual(templates[0]['id'],
                         answers[2]['output']['fcp_template_id'])
        # A restart keeps the one template (and its reservations).
        again = self.run_calls(calls[0], fcp_devices=SPEC)
        self.assertEqual([templates[0]['id']], [
            t['id'] for t in again[0]['output']['fcp_templates']])

    def test_offline_and_foreign_devices_are_not_handed_out(self):
        # Before the connector starts: an operator varies 1a00-1a02
        # offline, a guest zvmsdk does not manage logs on with 1b00-1b02.
        zvm = system.FakeZVM(self.zvm_state())
        zvm.setup(fcp_devices=SPEC)
        fcp.set_online(zvm.state, ['1a00', '1a01', '1a02'], False)
        zvm.state.put_user(zvm.state.new_user('OTHER', [
            'USER OTHER LBYONLY 1G 2G G', 'DEDICATE 1B00 1B00',
            'DEDICATE 1B01 1B01', 'DEDICATE 1B02 1B02']))
        zvm.run(['smcli', 'Image_Activate', '-T', 'OTHER'])
        answers = self.run_calls(
            ['create_fcp_template', ['tmpl'], {'fcp_devices': SPEC,
                                               'host_default': True}],
            ['guest_create', ['VOL0003', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['get_volume_connector', ['VOL0003', True]],
            ['get_fcp_templates_details', [], {'statistics': True}],
            fcp_devices=SPEC)
        self.assertEqual(['1a03', '1b03'],
                         sorted(answers[2]['output']['zvm_fcp']))
        stats = answers[3]['output']['fcp_templates'][0]['statistics']
        self.assertEqual('1A00 - 1A02', stats['0']['offline'])
        # (zvmsdk keeps the owners as it parsed them: lower case)
        self.assertEqual({'1B00': 'other', '1B01': 'other',
                          '1B02': 'other'},
                         stats['1']['unallocated_but_active'])

    def test_attach_to_an_unknown_guest(self):
        answers = self.run_calls(
            ['create_fcp_template', ['tmpl'], {'fcp_devices': SPEC,
                                               'host_default': True}],
            ['volume_attach', [connection_info(
                {'zvm_fcp': ['1a00', '1b00']}, 'NOSUCH')]],
            fcp_devices=SPEC)
        err = answers[1]['error']
        self.assertEqual((404, 30), (err['overallRC'], err['modID']))

    def test_attach_and_detach(self):
        if spool_is_a_stub():
            self.skipTest('the fake z/VM spool does not punch yet')
        answers = self.run_calls(
            ['create_fcp_template', ['tmpl'], {'fcp_devices': SPEC,
                                               'host_default': True}],
            ['guest_create', ['VOL0002', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['guest_start', ['VOL0002']],
            ['get_volume_connector', ['VOL0002', True]],
            fcp_devices=SPEC)
        info = connection_info(answers[3]['output'], 'VOL0002')
        answers = self.run_calls(['volume_attach', [info]],
                                 fcp_devices=SPEC)
        self.assertNotIn('error', answers[0])
        record = self.zvm_state().user('VOL0002')
        devices = sorted(d.upper() for d in info['zvm_fcp'])
        self.assertEqual(['DEDICATE %s %s' % (d, d) for d in devices],
                         sorted(directory.statements(record, 'DEDICATE')))
        self.assertEqual(devices, sorted(record['attached'].values()))
        answers = self.run_calls(['volume_detach', [info]],
                                 fcp_devices=SPEC)
        self.assertNotIn('error', answers[0])
        record = self.zvm_state().user('VOL0002')
        self.assertEqual([], directory.statements(record, 'DEDICATE'))
        self.assertEqual({}, record['attached'])
