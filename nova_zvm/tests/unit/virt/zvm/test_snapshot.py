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

"""Tests of snapshots: capture, export, upload, and what a failure leaves.

The connector's image repository is test_image's FakeRepository; Glance is
Nova's GlanceFixture; files are real, in a temporary image_tmp_path.
"""

import copy
import os
import stat
import threading
import time

import fixtures

from nova.compute import task_states
from nova import exception
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_image
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm import snapshot
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import undo

SNAP_ID = test_image.SNAP_ID
OTHER_ID = test_image.OTHER_ID
SNAP_CONTENT = test_image.SNAP_CONTENT
CAPTURED = imagecache.SNAPSHOT_PREFIX + SNAP_ID
failure = test_image.failure
not_found = test_image.not_found


class SnapshotTestBase(test_image.ImageTestBase):

    def setUp(self):
        super(SnapshotTestBase, self).setUp()
        self.make_ops()

    def make_ops(self):
        self.image_ops = image.ImageOps(self.client)
        self.leftovers = imagecache.Leftovers(self.client)
        self.ops = snapshot.SnapshotOps(self.client, self.image_ops,
                                        self.leftovers)


class SnapshotTestCase(SnapshotTestBase):

    def setUp(self):
        super(SnapshotTestCase, self).setUp()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, project_id='proj-1')
        self.instance.system_metadata = {'image_os_distro': 'sles15'}
        self.glance.create(self.ctxt, {'id': SNAP_ID, 'name': 'snap',
                                       'status': 'queued',
                                       'properties': {'kept': 'yes'}})
        self.task_states = []
        self.uploads = []
        real_update = self.glance.update

        def update(ctxt, image_id, meta, data=None, purge_props=True):
            chunks = []
            if data is not None:
                self.assertEqual('rb', data.mode)
                for chunk in iter(lambda: data.read(4096), b''):
                    chunks.append(chunk)
            self.uploads.append({'id': image_id, 'meta': copy.deepcopy(meta),
                                 'data': b''.join(chunks),
                                 'purge_props': purge_props})
            return real_update(ctxt, image_id, meta, purge_props=purge_props)
        self.glance.update = update

    def _update_task_state(self, task_state, expected_state=None):
        self.task_states.append((task_state, expected_state))

    def _snapshot(self):
        self.ops.snapshot(self.ctxt, self.instance, SNAP_ID,
                          self._update_task_state)

    def test_snapshot_sequence(self):
        self._snapshot()
        self.assertTrue(self.client.made('guest_capture', 'OS000001',
                                         CAPTURED))
        # The repository's export fails for an image not captured yet.
        [export] = self.client.args_of('image_export')
        self.assertEqual(CAPTURED, export[0])
        self.assertTrue(export[1].startswith('file://' + self.tmp_path))
        self.assertEqual([(task_states.IMAGE_PENDING_UPLOAD, None),
                          (task_states.IMAGE_UPLOADING,
                           task_states.IMAGE_PENDING_UPLOAD)],
                         self.task_states)
        # Nothing left on the connector or on disk.
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_uploads_binary_content(self):
        self._snapshot()
        self.assertEqual(1, len(self.uploads))
        self.assertEqual(SNAP_CONTENT, self.uploads[0]['data'])
        self.assertFalse(self.uploads[0]['purge_props'])

    def test_snapshot_metadata(self):
        self._snapshot()
        meta = self.uploads[0]['meta']
        self.assertEqual('raw', meta['disk_format'])
        self.assertEqual('bare', meta['container_format'])
        self.assertEqual({'image_location': 'snapshot',
                          'image_state': 'available',
                          'owner_id': 'proj-1',
                          'os_distro': 'rhel9.2',
                          'architecture': 's390x',
                          'hypervisor_type': 'zvm'}, meta['properties'])
        stored = self.glance.images[SNAP_ID]['properties']
        self.assertEqual('yes', stored['kept'])   # purge_props=False

    def test_os_distro_falls_back_to_instance(self):
        real_export = self.repo.export

        def export(name, dest_url):
            answer = real_export(name, dest_url)
            answer['os_version'] = ''
            return answer
        self.client.answers['image_export'] = export
        self._snapshot()
        self.assertEqual('sles15',
                         self.uploads[0]['meta']['properties']['os_distro'])

    def test_export_target_writable_by_group(self):
        real_export = self.repo.export
        modes = []

        def export(name, dest_url):
            modes.append(stat.S_IMODE(os.stat(dest_url[7:]).st_mode))
            return real_export(name, dest_url)
        self.client.answers['image_export'] = export
        self._snapshot()
        self.assertEqual([0o660], modes)

    def test_creates_missing_tmp_dir(self):
        self.assertFalse(os.path.exists(self.tmp_path))
        self._snapshot()
        self.assertTrue(os.path.isdir(self.tmp_path))

    def _assert_cleaned_up(self):
        self.assertTrue(self.client.made('image_delete', CAPTURED))
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())
        # Nova's manager deletes the Glance image (delete_image_on_error);
        # the driver must not, or it is deleted twice.
        self.assertIn(SNAP_ID, self.glance.images)

    def test_capture_failure_cleans_up(self):
        def capture(userid, name):
            self.repo.add(name)          # a half-made image
            raise failure('guest_capture', 300, 10, 5, args=(userid, name))
        self.client.answers['guest_capture'] = capture
        self.assertRaises(zvm_exc.ConnectorError, self._snapshot)
        self.assertNotIn('image_export', self.client.api_names())
        self.assertEqual([], self.uploads)
        self.assertEqual([(task_states.IMAGE_PENDING_UPLOAD, None)],
                         self.task_states)
        self._assert_cleaned_up()

    def test_guest_gone_reaches_manager_as_instance_not_found(self):
        self.client.answers['guest_capture'] = zvm_exc.from_result(
            'guest_capture', {'overallRC': 404, 'modID': 10, 'rs': 1},
            args=('OS000001', SNAP_ID))
        self.assertRaises(exception.InstanceNotFound, self._snapshot)
        self._assert_cleaned_up()

    def test_export_failure_cleans_up(self):
        self.client.answers['image_export'] = failure(
            'image_export', 300, 40, 22, args=(SNAP_ID,))
        self.assertRaises(zvm_exc.ConnectorError, self._snapshot)
        self.assertEqual(1, self.client.count('image_export'))
        self.assertEqual([], self.uploads)
        self._assert_cleaned_up()

    def test_export_partial_file_removed(self):
        def export(name, dest_url):
            with open(dest_url[7:], 'wb') as f:
                f.write(b'partial')
            raise failure('image_export', 300, 40, 22, args=(name,))
        self.client.answers['image_export'] = export
        self.assertRaises(zvm_exc.ConnectorError, self._snapshot)
        self._assert_cleaned_up()

    def test_connector_image_not_found_is_not_glance_not_found(self):
        # The manager would take ImageNotFound for "the Glance image is
        # gone" and leave a queued Glance image behind.
        self.client.answers['image_export'] = not_found('image_export',
                                                        SNAP_ID)
        err = self.assertRaises(exception.NovaException, self._snapshot)
        self.assertNotIsInstance(err, exception.ImageNotFound)
        self._assert_cleaned_up()

    def test_upload_failure_cleans_up(self):
        def update(*args, **kwargs):
            raise exception.ImageNotAuthorized(image_id=SNAP_ID)
        self.glance.update = update
        self.assertRaises(exception.ImageNotAuthorized, self._snapshot)
        self._assert_cleaned_up()

    def test_instance_deleted_during_snapshot_cleans_up(self):
        def update_task_state(task_state, expected_state=None):
            if task_state == task_states.IMAGE_UPLOADING:
                raise exception.UnexpectedDeletingTaskStateError(
                    instance_uuid=self.instance.uuid, expected='x',
                    actual='deleting')
        self.assertRaises(exception.UnexpectedDeletingTaskStateError,
                          self.ops.snapshot, self.ctxt, self.instance,
                          SNAP_ID, update_task_state)
        self.assertEqual([], self.uploads)
        self._assert_cleaned_up()

    def test_cleanup_failure_after_upload_does_not_fail_snapshot(self):
        self.client.answers['image_delete'] = zvm_exc.ConnectorBusy(
            'image_delete', {'overallRC': 503, 'modID': 120, 'rs': 1})
        self._snapshot()
        self.assertEqual(SNAP_CONTENT, self.uploads[0]['data'])
        self.assertEqual([], self.tmp_files())


class DeployCaptureSlotTestCase(SnapshotTestBase):
    """[zvm] max_concurrent_deploy_capture bounds captures (and deploys)."""

    def _snapshot_thread(self, instance_id, snap_id, errors):
        instance = fake_instance.fake_instance_obj(self.ctxt, id=instance_id)
        self.glance.create(self.ctxt, {'id': snap_id, 'name': 's',
                                       'status': 'queued'})

        def run():
            try:
                self.ops.snapshot(self.ctxt, instance, snap_id,
                                  lambda *a, **k: None)
            except Exception as err:
                errors.append(err)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def _two_captures(self, limit):
        self.flags(max_concurrent_deploy_capture=limit, group='zvm')
        self.make_ops()
        capturing = threading.Event()
        release = threading.Event()
        concurrent = []
        running = []

        def capture(userid, name):
            running.append(userid)
            concurrent.append(len(running))
            capturing.set()
            self.assertTrue(release.wait(10))
            running.remove(userid)
            self.repo.capture(userid, name)
        self.client.answers['guest_capture'] = capture
        errors = []
        first = self._snapshot_thread(1, SNAP_ID, errors)
        self.assertTrue(capturing.wait(10))
        second = self._snapshot_thread(2, OTHER_ID, errors)
        time.sleep(0.2)
        started_while_busy = self.client.count('guest_capture')
        release.set()
        first.join(10)
        second.join(10)
        self.assertEqual([], errors)
        self.assertEqual(2, self.client.count('guest_capture'))
        return started_while_busy, max(concurrent)

    def test_limit_one_serialises_captures(self):
        self.assertEqual((1, 1), self._two_captures(1))

    def test_captures_run_in_parallel_below_limit(self):
        self.assertEqual((2, 2), self._two_captures(2))

    def test_slot_released_on_failure(self):
        self.flags(max_concurrent_deploy_capture=1, group='zvm')
        self.make_ops()
        self.client.answers['guest_capture'] = failure(
            'guest_capture', 300, 10, 5, args=('OS000001', SNAP_ID))
        instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.assertRaises(zvm_exc.ConnectorError, self.ops.snapshot,
                          self.ctxt, instance, SNAP_ID,
                          lambda *a, **k: None)
        # Free again (a leaked slot would block every later capture).
        self.assertTrue(self.image_ops._deploy_capture.acquire(blocking=False))


class SnapshotRollbackTestCase(SnapshotTestBase):
    """Each undo step of a failed snapshot fails in turn; what is kept."""

    def setUp(self):
        super(SnapshotRollbackTestCase, self).setUp()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.glance.create(self.ctxt, {'id': SNAP_ID, 'name': 'snap',
                                       'status': 'queued'})

        def update(*args, **kwargs):
            raise exception.ImageNotAuthorized(image_id=SNAP_ID)
        # The last step fails: both undo steps are pending.
        self.glance.update = update

    def _snapshot(self):
        return self.assertRaises(
            exception.NovaException, self.ops.snapshot, self.ctxt,
            self.instance, SNAP_ID, lambda *a, **k: None)

    def test_complete_rollback_leaves_nothing(self):
        err = self._snapshot()
        self.assertIsInstance(err, exception.ImageNotAuthorized)
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_file_removal_fails_keeps_file_and_image(self):
        real_remove = tmpfiles.remove_tmp_file

        def remove(path):
            raise OSError('read-only file system')
        self.useFixture(fixtures.MockPatchObject(tmpfiles, 'remove_tmp_file',
                                                 side_effect=remove))
        err = self._snapshot()
        # Stopped at the newest undo: the older one (delete the image)
        # is not run, and the fault says so.
        self.assertIsInstance(err, undo.RollbackIncomplete)
        self.assertIn(CAPTURED, self.repo.images)
        self.assertEqual(1, len(self.tmp_files()))
        self.assertIn('remove the exported file', str(err))
        self.assertIn('Not done: remove the exported file', str(err))
        self.assertIn('delete the captured image %s' % CAPTURED, str(err))
        self.assertNotIn('image_delete', self.client.api_names())
        # The image cache manager removes the image (and the file, aged).
        self.assertEqual([CAPTURED], self.leftovers.remove(
            self.ctxt, self.repo.query()))
        self.assertEqual({}, self.repo.images)
        real_remove(os.path.join(self.tmp_path, self.tmp_files()[0]))

    def test_image_delete_fails_keeps_the_image(self):
        self.client.answers['image_delete'] = failure(
            'image_delete', 300, 40, 30, args=(CAPTURED,))
        err = self._snapshot()
        self.assertIsInstance(err, undo.RollbackIncomplete)
        self.assertEqual([], self.tmp_files())
        self.assertIn(CAPTURED, self.repo.images)
        self.assertEqual(["not done: delete the captured image %s (the "
                          "connector's image repository and [zvm] "
                          "image_tmp_path of this compute host)" % CAPTURED],
                         err.left)
        # A later pass of the image cache manager removes it.
        self.client.answers['image_delete'] = self.repo.delete
        self.assertEqual([CAPTURED], self.leftovers.remove(
            self.ctxt, self.repo.query()))
        self.assertEqual({}, self.repo.images)


class LostCaptureAnswerTestCase(SnapshotTestBase):
    """guest_capture without an answer: the repository is asked."""

    def setUp(self):
        super(LostCaptureAnswerTestCase, self).setUp()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.glance.create(self.ctxt, {'id': SNAP_ID, 'name': 'snap',
                                       'status': 'queued'})

    def _lose_answer(self, runs):
        def capture(userid, name, **kwargs):
            if runs:
                self.repo.capture(userid, name)
            raise fakes.unreachable('guest_capture')
        self.client.answers['guest_capture'] = capture

    def test_capture_that_ran_completes_the_snapshot(self):
        self._lose_answer(runs=True)
        self.ops.snapshot(self.ctxt, self.instance, SNAP_ID,
                          lambda *a, **k: None)
        # The repository was asked, then the snapshot went on.
        self.assertEqual(1, self.client.count('image_query'))
        self.assertEqual(1, self.client.count('image_export'))
        self.assertTrue(self.client.made('image_delete', CAPTURED))
        # Uploaded: Glance has the snapshot's metadata.
        self.assertEqual('snapshot', self.glance.images[SNAP_ID][
            'properties']['image_location'])
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())

    def test_capture_not_done_fails_and_its_late_image_is_removed(self):
        self._lose_answer(runs=False)
        err = self.assertRaises(exception.NovaException, self.ops.snapshot,
                                self.ctxt, self.instance, SNAP_ID,
                                lambda *a, **k: None)
        self.assertIn('guest_capture gave no answer', str(err))
        self.assertIn('no complete image %s' % CAPTURED, str(err))
        self.assertEqual({}, self.repo.images)
        self.assertEqual([], self.tmp_files())
        # The capture was still running: its image appears afterwards,
        # new, and the next pass of the image cache manager removes it.
        self.repo.capture('OS000001', CAPTURED)
        self.assertEqual([CAPTURED], self.leftovers.remove(
            self.ctxt, self.repo.query()))
        self.assertEqual({}, self.repo.images)
