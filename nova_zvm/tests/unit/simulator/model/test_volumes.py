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

LUN = '0x0001000000000000'
WWPN = '0x5005076802100c1a'


def connection(assigner, fcps, **extra):
    info = {'assigner_id': assigner, 'zvm_fcp': fcps,
            'target_wwpn': [WWPN], 'target_lun': LUN,
            'multipath': 'true', 'os_version': 'rhel8.4',
            'mount_point': '/dev/sdb'}
    info.update(extra)
    return info


class ConnectorTestCase(base.ModelTestCase):

    model_options = {'fcp_devices': '1a00-1a01;1b00-1b01'}

    def test_reserve_one_device_per_path_and_reuse_it(self):
        m = self.model
        conn = m.get_volume_connector('vm1', reserve=True)
        self.assertEqual(['1a00', '1b00'], conn['zvm_fcp'])
        self.assertEqual(2, conn['fcp_paths'])
        self.assertEqual('ZVMHOST1_vm1', conn['host'])
        self.assertEqual(set(conn['wwpns']),
                         set(conn['phy_to_virt_initiators']))
        tmpl = conn['fcp_template_id']
        self.assertEqual(conn, m.get_volume_connector('vm1', reserve=True))
        other = m.get_volume_connector('VM2', reserve=True)
        self.assertEqual(['1a01', '1b01'], other['zvm_fcp'])
        # Nothing free any more: an empty connector, no error.
        none = m.get_volume_connector('VM3', reserve=True)
        self.assertEqual(([], 0, ''), (none['zvm_fcp'], none['fcp_paths'],
                                       none['host']))
        self.assertEqual(['VM1', 1, 0, tmpl], m.get_fcp_usage('1a00'))

    def test_release(self):
        m = self.model
        tmpl = m.get_volume_connector('VM1', reserve=True)['fcp_template_id']
        released = m.get_volume_connector('VM1', reserve=False,
                                          fcp_template_id=tmpl)
        self.assertEqual(['1a00', '1b00'], released['zvm_fcp'])
        # zvmsdk clears reserved and the template, not the assigner.
        self.assertEqual(['VM1', 0, 0, ''], m.get_fcp_usage('1a00'))
        self.assertEqual(['1a00', '1b00'], m.get_volume_connector(
            'VM2', reserve=True)['zvm_fcp'])
        self.assertSDKError((300, 30, 300, 11), m.get_volume_connector,
                            'VM1', reserve=False)

    def test_unknown_template(self):
        self.assertSDKError((300, 30, 300, 11),
                            self.model.get_volume_connector, 'VM1', True,
                            'no-such-template')

    def test_templates(self):
        templates = self.model.get_fcp_templates()['fcp_templates']
        self.assertEqual(1, len(templates))
        self.assertTrue(templates[0]['host_default'])
        self.assertEqual(2, templates[0]['min_fcp_paths_count'])
        details = self.model.get_fcp_templates_details(raw=True)
        self.assertEqual('1A00 1A01', details['fcp_templates'][0][
            'statistics']['0']['available'])

    def test_fcp_usage_of_unknown_device(self):
        self.assertSDKError((404, 30, 404, 1), self.model.get_fcp_usage,
                            '9999')


class NoFCPTestCase(base.ModelTestCase):

    def test_no_devices_no_default_template(self):
        self.assertSDKError((300, 30, 300, 11),
                            self.model.get_volume_connector, 'VM1', True)


class AttachTestCase(base.ModelTestCase):

    model_options = {'fcp_devices': ['1a00-1a01', '1b00-1b01']}

    def setUp(self):
        super(AttachTestCase, self).setUp()
        self.deployed_guest('VM1', networks=False)
        self.fcps = self.model.get_volume_connector('VM1', True)['zvm_fcp']

    def test_attach_dedicates_and_detach_undedicates(self):
        m = self.model
        m.volume_attach(connection('vm1', self.fcps))
        record = m.guest_record('VM1')
        self.assertEqual({'1A00': '1A00', '1B00': '1B00'},
                         record['dedicates'])
        self.assertEqual([{'fcps': ['1a00', '1b00'],
                           'wwpns': [WWPN.lower()], 'lun': LUN,
                           'mount_point': '/dev/sdb', 'multipath': True,
                           'os_version': 'rhel8.4'}], record['volumes'])
        self.assertIn('DEDICATE 1A00 1A00', m.guest_get_definition_info(
            'VM1')['user_direct'])
        # A second volume over the same devices: two connections.
        m.volume_attach(connection('VM1', self.fcps,
                                   target_lun='0x0002000000000000'))
        self.assertEqual(['VM1', 1, 2], m.get_fcp_usage('1a00')[:3])
        m.volume_detach(connection('VM1', self.fcps))
        self.assertEqual(['1A00', '1B00'],
                         sorted(m.guest_record('VM1')['dedicates']))
        m.volume_detach(connection('VM1', self.fcps,
                                   target_lun='0x0002000000000000'))
        record = m.guest_record('VM1')
        self.assertEqual(({}, []), (record['dedicates'], record['volumes']))
        # Still reserved until get_volume_connector(reserve=False).
        self.assertEqual(['VM1', 1, 0], m.get_fcp_usage('1a00')[:3])

    def test_attach_needs_a_reservation_for_that_guest(self):
        self.create_guest('VM2')
        self.assertSDKError((404, 30, 404, 1), self.model.volume_attach,
                            connection('VM2', self.fcps))
        self.assertEqual(['VM1', 1, 0], self.model.get_fcp_usage('1a00')[:3])

    def test_attach_to_unknown_guest(self):
        self.assertSDKError((404, 30, 404, 1), self.model.volume_attach,
                            connection('NOPE', self.fcps))

    def test_multipath_must_be_a_string(self):
        # zvmsdk calls .lower() on it.
        self.assertRaises(AttributeError, self.model.volume_attach,
                          connection('VM1', self.fcps, multipath=True))
        self.assertRaises(KeyError, self.model.volume_attach,
                          {'assigner_id': 'VM1'})

    def test_unknown_os_rolls_the_attach_back(self):
        self.assertRaises(exception.ZVMException, self.model.volume_attach,
                          connection('VM1', self.fcps, os_version='aix7'))
        self.assertEqual({}, self.model.guest_record('VM1')['dedicates'])
        self.assertEqual(['VM1', 0, 0, ''], self.model.get_fcp_usage('1a00'))

    def test_root_volume_and_connections_only(self):
        m = self.model
        m.volume_attach(connection('VM1', self.fcps, is_root_volume=True))
        self.assertEqual({}, m.guest_record('VM1')['dedicates'])
        self.assertEqual(1, m.get_fcp_usage('1a00')[2])
        m.volume_detach(connection('VM1', self.fcps,
                                   update_connections_only=True))
        self.assertEqual(0, m.get_fcp_usage('1a00')[2])

    def test_volume_shows_at_boot(self):
        self.model.volume_attach(connection('VM1', self.fcps))
        self.model.guest_start('VM1')
        self.assertIn('volume %s online at /dev/sdb' % LUN,
                      self.model.guest_get_console_output('VM1'))

    def test_refresh_bootmap(self):
        paths = self.model.volume_refresh_bootmap(self.fcps, [WWPN], LUN)
        self.assertEqual({'1a00': [WWPN[2:]], '1b00': [WWPN[2:]]}, paths)
        self.assertSDKError((300, 30, 300, 5),
                            self.model.volume_refresh_bootmap, ['9999'],
                            [WWPN], LUN)
        self.assertSDKError((300, 30, 300, 10),
                            self.model.volume_refresh_bootmap, self.fcps,
                            [WWPN], LUN, guest_networks=[{'ip_addr': 'x'}])

    def test_deleting_the_guest_frees_its_devices_on_zvm(self):
        self.model.volume_attach(connection('VM1', self.fcps))
        self.model.guest_delete('VM1')
        usage = self.model.inventory()['fcp']['1a00']
        self.assertEqual(('free', ''), (usage['state'], usage['owner']))
        # The connector's reservation is left, as zvmsdk leaves it.
        self.assertEqual(1, usage['reserved'])
