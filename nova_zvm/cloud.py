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

"""Nova's own services with this driver, on nova-zvm-simulator processes.

The cloud the tour runs and the functional tests build on. Nova's
functional harness (``nova.tests.fixtures`` and
``nova.tests.functional.integrated_helpers``, shipped in Nova's wheel but
split out by some distributions, plus the ``[tour]`` extra's packages) runs
the real API, conductor, scheduler, placement and compute services in this
process; Glance, Neutron, Cinder and Keystone are Nova's fixtures. Each
compute host talks HTTP to its own simulator process (Nova's harness
monkey-patches with eventlet, so a server in this process would block it).

Import it only to run that cloud: importing Nova's harness monkey-patches
the process. ``leftovers()`` says what z/VM and the compute host were left
with; the functional tests fail on it, the tour reports it.
"""

import fcntl
import inspect
import os
import string
import sys
import time
from unittest import mock
from urllib import parse

import fixtures
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional import integrated_helpers
from oslo_log import log as logging
from oslo_utils.fixture import uuidsentinel as uuids
from zvmconnector import restclient

from nova_zvm import cloud_services
from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.simulator import control
from nova_zvm.simulator import images as sim_images

LOG = logging.getLogger(__name__)

_NAME_PREFIX = []

COMPUTE_DRIVER = 'zvm_ext.ZVMDriver'
OS_DISTRO = cloud_services.OS_DISTRO
# A small disk image: 10 cylinders of ECKD with a recognisable payload.
IMAGE_CYLINDERS = 10


# Nova 34: on a wait for status ERROR, _wait_for_server_parameter also
# waits for the server's fault, which Nova records after setting ERROR;
# before that, a test reading server['fault'] right away races with it.
WAITS_FOR_FAULT = 'wait_for_fault_key' in inspect.signature(
    integrated_helpers.InstanceHelperMixin._wait_for_server_parameter
).parameters


class HarnessMixin(object):
    """Nova 34's harness behaviour on every supported release.

    Put before Nova's test base class; on Nova 34 it adds nothing.
    """

    if not WAITS_FOR_FAULT:
        def _wait_for_server_parameter(self, server, expected_params,
                                       max_retries=10, api=None,
                                       wait_for_fault_key=True):
            api = api or getattr(self, 'admin_api', self.api)
            wait_for_fault = (wait_for_fault_key and
                              expected_params.get('status') == 'ERROR')
            for attempt in range(max_retries):
                if attempt:
                    time.sleep(0.5)
                server = api.get_server(server['id'])
                if all(server[attr] == value
                       for attr, value in expected_params.items()) and \
                        (not wait_for_fault or 'fault' in server):
                    return server
            self.fail('Wait for state change failed, expected_params=%s, '
                      'server=%s, wait_for_fault=%s'
                      % (expected_params, server, wait_for_fault))


def node_uuid(host):
    """The compute node identity of a test compute host."""
    return str(getattr(uuids, 'node_%s' % host))


def total_requests(counters):
    """Connector requests (admin endpoint excluded) in a counters dict."""
    return counters['requests_total']


def name_prefix():
    """The two letters of this process's guest names, unique on the machine.

    zvmsdk stages a new guest's IUCV authorization file in ``/tmp/<userid>``
    and removes that folder afterwards: simulators of test processes that
    run at the same time on one machine would share it for guests of the
    same name. Each process holds a lock on its prefix ('OS' first).
    """
    if not _NAME_PREFIX:
        letters = string.ascii_uppercase
        for second in letters[18:] + letters[:18]:
            prefix = 'O' + second
            # Next to zvmsdk's folders: /tmp whatever TMPDIR says (test
            # fixtures point TMPDIR at a folder of their own).
            lock = open('/tmp/nova-zvm-cloud-%s.lock' % prefix, 'a')
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            # Held (open) for the life of the process.
            _NAME_PREFIX.extend((prefix, lock))
            break
        else:
            raise RuntimeError('no free guest name prefix on this machine')
    return _NAME_PREFIX[0]


def guest_name(number):
    """The userid of the instance with this id in this process's cloud."""
    return '%s%06X' % (name_prefix(), number)


def root_digest(guest_record):
    """The content digest of a guest's root disk (vdev 0100)."""
    return guest_record['disks']['0100']['digest']


class ZVMCloud(HarnessMixin, integrated_helpers._IntegratedTestBase):
    """One z/VM compute host (``compute1``) on its own simulator.

    Written against Nova 34's harness; HarnessMixin makes up for
    what Nova 32 and 33 do differently.
    """

    ADMIN_API = True
    api_major_version = 'v2.1'
    microversion = 'latest'
    # Compute hosts started by _setup_compute_service, each on a simulator.
    COMPUTE_HOSTS = ('compute1',)
    # Extra command-line options for every simulator of the test.
    SIMULATOR_OPTIONS = {}
    # Nova's harness polls a server 10 times, 0.5 s apart: a boot on a
    # busy 2-core machine (CI runs several Nova releases) can take longer
    # without anything being wrong. A wait ends as soon as the state is
    # reached, so passing tests take no longer.
    WAIT_RETRIES = 60

    def _wait_for_server_parameter(self, server, expected_params,
                                   max_retries=10, *args, **kwargs):
        return super(ZVMCloud, self)._wait_for_server_parameter(
            server, expected_params, max(max_retries, self.WAIT_RETRIES),
            *args, **kwargs)

    def setUp(self):
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.simulators = {}
        self.admins = {}
        # Nova's base class builds its Glance fixture by this name.
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.GlanceFixture',
            cloud_services.StoringGlanceFixture))
        self.useFixture(fixtures.MonkeyPatch(
            'nova.tests.fixtures.CinderFixture',
            cloud_services.FibreChannelCinderFixture))
        super(ZVMCloud, self).setUp()

    # -- environment --------------------------------------------------------

    def _setup_services(self):
        # The wheel installs api-paste.ini under sys.prefix, not where Nova's
        # test defaults look for it.
        self.flags(api_paste_config=os.path.join(
            sys.prefix, 'etc', 'nova', 'api-paste.ini'), group='wsgi')
        self.image_tmp = os.path.join(self.tmp, 'zvm-images')
        self.flags(image_tmp_path=self.image_tmp, group='zvm')
        self.flags(compute_driver=COMPUTE_DRIVER,
                   instance_name_template=name_prefix() + '%06x',
                   force_config_drive=True,
                   mkisofs_cmd=os.path.join(os.path.dirname(sys.executable),
                                            'pycdlib-genisoimage'))
        # One z/VM host per test: a failed build must not be rescheduled,
        # so the server's fault is the connector's reason.
        self.flags(max_attempts=1, group='scheduler')
        self.flags(retry_interval=0.05, retry_max_interval=0.2,
                   busy_retry_timeout=2, connect_timeout=2, read_timeout=30,
                   group='zvm')
        super(ZVMCloud, self)._setup_services()

    def _setup_compute_service(self):
        first = None
        for host in self.COMPUTE_HOSTS:
            compute = self.start_zvm_compute(host)
            first = first or compute
        return first

    def start_simulator(self, host, **options):
        opts = dict(self.SIMULATOR_OPTIONS)
        opts.setdefault('backend', os.environ.get('NOVA_ZVM_SIM_BACKEND'))
        # z/VM's own waits (a soft stop's 15 s...) at 1/100 of real time.
        opts.setdefault('time_scale', 0.01)
        log_dir = os.environ.get('NOVA_ZVM_SIM_LOGDIR')
        if log_dir:
            # Keep each simulator's log after the test (debugging).
            opts.setdefault('log_file', os.path.join(log_dir, host + '.log'))
        opts.setdefault('zvm_host', host.upper().replace('-', '')[:8])
        opts.update(options)
        state_dir = os.path.join(self.tmp, 'sim-%s' % host)
        sim = control.SimulatorProcess(state_dir, **opts)
        sim.start()
        self.addCleanup(sim.stop)
        self.simulators[host] = sim
        self.admins[host] = control.SimulatorAdmin(sim.url,
                                                   cafile=opts.get('cert'))
        return sim

    def start_zvm_compute(self, host, **sim_options):
        """Start a simulator, point [zvm] at it, start nova-compute."""
        sim = self.simulators.get(host) or self.start_simulator(
            host, **sim_options)
        # The driver reads its connector settings when nova-compute builds
        # it, so each compute keeps the simulator set here.
        self.flags(cloud_connector_url=sim.url, group='zvm')
        # One process holds several compute services here; each real one
        # has its own compute_id file, so give each its own identity.
        with mock.patch('nova.virt.node.get_local_node_uuid',
                        return_value=node_uuid(host)):
            return self._start_compute(host)

    def restart_compute(self, host='compute1'):
        """Restart nova-compute with a new driver reading [zvm] again.

        The guests live on in the simulator, as on z/VM.
        """
        self.flags(cloud_connector_url=self.simulators[host].url,
                   group='zvm')
        with mock.patch('nova.virt.node.get_local_node_uuid',
                        return_value=node_uuid(host)):
            self.computes[host] = self.restart_compute_service(
                self.computes[host], keep_hypervisor_state=False)
        return self.computes[host]

    def admin(self, host='compute1'):
        return self.admins[host]

    # -- images -------------------------------------------------------------

    def create_zvm_image(self, name='rhel-image', payload=None,
                         os_distro=OS_DISTRO, disk_type='ECKD',
                         cylinders=IMAGE_CYLINDERS, properties=None):
        """A Glance image in the connector's disk image format."""
        payload = payload or ('image %s payload' % name).encode()
        path = os.path.join(self.tmp, 'glance-%s.img' % name)
        sim_images.write_image(path, disk_type=disk_type,
                               size=str(cylinders), payload=payload)
        props = {'architecture': 's390x', 'hypervisor_type': 'zvm'}
        if os_distro:
            props['os_distro'] = os_distro
        props.update(properties or {})
        with open(path, 'rb') as data:
            image = self.glance.create(None, {
                'name': name, 'status': 'active', 'disk_format': 'raw',
                'container_format': 'bare', 'size': os.path.getsize(path),
                'min_disk': 0, 'properties': props}, data=data)
        os.unlink(path)
        return image['id']

    # -- servers ------------------------------------------------------------

    def boot(self, image_id=None, flavor_id=None, name='server', networks=None,
             expected='ACTIVE', **extra):
        image_id = image_id or self.create_zvm_image()
        server = self._build_server(name=name, image_uuid=image_id,
                                    flavor_id=flavor_id,
                                    networks=networks or 'auto')
        server.update(extra)
        created = self.api.post_server({'server': server})
        return self._wait_for_state_change(created, expected)

    def two_networks(self):
        """Networks of a server with two ports.

        The fixture's second network is made known to Neutron first.
        """
        self.neutron._networks[
            self.neutron.network_2['id']] = self.neutron.network_2
        self.neutron._subnets[
            self.neutron.subnet_2['id']] = self.neutron.subnet_2
        return [{'uuid': nova_fixtures.NeutronFixture.network_1['id']},
                {'uuid': nova_fixtures.NeutronFixture.network_2['id']}]

    def snapshot(self, server, name):
        """createImage through the API; the Glance image once it is done."""
        resp = self.api.post_server_action(
            server['id'], {'createImage': {'name': name}})
        image_id = resp['image_id']
        self._wait_for_server_parameter(
            server, {'OS-EXT-STS:task_state': None, 'status': 'ACTIVE'})
        image = self.glance.show(None, image_id)
        self.assertEqual('active', image['status'])
        return image

    def connector(self, host='compute1'):
        """The real zvmconnector REST client, as other z/VM tools use it."""
        url = parse.urlparse(self.simulators[host].url)
        return restclient.RESTClient(ip=url.hostname, port=url.port,
                                     ssl_enabled=url.scheme == 'https',
                                     verify=False)

    def couple_nics(self, server, host='compute1', vswitch='VSWITCH1'):
        """Do what the z/VM Neutron agent does: couple NICs to a vswitch."""
        conn = self.connector(host)
        conn.call('vswitch_create', vswitch)
        userid = self.userid(server)
        # z/VM couples a NIC to a vswitch only for a granted user.
        result = conn.call('vswitch_grant_user', vswitch, userid)
        self.assertEqual(0, result['overallRC'], result)
        for vdev in sorted(self.guest(server, host)['nics']):
            # A running guest's NIC is coupled live too (active=True), as
            # the agent does; otherwise only its directory entry changes.
            result = conn.call('guest_nic_couple_to_vswitch', userid, vdev,
                               vswitch, active=True)
            self.assertEqual(0, result['overallRC'], result)

    def userid(self, server):
        return server['OS-EXT-SRV-ATTR:instance_name'].upper()

    def guest(self, server, host='compute1'):
        return self.admin(host).guest(self.userid(server))

    # -- what was left behind ----------------------------------------------

    def leftovers(self):
        """What was left behind: guests, disk-pool usage, FCP devices, files.

        One line per problem; empty when z/VM and the compute host hold
        nothing the cloud created.
        """
        problems = []
        listed = set()
        users = set()
        for host, admin in self.admins.items():
            if not self.simulators[host].running():
                continue
            inv = admin.inventory()
            guests = inv.get('guests', {})
            if guests:
                problems.append('%s: guests left: %s' %
                                (host, sorted(guests)))
            # SSI members share the directory: a guest that no member's
            # connector manages and that runs nowhere is in no member's
            # 'guests', only in the directory.
            listed.update(guests)
            users.update(inv.get('directory') or ())
            used = inv.get('disk_pool', {}).get('used', 0)
            if used:
                problems.append('%s: disk pool still has %s in use' %
                                (host, used))
            held = sorted(dev for dev, fcp in (inv.get('fcp') or {}).items()
                          if fcp['reserved'] or fcp['connections'])
            if held:
                problems.append('%s: FCP devices still reserved or '
                                'connected: %s' % (host, held))
        if users - listed:
            problems.append('left in the user directory: %s' %
                            sorted(users - listed))
        if os.path.isdir(self.image_tmp):
            left = sorted(os.listdir(self.image_tmp))
            if left:
                problems.append('compute host temp files left: %s' % left)
        return problems
