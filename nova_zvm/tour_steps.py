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

The cloud is the functional tests' environment, used as a program: Nova's
harness is the supported way to run all of Nova's services in one process.
"""

import os

from nova_zvm.tests.functional import base


class TourCloud(base.ZVMFunctionalTestCase):

    COMPUTE_HOSTS = ('compute1',)

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
        # Runs before the leak check (cleanups run last-in, first-out): a
        # tour stopped half-way still deletes what it created.
        self.addCleanup(self._delete_leftovers)

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
        return sum(base.total_requests(a.counters())
                   for a in self.admins.values())

    # -- steps ---------------------------------------------------------------

    def steps(self):
        return [
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
            ('delete servers', self.step_delete),
        ]

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
        server = self.boot(self.image_id, name='tour-1')
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
            self.assertEqual('off', self.guest(server)['power_state'])

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
        server = self.boot(self.snapshot_id, name='tour-2')
        self.servers['second'] = server
        if not self.real_connector:
            first = self.guest(self.servers['first'])
            second = self.guest(server)
            self.assertEqual(base.root_digest(first),
                             base.root_digest(second))
            return 'same root disk content as the first server'

    def step_delete(self):
        for key in list(self.servers):
            server = self.servers.pop(key)
            self._delete_server(server)
        for image_id in (self.snapshot_id,):
            if image_id:
                self.glance.delete(None, image_id)
        return 'nothing left on z/VM'
