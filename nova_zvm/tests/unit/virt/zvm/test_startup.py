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

import fixtures
import nova.conf
from nova import exception
from nova import test

from nova_zvm.virt.zvm import startup

CONF = nova.conf.CONF


class NovaVersionTestCase(test.NoDBTestCase):

    def test_installed_nova_is_supported(self):
        startup.check_nova_version()

    def test_supported_versions(self):
        for version in ('32.0.0', '32.2.1', '33.0.2', '34.0.0', '34.1.2',
                        '34.0.0.0rc1', '32.0.0.0rc1'):
            startup.check_nova_version(version)

    def test_unsupported_versions_are_named(self):
        for version in ('31.2.0', '31.0.0.0rc1', '35.0.0', '35.0.0.0b1',
                        'garbage'):
            err = self.assertRaises(exception.InvalidConfiguration,
                                    startup.check_nova_version, version)
            self.assertIn(version, str(err))
            self.assertIn('supports Nova 32.x to 34.x only', str(err))


class OptionsTestCase(test.NoDBTestCase):

    def setUp(self):
        super(OptionsTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(cloud_connector_url='https://zcc.example.com:8080',
                   group='zvm')
        self.flags(instance_name_template='OS%06x')

    def _assert_fails(self, option, *fragments):
        err = self.assertRaises(exception.InvalidConfiguration,
                                startup.check_options, CONF)
        self.assertIn(option, str(err))
        for fragment in fragments:
            self.assertIn(fragment, str(err))

    def test_good_options(self):
        startup.check_options(CONF)

    def test_missing_url(self):
        self.flags(cloud_connector_url=None, group='zvm')
        self._assert_fails('[zvm] cloud_connector_url', 'must be set')

    def test_malformed_url(self):
        for url in ('ftp://zcc', 'ldap://zcc.example.com'):
            self.flags(cloud_connector_url=url, group='zvm')
            self._assert_fails('[zvm] cloud_connector_url', url)

    def test_bad_port(self):
        self.flags(cloud_connector_url='http://zcc:99999', group='zvm')
        self._assert_fails('[zvm] cloud_connector_url', 'port')

    def test_missing_ca_file(self):
        path = os.path.join(self.tmp, 'nope.pem')
        self.flags(ca_file=path, group='zvm')
        self._assert_fails('[zvm] ca_file', path, 'does not exist')

    def test_unreadable_token_file(self):
        path = os.path.join(self.tmp, 'token')
        with open(path, 'w') as f:
            f.write('secret')
        self.useFixture(fixtures.MockPatch(
            'os.access', side_effect=lambda p, m: p != path))
        self.flags(connector_token_file=path, group='zvm')
        self._assert_fails('[zvm] connector_token_file', 'not readable')

    def test_readable_files_accepted(self):
        path = os.path.join(self.tmp, 'token')
        with open(path, 'w') as f:
            f.write('secret')
        self.flags(connector_token_file=path, ca_file=path, group='zvm')
        startup.check_options(CONF)

    def test_bad_name_template(self):
        self.flags(instance_name_template='instance-%08x')
        self._assert_fails('[DEFAULT] instance_name_template',
                           'instance-00000001')

    def test_vfat_config_drive_refused(self):
        self.flags(config_drive_format='vfat')
        self._assert_fails('[DEFAULT] config_drive_format', 'iso9660')
