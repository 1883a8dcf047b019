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

"""The migration image: its name, and the instance that owns it."""

from nova import objects
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm import undo as zvm_undo

USERID = base.USERID
MIG_IMAGE = base.MIG_IMAGE
make_flavor = base.make_flavor


class ImageNameTestCase(test.NoDBTestCase):

    def test_image_name_is_never_taken_for_a_glance_image(self):
        name = rootimage.image_name(objects.Migration(
            uuid=base.MIGRATION_UUID))
        self.assertEqual(MIG_IMAGE, name)
        # The image cache only ages out images named by a Glance id.
        self.assertIsNone(imagecache.GLANCE_ID_RE.match(name))


class RootImagesTestCase(test.NoDBTestCase):

    def setUp(self):
        super(RootImagesTestCase, self).setUp()
        self.client = fakes.FakeClient()
        self.images = rootimage.RootImages(self.client, None)
        self.instance = objects.Instance(system_metadata={})

    def test_deleting_a_gone_image_succeeds(self):
        self.client.answers['image_delete'] = base.image_not_found(
            'image_delete')
        self.images.delete(MIG_IMAGE)
        self.assertTrue(self.client.made('image_delete', MIG_IMAGE))

    def test_nothing_kept_asks_nothing(self):
        self.assertTrue(self.images.delete_kept(self.instance))
        self.assertEqual([], self.client.calls)

    def test_kept_image_survives_a_failed_delete(self):
        self.instance.system_metadata[rootimage.KEPT_IMAGE_KEY] = MIG_IMAGE
        self.client.answers['image_delete'] = fakes.connector_error(
            'image_delete', 500, 1, modid=40)
        self.assertFalse(self.images.delete_kept(self.instance))
        # Still owned: a later delete tries again.
        self.assertEqual(MIG_IMAGE, self.instance.system_metadata[
            rootimage.KEPT_IMAGE_KEY])


class KeptImageTestCase(base.MigrationTestBase):
    """The captured root disk of a same-host resize, owned by its server."""

    def setUp(self):
        super(KeptImageTestCase, self).setUp()
        self.same_host()

    def test_kept_image_is_owned_by_the_instance_until_confirm(self):
        self.migrate(make_flavor('big', root_gb=20))
        self.assertEqual(MIG_IMAGE, self.instance.system_metadata[
            rootimage.KEPT_IMAGE_KEY])
        self.assertNotIn('image_delete', self.src.api_names())
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertTrue(self.src.made('image_delete', MIG_IMAGE))
        self.assertNotIn(rootimage.KEPT_IMAGE_KEY,
                         self.instance.system_metadata)

    def test_deleting_the_server_deletes_an_image_a_failure_kept(self):
        self.src.answers['guest_deploy'] = fakes.connector_error(
            'guest_deploy', 300, 3, errmsg='SMAPI down')
        self.assertRaises(zvm_undo.RollbackIncomplete, self.migrate,
                          make_flavor('big', root_gb=20))
        self.src.calls = []
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        drv = driver.ZVMDriver(self.virtapi, client=self.src)
        # The server's own host (not an evacuated server's old host).
        drv._hostname = self.instance.host
        drv.destroy(self.ctxt, self.instance, [])
        self.assertTrue(self.src.made('guest_delete', USERID))
        self.assertEqual([(MIG_IMAGE,)], self.src.args_of('image_delete'))
        self.assertNotIn(rootimage.KEPT_IMAGE_KEY,
                         self.instance.system_metadata)
        # A retry has nothing more to delete.
        self.src.calls = []
        drv.destroy(self.ctxt, self.instance, [])
        self.assertTrue(self.src.made('guest_delete', USERID))
        self.assertNotIn('image_delete', self.src.api_names())
