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

"""Unit tests of nova_zvm.virt.zvm.image_import: the import flow.

Driven through ``image.ImageOps.ensure_image`` (the one caller) on the
fake repository of :mod:`test_image`.
"""

from unittest import mock

from nova import exception
from nova import test

from nova_zvm.tests.unit.virt.zvm import test_image
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image_import
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import undo

IMAGE_ID = test_image.IMAGE_ID
OTHER_ID = test_image.OTHER_ID
CONTENT = test_image.CONTENT
md5 = test_image.md5
failure = test_image.failure
not_found = test_image.not_found


class ImportImageTestCase(test_image.ImageTestBase):
    """Download, checksum, image_import, rollback, lost answers."""

    def test_glance_checksum_is_passed(self):
        # The connector verifies its copy against what Glance stored.
        checksum = md5(CONTENT)
        with mock.patch.object(tmpfiles, 'file_md5') as file_md5:
            self.ops.ensure_image(self.ctxt,
                                  self.meta(IMAGE_ID, checksum=checksum))
        file_md5.assert_not_called()
        self.assertEqual(checksum, self.imported_meta()['md5sum'])

    def test_corrupt_download_refused_by_connector_checksum(self):
        meta = self.meta(IMAGE_ID, checksum=md5(b'what glance stored'))
        self.assertRaises(zvm_exc.ConnectorError,
                          self.ops.ensure_image, self.ctxt, meta)
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_non_md5_checksum_is_computed(self):
        meta = self.meta(IMAGE_ID, checksum='sha256:abc')
        self.ops.ensure_image(self.ctxt, meta)
        self.assertEqual(md5(CONTENT), self.imported_meta()['md5sum'])

    def test_rhcos_disk_type_from_disk_pool(self):
        for pool, disk_type in (('ECKD:POOL1', 'DASD'), ('FBA:POOL2', 'SCSI')):
            self.flags(disk_pool=pool, group='zvm')
            self.repo.images.clear()
            del self.client.calls[:]
            self.ops.ensure_image(self.ctxt,
                                  self.meta(IMAGE_ID, os_distro='rhcos4.12'))
            self.assertEqual(disk_type, self.imported_meta()['disk_type'])

    def test_rhcos_without_disk_pool_refused_before_download(self):
        self.flags(disk_pool=None, group='zvm')
        self.assertRaises(exception.InvalidInput, self.ops.ensure_image,
                          self.ctxt, self.meta(IMAGE_ID,
                                               os_distro='rhcos4.12'))
        self.assertEqual(0, self.client.count())

    def test_other_distros_send_no_disk_type(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.assertNotIn('disk_type', self.imported_meta())

    def test_import_failure_cleans_file_and_half_image(self):
        def half_import(name, url, meta):
            # The connector registered the image, then failed.
            self.repo.add(name)
            raise failure('image_import', 300, 40, 8, args=(name,))
        self.client.answers['image_import'] = half_import
        err = self.assertRaises(zvm_exc.ConnectorError,
                                self.ops.ensure_image, self.ctxt,
                                self.image_meta)
        self.assertEqual(8, err.rs)
        self.assertTrue(self.client.made('image_delete', IMAGE_ID))
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_import_failure_ignores_missing_half_image(self):
        self.client.answers['image_import'] = failure(
            'image_import', 300, 40, 12, args=(IMAGE_ID,))
        self.client.answers['image_delete'] = not_found('image_delete',
                                                        IMAGE_ID)
        err = self.assertRaises(zvm_exc.ConnectorError,
                                self.ops.ensure_image, self.ctxt,
                                self.image_meta)
        self.assertEqual(12, err.rs)
        self.assertEqual([], self.tmp_files())

    def test_import_failure_reported_when_cleanup_fails(self):
        self.client.answers['image_import'] = failure(
            'image_import', 300, 40, 12, args=(IMAGE_ID,))
        self.client.answers['image_delete'] = zvm_exc.ConnectorUnreachable(
            'image_delete', {'overallRC': 101, 'modID': 110, 'rs': 1})
        # The rollback stopped: the fault names the failure and the image
        # that may be left.
        err = self.assertRaises(undo.RollbackIncomplete,
                                self.ops.ensure_image, self.ctxt,
                                self.image_meta)
        self.assertIn('image_import failed', str(err))
        self.assertIn('delete the partial image %s' % IMAGE_ID, str(err))
        self.assertEqual(["not done: delete the partial image %s (the "
                          "connector's image repository)" % IMAGE_ID],
                         err.left)
        self.assertEqual([], self.tmp_files())

    def test_import_unreachable_cleans_up(self):
        # Never sent (no connection): nothing to ask z/VM about.
        unreachable = zvm_exc.ConnectorUnreachable(
            'image_import', {'overallRC': 101, 'modID': 110, 'rs': 1})
        unreachable.not_executed = True
        self.client.answers['image_import'] = unreachable
        self.assertRaises(zvm_exc.ConnectorUnreachable,
                          self.ops.ensure_image, self.ctxt, self.image_meta)
        # What the connector may have registered is deleted all the same.
        self.assertTrue(self.client.made('image_delete', IMAGE_ID))
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def _lost_import_answer(self, runs):
        def import_image(name, url, meta, remote_host=None):
            if runs:
                self.repo.import_image(name, url, meta)
            raise zvm_exc.ConnectorUnreachable('image_import', {
                'overallRC': 101, 'modID': 110, 'rs': 1,
                'errmsg': 'no answer in 3600 s'})
        self.client.answers['image_import'] = import_image

    def test_lost_import_answer_of_an_import_that_ran_completes(self):
        self._lost_import_answer(runs=True)
        self.assertEqual(IMAGE_ID,
                         self.ops.ensure_image(self.ctxt, self.image_meta))
        # z/VM was asked; the image is kept and nothing was deleted.
        self.assertEqual(2, self.client.count('image_query'))
        self.assertEqual(1, self.client.count('image_import'))
        self.assertNotIn('image_delete', self.client.api_names())
        self.assertIn(IMAGE_ID, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_lost_import_answer_without_the_image_fails_cleanly(self):
        self._lost_import_answer(runs=False)
        err = self.assertRaises(exception.NovaException,
                                self.ops.ensure_image, self.ctxt,
                                self.image_meta)
        self.assertIn('image_import gave no answer', str(err))
        self.assertIn('no complete image %s' % IMAGE_ID, str(err))
        # z/VM was asked before the rollback, which deleted the image.
        self.assertEqual(2, self.client.count('image_query'))
        self.assertTrue(self.client.made('image_delete', IMAGE_ID))
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_lost_import_answer_with_a_record_without_file_fails(self):
        def import_image(name, url, meta, remote_host=None):
            self.repo.import_image(name, url, meta)
            self.repo.images[name]['last_access_time'] = -1
            raise zvm_exc.ConnectorUnreachable('image_import', {
                'overallRC': 101, 'modID': 110, 'rs': 1})
        self.client.answers['image_import'] = import_image
        self.assertRaises(exception.NovaException, self.ops.ensure_image,
                          self.ctxt, self.image_meta)
        # The partial record is deleted by the rollback.
        self.assertEqual({}, self.repo.images)

    def test_imported_meanwhile_elsewhere_is_used(self):
        # Another compute service on this connector won the race.
        def imported_by_other(name, url, meta):
            self.repo.add(name)
            return self.repo.import_image(name, url, meta)
        self.client.answers['image_import'] = imported_by_other
        self.assertEqual(IMAGE_ID,
                         self.ops.ensure_image(self.ctxt, self.image_meta))
        self.assertNotIn('image_delete', self.client.api_names())
        self.assertIn(IMAGE_ID, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_download_failure_leaves_nothing(self):
        meta = self.meta(OTHER_ID)     # not in Glance
        self.assertRaises(exception.ImageNotFound, self.ops.ensure_image,
                          self.ctxt, meta)
        self.assertNotIn('image_import', self.client.api_names())
        self.assertNotIn('image_delete', self.client.api_names())
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())


class ImportMetaTestCase(test.NoDBTestCase):
    """The one image_meta of image_import (spawn and migration)."""

    def test_distro_and_md5(self):
        self.assertEqual({'os_version': 'rhel9.2', 'md5sum': md5(b'x')},
                         image_import.import_meta('rhel9.2', md5(b'x')))

    def test_rhcos_gets_the_pool_disk_type(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        meta = image_import.import_meta('rhcos4.12', 'a' * 32)
        self.assertEqual('DASD', meta['disk_type'])
        self.flags(disk_pool='FBA:POOL1', group='zvm')
        meta = image_import.import_meta('rhcos4.12', 'a' * 32)
        self.assertEqual('SCSI', meta['disk_type'])

    def test_rhcos_without_pool_refused(self):
        self.flags(disk_pool=None, group='zvm')
        self.assertRaises(exception.InvalidInput, image_import.import_meta,
                          'rhcos4.12', 'a' * 32)
