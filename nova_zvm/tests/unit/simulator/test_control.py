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

"""control.SimulatorProcess and command_line, without a real simulator
where a stand-in process shows the behaviour better.
"""

import os
import sys
import time

import fixtures
from nova import test

from nova_zvm.simulator import control


class CommandLineTestCase(test.NoDBTestCase):

    def test_options_become_flags(self):
        argv = control.command_line(
            '/state', port=8080, auth='token', guests=0, cert=None,
            debug=False, verbose=True, fault=['a:drop', {'api': 'b',
                                                         'action': 'busy'}],
            latency=('all=0.1',))
        self.assertEqual(
            [sys.executable, '-m', 'nova_zvm.simulator.cli', '--host',
             '127.0.0.1', '--port', '8080', '--state-dir', '/state',
             '--auth', 'token',
             '--fault', 'a:drop', '--fault', '{"api": "b", "action": "busy"}',
             '--guests', '0', '--latency', 'all=0.1', '--verbose'],
            argv)

    def test_path_options_made_absolute(self):
        self.useFixture(fixtures.MonkeyPatch('os.getcwd', lambda: '/here'))
        sim = control.SimulatorProcess('state', token_file='tok',
                                       cert='c.pem', auth='token')
        self.assertIn(os.path.abspath('tok'), sim.argv)
        self.assertIn(os.path.abspath('c.pem'), sim.argv)
        self.assertEqual(os.path.abspath('state'), sim.state_dir)


class FakeProcessTestCase(test.NoDBTestCase):
    """SimulatorProcess around small scripts that misbehave on purpose."""

    def setUp(self):
        super(FakeProcessTestCase, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def process(self, script, **kwargs):
        sim = control.SimulatorProcess(self.dir, **kwargs)
        sim.argv = [sys.executable, '-c', script]
        self.addCleanup(sim.stop)
        return sim

    def test_start_timeout(self):
        sim = self.process('import time; time.sleep(60)', start_timeout=0.5)
        start = time.monotonic()
        err = self.assertRaises(control.SimulatorError, sim.start)
        self.assertIn('did not start within', str(err))
        self.assertLess(time.monotonic() - start, 10)
        self.assertIsNone(sim.proc)

    def test_exit_before_first_line_reports_stderr(self):
        sim = self.process('import sys; sys.stderr.write("boom\\n"); '
                           'sys.exit(3)')
        err = self.assertRaises(control.SimulatorError, sim.start)
        self.assertIn('exited with code 3', str(err))
        self.assertIn('boom', str(err))

    def test_unexpected_first_line(self):
        sim = self.process('print("hello"); import time; time.sleep(60)')
        err = self.assertRaises(control.SimulatorError, sim.start)
        self.assertIn("unexpected first line 'hello'", str(err))
        self.assertIsNone(sim.proc)

    def test_stop_kills_what_ignores_sigterm(self):
        sim = self.process(
            'import signal, time; '
            'signal.signal(signal.SIGTERM, signal.SIG_IGN); '
            'print("nova-zvm-simulator listening on http://127.0.0.1:1", '
            'flush=True); time.sleep(60)', stop_timeout=0.5)
        sim.start()
        self.assertEqual('http://127.0.0.1:1', sim.url)
        pid = sim.pid
        self.assertEqual(-9, sim.stop())
        self.assertRaises(ChildProcessError, os.waitpid, pid, os.WNOHANG)

    def test_start_twice_refused(self):
        sim = self.process('print("nova-zvm-simulator listening on '
                           'http://127.0.0.1:1", flush=True); '
                           'import time; time.sleep(60)')
        sim.start()
        self.assertRaises(control.SimulatorError, sim.start)


class RealStartFailureTestCase(test.NoDBTestCase):

    def test_bad_option_fails_fast_with_the_message(self):
        state_dir = self.useFixture(fixtures.TempDir()).path
        sim = control.SimulatorProcess(state_dir,
                                       latency=['nonsense'])
        err = self.assertRaises(control.SimulatorError, sim.start)
        self.assertIn('exited with code 2', str(err))
        self.assertIn('expected API=SPEC', str(err))
