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

"""Ports z/VM cannot configure are refused through Nova's API."""

import copy

from nova.tests import fixtures as nova_fixtures

from nova_zvm.tests.functional import base

# What creates something on z/VM or in the connector's repository.
CREATING_APIS = ('image_import', 'guest_create', 'guest_deploy',
                 'guest_create_network_interface')
IPV6_PORT_ID = '6b0c7f52-5d1a-4f0e-9a62-6c0ffee00006'


class IPv6OnlyPortTestCase(base.ZVMFunctionalTestCase):

    def _ipv6_only_port(self):
        """A port of network_1 with an address on its IPv6 subnet only."""
        neutron = nova_fixtures.NeutronFixture
        port = copy.deepcopy(neutron.port_1)
        port.update(id=IPV6_PORT_ID, mac_address='fa:16:3e:00:00:66',
                    fixed_ips=[{'ip_address': 'fd37:44e8:ad06::66',
                                'subnet_id': neutron.subnet_ipv6_1['id']}])
        self.neutron._ports[port['id']] = port
        return port['id']

    def test_ipv6_only_port_is_refused_before_anything_is_created(self):
        port_id = self._ipv6_only_port()
        server = self.boot(networks=[{'port': port_id}], expected='ERROR')
        message = server['fault']['message']
        self.assertIn('port %s has no IPv4 address' % port_id, message)
        self.assertIn('IPv4 interfaces only', message)
        calls = self.admin().counters()['api_calls']
        for api in CREATING_APIS:
            self.assertNotIn(api, calls)
        self.assertEqual({}, self.admin().inventory()['guests'])
        self._delete_server(server)
