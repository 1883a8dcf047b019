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

"""A failed move's destination hands the server back to its source."""

from unittest import mock

import fixtures
from nova.compute import power_state
from nova import exception
from nova import objects

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base as test_migration
from nova_zvm.virt.zvm.migration import move_back
from nova_zvm.virt.zvm import undo as zvm_undo


class MoveBackTestCase(test_migration.MigrationTestBase):

    def setUp(self):
        super(MoveBackTestCase, self).setUp()
        self.instance.host = 'cmp2'
        self.instance.node = 'ZVMHOST2'
        self.instance.power_state = power_state.RUNNING
        self.instance.migration_context = objects.MigrationContext(
            migration_id=42, instance_uuid=self.instance.uuid,
            old_numa_topology=None, new_numa_topology=None,
            old_pci_devices=None, new_pci_devices=None,
            old_pci_requests=None, new_pci_requests=None,
            old_resources=None, new_resources=None)
        self.node = objects.ComputeNode(id=7, hypervisor_hostname='ZVMHOST1')
        self.get_node = self.useFixture(fixtures.MockPatch(
            'nova.objects.ComputeNode.get_by_host_and_nodename',
            return_value=self.node)).mock
        # Where Nova's network API binds the ports, seen when it is called.
        self.bound_to = []
        self.network = self.useFixture(fixtures.MockPatch(
            'nova.network.neutron.API')).mock.return_value
        self.network.migrate_instance_finish.side_effect = (
            lambda ctxt, inst, mig, provider_mappings:
            self.bound_to.append(mig.dest_compute))
        self.report = self.useFixture(fixtures.MockPatch(
            'nova.scheduler.client.report.report_client_singleton')
        ).mock.return_value
        # Dropping the migration context writes the database at once.
        self.drop = self.useFixture(fixtures.MockPatchObject(
            objects.Instance, 'drop_migration_context')).mock
        self.err = exception.NovaException(message='simulated failure')

    def assert_still_on_destination(self):
        self.assertEqual('cmp2', self.instance.host)
        self.assertEqual('ZVMHOST2', self.instance.node)
        self.drop.assert_not_called()

    def test_records_point_at_the_source_again(self):
        result = move_back.to_source(self.ctxt, self.instance,
                                     self.migration, self.err)
        self.assertIsInstance(result, exception.InstanceFaultRollback)
        self.assertIs(self.err, result.inner_exception)
        self.assertEqual(['cmp1'], self.bound_to)
        # The migration record itself still names its destination.
        self.assertEqual('cmp2', self.migration.dest_compute)
        self.report.move_allocations.assert_called_once_with(
            self.ctxt, self.migration.uuid, self.instance.uuid)
        self.get_node.assert_called_once_with(self.ctxt, 'cmp1', 'ZVMHOST1')
        self.assertEqual('cmp1', self.instance.host)
        self.assertEqual('ZVMHOST1', self.instance.node)
        self.assertEqual(7, self.instance.compute_id)
        self.assertEqual(power_state.SHUTDOWN, self.instance.power_state)
        self.drop.assert_called_once_with()

    def test_ports_that_cannot_move_keep_the_original_error(self):
        self.network.migrate_instance_finish.side_effect = (
            exception.PortUpdateFailed(port_id='p1', reason='neutron down'))
        result = move_back.to_source(self.ctxt, self.instance,
                                     self.migration, self.err)
        self.assertIs(self.err, result)
        self.report.move_allocations.assert_not_called()
        self.assert_still_on_destination()

    def test_allocation_that_cannot_move_keeps_the_original_error(self):
        self.report.move_allocations.side_effect = (
            exception.AllocationMoveFailed(
                source_consumer='m', target_consumer='i', error='conflict'))
        result = move_back.to_source(self.ctxt, self.instance,
                                     self.migration, self.err)
        self.assertIs(self.err, result)
        self.assert_still_on_destination()

    def test_unknown_source_node_changes_nothing(self):
        self.get_node.side_effect = exception.ComputeHostNotFound(host='cmp1')
        result = move_back.to_source(self.ctxt, self.instance,
                                     self.migration, self.err)
        self.assertIs(self.err, result)
        self.network.migrate_instance_finish.assert_not_called()
        self.report.move_allocations.assert_not_called()
        self.assert_still_on_destination()

    # -- through finish_migration --------------------------------------------

    def _finish_failing(self, api):
        info = self.migrate(test_migration.make_flavor(
            'big', vcpus=2, memory_mb=4096, root_gb=20))
        self.dst.answers[api] = fakes.connector_error(api, 300, 5,
                                                      errmsg='step broke')
        return info

    def test_failure_rolled_back_on_destination_returns_to_source(self):
        info = self._finish_failing('guest_deploy')
        err = self.assertRaises(exception.InstanceFaultRollback,
                                self.finish, info)
        self.assertIn('step broke', str(err.inner_exception))
        # Nothing left on the destination, then the records moved.
        self.assertTrue(self.dst.made('guest_delete', 'OS000001'))
        self.assertEqual(1, self.dst.count('image_delete'))
        self.assertNotIn('guest_start', self.dst.api_names())
        self.assert_no_files()
        self.assertEqual('cmp1', self.instance.host)
        self.assertEqual(['cmp1'], self.bound_to)

    def test_incomplete_rollback_keeps_the_server_on_destination(self):
        info = self._finish_failing('guest_deploy')
        self.dst.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1, errmsg='SMAPI down')
        err = self.assertRaises(zvm_undo.RollbackIncomplete, self.finish,
                                info)
        self.assertIn('step broke', str(err))
        # The guest left here is named; Nova sets the server to ERROR here.
        self.assertTrue(any('OS000001' in item for item in err.left))
        self.network.migrate_instance_finish.assert_not_called()
        self.report.move_allocations.assert_not_called()
        self.assert_still_on_destination()

    def test_failed_hand_back_raises_the_original_error(self):
        info = self._finish_failing('guest_create')
        self.report.move_allocations.side_effect = (
            exception.AllocationMoveFailed(
                source_consumer='m', target_consumer='i', error='conflict'))
        with mock.patch.object(move_back.LOG, 'error') as log_error:
            err = self.assertRaises(exception.NovaException, self.finish,
                                    info)
        self.assertNotIsInstance(err, exception.InstanceFaultRollback)
        self.assertIn('step broke', str(err))
        self.assertIn('conflict', str(log_error.call_args))
        self.assert_still_on_destination()
