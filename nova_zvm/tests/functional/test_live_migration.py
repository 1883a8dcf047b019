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

"""Live migration (z/VM Live Guest Relocation) through Nova's API.

Two compute hosts whose simulators are members of one SSI cluster (they
share a cluster folder, as SSI members share DASD): the running guest moves
to the other member and the connectors' records follow it.
"""

import os

import fixtures
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client as api_client

from nova_zvm.tests.functional import base

VOLUME = nova_fixtures.CinderFixture.SWAP_OLD_VOL


class LiveMigrationTestBase(base.ZVMFunctionalTestCase):

    COMPUTE_HOSTS = ('compute1', 'compute2')
    # Nova's live migration runs in a thread of the source compute and
    # reports back by casts; they must stay asynchronous.
    CAST_AS_CALL = False
    SSI_NAMES = {'compute1': 'SSI1', 'compute2': 'SSI1'}

    def setUp(self):
        self.ssi_dirs = {}
        super(LiveMigrationTestBase, self).setUp()

    def start_simulator(self, host, **options):
        name = self.SSI_NAMES[host]
        if name not in self.ssi_dirs:
            self.ssi_dirs[name] = self.useFixture(fixtures.TempDir()).path
        options.setdefault('ssi_name', name)
        options.setdefault('ssi_dir', self.ssi_dirs[name])
        options.setdefault('fcp_devices', '1a00-1a07')
        return super(LiveMigrationTestBase, self).start_simulator(
            host, **options)

    def live_migrate(self, server, host='compute2', block_migration=False):
        try:
            self.api.post_server_action(server['id'], {'os-migrateLive': {
                'host': host, 'block_migration': block_migration}})
        except api_client.OpenStackApiException as err:
            return err
        return None

    def known_to_connector(self, server, host):
        result = self.connector(host).call('guest_get_power_state',
                                           self.userid(server))
        return result['overallRC'] == 0


class LiveMigrationTestCase(LiveMigrationTestBase):

    def test_live_migrate_inside_the_ssi(self):
        server = self.boot(host='compute1')
        digest = base.root_digest(self.guest(server, 'compute1'))
        self.assertIsNone(self.live_migrate(server))
        self._wait_for_migration_status(server, ['completed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        userid = self.userid(server)
        moved = self.guest(server, 'compute2')
        # Logged on to the destination member, its disk unchanged.
        self.assertEqual('on', moved['power_state'])
        self.assertEqual('COMPUTE2', moved['location'])
        self.assertEqual(digest, base.root_digest(moved))
        self.assertEqual(1, len(moved['nics']))
        # The connectors' records followed the guest.
        self.assertTrue(moved['in_connector'])
        self.assertTrue(self.known_to_connector(server, 'compute2'))
        self.assertFalse(self.known_to_connector(server, 'compute1'))
        source = self.admin('compute1').inventory()
        self.assertNotIn(userid, source['guests'])
        # One directory entry, shared by the members.
        self.assertEqual({userid: 'COMPUTE2'}, source['directory'])
        self.assertEqual(source['directory'],
                         self.admin('compute2').inventory()['directory'])
        # The server lives on at its new host.
        self._reboot_server(server, hard=True)
        self._delete_server(server)

    def test_live_migrate_with_a_volume(self):
        server = self.boot(host='compute1')
        self.api.post_server_volume(
            server['id'], {'volumeAttachment': {'volumeId': VOLUME}})
        self._wait_for_volume_attach(server['id'], VOLUME)
        self.assertIsNone(self.live_migrate(server))
        self._wait_for_migration_status(server, ['completed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        volumes = self.guest(server, 'compute2')['volumes']
        self.assertEqual(1, len(volumes))
        self.api.delete_server_volume(server['id'], VOLUME)
        self._wait_for_volume_detach(server['id'], VOLUME)
        self.assertEqual([], self.guest(server, 'compute2')['volumes'])
        self._delete_server(server)

    def test_cold_migration_between_ssi_members_is_refused(self):
        # SSI members share one user directory: the guest cannot be
        # defined on the other member while it exists here.
        server = self.boot(host='compute1')
        self.api.post_server_action(server['id'], {'migrate': None})
        event = self._wait_for_instance_action_event(
            server, 'migrate', 'compute_resize_instance', 'Error')
        self.assertIn('live migration', '\n'.join(
            [event.get('details') or '', event.get('traceback') or '']))
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self._delete_server(server)

    def test_failed_move_rolls_back(self):
        server = self.boot(host='compute1')
        # The relocation 'test' (the precheck) passes; the 'move' fails.
        self.admin('compute1').add_fault(
            'guest_live_migrate:sdk_error,skip=1,times=1,overallRC=300,'
            'modID=10,rc=300,rs=1,errmsg=simulated relocation failure')
        self.assertIsNone(self.live_migrate(server))
        self._wait_for_migration_status(server, ['error', 'failed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertTrue(self.known_to_connector(server, 'compute1'))
        self.assertEqual({}, self.admin('compute2').inventory()['guests'])
        # The connector's reason is recorded with the server's actions.
        event = self._wait_for_instance_action_event(
            server, 'live-migration', 'compute_zvm_relocation', 'Error')
        self.assertIn('simulated relocation failure', event['details'])
        self._delete_server(server)

    def test_guest_stopped_behind_novas_back_is_refused(self):
        server = self.boot(host='compute1')
        self.admin('compute1').power_off(self.userid(server))
        self.live_migrate(server)
        self._wait_for_migration_status(server, ['error'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual({}, self.admin('compute2').inventory()['guests'])
        self._delete_server(server)

    def test_block_migration_is_refused(self):
        server = self.boot(host='compute1')
        self.live_migrate(server, block_migration=True)
        self._wait_for_migration_status(server, ['error'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertEqual({}, self.admin('compute2').inventory()['guests'])
        self._delete_server(server)


class AcrossSSITestCase(LiveMigrationTestBase):

    SSI_NAMES = {'compute1': 'SSI1', 'compute2': 'SSI2'}

    def test_live_migration_across_ssi_clusters_is_refused(self):
        server = self.boot(host='compute1')
        self.live_migrate(server)
        self._wait_for_migration_status(server, ['error'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertEqual({}, self.admin('compute2').inventory()['guests'])
        self.assertTrue(os.path.isdir(self.ssi_dirs['SSI2']))
        self._delete_server(server)


class SlowRelocationTestCase(LiveMigrationTestBase):
    """A relocation that outlives the driver's read timeout."""

    def _setup_services(self):
        super(SlowRelocationTestCase, self)._setup_services()
        # Read by each compute's client when it starts.
        self.flags(long_read_timeout=3, group='zvm')

    def test_relocation_longer_than_the_read_timeout_completes(self):
        server = self.boot(host='compute1')
        # VMRELOCATE runs 6 s: the driver's read times out after 3 s while
        # z/VM goes on; the driver asks z/VM until the guest has moved.
        self.admin('compute1').add_fault(
            'guest_live_migrate:hang,skip=1,times=1,seconds=6')
        self.assertIsNone(self.live_migrate(server))
        # Nova's helper waits 5 s; the relocation takes longer.
        for _attempt in range(4):
            try:
                self._wait_for_migration_status(server, ['completed'])
                break
            except AssertionError:
                continue
        self._wait_for_migration_status(server, ['completed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        self.assertTrue(self.known_to_connector(server, 'compute2'))
        self._delete_server(server)
        for host in ('compute1', 'compute2'):
            self.assertEqual({}, self.admin(host).inventory()['guests'])
