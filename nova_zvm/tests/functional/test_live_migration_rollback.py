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

"""A failed relocation's reason reaches the server's records.

Nova 34 runs the driver's ``live_migration`` in a thread after its
``live_migration`` method (decorated with the instance event and fault
recorders) has returned; its ``_rollback_live_migration`` records neither a
fault nor a failed event. The driver records the connector's reason itself:
an instance fault and a failed ``compute_zvm_relocation`` action event.
"""

from nova import context as nova_context
from nova import objects

from nova_zvm.tests.functional import test_live_migration


class FailedRelocationTestCase(test_live_migration.LiveMigrationTestBase):

    def test_failed_move_records_the_connectors_reason(self):
        server = self.boot(host='compute1')
        # The relocation 'test' (the precheck) passes; the 'move' fails.
        self.admin('compute1').add_fault(
            'guest_live_migrate:sdk_error,skip=1,times=1,overallRC=300,'
            'modID=10,rc=300,rs=1,errmsg=simulated relocation failure')
        self.assertIsNone(self.live_migrate(server))
        self._wait_for_migration_status(server, ['error', 'failed'])
        event = self._wait_for_instance_action_event(
            server, 'live-migration', 'compute_zvm_relocation', 'Error')
        self.assertIn('simulated relocation failure', event['details'])
        faults = objects.InstanceFaultList.get_by_instance_uuids(
            nova_context.get_admin_context(), [server['id']])
        self.assertIn('simulated relocation failure',
                      faults[0].message + (faults[0].details or ''))
        # The server runs on at its source, and can move again.
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertTrue(self.known_to_connector(server, 'compute1'))
        self.assertFalse(self.known_to_connector(server, 'compute2'))
        self.assertIsNone(self.live_migrate(server))
        self._wait_for_migration_status(server, ['completed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self._delete_server(server)
