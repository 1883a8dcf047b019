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

"""The undoable guest steps the migration flows share, and failures."""

from nova import exception
from nova import objects
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm.migration import steps as mig_steps
from nova_zvm.virt.zvm import undo as zvm_undo

USERID = base.USERID
make_flavor = base.make_flavor


class FailTestCase(test.NoDBTestCase):

    def setUp(self):
        super(FailTestCase, self).setUp()
        self.client = fakes.FakeClient()
        self.steps = zvm_undo.UndoStack('resize', None, 'here')

    def test_complete_rollback_keeps_the_server(self):
        self.steps.push('start the guest again', self.client.call,
                        'guest_start', USERID)
        err = mig_steps.fail(self.steps, ValueError('broke'), 'Resize')
        self.assertIsInstance(err, exception.InstanceFaultRollback)
        self.assertIn('Resize failed and was rolled back',
                      str(err.inner_exception))
        self.assertIn('broke', str(err.inner_exception))
        self.assertTrue(self.client.made('guest_start', USERID))

    def test_incomplete_rollback_names_what_is_left(self):
        self.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 500, 1, errmsg='SMAPI down')
        self.steps.push('start the guest again', self.client.call,
                        'guest_start', USERID)
        err = mig_steps.fail(self.steps, ValueError('broke'), 'Resize')
        self.assertIsInstance(err, zvm_undo.RollbackIncomplete)
        self.assertIn('start the guest again', str(err))

    def test_where_names_the_host_and_its_z_vm(self):
        migration = objects.Migration(
            source_compute='cmp1', dest_compute='cmp2',
            source_node='ZVMHOST1', dest_node='ZVMHOST2')
        self.assertEqual('compute host cmp1, z/VM ZVMHOST1',
                         mig_steps.where(migration, 'cmp1'))
        self.assertEqual('compute host cmp2, z/VM ZVMHOST2',
                         mig_steps.where(migration, 'cmp2'))


class GuestStepsTestCase(test.NoDBTestCase):

    def setUp(self):
        super(GuestStepsTestCase, self).setUp()
        self.client = fakes.FakeClient(
            guest_create_disks=lambda userid, disk_list: disk_list)
        self.guest_steps = mig_steps.GuestSteps(self.client, None, None)
        self.steps = zvm_undo.UndoStack('resize', None, 'here')

    def test_cpu_and_memory_changes_are_undone(self):
        self.guest_steps.resize_cpu_memory(
            USERID, make_flavor(), make_flavor('b', vcpus=2,
                                               memory_mb=1536), self.steps)
        self.assertTrue(self.client.made('guest_resize_cpus', USERID, 2))
        self.assertTrue(self.client.made('guest_resize_mem', USERID,
                                         '1536m'))
        self.assertTrue(self.steps.rollback())
        self.assertTrue(self.client.made('guest_resize_cpus', USERID, 1))
        self.assertTrue(self.client.made('guest_resize_mem', USERID, '2g'))

    def test_unchanged_cpu_and_memory_ask_nothing(self):
        self.guest_steps.resize_cpu_memory(USERID, make_flavor(),
                                           make_flavor('b', root_gb=20))
        self.assertEqual([], self.client.calls)

    def test_ephemeral_disks_follow_the_root(self):
        self.guest_steps.add_ephemerals(USERID, [
            {'size': 1, 'format': 'ext4'}, {'size': 2, 'format': 'xfs'}])
        self.assertEqual([(USERID, [
            {'size': '1g', 'format': 'ext4', 'vdev': '0101'},
            {'size': '2g', 'format': 'xfs', 'vdev': '0102'}])],
            self.client.args_of('guest_create_disks'))
        self.assertEqual(1, self.client.count('guest_config_minidisks'))
