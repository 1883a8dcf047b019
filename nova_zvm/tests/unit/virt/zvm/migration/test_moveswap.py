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

"""The flavor's swap disk on resize and cold migration (moveswap)."""

from nova import exception
from nova import test
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm.migration import moveswap

USERID = base.USERID
make_flavor = base.make_flavor


def swap_bdi(size_mb, ephemerals=()):
    return {'swap': {'device_name': '/dev/sdb', 'swap_size': size_mb},
            'ephemerals': list(ephemerals)}


class LayoutTestCase(test.NoDBTestCase):

    def test_vdev_follows_the_ephemeral_disks(self):
        self.assertEqual('0101', moveswap.vdev(0))
        self.assertEqual('0103', moveswap.vdev(2))

    def test_new_flavor_swap_when_the_flavors_differ(self):
        self.assertEqual((256, 512), moveswap.layout(
            make_flavor(swap=256), make_flavor('b', swap=512),
            swap_bdi(256)))
        self.assertEqual((256, 0), moveswap.layout(
            make_flavor(swap=256), make_flavor('b', swap=0), swap_bdi(256)))
        self.assertEqual((0, 128), moveswap.layout(
            make_flavor(), make_flavor('b', swap=128), None))

    def test_size_kept_when_the_flavors_agree(self):
        # Nova keeps a swap mapping the user sized when the swap of the
        # flavors is the same.
        self.assertEqual((64, 64), moveswap.layout(
            make_flavor(swap=256), make_flavor('b', swap=256, vcpus=2),
            swap_bdi(64)))

    def test_moves(self):
        self.assertFalse(moveswap.SwapDisks.moves(0, 0, 0, 1))
        self.assertFalse(moveswap.SwapDisks.moves(256, 256, 1, 1))
        self.assertTrue(moveswap.SwapDisks.moves(256, 512, 0, 0))
        self.assertTrue(moveswap.SwapDisks.moves(0, 512, 0, 0))
        # Its vdev changes when an ephemeral disk comes before it.
        self.assertTrue(moveswap.SwapDisks.moves(256, 256, 0, 1))


class SameHostSwapTestCase(base.MigrationTestBase):

    def setUp(self):
        super(SameHostSwapTestCase, self).setUp()
        self.same_host()
        self.instance.flavor = make_flavor(swap=256)

    def _swap_calls(self, client):
        return [c for c in client.calls
                if c[0] in ('guest_delete_disks', 'guest_create_disks',
                            'guest_config_minidisks')]

    def test_bigger_swap_replaces_the_swap_disk(self):
        self.migrate(make_flavor('swap512', swap=512), bdi=swap_bdi(256))
        # Order is the point: the new swap disk takes the old one's vdev.
        self.assertEqual([
            ('guest_delete_disks', (USERID, ['0101']), {}),
            ('guest_create_disks', (USERID, [
                {'size': '512m', 'format': 'swap', 'vdev': '0101'}]), {}),
            ('guest_config_minidisks', (USERID, [
                {'vdev': '0101', 'format': 'swap', 'mntdir': 'swap'}]), {})],
            self._swap_calls(self.src))

    def test_swap_added_by_the_new_flavor(self):
        self.instance.flavor = make_flavor()
        self.migrate(make_flavor('swap128', swap=128))
        self.assertEqual([(USERID, [{'size': '128m', 'format': 'swap',
                                     'vdev': '0101'}])],
                         self.src.args_of('guest_create_disks'))
        self.assertTrue(self.src.made('guest_config_minidisks', USERID, [
            {'vdev': '0101', 'format': 'swap', 'mntdir': 'swap'}]))
        self.assertNotIn('guest_delete_disks', self.src.api_names())

    def test_swap_removed_by_the_new_flavor(self):
        self.migrate(make_flavor('noswap'), bdi=swap_bdi(256))
        self.assertEqual([(USERID, ['0101'])],
                         self.src.args_of('guest_delete_disks'))
        self.assertNotIn('guest_create_disks', self.src.api_names())

    def test_same_swap_is_left_alone(self):
        self.migrate(make_flavor('medium', vcpus=2, swap=256),
                     bdi=swap_bdi(256))
        self.assertEqual([], self._swap_calls(self.src))

    def test_new_ephemeral_disk_takes_the_swap_vdev(self):
        self.migrate(make_flavor('eph', ephemeral_gb=2, swap=256),
                     bdi=swap_bdi(256))
        calls = self._swap_calls(self.src)
        # The swap disk leaves 0101 to the ephemeral disk, then follows it.
        self.assertEqual(('guest_delete_disks', (USERID, ['0101']), {}),
                         calls[0])
        self.assertEqual('0101', calls[1][1][1][0]['vdev'])
        self.assertEqual('ext3', calls[1][1][1][0]['format'])
        self.assertEqual([{'size': '256m', 'format': 'swap',
                           'vdev': '0102'}], calls[3][1][1])

    def test_too_big_swap_is_refused_before_anything_changes(self):
        self.small_volumes(self.src_ops, self.src)
        self.assert_refused(make_flavor('huge', swap=8 * 1024),
                            'Swap disk', bdi=swap_bdi(256))

    def test_failed_swap_create_puts_the_original_swap_back(self):
        self.src.answers['guest_config_minidisks'] = fakes.Seq([
            fakes.connector_error('guest_config_minidisks', 300, 3), None])
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          make_flavor('swap512', swap=512),
                          bdi=swap_bdi(256))
        calls = self._swap_calls(self.src)
        # Forward: delete, create 512m, config (fails); undo: delete the
        # new one, create the original 256m again (order is the point:
        # both are at one vdev).
        self.assertEqual(('guest_delete_disks', (USERID, ['0101']), {}),
                         calls[3])
        self.assertEqual([{'size': '256m', 'format': 'swap',
                           'vdev': '0101'}], calls[4][1][1])
        self.assertTrue(self.src.made('guest_start', USERID))

    def test_revert_puts_the_original_swap_back(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.instance.flavor = make_flavor(swap=256)
        self.instance.old_flavor = self.instance.flavor
        self.instance.new_flavor = make_flavor('swap512', swap=512)
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration,
            swap_bdi(256), False)
        # Order is the point: the original swap disk takes the vdev back.
        self.assertEqual([
            ('guest_delete_disks', (USERID, ['0101']), {}),
            ('guest_create_disks', (USERID, [
                {'size': '256m', 'format': 'swap', 'vdev': '0101'}]), {}),
            ('guest_config_minidisks', (USERID, [
                {'vdev': '0101', 'format': 'swap', 'mntdir': 'swap'}]), {})],
            self._swap_calls(self.src))


class MoveSwapTestCase(base.MigrationTestBase):

    def setUp(self):
        super(MoveSwapTestCase, self).setUp()
        self.instance.flavor = make_flavor(swap=256)

    def test_destination_makes_the_new_flavor_swap_disk(self):
        info = self.migrate(make_flavor('big', root_gb=20, swap=512),
                            bdi=swap_bdi(256))
        self.assertEqual(512, jsonutils.loads(info)['swap_mb'])
        self.finish(info, network_info=[])
        create = [c for c in self.dst.calls if c[0] == 'guest_create'][0]
        self.assertEqual([{'size': '20g', 'is_boot_disk': True},
                          {'size': '512m', 'format': 'swap'}],
                         create[2]['disk_list'])
        self.assertIn(('guest_config_minidisks', (USERID, [
            {'vdev': '0101', 'format': 'swap', 'mntdir': 'swap'}]), {}),
            self.dst.calls)

    def test_cold_migration_keeps_the_swap_size(self):
        info = self.migrate(make_flavor(swap=256), bdi=swap_bdi(256))
        self.finish(info, network_info=[])
        create = [c for c in self.dst.calls if c[0] == 'guest_create'][0]
        self.assertEqual({'size': '256m', 'format': 'swap'},
                         create[2]['disk_list'][-1])

    def test_destination_refuses_a_swap_larger_than_its_volumes(self):
        self.instance.flavor = make_flavor(root_gb=5, swap=256)
        info = self.migrate(make_flavor('big', root_gb=5, swap=8 * 1024),
                            bdi=swap_bdi(256))
        self.small_volumes(self.dst_ops, self.dst)
        err = self.assertRaises(exception.NovaException, self.finish, info)
        self.assertIn('Swap disk', str(err))
        self.assertNotIn('guest_create', self.dst.api_names())
