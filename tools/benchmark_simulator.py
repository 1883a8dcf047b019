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

"""The ``simulator`` case of ``tools/benchmark.py``: the simulator's own
figures (issue 10).

* Start time of ``nova-zvm-simulator`` with 1 and with ``--guests``
  preloaded guests: on a new state directory (the guests are created in
  z/VM's directory and in zvmsdk's database) and again on the same one.
* Latency of single-guest connector calls (``guest_get_power_state``,
  ``guest_get_info``) with 1 and with ``--guests`` guests: median of
  ``SAMPLES`` calls through the driver's client, one HTTP request each.
  Measured twice: with the fake z/VM's costs at 0 (``--zvm-latency
  '*=0'``: the simulator's own cost, zvmsdk's code included, which the
  goal is about), and with its default costs (what a call costs once
  z/VM's own time is added: ``nova_zvm/simulator/zvm/latency.py``).

The simulator runs zvmsdk's real code: its ``check_guests_exist_in_db``
reads its whole guest table on every single-guest call, so the latency
grows with the number of guests, as on a real connector.
"""

import os
import shutil
import statistics
import time

from nova_zvm.simulator import control
from nova_zvm.virt.zvm import client as zvm_client

SAMPLES = 20
CALLS = ('guest_get_power_state', 'guest_get_info')
# Issue 10's goals.
START_GOAL_S = 60.0
LATENCY_GOAL_MS = 50.0


# The fake z/VM with none of z/VM's own time: what is left is the
# simulator's (and zvmsdk's) cost.
NO_ZVM_TIME = ['*=0']


def _timed_start(sim):
    started = time.monotonic()
    sim.start()
    return time.monotonic() - started


def _latency(client, api, userid):
    samples = []
    client.call(api, userid)  # connection opened, not measured
    for _ in range(SAMPLES):
        started = time.perf_counter()
        client.call(api, userid)
        samples.append((time.perf_counter() - started) * 1000.0)
    return {'median_ms': statistics.median(samples),
            'min_ms': min(samples), 'max_ms': max(samples)}


def _latencies(sim):
    client = zvm_client.ConnectorClient(sim.url)
    try:
        return {api: _latency(client, api, 'SIM00001') for api in CALLS}
    finally:
        client.close()


def simulator_case(run, out):
    results = {}
    for guests in sorted({1, run.args.guests}):
        state = os.path.join(run.workdir, 'simulator-%d' % guests)
        sim = control.SimulatorProcess(state, start_timeout=600,
                                       guests=guests)
        r = {'load': os.getloadavg()[0]}
        try:
            r['first_start_s'] = _timed_start(sim)
            r['with_zvm'] = _latencies(sim)
            sim.stop()
            # The same state directory, z/VM's time taken out.
            sim = control.SimulatorProcess(state, start_timeout=600,
                                           guests=guests,
                                           zvm_latency=NO_ZVM_TIME)
            r['restart_s'] = _timed_start(sim)
            r.update(_latencies(sim))
        except Exception as err:
            r['error'] = '%s: %s' % (type(err).__name__,
                                     (str(err).splitlines() or [''])[0])
        finally:
            sim.stop()
            shutil.rmtree(state, ignore_errors=True)
        results[guests] = r
        out.write('   simulator with %d guest(s): done\n' % guests)
        out.flush()
    return results


def format_simulator(results, args):
    lines = ['nova-zvm-simulator (zvmsdk\'s real code over the fake z/VM): '
             'start, and single-guest calls (median of %d, ms)' % SAMPLES,
             'goals: start < %.0f s, a call < %.0f ms of the simulator\'s '
             'own time (z/VM costs 0)' % (START_GOAL_S, LATENCY_GOAL_MS),
             '+ z/VM: the same call with the fake z/VM\'s default costs',
             '%7s %9s %9s %22s %22s %6s' % (
                 'guests', 'start s', 'restart', 'guest_get_power_state',
                 'guest_get_info', 'load')]
    for guests, r in sorted(results.items()):
        if r.get('error'):
            lines.append('%7d ! %s' % (guests, r['error']))
            continue
        lines.append('%7d %9.1f %9.1f %22s %22s %6.1f' % (
            guests, r['first_start_s'], r['restart_s'],
            _cell(r[CALLS[0]]), _cell(r[CALLS[1]]), r['load']))
        lines.append('%7s %19s %22s %22s' % (
            '', '+ z/VM', _cell(r['with_zvm'][CALLS[0]], goal=False),
            _cell(r['with_zvm'][CALLS[1]], goal=False)))
    return '\n'.join(lines)


def _cell(latency, goal=True):
    # '!': over the goal (which is about the simulator's own time).
    ok = '!' if goal and latency['median_ms'] >= LATENCY_GOAL_MS else ''
    return '%7.1f%1s (%4.0f-%4.0f)' % (latency['median_ms'], ok,
                                       latency['min_ms'], latency['max_ms'])


def failures(results):
    return ['simulator with %d guests: %s' % (g, r['error'])
            for g, r in sorted(results.items()) if r.get('error')]


CASES = {
    'simulator': (simulator_case, format_simulator),
}
