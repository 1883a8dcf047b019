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

import os
import shutil

import fixtures
from nova import test
from oslo_concurrency import processutils

from nova_zvm.virt.zvm.migration import transfer


class FakeShell(object):
    """processutils.execute for ssh, scp and rsync to one other host.

    ``shared``: the other host sees this host's files (a touch there makes
    the file here). ``remote_dir``: where a copy to the other host lands.
    ``fail``: the command name that fails.
    """

    def __init__(self, shared=False, remote_dir=None, fail=None):
        self.shared = shared
        self.remote_dir = remote_dir
        self.fail = fail
        self.commands = []

    def __call__(self, *cmd, **kwargs):
        self.commands.append(cmd)
        if self.fail == cmd[0]:
            raise processutils.ProcessExecutionError(
                exit_code=255, cmd=' '.join(cmd),
                stderr='ssh: connect to host: No route to host')
        if cmd[0] == 'ssh' and cmd[4] == 'touch' and self.shared:
            open(cmd[5], 'w').close()
        if cmd[0] in ('scp', 'rsync') and self.remote_dir:
            # The tools stream the file; so does this stand-in.
            src = cmd[-2]
            dst = os.path.join(self.remote_dir, os.path.basename(src))
            with open(src, 'rb') as fin, open(dst, 'wb') as fout:
                shutil.copyfileobj(fin, fout, 64 * 1024)
        return '', ''


class TransferTestCase(test.NoDBTestCase):

    def setUp(self):
        super(TransferTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.images = os.path.join(self.tmp, 'images')
        self.flags(image_tmp_path=self.images, group='zvm')
        self.flags(my_ip='192.0.2.1')

    def _shell(self, **kwargs):
        shell = FakeShell(**kwargs)
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        return shell

    def test_this_machine_shares_without_asking(self):
        shell = self._shell()
        self.assertTrue(transfer.shares_tmp_path_with('192.0.2.1'))
        self.assertEqual([], shell.commands)

    def test_declared_shared_without_asking(self):
        self.flags(image_tmp_path_shared=True, group='zvm')
        shell = self._shell()
        self.assertTrue(transfer.shares_tmp_path_with('192.0.2.7'))
        self.assertEqual([], shell.commands)

    def test_marker_seen_here_means_shared(self):
        shell = self._shell(shared=True)
        self.assertTrue(transfer.shares_tmp_path_with('192.0.2.7'))
        self.assertEqual(('ssh', '-o', 'BatchMode=yes', '192.0.2.7',
                          'mkdir', '-p', self.images), shell.commands[0])
        marker = shell.commands[1][5]
        self.assertEqual(self.images, os.path.dirname(marker))
        self.assertTrue(os.path.basename(marker).startswith('nova-zvm-'))
        # Removed here, where it was seen; nothing else asked remotely.
        self.assertEqual(2, len(shell.commands))
        self.assertEqual([], os.listdir(self.images))

    def test_marker_not_seen_means_copy_and_is_removed_there(self):
        shell = self._shell(shared=False)
        self.assertFalse(transfer.shares_tmp_path_with('192.0.2.7'))
        marker = shell.commands[1][5]
        self.assertEqual(('ssh', '-o', 'BatchMode=yes', '192.0.2.7', 'rm',
                          '-f', marker), shell.commands[2])

    def test_unreachable_destination_raises(self):
        self._shell(fail='ssh')
        self.assertRaises(processutils.ProcessExecutionError,
                          transfer.shares_tmp_path_with, '192.0.2.7')

    def test_copy_is_streamed_by_scp_to_the_same_path(self):
        remote = os.path.join(self.tmp, 'remote')
        os.makedirs(remote)
        os.makedirs(self.images)
        path = os.path.join(self.images, 'nova-zvm-migration-x.img')
        payload = os.urandom(300 * 1024)
        with open(path, 'wb') as f:
            f.write(payload)
        shell = self._shell(remote_dir=remote)
        transfer.copy_to('192.0.2.7', path)
        self.assertEqual([('scp', '-o', 'BatchMode=yes', path,
                           '192.0.2.7:' + path)], shell.commands)
        with open(os.path.join(remote, os.path.basename(path)), 'rb') as f:
            self.assertEqual(payload, f.read())

    def test_copy_with_rsync(self):
        self.flags(remote_copy_transport='rsync', group='zvm')
        shell = self._shell()
        transfer.copy_to('192.0.2.7', '/x/nova-zvm-migration-y.img')
        self.assertEqual([('rsync', '--sparse', '-e', 'ssh -o BatchMode=yes',
                           '/x/nova-zvm-migration-y.img',
                           '192.0.2.7:/x/nova-zvm-migration-y.img')],
                         shell.commands)

    def test_ipv6_destination_in_brackets(self):
        self.assertEqual('[fd00::7]:/x/f',
                         transfer.remote_path('fd00::7', '/x/f'))

    def test_remove_from(self):
        shell = self._shell()
        transfer.remove_from('192.0.2.7', '/x/f')
        self.assertEqual([('ssh', '-o', 'BatchMode=yes', '192.0.2.7', 'rm',
                           '-f', '/x/f')], shell.commands)
