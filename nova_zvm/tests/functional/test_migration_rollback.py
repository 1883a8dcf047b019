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

"""Moves to another host whose last steps fail, through Nova's API.

A destination failing a step of ``finish_migration``: nothing is left on
the destination, Nova's records (host, flavor, allocations, ports) point at
the source again, the source guest is intact, the server can be run there
and the move retried. A confirm whose source guest_delete fails: the server
runs on the destination and the source guest is deleted later.
"""

from nova.compute import power_state
from nova import context as nova_context

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_migration
from nova_zvm.virt.zvm import leftover_guests

FAULT = ('%s:sdk_error,times=1,overallRC=300,modID=10,rc=300,rs=5,'
         'errmsg=simulated %s failure')


class DestinationFailureTestCase(test_migration.MigrationTestBase):

    COMPUTE_HOSTS = ('compute1', 'compute2')

    def fail_on_destination(self, api_name):
        self.admin('compute2').add_fault(FAULT % (api_name, api_name))

    def assert_back_on_source(self, server, action, reason, flavor):
        """Usable on compute1, the failure recorded, nothing on compute2."""
        event = self._wait_for_instance_action_event(
            server, action, 'compute_finish_resize', 'Error')
        self.assertIn(reason, event.get('details') or '')
        server = self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None})
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(flavor, server['flavor']['original_name'])
        # The source guest was stopped for the move: Nova knows it.
        self.assertEqual(power_state.SHUTDOWN,
                         server['OS-EXT-STS:power_state'])
        self.assertEqual('off', self.guest(server, 'compute1')['power_state'])
        inventory = self.admin('compute2').inventory()
        self.assertEqual({}, inventory['guests'])
        self.assertEqual([], sorted(inventory['images']))
        self.assertEqual(0, inventory['disk_pool']['used'])
        self.assertEqual({self._get_provider_uuid_by_host('compute1')},
                         set(self.placement.get(
                             '/allocations/%s' % server['id']
                         ).body['allocations']))
        migration = [m for m in self.api.get_migrations()
                     if m['instance_uuid'] == server['id']][-1]
        self.assertEqual('error', migration['status'])
        # The placement allocation held by the migration is gone.
        self.assertEqual({}, self.placement.get(
            '/allocations/%s' % migration['uuid']).body['allocations'])
        ports = self.neutron.list_ports(True, device_id=server['id'])
        self.assertTrue(ports['ports'])
        for port in ports['ports']:
            self.assertEqual('compute1', port['binding:host_id'])
        return server

    def test_failed_create_on_destination_returns_to_source(self):
        server = self.boot_on('compute1')
        digest = base.root_digest(self.guest(server, 'compute1'))
        self.fail_on_destination('guest_create')
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self.assert_back_on_source(
            server, 'migrate', 'simulated guest_create failure', 'zvm.small')
        self.assertEqual(digest,
                         base.root_digest(self.guest(server, 'compute1')))
        # A hard reboot runs the source guest again.
        self.api.post_server_action(server['id'],
                                    {'reboot': {'type': 'HARD'}})
        server = self._wait_for_server_parameter(
            server, {'status': 'ACTIVE', 'OS-EXT-STS:task_state': None,
                     'OS-EXT-STS:power_state': power_state.RUNNING})
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        # And the migration can be tried again.
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        server = self.confirm(server)
        moved = self.guest(server, 'compute2')
        self.assertEqual('on', moved['power_state'])
        self.assertEqual(digest, base.root_digest(moved))
        self.assertEqual({}, self.guests('compute1'))
        self._delete_server(server)

    def test_failed_deploy_of_a_stopped_resize_returns_to_source(self):
        server = self._stop_server(self.boot_on('compute1'))
        digest = base.root_digest(self.guest(server, 'compute1'))
        self.fail_on_destination('guest_deploy')
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': self.large}})
        server = self.assert_back_on_source(
            server, 'resize', 'simulated guest_deploy failure', 'zvm.small')
        source = self.guest(server, 'compute1')
        self.assertEqual(1, source['vcpus'])
        self.assertEqual(digest, base.root_digest(source))
        # Stopped as it was, once Nova is told (what its power sync does).
        server = self._stop_server(server)
        self.assertEqual('off', self.guest(server, 'compute1')['power_state'])
        server = self.resize(server, self.large)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        server = self.confirm(server, status='SHUTOFF')
        moved = self.guest(server, 'compute2')
        self.assertEqual(2, moved['vcpus'])
        self.assertEqual(digest, base.root_digest(moved))
        self.assertEqual({}, self.guests('compute1'))
        self._delete_server(server)


class ConfirmFailureTestCase(test_migration.MigrationTestBase):

    COMPUTE_HOSTS = ('compute1', 'compute2')

    def test_source_guest_a_confirm_could_not_delete_is_deleted_later(self):
        server = self.boot_on('compute1')
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.admin('compute1').add_fault(
            'guest_delete:sdk_error,times=1,overallRC=300,modID=10,rc=300,'
            'rs=5,errmsg=simulated delete failure')
        server = self.confirm(server)
        # The server runs on the destination; the source guest is left,
        # recorded for its owner.
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        userid = self.userid(server)
        self.assertIn(userid, self.guests('compute1'))
        self.assertEqual({userid: server['id']},
                         leftover_guests.pending('compute1'))
        # The source host's next periodic resource update deletes it.
        self.computes['compute1'].manager.update_available_resource(
            nova_context.get_admin_context())
        self.assertEqual({}, self.guests('compute1'))
        self.assertEqual({}, leftover_guests.pending('compute1'))
        server = self.api.get_server(server['id'])
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        self._delete_server(server)
