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

"""Long calls without an answer, through Nova's API: z/VM is asked.

The simulator runs the call and then drops the HTTP connection (``drop``
with ``execute``), or answers after the client gave up (``hang``). The
server ends ACTIVE when the call had actually done its work, or in ERROR
with a fault saying what happened and nothing left; the images a failed
operation leaves in the connector's repository are removed by the image
cache manager (the leak check of the base class runs after every test).
"""

import os
import time
import uuid

from nova import context

from nova_zvm.simulator import images as sim_images
from nova_zvm.tests.functional import base
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm.migration import rootimage


class ImagesMixin(object):

    def images(self):
        return self.admin().inventory()['images']

    def manage_image_cache(self):
        driver = self.computes['compute1'].manager.driver
        driver.manage_image_cache(context.get_admin_context(), [])


class LostAnswerTestCase(ImagesMixin, base.ZVMFunctionalTestCase):

    def test_create_that_ran_without_answer_ends_active(self):
        image_id = self.create_zvm_image()
        self.admin().add_fault('guest_create:drop,times=1,execute=true')
        server = self.boot(image_id)
        guest = self.guest(server)
        self.assertEqual('on', guest['power_state'])
        self.assertEqual(1, self.admin().counters()['requests'][
            'guest_create'])
        self._delete_server(server)
        self.assertEqual({}, self.admin().inventory()['guests'])

    def test_deploy_without_answer_ends_in_error_with_nothing_left(self):
        image_id = self.create_zvm_image()
        self.admin().add_fault('guest_deploy:drop,times=1,execute=true')
        server = self.boot(image_id, expected='ERROR')
        self.assertIn('guest_deploy gave no answer',
                      server['fault']['message'])
        inv = self.admin().inventory()
        self.assertEqual({}, inv['guests'])
        self.assertEqual(0, inv['disk_pool']['used'])
        self._delete_server(server)

    def test_import_that_ran_without_answer_ends_active(self):
        image_id = self.create_zvm_image()
        self.admin().add_fault('image_import:drop,times=1,execute=true')
        server = self.boot(image_id)
        self.assertEqual('on', self.guest(server)['power_state'])
        self.assertIn(image_id, self.images())
        self.assertEqual(1, self.admin().counters()['requests'][
            'image_import'])
        self._delete_server(server)

    def test_capture_that_ran_without_answer_completes_the_snapshot(self):
        server = self.boot()
        self.admin().add_fault('guest_capture:drop,times=1,execute=true')
        image = self.snapshot(server, 'snap-lost-answer')
        self.assertEqual('snapshot', image['properties']['image_location'])
        self.assertEqual([], [name for name in self.images()
                              if name.startswith(imagecache.SNAPSHOT_PREFIX)])
        self._delete_server(server)

    def test_orphaned_migration_image_is_removed(self):
        # A root disk image of a migration this cloud does not know (its
        # record gone), as a failed resize may leave.
        name = rootimage.IMAGE_PREFIX + str(uuid.uuid4())
        path = os.path.join(self.tmp, 'orphan.img')
        sim_images.write_image(path, disk_type='ECKD', size='10',
                               payload=b'orphan')
        result = self.connector().call(
            'image_import', name, 'file://' + path,
            {'os_version': base.OS_DISTRO})
        self.assertEqual(0, result['overallRC'], result)
        self.assertIn(name, self.images())
        self.manage_image_cache()
        self.assertNotIn(name, self.images())


class LateCaptureTestCase(ImagesMixin, base.ZVMFunctionalTestCase):
    """A snapshot whose capture answers after the client gave up.

    Nova casts the snapshot to the compute host: with casts turned into
    calls (the harness's default), Nova 32's API would answer 500 for the
    compute host's failure, which a real cloud never does.
    """

    CAST_AS_CALL = False

    def test_capture_answering_too_late_leaves_no_image(self):
        server = self.boot()
        # The capture runs once the client has given up on it.
        self.flags(long_read_timeout=1, group='zvm')
        self.restart_compute()
        self.admin().add_fault('guest_capture:hang,times=1,seconds=3')
        resp = self.api.post_server_action(
            server['id'], {'createImage': {'name': 'snap-late'}})
        snap = imagecache.SNAPSHOT_PREFIX + resp['image_id']
        self._wait_for_server_parameter(
            server, {'OS-EXT-STS:task_state': None, 'status': 'ACTIVE'})
        # Nova deleted the Glance image of the failed snapshot.
        self.assertNotIn(resp['image_id'], self.glance.images)
        deadline = time.monotonic() + 30
        while snap not in self.images():
            self.assertLess(time.monotonic(), deadline,
                            'the late capture never made its image')
            time.sleep(0.2)
        # The next pass of the image cache manager removes it.
        self.manage_image_cache()
        self.assertNotIn(snap, self.images())
        self._delete_server(server)
