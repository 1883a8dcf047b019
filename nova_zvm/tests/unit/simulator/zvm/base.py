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

"""Running zvmsdk's real code over the fake z/VM in a test.

zvmsdk keeps module-level singletons (one connector per process), so a
test that goes through zvmsdk's real path runs its calls in a child
process: :func: builds a connector there (connector.build)
on a state directory and runs SDKAPI calls in order, each answered as
{'output': ...} or {'error': {'overallRC', 'modID', 'rc', 'rs',
'errmsg'}} exactly as the request server would answer. A state
directory can be reused by a later call (the state persists).
"""

import json
import os
import subprocess
import sys

import fixtures
from oslotest import base

from nova_zvm.simulator.zvm import state as zvm_state

_CHILD = '''
import json, logging, sys
logging.basicConfig(level=logging.CRITICAL)
from nova_zvm.simulator.zvm import connector
from zvmsdk import returncode
req = json.loads(sys.stdin.read())
c = connector.build(req['state_dir'], **req['build'])
answers = []
for name, args, kwargs in req['calls']:
    try:
        out = getattr(c.api, name)(*args, **kwargs)
        answers.append({'output': out})
    except Exception as e:
        # What the request server answers (sdkserver.serve_API; any other
        # exception is construct_internal_error's 500, modID 100, rs 1).
        res = getattr(e, 'results', None) or dict(
            returncode.errors['internal'][0], rs=1,
            modID=returncode.ModRCs['sdkserver'])
        answers.append({'error': {
            'overallRC': res.get('overallRC'), 'modID': res.get('modID'),
            'rc': res.get('rc'), 'rs': res.get('rs'),
            'errmsg': str(e), 'type': type(e).__name__}})
c.stop()
sys.stdout.write(json.dumps(answers, default=str))
'''


def child_env():
    """The environment of a child process that imports this tree."""
    env = dict(os.environ)
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))))
    env['PYTHONPATH'] = top + os.pathsep + env.get('PYTHONPATH', '')
    return env


def run_connector(state_dir, calls, **build):
    """Run calls ([name, args, kwargs]) on a connector over state_dir."""
    calls = [[c[0], c[1] if len(c) > 1 else [], c[2] if len(c) > 2 else {}]
             for c in calls]
    env = dict(os.environ)
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))))
    env['PYTHONPATH'] = top + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run(
        [sys.executable, '-c', _CHILD],
        input=json.dumps({'state_dir': state_dir, 'calls': calls,
                          'build': build}),
        capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise AssertionError('connector process failed: %s' % proc.stderr)
    return json.loads(proc.stdout)


class ConnectorTestCase(base.BaseTestCase):
    """A test with a fresh state directory for a fake z/VM."""

    def setUp(self):
        super(ConnectorTestCase, self).setUp()
        self.state_dir = self.useFixture(fixtures.TempDir()).path

    def run_calls(self, *calls, **build):
        return run_connector(self.state_dir, calls, **build)

    def zvm_state(self):
        """The fake z/VM's state, read from disk (as the tests' oracle)."""
        return zvm_state.ZVMState(os.path.join(self.state_dir, 'zvm'))
