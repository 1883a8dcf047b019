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

"""The real nova-compute entry point with a bad option: one clear line.

Each case runs the ``nova-compute`` console script's function in its own
process with a minimal nova.conf. Nova 34 waits for nova-conductor and
builds its placement client before it loads the driver; neither exists
here, so the process replaces those two with no-ops, and nothing else:
config parsing, logging, the driver loading and its error handling are
Nova's own.
"""

import os
import subprocess
import sys
import textwrap

import fixtures
from nova import test

import nova_zvm

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(
    nova_zvm.__file__)))

RUN_NOVA_COMPUTE = textwrap.dedent("""
    import sys
    from importlib import metadata

    (entry,) = metadata.entry_points(group='console_scripts',
                                     name='nova-compute')
    main = entry.load()
    from nova.conductor import api as conductor_api
    from nova.scheduler.client import report
    conductor_api.API.wait_until_ready = lambda self, ctxt, *a, **kw: None
    report.SchedulerReportClient._create_client = lambda self: None
    sys.argv = ['nova-compute'] + sys.argv[1:]
    sys.exit(main())
""")

BASE_CONF = """[DEFAULT]
compute_driver = zvm_ext.ZVMDriver
transport_url = fake://
state_path = %(state)s
instance_name_template = OS%%06x
[zvm]
cloud_connector_url = http://127.0.0.1:9
"""

# [zvm] lines -> what the one ERROR line must say.
CASES = {
    'read_timeout': ('read_timeout = abc',
                     ['[zvm] read_timeout', "'abc'",
                      'a number of at least 1.0']),
    'retry_attempts': ('retry_attempts = 99',
                       ['[zvm] retry_attempts', 'from 0 to 20']),
    'disk_pool': ('disk_pool = ECKD-POOL1',
                  ['[zvm] disk_pool', 'ECKD-POOL1', 'TYPE:NAME',
                   'ECKD:POOL1']),
}


class ComputeStartTestCase(test.NoDBTestCase):

    TIMEOUT = 300

    def _start(self, name, zvm_lines):
        tmp = self.useFixture(fixtures.TempDir()).path
        conf = os.path.join(tmp, 'nova.conf')
        with open(conf, 'w') as f:
            f.write(BASE_CONF % {'state': os.path.join(tmp, 'state')})
            f.write(zvm_lines + '\n')
        env = dict(os.environ, PYTHONPATH=SOURCE_ROOT)
        proc = subprocess.Popen(
            [sys.executable, '-c', RUN_NOVA_COMPUTE, '--config-file', conf],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            cwd=tmp)
        self.addCleanup(self._reap, proc)
        return proc

    @staticmethod
    def _reap(proc):
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    def test_bad_options_stop_in_one_line(self):
        # In parallel: each process spends its time importing Nova.
        procs = {name: self._start(name, lines)
                 for name, (lines, _words) in CASES.items()}
        for name, proc in procs.items():
            output, _err = proc.communicate(timeout=self.TIMEOUT)
            output = output.decode('utf-8', 'replace')
            self.assertEqual(1, proc.returncode, output)
            errors = [line for line in output.splitlines()
                      if ' ERROR ' in line]
            self.assertEqual(1, len(errors), output)
            for word in CASES[name][1]:
                self.assertIn(word, errors[0])
            for wrong in ('Traceback', 'CRITICAL', 'Unhandled error',
                          'is not of type'):
                self.assertNotIn(wrong, output)
