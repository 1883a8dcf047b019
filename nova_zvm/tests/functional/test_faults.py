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

"""Failures at each step of a spawn, and transient faults, through Nova.

Each failing spawn must leave the server in ERROR with the connector's
reason in its fault, and nothing behind on z/VM or the compute host (the
leak check of the base class runs after every test).
"""

from nova_zvm.tests.functional import base

SDK_ERROR = ('{api}:sdk_error,times=1,overallRC=300,modID=10,rc=300,rs=5,'
             'errmsg=simulated {api} failure')


class SpawnFailureTestCase(base.ZVMFunctionalTestCase):

    def _boot_failing(self, rule, expect_in_fault):
        image_id = self.create_zvm_image()
        self.admin().add_fault(rule)
        server = self.boot(image_id, expected='ERROR')
        self.assertIn(expect_in_fault, server['fault']['message'])
        self.assertEqual({}, self.admin().inventory()['guests'])
        self.assertEqual(0, self.admin().inventory()['disk_pool']['used'])
        self._delete_server(server)
        return server

    def test_deploy_failure(self):
        self._boot_failing(SDK_ERROR.format(api='guest_deploy'),
                           'simulated guest_deploy failure')

    def test_nic_failure(self):
        self._boot_failing(
            SDK_ERROR.format(api='guest_create_network_interface'),
            'simulated guest_create_network_interface failure')

    def test_start_failure(self):
        self._boot_failing(SDK_ERROR.format(api='guest_start'),
                           'simulated guest_start failure')

    def test_create_failure(self):
        self._boot_failing(SDK_ERROR.format(api='guest_create'),
                           'simulated guest_create failure')

    def test_image_import_failure(self):
        self._boot_failing(
            'image_import:sdk_error,times=1,overallRC=300,modID=40,rc=300,'
            'rs=10,errmsg=simulated image_import failure',
            'simulated image_import failure')

    def test_connector_busy_for_good_fails_cleanly(self):
        self._boot_failing('guest_deploy:busy', 'overallRC 503')

    def test_busy_deploy_is_retried_to_success(self):
        # The REST layer refuses over its deploy limit before running the
        # call, so even a deploy is safely sent again.
        self.admin().add_fault('guest_deploy:busy,times=2')
        server = self.boot()
        self.assertEqual('on', self.guest(server)['power_state'])
        self.assertEqual(3, self.admin().counters()['requests'][
            'guest_deploy'])
        self._delete_server(server)

    def test_deploy_waits_out_a_busy_connector(self):
        # Busy longer than retry_attempts (3) allows: the deploy waits for
        # a slot (busy_retry_timeout) instead of failing the boot.
        self.admin().add_fault('guest_deploy:busy,times=6')
        server = self.boot()
        self.assertEqual('on', self.guest(server)['power_state'])
        self.assertEqual(7, self.admin().counters()['requests'][
            'guest_deploy'])
        self._delete_server(server)

    def test_connection_drop_on_create_fails_cleanly(self):
        self._boot_failing('guest_create:drop,times=1', 'guest_create')

    def test_busy_start_is_retried_to_success(self):
        self.admin().add_fault('guest_start:busy,times=2')
        server = self.boot()
        self.assertEqual('on', self.guest(server)['power_state'])
        self.assertEqual(3, self.admin().counters()['requests'][
            'guest_start'])
        self._delete_server(server)

    def test_dropped_connection_on_a_query_is_retried(self):
        server = self.boot()
        self.admin().add_fault('guest_get_power_state:drop,times=1')
        self._stop_server(server)
        self._start_server(server)
        self._delete_server(server)

    def test_hang_longer_than_timeout_is_retried_where_safe(self):
        self.flags(read_timeout=1, group='zvm')
        self.restart_compute()
        self.admin().add_fault('guest_start:hang,times=1,seconds=3')
        server = self.boot()
        self.assertEqual('on', self.guest(server)['power_state'])
        self._delete_server(server)

    def test_http_500_is_reported(self):
        self._boot_failing('guest_deploy:http500,times=1,body=text',
                           'guest_deploy')
