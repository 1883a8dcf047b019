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

"""Nova's power-state sync and PAUSED, through Nova's services."""

import time

import fixtures
from nova.compute import power_state
from nova import context as nova_context

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import compat
from nova_zvm.virt.zvm import powerstate

SYNC_WAIT_SECONDS = 30


class PowerStateTestCase(base.ZVMFunctionalTestCase):

    # Nova's power-state sync calls the stop API while it holds the
    # instance's lock; with casts turned into calls that deadlocks.
    CAST_AS_CALL = False

    def setUp(self):
        super(PowerStateTestCase, self).setUp()
        # Guests this driver changed shortly before a sync are asked one
        # by one; the servers here were booted a moment ago.
        self.useFixture(fixtures.MockPatchObject(
            powerstate, 'CHANGE_MARGIN_SECONDS', 0.2))

    def sync_power_states(self):
        """One run of Nova's periodic task, until all its syncs are done."""
        manager = self.computes['compute1'].manager
        manager._sync_power_states(nova_context.get_admin_context())
        deadline = time.monotonic() + SYNC_WAIT_SECONDS
        while True:
            if not compat.syncs_in_progress(manager):
                return
            self.assertLess(time.monotonic(), deadline, 'sync still running')
            time.sleep(0.05)

    def record_calls(self):
        """(API, first argument) of the driver's connector calls from now."""
        # The connector client itself, under the driver's tracking one.
        client = self.computes['compute1'].manager.driver._client.wrapped
        calls = []
        real_call = client.call

        def call(api_name, *args, **kwargs):
            calls.append((api_name, args[0] if args else None))
            return real_call(api_name, *args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(client, 'call',
                                                 side_effect=call))
        return calls

    def power(self, server):
        return self.api.get_server(server['id'])['OS-EXT-STS:power_state']

    def test_paused_server_reports_paused(self):
        server = self.boot(name='pause-1')
        self.addCleanup(self._delete_server, server)
        self.api.post_server_action(server['id'], {'pause': None})
        server = self._wait_for_state_change(server, 'PAUSED')
        self.assertEqual(power_state.PAUSED, self.power(server))
        self.assertTrue(self.guest(server)['paused'])
        # z/VM says 'on' for it; the sync keeps it PAUSED.
        self.sync_power_states()
        self.assertEqual(power_state.PAUSED, self.power(server))
        self.assertEqual('PAUSED', self.api.get_server(server['id'])['status'])
        self.api.post_server_action(server['id'], {'unpause': None})
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual(power_state.RUNNING, self.power(server))
        self.assertFalse(self.guest(server)['paused'])

    def test_paused_guest_stopped_behind_novas_back(self):
        server = self.boot(name='pause-2')
        self.api.post_server_action(server['id'], {'pause': None})
        server = self._wait_for_state_change(server, 'PAUSED')
        self.admin().power_off(self.userid(server))
        self.sync_power_states()
        # Nova stops a paused instance found shut down.
        server = self._wait_for_state_change(server, 'SHUTOFF')
        self.assertEqual(power_state.SHUTDOWN, self.power(server))
        self._delete_server(server)

    def test_sync_of_several_servers_costs_two_requests(self):
        image = self.create_zvm_image()
        servers = [self.boot(image, name='sync-%d' % i) for i in range(4)]
        for server in servers:
            self.addCleanup(self._delete_server, server)
        stopped = self._stop_server(servers[0])
        time.sleep(0.3)
        self.admin().reset()
        self.sync_power_states()
        counters = self.admin().counters()
        # guest_list and one guest_inspect_stats for all four.
        self.assertEqual({'guest_list': 1, 'guest_inspect_stats': 1},
                         counters['api_calls'])
        self.assertEqual(2, base.total_requests(counters))
        self.assertEqual(power_state.SHUTDOWN, self.power(stopped))
        for server in servers[1:]:
            self.assertEqual(power_state.RUNNING, self.power(server))

    def test_sync_reports_a_guest_stopped_behind_novas_back(self):
        image = self.create_zvm_image()
        servers = [self.boot(image, name='sync-%d' % i) for i in range(3)]
        for server in servers[1:]:
            self.addCleanup(self._delete_server, server)
        self.admin().power_off(self.userid(servers[0]))
        time.sleep(0.3)
        calls = self.record_calls()
        self.sync_power_states()
        gone = self._wait_for_state_change(servers[0], 'SHUTOFF')
        self.assertEqual(power_state.SHUTDOWN, self.power(gone))
        # The bulk read, then only that guest is asked by itself (before
        # Nova records the change, by Nova before it stops the server, by
        # the stop itself).
        self.assertEqual(1, calls.count(('guest_list', None)))
        self.assertEqual(1, len([c for c in calls
                                 if c[0] == 'guest_inspect_stats']))
        asked = {c[1] for c in calls if c[0] == 'guest_get_power_state'}
        self.assertEqual({self.userid(gone)}, asked)
        for server in servers[1:]:
            self.assertEqual(power_state.RUNNING, self.power(server))
        self._delete_server(gone)
