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

"""SSI clusters and Live Guest Relocation of the fake z/VM."""

import os

import fixtures
from oslotest import base as test_base

from nova_zvm.simulator.zvm import cp
from nova_zvm.simulator.zvm import ssi
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system
from nova_zvm.tests.unit.simulator.zvm import base
from nova_zvm.tests.unit.simulator.zvm import test_fcp


def parse_ssi(lines):
    """{'name', 'members': {id: state}} as the driver reads SSI_Query."""
    from nova_zvm.virt.zvm import ssi
    return ssi.parse_ssi(lines)


def error_codes(answer):
    err = answer['error']
    return err['overallRC'], err['modID'], err['rc'], err['rs']


class MembersTestCase(test_base.BaseTestCase):
    """Members of one cluster in this process (handlers run directly)."""

    def setUp(self):
        super(MembersTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.shared = os.path.join(self.tmp, 'ssi', 'shared')

    def member(self, name, fcp_devices=None, vswitches=()):
        st = zvm_state.ZVMState(os.path.join(self.tmp, name, 'zvm'),
                                self.shared, system=name, ssi_name='SSI1',
                                zcc_userid='ZCC' + name[-1])
        zvm = system.FakeZVM(st)
        zvm.setup(fcp_devices=fcp_devices)
        with st.update_system() as info:
            for name in vswitches:
                info['vswitches'][name] = {}
        return zvm

    @staticmethod
    def smcli(zvm, api, *parms):
        rc, out = zvm.run(['smcli', api, '--addRCheader'] + list(parms))
        header = out.split('\n', 1)[0].split()
        return (int(header[1]), int(header[2])), out

    def relocate(self, zvm, userid, action, dest):
        return self.smcli(zvm, 'VMRELOCATE', '-T', userid, '-k',
                          'action=%s' % action, '-k', 'destination=%s' % dest)


class RelocationRulesTest(MembersTestCase):

    def setUp(self):
        super(RelocationRulesTest, self).setUp()
        self.a = self.member('MEMBA', fcp_devices='1a00-1a01',
                             vswitches=['VSW1'])
        self.b = self.member('MEMBB', fcp_devices='1a00', vswitches=[])
        st = self.a.state
        st.put_user(st.new_user('G1', ['USER G1 LBYONLY 1G 2G G']))
        self.assertEqual((0, 0), self.smcli(self.a, 'Image_Activate',
                                            '-T', 'G1')[0])

    def test_ssi_query(self):
        codes, out = self.smcli(self.b, 'SSI_Query')
        info = parse_ssi(out.split('\n')[1:])
        self.assertEqual({'name': 'SSI1', 'members': {
            'MEMBA': 'Joined', 'MEMBB': 'Joined'}}, info)
        ssi.set_member_state(self.a.state, 'MEMBB', ssi.DOWN)
        codes, out = self.smcli(self.a, 'SSI_Query')
        self.assertEqual('Down',
                         parse_ssi(out.split('\n')[1:])['members']['MEMBB'])

    def test_move_then_the_guest_is_on_the_destination(self):
        self.assertEqual((0, 0), self.relocate(self.a, 'G1', 'TEST',
                                               'MEMBB')[0])
        self.assertEqual('MEMBA', self.a.state.user('G1')['logged_on'])
        self.assertEqual((0, 0), self.relocate(self.a, 'G1', 'MOVE',
                                               'MEMBB')[0])
        self.assertEqual('MEMBB', self.a.state.user('G1')['logged_on'])
        # CP on the source sees it on another member; on the destination
        # it is a local user.
        self.assertEqual((0, 'G1       - SSI\n'),
                         cp.query_user_line(self.a, 'G1'))
        self.assertEqual((0, 'G1       - DSC\n'),
                         cp.query_user_line(self.b, 'G1'))
        # Moving again from where it no longer runs: HCP0045E.
        codes, out = self.relocate(self.a, 'G1', 'MOVE', 'MEMBB')
        self.assertEqual((8, 3000), codes)
        self.assertIn('Details: HCP0045E', out)

    def test_destination_must_be_another_joined_member(self):
        for dest, msg in (('MEMBA', 'HCPRLH1941E'), ('NOSUCH', 'HCPRLH1944E')):
            codes, out = self.relocate(self.a, 'G1', 'TEST', dest)
            self.assertEqual((4, 3000), codes)
            self.assertIn('Details: %s' % msg, out)
        ssi.set_member_state(self.a.state, 'MEMBB', ssi.DOWN)
        codes, out = self.relocate(self.a, 'G1', 'MOVE', 'MEMBB')
        self.assertEqual((8, 3000), codes)
        self.assertIn('Details: HCPRLH1944E', out)
        self.assertEqual('MEMBA', self.a.state.user('G1')['logged_on'])

    def test_vswitch_and_dedicated_devices_must_exist_there(self):
        with self.a.state.update_user('G1') as record:
            record['lines'].append('NICDEF 1000 TYPE QDIO LAN SYSTEM VSW1')
        self.assertEqual((0, 0), self.smcli(
            self.a, 'Image_Device_Dedicate', '-T', 'G1', '-v', '1a01', '-r',
            '1a01', '-R', '0')[0])
        codes, out = self.relocate(self.a, 'G1', 'TEST', 'MEMBB')
        self.assertEqual((4, 3000), codes)
        self.assertIn('Details: HCPRLE1951I HCPRLI1996I', out)
        # The destination defines the vswitch; the guest uses device
        # 1a00 instead, which the destination has too.
        with self.b.state.update_system() as info:
            info['vswitches']['VSW1'] = {}
        self.smcli(self.a, 'Image_Device_Undedicate', '-T', 'G1', '-v',
                   '1a01')
        self.smcli(self.a, 'Image_Device_Dedicate', '-T', 'G1', '-v', '1a00',
                   '-r', '1a00', '-R', '0')
        self.assertEqual((0, 0), self.relocate(self.a, 'G1', 'MOVE',
                                               'MEMBB')[0])
        # The device now is the destination's, and free on the source.
        out_b = self.smcli(self.b, 'System_WWPN_Query', '-T', 'ZCCB')[1]
        out_a = self.smcli(self.a, 'System_WWPN_Query', '-T', 'ZCCA')[1]
        self.assertEqual(('active', 'g1'),
                         test_fcp.parse_wwpn_query(out_b)['1a00'][4:])
        self.assertEqual(('free', 'none'),
                         test_fcp.parse_wwpn_query(out_a)['1a00'][4:])

    def test_cp_refuses_a_second_logon_in_the_cluster(self):
        codes, out = self.smcli(self.b, 'Image_Activate', '-T', 'G1')
        self.assertNotEqual((0, 0), codes)
        self.assertEqual('MEMBA', self.b.state.user('G1')['logged_on'])

    def test_nothing_is_ever_in_progress(self):
        self.assertEqual((4, 3001), self.smcli(
            self.a, 'VMRELOCATE_Status', '-T', 'G1', '-k',
            'status_target=ALL')[0])
        codes, out = self.smcli(self.a, 'VMRELOCATE_Modify', '-T', 'G1',
                                '-k', 'max_total=10')
        self.assertEqual((8, 3010), codes)
        self.assertIn('1926', out)
        codes, out = self.smcli(self.a, 'VMRELOCATE', '-T', 'G1', '-k',
                                'action=CANCEL')
        self.assertEqual((8, 3000), codes)
        self.assertIn('1926', out)


class LiveMigrationTest(base.ConnectorTestCase):
    """Two members = two connector processes on one ssi_dir."""

    def setUp(self):
        super(LiveMigrationTest, self).setUp()
        self.ssi_dir = os.path.join(self.state_dir, 'ssi')

    def on(self, member, *calls):
        return base.run_connector(
            os.path.join(self.state_dir, member), calls, ssi_name='SSI1',
            ssi_member=member, ssi_dir=self.ssi_dir,
            zcc_userid='ZCC' + member[-1])

    def shared_user(self, userid):
        st = zvm_state.ZVMState(os.path.join(self.state_dir, 'MEMBA', 'zvm'),
                                os.path.join(self.ssi_dir, 'shared'),
                                system='MEMBA', ssi_name='SSI1')
        return st.user(userid)

    def test_not_an_ssi_member(self):
        self.assertEqual([], self.run_calls(['host_get_ssi_info'])[0][
            'output'])

    def test_relocation_test_and_move(self):
        answers = self.on(
            'MEMBA',
            ['guest_create', ['LGR0001', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['guest_live_migrate', ['LGR0001', 'ZCCB', 'MEMBB', {}, 'test']],
            ['guest_start', ['LGR0001']],
            ['guest_live_migrate', ['LGR0001', 'ZCCB', 'MEMBB', {}, 'test']])
        # A stopped guest: zvmsdk refuses (409); then MEMBB is not a member
        # yet: z/VM refuses.
        self.assertEqual((409, 10, 409, 1), error_codes(answers[1]))
        self.assertEqual((8, 1, 4, 3000), error_codes(answers[3]))
        answers = self.on('MEMBB', ['host_get_ssi_info'])
        self.assertEqual({'MEMBA': 'Joined', 'MEMBB': 'Joined'},
                         parse_ssi(answers[0]['output'])['members'])
        parms = {'maxtotal': 60, 'maxquiesce': 10, 'immediate': 'YES'}
        answers = self.on(
            'MEMBA',
            ['guest_live_migrate', ['LGR0001', '', 'MEMBB', {}, 'test']],
            ['guest_live_migrate', ['LGR0001', '', 'MEMBB', parms, 'move']],
            ['guest_get_power_state', ['LGR0001']],
            ['guest_deregister', ['LGR0001']])
        self.assertEqual([None, None], [a.get('output') for a in answers[:2]])
        record = self.shared_user('LGR0001')
        self.assertEqual('MEMBB', record['logged_on'])
        # The source's connector no longer manages the guest.
        self.assertEqual((404, 10, 404, 1), error_codes(answers[2]))
        answers = self.on(
            'MEMBB',
            ['guest_register', ['LGR0001', 'rhel8.6', '1']],
            ['guest_list'],
            ['guest_get_power_state', ['LGR0001']])
        # Registered (whatever the NIC query answered), running here.
        self.assertIn('LGR0001', answers[1]['output'])
        self.assertEqual('on', answers[2]['output'])

    def test_a_guest_on_one_member_cannot_log_on_on_another(self):
        self.on('MEMBB', ['host_get_ssi_info'])
        self.on('MEMBA',
                ['guest_create', ['LGR0002', 1, 1024,
                                  [{'size': '1g', 'is_boot_disk': True}]]],
                ['guest_start', ['LGR0002']])
        answers = self.on(
            'MEMBB',
            ['guest_register', ['LGR0002', 'rhel8.6', '1']],
            ['guest_get_power_state', ['LGR0002']],
            ['guest_start', ['LGR0002']])
        # MEMBB's connector sees it logged on in the cluster ("on"), finds
        # it on another member (CP's " - SSI") and from then on treats it
        # as migrated away: it does not even try to log it on.
        self.assertEqual('on', answers[1]['output'])
        self.assertEqual((404, 10, 404, 1), error_codes(answers[2]))
        self.assertEqual('MEMBA', self.shared_user('LGR0002')['logged_on'])
        # Logged off on MEMBA, it can log on on MEMBB (one directory)...
        self.on('MEMBA', ['guest_stop', ['LGR0002']])
        answers = self.on(
            'MEMBB',
            ['guest_register', ['LGR0002', 'rhel8.6', '1']],
            ['guest_start', ['LGR0002']],
            ['guest_get_power_state', ['LGR0002']])
        self.assertEqual('on', answers[2]['output'])
        self.assertEqual('MEMBB', self.shared_user('LGR0002')['logged_on'])
        # ... and then not on MEMBA.
        answers = self.on('MEMBA', ['guest_start', ['LGR0002']])
        self.assertIn('error', answers[0])
        self.assertEqual('MEMBB', self.shared_user('LGR0002')['logged_on'])
