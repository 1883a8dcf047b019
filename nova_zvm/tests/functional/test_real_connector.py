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

"""Servers on zvmsdk's real connector code (the simulator's zvmsdk backend).

What only the real connector shows: the config drive must be the reader
file cfgdrive.iso, reached by scp from the compute host; guest_create's
"not found" is a missing directory profile; a stopped guest has no
console spool.
"""

import base64

from nova_zvm.tests.functional import base


class RealConnectorTestCase(base.ZVMFunctionalTestCase):

    SIMULATOR_OPTIONS = {'backend': 'zvmsdk'}

    def test_guest_configures_itself_from_cfgdrive_iso(self):
        server = self.boot(name='cfg-real')
        guest = self.guest(server)
        # zvmguestconfigure read the reader file named cfgdrive.iso: the
        # driver's file reached z/VM's spool under that name (by scp from
        # this host, the default) and the guest saw its own server.
        seen = guest['config_drive']
        self.assertIsNotNone(seen, guest)
        self.assertEqual(server['id'], seen['uuid'])
        self.assertEqual('cfg-real', seen['name'])
        self.assertEqual(0, self.admin().counters()['statuses'].get('500', 0))
        self._delete_server(server)

    def test_config_drive_built_without_mkisofs(self):
        # The driver writes the ISO9660 image itself: no mkisofs_cmd runs
        # (here there is none), and the guest reads it as genisoimage's.
        self.flags(mkisofs_cmd='/nonexistent/genisoimage')
        user_data = base64.b64encode(b'#cloud-config\n').decode()
        server = self.boot(name='cfg-inproc', user_data=user_data)
        self.assertEqual('ACTIVE', server['status'])
        seen = self.guest(server)['config_drive']
        self.assertEqual('config-2', seen['label'])
        self.assertEqual('rock_ridge', seen['names'])
        self.assertEqual(server['id'], seen['uuid'])
        self.assertEqual('cfg-inproc', seen['name'])
        self.assertTrue(seen['user_data'])
        self.assertTrue(seen['addresses'])
        self._delete_server(server)

    def test_two_nics_in_one_call(self):
        server = self.boot(networks=self.two_networks())
        self.assertEqual(2, len(self.guest(server)['nics']))
        self.assertEqual(1, self.admin().counters()['api_calls'][
            'guest_create_network_interface'])
        self._delete_server(server)

    def test_flavor_swap_becomes_a_swap_minidisk(self):
        flavor = self._create_flavor(memory_mb=1024, vcpu=1, disk=1,
                                     ephemeral=0, swap=256)
        server = self.boot(flavor_id=flavor, name='swap-real')
        disks = self.guest(server)['disks']
        self.assertEqual(['0100', '0101'], sorted(disks))
        # The connector made a swap space on it (mkswap).
        self.assertEqual('swap', disks['0101']['format'])
        self._delete_server(server)

    def test_unknown_user_profile_is_named(self):
        # z/VM has no directory profile NOSUCH: guest_create answers
        # 404/10/404/1, which must never read as "instance deleted".
        self.flags(user_profile='NOSUCH', group='zvm')
        server = self.boot(name='no-profile', expected='ERROR')
        fault = server['fault']['message']
        self.assertIn('user_profile', fault)
        self.assertIn('NOSUCH', fault)
        self.assertEqual({}, self.admin().inventory()['guests'])

    def _console(self, server):
        return self.api.post_server_action(
            server['id'], {'os-getConsoleOutput': {}})['output']

    def test_console_of_a_stopped_server(self):
        server = self.boot(name='console-real')
        running = self._console(server)
        self.assertTrue(running)
        server = self._stop_server(server)
        self.assertEqual('off', self.guest(server)['power_state'])
        # Image_Console_Get fails for a stopped guest (8/1/8/8): the log
        # read last, never an error.
        self.assertEqual(running, self._console(server))
        self._delete_server(server)
