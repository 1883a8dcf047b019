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

from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import diskfit

# 3390-27 (32760 cylinders, 22.4 GB usable) and 3390-09 (10017 cylinders).
SIZES = {'POO001': ('3390-09', '10017'), 'POO002': ('3390-27', '32760'),
         'POO003': ('3390-09', '10017')}


def volume_info(volume=None):
    vtype, size = SIZES[volume]
    return {'volume_type': vtype, 'volume_size': size}


class DiskUnitsTestCase(test.NoDBTestCase):

    def test_sizes_as_the_connector_converts_them(self):
        # smtLayer: ceil(bytes / 737280) cylinders, ceil(bytes / 512) blocks.
        self.assertEqual(1457, diskfit.disk_units('1g', 'ECKD'))
        self.assertEqual(29128, diskfit.disk_units('20G', 'ECKD'))
        self.assertEqual(729, diskfit.disk_units('512m', 'ECKD'))
        self.assertEqual(2097152, diskfit.disk_units('1g', 'FBA'))
        # A bare number is in the pool's units already (an image's size).
        self.assertEqual(3339, diskfit.disk_units('3339', 'ECKD'))

    def test_disk_names(self):
        disks = [{'size': '10g', 'is_boot_disk': True},
                 {'size': '1g', 'format': 'ext3'},
                 {'size': '2g', 'format': 'xfs'},
                 {'size': '512m', 'format': 'swap'}]
        self.assertEqual(['Root disk', 'Ephemeral disk 0', 'Ephemeral disk 1',
                          'Swap disk'], diskfit.disk_names(disks))


class PoolVolumesTestCase(test.NoDBTestCase):

    def setUp(self):
        super(PoolVolumesTestCase, self).setUp()
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.client = fakes.FakeClient(
            host_get_diskpool_volumes={
                'diskpool_volumes': 'POO001 POO002 POO003'},
            host_get_volume_info=volume_info)
        self.pool = diskfit.PoolVolumes(self.client)

    def test_refresh_reads_the_pool_and_each_volume_once(self):
        self.pool.refresh()
        self.assertEqual(('host_get_diskpool_volumes', (),
                          {'disk_pool': 'ECKD:POOL1'}), self.client.calls[0])
        self.assertEqual(3, self.client.count('host_get_volume_info'))
        self.assertEqual('POO002', self.pool.largest().volser)
        # A volume's size does not change: the next updates cost one call.
        self.pool.refresh()
        self.pool.refresh()
        self.assertEqual(3, self.client.count('host_get_diskpool_volumes'))
        self.assertEqual(3, self.client.count('host_get_volume_info'))

    def test_a_volume_added_to_the_pool_is_sized(self):
        self.pool.refresh()
        SIZES_PLUS = dict(SIZES, POO004=('3390-54', '65520'))
        self.client.answers['host_get_volume_info'] = (
            lambda volume=None: {'volume_type': SIZES_PLUS[volume][0],
                                 'volume_size': SIZES_PLUS[volume][1]})
        self.client.answers['host_get_diskpool_volumes'] = {
            'diskpool_volumes': 'POO001 POO002 POO003 POO004'}
        self.pool.refresh()
        self.assertEqual(4, self.client.count('host_get_volume_info'))
        self.assertEqual('POO004', self.pool.largest().volser)

    def test_pool_unset_asks_for_the_connectors_default(self):
        self.flags(disk_pool=None, group='zvm')
        self.pool.refresh()
        self.assertEqual(('host_get_diskpool_volumes', (), {}),
                         self.client.calls[0])
        # The type comes from the volumes themselves.
        self.assertEqual('ECKD', self.pool.largest().disk_type)

    def test_disk_larger_than_the_largest_volume_is_refused(self):
        self.pool.refresh()
        disks = [{'size': '10g', 'is_boot_disk': True},
                 {'size': '23g', 'format': 'ext3'}]
        reason = self.pool.check(disks)
        self.assertIn('Ephemeral disk 0 of 23 GB (33497 cylinders)', reason)
        self.assertIn('disk pool ECKD:POOL1', reason)
        self.assertIn('POO002 (3390-27), holds 22.4 GB (32759 cylinders)',
                      reason)
        self.assertIn("pool's 3 volumes hold 36.2 GB", reason)
        self.assertIn('one volume', reason)

    def test_disks_that_fit_are_accepted(self):
        self.pool.refresh()
        # Each on its own volume, though they add up to more than one.
        self.assertIsNone(self.pool.check([
            {'size': '22g', 'is_boot_disk': True},
            {'size': '7g', 'format': 'ext3'},
            {'size': '1024m', 'format': 'swap'}]))

    def test_root_in_image_units(self):
        self.pool.refresh()
        self.assertIsNone(self.pool.check(
            [{'size': '32759', 'is_boot_disk': True}]))
        reason = self.pool.check([{'size': '32760', 'is_boot_disk': True}])
        self.assertIn('Root disk of 32760 cylinders', reason)

    def test_fba_pool_counts_blocks(self):
        self.flags(disk_pool='FBA:FPOOL', group='zvm')
        self.client.answers['host_get_volume_info'] = {
            'volume_type': '9336-10', 'volume_size': str(4 * 1024 ** 3 // 512)}
        self.client.answers['host_get_diskpool_volumes'] = {
            'diskpool_volumes': 'FFP001'}
        self.pool.refresh()
        self.assertIsNone(self.pool.check([{'size': '4g',
                                            'is_boot_disk': True}]))
        reason = self.pool.check([{'size': '5g', 'is_boot_disk': True}])
        self.assertIn('10485760 blocks', reason)

    def test_unknown_until_read_checks_nothing(self):
        self.assertIsNone(self.pool.check([{'size': '999g',
                                            'is_boot_disk': True}]))
        self.assertEqual(200, self.pool.max_unit(200))

    def test_failed_read_keeps_what_was_known(self):
        self.pool.refresh()
        self.client.answers['host_get_diskpool_volumes'] = fakes.unreachable(
            'host_get_diskpool_volumes')
        self.pool.refresh()
        self.assertEqual('POO002', self.pool.largest().volser)

    def test_volume_without_a_size_checks_nothing(self):
        # Guessing could refuse disks that fit.
        self.client.answers['host_get_volume_info'] = {'volume_type': '???',
                                                       'volume_size': ''}
        self.flags(disk_pool=None, group='zvm')
        self.pool.refresh()
        self.assertIsNone(self.pool.largest())
        self.assertIsNone(self.pool.check([{'size': '999g',
                                            'is_boot_disk': True}]))

    def test_empty_pool_checks_nothing(self):
        self.client.answers['host_get_diskpool_volumes'] = {}
        self.pool.refresh()
        self.assertIsNone(self.pool.largest())

    def test_max_unit_is_local_disks_times_the_largest_volume(self):
        self.pool.refresh()
        # Nova's default: 3 local disks (root, ephemeral, swap) of 22 GB.
        self.assertEqual(66, self.pool.max_unit(200))
        self.assertEqual(36, self.pool.max_unit(36))
        self.flags(max_local_block_devices=1)
        self.assertEqual(22, self.pool.max_unit(200))
        self.flags(max_local_block_devices=-1)
        self.assertEqual(200, self.pool.max_unit(200))

    def test_max_unit_is_at_least_one(self):
        self.client.answers['host_get_volume_info'] = {
            'volume_type': '3390-01', 'volume_size': '1113'}
        self.pool.refresh()
        self.assertEqual(1, self.pool.max_unit(2))
