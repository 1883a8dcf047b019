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

"""What each compute driver operation costs on the z/VM Cloud Connector.

Drives this project's driver and Nova's in-tree z/VM driver through their
``ComputeDriver`` methods, in this process, against a ``nova-zvm-simulator``
process of its own (``--guests`` preloaded guests, 5000 by default), and
reports per operation the connector's HTTP requests, token requests, new TCP
connections, bytes each way (all from the simulator's counters, reset
before each operation) and the wall time (median of ``--iterations``).

No Nova service runs: Glance (image download, snapshot upload), Neutron
(security groups of the config drive) and the database (block device
mappings of the config drive) are replaced by small local stand-ins.

Usage::

    python tools/benchmark.py [--guests 5000] [--iterations 5]
                              [--latency API=SPEC] [--json FILE]
                              [--no-token-pass] [--max-seconds 1800]
                              [--cases lifecycle,sync,boot,import,simulator]
                              [--sync-sizes 10,100,1000]
                              [--boot-count 20] [--boot-latencies 2,20]
                              [--boot-runs 1] [--image-mib 1024]

The cases besides ``lifecycle`` (power-state sync at scale, concurrent
boots, large image import) are in ``benchmark_scale.py``; the simulator's
own start time and call latency (``simulator``) in
``benchmark_simulator.py``.

The method and the measured results are in
``doc/source/contributor/benchmark.rst``.
"""

import argparse
import contextlib
import datetime
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import textwrap
import time
import traceback
from unittest import mock

# The driver of the source tree this script belongs to, not an installed
# copy (the simulator process follows the imported nova_zvm package).
_TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_TREE, 'nova_zvm')):
    sys.path.insert(0, _TREE)

from nova.compute import power_state  # noqa: E402
from nova.compute import provider_tree  # noqa: E402
import nova.conf  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova.image import glance  # noqa: E402
from nova.network import model as network_model  # noqa: E402
from nova.network import security_group_api  # noqa: E402
from nova import objects  # noqa: E402
from nova import utils as nova_utils  # noqa: E402
from nova.virt import fake as fake_virt  # noqa: E402
from oslo_utils import importutils  # noqa: E402
from oslo_utils import uuidutils  # noqa: E402

import benchmark_scale  # noqa: E402
import benchmark_simulator  # noqa: E402
from nova_zvm.simulator import control  # noqa: E402
from nova_zvm.simulator import images as sim_images  # noqa: E402
from nova_zvm.virt.zvm import client as zvm_client  # noqa: E402
from nova_zvm.virt.zvm import exception as zvm_exc  # noqa: E402

CONF = nova.conf.CONF
LOG = logging.getLogger('nova_zvm.benchmark')

HOST = 'benchmark'
OS_DISTRO = 'rhel9.2'
# The disk image every spawn deploys: the connector's format, 1 MiB of
# binary payload (a disk image is never text).
IMAGE_CYLINDERS = 3338
IMAGE_PAYLOAD_BYTES = 1024 * 1024
# Nova's compute manager: CONF.shutdown_timeout and
# CONF.compute.shutdown_retry_interval for a clean power off.
SOFT_STOP_TIMEOUT = 60
SOFT_STOP_RETRY_INTERVAL = 10
SYNC_INSTANCES = 30
# instance.id ranges: spawned instances and the power-state sync guests.
SPAWN_ID_BASE = 0x1000
SYNC_ID_BASE = 0xb000
# How long to wait for the simulator to finish counting a request.
QUIESCE_SECONDS = 5.0

THIS = 'this'
IN_TREE = 'in-tree'
DRIVERS = {
    THIS: ('this driver', 'nova_zvm.virt.zvm.driver.ZVMDriver'),
    IN_TREE: ("Nova's in-tree driver", 'nova.virt.zvm.driver.ZVMDriver'),
}

# (key, label) in the order they run on each iteration: Run.lifecycle.
OPERATIONS = (
    ('start', 'start (__init__, init_host)'),
    ('spawn_first', 'spawn, first use of image'),
    ('spawn_cached', 'spawn, image imported'),
    ('instance_exists', 'instance_exists'),
    ('get_info', 'get_info'),
    ('power_off_hard', 'power_off (hard)'),
    ('power_on', 'power_on'),
    ('reboot_soft', 'reboot (soft)'),
    ('reboot_hard', 'reboot (hard)'),
    ('pause', 'pause'),
    ('unpause', 'unpause'),
    ('console', 'get_console_output'),
    ('snapshot', 'snapshot'),
    ('power_off_soft', 'power_off (soft, 60 s)'),
    ('resource_update', 'resource update'),
    ('power_sync', 'power-state sync, %d' % SYNC_INSTANCES),
    ('destroy', 'destroy'),
)
METRICS = ('requests', 'token_requests', 'connections', 'bytes_sent',
           'bytes_received', 'ms')


class Timeout(BaseException):
    """The run took longer than --max-seconds.

    Not an Exception: the drivers' and the cleanups' ``except Exception``
    must not swallow it.
    """


# -- stand-ins for Nova's services -------------------------------------------

class LocalImageService(object):
    """The Glance calls the drivers make, on local files.

    Every image id downloads the same disk image file; an upload is read
    the way Nova's Glance client sends it (a text file object is encoded
    as http.client does) and then dropped.
    """

    CHUNK = 64 * 1024

    def __init__(self, image_path):
        self.image_path = image_path
        self.uploads = {}

    def download(self, context, image_id, data=None, dst_path=None,
                 trusted_certs=None):
        shutil.copyfile(self.image_path, dst_path)

    def update(self, context, image_id, image_meta, data=None,
               purge_props=True):
        size = 0
        while data is not None:
            chunk = data.read(self.CHUNK)
            if not chunk:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode('iso-8859-1')
            size += len(chunk)
        self.uploads[image_id] = size
        return dict(image_meta, id=image_id, size=size, status='active')

    def delete(self, context, image_id):
        self.uploads.pop(image_id, None)


@contextlib.contextmanager
def nova_services(image_service):
    """Glance, Neutron and the database calls of the drivers, stubbed."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(
            glance, 'get_default_image_service',
            return_value=image_service))
        # The config drive's metadata asks Neutron for security groups and
        # the database for block device mappings.
        stack.enter_context(mock.patch.object(
            security_group_api, 'get_instance_security_groups',
            return_value=[{'name': 'default'}]))
        stack.enter_context(mock.patch.object(
            objects.BlockDeviceMappingList, 'get_by_instance_uuid',
            return_value=objects.BlockDeviceMappingList(objects=[])))
        yield


# -- Nova objects ----------------------------------------------------------

def make_image_meta(image_id, info):
    return {'id': image_id, 'name': 'benchmark-%s' % image_id[:8],
            'status': 'active', 'disk_format': 'raw',
            'container_format': 'bare', 'size': info['size'],
            'checksum': info['md5sum'], 'min_disk': 0, 'min_ram': 0,
            'properties': {'os_distro': OS_DISTRO, 'architecture': 's390x',
                           'hypervisor_type': 'zvm'}}


def make_flavor():
    return objects.Flavor(id=1, flavorid='bench', name='bench.small',
                          vcpus=1, memory_mb=1024, root_gb=5, ephemeral_gb=0,
                          swap=0, rxtx_factor=1.0, vcpu_weight=0,
                          disabled=False, is_public=True, extra_specs={},
                          description=None)


def make_instance(context, instance_id, image):
    flavor = make_flavor()
    uuid = uuidutils.generate_uuid()
    instance = objects.Instance(
        context, id=instance_id, uuid=uuid, user_id=context.user_id,
        project_id=context.project_id, host=HOST, node=HOST,
        hostname='bench-%x' % instance_id,
        display_name='bench-%x' % instance_id, launch_index=0,
        reservation_id='r-%08x' % instance_id, image_ref=image['id'],
        flavor=flavor, vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
        root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb,
        system_metadata=nova_utils.get_system_metadata_from_image(
            image, flavor),
        metadata={}, config_drive='', launched_at=None, user_data=None,
        key_name=None, key_data=None, kernel_id='', ramdisk_id='',
        availability_zone=None, root_device_name=None, task_state=None,
        vm_state='building', power_state=0, trusted_certs=None,
        device_metadata=None, numa_topology=None,
        keypairs=objects.KeyPairList(objects=[]),
        ec2_ids=objects.EC2Ids(instance_id='i-%08x' % instance_id,
                               ami_id='ami-00000001', kernel_id=None,
                               ramdisk_id=None))
    instance.obj_reset_changes()
    return instance


def make_network_info(n):
    subnet = network_model.Subnet(
        cidr='10.0.0.0/16', version=4,
        gateway=network_model.IP(address='10.0.0.1', type='gateway'),
        ips=[network_model.FixedIP(address='10.0.%d.%d' % divmod(n + 10,
                                                                 250))],
        dns=[network_model.IP(address='10.0.0.2')])
    network = network_model.Network(id='net-bench', bridge='br-int',
                                    label='private', subnets=[subnet])
    vif = network_model.VIF(
        id=uuidutils.generate_uuid(),
        address='fa:16:3e:%02x:%02x:%02x' % ((n >> 16) & 0xff,
                                             (n >> 8) & 0xff, n & 0xff),
        network=network, type='ovs', active=True)
    return network_model.NetworkInfo([vif])


# -- measuring ---------------------------------------------------------------

class Recorder(object):
    """Samples per (pass, driver, operation), from the simulator counters."""

    def __init__(self, admin):
        self.admin = admin
        self.samples = {}

    def quiesce(self):
        """Counters once no connector request is in progress.

        So that no request of one operation is counted in the next: older
        simulators counted a request only after its answer had left.
        """
        deadline = time.monotonic() + QUIESCE_SECONDS
        while True:
            counters = self.admin.counters()
            if (not counters['concurrent_requests'] or
                    time.monotonic() > deadline):
                return counters
            time.sleep(0.005)

    def measure(self, key, op, func, *args, **kwargs):
        """Run one driver call; record its cost even when it fails."""
        self.quiesce()
        self.admin.reset()
        started = time.perf_counter()
        error = None
        result = None
        try:
            result = func(*args, **kwargs)
        except Exception as err:
            error = '%s: %s' % (type(err).__name__,
                                (str(err).strip().splitlines() or [''])[0])
            LOG.debug('%s %s failed', key, op, exc_info=True)
        elapsed = time.perf_counter() - started
        counters = self.quiesce()
        sample = {
            'requests': counters['requests_total'],
            'token_requests': counters['token_requests'],
            'connections': counters['connections'],
            'bytes_sent': counters['bytes_in'],
            'bytes_received': counters['bytes_out'],
            'ms': elapsed * 1000.0,
            'calls': counters['requests'],
            'error': error,
        }
        self.samples.setdefault(key, {}).setdefault(op, []).append(sample)
        return error is None, result

    def skip(self, key, op, reason):
        self.samples.setdefault(key, {}).setdefault(op, []).append(
            {'skipped': reason})


def summary(samples):
    """Medians of the samples that ran, the errors, the calls."""
    ran = [s for s in samples if 'skipped' not in s]
    result = {'runs': len(ran), 'skipped': len(samples) - len(ran)}
    if not ran:
        result['errors'] = sorted({s['skipped'] for s in samples})
        return result
    for metric in METRICS:
        values = [s[metric] for s in ran]
        result[metric] = statistics.median(values)
        result[metric + '_range'] = [min(values), max(values)]
    result['errors'] = sorted({s['error'] for s in ran if s['error']})
    result['failed'] = sum(1 for s in ran if s['error'])
    # The calls of the last run (counts are the same on every run unless
    # the ranges say otherwise).
    result['calls'] = ran[-1]['calls']
    result['samples'] = ran
    return result


# -- one driver's life -------------------------------------------------------

class Run(object):
    """Everything one benchmark run shares: simulator, files, stand-ins."""

    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.context = nova_context.RequestContext(
            user_id='bench-user', project_id='bench-project', is_admin=True)
        self.image_file = os.path.join(workdir, 'disk.img')
        self.image_info = sim_images.write_image(
            self.image_file, disk_type='ECKD', size=str(IMAGE_CYLINDERS),
            payload=sim_images.pattern_payload(IMAGE_PAYLOAD_BYTES))
        self.glance = LocalImageService(self.image_file)
        self.next_id = SPAWN_ID_BASE
        self.sim = None
        self.admin = None
        self.recorder = None
        self.cleanup_client = None
        self.leftovers = []

    # -- simulator ---------------------------------------------------------

    def start_simulator(self, auth):
        options = dict(guests=self.args.guests, latency=self.args.latency,
                       start_timeout=300.0,
                       **benchmark_simulator.real_connector_options())
        if auth == 'token':
            options.update(auth='token', token_file=self.token_file)
        # Kept before start(): stop_simulator() reaps a half-started one.
        self.sim = control.SimulatorProcess(
            os.path.join(self.workdir, 'simulator'), **options)
        self.sim.start()
        self.admin = control.SimulatorAdmin(self.sim.url)
        if self.recorder is None:
            self.recorder = Recorder(self.admin)
        self.recorder.admin = self.admin
        self.configure(auth)
        self.cleanup_client = zvm_client.ConnectorClient.from_conf(CONF)

    def stop_simulator(self):
        if self.cleanup_client is not None:
            self.cleanup_client.close()
            self.cleanup_client = None
        if self.sim is not None:
            self.sim.stop()
            self.sim = None

    @property
    def token_file(self):
        return os.path.join(self.workdir, 'admin.token')

    def configure(self, auth):
        overrides = {
            None: {
                'host': HOST,
                'instance_name_template': 'OS%06x',
                'instances_path': os.path.join(self.workdir, 'instances'),
                'force_config_drive': True,
                'config_drive_format': 'iso9660',
                'mkisofs_cmd': os.path.join(os.path.dirname(sys.executable),
                                            'pycdlib-genisoimage'),
                'shutdown_timeout': SOFT_STOP_TIMEOUT,
            },
            'zvm': {
                'cloud_connector_url': self.sim.url,
                'image_tmp_path': os.path.join(self.workdir, 'zvm-images'),
                'connector_token_file': (self.token_file if auth == 'token'
                                         else None),
                # Bounded: a stuck simulator must not stall the run.
                'connect_timeout': 5, 'read_timeout': 60,
                'long_read_timeout': 120,
            },
        }
        for group, opts in overrides.items():
            for name, value in opts.items():
                CONF.set_override(name, value, group=group)
        # Nova's in-tree driver never creates it (its first download would
        # fail); this driver does. A deployment step, not a cost.
        os.makedirs(CONF.zvm.image_tmp_path, exist_ok=True)

    # -- connector housekeeping, outside the measurements -------------------

    def connector(self, api, *args, **kwargs):
        return self.cleanup_client.call(api, *args, **kwargs)

    def delete_guest(self, userid):
        try:
            self.connector('guest_delete', userid)
        except zvm_exc.GuestNotFound:
            pass
        except Exception as err:
            self.leftovers.append('guest %s: %s' % (userid, err))

    def delete_image(self, name):
        try:
            self.connector('image_delete', name)
        except zvm_exc.ImageNotFound:
            pass
        except Exception as err:
            self.leftovers.append('image %s: %s' % (name, err))

    def sync_instances(self, image):
        """The instances of the sync besides the two of the lifecycle."""
        instances = [make_instance(self.context, SYNC_ID_BASE + i, image)
                     for i in range(SYNC_INSTANCES - 2)]
        for instance in instances:
            # As Nova recorded them: create_sync_guests starts them.
            instance.vm_state = 'active'
            instance.power_state = power_state.RUNNING
        return instances

    def create_sync_guests(self, instances):
        """The guests of the power-state sync, made on the connector."""
        for instance in instances:
            userid = instance.name.upper()
            self.connector('guest_create', userid, 1, 512)
            self.connector('guest_start', userid)

    def delete_sync_guests(self, instances):
        for instance in instances:
            self.delete_guest(instance.name.upper())

    def new_instance(self, image):
        self.next_id += 1
        return (make_instance(self.context, self.next_id, image),
                make_network_info(self.next_id))

    # -- a driver's life ----------------------------------------------------

    def lifecycle(self, key, driver_path, sync_instances):
        """One iteration: start a driver, walk two guests through life."""
        rec = self.recorder
        image_id = uuidutils.generate_uuid()
        snapshot_id = uuidutils.generate_uuid()
        image = make_image_meta(image_id, self.image_info)
        image_meta = objects.ImageMeta.from_dict(image)
        inst_a, nw_a = self.new_instance(image)
        inst_b, nw_b = self.new_instance(image)
        ctxt = self.context
        ok, driver = rec.measure(key, 'start', self._start, driver_path)
        if not ok:
            for op, _label in OPERATIONS[1:]:
                rec.skip(key, op, 'the driver did not start')
            return
        try:
            rec.measure(key, 'spawn_first', driver.spawn, ctxt, inst_a,
                        image_meta, [], 'bench-password', {}, nw_a)
            rec.measure(key, 'spawn_cached', driver.spawn, ctxt, inst_b,
                        image_meta, [], 'bench-password', {}, nw_b)
            rec.measure(key, 'instance_exists', driver.instance_exists,
                        inst_a)
            rec.measure(key, 'get_info', driver.get_info, inst_a)
            rec.measure(key, 'power_off_hard', driver.power_off, inst_a)
            rec.measure(key, 'power_on', driver.power_on, ctxt, inst_a, nw_a)
            rec.measure(key, 'reboot_soft', driver.reboot, ctxt, inst_a,
                        nw_a, 'SOFT')
            rec.measure(key, 'reboot_hard', driver.reboot, ctxt, inst_a,
                        nw_a, 'HARD')
            rec.measure(key, 'pause', driver.pause, inst_a)
            rec.measure(key, 'unpause', driver.unpause, inst_a)
            rec.measure(key, 'console', driver.get_console_output, ctxt,
                        inst_a)
            rec.measure(key, 'snapshot', driver.snapshot, ctxt, inst_a,
                        snapshot_id, lambda *a, **kw: None)
            rec.measure(key, 'power_off_soft', driver.power_off, inst_a,
                        SOFT_STOP_TIMEOUT, SOFT_STOP_RETRY_INTERVAL)
            rec.measure(key, 'resource_update', self._resource_update,
                        driver)
            # As Nova recorded them after the operations above.
            inst_a.power_state = power_state.SHUTDOWN
            inst_b.power_state = power_state.RUNNING
            rec.measure(key, 'power_sync', self._power_sync, driver,
                        [inst_a, inst_b] + sync_instances)
            rec.measure(key, 'destroy', driver.destroy, ctxt, inst_a, nw_a)
        finally:
            for instance, nw_info in ((inst_a, nw_a), (inst_b, nw_b)):
                try:
                    driver.destroy(ctxt, instance, nw_info)
                except Exception as err:
                    LOG.debug('cleanup destroy of %s: %s', instance.name, err)
                self.delete_guest(instance.name.upper())
            for name in (image_id, snapshot_id):
                self.delete_image(name)
            close = getattr(getattr(driver, '_client', None), 'close', None)
            if close is not None:
                close()

    @staticmethod
    def _start(driver_path):
        """What nova-compute does first with its driver."""
        drv = importutils.import_class(driver_path)(fake_virt.FakeVirtAPI())
        drv.init_host(HOST)
        return drv

    @staticmethod
    def _resource_update(driver):
        """What the resource tracker asks the driver in one update."""
        nodename = driver.get_available_nodes()[0]
        driver.get_available_resource(nodename)
        tree = provider_tree.ProviderTree()
        tree.new_root(nodename, uuidutils.generate_uuid())
        driver.update_provider_tree(tree, nodename)
        return tree

    @staticmethod
    def _power_sync(driver, instances):
        """ComputeManager._sync_power_states for these instances.

        Nova gives the driver the instances it loaded from its database;
        this driver also asks the database which instances are on the host.
        """
        on_host = objects.InstanceList(objects=list(instances))
        with mock.patch.object(objects.InstanceList, 'get_by_host',
                               return_value=on_host):
            driver.get_num_instances()
            return [driver.get_info(instance) for instance in instances]


# -- the run -----------------------------------------------------------------

def run_benchmark(args, workdir, out):
    run = Run(args, workdir)
    for _name, path in DRIVERS.values():
        # Imported now: 'start' measures a driver's start, not an import.
        importutils.import_class(path)
    passes = [('none', (THIS, IN_TREE))]
    if not args.no_token_pass:
        # Nova's in-tree driver has no token support: it is run to show
        # what it does then.
        passes.append(('token', (THIS, IN_TREE)))
    results = []
    with nova_services(run.glance):
        for auth, drivers in passes:
            out.write('-- auth %s: starting nova-zvm-simulator (%d '
                      'preloaded guests)\n' % (auth, args.guests))
            out.flush()
            try:
                leaked = run_pass(run, auth, drivers, out)
            finally:
                # Also when the start failed half-way or time ran out.
                run.stop_simulator()
            results.append({'auth': auth, 'leftovers': leaked,
                            'drivers': {
                                key: {op: summary(samples)
                                      for op, samples in
                                      run.recorder.samples[(auth, key)]
                                      .items()}
                                for key in drivers}})
    return results


def run_pass(run, auth, drivers, out):
    """All iterations on one simulator; returns what was left on it."""
    run.start_simulator(auth)
    image = make_image_meta(uuidutils.generate_uuid(), run.image_info)
    sync = run.sync_instances(image)
    try:
        run.create_sync_guests(sync)
        for i in range(run.args.iterations):
            for key in drivers:
                started = time.monotonic()
                run.lifecycle((auth, key), DRIVERS[key][1], sync)
                out.write('   iteration %d, %s: %.1f s\n'
                          % (i + 1, DRIVERS[key][0],
                             time.monotonic() - started))
                out.flush()
    finally:
        run.delete_sync_guests(sync)
    return check_leftovers(run)


def check_leftovers(run):
    """Guests and images of ours still on the simulator (should be none)."""
    inventory = run.admin.inventory()
    guests = [u for u in inventory.get('guests', {})
              if not u.startswith('SIM')]
    images = list(inventory.get('images', {}))
    leaked = run.leftovers + ['guest %s' % g for g in guests] + [
        'image %s' % i for i in images]
    run.leftovers = []
    for item in leaked:
        LOG.warning('left on the simulator: %s', item)
    return leaked


# -- output ------------------------------------------------------------------

def _fmt_bytes(value):
    if value >= 10 * 1024 * 1024:
        return '%.0fM' % (value / 1024.0 / 1024.0)
    if value >= 10 * 1024:
        return '%.0fK' % (value / 1024.0)
    return '%d' % value


def _cells(result):
    if result is None or not result.get('runs'):
        return ['-'] * 5 + ['skipped']
    mark = '!' if result.get('failed') else ''
    return ['%g' % result['requests'], '%g' % result['token_requests'],
            '%g' % result['connections'], _fmt_bytes(result['bytes_sent']),
            _fmt_bytes(result['bytes_received']),
            '%.1f%s' % (result['ms'], mark)]


def _totals(ops):
    total = {m: 0 for m in METRICS}
    runs = 0
    failed = 0
    for op, _label in OPERATIONS:
        result = ops.get(op)
        if not result or not result.get('runs'):
            continue
        runs += 1
        failed += 1 if result.get('failed') else 0
        for m in METRICS:
            total[m] += result[m]
    total['runs'] = runs
    total['failed'] = failed
    return total


HEADER = ('req', 'tok', 'conn', 'sent', 'recv', 'ms')
WIDTHS = (5, 4, 5, 7, 7, 9)


def format_table(pass_result, args):
    keys = list(pass_result['drivers'])
    width = max(len(label) for _op, label in OPERATIONS) + 2
    group = sum(WIDTHS) + len(WIDTHS) - 1
    lines = []
    lines.append('auth %s, %d preloaded guests, median of %d iteration(s)%s'
                 % (pass_result['auth'], args.guests, args.iterations,
                    ', latency %s' % ' '.join(args.latency)
                    if args.latency else ''))
    lines.append(' ' * width + ' | '.join(
        DRIVERS[k][0].center(group) for k in keys))
    lines.append('operation'.ljust(width) + ' | '.join(
        ' '.join(h.rjust(w) for h, w in zip(HEADER, WIDTHS))
        for _k in keys))
    lines.append('-' * (width + (group + 3) * len(keys) - 3))
    for op, label in OPERATIONS + (('total', 'total'),):
        cells = []
        for k in keys:
            ops = pass_result['drivers'][k]
            result = _totals(ops) if op == 'total' else ops.get(op)
            cells.append(' '.join(c.rjust(w) for c, w in
                                  zip(_cells(result), WIDTHS)))
        if op == 'total':
            lines.append('-' * (width + (group + 3) * len(keys) - 3))
        lines.append(label.ljust(width) + ' | '.join(cells))
    notes = []
    for k in keys:
        skipped = {}
        for op, label in OPERATIONS:
            result = pass_result['drivers'][k].get(op) or {}
            if not result.get('runs'):
                for reason in result.get('errors', []):
                    skipped.setdefault(reason, []).append(label)
                continue
            for error in result.get('errors', []):
                notes.append('%s, %s: %s' % (DRIVERS[k][0], label, error))
        for reason, labels in sorted(skipped.items()):
            notes.append('%s: %d operation(s) skipped: %s'
                         % (DRIVERS[k][0], len(labels), reason))
    if notes:
        lines.append('')
        lines.append('! failed (the costs shown are those of the failed '
                     'calls)')
        lines.extend('  ' + n for n in notes)
    if pass_result['leftovers']:
        lines.append('left on the simulator: %s'
                     % ', '.join(pass_result['leftovers']))
    return '\n'.join(lines)


def format_calls(pass_result):
    """The connector calls each operation made, per driver."""
    lines = ['connector calls per operation (auth %s):'
             % pass_result['auth']]
    for k, ops in pass_result['drivers'].items():
        lines.append('  %s' % DRIVERS[k][0])
        for op, label in OPERATIONS:
            calls = (ops.get(op) or {}).get('calls')
            if calls is None:
                continue
            text = ', '.join('%s x%d' % (name, n) if n > 1 else name
                             for name, n in sorted(calls.items())) or '-'
            lines.extend(textwrap.wrap(
                text, width=76, initial_indent='    %-27s ' % label,
                subsequent_indent=' ' * 32, break_on_hyphens=False))
    return '\n'.join(lines)


# -- command line ------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='benchmark.py',
        description="Connector requests, connections, bytes and time per "
                    "compute driver operation: this driver and Nova's "
                    "in-tree z/VM driver on nova-zvm-simulator.")
    parser.add_argument('--guests', type=int, default=5000,
                        help='guests preloaded on the simulator '
                             '(default %(default)s)')
    parser.add_argument('--iterations', type=int, default=5,
                        help='lives of each driver to take the median of '
                             '(default %(default)s)')
    parser.add_argument('--latency', action='append', default=[],
                        metavar='API=SPEC',
                        help="simulator latency, e.g. all=0.005 (seconds) "
                             "or guest_deploy=uniform:0.5:1; repeatable")
    parser.add_argument('--json', metavar='FILE',
                        help='also write all results and samples as JSON')
    parser.add_argument('--no-token-pass', action='store_true',
                        help='skip the second pass with token auth')
    parser.add_argument('--cases', type=_names(CASES), default=CASES,
                        help='comma-separated cases to run, of %s '
                             '(default: all)' % ','.join(CASES))
    parser.add_argument('--sync-sizes', type=_numbers(int),
                        default=[10, 100, 1000],
                        help='instances of the power-state sync case '
                             '(default 10,100,1000)')
    parser.add_argument('--boot-count', type=int, default=20,
                        help='servers booted at once (default %(default)s)')
    parser.add_argument('--boot-latencies', type=_numbers(float),
                        default=[2.0, 20.0],
                        help='simulated guest_deploy seconds of the '
                             'concurrent boot case (default 2,20)')
    parser.add_argument('--boot-runs', type=int, default=1,
                        help='runs of the concurrent boot case per latency '
                             'and driver; the median is shown (default '
                             '%(default)s)')
    parser.add_argument('--image-mib', type=int, default=1024,
                        help='image size of the import case in MiB '
                             '(default %(default)s)')
    parser.add_argument('--max-seconds', type=int, default=1800,
                        help='stop (and clean up) after this long '
                             '(default %(default)s)')
    parser.add_argument('--debug', action='store_true',
                        help='log the drivers at DEBUG level on stderr')
    args = parser.parse_args(argv)
    if args.guests < 0:
        parser.error('--guests must not be negative')
    if args.iterations < 1:
        parser.error('--iterations must be at least 1')
    if args.boot_runs < 1:
        parser.error('--boot-runs must be at least 1')
    return args


# case -> (run, format, failures): the cases besides lifecycle.
SCALE_CASES = dict(
    {case: funcs + (lambda results, case=case:
                    benchmark_scale.failures(case, results),)
     for case, funcs in benchmark_scale.CASES.items()},
    **{case: funcs + (benchmark_simulator.failures,)
       for case, funcs in benchmark_simulator.CASES.items()})
CASES = ('lifecycle',) + tuple(SCALE_CASES)


def _names(allowed):
    def parse(text):
        names = [n.strip() for n in text.split(',') if n.strip()]
        unknown = set(names) - set(allowed)
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                'expected some of %s' % ','.join(allowed))
        return names
    return parse


def _numbers(kind):
    def parse(text):
        try:
            values = [kind(v) for v in text.split(',') if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError('expected numbers: %s' % text)
        if not values or min(values) <= 0:
            raise argparse.ArgumentTypeError('expected positive numbers')
        return values
    return parse


def run_scale_cases(args, workdir, out):
    """The cases of benchmark_scale, each on its own simulator."""
    results = {}
    run = Run(args, workdir)
    with nova_services(run.glance):
        for case in args.cases:
            if case == 'lifecycle':
                continue
            out.write('-- %s\n' % case)
            out.flush()
            results[case] = SCALE_CASES[case][0](
                sys.modules[__name__], run, out)
            run.args = args
    return results


def _on_alarm(signum, frame):
    raise Timeout('the benchmark ran longer than --max-seconds')


def main(argv=None, out=sys.stdout):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s',
        level=logging.DEBUG if args.debug else logging.WARNING)
    CONF([], project='nova', default_config_files=[],
         default_config_dirs=[])
    objects.register_all()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(args.max_seconds)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='nova-zvm-benchmark-')
    try:
        results = []
        if 'lifecycle' in args.cases:
            results = run_benchmark(args, workdir, out)
        scale = run_scale_cases(args, workdir, out)
    except (Timeout, KeyboardInterrupt) as err:
        out.write('benchmark stopped: %s\n' % (str(err) or
                                               type(err).__name__))
        return 1
    except Exception:
        out.write('benchmark failed:\n%s\n' % traceback.format_exc())
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    if args.json:
        now = datetime.datetime.now(datetime.timezone.utc)
        with open(args.json, 'w') as f:
            json.dump({'date': now.isoformat(),
                       'python': platform.python_version(),
                       'machine': platform.machine(),
                       'cpus': os.cpu_count(),
                       'guests': args.guests,
                       'iterations': args.iterations,
                       'latency': args.latency,
                       'seconds': round(elapsed, 1),
                       'operations': OPERATIONS,
                       'passes': results,
                       'scale': _json_keys(scale)}, f, indent=1,
                      sort_keys=True)
    out.write('\n')
    for pass_result in results:
        out.write(format_table(pass_result, args) + '\n\n')
    for pass_result in results:
        out.write(format_calls(pass_result) + '\n\n')
    for case, case_results in scale.items():
        out.write(SCALE_CASES[case][1](case_results, args) + '\n\n')
    if results:
        out.write('req: HTTP requests to the connector, token requests '
                  'included;\ntok: token requests; conn: TCP connections '
                  'opened; sent, recv: bytes of\nthe requests, of the '
                  'answers (HTTP headers included); ms: wall time.\n')
    out.write('Run took %.0f s.\n' % elapsed)
    # Nova's in-tree driver failing is a result; this driver failing, or
    # anything left on the simulator, is a bug to look at.
    failed = [label for p in results
              for op, label in OPERATIONS
              if (p['drivers'].get(THIS, {}).get(op) or {}).get('failed')]
    failed += [label for case, case_results in scale.items()
               for label in SCALE_CASES[case][2](case_results)]
    if failed or any(p['leftovers'] for p in results):
        out.write('FAILED: this driver failed (%s) or left guests or images '
                  'behind\n' % ', '.join(failed))
        return 1
    return 0


def _json_keys(value):
    """JSON keeps string keys only (the sync sizes, the latencies)."""
    if isinstance(value, dict):
        return {str(k): _json_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_keys(v) for v in value]
    return value


if __name__ == '__main__':
    sys.exit(main())
