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

"""The seam between the real connector and the fake z/VM: ``sudo``.

zvmsdk and smtLayer run every z/VM-side program as ``sudo <program>``
(by PATH lookup of ``sudo``). The simulator puts a directory first on the
connector's PATH whose ``sudo`` is the small program below: it sends its
arguments over a Unix socket to the simulator process, where
:class:`SudoServer` runs them on the :class:`programs.FakeZVM`, and exits
with the program's exit code and output. Nothing of zvmsdk or smtLayer
is patched for this: they spawn a process and read its output, exactly as
on a real connector.

The program is written with only the standard library and run with
``-IS`` (one shebang argument) so it starts in a few tens of milliseconds.
"""

import json
import logging
import os
import socketserver
import stat
import sys
import threading

LOG = logging.getLogger(__name__)

SUDO_PROGRAM = '''#!%(python)s -IS
# nova-zvm-simulator's sudo: runs the z/VM-side program on the fake z/VM.
import json, os, socket, sys
argv = sys.argv[1:]
while argv and argv[0].startswith('-'):
    argv.pop(0)
argv = %(prefix)r + argv
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(%(socket)r)
except OSError as e:
    sys.stderr.write('sudo: the fake z/VM is not running: %%s\\n' %% e)
    sys.exit(1)
s.sendall(json.dumps({'argv': argv}).encode() + b'\\n')
data = b''
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
answer = json.loads(data.decode())
sys.stdout.write(answer['output'])
sys.stdout.flush()
sys.exit(answer['rc'])
'''


class _Handler(socketserver.StreamRequestHandler):

    def handle(self):
        line = self.rfile.readline()
        try:
            argv = json.loads(line.decode())['argv']
        except (ValueError, KeyError, TypeError):
            return
        rc, output = self.server.zvm.run(argv)
        answer = json.dumps({'rc': rc, 'output': output or ''})
        self.wfile.write(answer.encode())


class SudoServer(socketserver.ThreadingMixIn,
                 socketserver.UnixStreamServer):
    """Runs the programs ``sudo`` sends, one thread per program."""

    daemon_threads = True

    def __init__(self, socket_path, zvm):
        self.zvm = zvm
        if os.path.exists(socket_path):
            os.remove(socket_path)
        socketserver.UnixStreamServer.__init__(self, socket_path, _Handler)
        # The connector may run as another user than whoever made the
        # state directory: the socket is the z/VM's door, like sudo's.
        os.chmod(socket_path, 0o666)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever,
                                        name='fake-zvm-sudo', daemon=True)
        self._thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()


def install_program(bin_dir, socket_path, python=None, name='sudo'):
    """Write the ``sudo`` program into ``bin_dir``; returns its path.

    With another ``name``, the program is that tool of the connector's
    Linux, run without sudo (e.g. ``udevadm`` in smtLayer's installFS):
    it is forwarded to the fake z/VM as ``sudo <name> ...`` would be.
    """
    os.makedirs(bin_dir, exist_ok=True)
    path = os.path.join(bin_dir, name)
    text = SUDO_PROGRAM % {'python': python or sys.executable,
                           'socket': socket_path,
                           'prefix': [] if name == 'sudo' else [name]}
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP |
             stat.S_IROTH | stat.S_IXOTH)
    os.replace(tmp, path)
    return path
