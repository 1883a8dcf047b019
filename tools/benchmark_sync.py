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

"""The ``sync`` case of ``tools/benchmark.py``.

Nova's power-state sync (``get_num_instances``, then ``get_info`` of each
instance) of N instances on one host: connector requests per sync and wall
time. The case gets its own simulator.
"""

from nova.compute import power_state
from nova.compute import vm_states
import nova.conf
from oslo_utils import uuidutils

import benchmark_common as common
import benchmark_lifecycle as lifecycle

CONF = nova.conf.CONF

# Preloaded simulator guests (SIM00001...) are the sync's instances.
SYNC_NAME_TEMPLATE = 'SIM%05d'
SYNC_ONCE_FROM = 1000


def sync_case(run, out):
    args = run.args
    sizes = sorted(args.sync_sizes)
    common.start_simulator(run, max(args.guests, sizes[-1]))
    results = {}
    template = CONF.instance_name_template
    try:
        image = common.make_image_meta(uuidutils.generate_uuid(),
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
            inst = common.make_instance(run.context, i, image)
            on = inst.name.upper() in running
            inst.vm_state = vm_states.ACTIVE if on else vm_states.STOPPED
            inst.power_state = (power_state.RUNNING if on
                                else power_state.SHUTDOWN)
            inst.obj_reset_changes()
            instances.append(inst)
        rec = common.Recorder(run.admin)
        for key in (common.THIS, common.IN_TREE):
            CONF.set_override('instance_name_template', template)
            driver = lifecycle.Run.start_driver(common.DRIVERS[key][1])
            CONF.set_override('instance_name_template', SYNC_NAME_TEMPLATE)
            try:
                for n in sizes:
                    for _ in range(_sync_runs(key, n, args)):
                        ok, states = rec.measure(
                            key, n, lifecycle.Run.power_sync, driver,
                            instances[:n])
                        if ok:
                            _check_states(rec, key, n, instances[:n], states)
            finally:
                common.stop_driver(driver)
            out.write('   power-state sync, %s: done\n'
                      % common.DRIVERS[key][0])
            out.flush()
        results = {key: {n: common.summary(samples)
                         for n, samples in ops.items()}
                   for key, ops in rec.samples.items()}
    finally:
        CONF.set_override('instance_name_template', template)
        run.stop_simulator()
    return results


def _sync_runs(key, n, args):
    """Iterations of one sync size.

    The in-tree driver's sync of ``SYNC_ONCE_FROM`` instances or more runs
    once: a connector request per instance, each reading zvmsdk's whole
    guest table, takes minutes; its request count never varies.
    """
    if key == common.IN_TREE and n >= SYNC_ONCE_FROM:
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


CASES = {
    'sync': (sync_case, format_sync),
}


def failures(results):
    """Labels of this driver's failures in the case's results."""
    this = results.get('this') or {}
    return ['sync of %s' % n for n, r in this.items() if r.get('failed')]
