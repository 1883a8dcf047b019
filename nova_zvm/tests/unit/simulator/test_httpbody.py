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

"""Request bodies: never past their length, drained, chunked spooled."""

import io

from nova import test

from nova_zvm.simulator import httpbody


class BodyTestCase(test.NoDBTestCase):

    def test_never_reads_past_content_length(self):
        stream = io.BytesIO(b'line1\nline2\nNEXT REQUEST')
        body = httpbody.Body(stream, 12)
        self.assertEqual(b'line1\n', body.readline())
        self.assertEqual(b'line2\n', body.read(100))
        self.assertEqual(b'', body.read())
        self.assertEqual(b'NEXT REQUEST', stream.read())

    def test_drain(self):
        stream = io.BytesIO(b'x' * 100000 + b'NEXT')
        body = httpbody.Body(stream, 100000)
        body.read(10)
        body.drain()
        self.assertEqual(b'NEXT', stream.read())


class RequestBodyTestCase(test.NoDBTestCase):

    def test_content_length(self):
        rfile = io.BytesIO(b'{"a": 1}GET /next')
        body, length = httpbody.request_body({'Content-Length': '8'}, rfile)
        self.assertEqual((b'{"a": 1}', 8), (body.read(), length))
        self.assertEqual(b'GET /next', rfile.read())

    def test_no_body(self):
        body, length = httpbody.request_body({}, io.BytesIO(b'NEXT'))
        self.assertEqual((b'', 0), (body.read(), length))

    def test_chunked_body_is_spooled_with_its_length(self):
        rfile = io.BytesIO(b'5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n'
                           b'Trailer: x\r\n\r\nNEXT')
        body, length = httpbody.request_body(
            {'Transfer-Encoding': 'Chunked'}, rfile)
        self.assertEqual((b'hello world', 11), (body.read(), length))
        self.assertEqual(b'NEXT', rfile.read())

    def test_body_that_cannot_be_delimited(self):
        for value in ('nope', '-5'):
            self.assertRaises(httpbody.BadRequest, httpbody.request_body,
                              {'Content-Length': value}, io.BytesIO(b'{}'))

    def test_counting_reader(self):
        reader = httpbody.CountingReader(io.BytesIO(b'GET / HTTP/1.1\r\nab'))
        reader.readline()
        reader.read(1)
        self.assertEqual(17, reader.count)
