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

from nova import exception
from nova.network import model as network_model
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import network


def nic_row(vdev, port):
    """A row of the connector's NIC table (guests_get_nic_info)."""
    return {'userid': 'OS000001', 'interface': vdev, 'switch': 'VSW1',
            'port': port, 'comments': None}


def make_vif(port_id, mac, v4=None, v6=None, active=False, gateway=True,
             dns=('10.0.0.2',)):
    subnets = []
    if v4:
        subnets.append(network_model.Subnet(
            cidr='10.0.0.0/24', version=4,
            gateway=network_model.IP('10.0.0.1') if gateway else None,
            dns=[network_model.IP(d) for d in dns],
            ips=[network_model.FixedIP(address=v4)]))
    if v6:
        subnets.append(network_model.Subnet(
            cidr='fd00::/64', version=6,
            ips=[network_model.FixedIP(address=v6)]))
    return network_model.VIF(
        id=port_id, address=mac, active=active,
        network=network_model.Network(id='net', subnets=subnets))


class NicDefinitionTestCase(test.NoDBTestCase):

    def test_ipv4_vif(self):
        vif = make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5')
        self.assertEqual({'nic_id': 'p1', 'mac_addr': 'fa:16:3e:00:00:01',
                          'ip_addr': '10.0.0.5', 'cidr': '10.0.0.0/24',
                          'gateway_addr': '10.0.0.1',
                          'dns_addr': ['10.0.0.2']},
                         network.nic_definition(vif))

    def test_no_gateway_no_dns(self):
        vif = make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5',
                       gateway=False, dns=())
        net = network.nic_definition(vif)
        self.assertNotIn('gateway_addr', net)
        self.assertNotIn('dns_addr', net)

    def test_ipv6_only_vif_gets_a_nic_without_address(self):
        # The connector takes IPv4 only; IPv6 reaches the guest through
        # network_data.json in the config drive.
        vif = make_vif('p2', 'fa:16:3e:00:00:02', v6='fd00::5')
        self.assertEqual({'nic_id': 'p2', 'mac_addr': 'fa:16:3e:00:00:02'},
                         network.nic_definition(vif))

    def test_dual_stack_uses_ipv4(self):
        vif = make_vif('p3', 'fa:16:3e:00:00:03', v4='10.0.0.7',
                       v6='fd00::7')
        self.assertEqual('10.0.0.7', network.nic_definition(vif)['ip_addr'])


class VifEventsTestCase(test.NoDBTestCase):

    def test_only_inactive_vifs_are_waited_for(self):
        vifs = [make_vif('a', 'fa:16:3e:00:00:01', active=False),
                make_vif('b', 'fa:16:3e:00:00:02', active=True)]
        self.assertEqual([('network-vif-plugged', 'a')],
                         network.vif_plugged_events(vifs))

    def test_no_events_without_timeout(self):
        self.flags(vif_plugging_timeout=0)
        vifs = [make_vif('a', 'fa:16:3e:00:00:01', active=False)]
        self.assertEqual([], network.vif_plugged_events(vifs))

    def test_failure_callback_fatal(self):
        self.flags(vif_plugging_is_fatal=True)
        self.assertRaises(exception.VirtualInterfaceCreateException,
                          network.NetworkOps.vif_failed_callback,
                          'network-vif-plugged', None)

    def test_failure_callback_not_fatal(self):
        self.flags(vif_plugging_is_fatal=False)
        self.assertIsNone(network.NetworkOps.vif_failed_callback(
            'network-vif-plugged', None))


class NetworkOpsTestCase(test.NoDBTestCase):

    def setUp(self):
        super(NetworkOpsTestCase, self).setUp()
        self.vifs = [make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5'),
                     make_vif('p2', 'fa:16:3e:00:00:02', v4='10.0.0.6')]
        self.client = fakes.FakeClient(
            guest_create_network_interface=lambda uid, distro, nets, **kw: [
                dict(net, nic_vdev='%04X' % (0x1000 + 3 * i))
                for i, net in enumerate(nets)])
        self.ops = network.NetworkOps(self.client)

    def test_one_call_for_all_nics(self):
        # zvmsdk writes a guest's network configuration per call; Ubuntu
        # 20.04+ fails a second one.
        vdevs = self.ops.create_nics('OS000001', 'rhel9.2', self.vifs)
        self.assertEqual(['1000', '1003'], vdevs)
        self.assertEqual(1, self.client.count())
        api, args, kwargs = self.client.calls[0]
        self.assertEqual('guest_create_network_interface', api)
        self.assertEqual('OS000001', args[0])
        self.assertEqual('rhel9.2', args[1])
        self.assertEqual(['p1', 'p2'], [n['nic_id'] for n in args[2]])

    def test_nics_by_port(self):
        self.client.answers['guests_get_nic_info'] = [
            nic_row('1000', 'p1'),
            nic_row('1003', None)]
        self.assertEqual({'p1': '1000'}, self.ops.nics_by_port('OS000001'))
        self.assertEqual(('guests_get_nic_info', (),
                          {'userid': 'OS000001'}), self.client.calls[0])

    def test_plug_vifs_creates_only_missing_nics(self):
        self.client.answers['guests_get_nic_info'] = [
            nic_row('1000', 'p1')]
        self.ops.plug_vifs('OS000001', 'rhel9.2', self.vifs)
        created = [c for c in self.client.calls
                   if c[0] == 'guest_create_network_interface']
        self.assertEqual(1, len(created))
        self.assertEqual('p2', created[0][1][2][0]['nic_id'])

    def test_plug_vifs_all_present_is_one_query(self):
        self.client.answers['guests_get_nic_info'] = [
            nic_row('1000', 'p1'),
            nic_row('1003', 'p2')]
        self.ops.plug_vifs('OS000001', 'rhel9.2', self.vifs)
        self.assertTrue(self.client.made('guests_get_nic_info',
                                         userid='OS000001'))
        self.assertEqual(1, self.client.count())

    def test_unplug_vifs_deletes_present_nics(self):
        self.client.answers['guests_get_nic_info'] = [
            nic_row('1003', 'p2')]
        self.ops.unplug_vifs('OS000001', 'rhel9.2', self.vifs)
        self.assertEqual(('guest_delete_network_interface',
                          ('OS000001', 'rhel9.2', '1003'), {}),
                         self.client.calls[-1])
        self.assertEqual(2, self.client.count())


class CheckNetworkInfoTestCase(test.NoDBTestCase):

    def test_ipv4_ports_are_fine(self):
        vifs = [make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5'),
                make_vif('p2', 'fa:16:3e:00:00:02', v4='10.0.0.6')]
        self.assertIsNone(
            network.check_network_info('OS000001', 'rhel9.2', vifs))

    def test_port_without_ipv4_is_refused(self):
        vifs = [make_vif('p6', 'fa:16:3e:00:00:06')]
        reason = network.check_network_info('OS000001', 'rhel9.2', vifs)
        self.assertIn('p6', reason)
        self.assertIn('IPv4', reason)

    def test_ubuntu_20_and_later_get_one_nic(self):
        vifs = [make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5'),
                make_vif('p2', 'fa:16:3e:00:00:02', v4='10.0.0.6')]
        for distro in ('ubuntu20.04', 'ubuntu22.04'):
            reason = network.check_network_info('OS000001', distro, vifs)
            self.assertIn(distro, reason)
        self.assertIsNone(network.check_network_info(
            'OS000001', 'ubuntu22.04', vifs[:1]))
        self.assertIsNone(network.check_network_info(
            'OS000001', 'ubuntu16.04', vifs))

    def test_too_many_ports_for_one_request(self):
        vifs = [make_vif('port-%02d' % i, 'fa:16:3e:00:00:%02x' % i,
                         v4='10.0.0.%d' % (i + 10)) for i in range(40)]
        reason = network.check_network_info('OS000001', 'rhel9.2', vifs)
        self.assertIn('40 ports', reason)
        self.assertIn('4096', reason)
