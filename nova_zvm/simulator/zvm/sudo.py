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
arguments over a loopback TCP connection to the simulator process, where
:class:`SudoServer` runs them on the :class:`programs.FakeZVM`, and exits
with the program's exit code and output. Nothing of zvmsdk or smtLayer
is patched for this: they spawn a process and read its output, exactly as
on a real connector.
"""

import logging
import os
import socket
import socketserver
import stat
import threading

LOG = logging.getLogger(__name__)

# bash, because it starts in a few milliseconds (a Python program takes
# tens): the z/VM-side programs run often, and a real connector's
# single-guest calls cost a handful of them. The request is the argument
# count then the arguments, each NUL-terminated; the answer is one line
# "<exit code> <1 or 2: stdout or stderr> <output bytes>", then the output.
# bash reads a short output itself: a cat process for it was a third of
# the program's CPU. bash reads a socket a byte at a time, so a long
# output (over SMALL_OUTPUT bytes) still goes through cat.
SMALL_OUTPUT = 4096
SUDO_PROGRAM = """#!/bin/bash
# nova-zvm-simulator's sudo: runs the z/VM-side program on the fake z/VM.
%(args)s
exec 3<>/dev/tcp/127.0.0.1/%(port)d || {
    echo "sudo: the fake z/VM is not running" >&2; exit 1; }
printf '%%d\\0' "$#" >&3
printf '%%s\\0' "$@" >&3
# The answer's first line: the exit code, the output's stream and size.
# No or a garbled line: the fake z/VM broke.
IFS=' ' read -r rc fd size <&3
case "${rc#-}:$fd:$size" in
    :*|*[!0-9:]*|*:)
        echo "sudo: no exit code from the fake z/VM running $1" \
             "(see the simulator's log)" >&2
        exit 1;;
esac
if [ "$size" -le %(small)d ]; then
    IFS= read -r -d '' out <&3
    if [ "$fd" = 2 ]; then printf '%%s' "$out" >&2
    else printf '%%s' "$out"
    fi
elif [ "$fd" = 2 ]; then /bin/cat <&3 >&2
else /bin/cat <&3
fi
exit "$rc"
"""


class _Handler(socketserver.StreamRequestHandler):

    def _field(self):
        data = bytearray()
        while True:
            byte = self.rfile.read(1)
            if not byte:
                raise EOFError
            if byte == b'\0':
                return data.decode('utf-8', 'replace')
            data += byte

    def handle(self):
        try:
            count = int(self._field())
            argv = [self._field() for _ in range(count)]
        except (EOFError, ValueError):
            return
        stream = 1
        try:
            rc, output = self.server.zvm.run(argv)
        except Exception:
            # Answer as a failing program would; the traceback is ours.
            LOG.exception('The fake z/VM failed running %s', argv)
            rc, stream = 1, 2
            output = ('sudo: internal error of the fake z/VM running %s\n'
                      % (argv[0] if argv else ''))
        data = (output or '').encode()
        try:
            self.wfile.write(('%d %d %d\n' % (rc, stream, len(data))).encode()
                             + data)
        except OSError as err:
            LOG.warning('sudo went before its answer (%s): %s', argv, err)


class SudoServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Runs the programs ``sudo`` sends, one thread per program.

    It listens on loopback only: it is the fake z/VM's door, as sudo and
    the real programs are a real z/VM's.
    """

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: when more programs start at
    # once than the accepting thread takes, Linux drops their connection
    # request and sudo's connect waits a whole second to try again (TCP's
    # initial retransmission timeout). A connector runs dozens at once.
    request_queue_size = socket.SOMAXCONN

    def __init__(self, zvm):
        self.zvm = zvm
        socketserver.TCPServer.__init__(self, ('127.0.0.1', 0), _Handler)
        self.port = self.server_address[1]
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever,
                                        name='fake-zvm-sudo', daemon=True)
        self._thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()


def install_program(bin_dir, port, name='sudo'):
    """Write the ``sudo`` program into ``bin_dir``; returns its path.

    With another ``name``, the program is that tool of the connector's
    Linux, run without sudo (e.g. ``udevadm`` in smtLayer's installFS):
    it is forwarded to the fake z/VM as ``sudo <name> ...`` would be.
    """
    os.makedirs(bin_dir, exist_ok=True)
    path = os.path.join(bin_dir, name)
    if name == 'sudo':
        # sudo's own options (none matter here) go.
        args = 'while [ "${1#-}" != "$1" ]; do shift; done'
    else:
        args = 'set -- %s "$@"' % name
    text = SUDO_PROGRAM % {'port': port, 'args': args,
                           'small': SMALL_OUTPUT}
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP |
             stat.S_IROTH | stat.S_IXOTH)
    os.replace(tmp, path)
    return path
