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

"""Tests of the image cache manager's pass: ageing out and leftovers."""

import os
import time
from unittest import mock

import fixtures
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_image
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm import tmpfiles

IMAGE_ID = test_image.IMAGE_ID
OTHER_ID = test_image.OTHER_ID
SNAP_ID = test_image.SNAP_ID
failure = test_image.failure
MIG_UUID = '5b0b6f3c-2d1e-4c8a-9f7e-1a2b3c4d5e6f'
INST_UUID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
MIG_IMAGE = rootimage.IMAGE_PREFIX + MIG_UUID
SNAP_IMAGE = imagecache.SNAPSHOT_PREFIX + SNAP_ID
DAY = 24 * 3600


class LeftoversTestCase(test.NoDBTestCase):

    def setUp(self):
        super(LeftoversTestCase, self).setUp()
        self.flags(remove_unused_original_minimum_age_seconds=DAY,
                   group='image_cache')
        self.flags(long_read_timeout=3600, group='zvm')
        self.client = fakes.FakeClient()
        self.repo = test_image.FakeRepository(self.client)
        self.ctxt = context.get_admin_context()
        self.leftovers = imagecache.Leftovers(self.client)
        self.now = time.time()
        self.migration = objects.Migration(
            uuid=MIG_UUID, instance_uuid=INST_UUID, status='error')
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, uuid=INST_UUID)
        self.instance.system_metadata = {}
        self.instance.deleted = False
        self.useFixture(fixtures.MockPatchObject(
            objects.Migration, 'get_by_uuid',
            side_effect=lambda ctxt, uuid: self._lookup(
                self.migration, uuid)))
        self.useFixture(fixtures.MockPatchObject(
            objects.Instance, 'get_by_uuid',
            side_effect=lambda ctxt, uuid, **kw: self._lookup(
                self.instance, uuid)))

    @staticmethod
    def _lookup(obj, uuid):
        if obj is None or obj.uuid != uuid:
            raise exception.InstanceNotFound(instance_id=uuid)
        return obj

    def remove(self):
        return self.leftovers.remove(self.ctxt, self.repo.query(),
                                     now=self.now)

    # -- migration images -----------------------------------------------------

    def test_image_of_a_failed_migration_is_removed(self):
        self.repo.add(MIG_IMAGE, atime=self.now)
        self.assertEqual([MIG_IMAGE], self.remove())
        self.assertEqual({}, self.repo.images)

    def test_image_its_instance_owns_is_kept_whatever_its_age(self):
        # Possibly the only copy of the root disk (same-host resize).
        self.instance.system_metadata = {rootimage.KEPT_IMAGE_KEY: MIG_IMAGE}
        self.migration.status = 'finished'
        self.repo.add(MIG_IMAGE, atime=self.now - 30 * DAY)
        self.assertEqual([], self.remove())
        self.assertIn(MIG_IMAGE, self.repo.images)

    def test_image_of_a_deleted_instance_is_removed(self):
        self.instance.system_metadata = {rootimage.KEPT_IMAGE_KEY: MIG_IMAGE}
        self.instance.deleted = True
        self.repo.add(MIG_IMAGE, atime=self.now)
        self.assertEqual([MIG_IMAGE], self.remove())

    def test_image_of_a_vanished_instance_is_removed(self):
        self.instance = None
        self.repo.add(MIG_IMAGE, atime=self.now)
        self.assertEqual([MIG_IMAGE], self.remove())

    def test_image_of_an_unknown_migration_is_removed(self):
        self.migration = None
        self.repo.add(MIG_IMAGE, atime=self.now)
        self.assertEqual([MIG_IMAGE], self.remove())

    def test_image_of_a_migration_in_flight_is_kept_until_old(self):
        self.migration.status = 'migrating'
        self.repo.add(MIG_IMAGE, atime=self.now - DAY + 60)
        self.assertEqual([], self.remove())
        self.now += 60
        self.assertEqual([MIG_IMAGE], self.remove())

    def test_failed_delete_is_tried_again_next_pass(self):
        self.repo.add(MIG_IMAGE, atime=self.now)
        self.client.answers['image_delete'] = fakes.Seq([
            failure('image_delete', 300, 40, 30), self.repo.delete])
        self.assertEqual([], self.remove())
        self.assertIn(MIG_IMAGE, self.repo.images)
        self.assertEqual([MIG_IMAGE], self.remove())

    # -- snapshot images ------------------------------------------------------

    def test_snapshot_image_in_use_here_is_kept(self):
        self.repo.add(SNAP_IMAGE, atime=self.now - DAY)
        with self.leftovers.using(SNAP_IMAGE):
            self.assertEqual([], self.remove())
        self.assertEqual([SNAP_IMAGE], self.remove())

    def test_new_snapshot_image_of_another_service_is_kept(self):
        self.repo.add(SNAP_IMAGE, atime=self.now - 3000)
        self.assertEqual([], self.remove())
        # Past the longest an export can take: nobody uses it.
        self.now += 600
        self.assertEqual([SNAP_IMAGE], self.remove())

    def test_abandoned_snapshot_image_is_removed_on_sight(self):
        self.leftovers.abandon(SNAP_IMAGE)
        self.assertEqual([], self.remove())
        self.repo.add(SNAP_IMAGE, atime=self.now)
        self.assertEqual([SNAP_IMAGE], self.remove())

    def test_other_images_are_left_alone(self):
        self.repo.add(IMAGE_ID, atime=self.now - 30 * DAY)
        self.repo.add('hand-made', atime=self.now - 30 * DAY)
        self.assertEqual([], self.remove())
        self.assertEqual(2, len(self.repo.images))
        self.assertEqual([], self.client.api_names())


class ManageImageCacheLeftoversTestCase(test_image.ImageTestBase):

    def test_leftovers_removed_even_when_cache_ageing_is_off(self):
        self.flags(remove_unused_base_images=False, group='image_cache')
        leftovers = imagecache.Leftovers(self.client)
        ops = imagecache.ImageCache(self.client, self.ops, leftovers)
        leftovers.abandon(SNAP_IMAGE)
        self.repo.add(SNAP_IMAGE)
        self.repo.add(IMAGE_ID, atime=1.0)
        self.assertEqual([SNAP_IMAGE], ops.manage_image_cache(self.ctxt, []))
        self.assertEqual([IMAGE_ID], list(self.repo.images))

    def test_one_query_for_leftovers_and_cache(self):
        self.flags(remove_unused_base_images=True,
                   remove_unused_original_minimum_age_seconds=DAY,
                   group='image_cache')
        leftovers = imagecache.Leftovers(self.client)
        ops = imagecache.ImageCache(self.client, self.ops, leftovers)
        leftovers.abandon(SNAP_IMAGE)
        self.repo.add(SNAP_IMAGE)
        self.repo.add(IMAGE_ID, atime=1.0)
        self.assertEqual(sorted([SNAP_IMAGE, IMAGE_ID]),
                         sorted(ops.manage_image_cache(self.ctxt, [])))
        self.assertEqual({}, self.repo.images)
        self.assertEqual(1, self.client.count('image_query'))


class ManageImageCacheTestCase(test_image.ImageTestBase):

    OLD = 7 * 24 * 3600

    def setUp(self):
        super(ManageImageCacheTestCase, self).setUp()
        self.flags(remove_unused_base_images=True,
                   remove_unused_original_minimum_age_seconds=86400,
                   group='image_cache')
        self.now = time.time()
        self.cache = imagecache.ImageCache(self.client, self.ops)

    def instances(self, *image_refs):
        return [fake_instance.fake_instance_obj(
            self.ctxt, id=i + 1, image_ref=ref)
            for i, ref in enumerate(image_refs)]

    def deleted_names(self):
        return [args[0] for args in self.client.args_of('image_delete')]

    def test_deletes_only_unused_old_images_with_one_query(self):
        used = '11111111-2222-4333-8444-555555555555'
        young = '22222222-3333-4444-8555-666666666666'
        self.repo.add(used, atime=self.now - self.OLD)
        self.repo.add(young, atime=self.now - 60)
        self.repo.add(OTHER_ID, atime=self.now - self.OLD)
        self.repo.add('golden-rhel9', atime=self.now - self.OLD)
        self.repo.add(OTHER_ID.upper(), atime=self.now - self.OLD)
        deleted = self.cache.manage_image_cache(
            self.ctxt, self.instances(used, None, ''))
        self.assertEqual([OTHER_ID], deleted)
        self.assertEqual([OTHER_ID], self.deleted_names())
        self.assertEqual(1, self.client.count('image_query'))
        self.assertTrue(self.client.made('image_query'))
        self.assertEqual({used, young, 'golden-rhel9', OTHER_ID.upper()},
                         set(self.repo.images))

    def test_disabled_makes_no_request(self):
        self.flags(remove_unused_base_images=False, group='image_cache')
        self.repo.add(OTHER_ID, atime=self.now - self.OLD)
        self.assertEqual([], self.cache.manage_image_cache(self.ctxt, []))
        self.assertEqual(0, self.client.count())

    def test_minimum_age_option(self):
        self.flags(remove_unused_original_minimum_age_seconds=3600,
                   group='image_cache')
        self.repo.add(IMAGE_ID, atime=self.now - 1800)
        self.repo.add(OTHER_ID, atime=self.now - 7200)
        self.assertEqual([OTHER_ID],
                         self.cache.manage_image_cache(self.ctxt, []))

    def test_record_without_file_removed_when_unused(self):
        self.repo.add(OTHER_ID, atime=-1)
        self.assertEqual([OTHER_ID],
                         self.cache.manage_image_cache(self.ctxt, []))

    def test_unknown_access_time_kept(self):
        self.repo.add(OTHER_ID)
        self.repo.images[OTHER_ID]['last_access_time'] = None
        self.repo.add(IMAGE_ID)
        self.repo.images[IMAGE_ID]['last_access_time'] = 'yesterday'
        self.assertEqual([], self.cache.manage_image_cache(self.ctxt, []))

    def test_image_ref_as_url_counts_as_used(self):
        self.repo.add(OTHER_ID, atime=self.now - self.OLD)
        instances = self.instances('http://glance:9292/v2/images/' +
                                   OTHER_ID)
        self.assertEqual([], self.cache.manage_image_cache(self.ctxt,
                                                           instances))

    def test_image_spawned_here_recently_kept(self):
        # A spawn's instance may be missing from all_instances; the
        # repository's access time may lag (relatime).
        self.ops.ensure_image(self.ctxt, self.image_meta)
        self.repo.images[IMAGE_ID]['last_access_time'] = self.now - self.OLD
        self.assertEqual([], self.cache.manage_image_cache(self.ctxt, []))

    def test_one_failed_delete_does_not_stop_the_others(self):
        self.repo.add(IMAGE_ID, atime=self.now - self.OLD)
        self.repo.add(OTHER_ID, atime=self.now - self.OLD)
        real_delete = self.repo.delete

        def delete(name):
            if name == IMAGE_ID:
                raise failure('image_delete', 300, 40, 1, args=(name,))
            return real_delete(name)
        self.client.answers['image_delete'] = delete
        self.assertEqual([OTHER_ID],
                         self.cache.manage_image_cache(self.ctxt, []))
        self.assertEqual(2, self.client.count('image_delete'))
        self.assertIn(IMAGE_ID, self.repo.images)

    def test_deleted_image_root_size_asked_again(self):
        self.repo.add(OTHER_ID, atime=self.now - self.OLD)
        self.ops.ensure_image(self.ctxt, self.meta(OTHER_ID))
        # As if its use here were older than the minimum age.
        with mock.patch.object(self.ops, 'used_within', return_value=False):
            self.assertEqual([OTHER_ID],
                             self.cache.manage_image_cache(self.ctxt, []))
        self.repo.add(OTHER_ID)
        del self.client.calls[:]
        self.ops.root_disk_size(OTHER_ID)
        self.assertTrue(self.client.made('image_get_root_disk_size',
                                         OTHER_ID))

    def test_sweeps_leftover_temporary_files(self):
        os.makedirs(self.tmp_path)
        old = self.now - 2 * 24 * 3600

        def make(name, mtime):
            path = os.path.join(self.tmp_path, name)
            with open(path, 'wb') as f:
                f.write(b'x')
            os.utime(path, (mtime, mtime))
            return path
        leftover = make('nova-zvm-image-abc', old)
        recent = make('nova-zvm-cfgdrive-def.iso', self.now)
        foreign = make(IMAGE_ID, old)       # e.g. the in-tree driver's
        in_use = tmpfiles.new_tmp_file('snapshot')
        os.utime(in_use, (old, old))
        self.flags(remove_unused_base_images=False, group='image_cache')
        self.cache.manage_image_cache(self.ctxt, [])
        self.assertFalse(os.path.exists(leftover))
        for path in (recent, foreign, in_use):
            self.assertTrue(os.path.exists(path), path)
        tmpfiles.remove_tmp_file(in_use)
