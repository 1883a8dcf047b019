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

"""Request bodies of the HTTP/1.1 gateway (httpd.py).

A keep-alive connection carries request after request, so a body is read
up to its Content-Length and no further, and what the application left
unread is drained, so the next request on the connection stays aligned.
A chunked request body is spooled (to memory, then to disk) so that the
WSGI application sees a Content-Length. ``CountingReader`` counts the
bytes read from the connection, request lines included.
"""

import tempfile


class BadRequest(Exception):
    """A request whose body cannot be read."""


class CountingReader(object):
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


class Body(object):
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


def request_body(headers, rfile):
    """(wsgi.input, length) of the request whose headers were read.

    Raises BadRequest (or ValueError, a bad chunk size) when the body
    cannot be delimited: the connection is then unusable.
    """
    if 'chunked' in headers.get('Transfer-Encoding', '').lower():
        # Spooled to memory or disk so the app sees a Content-Length.
        spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
        while True:
            size = int(rfile.readline(1024).split(b';')[0], 16)
            if size == 0:
                while rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                    pass
                break
            spool.write(rfile.read(size))
            rfile.readline(1024)
        length = spool.tell()
        spool.seek(0)
        return Body(spool, length), length
    try:
        length = int(headers.get('Content-Length') or 0)
    except ValueError:
        length = -1
    if length < 0:
        # The body cannot be delimited: the connection is unusable.
        raise BadRequest('Bad Content-Length')
    return Body(rfile, length), length
