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

"""Interface attach/detach and the rescue refusal, through Nova's API.

What z/VM is left with is read from the simulator's inventory: the NICs of
the guest's directory entry, the running guest's NICs (CP's view), the
vswitch grants, and the files the guest's zvmguestconfigure wrote from the
network configuration the connector punched.
"""

import copy
import time

from nova.tests.fixtures import neutron as neutron_fixture
from nova.tests.functional.api import client as api_client

from nova_zvm.tests.functional import base

PORT = neutron_fixture.NeutronFixture.port_2
PORT_IP = PORT['fixed_ips'][0]['ip_address']
VSWITCH = 'VSWITCH1'


class InterfaceTestCase(base.ZVMFunctionalTestCase):

    def setUp(self):
        super(InterfaceTestCase, self).setUp()
        self.neutron._ports[PORT['id']] = copy.deepcopy(PORT)

    # -- helpers ------------------------------------------------------------

    def _attach(self, server, port_id=PORT['id']):
        return self.api.attach_interface(
            server['id'], {'interfaceAttachment': {'port_id': port_id}}
        ).body['interfaceAttachment']

    def _detach(self, server, port_id=PORT['id']):
        self.api.detach_interface(server['id'], port_id)
        for _ in range(self.WAIT_RETRIES):
            ports = [i['port_id'] for i in
                     self.api.get_port_interfaces(server['id'])]
            if port_id not in ports:
                return
            time.sleep(0.5)
        self.fail('port %s still attached' % port_id)

    def _couple(self, server, vdev):
        """The z/VM Neutron agent: grant the vswitch, couple the NIC."""
        conn = self.connector()
        conn.call('vswitch_create', VSWITCH)
        userid = self.userid(server)
        result = conn.call('vswitch_grant_user', VSWITCH, userid)
        self.assertEqual(0, result['overallRC'], result)
        active = self.guest(server)['power_state'] == 'on'
        result = conn.call('guest_nic_couple_to_vswitch', userid, vdev,
                           VSWITCH, active=active)
        self.assertEqual(0, result['overallRC'], result)

    def _granted(self, server):
        grants = self.admin().inventory()['vswitches'].get(VSWITCH, [])
        return self.userid(server) in grants

    @staticmethod
    def _vdevs(guest):
        return sorted(nic['vdev'] for nic in guest['nics'].values())

    @staticmethod
    def _nic_config(guest, vdev):
        """The guest's configuration files of one NIC, by path."""
        return {path: content for path, content in
                guest['guest_files'].items() if vdev.lower() in path}

    def _boot_coupled(self, **kwargs):
        server = self.boot(**kwargs)
        first = self._vdevs(self.guest(server))
        self.assertEqual(1, len(first))
        self._couple(server, first[0])
        return server, first[0]

    # -- attach and detach ---------------------------------------------------

    def test_attach_and_detach_on_running_server(self):
        server, first = self._boot_coupled()
        attachment = self._attach(server)
        self.assertEqual(PORT['id'], attachment['port_id'])
        guest = self.guest(server)
        vdevs = self._vdevs(guest)
        self.assertEqual(2, len(vdevs))
        new = [v for v in vdevs if v != first][0]
        # Defined in the directory AND in the running guest, whose
        # zvmguestconfigure applied the punched configuration right away.
        self.assertIn(new, guest['active_nics'])
        self.assertIn(PORT_IP, ''.join(self._nic_config(guest, new).values()))
        self.assertIn(PORT['id'], [i['port_id'] for i in
                                   self.api.get_port_interfaces(
                                       server['id'])])
        self._couple(server, new)
        self.assertEqual(VSWITCH, self.guest(server)['active_nics'][new][
            'vswitch'])

        self._detach(server)
        guest = self.guest(server)
        self.assertEqual([first], self._vdevs(guest))
        self.assertNotIn(new, guest['active_nics'])
        # The guest's configuration file of that NIC is gone; the first
        # NIC still needs the vswitch grant.
        self.assertEqual({}, self._nic_config(guest, new))
        self.assertTrue(self._nic_config(guest, first))
        self.assertTrue(self._granted(server))
        self.assertEqual('on', guest['power_state'])

        # The last NIC on the vswitch: its grant goes with it.
        port_id = self.api.get_port_interfaces(server['id'])[0]['port_id']
        self._detach(server, port_id)
        self.assertEqual([], self._vdevs(self.guest(server)))
        self.assertFalse(self._granted(server))
        self._delete_server(server)

    def test_attach_and_detach_on_stopped_server(self):
        server, first = self._boot_coupled()
        server = self._stop_server(server)
        boots = self.guest(server)['boots']
        self._attach(server)
        guest = self.guest(server)
        self.assertEqual('off', guest['power_state'])
        vdevs = self._vdevs(guest)
        self.assertEqual(2, len(vdevs))
        new = [v for v in vdevs if v != first][0]
        # Punched for the next boot: nothing applied yet.
        self.assertEqual({}, self._nic_config(guest, new))
        self.assertTrue(guest['reader'])

        server = self._start_server(server)
        guest = self.guest(server)
        self.assertEqual(boots + 1, guest['boots'])
        self.assertIn(new, guest['active_nics'])
        self.assertIn(PORT_IP, ''.join(self._nic_config(guest, new).values()))

        server = self._stop_server(server)
        self._detach(server)
        guest = self.guest(server)
        self.assertEqual([first], self._vdevs(guest))
        self.assertEqual('off', guest['power_state'])
        self._delete_server(server)

    def test_detach_of_nic_removed_behind_novas_back(self):
        server, first = self._boot_coupled()
        self._attach(server)
        new = [v for v in self._vdevs(self.guest(server)) if v != first][0]
        result = self.connector().call(
            'guest_delete_network_interface', self.userid(server),
            base.OS_DISTRO, new, active=True)
        self.assertEqual(0, result['overallRC'], result)
        self._detach(server)
        self.assertEqual([first], self._vdevs(self.guest(server)))
        self._delete_server(server)

    # -- failures ----------------------------------------------------------

    def _attach_fails(self, server, first):
        files = set(self.guest(server)['guest_files'])
        self.assertRaises(api_client.OpenStackApiException, self._attach,
                          server)
        guest = self.guest(server)
        self.assertEqual([first], self._vdevs(guest))
        self.assertEqual([first], sorted(guest['active_nics']))
        # No configuration file of another NIC in the guest.
        self.assertEqual(set(), set(guest['guest_files']) - files)
        # The first NIC still needs the grant; Nova unbound the port.
        self.assertTrue(self._granted(server))
        self.assertNotIn(PORT['id'], [i['port_id'] for i in
                                      self.api.get_port_interfaces(
                                          server['id'])])
        self.assertEqual('', self.neutron._ports[PORT['id']]['device_id'])
        server = self.api.get_server(server['id'])
        self.assertEqual('ACTIVE', server['status'])
        return server

    def test_failed_attach_leaves_nothing(self):
        server, first = self._boot_coupled()
        self.admin().add_fault(
            'guest_create_network_interface:sdk_error,times=1,'
            'overallRC=300,modID=20,rc=300,rs=5,errmsg=simulated failure')
        self._attach_fails(server, first)
        self._delete_server(server)

    def test_attach_whose_answer_is_lost_leaves_nothing(self):
        # The connector made the NIC, then its answer was lost: the driver
        # looks at z/VM and removes it.
        server, first = self._boot_coupled()
        self.admin().add_fault('guest_create_network_interface:http500,'
                               'times=1,execute=true')
        self._attach_fails(server, first)
        self.assertEqual(
            2, self.admin().counters()['api_calls'][
                'guest_create_network_interface'])
        self._delete_server(server)

    def test_ubuntu22_attach_refused_before_anything(self):
        image_id = self.create_zvm_image(name='ubuntu',
                                         os_distro='ubuntu22.04')
        server, first = self._boot_coupled(image_id=image_id)
        calls = self.admin().counters()['api_calls'].get(
            'guest_create_network_interface')
        self._attach_fails(server, first)
        self.assertEqual(calls, self.admin().counters()['api_calls'].get(
            'guest_create_network_interface'))
        self._delete_server(server)

    def test_tagged_attach_refused(self):
        # A device tag reaches a z/VM guest only in its config drive, read
        # at first boot: Nova refuses (supports_tagged_attach_interface).
        server, first = self._boot_coupled()
        err = self.assertRaises(
            api_client.OpenStackApiException, self.api.attach_interface,
            server['id'], {'interfaceAttachment': {'port_id': PORT['id'],
                                                   'tag': 'data'}})
        self.assertEqual(400, err.response.status_code)
        self.assertEqual([first], self._vdevs(self.guest(server)))
        self._delete_server(server)


class RescueTestCase(base.ZVMFunctionalTestCase):

    def test_rescue_refused_and_guest_keeps_running(self):
        server = self.boot()
        boots = self.guest(server)['boots']
        # Nova's API waits for the compute service's answer: a 400 that
        # names the missing connector API.
        err = self.assertRaises(api_client.OpenStackApiException,
                                self.api.post_server_action, server['id'],
                                {'rescue': {}})
        self.assertEqual(400, err.response.status_code)
        self.assertIn('ipl_from', str(err))
        # Nova sets any server whose rescue failed to ERROR.
        server = self._wait_for_state_change(server, 'ERROR')
        # The fault names the missing connector API.
        self.assertIn('ipl_from', server['fault']['message'])
        self.assertIn('does not support rescue', server['fault']['message'])
        guest = self.guest(server)
        # Refused before Nova stopped it: never stopped, never rebooted.
        self.assertEqual('on', guest['power_state'])
        self.assertEqual(boots, guest['boots'])
        # Usable in Nova again after a hard reboot (allowed from ERROR).
        self.api.post_server_action(server['id'],
                                    {'reboot': {'type': 'HARD'}})
        server = self._wait_for_state_change(server, 'ACTIVE')
        self.assertEqual('on', self.guest(server)['power_state'])
        self._delete_server(server)
