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

import datetime
import os

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures
import nova.conf
from nova import exception
from nova import test
from oslo_config import fixture as config_fixture

from nova_zvm.virt.zvm import startup

CONF = nova.conf.CONF


def write_ca(directory):
    """A self-signed CA certificate in PEM; its path."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'zcc-ca')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    path = os.path.join(directory, 'ca.pem')
    with open(path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return path


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
        self.flags(connector_token_file=path, ca_file=write_ca(self.tmp),
                   group='zvm')
        startup.check_options(CONF)

    def test_ca_file_that_is_not_pem(self):
        path = os.path.join(self.tmp, 'ca.der')
        with open(path, 'wb') as f:
            f.write(b'\x30\x82\x01\x0a not a PEM certificate')
        self.flags(ca_file=path, group='zvm')
        self._assert_fails('[zvm] ca_file', path, 'PEM')

    def test_ca_file_with_a_key_only(self):
        path = os.path.join(self.tmp, 'key.pem')
        with open(path, 'w') as f:
            f.write('-----BEGIN PRIVATE KEY-----\nAAAA\n'
                    '-----END PRIVATE KEY-----\n')
        self.flags(ca_file=path, group='zvm')
        self._assert_fails('[zvm] ca_file', 'PEM')

    def test_bad_name_template(self):
        self.flags(instance_name_template='instance-%08x')
        self._assert_fails('[DEFAULT] instance_name_template',
                           'instance-00000001')

    def test_vfat_config_drive_refused(self):
        self.flags(config_drive_format='vfat')
        self._assert_fails('[DEFAULT] config_drive_format', 'iso9660')


class OptionValuesTestCase(test.NoDBTestCase):
    """Values as they come from nova.conf, checked before the driver runs."""

    def setUp(self):
        super(OptionValuesTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com',
                   group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.conf = self.useFixture(config_fixture.Config(CONF))

    def _assert_fails(self, option, value, *fragments):
        # As if read from the [zvm] section of nova.conf.
        self.conf.load_raw_values(group='zvm', **{option: value})
        err = self.assertRaises(exception.InvalidConfiguration,
                                startup.check_options, CONF)
        message = str(err)
        self.assertIn('[zvm] %s' % option, message)
        self.assertEqual(1, len(message.splitlines()), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_good_raw_values(self):
        self.conf.load_raw_values(group='zvm', read_timeout='12.5',
                                  retry_attempts='20',
                                  disk_pool='FBA:POOL_1',
                                  user_profile='OSDFLT',
                                  guest_max_memory='64G')
        startup.check_options(CONF)
        self.assertEqual(12.5, CONF.zvm.read_timeout)
        self.assertEqual('FBA:POOL_1', CONF.zvm.disk_pool)

    def test_float_that_is_not_a_number(self):
        self._assert_fails('read_timeout', 'abc', "'abc'",
                           'a number of at least 1.0')

    def test_integer_out_of_range(self):
        self._assert_fails('retry_attempts', '99', 'from 0 to 20')

    def test_malformed_disk_pools(self):
        for pool in ('POOL1', 'ECKD-POOL1', 'SCSI:POOL1', 'ECKD:',
                     'ECKD:POOLNAME9', 'ECKD:POOL1:X'):
            self._assert_fails('disk_pool', pool, 'TYPE:NAME', 'ECKD or FBA',
                               'ECKD:POOL1')

    def test_user_profile_too_long(self):
        self._assert_fails('user_profile', 'LONGPROFILE', '1 to 8')

    def test_guest_max_memory_format(self):
        self._assert_fails('guest_max_memory', '64GB', 'M or G')

    def test_choices_are_listed(self):
        self._assert_fails('remote_copy_transport', 'ftp', 'ssh, rsync')

    def test_boolean(self):
        self._assert_fails('volume_multipath', 'maybe', 'true or false')

    def test_novas_own_zvm_option(self):
        self._assert_fails('reachable_timeout', 'soon', 'whole number')
