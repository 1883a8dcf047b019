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

"""Tests of the images ensured in the connector's repository.

The connector is faked at the client boundary by a small image repository
with the connector's answers and error codes; Glance is Nova's GlanceFixture.
Files are real, in a temporary image_tmp_path.
"""

import hashlib
import io
import os
import stat
import threading
import time
from unittest import mock

import fixtures
from oslo_concurrency import lockutils

from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.fixtures import glance as glance_fixture

from nova_zvm.simulator import images as sim_images
from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import imagecache

IMAGE_ID = '9a1fd07b-3c5e-4a1c-a37b-6d3f7c0e1a11'
OTHER_ID = '0b7c2f4e-5d6a-4e8f-9a1b-2c3d4e5f6a7b'
SNAP_ID = 'c4e1b2a3-7f6e-4d5c-8b9a-0f1e2d3c4b5a'
# Disk images are binary: bytes that are not UTF-8 catch text-mode I/O.
# 3339 cylinders of ECKD: 2.3 GiB.
CONTENT = (sim_images.header('ECKD', '3339') +
           b'\x00\xffzVM-DISK\xfe\x80' * 1000)
QCOW2 = b'QFI\xfb\x00\x00\x00\x03' + b'\x00' * 4000
SNAP_CONTENT = b'\x80\x81CAPTURED\x00\xff' * 5000


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def failure(api, overall_rc, mod_id, rs, args=(), kwargs=None):
    """The client's exception for a connector answer with these codes."""
    return zvm_exc.from_result(
        api, {'overallRC': overall_rc, 'modID': mod_id, 'rc': overall_rc,
              'rs': rs, 'errmsg': 'failed', 'output': ''},
        args=args, kwargs=kwargs)


def not_found(api, name):
    return failure(api, 404, 40, 1, args=(name,),
                   kwargs={'imagename': name})


class FakeRepository(object):
    """The connector's image repository, behind a FakeClient.

    Answers image_query, image_import, image_delete, image_export and
    image_get_root_disk_size as the connector does (codes included), and
    reads and writes the file:// paths it is given, as the connector does.
    """

    def __init__(self, client):
        self.images = {}
        self.data = {}
        client.answers.update(
            image_query=self.query, image_import=self.import_image,
            image_delete=self.delete, image_export=self.export,
            image_get_root_disk_size=self.root_disk_size,
            guest_capture=self.capture)

    def add(self, name, distro='rhel9.2', atime=None, data=b'x'):
        self.images[name] = {
            'imagename': name, 'imageosdistro': distro, 'md5sum': md5(data),
            'disk_size_units': '3339:CYL',
            'image_size_in_bytes': str(len(data)), 'type': 'rootonly',
            'comments': None,
            'last_access_time': time.time() if atime is None else atime}
        self.data[name] = data

    def query(self, imagename=None):
        if imagename is None:
            return [dict(i) for i in self.images.values()]
        if imagename not in self.images:
            raise not_found('image_query', imagename)
        return [dict(self.images[imagename])]

    def import_image(self, name, url, meta, remote_host=None):
        if name in self.images:
            raise failure('image_import', 300, 40, 13, args=(name,))
        assert url.startswith('file:///'), url
        with open(url[len('file://'):], 'rb') as f:
            data = f.read()
        if meta.get('md5sum') and meta['md5sum'] != md5(data):
            raise failure('image_import', 300, 40, 4, args=(name,))
        self.add(name, distro=meta['os_version'], data=data)

    def delete(self, name):
        # The real connector succeeds for a missing image.
        self.images.pop(name, None)
        self.data.pop(name, None)

    def capture(self, userid, name, **kwargs):
        self.add(name, distro='rhel9.2', data=SNAP_CONTENT)

    def export(self, name, dest_url, remote_host=None):
        if name not in self.images:
            raise failure('image_export', 300, 40, 20, args=(name,))
        with open(dest_url[len('file://'):], 'wb') as f:
            f.write(self.data[name])
        info = self.images[name]
        return {'image_name': name, 'image_path': dest_url,
                'os_version': info['imageosdistro'],
                'md5sum': info['md5sum'], 'comments': None}

    def root_disk_size(self, name):
        if name not in self.images:
            raise not_found('image_get_root_disk_size', name)
        return self.images[name]['disk_size_units'].split(':')[0]


class ImageTestBase(test.NoDBTestCase):

    def setUp(self):
        super(ImageTestBase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.tmp_path = os.path.join(self.tmp, 'images')
        self.flags(image_tmp_path=self.tmp_path, group='zvm')
        # The connector reads these files directly (connector_files'
        # remote mode is tested in test_connector_files).
        self.flags(connector_file_access='shared', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient()
        self.repo = FakeRepository(self.client)
        self.glance = self.useFixture(glance_fixture.GlanceFixture(self))
        self.ctxt = context.get_admin_context()
        self.ops = image.ImageOps(self.client)
        self.add_glance_image(IMAGE_ID, CONTENT)
        self.image_meta = self.meta(IMAGE_ID)

    def add_glance_image(self, image_id, data, **properties):
        properties.setdefault('os_distro', 'rhel9.2')
        self.glance.create(None, {'id': image_id, 'name': 'img',
                                  'disk_format': 'raw',
                                  'container_format': 'bare',
                                  'properties': properties},
                           data=io.BytesIO(data))

    def meta(self, image_id, checksum=None, **properties):
        properties.setdefault('os_distro', 'rhel9.2')
        properties = {k: v for k, v in properties.items() if v is not None}
        md = {'id': image_id, 'disk_format': 'raw',
              'container_format': 'bare', 'properties': properties}
        if checksum:
            md['checksum'] = checksum
        return objects.ImageMeta.from_dict(md)

    def imported_meta(self):
        """The image_meta of the one image_import made."""
        [(_name, _url, meta)] = self.client.args_of('image_import')
        return meta

    def tmp_files(self):
        if not os.path.isdir(self.tmp_path):
            return []
        return os.listdir(self.tmp_path)


class RefusedImageTestCase(ImageTestBase):
    """Images that cannot be deployed cost no download, import or guest."""

    def _refused(self, meta, exc=exception.ImageUnacceptable, **kwargs):
        with mock.patch.object(image.images, 'fetch',
                               wraps=image.images.fetch) as fetch:
            err = self.assertRaises(exc, self.ops.ensure_image, self.ctxt,
                                    meta, **kwargs)
        self.assertEqual([], self.tmp_files())
        self.assertEqual({}, self.repo.images)
        return err, fetch.call_count

    def test_other_disk_formats_refused_before_any_call(self):
        for fmt in ('qcow2', 'iso', 'vmdk'):
            meta = objects.ImageMeta.from_dict({
                'id': IMAGE_ID, 'disk_format': fmt,
                'container_format': 'bare',
                'properties': {'os_distro': 'rhel9.2'}})
            err, fetched = self._refused(meta)
            self.assertIn('disk_format is %s' % fmt, str(err))
            self.assertIn('raw', str(err))
            self.assertEqual(0, fetched)
        self.assertEqual(0, self.client.count())

    def test_missing_os_distro_refused_before_any_call(self):
        err, fetched = self._refused(self.meta(IMAGE_ID, os_distro=None),
                                     exc=exception.InvalidInput)
        self.assertIn('os_distro', str(err))
        self.assertEqual((0, 0), (fetched, self.client.count()))

    def test_qcow2_data_labelled_raw_refused_before_import(self):
        self.add_glance_image(OTHER_ID, QCOW2)
        err, fetched = self._refused(self.meta(OTHER_ID))
        self.assertIn('looks like qcow2', str(err))
        self.assertIn('disk_format claims raw', str(err))
        self.assertIn('xCAT CKD Disk Image:', str(err))
        self.assertEqual(1, fetched)
        self.assertNotIn('image_import', self.client.api_names())

    def _glance_streams(self, data):
        """Glance's download without destination: chunks, closable."""
        stream = mock.Mock()
        stream.__iter__ = lambda _self: iter(
            [data[i:i + 100] for i in range(0, len(data), 100)])
        api = self.useFixture(fixtures.MockPatch(
            'nova.image.glance.API')).mock
        api.return_value.download.return_value = stream
        return stream

    def test_qcow2_data_refused_before_the_download(self):
        stream = self._glance_streams(QCOW2)
        err, fetched = self._refused(self.meta(IMAGE_ID))
        self.assertIn('looks like qcow2', str(err))
        self.assertEqual(0, fetched)
        stream.close.assert_called_once_with()

    def test_root_larger_than_flavor_refused_before_the_download(self):
        self._glance_streams(CONTENT)
        _err, fetched = self._refused(
            self.image_meta, exc=exception.FlavorDiskSmallerThanImage,
            root_gb=2)
        self.assertEqual(0, fetched)
        self.assertNotIn('image_import', self.client.api_names())

    def test_header_read_from_glance_then_downloaded(self):
        self._glance_streams(CONTENT)
        self.ops.ensure_image(self.ctxt, self.image_meta, root_gb=3)
        self.assertEqual(1, self.client.count('image_import'))
        self.assertEqual(CONTENT, self.repo.data[IMAGE_ID])

    def test_glance_refusing_the_peek_leaves_it_to_the_download(self):
        api = self.useFixture(fixtures.MockPatch(
            'nova.image.glance.API')).mock
        api.return_value.download.side_effect = exception.ImageNotFound(
            image_id=IMAGE_ID)
        with mock.patch.object(image.images, 'fetch',
                               wraps=image.images.fetch) as fetch:
            self.ops.ensure_image(self.ctxt, self.image_meta, root_gb=3)
        self.assertEqual(1, fetch.call_count)

    def test_unknown_data_is_quoted(self):
        self.add_glance_image(OTHER_ID, b'hello world, not a disk' * 40)
        err, _fetched = self._refused(self.meta(OTHER_ID))
        self.assertIn("starts with b'hello world, not'", str(err))

    def test_root_larger_than_flavor_refused_before_import(self):
        # 3339 cylinders are 2.3 GiB: a 2 GB root disk is too small.
        err, fetched = self._refused(self.image_meta,
                                     exc=exception.FlavorDiskSmallerThanImage,
                                     root_gb=2)
        self.assertIn('%d bytes' % (3339 * 737280), str(err))
        self.assertNotIn('image_import', self.client.api_names())

    def test_root_that_fits_the_flavor(self):
        self.ops.ensure_image(self.ctxt, self.image_meta, root_gb=3)
        self.assertIn(IMAGE_ID, self.repo.images)
        # Known from now on without a query of its size.
        self.assertEqual('3339', self.ops.root_disk_size(IMAGE_ID))

    def test_cached_image_too_large_refused_before_guest_create(self):
        self.repo.add(IMAGE_ID)
        err = self.assertRaises(exception.FlavorDiskSmallerThanImage,
                                self.ops.ensure_image, self.ctxt,
                                self.image_meta, root_gb=1)
        self.assertIn('is 1073741824 bytes', str(err))
        # Only asked: nothing changed in the repository.
        self.assertEqual({'image_query'}, set(self.client.api_names()))
        # The flavor's size 0 takes the image's own size.
        self.ops.ensure_image(self.ctxt, self.image_meta, root_gb=0)

    def test_image_of_another_disk_type_than_the_pool(self):
        self.flags(disk_pool='FBA:POOL1', group='zvm')
        err, _fetched = self._refused(self.image_meta)
        self.assertIn('ECKD disk image', str(err))
        self.assertIn('FBA:POOL1', str(err))


class EnsureImageTestCase(ImageTestBase):

    def test_cached_image_costs_one_query(self):
        self.repo.add(IMAGE_ID)
        with mock.patch.object(image.images, 'fetch') as fetch:
            self.assertEqual(IMAGE_ID,
                             self.ops.ensure_image(self.ctxt,
                                                   self.image_meta))
        # Its cost: one request.
        self.assertEqual(1, self.client.count())
        self.assertTrue(self.client.made('image_query', imagename=IMAGE_ID))
        fetch.assert_not_called()

    def test_first_use_downloads_and_imports(self):
        self.assertEqual(IMAGE_ID,
                         self.ops.ensure_image(self.ctxt, self.image_meta))
        self.assertEqual(1, self.client.count('image_import'))
        [(name, url, meta)] = self.client.args_of('image_import')
        self.assertEqual(IMAGE_ID, name)
        self.assertTrue(url.startswith('file://' + self.tmp_path + '/'))
        self.assertEqual({'os_version': 'rhel9.2', 'md5sum': md5(CONTENT)},
                         meta)
        self.assertEqual(CONTENT, self.repo.data[IMAGE_ID])
        self.assertEqual([], self.tmp_files())

    def test_import_file_readable_by_group_only(self):
        modes = []

        def import_image(name, url, meta):
            modes.append(stat.S_IMODE(os.stat(url[7:]).st_mode))
            return self.repo.import_image(name, url, meta)
        self.client.answers['image_import'] = import_image
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.assertEqual([0o640], modes)

    def test_second_spawn_costs_one_query(self):
        self.ops.ensure_image(self.ctxt, self.image_meta)
        del self.client.calls[:]
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.assertEqual(1, self.client.count())
        self.assertEqual(1, self.client.count('image_query'))

    def test_creates_missing_tmp_dir(self):
        self.assertFalse(os.path.exists(self.tmp_path))
        self.ops.ensure_image(self.ctxt, self.image_meta)
        mode = stat.S_IMODE(os.stat(self.tmp_path).st_mode)
        self.assertEqual(0, mode & stat.S_IRWXO)

    def test_os_distro_required_before_any_request(self):
        meta = self.meta(IMAGE_ID, os_distro=None)
        with mock.patch.object(image.images, 'fetch') as fetch:
            err = self.assertRaises(exception.InvalidInput,
                                    self.ops.ensure_image, self.ctxt, meta)
        self.assertIn('The os_distro image property is required', str(err))
        self.assertEqual(0, self.client.count())
        fetch.assert_not_called()

    def test_blank_os_distro_refused(self):
        self.assertRaises(exception.InvalidInput, self.ops.ensure_image,
                          self.ctxt, self.meta(IMAGE_ID, os_distro='  '))
        self.assertEqual(0, self.client.count())

    def test_no_image_refused(self):
        meta = objects.ImageMeta.from_dict(
            {'properties': {'os_distro': 'rhel9.2'}})
        self.assertRaises(exception.InvalidImageRef, self.ops.ensure_image,
                          self.ctxt, meta)
        self.assertEqual(0, self.client.count())

    def test_deleted_behind_our_back_is_imported_again(self):
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.repo.images.clear()
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.assertEqual(2, self.client.count('image_import'))
        self.assertIn(IMAGE_ID, self.repo.images)

    def test_record_without_file_is_imported_again(self):
        self.repo.add(IMAGE_ID, atime=-1)
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.assertTrue(self.client.made('image_delete', IMAGE_ID))
        self.assertEqual(1, self.client.count('image_import'))
        # Our import's data, with a file: the record was deleted first (an
        # import of a name the repository holds is refused).
        self.assertEqual(CONTENT, self.repo.data[IMAGE_ID])
        self.assertNotEqual(
            -1, self.repo.images[IMAGE_ID]['last_access_time'])

    def test_trusted_certs_reach_the_download(self):
        certs = objects.TrustedCerts(ids=['cert-1'])
        with mock.patch.object(image.images, 'fetch') as fetch:
            def fetch_image(ctxt, ref, path, trusted_certs):
                with open(path, 'wb') as f:
                    f.write(CONTENT)
            fetch.side_effect = fetch_image
            self.ops.ensure_image(self.ctxt, self.image_meta,
                                  trusted_certs=certs)
        fetch.assert_called_once_with(self.ctxt, IMAGE_ID, mock.ANY,
                                      trusted_certs=certs)

    def test_cache_image(self):
        self.assertTrue(self.ops.cache_image(self.ctxt, IMAGE_ID))
        self.assertFalse(self.ops.cache_image(self.ctxt, IMAGE_ID))
        self.assertEqual(1, self.client.count('image_import'))

    def test_root_disk_size_from_query_costs_nothing(self):
        self.repo.add(IMAGE_ID)
        self.ops.ensure_image(self.ctxt, self.image_meta)
        del self.client.calls[:]
        self.assertEqual('3339', self.ops.root_disk_size(IMAGE_ID))
        self.assertEqual(0, self.client.count())

    def test_root_disk_size_asks_when_unknown(self):
        self.repo.add(IMAGE_ID)
        self.assertEqual('3339', self.ops.root_disk_size(IMAGE_ID))
        self.assertTrue(self.client.made('image_get_root_disk_size',
                                         IMAGE_ID))
        self.assertEqual(1, self.client.count())


class ImageLockTestCase(ImageTestBase):
    """Imports are serialised per image, never across images."""

    def setUp(self):
        super(ImageLockTestCase, self).setUp()
        self.add_glance_image(OTHER_ID, CONTENT)
        self.real_fetch = image.images.fetch
        self.fetch_hook = None
        self.useFixture(fixtures.MockPatchObject(
            image.images, 'fetch', side_effect=self._fetch))
        self.errors = []

    def _fetch(self, ctxt, image_id, path, trusted_certs=None):
        if self.fetch_hook:
            self.fetch_hook(image_id)
        return self.real_fetch(ctxt, image_id, path,
                               trusted_certs=trusted_certs)

    def _spawn_thread(self, image_id):
        def run():
            try:
                self.ops.ensure_image(self.ctxt, self.meta(image_id))
            except Exception as err:
                self.errors.append(err)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def test_same_image_imported_once(self):
        downloading = threading.Event()
        release = threading.Event()

        def hook(image_id):
            downloading.set()
            self.assertTrue(release.wait(10))
        self.fetch_hook = hook
        first = self._spawn_thread(IMAGE_ID)
        self.assertTrue(downloading.wait(10))
        second = self._spawn_thread(IMAGE_ID)
        # The second found nothing without the lock and waits on it.
        time.sleep(0.2)
        self.assertTrue(second.is_alive())
        self.assertEqual(0, self.client.count('image_import') -
                         len(self.repo.images))
        release.set()
        first.join(10)
        second.join(10)
        self.assertEqual([], self.errors)
        self.assertEqual(1, self.client.count('image_import'))
        # The second asked again after the first's import, and used it.
        self.assertEqual(3, self.client.count('image_query'))
        self.assertEqual([IMAGE_ID], list(self.repo.images))

    def test_imported_image_used_without_waiting_for_the_lock(self):
        # Concurrent boots of an imported image do not queue on its lock.
        self.repo.add(IMAGE_ID)
        with lockutils.lock(image.LOCK_PREFIX + IMAGE_ID):
            thread = self._spawn_thread(IMAGE_ID)
            thread.join(10)
            self.assertFalse(thread.is_alive())
        self.assertEqual([], self.errors)
        self.assertEqual(1, self.client.count())
        self.assertEqual(1, self.client.count('image_query'))

    def test_image_being_aged_out_is_imported_again(self):
        # The cache ageing is removing the image when a spawn needs it:
        # the spawn waits for the removal and imports it again, never
        # deploys an image that is going away.
        self.flags(remove_unused_base_images=True,
                   remove_unused_original_minimum_age_seconds=3600,
                   group='image_cache')
        self.repo.add(IMAGE_ID, atime=time.time() - 7200)
        deleting = threading.Event()
        release = threading.Event()
        real_delete = self.repo.delete

        def delete(name):
            deleting.set()
            self.assertTrue(release.wait(10))
            return real_delete(name)
        self.client.answers['image_delete'] = delete
        cache = imagecache.ImageCache(self.client, self.ops)
        ager = threading.Thread(target=cache.manage_image_cache,
                                args=(self.ctxt, []))
        ager.start()
        self.assertTrue(deleting.wait(10))
        spawn = self._spawn_thread(IMAGE_ID)
        time.sleep(0.2)
        # Marked as being removed: not even asked without the lock.
        self.assertTrue(spawn.is_alive(), (self.errors, self.client.calls))
        release.set()
        ager.join(10)
        spawn.join(10)
        self.assertEqual([], self.errors)
        self.assertEqual(1, self.client.count('image_delete'))
        self.assertEqual(1, self.client.count('image_import'))
        self.assertIn(IMAGE_ID, self.repo.images)

    def test_different_images_in_parallel(self):
        started = {IMAGE_ID: threading.Event(), OTHER_ID: threading.Event()}
        overlapped = []

        def hook(image_id):
            started[image_id].set()
            other = OTHER_ID if image_id == IMAGE_ID else IMAGE_ID
            # Each download waits for the other to start: with one lock for
            # all images this would time out.
            overlapped.append(started[other].wait(10))
        self.fetch_hook = hook
        threads = [self._spawn_thread(IMAGE_ID),
                   self._spawn_thread(OTHER_ID)]
        for thread in threads:
            thread.join(30)
        self.assertEqual([], self.errors)
        self.assertEqual([True, True], overlapped)
        self.assertEqual(2, self.client.count('image_import'))

    def test_lock_released_after_failure(self):
        self.client.answers['image_import'] = fakes.Seq([
            failure('image_import', 300, 40, 12, args=(IMAGE_ID,)),
            self.repo.import_image])
        self.assertRaises(zvm_exc.ConnectorError, self.ops.ensure_image,
                          self.ctxt, self.image_meta)
        thread = self._spawn_thread(IMAGE_ID)
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertEqual([], self.errors)
        self.assertIn(IMAGE_ID, self.repo.images)


class DeleteImageTestCase(ImageTestBase):
    """The one deletion of an image from the repository."""

    def test_deletes(self):
        self.repo.add(OTHER_ID)
        image.delete_image(self.client, OTHER_ID)
        self.assertEqual({}, self.repo.images)
        self.assertTrue(self.client.made('image_delete', OTHER_ID))

    def test_missing_image_is_fine(self):
        self.client.answers['image_delete'] = not_found('image_delete',
                                                        OTHER_ID)
        image.delete_image(self.client, OTHER_ID)
        self.assertEqual(1, self.client.count('image_delete'))

    def test_other_failures_are_raised(self):
        self.repo.add(OTHER_ID)
        self.client.answers['image_delete'] = failure(
            'image_delete', 300, 40, 1, args=(OTHER_ID,))
        self.assertRaises(zvm_exc.ConnectorError, image.delete_image,
                          self.client, OTHER_ID)
        self.assertIn(OTHER_ID, self.repo.images)

    def test_remove_image_forgets_the_size(self):
        self.repo.add(IMAGE_ID)
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.ops.remove_image(IMAGE_ID)
        self.assertEqual({}, self.repo.images)
        self.repo.add(IMAGE_ID)
        del self.client.calls[:]
        self.assertEqual('3339', self.ops.root_disk_size(IMAGE_ID))
        self.assertTrue(self.client.made('image_get_root_disk_size',
                                         IMAGE_ID))
