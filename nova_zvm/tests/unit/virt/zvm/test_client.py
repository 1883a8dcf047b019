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

"""ConnectorClient against a real local HTTP server.

The server runs in this process on 127.0.0.1 and counts TCP connections and
requests, so keep-alive, "one request per call", token reuse, retries and
timeouts are observed on the wire. Its accept loop calls ``accept()`` itself
instead of ``serve_forever()``: socketserver may have been imported before
Nova's eventlet monkey patching, and its captured poll selector would then
block every green thread.
"""

import collections
import http.server
import json
import logging
import os
import socket
import socketserver
import threading
import time
from unittest import mock

import fixtures
import nova.conf
from nova import exception
from nova import test
import requests
from zvmconnector import restclient

from nova_zvm.virt.zvm import client
from nova_zvm.virt.zvm import client_codes
from nova_zvm.virt.zvm import exception as zvm_exc

CONF = nova.conf.CONF

Request = collections.namedtuple('Request', 'method path headers body')

OK = {'overallRC': 0, 'modID': None, 'rc': 0, 'rs': 0, 'errmsg': ''}
UNAUTHORIZED = {'status': 401, 'body': {
    'overallRC': 400, 'modID': 120, 'rc': 400, 'rs': 401, 'output': '',
    'errmsg': 'Not authorized to execute'}}
BUSY = {'status': 503, 'body': {
    'overallRC': 503, 'modID': 120, 'rc': 503, 'rs': 1, 'output': '',
    'errmsg': 'Too many deploy/capture requests'}}


def failed(overall, mod, rs=1, errmsg='failed', status=None):
    return {'status': status or (overall if overall < 600 else 500),
            'body': {'overallRC': overall, 'modID': mod, 'rc': overall,
                     'rs': rs, 'errmsg': errmsg, 'output': ''}}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.server.fake.handle(self)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        pass  # the client gave up (timeout tests)


class FakeConnector(fixtures.Fixture):
    """The connector's REST API: scripted answers, token flow, counters.

    ``script`` holds the answers to the next API requests, one each:
    ``{'status', 'body' (dict as JSON, str as HTML), 'headers', 'delay',
    'drop' (close the connection without an answer)}``; when empty the
    answer is success with ``output``. Token auth is on when
    ``admin_token`` is set: tokens are issued by ``POST /token`` and API
    requests without a valid one get 401.
    """

    def __init__(self):
        super(FakeConnector, self).__init__()
        self.requests = []
        self.connections = 0
        self.script = []
        self.token_script = []
        self.output = {'answer': 'ok'}
        self.admin_token = None
        self.tokens = set()
        self.issued = 0
        self._lock = threading.Lock()

    def _setUp(self):
        self.server = _Server(('127.0.0.1', 0), _Handler)
        self.server.fake = self
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.addCleanup(self._stop)

    def _serve(self):
        while True:
            try:
                sock, addr = self.server.socket.accept()
            except OSError:
                return
            if self._stopping:
                sock.close()
                return
            self.connections += 1
            self.server.process_request(sock, addr)

    def _stop(self):
        self._stopping = True
        socket.create_connection(self.server.server_address).close()
        self._thread.join(5)
        self.server.server_close()

    @property
    def api_requests(self):
        return [r for r in self.requests if r.path != '/token']

    @property
    def token_requests(self):
        return [r for r in self.requests if r.path == '/token']

    def handle(self, handler):
        length = int(handler.headers.get('Content-Length') or 0)
        body = handler.rfile.read(length) if length else b''
        with self._lock:
            self.requests.append(Request(handler.command, handler.path,
                                         dict(handler.headers), body))
            if handler.path == '/token':
                answer = self._token_answer(handler)
            elif (self.admin_token is not None and
                    handler.headers.get('X-Auth-Token') not in self.tokens):
                answer = UNAUTHORIZED
            elif self.script:
                answer = self.script.pop(0)
            else:
                answer = {'body': dict(OK, output=self.output)}
        self._reply(handler, answer)

    def _token_answer(self, handler):
        if self.token_script:
            return self.token_script.pop(0)
        if handler.headers.get('X-Admin-Token') != self.admin_token:
            return UNAUTHORIZED
        self.issued += 1
        token = 'SeCrEtToKeN-%d' % self.issued
        self.tokens.add(token)
        return {'headers': {'X-Auth-Token': token}, 'body': ''}

    def _reply(self, handler, answer):
        time.sleep(answer.get('delay', 0))
        if answer.get('drop'):
            handler.close_connection = True
            return
        body = answer.get('body', {})
        if isinstance(body, dict):
            data, ctype = json.dumps(body).encode(), 'application/json'
        else:
            data, ctype = body.encode(), 'text/html'
        try:
            handler.send_response(answer.get('status', 200))
            handler.send_header('Content-Type', ctype)
            handler.send_header('Content-Length', str(len(data)))
            for name, value in answer.get('headers', {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            handler.close_connection = True


class ClientTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ClientTestCase, self).setUp()
        self.fake = self.useFixture(FakeConnector())
        self.sleeps = []
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def client(self, **kwargs):
        cl = client.ConnectorClient(self.fake.url, **kwargs)
        cl._sleep = self.sleeps.append
        self.addCleanup(cl.close)
        return cl

    def token_client(self, admin_token='AdMiNsEcReT', **kwargs):
        self.fake.admin_token = admin_token
        path = os.path.join(self.tmp, 'token')
        with open(path, 'w') as token_file:
            token_file.write(admin_token + '\n')
        return self.client(token_file=path, **kwargs)


class RequestTestCase(ClientTestCase):

    def test_returns_output(self):
        self.fake.output = ['OSV1', 'OSV2']
        self.assertEqual(['OSV1', 'OSV2'], self.client().call('guest_list'))
        self.assertEqual([('GET', '/guests')],
                         [(r.method, r.path) for r in self.fake.requests])

    def test_body_and_url_come_from_restclient_builders(self):
        disks = [{'size': '3g', 'is_boot_disk': True}]
        self.client().call('guest_create', 'OSV1', 2, 2048, disk_list=disks,
                           user_profile='OSDFLT')
        req = self.fake.requests[0]
        self.assertEqual(('POST', '/guests'), (req.method, req.path))
        self.assertEqual('application/json', req.headers['Content-Type'])
        url, body = restclient.req_guest_create(
            0, 'OSV1', 2, 2048, disk_list=disks, user_profile='OSDFLT')
        self.assertEqual(body, json.loads(req.body))

    def test_parameters_in_path(self):
        self.client().call('guest_delete_nic', 'OSV1', '1000', active=True)
        req = self.fake.requests[0]
        self.assertEqual(('DELETE', '/guests/OSV1/nic/1000'),
                         (req.method, req.path))
        self.assertEqual({'active': True}, json.loads(req.body))

    def test_kwargs_of_power_actions(self):
        self.client().call('guest_softstop', 'OSV1', timeout=0,
                           poll_interval=5)
        req = self.fake.requests[0]
        self.assertEqual('/guests/OSV1/action', req.path)
        self.assertEqual({'action': 'softstop', 'timeout': 0,
                          'poll_interval': 5}, json.loads(req.body))

    def test_optional_positional_argument(self):
        cl = self.client()
        cl.call('guest_register', 'OSV1', 'meta', 'net')
        cl.call('guest_register', 'OSV1', 'meta', 'net', 'macs')
        self.assertEqual('macs',
                         json.loads(self.fake.requests[1].body)['port_macs'])

    def _refused(self, exc_class, *args, **kwargs):
        err = self.assertRaises(exc_class, self.client().call, *args,
                                **kwargs)
        self.assertEqual([], self.fake.requests)
        return err

    def test_too_few_arguments(self):
        err = self._refused(zvm_exc.ConnectorError, 'guest_create', 'OSV1')
        self.assertIn('takes 3 positional argument(s), 1 given', str(err))
        self.assertEqual((101, 110, 1), (err.overallRC, err.modID, err.rs))

    def test_too_many_arguments(self):
        err = self._refused(zvm_exc.ConnectorError, 'guest_start', 'OSV1', 5)
        self.assertIn('takes 1 positional argument(s), 2 given', str(err))
        err = self._refused(zvm_exc.ConnectorError, 'guest_register', 'A',
                            'm', 'n', 'p', 'x')
        self.assertIn('3 to 4', str(err))

    def test_unknown_api(self):
        err = self._refused(zvm_exc.ConnectorError, 'guest_teleport', 'X')
        self.assertIn('guest_teleport is not supported', str(err))

    def test_file_and_token_apis_are_not_supported(self):
        for api in ('file_import', 'file_export'):
            err = self._refused(zvm_exc.ConnectorError, api, '/tmp/f')
            self.assertIn('%s is not supported' % api, str(err))
        err = self._refused(zvm_exc.ConnectorError, 'token_create')
        self.assertIn('token_create is not supported', str(err))

    def test_arguments_that_are_not_json(self):
        err = self._refused(zvm_exc.ConnectorError, 'guest_create', 'OSV1',
                            1, object())
        self.assertIn('cannot encode', str(err))

    def _userid_of_request_size(self, size):
        overhead = len(json.dumps(['guest_get_info', [''], {}]))
        return 'U' * (size - overhead)

    def test_request_at_the_limit_is_sent(self):
        self.client().call('guest_get_info',
                           self._userid_of_request_size(4096))
        self.assertEqual(1, len(self.fake.requests))

    def test_request_over_the_limit_is_refused(self):
        err = self._refused(zvm_exc.RequestTooLarge, 'guest_get_info',
                            self._userid_of_request_size(4097))
        self.assertIn('4097 bytes', str(err))
        self.assertIn('at most 4096', str(err))

    def test_kwargs_count_in_the_limit(self):
        err = self._refused(zvm_exc.RequestTooLarge, 'guest_deploy', 'OSV1',
                            'img', transportfiles='/t/' + 'x' * 4096)
        self.assertIn('at most 4096', str(err))


class ConnectionTestCase(ClientTestCase):

    def test_one_connection_one_request_per_call(self):
        cl = self.client()
        for _ in range(10):
            cl.call('guest_get_power_state', 'OSV1')
        self.assertEqual(1, self.fake.connections)
        self.assertEqual(10, len(self.fake.requests))
        self.assertEqual({'requests': 10, 'token_requests': 0, 'retries': 0},
                         cl.stats)

    def test_concurrent_calls(self):
        cl = self.client()
        self.fake.script = [{'body': dict(OK, output=1), 'delay': 0.1}] * 8
        results = []
        threads = [threading.Thread(
            target=lambda: results.append(cl.call('guest_list')))
            for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual([1] * 8, results)
        self.assertEqual(8, cl.stats['requests'])
        self.assertLessEqual(self.fake.connections, client.POOL_SIZE)

    def test_close_closes_the_pooled_connection(self):
        cl = self.client()
        cl.call('version')
        cl.close()
        cl.call('version')
        self.assertEqual(2, self.fake.connections)

    def _verify_sent(self, url, **kwargs):
        cl = client.ConnectorClient(url, retry_attempts=0, **kwargs)
        with mock.patch.object(requests.adapters.HTTPAdapter, 'send',
                               side_effect=requests.ConnectionError) as send:
            self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call,
                              'guest_list')
        return send.call_args[0][0].url, send.call_args[1]['verify']

    def test_https_verifies_with_the_ca_file(self):
        # Even when the environment names another bundle.
        self.useFixture(fixtures.EnvironmentVariable('REQUESTS_CA_BUNDLE',
                                                     '/env-bundle.pem'))
        self.assertEqual(('https://zcc:8443/guests', '/ca.pem'),
                         self._verify_sent('https://zcc:8443/',
                                           ca_file='/ca.pem'))

    def test_https_verifies_without_a_ca_file(self):
        self.useFixture(fixtures.EnvironmentVariable('REQUESTS_CA_BUNDLE'))
        self.useFixture(fixtures.EnvironmentVariable('CURL_CA_BUNDLE'))
        self.assertIs(True, self._verify_sent('https://zcc')[1])

    def test_url_is_required(self):
        self.assertRaises(exception.InvalidConfiguration,
                          client.ConnectorClient, None)

    def test_from_conf(self):
        self.flags(cloud_connector_url='https://zcc:1', ca_file='/ca',
                   connector_token_file='/tok', connect_timeout=2.5,
                   read_timeout=30, long_read_timeout=900, retry_attempts=7,
                   retry_interval=0.5, retry_max_interval=4, group='zvm')
        cl = client.ConnectorClient.from_conf(CONF)
        self.assertEqual(
            ('https://zcc:1', '/ca', '/tok', 2.5, 30, 900, 7, 0.5, 4),
            (cl.url, cl.ca_file, cl.token_file, cl.connect_timeout,
             cl.read_timeout, cl.long_read_timeout, cl.retry_attempts,
             cl.retry_interval, cl.retry_max_interval))


class TokenTestCase(ClientTestCase):

    def test_no_token_without_token_file(self):
        self.client().call('guest_list')
        self.assertEqual([], self.fake.token_requests)
        self.assertNotIn('X-Auth-Token', self.fake.requests[0].headers)

    def test_token_fetched_once_and_reused(self):
        cl = self.token_client()
        for _ in range(5):
            cl.call('guest_get_power_state', 'OSV1')
        token_req = self.fake.requests[0]
        self.assertEqual(('POST', '/token'),
                         (token_req.method, token_req.path))
        self.assertEqual('AdMiNsEcReT', token_req.headers['X-Admin-Token'])
        self.assertEqual(1, len(self.fake.token_requests))
        self.assertEqual(5, len(self.fake.api_requests))
        for req in self.fake.api_requests:
            self.assertEqual('SeCrEtToKeN-1', req.headers['X-Auth-Token'])
            self.assertNotIn('X-Admin-Token', req.headers)
        self.assertEqual({'requests': 5, 'token_requests': 1, 'retries': 0},
                         cl.stats)
        self.assertEqual(1, self.fake.connections)

    def test_expired_token_is_renewed_and_the_call_resent_once(self):
        cl = self.token_client()
        cl.call('guest_list')
        self.fake.tokens.clear()  # expired on the server
        # Not idempotent, yet resent: 401 is answered before the call runs.
        self.assertEqual({'answer': 'ok'},
                         cl.call('guest_create', 'OSV1', 1, 512))
        self.assertEqual(['/token', '/guests', '/guests', '/token',
                          '/guests'],
                         [r.path for r in self.fake.requests])
        self.assertEqual('SeCrEtToKeN-2',
                         self.fake.requests[-1].headers['X-Auth-Token'])
        self.assertEqual(2, cl.stats['token_requests'])
        cl.call('guest_list')
        self.assertEqual(2, cl.stats['token_requests'])

    def test_rejected_twice_fails(self):
        cl = self.token_client()
        self.fake.script = [UNAUTHORIZED, UNAUTHORIZED]
        err = self.assertRaises(zvm_exc.ConnectorError, cl.call, 'guest_list')
        self.assertEqual((400, 120, 401), (err.overallRC, err.modID, err.rs))
        self.assertEqual(2, len(self.fake.api_requests))
        self.assertEqual(2, len(self.fake.token_requests))

    def test_unauthorized_without_token_file(self):
        # The connector wants tokens and this host has none configured.
        self.fake.script = [UNAUTHORIZED]
        err = self.assertRaises(zvm_exc.ConnectorConfigError,
                                self.client(retry_attempts=3).call,
                                'guest_list')
        self.assertEqual('[zvm] connector_token_file', err.option)
        self.assertIn('[zvm] connector_token_file', str(err))
        self.assertIn('HTTP 401', str(err))
        self.assertEqual((101, 110, client_codes.RS_CONFIG),
                         (err.overallRC, err.modID, err.rs))
        self.assertEqual(1, len(self.fake.requests))
        self.assertEqual([], self.sleeps)

    def test_rotated_admin_token_is_a_configuration_error(self):
        cl = self.token_client(retry_attempts=3)
        # The connector's admin token changed; this host's file did not.
        self.fake.admin_token = 'rotated'
        err = self.assertRaises(zvm_exc.ConnectorConfigError, cl.call,
                                'guest_list')
        self.assertEqual('[zvm] connector_token_file', err.option)
        self.assertIn(os.path.join(self.tmp, 'token'), str(err))
        self.assertIn('HTTP 401', str(err))
        self.assertNotIn('AdMiNsEcReT', str(err))
        # Refused at POST /token: no API request, no retry.
        self.assertEqual(1, len(self.fake.token_requests))
        self.assertEqual([], self.fake.api_requests)
        self.assertEqual([], self.sleeps)

    def test_missing_token_file_names_the_option(self):
        cl = self.client(token_file=os.path.join(self.tmp, 'absent'))
        err = self.assertRaises(zvm_exc.ConnectorConfigError, cl.call,
                                'guest_list')
        self.assertEqual('[zvm] connector_token_file', err.option)

    def test_unauthorized_answer_in_the_body_only(self):
        cl = self.token_client()
        cl.call('guest_list')
        self.fake.script = [dict(UNAUTHORIZED, status=200)]
        cl.call('guest_list')
        self.assertEqual(2, len(self.fake.token_requests))

    def test_one_token_request_for_concurrent_calls(self):
        cl = self.token_client()
        self.fake.token_script = [{'delay': 0.2, 'body': '',
                                   'headers': {'X-Auth-Token': 'T1'}}]
        self.fake.tokens.add('T1')
        threads = [threading.Thread(target=cl.call, args=('guest_list',))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        self.assertEqual(1, len(self.fake.token_requests))
        self.assertEqual(6, len(self.fake.api_requests))

    def test_token_file_missing(self):
        cl = self.client(token_file=os.path.join(self.tmp, 'absent'))
        err = self.assertRaises(zvm_exc.ConnectorError, cl.call, 'guest_list')
        self.assertEqual((101, 110, 2), (err.overallRC, err.modID, err.rs))
        self.assertIn('absent', str(err))
        self.assertEqual([], self.fake.requests)

    def test_token_file_unreadable_or_empty(self):
        empty = os.path.join(self.tmp, 'empty')
        open(empty, 'w').close()
        for path in (self.tmp, empty):  # a directory, an empty file
            cl = self.client(token_file=path)
            err = self.assertRaises(zvm_exc.ConnectorError, cl.call,
                                    'guest_list')
            self.assertEqual((101, 110, 4),
                             (err.overallRC, err.modID, err.rs))
        self.assertEqual([], self.fake.requests)

    def test_token_answer_without_token(self):
        # What a 1.6.3 connector under PyJWT 2 answers.
        cl = self.token_client()
        self.fake.token_script = [{'status': 500, 'body': 'Internal Error'}]
        err = self.assertRaises(zvm_exc.ConnectorError, cl.call,
                                'guest_create', 'OSV1', 1, 512)
        self.assertEqual(3, err.rs)
        self.assertIn('HTTP 500', str(err))
        self.assertIn('Internal Error', str(err))
        self.assertEqual([], self.fake.api_requests)

    def test_token_service_busy(self):
        cl = self.token_client()
        self.fake.token_script = [{'status': 503, 'body': 'busy'}]
        err = self.assertRaises(zvm_exc.ConnectorBusy, cl.call,
                                'guest_create', 'OSV1', 1, 512)
        self.assertEqual((503, 110, 2), (err.overallRC, err.modID, err.rs))
        self.fake.token_script = [{'status': 503, 'body': 'busy'}]
        cl.call('guest_list')  # idempotent: retried
        self.assertEqual(1, cl.stats['retries'])


class RetryTestCase(ClientTestCase):

    def test_busy_idempotent_call_is_retried(self):
        cl = self.client()
        self.fake.script = [BUSY, BUSY]
        self.assertEqual({'answer': 'ok'},
                         cl.call('guest_get_power_state', 'OSV1'))
        self.assertEqual(3, len(self.fake.requests))
        self.assertEqual([1.0, 2.0], self.sleeps)
        self.assertEqual(2, cl.stats['retries'])

    def test_busy_retries_are_bounded_and_capped(self):
        cl = self.client(retry_attempts=4, retry_interval=1.0,
                         retry_max_interval=3.0, busy_retry_timeout=0)
        self.fake.script = [BUSY] * 10
        err = self.assertRaises(zvm_exc.ConnectorBusy, cl.call, 'guest_start',
                                'OSV1')
        self.assertEqual(5, len(self.fake.requests))
        self.assertEqual([1.0, 2.0, 3.0, 3.0], self.sleeps)
        self.assertEqual((503, 120), (err.overallRC, err.modID))

    def test_deploy_over_the_limit_waits_for_a_slot(self):
        # The REST layer refuses deploys over its limit until another one
        # ends: retried past retry_attempts, within busy_retry_timeout.
        cl = self.client(retry_attempts=3, retry_interval=1.0,
                         retry_max_interval=10.0, busy_retry_timeout=600)
        self.fake.script = [BUSY] * 8
        self.assertEqual({'answer': 'ok'}, cl.call(
            'guest_deploy', 'OSV1', 'img'))
        self.assertEqual(9, len(self.fake.requests))
        self.assertEqual([1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0],
                         self.sleeps)

    def test_busy_retries_stop_at_busy_retry_timeout(self):
        cl = self.client(retry_interval=1.0, retry_max_interval=10.0,
                         busy_retry_timeout=30)
        self.fake.script = [BUSY] * 20
        self.assertRaises(zvm_exc.ConnectorBusy, cl.call, 'guest_deploy',
                          'OSV1', 'img')
        # 1 + 2 + 4 + 8 + 10 = 25 s; 10 more would pass 30 s.
        self.assertEqual([1.0, 2.0, 4.0, 8.0, 10.0], self.sleeps)
        self.assertLessEqual(sum(self.sleeps), 30)
        self.assertEqual(6, len(self.fake.requests))

    def test_rest_layer_busy_is_retried_for_any_call(self):
        # modID 120: the REST layer refused before dispatching the call,
        # so even a deploy can be sent again.
        self.fake.script = [BUSY]
        self.assertEqual({'answer': 'ok'}, self.client().call(
            'guest_deploy', 'OSV1', 'img'))
        self.assertEqual(2, len(self.fake.requests))
        self.assertEqual([1.0], self.sleeps)

    def test_busy_non_idempotent_call_is_not_retried(self):
        # Busy from below the REST layer: the call may have started.
        self.fake.script = [{'status': 503,
                             'body': dict(BUSY['body'], modID=100)}]
        self.assertRaises(zvm_exc.ConnectorBusy, self.client().call,
                          'guest_deploy', 'OSV1', 'img')
        self.assertEqual(1, len(self.fake.requests))
        self.assertEqual([], self.sleeps)

    def test_http_503_page_is_busy(self):
        cl = self.client(retry_attempts=1)
        self.fake.script = [{'status': 503, 'body': '<h1>Unavailable</h1>'}]
        self.fake.script *= 2
        err = self.assertRaises(zvm_exc.ConnectorBusy, cl.call, 'guest_list')
        self.assertEqual(2, len(self.fake.requests))
        self.assertEqual(503, err.overallRC)
        self.assertIn('Unavailable', str(err))

    def test_no_retries_when_disabled(self):
        self.fake.script = [BUSY]
        self.assertRaises(zvm_exc.ConnectorBusy,
                          self.client(retry_attempts=0,
                                      busy_retry_timeout=0).call,
                          'guest_list')
        self.assertEqual(1, len(self.fake.requests))

    def _closed_port_url(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        return 'http://127.0.0.1:%d' % port

    def test_unreachable_idempotent_call_is_retried_then_fails(self):
        self.fake.url = self._closed_port_url()
        cl = self.client()
        err = self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call,
                                'guest_delete', 'OSV1')
        self.assertEqual({'requests': 4, 'token_requests': 0, 'retries': 3},
                         cl.stats)
        self.assertEqual([1.0, 2.0, 4.0], self.sleeps)
        self.assertEqual((101, 110, 1), (err.overallRC, err.modID, err.rs))
        self.assertIn('cannot reach', str(err))
        self.assertNotIn('Max retries', str(err))

    def test_refused_connection_is_retried_for_any_call(self):
        # No connection was made, so nothing was sent: safe to retry even
        # calls that must never run twice.
        self.fake.url = self._closed_port_url()
        cl = self.client(retry_attempts=1)
        for api, args in (('guest_reboot', ('OSV1',)),
                          ('guest_create', ('OSV1', 1, 512)),
                          ('guest_create_network_interface',
                           ('OSV1', 'rhel9', []))):
            err = self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call,
                                    api, *args)
            self.assertTrue(err.not_executed)
        self.assertEqual(6, cl.stats['requests'])
        self.assertEqual([1.0] * 3, self.sleeps)

    def test_dropped_connection_idempotent_call_is_retried(self):
        self.fake.script = [{'drop': True}]
        self.assertEqual({'answer': 'ok'},
                         self.client().call('guest_get_info', 'OSV1'))
        self.assertEqual(2, len(self.fake.requests))

    def test_dropped_connection_non_idempotent_call_is_not_retried(self):
        self.fake.script = [{'drop': True}]
        self.assertRaises(zvm_exc.ConnectorUnreachable, self.client().call,
                          'guest_capture', 'OSV1', 'img')
        self.assertEqual(1, len(self.fake.requests))

    def test_read_timeout_non_idempotent_call_is_not_retried(self):
        self.fake.script = [{'delay': 1.0, 'body': OK}]
        cl = self.client(read_timeout=0.2)
        err = self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call,
                                'guest_reboot', 'OSV1')
        self.assertIn('may have carried it out', str(err))
        self.assertEqual(1, len(self.fake.requests))
        self.assertEqual(0, cl.stats['retries'])

    def test_read_timeout_idempotent_call_is_retried(self):
        self.fake.script = [{'delay': 1.0, 'body': OK}]
        cl = self.client(read_timeout=0.2)
        self.assertEqual({'answer': 'ok'}, cl.call('guest_list'))
        self.assertEqual(2, len(self.fake.requests))
        self.assertEqual(1, cl.stats['retries'])


class TimeoutTestCase(ClientTestCase):

    def test_long_api_waits_long(self):
        cl = self.client(read_timeout=0.2, long_read_timeout=5)
        self.fake.script = [{'delay': 0.5, 'body': dict(OK, output='done')}]
        self.assertEqual('done', cl.call('guest_deploy', 'OSV1', 'img'))
        self.fake.script = [{'delay': 0.5, 'body': OK}]
        self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call,
                          'guest_create', 'OSV1', 1, 512)

    def test_connector_wait_is_added(self):
        cl = self.client(read_timeout=0.2)
        self.fake.script = [{'delay': 0.5, 'body': dict(OK, output='off')}]
        self.assertEqual('off', cl.call('guest_softstop', 'OSV1', timeout=1))

    def test_timeouts_passed_to_the_transport(self):
        cl = self.client(connect_timeout=3, read_timeout=30,
                         long_read_timeout=900, retry_attempts=0)
        with mock.patch.object(cl._session, 'request',
                               side_effect=requests.ConnectionError) as req:
            for api, args, kwargs in (
                    ('guest_reboot', ('OSV1',), {}),
                    ('image_import', ('img', 'file:///i', {}), {}),
                    ('guest_stop', ('OSV1',), {'timeout': 60}),
                    ('guest_deploy', ('OSV1', 'i'), {'timeout': 10}),
                    ('guest_start', ('OSV1',), {'timeout': True})):
                self.assertRaises(zvm_exc.ConnectorUnreachable, cl.call, api,
                                  *args, **kwargs)
        self.assertEqual([(3, 30), (3, 900), (3, 90), (3, 910), (3, 30)],
                         [c[1]['timeout'] for c in req.call_args_list])


class AnswerTestCase(ClientTestCase):

    def test_guest_not_found(self):
        self.fake.script = [failed(404, 10)]
        err = self.assertRaises(zvm_exc.GuestNotFound, self.client().call,
                                'guest_get_power_state', 'OSV1')
        self.assertEqual('OSV1', err.kwargs['instance_id'])
        self.assertEqual('guest_get_power_state', err.api)

    def test_image_not_found(self):
        self.fake.script = [failed(404, 40)]
        err = self.assertRaises(zvm_exc.ImageNotFound, self.client().call,
                                'image_get_root_disk_size', 'img-1')
        self.assertEqual('img-1', err.kwargs['image_id'])

    def test_other_failure_keeps_codes_and_is_not_retried(self):
        self.fake.script = [failed(409, 10, rs=2, errmsg='exists %s {0}')]
        err = self.assertRaises(zvm_exc.ConnectorError, self.client().call,
                                'guest_get_info', 'OSV1')
        self.assertEqual((409, 10, 409, 2), (err.overallRC, err.modID,
                                             err.rc, err.rs))
        self.assertIn('exists %s {0}', str(err))
        self.assertEqual(1, len(self.fake.requests))

    def test_failure_with_http_200(self):
        self.fake.script = [failed(300, 10, status=200)]
        err = self.assertRaises(zvm_exc.ConnectorError, self.client().call,
                                'guest_start', 'OSV1')
        self.assertEqual(300, err.overallRC)

    def test_non_json_answer(self):
        page = '<html><body>Bad   Gateway\n' + 'x' * 1000 + '</body></html>'
        self.fake.script = [{'status': 502, 'body': page}]
        err = self.assertRaises(zvm_exc.ConnectorError, self.client().call,
                                'guest_list')
        self.assertIs(zvm_exc.ConnectorError, type(err))
        self.assertEqual((101, 110, 3), (err.overallRC, err.modID, err.rs))
        self.assertIn('HTTP 502', str(err))
        self.assertIn('<html><body>Bad Gateway', str(err))
        self.assertLess(len(str(err)), 400)
        self.assertEqual(1, len(self.fake.requests))

    def test_json_that_is_not_a_connector_answer(self):
        self.fake.script = [{'body': {'error': 'no'}}]
        err = self.assertRaises(zvm_exc.ConnectorError, self.client().call,
                                'guest_list')
        self.assertEqual(3, err.rs)


class LoggingTestCase(ClientTestCase):

    def test_secrets_never_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        cl = self.token_client()
        cl.call('guest_create', 'OSV1', 1, 512,
                password='PaSsWoRdInBoDy')
        self.fake.tokens.clear()
        self.fake.script = [failed(500, 10)]
        self.assertRaises(zvm_exc.ConnectorError, cl.call, 'guest_deploy',
                          'OSV1', 'img', transportfiles='PaSsWoRdInBoDy')
        self.assertIn('SeCrEtToKeN-2',
                      self.fake.requests[-1].headers['X-Auth-Token'])
        output = logger.output
        # The log says what happened...
        self.assertIn('guest_create: POST /guests -> HTTP 200', output)
        self.assertIn('guest_deploy: POST /guests/OSV1/action -> HTTP 401',
                      output)
        self.assertIn('/token', output)
        # ...and nothing secret.
        for secret in ('SeCrEtToKeN', 'AdMiNsEcReT', 'PaSsWoRdInBoDy'):
            self.assertNotIn(secret, output)


class TLSConfigurationTestCase(test.NoDBTestCase):
    """TLS failures that retrying cannot fix name the option to change."""

    def _call(self, message, ca_file=None, url='https://zcc:8443'):
        cl = client.ConnectorClient(url, ca_file=ca_file, retry_attempts=3)
        sleeps = []
        cl._sleep = sleeps.append
        error = requests.exceptions.SSLError(message)
        with mock.patch.object(cl._session, 'request',
                               side_effect=error) as request:
            err = self.assertRaises(zvm_exc.ConnectorError, cl.call,
                                    'guest_list')
        return err, request.call_count, sleeps

    def test_certificate_that_does_not_verify(self):
        err, sent, sleeps = self._call(
            "HTTPSConnectionPool(host='zcc', port=8443): Max retries "
            "exceeded (Caused by SSLError(SSLCertVerificationError(1, "
            "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
            "self-signed certificate (_ssl.c:1006)')))",
            ca_file='/etc/nova/zcc-ca.pem')
        self.assertIsInstance(err, zvm_exc.ConnectorConfigError)
        self.assertNotIsInstance(err, zvm_exc.ConnectorUnreachable)
        self.assertEqual('[zvm] ca_file', err.option)
        self.assertIn('/etc/nova/zcc-ca.pem', str(err))
        self.assertEqual((1, []), (sent, sleeps))

    def test_certificate_without_ca_file(self):
        err, sent, sleeps = self._call(
            'certificate verify failed: unable to get local issuer')
        self.assertEqual('[zvm] ca_file', err.option)
        self.assertIn("system's CA certificates", str(err))

    def test_https_to_a_plain_http_connector(self):
        err, sent, sleeps = self._call(
            "Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] "
            "wrong version number (_ssl.c:1006)'))")
        self.assertEqual('[zvm] cloud_connector_url', err.option)
        self.assertIn('use http://', str(err))
        self.assertEqual((1, []), (sent, sleeps))

    def test_other_tls_failures_stay_outages(self):
        err, sent, sleeps = self._call(
            'EOF occurred in violation of protocol (_ssl.c:2427)')
        self.assertIsInstance(err, zvm_exc.ConnectorUnreachable)
        self.assertEqual(4, sent)
