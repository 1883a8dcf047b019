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

"""What the benchmark's cases share: drivers, Nova stand-ins, measuring.

The drivers compared, the stand-ins for Glance, Neutron and the database
(no Nova service runs), the Nova objects of a benchmark instance, the
``Recorder`` of the simulator's counters per operation and the median
``summary`` of its samples. Used by ``benchmark_lifecycle`` and the other
cases (``benchmark_sync``, ``benchmark_boot``, ``benchmark_import``,
``benchmark_simulator``); ``tools/benchmark.py`` runs them.
"""

import argparse
import contextlib
import logging
import shutil
import statistics
import threading
import time
from unittest import mock

import nova.conf
from nova.image import glance
from nova.network import model as network_model
from nova.network import security_group_api
from nova import objects
from nova import utils as nova_utils
from oslo_utils import uuidutils

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


# -- a case's simulator and drivers -----------------------------------------

# Threads deleting a case's guests: within the clients' connection pools
# (20), which urllib3 warns about exceeding.
DELETERS = 10


def at_once(func, arg_lists):
    """Call ``func`` with each of ``arg_lists``, each in its own thread.

    The threads start together; returns the wall seconds until the last
    one ended.
    """
    threads = [threading.Thread(target=func, args=args)
               for args in arg_lists]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def start_simulator(run, guests, latency=(), zvm_latency=()):
    """The run's simulator with these preloaded guests and latency.

    ``latency`` is added to connector calls (``--latency``), ``zvm_latency``
    overrides the fake z/VM's own costs (``--zvm-latency``).
    """
    run.args = argparse.Namespace(**dict(vars(run.args), guests=guests,
                                         latency=list(latency),
                                         zvm_latency=list(zvm_latency)))
    run.start_simulator('none')


def stop_driver(driver):
    """Close a driver's connector client (this driver has one)."""
    close = getattr(getattr(driver, '_client', None), 'close', None)
    if close is not None:
        close()
