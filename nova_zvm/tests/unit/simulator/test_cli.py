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

"""The command line: options, errors, the first line."""

import io
import os
import socket
import subprocess
import sys

import fixtures
from nova import test

from nova_zvm.simulator import cli
from nova_zvm.simulator import control
from nova_zvm.tests.unit.simulator import base


class BadOptionsTestCase(test.NoDBTestCase):
    """Options refused before anything starts (main() in this process)."""

    def setUp(self):
        super(BadOptionsTestCase, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.state_dir = os.path.join(self.dir, 'state')

    def main(self, *argv):
        stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        code = cli.main(['--state-dir', self.state_dir] + list(argv))
        return code, stderr.getvalue()

    def assertRefused(self, expected, *argv):
        code, err = self.main(*argv)
        self.assertEqual(2, code, err)
        self.assertEqual(1, err.count('\n'), err)
        self.assertTrue(err.startswith('nova-zvm-simulator: error: '), err)
        self.assertIn(expected, err)
        self.assertNotIn('Traceback', err)
        # Refused before anything was written.
        self.assertFalse(os.path.exists(self.state_dir))

    def test_bad_values(self):
        self.assertRefused("'http' is not an integer", '--port', 'http')
        self.assertRefused('is not a TCP port', '--port', '70000')
        self.assertRefused('--auth', '--auth', 'kerberos')
        self.assertRefused('must be at least 1', '--cpus', '0')
        self.assertRefused('expected ECKD:NAME or FBA:NAME', '--disk-pool',
                           'SCSI:POOL')
        self.assertRefused('is not a z/VM userid', '--zvm-host', 'TOOLONGNAME')
        self.assertRefused('must not be negative', '--guests', '-1')
        self.assertRefused('unrecognized arguments', '--colour', 'red')
        # The hand-written model is gone; zvmsdk is the only backend.
        self.assertRefused("invalid choice: 'model'", '--backend', 'model')
        self.assertRefused('--pool-volumes takes sizes', '--pool-volumes',
                           '10016,big')
        self.assertRefused('--zvm-latency takes NAME=SECONDS',
                           '--zvm-latency', 'vmur=slow')
        self.assertRefused('not negative', '--zvm-latency', 'vmur=-1')

    def test_inconsistent_options(self):
        self.assertRefused('--auth token needs --token-file', '--auth',
                           'token')
        self.assertRefused('--cert and --key go together', '--cert',
                           __file__)
        self.assertRefused('no such file', '--cert', '/nonexistent.pem',
                           '--key', '/nonexistent.key')
        self.assertRefused('--ssi-member needs --ssi-name', '--ssi-member',
                           'M1')

    def test_bad_fault_rules_and_latency(self):
        self.assertRefused('unknown fault action', '--fault',
                           'guest_list:explode')
        self.assertRefused('not valid JSON', '--fault', '{"api": ')
        self.assertRefused('expected API=SPEC', '--latency', 'guest_list')
        self.assertRefused('use SECONDS', '--latency', 'all=uniform:3:1')

    def test_unusable_certificate(self):
        bogus = os.path.join(self.dir, 'bogus.pem')
        with open(bogus, 'w') as f:
            f.write('not a certificate\n')
        self.assertRefused('cannot use --cert/--key', '--cert', bogus,
                           '--key', bogus)

    def test_state_dir_that_is_a_file(self):
        with open(self.state_dir, 'w'):
            pass
        code, err = self.main()
        self.assertEqual(2, code)
        self.assertIn('is not a directory', err)

    def test_missing_state_dir_option(self):
        stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        self.assertEqual(2, cli.main([]))
        self.assertIn('--state-dir', stderr.getvalue())


class ProcessTestCase(test.NoDBTestCase):
    """The console entry point as a process."""

    def setUp(self):
        super(ProcessTestCase, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def run_cli(self, *argv):
        cmd = control.command_line(os.path.join(self.dir, 'state'))
        env = dict(os.environ, PYTHONPATH=control._PACKAGE_ROOT)
        return subprocess.run(cmd + list(argv), capture_output=True,
                              text=True, timeout=60, env=env,
                              cwd=control._PACKAGE_ROOT)

    def test_bad_option_exit_code_and_one_line(self):
        result = self.run_cli('--memory-mb', 'lots')
        self.assertEqual(2, result.returncode)
        self.assertEqual('', result.stdout)
        self.assertEqual(["nova-zvm-simulator: error: argument --memory-mb: "
                          "'lots' is not an integer"],
                         result.stderr.splitlines())

    def test_errors_found_after_start_up_began(self):
        # Found by auth once start-up began, still one line and exit 2.
        empty = os.path.join(self.dir, 'empty-token')
        open(empty, 'w').close()
        result = self.run_cli('--auth', 'token', '--token-file', empty)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn('is empty', result.stderr)

    def test_port_in_use(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen(1)
            result = self.run_cli('--port', str(busy.getsockname()[1]))
        self.assertEqual(2, result.returncode)
        self.assertEqual(1, len(result.stderr.splitlines()), result.stderr)
        self.assertIn('cannot listen on 127.0.0.1:', result.stderr)

    def test_help(self):
        result = self.run_cli('--help')
        self.assertEqual(0, result.returncode)
        for option in ('--auth', '--token-file', '--cert', '--fault',
                       '--latency', '--guests', '--ssi-dir', '--log-file'):
            self.assertIn(option, result.stdout)

    def test_first_line_and_log_file(self):
        log_file = os.path.join(self.dir, 'sim.log')
        sim = control.SimulatorProcess(os.path.join(self.dir, 'state'),
                                       log_file=log_file, log_level='DEBUG')
        sim.start()
        self.addCleanup(sim.stop)
        self.assertRegex(sim.url, r'^http://127\.0\.0\.1:\d+$')
        self.assertNotEqual('http://127.0.0.1:0', sim.url)
        base.rest_client(sim.url).call('guest_list')
        self.assertEqual(0, sim.stop())
        with open(log_file) as f:
            log = f.read()
        self.assertIn('listening on %s' % sim.url, log)
        self.assertIn('"GET /guests" status: 200', log)
        self.assertFalse(os.path.exists(os.path.join(self.dir, 'state',
                                                     'simulator.log')))


class EntryPointTestCase(test.NoDBTestCase):

    def test_python_dash_m_entry_point(self):
        self.assertEqual([sys.executable, '-m', 'nova_zvm.simulator.cli'],
                         control.command_line('/s')[:3])
