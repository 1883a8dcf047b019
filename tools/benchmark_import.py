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

"""The ``import`` case of ``tools/benchmark.py``.

The first boot of a large image: peak RSS of the process hosting the
driver (this one) and bytes staged under ``[zvm] image_tmp_path``. The
case gets its own simulator.
"""

import contextlib
import os
import threading
import time
from unittest import mock

import nova.conf
from nova import objects
from oslo_utils import uuidutils

import benchmark_common as common
import benchmark_lifecycle as lifecycle
from nova_zvm.simulator import images as sim_images

CONF = nova.conf.CONF

# The 1 GiB image's header: a 3390-like ECKD disk big enough for it.
IMPORT_CYLINDERS = 3338
SAMPLE_SECONDS = 0.02


def import_case(run, out):
    args = run.args
    path = os.path.join(run.workdir, 'large.img')
    info = sim_images.write_image(
        path, disk_type='ECKD', size=str(IMPORT_CYLINDERS),
        payload=sim_images.pattern_payload(args.image_mib * 1024 * 1024))
    results = {}
    common.start_simulator(run, 0)
    try:
        for key in (common.THIS, common.IN_TREE):
            results[key] = _import(run, key, path, info)
            out.write('   image import, %s: done\n' % common.DRIVERS[key][0])
            out.flush()
    finally:
        run.stop_simulator()
        os.unlink(path)
    return results


def _import(run, key, path, info):
    image_id = uuidutils.generate_uuid()
    image = common.make_image_meta(image_id, info)
    glance = common.LocalImageService(path)
    driver = lifecycle.Run.start_driver(common.DRIVERS[key][1])
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
        common.stop_driver(driver)
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
    'import': (import_case, format_import),
}


def failures(results):
    """Labels of this driver's failures in the case's results."""
    this = results.get('this') or {}
    return ['import: %s' % this['error']] if this.get('error') else []
