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

"""The scale cases of ``tools/benchmark.py``.

* ``sync``: Nova's power-state sync (``get_num_instances``, then
  ``get_info`` of each instance) of N instances on one host: connector
  requests per sync and wall time.
* ``boot``: N servers spawned at once, with a fixed simulated
  ``guest_deploy`` latency, against the connector-bound limit: the wall time
  of one boot alone (the connector runs 20 deploys, and the calls around
  them, in parallel).
* ``import``: the first boot of a large image: peak RSS of the process
  hosting the driver (this one) and bytes staged under
  ``[zvm] image_tmp_path``.

Each case gets its own simulator; ``bench`` is the benchmark module (its
``Run``, ``Recorder``, instance and image helpers).
"""

import argparse
import contextlib
import os
import threading
import time
from unittest import mock

from nova.compute import power_state
from nova.compute import vm_states
import nova.conf
from nova import objects
from oslo_utils import uuidutils

from nova_zvm.simulator import images as sim_images

CONF = nova.conf.CONF

# Preloaded simulator guests (SIM00001...) are the sync's instances.
SYNC_NAME_TEMPLATE = 'SIM%05d'
# Allowed over the connector-bound limit (the bar).
BOOT_TOLERANCE = 1.15
# The 1 GiB image's header: a 3390-like ECKD disk big enough for it.
IMPORT_CYLINDERS = 3338
SAMPLE_SECONDS = 0.02
SYNC_ONCE_FROM = 1000


def _start(run, guests, latency=()):
    """The run's simulator with these preloaded guests and latency."""
    run.args = argparse.Namespace(**dict(vars(run.args), guests=guests,
                                         latency=list(latency)))
    run.start_simulator('none')


def _stop_driver(driver):
    close = getattr(getattr(driver, '_client', None), 'close', None)
    if close is not None:
        close()


# -- power-state sync ---------------------------------------------------------

def sync_case(bench, run, out):
    args = run.args
    sizes = sorted(args.sync_sizes)
    _start(run, max(args.guests, sizes[-1]))
    results = {}
    template = CONF.instance_name_template
    try:
        image = bench.make_image_meta(uuidutils.generate_uuid(),
                                      run.image_info)
        # Instance names are read here and by get_info; this driver checks
        # the template at start (SIM%05d overflows 8 characters at id
        # 100000), so each driver is started before the override.
        CONF.set_override('instance_name_template', SYNC_NAME_TEMPLATE)
        # Every other guest runs, as Nova recorded it.
        running = set()
        for i in range(1, sizes[-1] + 1, 2):
            userid = SYNC_NAME_TEMPLATE % i
            run.connector('guest_start', userid)
            running.add(userid)
        instances = []
        for i in range(1, sizes[-1] + 1):
            inst = bench.make_instance(run.context, i, image)
            on = inst.name.upper() in running
            inst.vm_state = vm_states.ACTIVE if on else vm_states.STOPPED
            inst.power_state = (power_state.RUNNING if on
                                else power_state.SHUTDOWN)
            inst.obj_reset_changes()
            instances.append(inst)
        rec = bench.Recorder(run.admin)
        for key in (bench.THIS, bench.IN_TREE):
            CONF.set_override('instance_name_template', template)
            driver = bench.Run._start(bench.DRIVERS[key][1])
            CONF.set_override('instance_name_template', SYNC_NAME_TEMPLATE)
            try:
                for n in sizes:
                    for _ in range(_sync_runs(bench, key, n, args)):
                        ok, states = rec.measure(
                            key, n, bench.Run._power_sync, driver,
                            instances[:n])
                        if ok:
                            _check_states(rec, key, n, instances[:n], states)
            finally:
                _stop_driver(driver)
            out.write('   power-state sync, %s: done\n'
                      % bench.DRIVERS[key][0])
            out.flush()
        results = {key: {n: bench.summary(samples)
                         for n, samples in ops.items()}
                   for key, ops in rec.samples.items()}
    finally:
        CONF.set_override('instance_name_template', template)
        run.stop_simulator()
    return results


def _sync_runs(bench, key, n, args):
    """Iterations of one sync size.

    The in-tree driver's sync of ``SYNC_ONCE_FROM`` instances or more runs
    once: a connector request per instance, each reading zvmsdk's whole
    guest table, takes minutes; its request count never varies.
    """
    if key == bench.IN_TREE and n >= SYNC_ONCE_FROM:
        return 1
    return args.iterations


def _check_states(rec, key, n, instances, infos):
    wrong = [inst.name for inst, info in zip(instances, infos)
             if info.state != inst.power_state]
    if wrong:
        rec.samples[key][n][-1]['error'] = (
            'wrong power state of %d instance(s), e.g. %s'
            % (len(wrong), wrong[0]))


def format_sync(results, args):
    keys = list(results)
    lines = ['power-state sync: get_num_instances + get_info of each '
             'instance, median of %d' % args.iterations,
             'instances | ' + ' | '.join(
                 ('%s' % k).center(19) for k in keys),
             '          | ' + ' | '.join('%8s %10s' % ('req', 'ms')
                                         for _k in keys)]
    for n in sorted(args.sync_sizes):
        cells = []
        for k in keys:
            r = results[k].get(n) or {}
            if not r.get('runs'):
                cells.append('%8s %10s' % ('-', 'skipped'))
                continue
            mark = '!' if r.get('failed') else ''
            cells.append('%8g %10.1f%s' % (r['requests'], r['ms'], mark))
        lines.append('%9d | ' % n + ' | '.join(cells))
    lines.extend(_errors(results))
    return '\n'.join(lines)


def _errors(results):
    notes = []
    for k, ops in results.items():
        for case, r in ops.items():
            for error in r.get('errors', []):
                notes.append('  ! %s, %s: %s' % (k, case, error))
    return notes


# -- concurrent boots ---------------------------------------------------------

def boot_case(bench, run, out):
    args = run.args
    runs = {}
    for latency in args.boot_latencies:
        _start(run, args.guests, ['guest_deploy=%g' % latency])
        try:
            # Runs alternate between the drivers: the machine's load
            # changes over time, each driver gets its share of it.
            for i in range(args.boot_runs):
                for key in (bench.THIS, bench.IN_TREE):
                    runs.setdefault(key, {}).setdefault(latency, []).append(
                        _boots(bench, run, key, args.boot_count))
                    out.write('   %d concurrent boots, deploy %g s, %s, '
                              'run %d: done\n'
                              % (args.boot_count, latency,
                                 bench.DRIVERS[key][0], i + 1))
                    out.flush()
        finally:
            run.stop_simulator()
    return {key: {latency: _median_run(samples)
                  for latency, samples in by_latency.items()}
            for key, by_latency in runs.items()}


def _median_run(samples):
    """The run of median ratio, with every run's ratio and load."""
    ranked = sorted(samples, key=lambda r: r['ratio'] or 0)
    median = dict(ranked[(len(ranked) - 1) // 2])
    median['runs'] = [{'ratio': r['ratio'], 'load': r['load'],
                       'alone_s': r['alone_s'],
                       'together_s': r['together_s']} for r in samples]
    median['errors'] = sorted({e for r in samples for e in r['errors']})
    median['failed'] = sum(r['failed'] for r in samples)
    return median


def _boots(bench, run, key, count):
    image_id = uuidutils.generate_uuid()
    image = bench.make_image_meta(image_id, run.image_info)
    image_meta = objects.ImageMeta.from_dict(image)
    driver = bench.Run._start(bench.DRIVERS[key][1])
    spawned = []
    errors = []
    lock = threading.Lock()

    def boot():
        inst, nw_info = run.new_instance(image)
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
    try:
        boot()  # first use of the image: imported, not measured
        started = time.monotonic()
        boot()
        alone = time.monotonic() - started
        run.admin.reset()
        threads = [threading.Thread(target=boot) for _ in range(count)]
        cpu = _cpu_seconds(run.sim.pid)
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        together = time.monotonic() - started
        cpu = [b - a for a, b in zip(cpu, _cpu_seconds(run.sim.pid))]
        counters = run.admin.counters()
    finally:
        for inst, nw_info in spawned:
            try:
                driver.destroy(run.context, inst, nw_info)
            except Exception:
                pass
            run.delete_guest(inst.name.upper())
        run.delete_image(image_id)
        _stop_driver(driver)
    return {'alone_s': alone, 'together_s': together,
            'driver_cpu_s': cpu[0], 'simulator_cpu_s': cpu[1],
            'ratio': together / alone if alone else None,
            'load': load, 'calls': counters.get('api_calls', {}),
            'errors': sorted(set(errors)), 'failed': len(errors)}


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
             'limit: one boot alone (the deploy latency plus the calls '
             'around it); within %d%% of it passes'
             % round((BOOT_TOLERANCE - 1) * 100),
             'load: the machine\'s 1-minute load average before (boots '
             'compete for its CPUs)',
             'cpu: CPU seconds of the boots at once, in the process '
             'hosting the driver / in the simulator',
             '%-10s %7s %9s %9s %7s %7s %6s %13s' % (
                 'driver', 'deploy', 'limit s', 'all s', 'ratio', 'failed',
                 'load', 'cpu s')]
    for key, by_latency in results.items():
        for latency, r in sorted(by_latency.items()):
            verdict = ('' if r['ratio'] is None else
                       ' ok' if r['ratio'] <= BOOT_TOLERANCE else ' over')
            lines.append('%-10s %6gs %9.1f %9.1f %7.2f %7d %6.1f '
                         '%6.1f/%-6.1f%s'
                         % (key, latency, r['alone_s'], r['together_s'],
                            r['ratio'] or 0, r['failed'], r['load'],
                            r['driver_cpu_s'], r['simulator_cpu_s'],
                            verdict))
            if len(r.get('runs', ())) > 1:
                lines.append('%10s runs (ratio@load): %s' % ('', ', '.join(
                    '%.2f@%.1f' % (x['ratio'] or 0, x['load'])
                    for x in r['runs'])))
            for error in r['errors']:
                lines.append('  ! %s' % error)
    return '\n'.join(lines)


# -- image import -------------------------------------------------------------

def import_case(bench, run, out):
    args = run.args
    path = os.path.join(run.workdir, 'large.img')
    info = sim_images.write_image(
        path, disk_type='ECKD', size=str(IMPORT_CYLINDERS),
        payload=sim_images.pattern_payload(args.image_mib * 1024 * 1024))
    results = {}
    _start(run, 0)
    try:
        for key in (bench.THIS, bench.IN_TREE):
            results[key] = _import(bench, run, key, path, info)
            out.write('   image import, %s: done\n' % bench.DRIVERS[key][0])
            out.flush()
    finally:
        run.stop_simulator()
        os.unlink(path)
    return results


def _import(bench, run, key, path, info):
    image_id = uuidutils.generate_uuid()
    image = bench.make_image_meta(image_id, info)
    glance = bench.LocalImageService(path)
    driver = bench.Run._start(bench.DRIVERS[key][1])
    inst, nw_info = run.new_instance(image)
    error = None
    # What earlier cases left there (the in-tree driver never removes the
    # images it downloads) is not this import's.
    before = _tree_bytes(CONF.zvm.image_tmp_path)
    try:
        with mock.patch('nova.image.glance.get_default_image_service',
                        return_value=glance):
            with _sampling(CONF.zvm.image_tmp_path) as sample:
                started = time.monotonic()
                try:
                    driver.spawn(run.context, inst,
                                 objects.ImageMeta.from_dict(image), [],
                                 'bench-password', {}, nw_info)
                except Exception as err:
                    error = '%s: %s' % (type(err).__name__,
                                        (str(err).splitlines() or [''])[0])
                elapsed = time.monotonic() - started
    finally:
        try:
            driver.destroy(run.context, inst, nw_info)
        except Exception:
            pass
        run.delete_guest(inst.name.upper())
        run.delete_image(image_id)
        _stop_driver(driver)
    sample['staged_peak_bytes'] = max(sample['staged_peak_bytes'] - before,
                                      0)
    return dict(sample, seconds=elapsed, error=error,
                left_bytes=_tree_bytes(CONF.zvm.image_tmp_path) - before)


def _tree_bytes(top):
    total = 0
    for folder, _dirs, files in os.walk(top):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass
    return total


def _status_kib(field):
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def _sampling(staging):
    """Peak RSS and peak bytes under ``staging`` while the block runs.

    The peak RSS is the kernel's high-water mark (VmHWM), reset before (by
    writing 5 to /proc/self/clear_refs); where that is refused, the peak of
    the samples.
    """
    result = {'staged_peak_bytes': 0}
    try:
        with open('/proc/self/clear_refs', 'w') as refs:
            refs.write('5')
        hwm = True
    except OSError:
        hwm = False
    result['rss_before_kib'] = _status_kib('VmRSS')
    peak = [result['rss_before_kib']]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _status_kib('VmRSS'))
            result['staged_peak_bytes'] = max(result['staged_peak_bytes'],
                                              _tree_bytes(staging))
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield result
    finally:
        stop.set()
        sampler.join()
        result['rss_peak_kib'] = max(peak[0], _status_kib('VmHWM')
                                     if hwm else 0)


def format_import(results, args):
    mib = 1024.0 * 1024.0
    lines = ['image import: first boot of a %d MiB image; RSS of this '
             'process (it hosts the driver)' % args.image_mib,
             '%-10s %9s %9s %12s %10s %8s' % (
                 'driver', 'RSS peak', 'growth', 'staged peak',
                 'left', 's')]
    for key, r in results.items():
        lines.append('%-10s %8.0fM %8.0fM %11.0fM %9.0fM %8.1f' % (
            key, r['rss_peak_kib'] / 1024.0,
            (r['rss_peak_kib'] - r['rss_before_kib']) / 1024.0,
            r['staged_peak_bytes'] / mib, r['left_bytes'] / mib,
            r['seconds']))
        if r['error']:
            lines.append('  ! %s' % r['error'])
    return '\n'.join(lines)


CASES = {
    'sync': (sync_case, format_sync),
    'boot': (boot_case, format_boot),
    'import': (import_case, format_import),
}


def failures(case, results):
    """Labels of this driver's failures in a case's results."""
    this = results.get('this') or {}
    if case == 'import':
        return ['import: %s' % this['error']] if this.get('error') else []
    if case == 'boot':
        return ['boot, deploy %g s' % lat for lat, r in this.items()
                if r['failed']]
    return ['sync of %s' % n for n, r in this.items() if r.get('failed')]
