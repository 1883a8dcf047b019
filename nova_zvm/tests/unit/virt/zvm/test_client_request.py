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

"""The request rules of the connector client, checked against zvmconnector.

How requests are built and sized is exercised through a real HTTP server in
``test_client.py``; here, the API sets against ``restclient.DATABASE`` and
the read timeout of each kind of call.
"""

from nova import test
from zvmconnector import restclient

from nova_zvm.virt.zvm import client_request


class ApiSetsTestCase(test.NoDBTestCase):

    def test_every_query_is_idempotent(self):
        queries = {name for name, spec in restclient.DATABASE.items()
                   if spec['method'] == 'GET'}
        self.assertEqual(set(), queries - client_request.IDEMPOTENT_APIS)

    def test_known_names_only(self):
        names = set(restclient.DATABASE)
        self.assertEqual(set(), client_request.IDEMPOTENT_APIS - names)
        self.assertEqual(set(), client_request.LONG_APIS - names)
        self.assertEqual(set(), client_request.UNSUPPORTED_APIS - names)

    def test_unsafe_calls_are_never_repeated(self):
        for name in ('guest_reboot', 'guest_reset', 'guest_create',
                     'guest_deploy', 'guest_capture', 'image_import',
                     'image_export', 'guest_create_network_interface',
                     'guest_create_disks', 'guest_config_minidisks',
                     'volume_attach', 'volume_detach', 'guest_live_migrate',
                     'guest_get_console_output'):
            self.assertNotIn(name, client_request.IDEMPOTENT_APIS)


class ReadTimeoutTestCase(test.NoDBTestCase):

    def test_copies_wait_long(self):
        self.assertEqual(3600, client_request.read_timeout(
            'guest_deploy', {}, 300, 3600))
        self.assertEqual(300, client_request.read_timeout(
            'guest_list', {}, 300, 3600))

    def test_the_connector_wait_is_added(self):
        self.assertEqual(330, client_request.read_timeout(
            'guest_softstop', {'timeout': 30}, 300, 3600))
        # Not a number of seconds: nothing added.
        self.assertEqual(300, client_request.read_timeout(
            'guest_softstop', {'timeout': True}, 300, 3600))
        self.assertEqual(300, client_request.read_timeout(
            'guest_softstop', {'timeout': -5}, 300, 3600))
