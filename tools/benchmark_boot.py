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

"""The ``boot`` case of ``tools/benchmark.py``.

N servers spawned at once, with a fixed simulated ``guest_deploy``
latency, against the connector-bound limit: the wall time of the same
connector calls for N guests made at once by a bare client
(``benchmark_bare.py``): 20 deploys in parallel plus the calls around
them, as fast as this connector serves them on this machine. One boot
alone is shown too: the limit if the connector never queued anything.
The case gets its own simulator.
"""

from concurrent import futures
import contextlib
import os
import threading
import time

from nova import objects
from oslo_utils import uuidutils

import benchmark_bare as bare
import benchmark_common as common
import benchmark_lifecycle as lifecycle

# Allowed over the connector-bound limit (the bar).
BOOT_TOLERANCE = 1.15


def boot_case(run, out):
    args = run.args
    runs = {}
    for latency in args.boot_latencies:
        # The deploy costs what the case says: its latency on the
        # connector call, with the fake z/VM's cost of writing the image
        # (unpackdiskimage, 30 s by default) taken out. Every other z/VM
        # operation keeps its default cost.
        common.start_simulator(run, args.guests,
                               ['guest_deploy=%g' % latency],
                               zvm_latency=['unpackdiskimage=0'])
        try:
            # Runs alternate between the drivers: the machine's load
            # changes over time, each driver gets its share of it.
            for i in range(args.boot_runs):
                limit = None
                for key in (common.THIS, common.IN_TREE):
                    # This driver's run measures the limit (its recorded
                    # spawn replayed bare); the in-tree run right after it
                    # is held to the same limit.
                    result = _boots(run, key, args.boot_count,
                                    measure_limit=limit is None)
                    limit = _with_limit(result, limit)
                    runs.setdefault(key, {}).setdefault(latency, []).append(
                        result)
                    out.write('   %d concurrent boots, deploy %g s, %s, '
                              'run %d: done\n'
                              % (args.boot_count, latency,
                                 common.DRIVERS[key][0], i + 1))
                    out.flush()
        finally:
            run.stop_simulator()
    return {key: {latency: _median_run(samples)
                  for latency, samples in by_latency.items()}
            for key, by_latency in runs.items()}


def _with_limit(result, limit):
    """Set the run's limit and ratios; returns the limit (a dict)."""
    if limit is None:
        # None when this driver's run failed: no ratio then.
        limit = {'limit_s': result.get('limit_s'),
                 'bare_alone_s': result.get('bare_alone_s')}
    result.update(limit)
    together = result['together_s']
    result['ratio'] = (together / result['limit_s']
                       if result['limit_s'] else None)
    result['alone_ratio'] = (together / result['alone_s']
                             if result['alone_s'] else None)
    return limit


def _median_run(samples):
    """The run of median ratio, with every run's ratio and load."""
    ranked = sorted(samples, key=lambda r: r['ratio'] or 0)
    median = dict(ranked[(len(ranked) - 1) // 2])
    median['runs'] = [{'ratio': r['ratio'], 'load': r['load'],
                       'alone_ratio': r['alone_ratio'],
                       'alone_s': r['alone_s'], 'limit_s': r['limit_s'],
                       'together_s': r['together_s']} for r in samples]
    median['errors'] = sorted({e for r in samples for e in r['errors']})
    median['failed'] = sum(r['failed'] for r in samples)
    return median


def _boots(run, key, count, measure_limit=False):
    image_id = uuidutils.generate_uuid()
    image = common.make_image_meta(image_id, run.image_info)
    image_meta = objects.ImageMeta.from_dict(image)
    driver = lifecycle.Run.start_driver(common.DRIVERS[key][1])
    recorder = None
    if measure_limit:
        recorder = bare.CallRecorder(driver._client, os.path.join(
            common.CONF.zvm.image_tmp_path, 'benchmark-bare'))
    limit = {}
    spawned = []
    errors = []
    lock = threading.Lock()

    def boot(inst, nw_info):
        with lock:
            spawned.append((inst, nw_info))
        try:
            driver.spawn(run.context, inst, image_meta, [], 'bench-password',
                         {}, nw_info)
        except Exception as err:
            with lock:
                errors.append('%s: %s' % (type(err).__name__,
                                          (str(err).splitlines() or [''])[0]))

    load = os.getloadavg()[0]
    # Nova hands spawn an instance it already has: the benchmark's own
    # objects are made before the clock starts.
    servers = [run.new_instance(image) for _ in range(count + 2)]
    try:
        try:
            boot(*servers[0])  # first use of the image: imported, not timed
            with (recorder.recording() if recorder
                  else contextlib.nullcontext()):
                started = time.monotonic()
                boot(*servers[1])
                alone = time.monotonic() - started
            run.admin.reset()
            cpu = _cpu_seconds(run.sim.pid)
            together = common.at_once(boot, servers[2:])
            cpu = [b - a for a, b in zip(cpu, _cpu_seconds(run.sim.pid))]
            counters = run.admin.counters()
        finally:
            # In parallel: one by one took minutes.
            with futures.ThreadPoolExecutor(common.DELETERS) as pool:
                list(pool.map(lambda server: _delete(run, driver, *server),
                              spawned))
        # After the driver's guests went (the replay needs their disk
        # space), before the image goes (the replay deploys it).
        if recorder is not None and not errors:
            first = run.next_id + 1
            run.next_id += count + 1
            limit['bare_alone_s'], limit['limit_s'], bare_errors = (
                bare.replay(recorder, count, first))
            errors.extend(bare_errors)
    finally:
        run.delete_image(image_id)
        common.stop_driver(driver)
    return dict(limit, alone_s=alone, together_s=together,
                driver_cpu_s=cpu[0], simulator_cpu_s=cpu[1],
                load=load, calls=counters.get('api_calls', {}),
                errors=sorted(set(errors)), failed=len(errors))


def _delete(run, driver, inst, nw_info):
    try:
        driver.destroy(run.context, inst, nw_info)
    except Exception:
        pass
    run.delete_guest(inst.name.upper())


def _cpu_seconds(sim_pid):
    """CPU seconds used so far: (this process, the simulator).

    This process hosts the driver (and Nova's stand-ins); the simulator's
    figure includes the programs it ran and waited for (the connector's
    ``sudo`` programs).
    """
    mine = os.times()
    with open('/proc/%d/stat' % sim_pid) as f:
        # Fields after the command name: utime, stime, cutime, cstime are
        # the 12th to 15th.
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (mine.user + mine.system,
            sum(int(v) for v in fields[11:15]) / float(ticks))


def format_boot(results, args):
    lines = ['%d concurrent boots (image already imported), %d preloaded '
             'guests, median of %d run(s)'
             % (args.boot_count, args.guests, args.boot_runs),
             'alone: one boot alone (the deploy latency plus the calls '
             'around it)',
             'limit: the same connector calls for %d guests made at once '
             'by a bare client (what the connector needs); ratio: all s / '
             'limit, within %d%% passes; vs alone: all s / alone'
             % (args.boot_count, round((BOOT_TOLERANCE - 1) * 100)),
             'load: the machine\'s 1-minute load average before (boots '
             'compete for its CPUs)',
             'cpu: CPU seconds of the boots at once, in the process '
             'hosting the driver / in the simulator',
             '%-8s %6s %7s %7s %7s %6s %8s %6s %5s %11s' % (
                 'driver', 'deploy', 'alone s', 'limit s', 'all s',
                 'ratio', 'vs alone', 'failed', 'load', 'cpu s')]
    for key, by_latency in results.items():
        for latency, r in sorted(by_latency.items()):
            verdict = ('' if r['ratio'] is None else
                       ' ok' if r['ratio'] <= BOOT_TOLERANCE else ' over')
            lines.append('%-8s %5gs %7.1f %7s %7.1f %6s %8.2f %6d %5.1f '
                         '%5.1f/%-5.1f%s'
                         % (key, latency, r['alone_s'],
                            _number(r['limit_s'], '%.1f'), r['together_s'],
                            _number(r['ratio'], '%.2f'), r['alone_ratio'],
                            r['failed'], r['load'], r['driver_cpu_s'],
                            r['simulator_cpu_s'], verdict))
            if len(r.get('runs', ())) > 1:
                lines.append('%8s runs (ratio/vs alone@load): %s' % (
                    '', ', '.join('%s/%.2f@%.1f' % (
                        _number(x['ratio'], '%.2f'), x['alone_ratio'],
                        x['load']) for x in r['runs'])))
            for error in r['errors']:
                lines.append('  ! %s' % error)
    return '\n'.join(lines)


def _number(value, fmt):
    return '-' if value is None else fmt % value


CASES = {
    'boot': (boot_case, format_boot),
}


def failures(results):
    """Labels of this driver's failures in the case's results."""
    this = results.get('this') or {}
    return ['boot, deploy %g s' % lat for lat, r in this.items()
            if r['failed']]
