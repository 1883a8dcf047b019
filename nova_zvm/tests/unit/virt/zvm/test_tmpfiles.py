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

"""Tests of the driver's temporary files in image_tmp_path and their md5."""

import hashlib
import os
import stat
import time

import fixtures

from nova import test

from nova_zvm.virt.zvm import tmpfiles

CONTENT = b'\x00\xffzVM-DISK\xfe\x80' * 1000


def md5(data):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class TmpPathTestBase(test.NoDBTestCase):

    def setUp(self):
        super(TmpPathTestBase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.tmp_path = os.path.join(self.tmp, 'images')
        self.flags(image_tmp_path=self.tmp_path, group='zvm')
        self.flags(connector_file_access='shared', group='zvm')

    def tmp_files(self):
        if not os.path.isdir(self.tmp_path):
            return []
        return os.listdir(self.tmp_path)


class TmpFileTestCase(TmpPathTestBase):

    def test_unique_names(self):
        paths = {tmpfiles.new_tmp_file('image') for _i in range(5)}
        self.assertEqual(5, len(paths))
        for path in paths:
            self.assertTrue(os.path.basename(path).startswith(
                'nova-zvm-image-'))
            tmpfiles.remove_tmp_file(path)
        self.assertEqual([], self.tmp_files())

    def test_creates_missing_tmp_dir_closed_to_others(self):
        self.assertFalse(os.path.exists(self.tmp_path))
        path = tmpfiles.new_tmp_file('image', suffix='.img')
        self.assertTrue(path.endswith('.img'))
        self.assertEqual(self.tmp_path, os.path.dirname(path))
        mode = stat.S_IMODE(os.stat(self.tmp_path).st_mode)
        self.assertEqual(0, mode & stat.S_IRWXO)
        tmpfiles.remove_tmp_file(path)

    def test_file_for_the_connector_to_write(self):
        read = tmpfiles.new_tmp_file('image')
        written = tmpfiles.new_tmp_file('snapshot', writable=True)
        self.assertEqual(0o640, stat.S_IMODE(os.stat(read).st_mode))
        self.assertEqual(0o660, stat.S_IMODE(os.stat(written).st_mode))
        for path in (read, written):
            tmpfiles.remove_tmp_file(path)

    def test_remove_missing_is_quiet(self):
        tmpfiles.remove_tmp_file(os.path.join(self.tmp, 'nope'))
        tmpfiles.remove_tmp_file(None)
        self.assertEqual([], self.tmp_files())
        self.assertNotIn('Could not remove', self.stdlog.logger.output)

    def test_file_md5_streams(self):
        path = os.path.join(self.tmp, 'f')
        with open(path, 'wb') as f:
            f.write(CONTENT * 300)      # several chunks
        self.assertEqual(md5(CONTENT * 300), tmpfiles.file_md5(path))

    def test_md5_re_is_the_connector_schema(self):
        self.assertTrue(tmpfiles.MD5_RE.match(md5(b'x')))
        self.assertTrue(tmpfiles.MD5_RE.match(md5(b'x').upper()))
        self.assertIsNone(tmpfiles.MD5_RE.match('sha256:abc'))


class SweepTestCase(TmpPathTestBase):

    def make(self, name, mtime):
        os.makedirs(self.tmp_path, exist_ok=True)
        path = os.path.join(self.tmp_path, name)
        with open(path, 'wb') as f:
            f.write(b'x')
        os.utime(path, (mtime, mtime))
        return path

    def test_sweeps_only_old_files_of_ours_not_in_use(self):
        now = time.time()
        old = now - 2 * 24 * 3600
        leftover = self.make('nova-zvm-image-abc', old)
        recent = self.make('nova-zvm-cfgdrive-def.iso', now)
        foreign = self.make('9a1fd07b-3c5e-4a1c-a37b-6d3f7c0e1a11', old)
        in_use = tmpfiles.new_tmp_file('snapshot')
        os.utime(in_use, (old, old))
        folder = os.path.join(self.tmp_path, 'nova-zvm-cfgdrive-xyz')
        os.makedirs(folder)
        os.utime(folder, (old, old))
        self.assertEqual(sorted([leftover, folder]),
                         sorted(tmpfiles.sweep_tmp_files()))
        self.assertFalse(os.path.exists(leftover))
        self.assertFalse(os.path.exists(folder))
        for path in (recent, foreign, in_use):
            self.assertTrue(os.path.exists(path), path)
        tmpfiles.remove_tmp_file(in_use)

    def test_sweep_age_is_a_day(self):
        now = time.time()
        young = self.make('nova-zvm-image-young', now - 23 * 3600)
        self.assertEqual([], tmpfiles.sweep_tmp_files())
        self.assertEqual([young], tmpfiles.sweep_tmp_files(
            now=now + 3600 + 1))

    def test_sweep_without_tmp_dir(self):
        self.assertEqual([], tmpfiles.sweep_tmp_files())
        self.assertFalse(os.path.exists(self.tmp_path))
