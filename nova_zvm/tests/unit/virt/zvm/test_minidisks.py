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

"""A guest's disk list, without connector calls but the image's size."""

import fixtures
from nova import context
from nova import objects
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import minidisks

IMAGE_ID = 'a2459075-d96c-40d5-893e-577ff92e721c'


class DiskListTestCase(test.NoDBTestCase):

    def setUp(self):
        super(DiskListTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(instance_name_template='OS%06x')
        self.flags(image_tmp_path=self.tmp, group='zvm')
        self.client = fakes.FakeClient()
        self.image_ops = image.ImageOps(self.client)
        self.disks = minidisks.GuestDisks(self.image_ops)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, vcpus=2, memory_mb=2048,
            flavor=objects.Flavor(name='m1.zvm', flavorid='7', root_gb=10,
                                  ephemeral_gb=0, swap=0,
                                  vcpus=2, memory_mb=2048,
                                  extra_specs={}))

    def test_root_from_flavor(self):
        disks = self.disks.disk_list(self.instance, IMAGE_ID, None)
        self.assertEqual([{'size': '10g', 'is_boot_disk': True}], disks)
        self.assertEqual(0, self.client.count())

    def test_root_from_image_when_flavor_has_none(self):
        self.instance.flavor.root_gb = 0
        self.client.answers['image_get_root_disk_size'] = '3339'
        disks = self.disks.disk_list(self.instance, IMAGE_ID, None)
        self.assertEqual('3339', disks[0]['size'])

    def test_spawn_with_root_gb_zero_reuses_the_image_query(self):
        self.instance.flavor.root_gb = 0
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3339:CYL', 'last_access_time': 1.0}]
        image_meta = objects.ImageMeta.from_dict({
            'id': IMAGE_ID, 'properties': {'os_distro': 'rhel9.2'}})
        name = self.image_ops.ensure_image(self.ctxt, image_meta)
        disks = self.disks.disk_list(self.instance, name, None)
        self.assertEqual('3339', disks[0]['size'])
        self.assertNotIn('image_get_root_disk_size',
                         self.client.api_names())

    def test_disk_pool_and_ephemerals(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        bdi = {'ephemerals': [{'size': 5, 'guest_format': 'xfs'},
                              {'size': 1, 'guest_format': None}]}
        disks = self.disks.disk_list(self.instance, IMAGE_ID, bdi)
        self.assertEqual(
            [{'size': '10g', 'is_boot_disk': True, 'disk_pool': 'ECKD:POOL1'},
             {'size': '5g', 'format': 'xfs', 'disk_pool': 'ECKD:POOL1'},
             {'size': '1g', 'format': 'ext3', 'disk_pool': 'ECKD:POOL1'}],
            disks)

    def test_flavor_swap_is_a_swap_minidisk(self):
        bdi = {'ephemerals': [{'size': 2, 'guest_format': 'xfs'}],
               'swap': {'swap_size': 512, 'device_name': '/dev/sdc'}}
        disks = self.disks.disk_list(self.instance, IMAGE_ID, bdi)
        self.assertEqual({'size': '512m', 'format': 'swap'}, disks[2])
        created = [dict(d, vdev='%04x' % (0x100 + i))
                   for i, d in enumerate(disks)]
        self.assertEqual(
            [{'vdev': '0101', 'format': 'xfs', 'mntdir': '/mnt/ephemeral0'},
             {'vdev': '0102', 'format': 'swap', 'mntdir': 'swap'}],
            minidisks.ephemeral_config(created))

    def test_no_swap_no_swap_disk(self):
        disks = self.disks.disk_list(self.instance, IMAGE_ID,
                                     {'swap': {'swap_size': 0}})
        self.assertEqual(1, len(disks))

    def test_nova_default_ephemeral_format_wins(self):
        self.flags(default_ephemeral_format='ext4')
        disks = self.disks.disk_list(self.instance, IMAGE_ID,
                                     {'ephemerals': [{'size': 2}]})
        self.assertEqual('ext4', disks[1]['format'])

    def test_ephemeral_config_uses_created_vdevs(self):
        created = [{'size': '10g', 'is_boot_disk': True, 'vdev': '0100'},
                   {'size': '5g', 'format': 'xfs', 'vdev': '0101'}]
        self.assertEqual([{'vdev': '0101', 'format': 'xfs',
                           'mntdir': '/mnt/ephemeral0'}],
                         minidisks.ephemeral_config(created))

    def test_no_pool_volumes_no_fit_check(self):
        self.assertIsNone(self.disks.disk_fit_reason(
            [minidisks.minidisk('999g', is_boot_disk=True)]))
