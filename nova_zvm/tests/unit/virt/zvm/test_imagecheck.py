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

from nova import exception
from nova import objects
from nova import test

from nova_zvm.simulator import images as sim_images
from nova_zvm.virt.zvm import imagecheck

GIB = 1024 ** 3
IMAGE_ID = '9a1fd07b-3c5e-4a1c-a37b-6d3f7c0e1a11'


class PropertiesTestCase(test.NoDBTestCase):
    """What the connector needs of an image's properties."""

    def meta(self, **properties):
        return objects.ImageMeta.from_dict(
            {'id': IMAGE_ID, 'disk_format': 'raw', 'properties': properties})

    def test_os_distro_required(self):
        self.assertEqual('rhel9.2', imagecheck.required_os_distro(
            self.meta(os_distro=' rhel9.2 ')))
        for meta in (self.meta(), self.meta(os_distro='  ')):
            err = self.assertRaises(exception.InvalidInput,
                                    imagecheck.required_os_distro, meta)
            self.assertIn('os_distro image property is required', str(err))
            self.assertIn(IMAGE_ID, str(err))

    def test_disk_type_only_for_rhcos(self):
        self.flags(disk_pool=None, group='zvm')
        self.assertIsNone(imagecheck.disk_type_of('rhel9.2'))
        err = self.assertRaises(exception.InvalidInput,
                                imagecheck.disk_type_of, 'RHCOS4.12')
        self.assertIn('[zvm] disk_pool', str(err))
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.assertEqual('DASD', imagecheck.disk_type_of('rhcos4.12'))
        self.flags(disk_pool='FBA:POOL1', group='zvm')
        self.assertEqual('SCSI', imagecheck.disk_type_of('rhcos4.12'))


class HeaderTestCase(test.NoDBTestCase):
    """The header as the connector reads it (its hexdump slicing)."""

    def test_headers_creatediskimage_writes(self):
        self.assertEqual('3338:CYL', imagecheck.parse_header(
            sim_images.header('ECKD', '3338', gzip=6)))
        self.assertEqual('4194200:BLK', imagecheck.parse_header(
            sim_images.header('FBA', '4194200')))
        # The 16-character field keeps the last digits of a huge size.
        self.assertEqual('123456789012:CYL', imagecheck.parse_header(
            sim_images.header('ECKD', '123456789012')))

    def test_headers_the_connector_refuses(self):
        for data in (sim_images.header('FCP', '100'),  # SCSI capture
                     b'xCAT CKD Disk Image:    notanumber CYL',
                     b'xCAT CKD Disk Image:           0 CYL',
                     b'xCAT CKD Disk Image:         100 BLK',
                     b'QFI\xfb' + b'\x00' * 60, b''):
            self.assertIsNone(imagecheck.parse_header(data), data)


class FitsTestCase(test.NoDBTestCase):

    def test_eckd_root_against_flavor(self):
        # A 1 GiB root disk is ceil(GiB / 737280) = 1457 cylinders.
        imagecheck.check_fits('img', '1457:CYL', 1)
        err = self.assertRaises(exception.FlavorDiskSmallerThanImage,
                                imagecheck.check_fits, 'img', '1458:CYL', 1)
        self.assertIn('Flavor disk is %d bytes' % GIB, str(err))
        self.assertIn('image is %d bytes' % (1458 * 737280), str(err))

    def test_fba_root_against_flavor(self):
        imagecheck.check_fits('img', '%d:BLK' % (2 * GIB // 512), 2)
        self.assertRaises(exception.FlavorDiskSmallerThanImage,
                          imagecheck.check_fits, 'img',
                          '%d:BLK' % (2 * GIB // 512 + 1), 2)

    def test_flavor_without_root_size_or_unknown_size(self):
        imagecheck.check_fits('img', '99999:CYL', 0)
        imagecheck.check_fits('img', None, 1)

    def test_disk_type_against_disk_pool(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        imagecheck.check_fits('img', '100:CYL', 0)
        err = self.assertRaises(exception.ImageUnacceptable,
                                imagecheck.check_fits, 'img', '100:BLK', 0)
        self.assertIn('FBA disk image', str(err))
        self.assertIn('ECKD disk pool ECKD:POOL1', str(err))
