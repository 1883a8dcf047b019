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

"""The driver's migration entry points: finish, confirm, revert, clean-up."""

from unittest import mock

from nova.compute import task_states
from nova import exception

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm.migration import ops as migration_ops
from nova_zvm.virt.zvm import unsupported

USERID = base.USERID
MIG_IMAGE = base.MIG_IMAGE
THIS_IP = base.THIS_IP
make_flavor = base.make_flavor
# The connector calls that would change the source guest.
CHANGES = ('guest_resize_cpus', 'guest_resize_mem', 'guest_delete_disks',
           'guest_create_disks', 'guest_deploy', 'guest_delete')


class SameHostTestCase(base.MigrationTestBase):

    def setUp(self):
        super(SameHostTestCase, self).setUp()
        self.same_host()

    def test_finish_starts_only_when_asked(self):
        info = self.migrate(make_flavor('medium', vcpus=2))
        self.dst = self.src
        self.dst_ops = self.src_ops
        self.src.calls = []
        self.finish(info, power_on=False)
        self.assertEqual([], self.src.calls)
        self.finish(info)
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assertEqual(1, self.src.count())

    def test_confirm_deletes_the_kept_root_disk_image(self):
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertTrue(self.src.made('image_delete', MIG_IMAGE))
        # Same host: the one guest stays.
        self.assertNotIn('guest_delete', self.src.api_names())

    def test_confirm_survives_an_image_delete_failure(self):
        self.src.answers['image_delete'] = fakes.connector_error(
            'image_delete', 300, 1, modid=40)
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertTrue(self.src.made('image_delete', MIG_IMAGE))
        self.assertNotIn('guest_delete', self.src.api_names())
        self.assertIn('Could not delete migration image %s' % MIG_IMAGE,
                      self.stdlog.logger.output)

    def test_destroy_keeps_the_guest_of_a_same_host_revert(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.assertTrue(self.src_ops.keeps_guest_on_destroy(self.ctxt,
                                                            self.instance))
        self.assertEqual([], self.src.calls)


class MoveTestCase(base.MigrationTestBase):
    """Confirm and revert of a move to another host."""

    def assert_source_unchanged(self):
        for api in CHANGES:
            self.assertNotIn(api, self.src.api_names())

    def test_confirm_deletes_the_source_guest(self):
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertEqual([(USERID,)], self.src.args_of('guest_delete'))

    def test_confirm_of_a_vanished_source_guest(self):
        # rs 3: gone from the z/VM directory (rs 1 would be a guest the
        # connector does not know, which is registered and deleted).
        self.src.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', USERID, rs=3)
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        # A guest already gone counts as deleted: no error, no leftover.
        self.assertEqual([(USERID,)], self.src.args_of('guest_delete'))
        self.assertNotIn('could not delete the stopped source guest',
                         self.stdlog.logger.output)

    def test_confirm_never_fails_for_the_source_guest(self):
        # The server runs on the destination: the source's guest_delete
        # error is logged, the stopped source guest left for clean-up.
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1, errmsg='SMAPI down')
        with mock.patch.object(migration_ops.LOG, 'error') as log_error:
            self.src_ops.confirm_migration(self.ctxt, self.migration,
                                           self.instance, self.vifs)
        self.assertIn('SMAPI down', str(log_error.call_args))
        self.assertIn(USERID, str(log_error.call_args))

    def test_revert_starts_the_untouched_source_guest(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, None, True)
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assert_source_unchanged()

    def test_revert_of_a_stopped_server_keeps_it_stopped(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, None, False)
        self.assertNotIn('guest_start', self.src.api_names())
        self.assert_source_unchanged()

    def test_revert_without_the_source_guest_fails(self):
        self.src.answers['guest_get_power_state'] = fakes.guest_not_found(
            'guest_get_power_state', USERID)
        self.assertRaises(exception.InstanceNotFound,
                          self.src_ops.finish_revert_migration, self.ctxt,
                          self.instance, self.vifs, self.migration, None,
                          True)

    def test_destroy_on_destination_deletes_the_guest(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.assertFalse(self.dst_ops.keeps_guest_on_destroy(self.ctxt,
                                                             self.instance))

    def test_destroy_outside_a_revert_asks_no_database(self):
        self.assertFalse(self.dst_ops.keeps_guest_on_destroy(self.ctxt,
                                                             self.instance))
        self.get_migration.assert_not_called()

    def test_destroy_during_a_revert_without_migration_keeps_the_guest(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.get_migration.side_effect = exception.MigrationNotFound(
            migration_id=42)
        self.assertRaises(exception.NovaException,
                          self.dst_ops.keeps_guest_on_destroy, self.ctxt,
                          self.instance)

    def test_delete_instance_files_removes_a_leftover_guest(self):
        self.assertTrue(self.src_ops.delete_instance_files(self.instance))
        self.assertEqual([(USERID,)], self.src.args_of('guest_delete'))
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1)
        self.assertFalse(self.src_ops.delete_instance_files(self.instance))


class DriverMigrationTestCase(base.MigrationTestBase):
    """The driver's entry points, with their exception boundary."""

    def setUp(self):
        super(DriverMigrationTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.driver = driver.ZVMDriver(self.virtapi, client=self.src)

    def test_resize_and_migration_are_supported(self):
        for name in ('migrate_disk_and_power_off', 'finish_migration',
                     'confirm_migration', 'finish_revert_migration'):
            self.assertNotIn(name, unsupported.UNSUPPORTED)
            self.assertIn(name, driver.ZVMDriver.__dict__)
        self.assertTrue(
            driver.ZVMDriver.capabilities['supports_migrate_to_same_host'])

    def test_refusal_reaches_nova_as_a_rollback(self):
        self.assertRaises(exception.InstanceFaultRollback,
                          self.driver.migrate_disk_and_power_off, self.ctxt,
                          self.instance, THIS_IP, make_flavor('t', root_gb=1),
                          self.vifs)

    def test_whole_move_through_the_driver(self):
        dest = driver.ZVMDriver(self.virtapi, client=self.dst)
        info = self.driver.migrate_disk_and_power_off(
            self.ctxt, self.instance, THIS_IP, make_flavor('big', root_gb=20),
            self.vifs, None, 0, 0)
        dest.finish_migration(self.ctxt, self.migration, self.instance,
                              info, self.vifs, None, True, {}, None, True)
        self.instance.task_state = task_states.RESIZE_REVERTING
        dest.destroy(self.ctxt, self.instance, self.vifs)
        # The destination guest goes, and the FCP devices the connector
        # holds for it are looked up.
        self.assertTrue(self.dst.made('guest_delete', USERID))
        self.assertTrue(self.dst.made('get_fcp_templates',
                                      assigner_id=USERID))
        self.src.answers['guest_get_power_state'] = 'off'
        self.driver.finish_revert_migration(self.ctxt, self.instance,
                                            self.vifs, self.migration)
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assertNotIn('guest_delete', self.src.api_names())
        self.assert_no_files()

    def test_guest_found_on_the_destination_survives_deletion(self):
        dest = driver.ZVMDriver(self.virtapi, client=self.dst)
        info = self.driver.migrate_disk_and_power_off(
            self.ctxt, self.instance, THIS_IP, make_flavor('big', root_gb=20),
            self.vifs, None, 0, 0)
        self.dst.answers['guest_create'] = fakes.connector_error(
            'guest_create', 409, 1)
        self.assertRaises(exception.InstanceExists, dest.finish_migration,
                          self.ctxt, self.migration, self.instance, info,
                          self.vifs, None, True, {}, None, True)
        # The server is deleted while in ERROR on the destination.
        self.instance.task_state = task_states.DELETING
        dest.destroy(self.ctxt, self.instance, self.vifs)
        self.assertNotIn('guest_delete', self.dst.api_names())
        self.assert_no_files()

    def test_same_host_revert_destroy_keeps_the_guest(self):
        self.same_host()
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.driver.destroy(self.ctxt, self.instance, self.vifs)
        self.assertNotIn('guest_delete', self.src.api_names())

    def test_delete_instance_files(self):
        self.assertTrue(self.driver.delete_instance_files(self.instance))
        self.assertEqual([(USERID,)], self.src.args_of('guest_delete'))
        # No migration image is kept for the instance: none to delete.
        self.assertNotIn('image_delete', self.src.api_names())
