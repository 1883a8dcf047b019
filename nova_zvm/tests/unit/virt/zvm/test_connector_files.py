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

"""How the connector reaches nova-compute's files: remote or shared."""

import getpass
import grp
import os
import stat

import fixtures

from nova import test

from nova_zvm.virt.zvm import connector_files


class ConnectorFilesTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ConnectorFilesTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(image_tmp_path=os.path.join(self.tmp, 'images'),
                   group='zvm')
        self.flags(my_ip='192.0.2.10')

    def test_remote_is_the_default_as_in_tree(self):
        # Nova's in-tree driver: <service user>@<my_ip> on every call.
        host = '%s@192.0.2.10' % getpass.getuser()
        self.assertEqual({'remotehost': host},
                         connector_files.remote_kwargs('guest_deploy'))
        self.assertEqual({'remote_host': host},
                         connector_files.remote_kwargs('image_import'))
        self.assertEqual({'remote_host': host},
                         connector_files.remote_kwargs('image_export'))

    def test_remote_host_option_wins(self):
        self.flags(remote_host='nova@compute1.example.com', group='zvm')
        self.assertEqual({'remotehost': 'nova@compute1.example.com'},
                         connector_files.remote_kwargs('guest_deploy'))

    def test_shared_passes_no_remote_host(self):
        self.flags(connector_file_access='shared', group='zvm')
        self.assertEqual({}, connector_files.remote_kwargs('guest_deploy'))

    def _modes(self, writable):
        with connector_files.private_dir('x', writable=writable) as folder:
            path = os.path.join(folder, 'f')
            open(path, 'w').close()
            connector_files.share(path, writable=writable)
            return (stat.S_IMODE(os.stat(folder).st_mode),
                    stat.S_IMODE(os.stat(path).st_mode), folder)

    def test_remote_files_are_owner_only(self):
        dmode, fmode, folder = self._modes(writable=True)
        self.assertEqual((0o700, 0o600), (dmode, fmode))
        # The folder goes with its content.
        self.assertFalse(os.path.exists(folder))

    def test_shared_files_open_to_the_group_only(self):
        gid = os.getegid()
        self.flags(connector_file_access='shared', group='zvm')
        self.flags(connector_group=grp.getgrgid(gid).gr_name, group='zvm')
        self.assertEqual((0o750, 0o640), self._modes(writable=False)[:2])
        self.assertEqual((0o770, 0o660), self._modes(writable=True)[:2])
        base = os.stat(os.path.join(self.tmp, 'images'))
        self.assertEqual(gid, base.st_gid)
        self.assertEqual(0, stat.S_IMODE(base.st_mode) & stat.S_IRWXO)

    def test_check_unknown_group(self):
        self.flags(connector_file_access='shared', group='zvm')
        self.flags(connector_group='no-such-group-zvm', group='zvm')
        problem = connector_files.check_config()
        self.assertIn('connector_group', problem)
        self.assertIn('no-such-group-zvm', problem)

    def test_check_remote_host_format(self):
        self.flags(remote_host='compute1', group='zvm')
        self.assertIn('<user>@<address>', connector_files.check_config())
        self.flags(remote_host='nova@compute1', group='zvm')
        self.assertIsNone(connector_files.check_config())
