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

"""The sudo seam: the program, its server, and their failures."""

import socket
import socketserver
import subprocess
import threading

import fixtures
from oslotest import base as oslo_base

from nova_zvm.simulator.zvm import sudo


class _ZVM(object):
    """A fake z/VM whose programs answer, or break, as a test says."""

    def __init__(self, answer):
        self.answer = answer

    def run(self, argv):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class SudoTest(oslo_base.BaseTestCase):

    def setUp(self):
        super(SudoTest, self).setUp()
        self.bin = self.useFixture(fixtures.TempDir()).path
        self.log = self.useFixture(fixtures.FakeLogger(name=sudo.__name__))

    def serve(self, answer):
        server = sudo.SudoServer(_ZVM(answer))
        server.start()
        self.addCleanup(server.stop)
        return sudo.install_program(self.bin, server.port)

    def sudo(self, program, *args):
        return subprocess.run([program, '-n', 'vmcp'] + list(args),
                              capture_output=True, text=True, timeout=30)

    def test_program_answer_and_exit_code(self):
        done = self.sudo(self.serve((3, 'HCPCQV003E Invalid option\n')),
                         'q', 'x')
        self.assertEqual(3, done.returncode)
        self.assertEqual('HCPCQV003E Invalid option\n', done.stdout)
        self.assertEqual('', done.stderr)

    def test_error_inside_the_fake_zvm_is_logged_and_answered(self):
        done = self.sudo(self.serve(KeyError('up_at')), 'q', 'x')
        self.assertEqual(1, done.returncode)
        self.assertEqual('', done.stdout)
        self.assertEqual('sudo: internal error of the fake z/VM running '
                         'vmcp\n', done.stderr)
        # The traceback is in the simulator's log.
        self.assertIn("KeyError: 'up_at'", self.log.output)
        self.assertIn("['vmcp', 'q', 'x']", self.log.output)

    def _broken_server(self, reply):
        """A server that reads the request and answers ``reply``."""
        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.recv(4096)
                self.request.sendall(reply)
                self.request.shutdown(socket.SHUT_WR)

        server = socketserver.TCPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return sudo.install_program(self.bin, server.server_address[1])

    def test_empty_answer_is_a_clear_error(self):
        done = self.sudo(self._broken_server(b''), 'q', 'x')
        self.assertEqual(1, done.returncode)
        self.assertIn('sudo: no exit code from the fake z/VM running vmcp',
                      done.stderr)
        self.assertNotIn('numeric argument required', done.stderr)

    def test_garbled_answer_is_a_clear_error(self):
        done = self.sudo(self._broken_server(b'Trace'), 'q', 'x')
        self.assertEqual(1, done.returncode)
        self.assertIn('no exit code from the fake z/VM', done.stderr)

    def test_output_kept_byte_for_byte_short_and_long(self):
        # Short answers are read by bash, long ones by cat: both keep
        # leading blanks, backslashes and trailing newlines.
        for size in (0, 10, sudo.SMALL_OUTPUT, sudo.SMALL_OUTPUT + 1,
                     200000):
            text = ('  a\\b\tc\n' * (size // 8 + 1))[:size] + '\n\n'
            done = self.sudo(self.serve((0, text)), 'q', 'x')
            self.assertEqual(0, done.returncode)
            self.assertEqual(text, done.stdout, 'size %d' % size)

    def test_many_programs_at_once(self):
        # More programs than socketserver's default backlog (5) connect at
        # once. With that backlog some waited for a TCP retransmission (a
        # second) before being answered: the backlog must hold them all.
        self.assertGreaterEqual(sudo.SudoServer.request_queue_size, 40)
        program = self.serve((0, 'ok\n'))
        results = []

        def run():
            results.append(self.sudo(program, 'q', 'x').stdout)

        threads = [threading.Thread(target=run) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(['ok\n'] * 40, results)
