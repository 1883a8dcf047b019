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

"""Tests of the removal of images failed operations left."""

import time

import fixtures
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_image
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm.migration import rootimage

MIG_UUID = '5b0b6f3c-2d1e-4c8a-9f7e-1a2b3c4d5e6f'
INST_UUID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
MIG_IMAGE = rootimage.IMAGE_PREFIX + MIG_UUID
SNAP_IMAGE = imagecache.SNAPSHOT_PREFIX + test_image.SNAP_ID
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
            test_image.failure('image_delete', 300, 40, 30), self.repo.delete])
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
        self.repo.add(test_image.IMAGE_ID, atime=self.now - 30 * DAY)
        self.repo.add('hand-made', atime=self.now - 30 * DAY)
        self.assertEqual([], self.remove())
        self.assertEqual(2, len(self.repo.images))
        self.assertEqual([], self.client.api_names())


class ManageImageCacheLeftoversTestCase(test_image.ImageTestBase):

    def test_leftovers_removed_even_when_cache_ageing_is_off(self):
        self.flags(remove_unused_base_images=False, group='image_cache')
        leftovers = imagecache.Leftovers(self.client)
        ops = image.ImageOps(self.client, leftovers=leftovers)
        leftovers.abandon(SNAP_IMAGE)
        self.repo.add(SNAP_IMAGE)
        self.repo.add(test_image.IMAGE_ID, atime=1.0)
        self.assertEqual([SNAP_IMAGE], ops.manage_image_cache(self.ctxt, []))
        self.assertEqual([test_image.IMAGE_ID], list(self.repo.images))

    def test_one_query_for_leftovers_and_cache(self):
        self.flags(remove_unused_base_images=True,
                   remove_unused_original_minimum_age_seconds=DAY,
                   group='image_cache')
        leftovers = imagecache.Leftovers(self.client)
        ops = image.ImageOps(self.client, leftovers=leftovers)
        leftovers.abandon(SNAP_IMAGE)
        self.repo.add(SNAP_IMAGE)
        self.repo.add(test_image.IMAGE_ID, atime=1.0)
        self.assertEqual(sorted([SNAP_IMAGE, test_image.IMAGE_ID]),
                         sorted(ops.manage_image_cache(self.ctxt, [])))
        self.assertEqual({}, self.repo.images)
        self.assertEqual(1, self.client.count('image_query'))
