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

"""The HTTP/1.1 gateway: raw HTTP against a simulator process."""

import http.client
import json
import os
import socket
import urllib.parse

import requests

from nova_zvm.tests.unit.simulator import base


class HTTPTestCase(base.SimulatorTestCase):

    def connect(self):
        parsed = urllib.parse.urlparse(self.sim.url)
        return http.client.HTTPConnection(parsed.hostname, parsed.port,
                                          timeout=10)

    def raw(self, data):
        parsed = urllib.parse.urlparse(self.sim.url)
        sock = socket.create_connection((parsed.hostname, parsed.port), 10)
        self.addCleanup(sock.close)
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b''.join(chunks)

    def test_pipelined_requests_on_one_connection(self):
        request = b'GET /guests HTTP/1.1\r\nHost: x\r\n\r\n'
        close = b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
        data = self.raw(request * 3 + close)
        self.assertEqual(4, data.count(b'HTTP/1.1 200 OK'))
        self.assertEqual(1, data.count(b'Connection: close'))
        counters = self.admin.counters()
        self.assertEqual((1, 4), (counters['connections'],
                                  counters['max_requests_per_connection']))

    def test_http10_client_gets_connection_closed(self):
        data = self.raw(b'GET /guests HTTP/1.0\r\n\r\n')
        self.assertIn(b'Connection: close', data)
        self.assertTrue(data.endswith(b'}'), data)

    def test_malformed_requests(self):
        # http.server answers a request line it cannot parse HTTP/0.9
        # style (no status line), then closes.
        data = self.raw(b'THIS IS NOT HTTP\r\n\r\n')
        self.assertIn(b'Error code: 400', data)
        for length in (b'nope', b'-5'):
            data = self.raw(b'POST /guests HTTP/1.1\r\nContent-Length: ' +
                            length + b'\r\n\r\n{}')
            self.assertTrue(data.startswith(b'HTTP/1.1 400'), data)
            self.assertIn(b'Connection: close', data)

    def test_unread_body_does_not_break_the_next_request(self):
        conn = self.connect()
        body = json.dumps({'x': 'y' * 5000})
        conn.request('POST', '/nosuchroute', body=body,
                     headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(404, resp.status)
        conn.request('GET', '/guests')
        resp = conn.getresponse()
        self.assertEqual(0, json.loads(resp.read())['overallRC'])
        conn.close()

    def test_chunked_request_body(self):
        conn = self.connect()
        body = iter([b'{"guest": {"userid": "CHUNK1", ',
                     b'"vcpus": 1, "memory": 512, ',
                     b'"disk_list": [{"size": "1g", "is_boot_disk": true}]}}'])
        conn.request('POST', '/guests', body=body, encode_chunked=True,
                     headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        self.assertEqual(0, json.loads(resp.read())['overallRC'])
        self.addCleanup(self.call, 'guest_delete', 'CHUNK1')
        conn.request('GET', '/guests/CHUNK1/power_state')
        resp = conn.getresponse()
        self.assertEqual('off', json.loads(resp.read())['output'])
        conn.close()

    def test_streamed_file_export_is_chunked(self):
        source = os.path.join(self.tmpdir, 'export.bin')
        with open(source, 'wb') as f:
            f.write(os.urandom(100000))
        with requests.Session() as session:
            resp = session.post(self.sim.url + '/files', timeout=10,
                                json={'source_file': source})
            self.assertEqual('chunked', resp.headers['Transfer-Encoding'])
            self.assertEqual('application/octet-stream',
                             resp.headers['Content-Type'])
            with open(source, 'rb') as f:
                self.assertEqual(f.read(), resp.content)
            # The connection is still usable after a chunked answer.
            session.get(self.sim.url + '/guests',
                        timeout=10).raise_for_status()
        self.assertEqual(1, self.admin.counters()['connections'])

    def test_bytes_counted_exactly(self):
        request = (b'GET /guests HTTP/1.1\r\nHost: x\r\n'
                   b'Connection: close\r\n\r\n')
        data = self.raw(request)
        counters = self.admin.counters()
        self.assertEqual(len(request), counters['bytes_in'])
        self.assertEqual(len(data), counters['bytes_out'])
