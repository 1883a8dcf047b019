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

"""Disks that fit one volume of the disk pool, through Nova's API.

The pool has four 3390-03 volumes (3339 cylinders, 2.2 GB usable each;
9 GB in all): a z/VM minidisk lives on one volume, so no disk can be
larger than 2.2 GB, while a server's disks together can use more.
"""

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_migration

POOL_VOLUMES = '3339,3339,3339,3339'
# What creates something on z/VM or in the connector's repository.
CREATING_APIS = ('image_import', 'guest_create', 'guest_deploy')


class DiskPoolVolumesTestCase(base.ZVMFunctionalTestCase):

    SIMULATOR_OPTIONS = {'pool_volumes': POOL_VOLUMES}

    def _setup_services(self):
        # The simulator's pool, named as an operator would.
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        super(DiskPoolVolumesTestCase, self)._setup_services()

    def _disk_inventory(self):
        rp_uuid = self._get_provider_uuid_by_host('compute1')
        return self._get_provider_inventory(rp_uuid)['DISK_GB']

    def _assert_nothing_created(self):
        calls = self.admin().counters()['api_calls']
        for api in CREATING_APIS:
            self.assertNotIn(api, calls)
        inv = self.admin().inventory()
        self.assertEqual({}, inv['guests'])
        self.assertEqual(0, inv['disk_pool']['used'])

    def test_placement_is_told_the_largest_disk_a_server_can_get(self):
        disk = self._disk_inventory()
        # The pool's size, as the connector reports it.
        self.assertEqual(9, disk['total'])
        # Three local disks ([DEFAULT] max_local_block_devices) of 2 GB.
        self.assertEqual(6, disk['max_unit'])

    def test_root_larger_than_any_volume_is_refused_with_the_sizes(self):
        flavor = self._create_flavor(memory_mb=512, vcpu=1, disk=3,
                                     ephemeral=0)
        server = self.boot(flavor_id=flavor, expected='ERROR')
        message = server['fault']['message']
        self.assertIn('Root disk of 3 GB (4370 cylinders) does not fit on '
                      'one volume of disk pool ECKD:POOL1', message)
        self.assertIn('POO001 (3390-03), holds 2.2 GB (3338 cylinders)',
                      message)
        self._assert_nothing_created()
        self._delete_server(server)

    def test_disks_beyond_max_unit_are_refused_by_the_scheduler(self):
        flavor = self._create_flavor(memory_mb=512, vcpu=1, disk=7,
                                     ephemeral=0)
        server = self.boot(flavor_id=flavor, expected='ERROR')
        self.assertIn('No valid host', server['fault']['message'])
        self._assert_nothing_created()
        self._delete_server(server)

    def test_ephemeral_larger_than_any_volume_is_refused(self):
        flavor = self._create_flavor(memory_mb=512, vcpu=1, disk=1,
                                     ephemeral=3)
        server = self.boot(flavor_id=flavor, expected='ERROR')
        self.assertIn('Ephemeral disk 0 of 3 GB', server['fault']['message'])
        self._assert_nothing_created()
        self._delete_server(server)

    def test_disks_that_fit_one_volume_each_are_made(self):
        # 5 GB in all, more than one volume holds: each disk on its own.
        flavor = self._create_flavor(memory_mb=512, vcpu=1, disk=2,
                                     ephemeral=2, swap=1024)
        server = self.boot(flavor_id=flavor)
        disks = self.guest(server)['disks']
        self.assertEqual(['0100', '0101', '0102'], sorted(disks))
        self.assertEqual(3, len({d['volser'] for d in disks.values()}))
        self._delete_server(server)


class SameHostResizeTestCase(test_migration.MigrationTestBase):

    SIMULATOR_OPTIONS = {'pool_volumes': POOL_VOLUMES}

    def setUp(self):
        self.flags(allow_resize_to_same_host=True)
        super(SameHostResizeTestCase, self).setUp()

    def test_root_larger_than_any_volume_is_refused_server_unchanged(self):
        server = self.boot_on('compute1')
        before = self.guest(server)
        big = self._create_flavor(name='zvm.big', memory_mb=1024, vcpu=2,
                                  disk=3, ephemeral=0)
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': big}})
        server = self.assert_refused(
            server, 'Root disk of 3 GB (4370 cylinders) does not fit on one '
                    'volume')
        after = self.guest(server)
        self.assertEqual(before['vcpus'], after['vcpus'])
        self.assertEqual(before['disks'], after['disks'])
        self.assertEqual('on', after['power_state'])
        self.assertEqual('zvm.small', server['flavor']['original_name'])
        self._delete_server(server)
