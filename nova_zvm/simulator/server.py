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

"""HTTP(S) server of the simulator: zvmsdk.sdkwsgi plus /_simulator/.

wsgiref answers one request per connection (HTTP/1.0 style), and the driver
reuses connections, so the WSGI gateway here is a small HTTP/1.1 one on
``http.server``: keep-alive, request bodies limited to their Content-Length
(and drained, so the next request on the connection stays aligned), chunked
request and response bodies, one thread per connection. It also counts
what tests and benchmarks need and applies HTTP-level faults.
"""

import http.server
import json
import logging
import socket
import socketserver
import sys
import tempfile
import threading
import time
import urllib.parse

import jsonschema
import routes
from zvmsdk.sdkwsgi import deploy
from zvmsdk.sdkwsgi import handler as sdk_handler
from zvmsdk.sdkwsgi import util as sdk_util
from zvmsdk.sdkwsgi import validation

from nova_zvm.simulator import admin
from nova_zvm.simulator import bridge
from nova_zvm.simulator import faults

LOG = logging.getLogger(__name__)
ADMIN_PREFIX = '/_simulator/'
SERVER_NAME = 'nova-zvm-simulator'
_HOP_BY_HOP = ('connection', 'keep-alive', 'transfer-encoding')
_TEXT_500 = (b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
             b'<html><head><title>500 Internal Server Error</title></head>'
             b'<body><h1>Internal Server Error</h1><p>The server encountered'
             b' an internal error or misconfiguration and was unable to '
             b'complete your request.</p></body></html>\n')


class BadRequest(Exception):
    """A request whose body cannot be read."""


class Counters(object):
    """Traffic counters; every update is O(1) under one lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.requests = {}
            self.api_calls = {}
            self.statuses = {}
            self.requests_total = 0
            self.admin_requests = 0
            self.token_requests = 0
            self.bytes_in = 0
            self.bytes_out = 0
            self.concurrent = 0
            self.peak_concurrent = 0
            self.connections_accepted = 0
            self.connections = 0
            self.max_requests_per_connection = 0
            self.started = time.time()

    def connection_accepted(self):
        with self._lock:
            self.connections_accepted += 1

    def request_started(self):
        with self._lock:
            self.concurrent += 1
            self.peak_concurrent = max(self.peak_concurrent, self.concurrent)

    def request_finished(self, key, status, bytes_in, bytes_out,
                         nth_on_connection):
        """One connector request; nth_on_connection counts from 1."""
        with self._lock:
            self.concurrent -= 1
            self.requests_total += 1
            self.requests[key] = self.requests.get(key, 0) + 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.bytes_in += bytes_in
            self.bytes_out += bytes_out
            if key == 'token':
                self.token_requests += 1
            if nth_on_connection == 1:
                self.connections += 1
            self.max_requests_per_connection = max(
                self.max_requests_per_connection, nth_on_connection)

    def admin_request(self):
        with self._lock:
            self.admin_requests += 1

    def api_call(self, name):
        with self._lock:
            self.api_calls[name] = self.api_calls.get(name, 0) + 1

    def to_dict(self):
        with self._lock:
            return {
                'requests': dict(self.requests),
                'requests_total': self.requests_total,
                'statuses': {str(k): v for k, v in self.statuses.items()},
                'api_calls': dict(self.api_calls),
                'token_requests': self.token_requests,
                'admin_requests': self.admin_requests,
                'bytes_in': self.bytes_in,
                'bytes_out': self.bytes_out,
                'concurrent_requests': self.concurrent,
                'peak_concurrent_requests': self.peak_concurrent,
                'connections': self.connections,
                'connections_accepted': self.connections_accepted,
                'max_requests_per_connection':
                    self.max_requests_per_connection,
                'seconds': round(time.time() - self.started, 3),
            }


class RouteNames(object):
    """'METHOD /route/{template}' of a request that called no API."""

    def __init__(self):
        self._mapper = routes.Mapper()
        for route, methods in sdk_handler.ROUTE_LIST:
            for method in methods:
                self._mapper.connect(route, conditions={'method': [method]},
                                     _key='%s %s' % (method, route))

    def name(self, method, path):
        if method == 'POST' and path == '/token':
            return 'token'
        match = self._mapper.match(
            environ={'PATH_INFO': path, 'REQUEST_METHOD': method})
        return match['_key'] if match else '%s (no route)' % method


class _CountingReader(object):
    """The request stream, counting bytes read (request lines included)."""

    def __init__(self, raw):
        self._raw = raw
        self.count = 0

    def readline(self, size=-1):
        data = self._raw.readline(size)
        self.count += len(data)
        return data

    def read(self, size=-1):
        data = self._raw.read(size)
        self.count += len(data)
        return data

    def close(self):
        self._raw.close()


class _Body(object):
    """wsgi.input: never reads past this request's body."""

    def __init__(self, stream, length):
        self._stream = stream
        self._left = length

    def read(self, size=-1):
        if self._left <= 0:
            return b''
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._stream.read(size)
        self._left -= len(data)
        if not data:
            self._left = 0
        return data

    def readline(self, size=-1):
        if self._left <= 0:
            return b''
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._stream.readline(size)
        self._left -= len(data)
        return data

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')

    def drain(self):
        while self.read(65536):
            pass


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """One connection; BaseHTTPRequestHandler.handle loops on keep-alive."""

    protocol_version = 'HTTP/1.1'
    server_version = SERVER_NAME

    def setup(self):
        self.timeout = self.server.keepalive_timeout
        super(RequestHandler, self).setup()
        self.rfile = _CountingReader(self.rfile)
        self.bytes_out = 0
        self._held = None
        self.nth = 0
        self.server.counters.connection_accepted()

    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.address_string(), fmt % args)

    def _write(self, data):
        # Answers are held until the request is counted, so a client that
        # reads the counters right after its answer always sees it; only
        # streamed bodies (file export) go out as they come.
        self.bytes_out += len(data)
        if self._held is not None:
            self._held.append(data)
        else:
            self.wfile.write(data)

    def _release(self):
        held, self._held = self._held, None
        if held:
            self.wfile.write(b''.join(held))

    def handle_one_request(self):
        try:
            self.rfile.count = 0
            self.bytes_out = 0
            self._held = []
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            try:
                self._handle_request()
            finally:
                self._release()
            self.wfile.flush()
        except (socket.timeout, ConnectionError) as e:
            LOG.debug('connection from %s closed: %s',
                      self.client_address, e)
            self.close_connection = True

    def _request_body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            # Spooled to memory or disk so the app sees a Content-Length.
            spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
            while True:
                size = int(self.rfile.readline(1024).split(b';')[0], 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b'\r\n', b'\n',
                                                            b''):
                        pass
                    break
                spool.write(self.rfile.read(size))
                self.rfile.readline(1024)
            length = spool.tell()
            spool.seek(0)
            return _Body(spool, length), length
        try:
            length = int(self.headers.get('Content-Length') or 0)
        except ValueError:
            length = -1
        if length < 0:
            # The body cannot be delimited: the connection is unusable.
            raise BadRequest('Bad Content-Length')
        return _Body(self.rfile, length), length

    def _environ(self, body, length):
        path, _sep, query = self.path.partition('?')
        if path.startswith(('http://', 'https://')):
            path = '/' + path.split('/', 3)[-1]
        server = self.server
        environ = {
            'REQUEST_METHOD': self.command,
            'SCRIPT_NAME': '',
            'PATH_INFO': urllib.parse.unquote(path, 'iso-8859-1'),
            'QUERY_STRING': query,
            'SERVER_NAME': server.server_name,
            'SERVER_PORT': str(server.server_port),
            'SERVER_PROTOCOL': self.request_version,
            'REMOTE_ADDR': self.client_address[0],
            'REMOTE_PORT': str(self.client_address[1]),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': server.scheme,
            'wsgi.input': body,
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': False,
            'wsgi.run_once': False,
        }
        if self.headers.get('Content-Type'):
            environ['CONTENT_TYPE'] = self.headers['Content-Type']
        if length:
            environ['CONTENT_LENGTH'] = str(length)
        for key, value in self.headers.items():
            key = key.upper().replace('-', '_')
            if key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                continue
            key = 'HTTP_' + key
            environ[key] = (environ[key] + ',' + value if key in environ
                            else value)
        return environ

    def _handle_request(self):
        try:
            body, length = self._request_body()
        except (BadRequest, ValueError) as e:
            self.send_error(400, str(e))
            self.close_connection = True
            return
        environ = self._environ(body, length)
        path = environ['PATH_INFO']
        if path.startswith(ADMIN_PREFIX):
            self.server.counters.admin_request()
            self._run_app(self.server.admin_app, environ)
            body.drain()
            return
        counters = self.server.counters
        self.nth += 1
        counters.request_started()
        bridge.begin_request()
        status = 500
        try:
            status = self._connector_request(environ)
        finally:
            body.drain()
            names = bridge.end_request()
            key = names[0] if names else self.server.route_names.name(
                self.command, path)
            counters.request_finished(key, status, self.rfile.count,
                                      self.bytes_out, self.nth)

    def _connector_request(self, environ):
        app = self.server.app
        try:
            if environ['PATH_INFO'] == '/token' and self.command == 'POST':
                app = self._token_fault(app)
            return self._run_app(app, environ)
        except bridge.HTTPFault as fault:
            rule = fault.rule
            if rule.get('action') == 'drop':
                LOG.info('fault rule %s: dropping the connection',
                         rule.get('id'))
                self.close_connection = True
                return 0
            return self._http500(rule)

    def _token_fault(self, app):
        """Fault rules for api 'token' (POST /token), at the HTTP level."""
        rule = self.server.faults.decide(faults.TOKEN)
        if rule is None:
            return app
        if rule.action in faults.HTTP_ACTIONS:
            raise bridge.HTTPFault(rule.to_dict())
        if rule.action == 'hang':
            time.sleep(rule.get('seconds'))
            return app
        if rule.action == 'busy':
            answer = {'overallRC': 503, 'modID': sdk_util.SDKWSGI_MODID,
                      'rc': 503, 'rs': 1, 'errmsg': faults.BUSY_MESSAGE}
        else:
            answer = {k: rule.get(k) for k in ('overallRC', 'modID', 'rc',
                                               'rs')}
            answer['errmsg'] = rule.get('errmsg', 'Simulated error')
        answer['output'] = ''
        return admin.json_app(
            sdk_util.get_http_code_from_sdk_return(answer), answer)

    def _http500(self, rule):
        """The web server's own error page, or a JSON one like FaultWrapper.

        The JSON form is what zvmsdk answers when a handler raises.
        """
        if rule.get('body', 'text') == 'json':
            answer = {'overallRC': rule.get('overallRC', 400),
                      'rc': rule.get('rc', 400), 'rs': rule.get('rs', 500),
                      'modID': rule.get('modID', sdk_util.SDKWSGI_MODID),
                      'output': '',
                      'errmsg': rule.get('errmsg', 'The server has either '
                                         'erred or is incapable of '
                                         'performing the requested '
                                         'operation.')}
            self._send(500, 'Internal Server Error', json.dumps(
                answer).encode(), 'application/json')
        else:
            self._send(500, 'Internal Server Error', _TEXT_500,
                       'text/html; charset=iso-8859-1')
        return 500

    def _send(self, code, reason, data, content_type):
        self._write_head('%d %s' % (code, reason),
                         [('Content-Type', content_type)], len(data), data)

    def _write_head(self, status, headers, length, first=b''):
        lines = ['%s %s' % (self.protocol_version, status),
                 'Server: %s' % SERVER_NAME,
                 'Date: %s' % self.date_time_string()]
        for name, value in headers:
            if name.lower() in _HOP_BY_HOP or name.lower() == \
                    'content-length':
                continue
            lines.append('%s: %s' % (name, value))
        if length is None:
            if self.request_version == 'HTTP/1.1':
                lines.append('Transfer-Encoding: chunked')
            else:
                self.close_connection = True
        else:
            lines.append('Content-Length: %d' % length)
        if self.close_connection:
            lines.append('Connection: close')
        head = ('\r\n'.join(lines) + '\r\n\r\n').encode('iso-8859-1')
        self._write(head + first)

    def _run_app(self, app, environ):
        """Run a WSGI app and send its answer; returns the status code."""
        state = {}

        def start_response(status, headers, exc_info=None):
            if exc_info and state.get('sent'):
                raise exc_info[1].with_traceback(exc_info[2])
            state['status'] = status
            state['headers'] = headers
            return state.setdefault('extra', []).append

        try:
            result = app(environ, start_response)
        except bridge.HTTPFault:
            raise
        except Exception:
            LOG.exception('unhandled error in %s %s', self.command,
                          self.path)
            self._send(500, 'Internal Server Error', _TEXT_500,
                       'text/html; charset=iso-8859-1')
            return 500
        try:
            self._send_result(state, result)
        finally:
            if hasattr(result, 'close'):
                result.close()
        return int(state['status'].split(None, 1)[0])

    def _send_result(self, state, result):
        extra = b''.join(state.get('extra', []))
        if isinstance(result, (list, tuple)):
            data = extra + b''.join(result)
            self._write_head(state['status'], state['headers'], len(data),
                             data)
            state['sent'] = True
            return
        length = None
        for name, value in state['headers']:
            if name.lower() == 'content-length':
                length = int(value)
        self._write_head(state['status'], state['headers'], length, extra)
        state['sent'] = True
        self._release()
        chunked = length is None and self.request_version == 'HTTP/1.1'
        for chunk in result:
            if not chunk:
                continue
            if chunked:
                self._write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
            else:
                self._write(chunk)
        if chunked:
            self._write(b'0\r\n\r\n')


class HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """Threaded; optionally TLS, with the handshake in the connection's
    thread so that a slow client never holds up accept().
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, ssl_context=None,
                 keepalive_timeout=120.0):
        if ':' in address[0]:
            self.address_family = socket.AF_INET6
        self.ssl_context = ssl_context
        self.scheme = 'https' if ssl_context else 'http'
        self.keepalive_timeout = keepalive_timeout
        self.app = sim.app
        self.admin_app = sim.admin_app
        self.counters = sim.counters
        self.faults = sim.faults
        self.route_names = RouteNames()
        super(HTTPServer, self).__init__(address, RequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can
        # stall for seconds without DNS; the address is all we need.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        if self.ssl_context is not None:
            try:
                request.settimeout(10)
                request = self.ssl_context.wrap_socket(request,
                                                       server_side=True)
            except (OSError, ValueError) as e:
                LOG.debug('TLS handshake with %s failed: %s',
                          client_address, e)
                return
        super(HTTPServer, self).finish_request(request, client_address)

    def handle_error(self, request, client_address):
        LOG.exception('error on the connection from %s', client_address)


def _no_op_keyword(validator, value, instance, schema):
    pass


_VALIDATOR_CLASS = jsonschema.validators.extend(
    validation._SchemaValidator.validator_org, {'dummy': _no_op_keyword})


def _schema_validator_init(self, schema, relax_additional_properties=False,
                           is_body=True):
    self.is_body = is_body
    self.validator = _VALIDATOR_CLASS(
        schema, format_checker=validation.FormatChecker())


def reuse_schema_validator_class():
    """Build zvmsdk's jsonschema validator class once, not per request.

    zvmsdk's _SchemaValidator calls jsonschema.validators.extend() for
    every validated request; that creates a class each time and costs
    milliseconds, more than the rest of the request. The class is the same
    every time (Draft 4 plus a no-op 'dummy' keyword), so it is built once;
    validation itself, its errors and messages are zvmsdk's.
    """
    validation._SchemaValidator.__init__ = _schema_validator_init


class Simulator(object):
    """The composition: connector, bridge, zvmsdk app, admin app, server.

    ``connector`` is the connector's admin view (zvm/inventory.py): the
    real SDKAPI's methods, and the admin helpers of ``/_simulator/``.
    """

    def __init__(self, connector, host='127.0.0.1', port=0, ssl_context=None,
                 fault_rules=(), latency=None, keepalive_timeout=120.0):
        self.connector = connector
        self.counters = Counters()
        self.faults = faults.FaultRegistry()
        self.faults.add(list(fault_rules))
        self.latency = latency or faults.Latency()
        bridge.install_client_hook()
        reuse_schema_validator_class()
        self.bridge = bridge.Bridge(bridge.ConnectorAPI(
            connector, self.faults, self.latency, self.counters.api_call))
        self.app = deploy.loadapp()
        self.admin_app = admin.AdminApp(self)
        self.httpd = HTTPServer((host, port), self, ssl_context,
                                keepalive_timeout)
        self._thread = None

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        if ':' in host:
            host = '[%s]' % host
        return '%s://%s:%d' % (self.httpd.scheme, host, port)

    def start(self):
        self.bridge.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={'poll_interval': 0.2},
                                        name='httpd', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()
        self.bridge.stop()
