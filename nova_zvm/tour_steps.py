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

"""The tour's cloud and steps (imported by nova_zvm.tour when it runs).

The cloud is ``nova_zvm.cloud`` (the functional tests build on it too),
used as a program: Nova's harness is the supported way to run all of Nova's
services in one process. ``nova_zvm.tour`` checks that the harness is
installed before importing this module.
"""

import os

import fixtures
from nova.tests import fixtures as nova_fixtures

from nova_zvm import cloud
from nova_zvm.virt.zvm import network


VOLUME = nova_fixtures.CinderFixture.SWAP_OLD_VOL


class TourCloud(cloud.ZVMCloud):

    # Three z/VM systems with FCP devices: compute1 and compute2 are
    # members of one SSI cluster (live migration), compute3 stands alone
    # (SSI members share one user directory, so resize and cold migration
    # go to a system outside the cluster).
    COMPUTE_HOSTS = ('compute1', 'compute2', 'compute3')
    SSI_MEMBERS = ('compute1', 'compute2')
    # Live migration and resize report back by casts: keep them async.
    CAST_AS_CALL = False

    def __init__(self, methodName='run_tour', args=None):
        super(TourCloud, self).__init__(methodName)
        self.args = args
        self.servers = {}
        self.image_id = None
        self.snapshot_id = None

    def run_tour(self):
        """Placeholder test method: the tour drives setUp and steps."""

    def setUp(self):
        super(TourCloud, self).setUp()
        self.addCleanup(self._check_leftovers)
        # Runs before the leak check (cleanups run last-in, first-out): a
        # tour stopped half-way still deletes what it created.
        self.addCleanup(self._delete_leftovers)

    def _check_leftovers(self):
        problems = self.leftovers()
        if problems:
            raise RuntimeError('The tour left behind:\n' +
                               '\n'.join(problems))

    def _delete_leftovers(self):
        for key in list(self.servers):
            server = self.servers.pop(key)
            try:
                self._delete_server(server)
            except Exception:
                pass

    # -- environment ---------------------------------------------------------

    @property
    def real_connector(self):
        return bool(self.args and self.args.connector_url)

    def _setup_services(self):
        super(TourCloud, self)._setup_services()
        if self.args and self.args.disk_pool:
            self.flags(disk_pool=self.args.disk_pool, group='zvm')

    def start_simulator(self, host, **options):
        if host in self.SSI_MEMBERS:
            if not hasattr(self, 'ssi_dir'):
                self.ssi_dir = self.useFixture(fixtures.TempDir()).path
            options.setdefault('ssi_name', 'TOURSSI')
            options.setdefault('ssi_dir', self.ssi_dir)
        options.setdefault('fcp_devices', '1a00-1a07')
        return super(TourCloud, self).start_simulator(host, **options)

    def _setup_compute_service(self):
        if self.real_connector:
            # One compute host on the real connector.
            return self.start_zvm_compute('compute1')
        return super(TourCloud, self)._setup_compute_service()

    def start_zvm_compute(self, host, **sim_options):
        if not self.real_connector:
            return super(TourCloud, self).start_zvm_compute(host,
                                                            **sim_options)
        self.flags(cloud_connector_url=self.args.connector_url,
                   connector_token_file=self.args.token_file,
                   ca_file=self.args.ca_file, group='zvm')
        return self._start_compute(host)

    def request_count(self):
        """Connector requests so far (None on a real connector)."""
        if self.real_connector:
            return None
        return sum(cloud.total_requests(a.counters())
                   for a in self.admins.values())

    # -- steps ---------------------------------------------------------------

    def steps(self):
        steps = [
            ('upload image to Glance', self.step_image),
            ('boot server', self.step_boot),
            ('show server', self.step_show),
            ('console log', self.step_console),
            ('soft reboot', self.step_soft_reboot),
            ('hard reboot', self.step_hard_reboot),
            ('stop', self.step_stop),
            ('start', self.step_start),
            ('pause and unpause', self.step_pause),
            ('diagnostics', self.step_diagnostics),
            ('snapshot', self.step_snapshot),
            ('boot from snapshot', self.step_boot_snapshot),
            ('attach a volume', self.step_attach_volume),
            ('detach the volume', self.step_detach_volume),
            ('attach a port', self.step_attach_port),
            ('detach the port', self.step_detach_port),
        ]
        if not self.real_connector:
            steps += [
                ('live migrate to compute2', self.step_live_migrate),
                ('evacuate from failed compute2', self.step_evacuate),
                ('resize to another host', self.step_resize),
                ('confirm the resize', self.step_confirm),
                ('cold migrate', self.step_cold_migrate),
                ('revert the migration', self.step_revert),
            ]
        return steps + [('delete servers', self.step_delete)]

    def _server(self, key='first'):
        return self.api.get_server(self.servers[key]['id'])

    def step_image(self):
        if self.real_connector:
            with open(self.args.image_file, 'rb') as data:
                image = self.glance.create(None, {
                    'name': 'tour-image', 'status': 'active',
                    'disk_format': 'raw', 'container_format': 'bare',
                    'size': os.path.getsize(self.args.image_file),
                    'properties': {'os_distro': self.args.os_distro}},
                    data=data)
            self.image_id = image['id']
        else:
            self.image_id = self.create_zvm_image(
                'tour-image', payload=b'tour root file system')
        return 'image %s' % self.image_id

    def step_boot(self):
        extra = {} if self.real_connector else {'host': 'compute1'}
        server = self.boot(self.image_id, name='tour-1', **extra)
        self.servers['first'] = server
        return 'guest %s on %s' % (self.userid(server),
                                   server['OS-EXT-SRV-ATTR:host'])

    def step_show(self):
        server = self._server()
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(1, server['OS-EXT-STS:power_state'])
        return 'ACTIVE, power state running'

    def step_console(self):
        output = self.api.post_server_action(
            self.servers['first']['id'], {'os-getConsoleOutput': {}})['output']
        self.assertTrue(output)
        return '%d lines' % len(output.splitlines())

    def step_soft_reboot(self):
        self._reboot_server(self._server(), hard=False)

    def step_hard_reboot(self):
        self._reboot_server(self._server(), hard=True)

    def step_stop(self):
        server = self._stop_server(self._server())
        self.assertEqual(4, server['OS-EXT-STS:power_state'])
        if not self.real_connector:
            self.assertEqual('off', self.guest(
                server, self._host_of())['power_state'])

    def step_start(self):
        self._start_server(self._server())

    def step_pause(self):
        server = self._server()
        self.api.post_server_action(server['id'], {'pause': None})
        self._wait_for_state_change(server, 'PAUSED')
        self.api.post_server_action(server['id'], {'unpause': None})
        self._wait_for_state_change(server, 'ACTIVE')

    def step_diagnostics(self):
        # Nova's response schema knows only in-tree drivers' names.
        self.flags(response_validation='warn', group='api')
        diags = self.api.get_server_diagnostics(self.servers['first']['id'])
        return '%s vCPUs, %s MB used' % (
            diags['num_cpus'], diags['memory_details']['used'])

    def step_snapshot(self):
        image = self.snapshot(self._server(), 'tour-snapshot')
        self.snapshot_id = image['id']
        return 'image %s' % self.snapshot_id

    def step_boot_snapshot(self):
        extra = {} if self.real_connector else {'host': 'compute3'}
        server = self.boot(self.snapshot_id, name='tour-2', **extra)
        self.servers['second'] = server
        if not self.real_connector:
            first = self.guest(self.servers['first'],
                               self._host_of('first'))
            second = self.guest(server, self._host_of('second'))
            self.assertEqual(cloud.root_digest(first),
                             cloud.root_digest(second))
            return 'same root disk content as the first server'

    def step_attach_volume(self):
        server = self._server()
        self.api.post_server_volume(
            server['id'], {'volumeAttachment': {'volumeId': VOLUME}})
        self._wait_for_volume_attach(server['id'], VOLUME)
        self._wait_for_instance_action_event(
            server, 'attach_volume', 'compute_attach_volume', 'Success')
        if not self.real_connector:
            host = server['OS-EXT-SRV-ATTR:host']
            volumes = self.guest(server, host)['volumes']
            self.assertEqual(1, len(volumes))
            return 'LUN %s through FCP %s' % (volumes[0]['lun'],
                                              ', '.join(volumes[0]['fcps']))

    def step_detach_volume(self):
        server = self._server()
        self.api.delete_server_volume(server['id'], VOLUME)
        self._wait_for_volume_detach(server['id'], VOLUME)
        self._wait_for_instance_action_event(
            server, 'detach_volume', 'compute_detach_volume', 'Success')

    def _port_refused(self):
        """Ubuntu 20.04+ guests: the connector configures no later NIC."""
        return (self.real_connector and
                network.is_netplan_distro(self.args.os_distro))

    def step_attach_port(self):
        if self._port_refused():
            return 'skipped: %s guests take no NIC after deploy' % (
                self.args.os_distro)
        server = self._server()
        # A new port of the fixture's network (its first one is the
        # server's own).
        self.port_id = self.neutron.create_port()['port']['id']
        self.api.attach_interface(
            server['id'], {'interfaceAttachment': {'port_id': self.port_id}})
        ports = [i['port_id'] for i in
                 self.api.get_port_interfaces(server['id'])]
        self.assertIn(self.port_id, ports)
        if not self.real_connector:
            guest = self.guest(server, server['OS-EXT-SRV-ATTR:host'])
            self.assertEqual(2, len(guest['nics']))
            return '%d NICs, port %s attached' % (
                len(guest['nics']), self.port_id)

    def step_detach_port(self):
        if self._port_refused():
            return 'skipped'
        server = self._server()
        self.api.detach_interface(server['id'], self.port_id)
        self._wait_for_instance_action_event(
            server, 'detach_interface', 'compute_detach_interface',
            'Success')
        if not self.real_connector:
            guest = self.guest(server, server['OS-EXT-SRV-ATTR:host'])
            self.assertEqual(1, len(guest['nics']))

    def _host_of(self, key='first'):
        return self._server(key)['OS-EXT-SRV-ATTR:host']

    def step_live_migrate(self):
        server = self._server()
        source = self._host_of()
        target = 'compute2'
        self.api.post_server_action(server['id'], {'os-migrateLive': {
            'host': target, 'block_migration': False}})
        self._wait_for_migration_status(server, ['completed'])
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(target, server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, target)['power_state'])
        return '%s -> %s, running throughout' % (source, target)

    def step_evacuate(self):
        # compute2's z/VM member fails: its nova-compute stops, is forced
        # down and its guests are logged off. compute1, a member of the
        # same SSI cluster, takes the guest over with its disks.
        api = getattr(self, 'admin_api', self.api)
        server = self._server()
        source = self._host_of()
        userid = self.userid(server)
        digest = cloud.root_digest(self.guest(server, source))
        service = api.get_services(host=source, binary='nova-compute')[0]
        self.computes[source].stop()
        api.put_service_force_down(service['id'], True)
        self.admin(source).power_off(userid)
        server = self._evacuate_server(server, expected_host='compute1',
                                       expected_state='SHUTOFF')
        server = self._start_server(server)
        guest = self.guest(server, 'compute1')
        self.assertEqual('COMPUTE1', guest['location'])
        self.assertEqual(digest, cloud.root_digest(guest))
        # The failed host comes back; its clean-up keeps the guest.
        self.restart_compute(source)
        api.put_service_force_down(service['id'], False)
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        return '%s -> compute1, same disks, %s back' % (source, source)

    def step_resize(self):
        flavor = self._create_flavor(name='tour.large', memory_mb=1024,
                                     vcpu=2, disk=2, ephemeral=0)
        server = self._server('second')
        source = self._host_of('second')
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': flavor}})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        target = server['OS-EXT-SRV-ATTR:host']
        self.assertEqual(2, self.guest(server, target)['vcpus'])
        return '%s -> %s, 2 vCPUs, 1024 MB, 2 GB root' % (source, target)

    def step_confirm(self):
        server = self._server('second')
        self.api.post_server_action(server['id'], {'confirmResize': None})
        self._wait_for_state_change(server, 'ACTIVE')

    def step_cold_migrate(self):
        server = self._server('second')
        source = self._host_of('second')
        self.api.post_server_action(server['id'],
                                    {'migrate': {'host': 'compute3'}})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        return '%s -> %s' % (source, server['OS-EXT-SRV-ATTR:host'])

    def step_revert(self):
        server = self._server('second')
        self.api.post_server_action(server['id'], {'revertResize': None})
        server = self._wait_for_state_change(server, 'ACTIVE')
        return 'back on %s' % server['OS-EXT-SRV-ATTR:host']

    def step_delete(self):
        for key in list(self.servers):
            server = self.servers.pop(key)
            self._delete_server(server)
        for image_id in (self.snapshot_id,):
            if image_id:
                self.glance.delete(None, image_id)
        return 'nothing left on z/VM'
