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

import json
import os
import subprocess
import sys

from nova_zvm.tests.unit.simulator.model import base

RELOCATE_FAILED = (8, 1, 8, 3000)

# A destination member in its own process: it joins the cluster, says
# "ready", then answers one JSON command per input line.
MEMBER_SCRIPT = r'''
import json, sys
from zvmsdk import exception
from nova_zvm.simulator.model import HypervisorModel
state_dir, ssi_dir = sys.argv[1:3]
model = HypervisorModel(state_dir, zvm_host='ZVMHOST2', ssi_name='SSI1',
                        ssi_dir=ssi_dir)
print('ready', flush=True)
for line in sys.stdin:
    name, args = json.loads(line)
    try:
        result = {'ok': getattr(model, name)(*args)}
    except exception.SDKBaseException as e:
        result = {'error': [e.results['overallRC'], e.results['rc'],
                            e.results['rs']]}
    print(json.dumps(result), flush=True)
model.close()
'''


class SSITestCase(base.ModelTestCase):

    def setUp(self):
        super(SSITestCase, self).setUp()
        self.ssi_dir = os.path.join(self.tmp, 'ssi')
        self.model = self.member('ZVMHOST1')
        self.dest = self.member('ZVMHOST2')

    def member(self, host, **kwargs):
        return self.make_model(os.path.join(self.tmp, host.lower()),
                               zvm_host=host, ssi_name='SSI1',
                               ssi_dir=self.ssi_dir, **kwargs)

    def running_guest(self, userid='LGR1'):
        self.deployed_guest(userid, start=True)
        self.model.vswitch_create('VSW1')
        self.dest.vswitch_create('VSW1')
        self.model.vswitch_grant_user('VSW1', userid)
        self.model.guest_nic_couple_to_vswitch(userid, '1000', 'VSW1',
                                               active=True)
        return self.model.guest_record(userid)

    def test_ssi_info_lists_both_members(self):
        info = self.model.host_get_ssi_info()
        self.assertEqual('ssi_name = SSI1', info[0])
        self.assertIn('member_system_id = ZVMHOST1', info)
        self.assertIn('member_system_id = ZVMHOST2', info)
        self.assertEqual(2, info.count('member_state = Joined'))
        self.dest.close()
        self.assertIn('member_state = Down', self.model.host_get_ssi_info())

    def test_not_an_ssi_member(self):
        plain = self.make_model(os.path.join(self.tmp, 'plain'))
        self.assertEqual([], plain.host_get_ssi_info())
        plain.guest_create('VM1', 1, 1024)
        plain.guest_start('VM1')
        self.assertSDKError(RELOCATE_FAILED, plain.guest_live_migrate,
                            'VM1', 'ZCCUSER', 'ZVMHOST2', {}, 'test')

    def test_another_cluster_name_is_refused(self):
        self.assertRaises(ValueError, self.make_model,
                          os.path.join(self.tmp, 'x'), zvm_host='X',
                          ssi_name='OTHER', ssi_dir=self.ssi_dir)

    def test_move_hands_the_running_guest_over(self):
        before = self.running_guest()
        self.model.guest_live_migrate('LGR1', 'ZCCUSER2', 'zvmhost2',
                                      {'maxtotal': 10}, 'move')
        # Gone from the source: migrated in its database, off its z/VM.
        self.assertEqual([], self.model.guest_list())
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.model.guest_get_power_state, 'LGR1')
        self.assertNotIn('LGR1', self.model.host_get_guest_list())
        self.assertEqual(0, self.model.inventory()['disk_pool']['used'])
        # Running on the destination, with its disks, NICs, drive.
        self.assertEqual('on', self.dest.guest_get_power_state_real('LGR1'))
        self.assertIn('LGR1', self.dest.host_get_guest_list())
        after = self.dest.guest_record('LGR1')
        self.assertEqual(before['disks'], after['disks'])
        self.assertEqual(before['config_drive'], after['config_drive'])
        self.assertEqual(before['nics']['1000']['mac_id'],
                         after['nics']['1000']['mac_id'])
        self.assertEqual('VSW1', after['nics']['1000']['vswitch'])
        self.assertTrue(self.dest._blobs.exists(
            after['disks']['0100']['digest']))
        self.assertEqual(3338, self.dest.inventory()['disk_pool']['used'])
        # Unknown to the destination's connector until registered.
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.dest.guest_get_power_state, 'LGR1')
        self.dest.guest_register('LGR1', 'os_version=rhel8.4', '1',
                                 port_macs={'112233': 'port-1'})
        self.assertEqual('on', self.dest.guest_get_power_state('LGR1'))
        console = self.dest.guest_get_console_output('LGR1')
        self.assertIn('LOGON LGR1', console)
        self.assertIn('relocated from ZVMHOST1 to ZVMHOST2', console)
        self.assertEqual('port-1', self.dest.guests_get_nic_info(
            userid='LGR1')[0]['port'])
        # The source forgets it; its userid stays taken in the cluster.
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.guest_delete,
                            'LGR1')
        self.model.guest_deregister('LGR1')
        self.assertSDKError(base.GUEST_EXISTS, self.model.guest_create,
                            'LGR1', 1, 1024)

    def test_guest_can_come_back(self):
        self.running_guest()
        self.model.guest_live_migrate('LGR1', '', 'ZVMHOST2', {}, 'move')
        self.dest.guest_register('LGR1', 'os_version=rhel8.4', '1')
        self.dest.guest_live_migrate('LGR1', '', 'ZVMHOST1', {}, 'move')
        # The source still had the migrated row: register clears it.
        self.model.guest_register('LGR1', 'os_version=rhel8.4', '1')
        self.assertEqual(['LGR1'], self.model.guest_list())
        self.assertEqual('on', self.model.guest_get_power_state('LGR1'))
        self.assertEqual(3338, self.model.inventory()['disk_pool']['used'])
        self.assertEqual(0, self.dest.inventory()['disk_pool']['used'])

    def test_test_action_only_checks(self):
        self.running_guest()
        self.assertIsNone(self.model.guest_live_migrate(
            'LGR1', '', 'ZVMHOST2', {}, 'test'))
        self.assertEqual(['LGR1'], self.model.guest_list())
        self.assertEqual('off', self.dest.guest_get_power_state_real('LGR1'))

    def test_guest_must_be_running(self):
        self.deployed_guest('LGR1')
        self.assertSDKError((409, 10, 409, 1), self.model.guest_live_migrate,
                            'LGR1', '', 'ZVMHOST2', {}, 'move')

    def test_destination_must_be_a_joined_member(self):
        self.running_guest()
        for dest in ('ZVMHOST9', 'ZVMHOST1'):
            exc = self.assertSDKError(RELOCATE_FAILED,
                                      self.model.guest_live_migrate, 'LGR1',
                                      '', dest, {}, 'move')
            self.assertIn('VMRELOCATE', exc.format_message())
        self.dest.close()
        self.assertSDKError(RELOCATE_FAILED, self.model.guest_live_migrate,
                            'LGR1', '', 'ZVMHOST2', {}, 'test')
        self.assertEqual(['LGR1'], self.model.guest_list())

    def test_destination_needs_the_vswitch(self):
        self.running_guest()
        self.dest.vswitch_delete('VSW1')
        exc = self.assertSDKError(RELOCATE_FAILED,
                                  self.model.guest_live_migrate, 'LGR1', '',
                                  'ZVMHOST2', {}, 'move')
        self.assertIn('VSW1', exc.format_message())

    def test_userids_are_unique_in_the_cluster(self):
        self.model.guest_create('SHARED', 1, 1024)
        self.assertSDKError(base.GUEST_EXISTS, self.dest.guest_create,
                            'SHARED', 1, 1024)
        self.model.guest_delete('SHARED')
        self.dest.guest_create('SHARED', 1, 1024)

    def test_relocation_survives_a_restart_of_the_destination(self):
        self.running_guest()
        self.dest.close()
        self.dest = self.member('ZVMHOST2')
        self.model.guest_live_migrate('LGR1', '', 'ZVMHOST2', {}, 'move')
        again = self.member('ZVMHOST2')
        self.assertEqual('on', again.guest_get_power_state_real('LGR1'))

    def test_unknown_action_does_nothing(self):
        self.running_guest()
        self.assertIsNone(self.model.guest_live_migrate(
            'LGR1', '', 'ZVMHOST2', {}, 'cancel'))
        self.assertEqual(['LGR1'], self.model.guest_list())


class SSIProcessTestCase(base.ModelTestCase):
    """The destination is another process: handover through files."""

    def setUp(self):
        super(SSIProcessTestCase, self).setUp()
        ssi_dir = os.path.join(self.tmp, 'ssi')
        self.model = self.make_model(os.path.join(self.tmp, 'one'),
                                     ssi_name='SSI1', ssi_dir=ssi_dir)
        self.proc = subprocess.Popen(
            [sys.executable, '-c', MEMBER_SCRIPT,
             os.path.join(self.tmp, 'two'), ssi_dir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(self._stop)
        self.assertEqual('ready', self.proc.stdout.readline().strip())

    def _stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)

    def remote(self, name, *args):
        self.proc.stdin.write(json.dumps([name, list(args)]) + '\n')
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def test_move_to_another_process(self):
        record = self.deployed_guest('LGR1', start=True)
        self.assertEqual({'error': [8, 400, 8]},
                         self.remote('guest_create', 'LGR1', 1, 1024))
        self.model.guest_live_migrate('LGR1', '', 'ZVMHOST2', {}, 'move')
        self.assertEqual({'ok': 'on'},
                         self.remote('guest_get_power_state_real', 'LGR1'))
        remote = self.remote('guest_record', 'LGR1')['ok']
        self.assertEqual(record['disks'], remote['disks'])
        self.assertEqual({'ok': None}, self.remote(
            'guest_register', 'LGR1', 'os_version=rhel8.4', '1'))
        self.assertEqual({'ok': ['LGR1']}, self.remote('guest_list'))
        # Once the process has left, relocating to it fails.
        self.remote('guest_live_migrate', 'LGR1', '', 'ZVMHOST1', {},
                    'move')
        self.model.guest_register('LGR1', '', '1')
        self.assertEqual('on', self.model.guest_get_power_state('LGR1'))
        self._stop()
        self.assertSDKError(RELOCATE_FAILED, self.model.guest_live_migrate,
                            'LGR1', '', 'ZVMHOST2', {}, 'test')
