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

from zvmsdk import exception

from nova_zvm.tests.unit.simulator.model import base


def net(ip, mac=None, nic_id=None):
    network = {'ip_addr': ip, 'cidr': ip.rsplit('.', 1)[0] + '.0/24',
               'gateway_addr': ip.rsplit('.', 1)[0] + '.1',
               'dns_addr': ['8.8.8.8']}
    if mac:
        network['mac_addr'] = mac
    if nic_id:
        network['nic_id'] = nic_id
    return network


class NICTestCase(base.ModelTestCase):

    def setUp(self):
        super(NICTestCase, self).setUp()
        self.create_guest('VM1')

    def test_each_nic_takes_three_vdevs(self):
        m = self.model
        result = m.guest_create_network_interface(
            'vm1', 'rhel8', [net('10.0.0.5', nic_id='p1'),
                             net('10.0.1.5', nic_id='p2')])
        self.assertEqual(['1000', '1003'], [n['nic_vdev'] for n in result])
        self.assertEqual('1006', m.guest_create_nic('VM1'))
        self.assertEqual('1009', m.guest_create_nic('VM1'))
        # hex() without padding, lower case, as zvmsdk computes it.
        self.assertEqual('100c', m.guest_create_nic('VM1'))

    def test_requested_vdev_must_not_overlap(self):
        self.model.guest_create_nic('VM1', vdev='2000')
        self.assertSDKError((409, 20, 409, 6), self.model.guest_create_nic,
                            'VM1', vdev='2002')
        self.assertSDKError((409, 20, 409, 6), self.model.guest_create_nic,
                            'VM1', vdev='1ffe')
        self.assertEqual('2003', self.model.guest_create_nic('VM1',
                                                             vdev='2003'))

    def test_nic_cannot_overlap_a_minidisk(self):
        self.assertSDKError((409, 20, 409, 6), self.model.guest_create_nic,
                            'VM1', vdev='00FF')

    def test_nic_rows_and_macs(self):
        self.model.guest_create_network_interface(
            'VM1', 'rhel8', [net('10.0.0.5', 'fa:16:3e:12:34:56', 'port-a')])
        rows = self.model.guests_get_nic_info(userid='vm1')
        self.assertEqual([{'userid': 'VM1', 'interface': '1000',
                           'switch': None, 'port': 'port-a',
                           'comments': None}], rows)
        self.assertEqual(rows, self.model.guests_get_nic_info(
            nic_id='PORT-A'))
        adapters = self.model.guest_get_adapters_info('VM1')['adapters']
        # z/VM keeps only the MACID: the prefix is the system's.
        self.assertEqual('02:55:36:12:34:56', adapters[0]['mac_address'])
        self.assertEqual('10.0.0.5', adapters[0]['mac_ip_address'])
        direct = self.model.guest_get_definition_info('VM1')['user_direct']
        self.assertIn('NICDEF 1000 TYPE QDIO MACID 123456', direct)

    def test_network_interface_validation(self):
        m = self.model
        self.assertSDKError(base.INVALID, m.guest_create_network_interface,
                            'VM1', 'rhel8', [])
        self.assertSDKError(base.INVALID, m.guest_create_network_interface,
                            'VM1', 'rhel8', [{'ip_addr': '10.0.0.300'}])
        self.assertSDKError(base.INVALID, m.guest_create_network_interface,
                            'VM1', 'rhel8', [{'mac_addr': '02:00'}])
        self.assertSDKError((100, 400, 100, 2),
                            m.guest_create_network_interface, 'VM1', 'rhel8',
                            [{'dns_addr': '8.8.8.8'}])
        self.assertEqual([], m.guests_get_nic_info(userid='VM1'))

    def test_unknown_os_fails_after_the_nic_like_zvmsdk(self):
        self.assertRaises(exception.ZVMException,
                          self.model.guest_create_network_interface, 'VM1',
                          'windows', [net('10.0.0.5')])
        self.assertEqual(1, len(self.model.guests_get_nic_info(
            userid='VM1')))

    def test_first_network_sets_net_set(self):
        self.assertEqual('0', self.model.guest_record('VM1')['db']['net_set'])
        self.model.guest_create_network_interface('VM1', 'sles15',
                                                  [net('10.0.0.5')])
        self.assertEqual('1', self.model.guest_record('VM1')['db']['net_set'])

    def test_active_nic_needs_running_guest(self):
        self.assertSDKError((409, 20, 409, 1), self.model.guest_create_nic,
                            'VM1', active=True)

    def test_delete_network_interface(self):
        self.model.guest_create_network_interface('VM1', 'rhel8',
                                                  [net('10.0.0.5')])
        self.model.guest_delete_network_interface('VM1', 'rhel8', '1000')
        self.assertEqual([], self.model.guests_get_nic_info(userid='VM1'))
        self.assertEqual({}, self.model.guest_record('VM1')['nics'])
        # Unknown vdev: zvmsdk only warns.
        self.model.guest_delete_nic('VM1', '2000')

    def test_register_puts_the_nics_back_in_the_switch_table(self):
        self.model.guest_create_nic('VM1')
        self.model.guest_deregister('VM1')
        self.model.guest_register('VM1', '', '1')
        # Registering found the NIC: it is back in the table.
        self.assertEqual(1, len(self.model.guests_get_nic_info(
            userid='VM1')))


class VswitchTestCase(base.ModelTestCase):

    def setUp(self):
        super(VswitchTestCase, self).setUp()
        self.create_guest('VM1')
        self.model.guest_create_nic('VM1', nic_id='p1')

    def test_create_list_query(self):
        m = self.model
        m.vswitch_create('vsw1', rdev='1200')
        self.assertEqual(['VSW1'], m.vswitch_get_list())
        self.assertSDKError((8, 1, 212, 36), m.vswitch_create, 'VSW1')
        info = m.vswitch_query('vsw1')
        self.assertEqual('VSW1', info['switch_name'])
        self.assertEqual('UNAWARE', info['vlan_awareness'])
        self.assertIn('1200', info['real_devices'])
        self.assertSDKError((404, 20, 404, 1), m.vswitch_query, 'NOPE')
        self.assertSDKError(base.INVALID, m.vswitch_create, 'V2',
                            queue_mem=9)
        m.vswitch_delete('VSW1')
        m.vswitch_delete('VSW1')
        self.assertEqual([], m.vswitch_get_list())

    def test_couple_in_directory(self):
        m = self.model
        m.guest_nic_couple_to_vswitch('VM1', '1000', 'VSW1')
        info = m.guest_get_definition_info('VM1', nic_coupled='1000')
        self.assertTrue(info['nic_coupled'])
        self.assertIn('NICDEF 1000 TYPE QDIO LAN SYSTEM VSW1 MACID',
                      ' '.join(info['user_direct']))
        self.assertEqual('VSW1',
                         m.guests_get_nic_info(vswitch='vsw1')[0]['switch'])
        m.guest_nic_uncouple_from_vswitch('VM1', '1000')
        self.assertFalse(m.guest_get_definition_info(
            'VM1', nic_coupled='1000')['nic_coupled'])

    def test_active_couple_needs_vswitch_and_grant(self):
        m = self.model
        m.guest_start('VM1')
        self.assertSDKError((404, 20, 404, 1),
                            m.guest_nic_couple_to_vswitch, 'VM1', '1000',
                            'VSW1', active=True)
        m.vswitch_create('VSW1')
        self.assertSDKError((409, 20, 409, 10),
                            m.guest_nic_couple_to_vswitch, 'VM1', '1000',
                            'VSW1', active=True)
        m.vswitch_grant_user('VSW1', 'vm1')
        m.guest_nic_couple_to_vswitch('VM1', '1000', 'VSW1', active=True)
        vnics = m.guest_inspect_vnics('VM1')
        self.assertEqual('VSW1', vnics['VM1'][0]['vswitch_name'])
        adapters = m.vswitch_query('VSW1')['adapters']
        self.assertEqual(['VM1_1000'], list(adapters))
        self.assertIn('VM1', m.vswitch_query('VSW1')['authorized_users'])

    def test_couple_unknown_nic(self):
        self.assertSDKError((404, 20, 404, 1),
                            self.model.guest_nic_couple_to_vswitch, 'VM1',
                            '2000', 'VSW1')

    def test_grant_needs_known_guest_and_vswitch(self):
        self.model.vswitch_create('VSW1')
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.model.vswitch_grant_user, 'VSW1', 'NOPE')
        self.assertSDKError((404, 20, 404, 1),
                            self.model.vswitch_grant_user, 'VSW2', 'VM1')
        self.assertSDKError((409, 20, 409, 5),
                            self.model.vswitch_set_vlan_id_for_user,
                            'VSW1', 'VM1', 10)

    def test_delete_guest_revokes_its_grants(self):
        self.model.vswitch_create('VSW1')
        self.model.vswitch_grant_user('VSW1', 'VM1')
        self.model.guest_nic_couple_to_vswitch('VM1', '1000', 'VSW1')
        self.model.guest_delete('VM1')
        self.assertEqual({}, self.model.vswitch_query('VSW1')[
            'authorized_users'])
        self.assertEqual([], self.model.guests_get_nic_info())

    def test_vswitch_set_and_revoke(self):
        m = self.model
        m.vswitch_create('VSW2', vid=100, native_vid=1)
        m.vswitch_set('VSW2', grant_userid='vm1', port_type='TRUNK')
        m.vswitch_set_vlan_id_for_user('VSW2', 'VM1', 101)
        users = m.vswitch_query('VSW2')['authorized_users']
        self.assertEqual(['101'], users['VM1']['vlan_ids'])
        self.assertSDKError(base.INVALID, m.vswitch_set, 'VSW2', color='x')
        self.assertSDKError((404, 20, 404, 1), m.vswitch_set, 'NOPE',
                            grant_userid='VM1')
        m.vswitch_revoke_user('VSW2', 'VM1')
        m.vswitch_revoke_user('NOPE', 'VM1')
        self.assertEqual({}, m.vswitch_query('VSW2')['authorized_users'])

    def test_adapters_of_guest_without_nics(self):
        self.create_guest('VM2')
        self.assertSDKError((300, 10, 300, 5),
                            self.model.guest_get_adapters_info, 'VM2')
        self.assertSDKError((8, 1, 400, 4),
                            self.model.guest_get_adapters_info, 'NOPE')

    def test_active_nic_on_running_guest(self):
        m = self.model
        self.assertSDKError((404, 20, 404, 1),
                            m.guest_nic_uncouple_from_vswitch, 'VM1', '2000')
        m.guest_start('VM1')
        self.assertEqual('1003', m.guest_create_nic('VM1', active=True))
        self.assertTrue(m.guest_record('VM1')['nics']['1003']['live'])
        m.guest_delete_nic('VM1', '1003', active=True)
        self.assertNotIn('1003', m.guest_record('VM1')['nics'])
        # Configuring an active interface runs commands in Linux: the
        # guest has none here.
        self.assertSDKError((2, 1, 4, 1),
                            m.guest_create_network_interface, 'VM1',
                            'rhel8', [net('10.0.0.5')], active=True)
