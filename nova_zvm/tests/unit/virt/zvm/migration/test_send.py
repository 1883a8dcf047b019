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

"""The source of a move to another host: stop, capture, the file."""

import collections
import os

import fixtures
from nova import exception
from oslo_concurrency import processutils
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.tests.unit.virt.zvm.migration import test_transfer

USERID = base.USERID
MIG_IMAGE = base.MIG_IMAGE
OTHER_IP = base.OTHER_IP
PAYLOAD = base.PAYLOAD
PAYLOAD_MD5 = base.PAYLOAD_MD5
make_flavor = base.make_flavor


class SendTestCase(base.MigrationTestBase):
    """Resize or cold migration to another host: the source."""

    def setUp(self):
        super(SendTestCase, self).setUp()
        self.new_flavor = make_flavor('big', vcpus=2, memory_mb=4096,
                                      root_gb=20)

    def test_source_exports_the_root_disk_for_a_shared_destination(self):
        shell = self.useFixture(fixtures.MockPatchObject(
            processutils, 'execute')).mock
        info = jsonutils.loads(self.migrate(self.new_flavor))
        path = info['path']
        self.assertTrue(self.src.made('guest_stop', USERID))
        self.assertTrue(self.src.made('guest_capture', USERID, MIG_IMAGE,
                                      capture_type='rootonly'))
        self.assertTrue(self.src.made('image_export', MIG_IMAGE,
                                      'file://' + path))
        self.assertEqual([(MIG_IMAGE,)], self.src.args_of('image_delete'))
        names = self.src.api_names()
        # Order is the point: the image leaves the repository only once
        # the file holds the disk.
        self.assertLess(names.index('image_export'),
                        names.index('image_delete'))
        self.assertEqual({'zvm_migration': 1, 'mode': 'move',
                          'image': MIG_IMAGE, 'path': path,
                          'os_distro': 'rhel9.2', 'md5sum': PAYLOAD_MD5,
                          'root_gb': 20, 'ephemerals': [], 'swap_mb': 0}, info)
        self.assertEqual(self.images, os.path.dirname(path))
        with open(path, 'rb') as f:
            self.assertEqual(PAYLOAD, f.read())
        # Same machine: nothing asked over ssh, nothing copied.
        shell.assert_not_called()
        # The source guest stays, stopped, until confirm.
        self.assertNotIn('guest_delete', names)
        self.assertNotIn('guest_start', names)

    def test_destination_with_shared_image_tmp_path_found_by_marker(self):
        shell = test_transfer.FakeShell(shared=True)
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        info = jsonutils.loads(self.migrate(self.new_flavor, dest=OTHER_IP))
        self.assertTrue(os.path.isfile(info['path']))
        self.assertNotIn('scp', [cmd[0] for cmd in shell.commands])

    def test_other_destination_gets_a_streamed_copy(self):
        remote = os.path.join(self.tmp, 'remote')
        os.makedirs(remote)
        shell = test_transfer.FakeShell(remote_dir=remote)
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        info = jsonutils.loads(self.migrate(self.new_flavor, dest=OTHER_IP))
        path = info['path']
        self.assertEqual(('scp', '-o', 'BatchMode=yes', path,
                          OTHER_IP + ':' + path), shell.commands[-1])
        with open(os.path.join(remote, os.path.basename(path)), 'rb') as f:
            self.assertEqual(PAYLOAD, f.read())
        # The local file was only needed for the copy.
        self.assert_no_files()

    def test_failed_copy_rolls_back_both_hosts(self):
        shell = test_transfer.FakeShell(fail='scp')
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        err = self.assertRaises(exception.InstanceFaultRollback,
                                self.migrate, self.new_flavor, dest=OTHER_IP)
        self.assertIn('No route to host', str(err.inner_exception))
        path = shell.commands[-1][-1]
        self.assertEqual(('ssh', '-o', 'BatchMode=yes', OTHER_IP, 'rm', '-f',
                          path), shell.commands[-1])
        # The image and the guest's power are set back here.
        self.assertEqual(2, self.src.count('image_delete'))
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assertNotIn('guest_delete', self.src.api_names())
        self.assert_no_files()

    def _fail_source_at(self, api, *expected_undo):
        self.src.answers[api] = fakes.connector_error(api, 300, 5,
                                                      modid=40)
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          self.new_flavor)
        names = self.src.api_names()
        # What the rollback asked of the connector after the failure.
        self.assertEqual(collections.Counter(expected_undo),
                         collections.Counter(names[names.index(api) + 1:]))
        self.assert_no_files()

    def test_failed_capture_deletes_what_it_left(self):
        self._fail_source_at('guest_capture', 'image_delete', 'guest_start')

    def test_failed_export_removes_the_file(self):
        self._fail_source_at('image_export', 'image_delete', 'guest_start')

    def test_failed_image_delete_rolls_back(self):
        self.src.answers['image_delete'] = fakes.Seq([
            fakes.connector_error('image_delete', 300, 5, modid=40), None])
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          self.new_flavor)
        # Deleted again by the rollback; the guest runs again.
        self.assertEqual(2, self.src.count('image_delete'))
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assert_no_files()

    def test_stopped_guest_stays_stopped_after_a_rollback(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self._fail_source_at('guest_capture', 'image_delete')
