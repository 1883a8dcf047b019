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

"""The remote host's scp (remote.py): copies as the named user would."""

import os
import pwd
import shutil
import tempfile

import fixtures
from oslotest import base

from nova_zvm.simulator.zvm import remote


class ScpTest(base.BaseTestCase):

    def setUp(self):
        super(ScpTest, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.src = os.path.join(self.tmp, 'cfgdrive.iso')
        with open(self.src, 'wb') as f:
            f.write(b'config drive')
        os.chmod(self.src, 0o600)
        self.me = pwd.getpwuid(os.geteuid()).pw_name
        self.dst = os.path.join(self.tmp, 'copy')

    def _scp(self, remote_side, local_side, from_remote=True):
        args = ['-B', '-P', '22', '-o StrictHostKeyChecking=no']
        if from_remote:
            return remote.scp(args + [remote_side, local_side])
        return remote.scp(args + [local_side, remote_side])

    def test_copy_from_this_machine_as_its_user(self):
        rc, out = self._scp('%s@127.0.0.1:%s' % (self.me, self.src),
                            self.dst)
        self.assertEqual((0, ''), (rc, out))
        with open(self.dst, 'rb') as f:
            self.assertEqual(b'config drive', f.read())

    def test_copy_to_this_machine(self):
        open(self.dst, 'w').close()
        rc, _out = self._scp('%s@localhost:%s' % (self.me, self.dst),
                             self.src, from_remote=False)
        self.assertEqual(0, rc)
        with open(self.dst, 'rb') as f:
            self.assertEqual(b'config drive', f.read())

    def test_another_host_is_refused(self):
        rc, out = self._scp('%s@192.0.2.1:%s' % (self.me, self.src),
                            self.dst)
        self.assertEqual(1, rc)
        self.assertIn('Connection refused', out)
        self.assertFalse(os.path.exists(self.dst))

    def test_missing_file(self):
        rc, out = self._scp('%s@127.0.0.1:%s' % (self.me, self.src + 'x'),
                            self.dst)
        self.assertEqual(1, rc)
        self.assertIn('scp:', out)

    def test_unknown_user_is_denied(self):
        rc, out = self._scp('no-such-user-x@127.0.0.1:%s' % self.src,
                            self.dst)
        self.assertEqual(1, rc)
        self.assertIn('Permission denied', out)

    def test_the_named_user_needs_read_access(self):
        # As root (CI), the copy is made as that user: a 0600 file of
        # root's is not readable by nobody, as over a real ssh login.
        if os.geteuid() != 0:
            self.skipTest('switching user needs root')
        # Outside the test's private TMPDIR (0700), which nobody cannot
        # cross.
        folder = tempfile.mkdtemp(dir='/tmp')
        self.addCleanup(shutil.rmtree, folder)
        os.chmod(folder, 0o755)
        src = os.path.join(folder, 'cfgdrive.iso')
        shutil.copyfile(self.src, src)
        os.chmod(src, 0o600)
        rc, out = remote._copy_as('nobody', src, self.dst, True)
        self.assertEqual(1, rc)
        self.assertIn('Permission denied', out)
        os.chmod(src, 0o644)
        rc, out = remote._copy_as('nobody', src, self.dst, True)
        self.assertEqual((0, ''), (rc, out))
