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

"""Cinder's connection info as zvmsdk reads it (volume/connection.py)."""

from nova import exception
from nova import test

from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm.volume import connection

VOL = vol_fakes.VOL
TARGET = vol_fakes.TARGET
TARGET2 = vol_fakes.TARGET2
fc_info = vol_fakes.fc_info


class TranslationTestCase(test.NoDBTestCase):

    def test_wwpn_forms(self):
        for value in ('500507680B21AC50', '0x500507680b21ac50',
                      '50:05:07:68:0B:21:AC:50', ' 0X500507680B21AC50 '):
            self.assertEqual('0x500507680b21ac50', connection.wwpn(value))
        for value in ('500507680B21AC5', '500507680B21AC5G', '', None, 5):
            self.assertIsNone(connection.wwpn(value))

    def test_lun_follows_os_brick_s390x_rule(self):
        self.assertEqual('0x0000000000000000', connection.fcp_lun(0))
        self.assertEqual('0x0001000000000000', connection.fcp_lun(1))
        self.assertEqual('0x00ff000000000000', connection.fcp_lun(255))
        self.assertEqual('0xffff000000000000', connection.fcp_lun(0xffff))
        self.assertEqual('0x4010400000000000', connection.fcp_lun(0x40104000))
        self.assertEqual('0x0002000000000000', connection.fcp_lun('2'))
        self.assertEqual('0x4010400100000000',
                         connection.fcp_lun('0x4010400100000000'))
        self.assertEqual('0x4010400100000000',
                         connection.fcp_lun('0X4010400100000000'))

    def test_lun_refusals(self):
        for value in (0x100000000, -1, True, None, 1.0, 'lun1', '0x12',
                      '0x40104001000000001'):
            self.assertIsNone(connection.fcp_lun(value), value)

    def test_single_target(self):
        self.assertEqual((['0x500507680b21ac50'], '0x0001000000000000'),
                         connection.targets_and_lun(fc_info()))

    def test_multipath_target_list_deduplicated(self):
        info = fc_info(target_wwn=[TARGET, TARGET2, TARGET.lower()],
                       target_lun=3)
        self.assertEqual((['0x500507680b21ac50', '0x500507680b22ac50'],
                          '0x0003000000000000'),
                         connection.targets_and_lun(info))

    def test_target_wwns_and_equal_luns(self):
        info = fc_info(target_wwns=[TARGET, TARGET2], target_luns=[2, 2])
        del info['data']['target_wwn']
        targets, lun = connection.targets_and_lun(info)
        self.assertEqual(2, len(targets))
        self.assertEqual('0x0002000000000000', lun)

    def test_different_luns_per_target_refused(self):
        info = fc_info(target_wwns=[TARGET, TARGET2], target_luns=[1, 2])
        err = self.assertRaises(exception.InvalidVolume,
                                connection.targets_and_lun, info)
        self.assertIn('one LUN number', str(err))

    def test_targets_from_initiator_target_map(self):
        info = fc_info(initiator_target_map={
            'c05076de3e001b00': [TARGET2, TARGET],
            'c05076de3e001a00': [TARGET]})
        del info['data']['target_wwn']
        targets, _lun = connection.targets_and_lun(info)
        self.assertEqual(['0x500507680b21ac50', '0x500507680b22ac50'],
                         targets)

    def _refused(self, info, words):
        err = self.assertRaises(exception.Invalid, connection.targets_and_lun,
                                info)
        self.assertIn(words, str(err))
        return err

    def test_refusals(self):
        iscsi = fc_info()
        iscsi['driver_volume_type'] = 'iscsi'
        err = self._refused(iscsi, 'fibre_channel')
        self.assertIn(VOL, str(err))
        no_target = fc_info()
        del no_target['data']['target_wwn']
        self._refused(no_target, 'no target WWPN')
        self._refused(fc_info(target_wwn=['0x1234']), 'not 16 hex')
        no_lun = fc_info()
        del no_lun['data']['target_lun']
        self._refused(no_lun, 'no target LUN')
        self._refused(fc_info(target_lun=2 ** 40), 'cannot be expressed')
        self._refused(fc_info(access_mode='ro'), 'read-write')
        self._refused(fc_info(multiattach=True), 'multiattach')
        self.assertRaises(exception.VolumeEncryptionNotSupported,
                          connection.targets_and_lun, fc_info(encrypted=True))
        self._refused(None, 'no connection information')

    def test_connection_is_what_zvmsdk_reads(self):
        self.flags(volume_multipath=False, group='zvm')
        request = connection.connection(
            'OS000001', ['1A00'], ['0x500507680b21ac50'],
            '0x0001000000000000', 'sles15.5', None, is_root_volume=1)
        self.assertEqual({
            'assigner_id': 'OS000001', 'zvm_fcp': ['1a00'],
            'target_wwpn': ['0x500507680b21ac50'],
            'target_lun': '0x0001000000000000', 'os_version': 'sles15.5',
            'multipath': 'false', 'mount_point': '',
            'is_root_volume': True, 'update_connections_only': False},
            request)
        self.assertIs(True, request['is_root_volume'])
        self.assertIs(False, request['update_connections_only'])

    def test_stash_and_stashed(self):
        info = fc_info()
        self.assertEqual({}, connection.stashed(info))
        self.assertEqual({}, connection.stashed(None))
        connection.stash(info, ['1A00', '1B00'], vol_fakes.TMPL, 'rhel9.2')
        self.assertEqual({'fcp': ['1a00', '1b00'],
                          'fcp_template_id': vol_fakes.TMPL,
                          'os_version': 'rhel9.2'},
                         connection.stashed(info))

    def test_volume_id_from_serial_or_data(self):
        self.assertEqual(VOL, connection.volume_id(fc_info()))
        info = fc_info()
        del info['serial']
        self.assertEqual(VOL, connection.volume_id(info))
        self.assertIsNone(connection.volume_id(None))
