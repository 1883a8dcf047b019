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

"""How nova-compute meets its connector: down at start, tokens, TLS."""

import datetime
import ipaddress
import os
import socket

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography import x509
from cryptography.x509.oid import NameOID
import fixtures
from nova import context as nova_context
from nova import objects
from nova.tests import fixtures as nova_fixtures

import urllib3

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import tokens


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_self_signed(directory):
    """A self-signed certificate for 127.0.0.1: (cert path, key path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, 'zcc.pem')
    key_path = os.path.join(directory, 'zcc.key')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class ConnectorDownAtStartTestCase(base.ZVMFunctionalTestCase):

    COMPUTE_HOSTS = ()

    def test_compute_starts_while_connector_is_down_and_recovers(self):
        port = free_port()
        # Nothing listens yet: nova-compute must still start.
        self.flags(cloud_connector_url='http://127.0.0.1:%d' % port,
                   connect_timeout=0.5, retry_attempts=0, group='zvm')
        # Nova's start_service expects the compute node to exist at once;
        # here it cannot, so the service is started by its fixture and
        # mapped to the cell as nova-manage discover_hosts would.
        cell = self.cell_mappings['cell1']
        compute = self.useFixture(nova_fixtures.ServiceFixture(
            'compute', 'compute1', cell=cell)).service
        self.computes['compute1'] = compute
        mapping = objects.HostMapping(
            context=nova_context.get_admin_context(), host='compute1',
            cell_mapping=cell)
        mapping.create()
        self.host_mappings['compute1'] = mapping
        self.assertTrue(compute.manager.driver is not None)
        self.assertEqual([], self.admin_api.api_get(
            '/os-hypervisors').body['hypervisors'])
        # The connector comes up on that port; the next resource update
        # registers the node and the compute serves.
        self.start_simulator('compute1', port=port)
        self._run_periodics()
        hypervisors = self.admin_api.api_get(
            '/os-hypervisors').body['hypervisors']
        self.assertEqual(1, len(hypervisors))
        server = self.boot()
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self._delete_server(server)


class ConnectorDownWithServersTestCase(base.ZVMFunctionalTestCase):
    """nova-compute restarts with servers while the connector is down."""

    # The failed stop must reach the server's actions, not the API call.
    CAST_AS_CALL = False

    def setUp(self):
        # A fixed port: the connector comes back where nova-compute looks.
        self.SIMULATOR_OPTIONS = {'port': free_port()}
        super(ConnectorDownWithServersTestCase, self).setUp()

    def _setup_services(self):
        super(ConnectorDownWithServersTestCase, self)._setup_services()
        self.flags(connect_timeout=0.5, retry_attempts=0, group='zvm')

    def test_restart_with_servers_and_connector_down_then_recovery(self):
        running = self.boot(name='running')
        stopped = self._stop_server(self.boot(name='stopped'))
        sim = self.simulators['compute1']
        sim.stop()
        # nova-compute starts (init_host, _init_instance of each server).
        self.restart_compute()
        ctxt = nova_context.get_admin_context()
        manager = self.computes['compute1'].manager
        self._run_periodics()
        # The power-state sync of each server (the periodic task's own
        # guest listing fails, and is retried, while the connector is down).
        for server in (running, stopped):
            manager._query_driver_power_state_and_sync(
                ctxt, objects.Instance.get_by_uuid(ctxt, server['id']))
        # Nova's power states stand while the connector is down.
        running = self.api.get_server(running['id'])
        stopped = self.api.get_server(stopped['id'])
        self.assertEqual(('ACTIVE', 1), (running['status'],
                                         running['OS-EXT-STS:power_state']))
        self.assertEqual(('SHUTOFF', 4), (stopped['status'],
                                          stopped['OS-EXT-STS:power_state']))
        # An operation fails, saying why; the server is unchanged.
        self.api.post_server_action(running['id'], {'os-stop': None})
        event = self._wait_for_instance_action_event(
            running, 'stop', 'compute_stop_instance', 'Error')
        self.assertIn('cannot reach', event['details'])
        running = self._wait_for_state_change(running, 'ACTIVE')
        # The connector answers again: no restart is needed, and a change
        # made on z/VM meanwhile is synchronised.
        sim.start()
        self.admin().power_off(self.userid(running))
        manager._sync_power_states(ctxt)
        running = self._wait_for_state_change(running, 'SHUTOFF')
        self.assertEqual(4, running['OS-EXT-STS:power_state'])
        stopped = self._start_server(stopped)
        self.assertEqual('on', self.guest(stopped)['power_state'])
        self._delete_server(running)
        self._delete_server(stopped)


class TokenAuthTestCase(tokens.TokenAuthMixin,
                        base.ZVMFunctionalTestCase):

    def test_boot_and_delete_with_token_auth(self):
        server = self.boot()
        self._stop_server(server)
        self._start_server(server)
        counters = self.admin().counters()
        # One token serves every call of the compute service.
        self.assertEqual(1, counters['token_requests'])
        self.assertEqual(0, counters['statuses'].get('401', 0))
        self._delete_server(server)
        self.assertNotIn(tokens.ADMIN_TOKEN, self.stdlog.logger.output)

    def test_rotated_admin_token_fails_with_reason(self):
        # The connector's admin token changes; nova-compute keeps the old
        # one: its token is rejected, and so is the renewal.
        with open(self.sim_token_file, 'w') as f:
            f.write('rotated-admin-token')
        server = self.boot(expected='ERROR')
        self.assertIn('401', server['fault']['message'])
        self.assertEqual({}, self.admin().inventory()['guests'])
        self._delete_server(server)
        # The failed build's FCP release could not reach the connector
        # either: it waits for the periodic once the token matches again.
        with open(self.sim_token_file, 'w') as f:
            f.write(tokens.ADMIN_TOKEN)
        self._run_periodics()
        self.assertNotIn(tokens.ADMIN_TOKEN, self.stdlog.logger.output)
        self.assertNotIn('rotated-admin-token', self.stdlog.logger.output)


class TLSTestCase(base.ZVMFunctionalTestCase):

    def setUp(self):
        cert_dir = self.useFixture(fixtures.TempDir()).path
        self.cert, key = make_self_signed(cert_dir)
        self.SIMULATOR_OPTIONS = {'cert': self.cert, 'key': key}
        super(TLSTestCase, self).setUp()

    def _setup_services(self):
        self.flags(ca_file=self.cert, group='zvm')
        # Nova's harness intercepts urllib3 (wsgi-intercept, for placement
        # over http) with an HTTPS class that real TLS connections cannot
        # use; give HTTPS back to urllib3 for the connector.
        self.useFixture(fixtures.MonkeyPatch(
            'urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls',
            urllib3.connection.HTTPSConnection))
        super(TLSTestCase, self)._setup_services()

    def test_boot_over_https_with_ca_file(self):
        self.assertTrue(self.simulators['compute1'].url.startswith(
            'https://'))
        server = self.boot()
        self.assertEqual('on', self.guest(server)['power_state'])
        self._delete_server(server)
