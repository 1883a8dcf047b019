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

"""The connector as its own user (``--connector-user``), as on real z/VM.

The real sdkserver runs as ``zvmsdk``: a file nova-compute keeps to itself
cannot be read by it, and the driver's documented same-host deployment
(``connector_file_access = shared`` with ``connector_group``) is what
makes a spawn work. The simulator is started as root and drops to the
user; these tests need root (they are skipped otherwise).
"""

import grp
import os
import pwd
import subprocess
import urllib.parse

from zvmconnector import restclient

from nova_zvm.tests.functional import base

USER = 'nzsimcu'
GROUP = 'nzsimcg'


def ensure_user_in_group():
    """The connector's user, member of the group nova-compute shares."""
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(['groupadd', '--system', GROUP], check=True,
                       capture_output=True)
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(['useradd', '--system', '--no-create-home',
                        '--shell', '/usr/sbin/nologin', USER], check=True,
                       capture_output=True)
    if USER not in grp.getgrnam(GROUP).gr_mem:
        subprocess.run(['usermod', '-a', '-G', GROUP, USER], check=True,
                       capture_output=True)


class ConnectorUserTestCase(base.ZVMFunctionalTestCase):

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest('--connector-user needs root')
        ensure_user_in_group()
        super(ConnectorUserTestCase, self).setUp()

    def _setup_services(self):
        # The driver's documented deployment when nova-compute and the
        # connector share one Linux guest (doc/source/install/configure).
        self.flags(connector_file_access='shared', connector_group=GROUP,
                   group='zvm')
        super(ConnectorUserTestCase, self)._setup_services()

    def start_simulator(self, host, **options):
        # The connector's user must reach its state directory (the test's
        # temporary folder is root's 0700); what it reads of
        # image_tmp_path is the driver's business (0750, the group).
        os.chmod(self.tmp, 0o755)
        options.setdefault('connector_user', USER)
        return super(ConnectorUserTestCase, self).start_simulator(
            host, **options)

    def rest_client(self, host='compute1'):
        url = urllib.parse.urlparse(self.simulators[host].url)
        return restclient.RESTClient(url.hostname, url.port)

    def test_connector_runs_as_its_user(self):
        with open('/proc/%d/status' % self.simulators['compute1'].pid) as f:
            uids = [line.split()[1:] for line in f
                    if line.startswith('Uid:')][0]
        self.assertEqual([str(pwd.getpwnam(USER).pw_uid)] * 4, uids)

    def test_file_only_nova_compute_can_read_is_refused(self):
        private = os.path.join(self.tmp, 'private.img')
        with open(private, 'wb') as f:
            f.write(b'\0' * 4096)
        os.chmod(private, 0o600)
        answer = self.rest_client().call(
            'image_import', 'private', 'file://' + private,
            {'os_version': 'rhel8.4'})
        # zvmsdk's imageops: the local copy fails with EACCES, answered
        # 300/40/300/12 (as a real connector running as zvmsdk does).
        self.assertEqual((300, 40, 300, 12), tuple(
            answer[k] for k in ('overallRC', 'modID', 'rc', 'rs')), answer)
        self.assertIn('Permission denied', answer['errmsg'])
        self.assertEqual({}, self.admin().inventory()['images'])

    def test_shared_deployment_spawns_and_deletes(self):
        server = self.boot(name='cu-shared')
        guest = self.guest(server)
        # The connector (as its user) read the driver's config drive and
        # the guest configured itself from it.
        self.assertEqual(server['id'], guest['config_drive']['uuid'])
        # The files the driver shared are gone again, none open to others.
        for root, dirs, files in os.walk(self.image_tmp):
            for name in dirs + files:
                mode = os.stat(os.path.join(root, name)).st_mode
                self.assertEqual(0, mode & 0o007, name)
        self._delete_server(server)
        self.assertNotIn(guest['userid'], [
            g['userid'] for g in self.admin().inventory()['guests']])
