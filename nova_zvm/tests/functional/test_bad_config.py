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

"""Bad images and bad options get a clear answer, and z/VM keeps nothing.

Through Nova's API on the simulator: images the driver cannot deploy fail
the boot before anything is created on z/VM; a disk pool of the wrong type,
a CA that does not verify the connector and a rotated admin token keep the
host out of scheduling with the option named, once, in the log and in the
compute service's status. The leak check of the base class runs after each
test.
"""

import os

import fixtures
from nova import context as nova_context
from nova import objects
from nova.tests import fixtures as nova_fixtures
import urllib3

from nova_zvm.simulator import images as sim_images
from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_connector
from nova_zvm.tests.functional import tokens

# The root minidisk a 1 GB flavor gets: ceil(GiB / 737280) cylinders.
CYLINDERS_IN_1G = 1457
# What creates something on z/VM or in the connector's repository.
CREATING_APIS = ('image_import', 'guest_create', 'guest_deploy')


class BadImageTestCase(base.ZVMFunctionalTestCase):

    def setUp(self):
        super(BadImageTestCase, self).setUp()
        self.flavor_1g = self._create_flavor(disk=1, ephemeral=0,
                                             memory_mb=512, vcpu=1)

    def _glance_image(self, name, data, disk_format):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data)
        with open(path, 'rb') as f:
            image = self.glance.create(None, {
                'name': name, 'status': 'active',
                'disk_format': disk_format, 'container_format': 'bare',
                'size': len(data), 'min_disk': 0,
                'properties': {'os_distro': base.OS_DISTRO}}, data=f)
        os.unlink(path)
        return image['id']

    def _boot_refused(self, image_id, flavor_id=None):
        server = self.boot(image_id=image_id, expected='ERROR',
                           flavor_id=flavor_id or self.flavor_1g)
        calls = self.admin().counters()['api_calls']
        for api in CREATING_APIS:
            self.assertNotIn(api, calls)
        self.assertEqual({}, self.admin().inventory()['guests'])
        self._delete_server(server)
        return server['fault']['message'], calls

    def test_zvm_image_labelled_qcow2(self):
        header = self._zvm_image_bytes(10)
        image_id = self._glance_image('labelled-qcow2', header, 'qcow2')
        message, calls = self._boot_refused(image_id)
        self.assertIn('disk_format is qcow2', message)
        self.assertIn('raw', message)
        # Refused from its metadata: not even the repository was asked.
        self.assertNotIn('image_query', calls)

    def test_qcow2_data_labelled_raw(self):
        qcow2 = b'QFI\xfb\x00\x00\x00\x03' + b'\x00' * 8192
        image_id = self._glance_image('real-qcow2', qcow2, 'raw')
        message, calls = self._boot_refused(image_id)
        self.assertIn('looks like qcow2', message)
        self.assertIn('disk_format claims raw', message)
        self.assertIn("Connector's disk image format", message)
        # Nova keeps 255 characters of a fault; the log has the whole.
        self.assertIn("'xCAT CKD Disk Image:' or 'xCAT FBA Part Image:'",
                      self.stdlog.logger.output)

    def test_root_larger_than_the_flavor(self):
        image_id = self.create_zvm_image(cylinders=CYLINDERS_IN_1G + 1)
        message, calls = self._boot_refused(image_id)
        self.assertIn("Flavor's disk is too small", message)
        # The same image on a flavor that fits boots.
        server = self.boot(image_id=image_id, flavor_id=self._create_flavor(
            disk=2, ephemeral=0, memory_mb=512, vcpu=1))
        self._delete_server(server)

    def test_root_larger_than_the_flavor_when_already_imported(self):
        image_id = self.create_zvm_image(cylinders=CYLINDERS_IN_1G + 1)
        big = self._create_flavor(disk=2, ephemeral=0, memory_mb=512,
                                  vcpu=1)
        self._delete_server(self.boot(image_id=image_id, flavor_id=big))
        creates = self.admin().counters()['api_calls']['guest_create']
        server = self.boot(image_id=image_id, expected='ERROR',
                           flavor_id=self.flavor_1g)
        self.assertIn("Flavor's disk is too small",
                      server['fault']['message'])
        self.assertEqual(creates,
                         self.admin().counters()['api_calls']['guest_create'])
        self._delete_server(server)

    @staticmethod
    def _zvm_image_bytes(cylinders):
        return sim_images.header('ECKD', str(cylinders)) + b'payload' * 100


def start_unready_compute(test, host='compute1'):
    """nova-compute whose node cannot register (as at a first start).

    Nova's start_service waits for the compute node; here it never comes,
    so the service is started by its fixture and mapped to the cell as
    ``nova-manage cell_v2 discover_hosts`` would.
    """
    test.flags(cloud_connector_url=test.simulators[host].url, group='zvm')
    cell = test.cell_mappings['cell1']
    compute = test.useFixture(nova_fixtures.ServiceFixture(
        'compute', host, cell=cell)).service
    test.computes[host] = compute
    mapping = objects.HostMapping(
        context=nova_context.get_admin_context(), host=host,
        cell_mapping=cell)
    mapping.create()
    test.host_mappings[host] = mapping
    return compute


class ConfigErrorMixin(object):

    def assert_told_once(self, option, *fragments):
        """One ERROR line naming the option, and the service's status."""
        for _ in range(3):
            self._run_periodics()
        lines = [line for line in self.stdlog.logger.output.splitlines()
                 if 'ERROR' in line and option in line]
        self.assertEqual(1, len(lines), lines)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        service = self.admin_api.get_services(binary='nova-compute',
                                              host='compute1')[0]
        self.assertEqual('disabled', service['status'])
        self.assertIn(option, service['disabled_reason'])
        self.assertTrue(service['disabled_reason'].startswith(
            'AUTO: z/VM driver'))
        self.assertNotIn('Unexpected error in z/VM driver',
                         self.stdlog.logger.output)

    def assert_no_valid_host(self):
        server = self.boot(expected='ERROR')
        self.assertIn('No valid host', server['fault']['message'])
        self._delete_server(server)


class DiskPoolOfTheWrongTypeTestCase(ConfigErrorMixin,
                                     base.ZVMFunctionalTestCase):
    """disk_pool=FBA:POOL1 on a z/VM whose POOL1 is ECKD."""

    COMPUTE_HOSTS = ()

    def test_host_not_ready_and_pool_named(self):
        self.start_simulator('compute1', disk_pool='ECKD:POOL1')
        self.flags(disk_pool='FBA:POOL1', group='zvm')
        start_unready_compute(self)
        self.assert_told_once('[zvm] disk_pool', 'POOL1 is ECKD',
                              '= ECKD:POOL1')
        self.assertEqual([], self.admin_api.api_get(
            '/os-hypervisors').body['hypervisors'])
        self.assert_no_valid_host()

    def test_unknown_disk_pool(self):
        self.start_simulator('compute1', disk_pool='ECKD:POOL1')
        self.flags(disk_pool='ECKD:NOPOOL', group='zvm')
        start_unready_compute(self)
        self.assert_told_once('[zvm] disk_pool', 'NOPOOL')
        self.assert_no_valid_host()


class RotatedAdminTokenTestCase(tokens.TokenAuthMixin, ConfigErrorMixin,
                                base.ZVMFunctionalTestCase):

    def test_rotation_named_then_recovered(self):
        # The connector's admin token is rotated (its tokens, signed with
        # the old one, are refused); nova-compute still has the old one.
        with open(self.sim_token_file, 'w') as f:
            f.write('rotated-admin-token')
        self.assert_told_once('[zvm] connector_token_file',
                              self.token_file, 'HTTP 401')
        self.assert_no_valid_host()
        # The operator copies the new admin token: the host serves again.
        with open(self.token_file, 'w') as f:
            f.write('rotated-admin-token')
        self._run_periodics()
        service = self.admin_api.get_services(binary='nova-compute',
                                              host='compute1')[0]
        self.assertEqual('enabled', service['status'])
        self._delete_server(self.boot())
        for secret in (tokens.ADMIN_TOKEN, 'rotated-admin-token'):
            self.assertNotIn(secret, self.stdlog.logger.output)


class UntrustedCertificateTestCase(ConfigErrorMixin,
                                   base.ZVMFunctionalTestCase):
    """ca_file names a CA that did not sign the connector's certificate."""

    COMPUTE_HOSTS = ()

    def setUp(self):
        cert_dir = self.useFixture(fixtures.TempDir()).path
        self.cert, self.key = test_connector.make_self_signed(cert_dir)
        other_dir = self.useFixture(fixtures.TempDir()).path
        self.other_ca, _key = test_connector.make_self_signed(other_dir)
        super(UntrustedCertificateTestCase, self).setUp()

    def test_wrong_ca_named_not_retried(self):
        # As TLSTestCase: real TLS for the connector, not wsgi-intercept
        # (set up with the services, so given back here).
        self.useFixture(fixtures.MonkeyPatch(
            'urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls',
            urllib3.connection.HTTPSConnection))
        self.start_simulator('compute1', cert=self.cert, key=self.key)
        self.flags(ca_file=self.other_ca, retry_attempts=5, group='zvm')
        start_unready_compute(self)
        self.assert_told_once('[zvm] ca_file', self.other_ca)
        self.assertNotIn('not reachable', self.stdlog.logger.output)
        client = self.computes['compute1'].manager.driver._client
        self.assertEqual(0, client.stats['retries'])
        self.assert_no_valid_host()
