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

"""The ``lifecycle`` case: each driver's operations, one guest's life.

``Run`` is what a benchmark run shares (the simulator process, the image
file, the stand-ins, the housekeeping connector client); ``lifecycle``
walks two guests through a driver's ``ComputeDriver`` methods, measuring
each operation (``OPERATIONS``). ``run_benchmark`` runs every iteration of
both drivers, without and with token auth.
"""

import os
import sys
import time
from unittest import mock

from nova.compute import power_state
from nova.compute import provider_tree
from nova import context as nova_context
from nova import objects
from nova.virt import fake as fake_virt
from oslo_utils import importutils
from oslo_utils import uuidutils

import benchmark_common as common
from nova_zvm.simulator import control
from nova_zvm.simulator import images as sim_images
from nova_zvm.virt.zvm import client as zvm_client
from nova_zvm.virt.zvm import exception as zvm_exc

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
    ('power_sync', 'power-state sync, %d' % common.SYNC_INSTANCES),
    ('destroy', 'destroy'),
)


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
            self.image_file, disk_type='ECKD',
            size=str(common.IMAGE_CYLINDERS),
            payload=sim_images.pattern_payload(common.IMAGE_PAYLOAD_BYTES))
        self.glance = common.LocalImageService(self.image_file)
        self.next_id = common.SPAWN_ID_BASE
        self.sim = None
        self.admin = None
        self.recorder = None
        self.cleanup_client = None
        self.leftovers = []

    # -- simulator ---------------------------------------------------------

    def start_simulator(self, auth):
        options = dict(guests=self.args.guests, latency=self.args.latency,
                       zvm_latency=getattr(self.args, 'zvm_latency', None),
                       start_timeout=300.0)
        if auth == 'token':
            options.update(auth='token', token_file=self.token_file)
        # Kept before start(): stop_simulator() reaps a half-started one.
        self.sim = control.SimulatorProcess(
            os.path.join(self.workdir, 'simulator'), **options)
        self.sim.start()
        self.admin = control.SimulatorAdmin(self.sim.url)
        if self.recorder is None:
            self.recorder = common.Recorder(self.admin)
        self.recorder.admin = self.admin
        self.configure(auth)
        self.cleanup_client = zvm_client.ConnectorClient.from_conf(common.CONF)

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
                'host': common.HOST,
                'instance_name_template': 'OS%06x',
                'instances_path': os.path.join(self.workdir, 'instances'),
                'force_config_drive': True,
                'config_drive_format': 'iso9660',
                'mkisofs_cmd': os.path.join(os.path.dirname(sys.executable),
                                            'pycdlib-genisoimage'),
                'shutdown_timeout': common.SOFT_STOP_TIMEOUT,
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
                common.CONF.set_override(name, value, group=group)
        # Nova's in-tree driver never creates it (its first download would
        # fail); this driver does. A deployment step, not a cost.
        os.makedirs(common.CONF.zvm.image_tmp_path, exist_ok=True)

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
        instances = [common.make_instance(self.context,
                                          common.SYNC_ID_BASE + i, image)
                     for i in range(common.SYNC_INSTANCES - 2)]
        for instance in instances:
            # As Nova recorded them: create_sync_guests starts them.
            instance.vm_state = 'active'
            instance.power_state = power_state.RUNNING
        return instances

    def create_sync_guests(self, instances):
        """The guests of the power-state sync, made on the connector."""
        for instance in instances:
            userid = instance.name.upper()
            # zvmsdk 1.6.3 needs a disk list: a small root minidisk.
            self.connector('guest_create', userid, 1, 512,
                           disk_list=[{'size': '1g', 'is_boot_disk': True}])
            self.connector('guest_start', userid)

    def delete_sync_guests(self, instances):
        for instance in instances:
            self.delete_guest(instance.name.upper())

    def new_instance(self, image):
        self.next_id += 1
        return (common.make_instance(self.context, self.next_id, image),
                common.make_network_info(self.next_id))

    # -- a driver's life ----------------------------------------------------

    def lifecycle(self, key, driver_path, sync_instances):
        """One iteration: start a driver, walk two guests through life."""
        rec = self.recorder
        image_id = uuidutils.generate_uuid()
        snapshot_id = uuidutils.generate_uuid()
        image = common.make_image_meta(image_id, self.image_info)
        image_meta = objects.ImageMeta.from_dict(image)
        inst_a, nw_a = self.new_instance(image)
        inst_b, nw_b = self.new_instance(image)
        ctxt = self.context
        ok, driver = rec.measure(key, 'start', self.start_driver, driver_path)
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
                        common.SOFT_STOP_TIMEOUT,
                        common.SOFT_STOP_RETRY_INTERVAL)
            rec.measure(key, 'resource_update', self._resource_update,
                        driver)
            # As Nova recorded them after the operations above.
            inst_a.power_state = power_state.SHUTDOWN
            inst_b.power_state = power_state.RUNNING
            rec.measure(key, 'power_sync', self.power_sync, driver,
                        [inst_a, inst_b] + sync_instances)
            rec.measure(key, 'destroy', driver.destroy, ctxt, inst_a, nw_a)
        finally:
            for instance, nw_info in ((inst_a, nw_a), (inst_b, nw_b)):
                try:
                    driver.destroy(ctxt, instance, nw_info)
                except Exception as err:
                    common.LOG.debug('cleanup destroy of %s: %s',
                                     instance.name, err)
                self.delete_guest(instance.name.upper())
            for name in (image_id, snapshot_id):
                self.delete_image(name)
            common.stop_driver(driver)

    @staticmethod
    def start_driver(driver_path):
        """What nova-compute does first with its driver."""
        drv = importutils.import_class(driver_path)(fake_virt.FakeVirtAPI())
        drv.init_host(common.HOST)
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
    def power_sync(driver, instances):
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
    for _name, path in common.DRIVERS.values():
        # Imported now: 'start' measures a driver's start, not an import.
        importutils.import_class(path)
    passes = [('none', (common.THIS, common.IN_TREE))]
    if not args.no_token_pass:
        # Nova's in-tree driver has no token support: it is run to show
        # what it does then.
        passes.append(('token', (common.THIS, common.IN_TREE)))
    results = []
    with common.nova_services(run.glance):
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
                                key: {op: common.summary(samples)
                                      for op, samples in
                                      run.recorder.samples[(auth, key)]
                                      .items()}
                                for key in drivers}})
    return results


def run_pass(run, auth, drivers, out):
    """All iterations on one simulator; returns what was left on it."""
    run.start_simulator(auth)
    image = common.make_image_meta(uuidutils.generate_uuid(), run.image_info)
    sync = run.sync_instances(image)
    try:
        run.create_sync_guests(sync)
        for i in range(run.args.iterations):
            for key in drivers:
                started = time.monotonic()
                run.lifecycle((auth, key), common.DRIVERS[key][1], sync)
                out.write('   iteration %d, %s: %.1f s\n'
                          % (i + 1, common.DRIVERS[key][0],
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
        common.LOG.warning('left on the simulator: %s', item)
    return leaked
