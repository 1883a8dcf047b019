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

"""What a resize or migration will do, and what is refused before it."""

import fixtures
from nova import exception
from nova import test
from oslo_concurrency import processutils

from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.tests.unit.virt.zvm.migration import test_transfer
from nova_zvm.virt.zvm.migration import plan as mig_plan

make_flavor = base.make_flavor
OTHER_IP = base.OTHER_IP


class HelpersTestCase(test.NoDBTestCase):

    def test_memory_size(self):
        self.assertEqual('2g', mig_plan.memory_size(2048))
        self.assertEqual('1536m', mig_plan.memory_size(1536))
        self.assertEqual('10g', mig_plan.memory_size(10240))
        self.assertIsNone(mig_plan.memory_size(12800))

    def test_ephemeral_vdevs_follow_the_root(self):
        self.assertEqual(['0101', '0102'],
                         [mig_plan.ephemeral_vdev(i) for i in (0, 1)])

    def test_single_ephemeral_follows_a_growing_flavor(self):
        bdi = {'ephemerals': [{'size': 1, 'guest_format': 'xfs'}]}
        now, new = mig_plan.ephemeral_layout(
            make_flavor(ephemeral_gb=1), make_flavor(ephemeral_gb=4), bdi)
        self.assertEqual([{'size': 1, 'format': 'xfs'}], now)
        self.assertEqual([{'size': 4, 'format': 'xfs'}], new)

    def test_new_flavor_ephemeral_without_any_now(self):
        now, new = mig_plan.ephemeral_layout(
            make_flavor(), make_flavor(ephemeral_gb=2), None)
        self.assertEqual([], now)
        self.assertEqual([{'size': 2, 'format': 'ext3'}], new)

    def test_several_ephemerals_keep_their_sizes(self):
        bdi = {'ephemerals': [{'size': 1}, {'size': 2}]}
        now, new = mig_plan.ephemeral_layout(
            make_flavor(ephemeral_gb=3), make_flavor(ephemeral_gb=8), bdi)
        self.assertEqual(now, new)

    def test_user_sized_ephemeral_kept_when_flavor_keeps_its_size(self):
        bdi = {'ephemerals': [{'size': 5}]}
        now, new = mig_plan.ephemeral_layout(
            make_flavor(ephemeral_gb=10), make_flavor(ephemeral_gb=10,
                                                      vcpus=4), bdi)
        self.assertEqual([5], [e['size'] for e in new])


class RefusalTestCase(base.MigrationTestBase):
    """Refused before any connector call; Nova keeps the server."""

    def test_smaller_root_disk(self):
        self.assert_refused(make_flavor('tiny', root_gb=5),
                            'root disk cannot shrink')

    def test_smaller_root_disk_on_same_host(self):
        self.same_host()
        self.assert_refused(make_flavor('tiny', root_gb=5),
                            'root disk cannot shrink')

    def test_smaller_ephemeral_disks(self):
        self.instance.flavor = make_flavor(ephemeral_gb=4)
        self.assert_refused(make_flavor('big', root_gb=20, ephemeral_gb=2),
                            'ephemeral disks cannot shrink',
                            bdi={'ephemerals': [{'size': 4}]})

    def test_boot_from_volume(self):
        bdi = {'block_device_mapping': [{'boot_index': 0,
                                         'mount_device': '/dev/sda',
                                         'connection_info': {}}]}
        self.assert_refused(make_flavor('big', root_gb=20),
                            'booted from a volume', bdi=bdi)

    def test_boot_from_volume_without_image(self):
        self.instance.image_ref = ''
        self.assert_refused(make_flavor('big', root_gb=20),
                            'booted from a volume')

    def test_attached_volumes(self):
        bdi = {'block_device_mapping': [{'boot_index': None,
                                         'mount_device': '/dev/sdb',
                                         'connection_info': {}}]}
        self.assert_refused(make_flavor('big', root_gb=20),
                            'volumes attached', bdi=bdi)

    def test_memory_z_vm_cannot_express(self):
        self.assert_refused(make_flavor('odd', memory_mb=12800),
                            '12800 MB of memory')

    def test_ephemeral_disks_would_be_lost_across_hosts(self):
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.assert_refused(make_flavor('big', root_gb=20, ephemeral_gb=1),
                            'recreate_ephemeral_disks',
                            bdi={'ephemerals': [{'size': 1}]})

    def test_growing_ephemeral_would_be_lost_on_same_host(self):
        self.same_host()
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.assert_refused(make_flavor('big', ephemeral_gb=2),
                            'recreate_ephemeral_disks',
                            bdi={'ephemerals': [{'size': 1}]})

    def test_root_larger_than_any_volume_on_same_host(self):
        self.same_host()
        self.small_volumes(self.src_ops, self.src)
        self.assert_refused(make_flavor('big', root_gb=20),
                            'Root disk of 20 GB (29128 cylinders) does not '
                            'fit on one volume')

    def test_ephemeral_larger_than_any_volume_on_same_host(self):
        self.same_host()
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        self.small_volumes(self.src_ops, self.src)
        self.assert_refused(make_flavor('big', ephemeral_gb=8),
                            'Ephemeral disk 0 of 8 GB')

    def test_no_migration_record(self):
        self.get_migration.side_effect = exception.MigrationNotFound(
            migration_id=42)
        self.assert_refused(make_flavor('big', root_gb=20),
                            'migration record')

    def test_destination_in_this_hosts_ssi_cluster(self):
        # SSI members share the user directory: the guest cannot be
        # defined on the destination while it exists here.
        self.src.answers['host_get_ssi_info'] = [
            'ssi_name = SSI1', 'ssi_mode = Stable', '',
            'member_slot = 1', 'member_system_id = ZVMHOST1',
            'member_state = Joined', '',
            'member_slot = 2', 'member_system_id = ZVMHOST2',
            'member_state = Joined', '']
        err = self.assert_refused(make_flavor('big', root_gb=20),
                                  'SSI cluster SSI1')
        self.assertIn('live migration', str(err.inner_exception))

    def test_destination_outside_this_hosts_ssi_cluster(self):
        self.src.answers['host_get_ssi_info'] = [
            'ssi_name = SSI1', 'member_slot = 1',
            'member_system_id = ZVMHOST1', 'member_state = Joined']
        self.migrate(make_flavor('big', root_gb=20))
        self.assertIn('guest_capture', self.src.api_names())

    def test_destination_unreachable_over_ssh(self):
        self.useFixture(fixtures.MockPatchObject(
            processutils, 'execute',
            side_effect=test_transfer.FakeShell(fail='ssh')))
        self.assert_refused(make_flavor('big', root_gb=20),
                            'cannot be reached over ssh', dest=OTHER_IP)
        self.assert_no_files()
