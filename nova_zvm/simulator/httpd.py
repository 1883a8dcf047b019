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
(and drained, so the next request on the connection stays aligned;
httpbody.py), chunked request and response bodies, one thread per
connection, TLS with the handshake in the connection's thread. Requests
under ``/_simulator/`` go to the admin app, all others to zvmsdk's; it
counts what tests and benchmarks need (counters.py) and applies HTTP-level
faults (http_faults.py).
"""

import http.server
import logging
import socket
import socketserver
import sys
import urllib.parse

from nova_zvm.simulator import bridge
from nova_zvm.simulator import counters
from nova_zvm.simulator import http_faults
from nova_zvm.simulator import httpbody

LOG = logging.getLogger(__name__)
ADMIN_PREFIX = '/_simulator/'
SERVER_NAME = 'nova-zvm-simulator'
_HOP_BY_HOP = ('connection', 'keep-alive', 'transfer-encoding')


class RequestHandler(http.server.BaseHTTPRequestHandler):
    """One connection; BaseHTTPRequestHandler.handle loops on keep-alive."""

    protocol_version = 'HTTP/1.1'
    server_version = SERVER_NAME

    def setup(self):
        self.timeout = self.server.keepalive_timeout
        super(RequestHandler, self).setup()
        self.rfile = httpbody.CountingReader(self.rfile)
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
            body, length = httpbody.request_body(self.headers, self.rfile)
        except (httpbody.BadRequest, ValueError) as e:
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
                app = http_faults.token_fault(self.server.faults, app)
            return self._run_app(app, environ)
        except bridge.HTTPFault as fault:
            rule = fault.rule
            if rule.get('action') == 'drop':
                LOG.info('fault rule %s: dropping the connection',
                         rule.get('id'))
                self.close_connection = True
                return 0
            data, content_type = http_faults.http500(rule)
            self._send(500, 'Internal Server Error', data, content_type)
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
            self._send(500, 'Internal Server Error', http_faults.TEXT_500,
                       http_faults.TEXT_500_TYPE)
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
        self.route_names = counters.RouteNames()
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
