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

"""Start, stop and steer simulator processes (tests, the tour, benchmarks).

Standard library only (subprocess, select, urllib): this module runs inside
Nova's test processes, which are eventlet monkey-patched, where a server
thread would block everything; so the simulator always runs in a process
of its own and is reached over HTTP.

::

    with control.SimulatorProcess(state_dir, guests=100,
                                  fault=['guest_deploy:busy,times=1']) as sim:
        admin = control.SimulatorAdmin(sim.url)
        ...
"""

import json
import os
import select
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROG = 'nova-zvm-simulator'
_BANNER = PROG + ' listening on '
# The directory holding the nova_zvm package: the child imports it from
# there whether this is a source tree or an installed distribution. It is
# also the child's working directory: from a source tree, pbr finds the
# package version through git there.
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# Options naming files: made absolute, since the child runs elsewhere.
_PATH_OPTIONS = ('token_file', 'cert', 'key', 'log_file', 'ssi_dir')


class SimulatorError(RuntimeError):
    """The simulator did not start, or the admin endpoint said no."""


def command_line(state_dir, host='127.0.0.1', port=0, **options):
    """The argv for these options: key_name=value becomes --key-name value.

    True adds a bare flag, None/False omit the option, lists and tuples
    repeat it (``latency``, ``fault``), dicts (fault rules) go as JSON.
    """
    argv = [sys.executable, '-m', 'nova_zvm.simulator.cli',
            '--host', host, '--port', str(port), '--state-dir', state_dir]
    for key, value in sorted(options.items()):
        flag = '--' + key.replace('_', '-')
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None or item is False:
                continue
            if item is True:
                argv.append(flag)
                continue
            if isinstance(item, dict):
                item = json.dumps(item)
            argv.extend([flag, str(item)])
    return argv


class SimulatorProcess(object):
    """One ``python -m nova_zvm.simulator.cli`` process.

    ``start()`` returns once the first stdout line (the URL) is read;
    stderr goes to ``STATE_DIR/simulator.stderr``; ``stop()`` terminates
    (SIGTERM), waits, kills if needed and reaps: no zombie is left.
    """

    def __init__(self, state_dir, start_timeout=30.0, stop_timeout=10.0,
                 host='127.0.0.1', port=0, env=None, **options):
        self.state_dir = os.path.abspath(state_dir)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        for key in _PATH_OPTIONS:
            if options.get(key):
                options[key] = os.path.abspath(options[key])
        self.argv = command_line(self.state_dir, host, port, **options)
        self.env = env
        self.url = None
        self.proc = None
        self.stderr_path = os.path.join(self.state_dir, 'simulator.stderr')

    def _environment(self):
        env = dict(os.environ if self.env is None else self.env)
        path = env.get('PYTHONPATH')
        env['PYTHONPATH'] = (_PACKAGE_ROOT + os.pathsep + path if path
                             else _PACKAGE_ROOT)
        env['PYTHONUNBUFFERED'] = '1'
        # The simulator relies on native threads and blocking sockets: if
        # anything in the child imports Nova's test package (which patches
        # on import), Nova must not monkey-patch it with eventlet.
        env['OS_NOVA_DISABLE_EVENTLET_PATCHING'] = '1'
        return env

    def start(self):
        if self.proc is not None:
            raise SimulatorError('already started')
        os.makedirs(self.state_dir, exist_ok=True)
        with open(self.stderr_path, 'ab') as stderr:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=stderr, cwd=_PACKAGE_ROOT, env=self._environment(),
                close_fds=True)
        try:
            line = self._first_line()
        except Exception:
            self.stop()
            raise
        if not line.startswith(_BANNER):
            self.stop()
            raise SimulatorError('unexpected first line %r' % line)
        self.url = line[len(_BANNER):].strip()
        return self

    def _first_line(self):
        """The first stdout line, or SimulatorError on timeout/exit."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + self.start_timeout
        data = b''
        while b'\n' not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimulatorError('%s did not start within %.0f s%s'
                                     % (PROG, self.start_timeout,
                                        self._stderr_tail()))
            readable, _w, _x = select.select([fd], [], [], min(remaining,
                                                               0.5))
            if not readable:
                continue
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                self.proc.wait(self.stop_timeout)
                raise SimulatorError('%s exited with code %s%s'
                                     % (PROG, self.proc.returncode,
                                        self._stderr_tail()))
            data += chunk
        return data.split(b'\n', 1)[0].decode()

    def _stderr_tail(self):
        try:
            with open(self.stderr_path, 'rb') as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 2000))
                tail = f.read().decode(errors='replace').strip()
        except OSError:
            return ''
        return ': ' + tail if tail else ''

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum=signal.SIGTERM):
        self.proc.send_signal(signum)

    def stop(self):
        """Stop and reap the process; returns its exit code (or None)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        try:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(self.stop_timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
        return proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class SimulatorAdmin(object):
    """Client of the /_simulator/ admin endpoint (urllib, JSON)."""

    def __init__(self, url, timeout=30.0, cafile=None, verify=True):
        self.base = url.rstrip('/') + '/_simulator/'
        self.timeout = timeout
        self._context = None
        if url.startswith('https:'):
            self._context = ssl.create_default_context(cafile=cafile)
            if not verify:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout,
                                        context=self._context) as resp:
                return json.loads(resp.read() or b'null')
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get('error')
            except (ValueError, AttributeError):
                message = e.reason
            raise SimulatorError('%s /_simulator/%s: HTTP %s: %s'
                                 % (method, path, e.code, message))

    def counters(self):
        return self.request('GET', 'counters')

    def reset(self, faults=False, state=False, latency=False):
        return self.request('POST', 'reset', {'faults': faults,
                                              'state': state,
                                              'latency': latency})

    def faults(self):
        return self.request('GET', 'faults')['faults']

    def add_fault(self, rule=None, **fields):
        """Add a rule: compact text, a dict, a list, or keyword fields.

        ``add_fault('guest_list:drop,times=1')``,
        ``add_fault(api='guest_deploy', action='busy', times=2)``.
        Returns the added rules (with their ids).
        """
        if rule is None:
            rule = fields
        elif isinstance(rule, str):
            rule = {'rule': rule}
        return self.request('POST', 'faults', rule)['faults']

    def remove_fault(self, rule_id):
        return self.request('DELETE', 'faults/%d' % rule_id)['faults']

    def clear_faults(self):
        return self.request('DELETE', 'faults')['faults']

    def latency(self):
        return self.request('GET', 'latency')['latency']

    def set_latency(self, **specs):
        """``set_latency(all='0.01', guest_deploy='uniform:0.5:1')``."""
        return self.request('POST', 'latency', specs)['latency']

    def clear_latency(self):
        return self.request('DELETE', 'latency')['latency']

    def inventory(self):
        return self.request('GET', 'inventory')

    def guest(self, userid):
        return self.request('GET', 'guests/%s' % userid)

    def vanish(self, userid, keep_db=True):
        return self.request('POST', 'guests/%s/vanish' % userid,
                            {'keep_db': keep_db})

    def power_off(self, userid):
        return self.request('POST', 'guests/%s/power_off' % userid)

    def ignore_shutdown(self, userid, ignore=True):
        """The guest's OS ignores shutdown signals (zvm backend)."""
        return self.request('POST', 'guests/%s/ignore_shutdown' % userid,
                            {'ignore': ignore})
