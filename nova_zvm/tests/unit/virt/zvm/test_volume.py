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

import copy
import os
from unittest import mock

import fixtures
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import spawn
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm import volume

VOL = '6f3a2c2e-6a57-4a3f-9d4b-5f1f0c7d0a11'
VOL2 = '0c6a8d55-0b55-4a55-8e4c-44c1b1f1a0b2'
TMPL = '7a6f1e9c-2f0d-5c55-9b3c-6a1b2c3d4e5f'
IMAGE_ID = 'a2459075-d96c-40d5-893e-577ff92e721c'
TARGET = '500507680B21AC50'
TARGET2 = '500507680B22AC50'


def connector_answer(fcps=('1A00', '1B00'), template=TMPL):
    return {'zvm_fcp': list(fcps),
            'wwpns': ['C05076DE3E00%s' % f for f in fcps],
            'phy_to_virt_initiators': {
                'C05076DE3E00%s' % f: 'c05076de3e00ffff' for f in fcps},
            'host': 'ZVMHOST1_OS000001' if fcps else '',
            'fcp_paths': len(fcps), 'fcp_template_id': template}


def fc_info(volume_id=VOL, **data):
    base = {'target_discovered': False, 'target_wwn': TARGET,
            'target_lun': 1, 'volume_id': volume_id}
    base.update(data)
    return {'driver_volume_type': 'fibre_channel', 'serial': volume_id,
            'data': base}


def stashed_info(volume_id=VOL, fcps=('1a00', '1b00'), **data):
    info = fc_info(volume_id, **data)
    info['data']['zvm'] = {'fcp': list(fcps), 'fcp_template_id': TMPL,
                           'os_version': 'rhel9.2'}
    return info


def bdm(info, device='/dev/vdb', boot_index=None):
    return {'connection_info': info, 'mount_device': device,
            'boot_index': boot_index, 'delete_on_termination': False}


class FakeBDM(dict):
    """A DriverVolumeBlockDevice stand-in: a dict that can be saved."""

    saved = 0

    def save(self):
        self.saved += 1


class VolumeTestBase(test.NoDBTestCase):

    def setUp(self):
        super(VolumeTestBase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient(
            get_volume_connector=connector_answer())
        self.ops = volume.VolumeOps(self.client)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    def call(self, api):
        return [c for c in self.client.calls if c[0] == api]

    def assertReserved(self, call, template=None):
        self.assertEqual(('get_volume_connector', ('OS000001',),
                          {'reserve': True, 'fcp_template_id': template,
                           'storage_provider': None}), call)

    def assertReleased(self, call, template=TMPL):
        self.assertEqual(('get_volume_connector', ('OS000001',),
                          {'reserve': False, 'fcp_template_id': template}),
                         call)


class TranslationTestCase(test.NoDBTestCase):

    def test_wwpn_forms(self):
        for value in ('500507680B21AC50', '0x500507680b21ac50',
                      '50:05:07:68:0B:21:AC:50', ' 0X500507680B21AC50 '):
            self.assertEqual('0x500507680b21ac50', volume.wwpn(value))
        for value in ('500507680B21AC5', '500507680B21AC5G', '', None, 5):
            self.assertIsNone(volume.wwpn(value))

    def test_lun_follows_os_brick_s390x_rule(self):
        self.assertEqual('0x0000000000000000', volume.fcp_lun(0))
        self.assertEqual('0x0001000000000000', volume.fcp_lun(1))
        self.assertEqual('0x00ff000000000000', volume.fcp_lun(255))
        self.assertEqual('0xffff000000000000', volume.fcp_lun(0xffff))
        self.assertEqual('0x4010400000000000', volume.fcp_lun(0x40104000))
        self.assertEqual('0x0002000000000000', volume.fcp_lun('2'))
        self.assertEqual('0x4010400100000000',
                         volume.fcp_lun('0x4010400100000000'))
        self.assertEqual('0x4010400100000000',
                         volume.fcp_lun('0X4010400100000000'))

    def test_lun_refusals(self):
        for value in (0x100000000, -1, True, None, 1.0, 'lun1', '0x12',
                      '0x40104001000000001'):
            self.assertIsNone(volume.fcp_lun(value), value)

    def test_single_target(self):
        self.assertEqual((['0x500507680b21ac50'], '0x0001000000000000'),
                         volume.targets_and_lun(fc_info()))

    def test_multipath_target_list_deduplicated(self):
        info = fc_info(target_wwn=[TARGET, TARGET2, TARGET.lower()],
                       target_lun=3)
        self.assertEqual((['0x500507680b21ac50', '0x500507680b22ac50'],
                          '0x0003000000000000'),
                         volume.targets_and_lun(info))

    def test_target_wwns_and_equal_luns(self):
        info = fc_info(target_wwns=[TARGET, TARGET2], target_luns=[2, 2])
        del info['data']['target_wwn']
        targets, lun = volume.targets_and_lun(info)
        self.assertEqual(2, len(targets))
        self.assertEqual('0x0002000000000000', lun)

    def test_different_luns_per_target_refused(self):
        info = fc_info(target_wwns=[TARGET, TARGET2], target_luns=[1, 2])
        err = self.assertRaises(exception.InvalidVolume,
                                volume.targets_and_lun, info)
        self.assertIn('one LUN number', str(err))

    def test_targets_from_initiator_target_map(self):
        info = fc_info(initiator_target_map={
            'c05076de3e001b00': [TARGET2, TARGET],
            'c05076de3e001a00': [TARGET]})
        del info['data']['target_wwn']
        targets, _lun = volume.targets_and_lun(info)
        self.assertEqual(['0x500507680b21ac50', '0x500507680b22ac50'],
                         targets)

    def _refused(self, info, words):
        err = self.assertRaises(exception.Invalid, volume.targets_and_lun,
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
                          volume.targets_and_lun, fc_info(encrypted=True))
        self._refused(None, 'no connection information')

    def test_connection_is_what_zvmsdk_reads(self):
        self.flags(volume_multipath=False, group='zvm')
        request = volume.connection('OS000001', ['1A00'],
                                    ['0x500507680b21ac50'],
                                    '0x0001000000000000', 'sles15.5', None,
                                    is_root_volume=1)
        self.assertEqual({
            'assigner_id': 'OS000001', 'zvm_fcp': ['1a00'],
            'target_wwpn': ['0x500507680b21ac50'],
            'target_lun': '0x0001000000000000', 'os_version': 'sles15.5',
            'multipath': 'false', 'mount_point': '',
            'is_root_volume': True, 'update_connections_only': False},
            request)
        self.assertIs(True, request['is_root_volume'])
        self.assertIs(False, request['update_connections_only'])


class ConnectorTestCase(VolumeTestBase):

    def test_connector_reserves_and_answers_nova_keys(self):
        conn = self.ops.get_volume_connector(self.instance)
        self.assertEqual(1, len(self.client.calls))
        self.assertReserved(self.client.calls[0])
        self.assertEqual('ZVMHOST1_OS000001', conn['host'])
        self.assertEqual(['c05076de3e001a00', 'c05076de3e001b00'],
                         conn['wwpns'])
        self.assertEqual(['1a00', '1b00'], conn['zvm_fcp'])
        self.assertEqual('s390x', conn['platform'])
        self.assertEqual('linux', conn['os_type'])
        self.assertIs(True, conn['multipath'])
        self.assertEqual(TMPL, conn['fcp_template_id'])
        self.assertEqual(2, conn['fcp_paths'])
        self.assertEqual(2, len(conn['phy_to_virt_initiators']))

    def test_connector_options(self):
        self.flags(fcp_template_id=TMPL, fcp_storage_provider='v7k',
                   volume_multipath=False, group='zvm')
        conn = self.ops.get_volume_connector(self.instance)
        self.assertEqual({'reserve': True, 'fcp_template_id': TMPL,
                          'storage_provider': 'v7k'},
                         self.client.calls[0][2])
        self.assertIs(False, conn['multipath'])

    def test_connector_ip_is_the_block_storage_address(self):
        self.flags(my_ip='192.0.2.10', my_block_storage_ip='198.51.100.7')
        conn = self.ops.get_volume_connector(self.instance)
        self.assertEqual('198.51.100.7', conn['ip'])

    def test_no_free_fcp_devices(self):
        self.client.answers['get_volume_connector'] = connector_answer(
            fcps=())
        err = self.assertRaises(volume.NoFCPDevices,
                                self.ops.get_volume_connector, self.instance)
        self.assertIn('OS000001', str(err))
        self.assertIn(TMPL, str(err))

    def test_invalid_userid_refused_before_any_call(self):
        self.flags(instance_name_template='instance-%08x')
        self.assertRaises(exception.InvalidInput,
                          self.ops.get_volume_connector, self.instance)
        self.assertEqual([], self.client.calls)

    def test_relocating_guest_gets_its_own_devices(self):
        self.client.answers['get_volume_connector'] = fakes.Seq([
            connector_answer(('1A03', '1B03')),
            connector_answer(('1A03', '1B03')),
            connector_answer(('1A00', '1B00'))])
        conn = self.ops.get_volume_connector(
            self.instance, fcp_devices=['1b00', '1a00'])
        self.assertEqual(['1a00', '1b00'], conn['zvm_fcp'])
        self.assertEqual(['get_volume_connector', 'get_volume_connector',
                          'set_fcp_usage', 'set_fcp_usage',
                          'get_volume_connector'], self.client.api_names())
        self.assertReleased(self.client.calls[1])
        self.assertEqual(('set_fcp_usage', ('1a00', 'OS000001', 1, 0, TMPL),
                          {}), self.client.calls[2])
        self.assertReserved(self.client.calls[4], template=TMPL)

    def test_relocating_guest_keeps_devices_already_reserved(self):
        self.ops.get_volume_connector(self.instance,
                                      fcp_devices=['1a00', '1b00'])
        self.assertEqual(['get_volume_connector'], self.client.api_names())

    def test_relocating_guest_devices_unavailable(self):
        self.client.answers['get_volume_connector'] = connector_answer(
            ('1A03', '1B03'))
        err = self.assertRaises(exception.MigrationError,
                                self.ops.get_volume_connector,
                                self.instance, fcp_devices=['1a00', '1b00'])
        self.assertIn('1a00', str(err))
        self.assertReleased(self.client.calls[-1])

    def test_relocating_guest_set_usage_failure_releases(self):
        self.client.answers.update(
            get_volume_connector=connector_answer(('1A03', '1B03')),
            set_fcp_usage=fakes.connector_error('set_fcp_usage', 404, 2,
                                                modid=30))
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.get_volume_connector, self.instance,
                          fcp_devices=['1a00', '1b00'])
        self.assertReleased(self.client.calls[-1])


class AttachTestCase(VolumeTestBase):

    def test_attach_calls(self):
        info = fc_info(target_wwn=[TARGET, TARGET2])
        self.ops.attach_volume(self.instance, info, '/dev/vdc')
        # The devices' connection counts, read before the attach, tell
        # whether an attach whose answer is lost ran.
        self.assertEqual(['get_volume_connector', 'get_fcp_usage',
                          'get_fcp_usage', 'volume_attach'],
                         self.client.api_names())
        self.assertReserved(self.client.calls[0])
        self.assertEqual([('1a00',), ('1b00',)],
                         [c[1] for c in self.call('get_fcp_usage')])
        self.assertEqual((({
            'assigner_id': 'OS000001', 'zvm_fcp': ['1a00', '1b00'],
            'target_wwpn': ['0x500507680b21ac50', '0x500507680b22ac50'],
            'target_lun': '0x0001000000000000', 'os_version': 'rhel9.2',
            'multipath': 'true', 'mount_point': '/dev/vdc',
            'is_root_volume': False, 'update_connections_only': False},),
            {}), self.client.calls[3][1:])

    def test_attach_records_its_devices(self):
        info = fc_info()
        self.ops.attach_volume(self.instance, info, '/dev/vdb')
        self.assertEqual({'fcp': ['1a00', '1b00'], 'fcp_template_id': TMPL,
                          'os_version': 'rhel9.2'},
                         volume.stashed(info))

    def test_bad_connection_refused_before_any_attach(self):
        info = fc_info()
        info['driver_volume_type'] = 'iscsi'
        self.assertRaises(exception.InvalidVolume, self.ops.attach_volume,
                          self.instance, info, '/dev/vdb')
        self.assertRaises(exception.VolumeEncryptionNotSupported,
                          self.ops.attach_volume, self.instance, fc_info(),
                          '/dev/vdb', encryption={'provider': 'luks'})
        self.instance.system_metadata = {}
        err = self.assertRaises(exception.InvalidVolume,
                                self.ops.attach_volume, self.instance,
                                fc_info(), '/dev/vdb')
        self.assertIn('os_distro', str(err))
        self.assertNotIn('volume_attach', [c[0] for c in self.client.calls])
        # Each refusal gives back the devices Nova had reserved through
        # get_volume_connector: look up the template, release.
        self.assertEqual([True, False] * 3,
                         [c[2]['reserve'] for c in self.client.calls])

    def test_failed_attach_releases_the_devices(self):
        self.client.answers['volume_attach'] = fakes.connector_error(
            'volume_attach', 300, 8, modid=30, errmsg='multipathd inactive')
        info = fc_info()
        err = self.assertRaises(exception.ZVMConnectorError,
                                self.ops.attach_volume, self.instance, info,
                                '/dev/vdb')
        self.assertIn('multipathd inactive', str(err))
        self.assertEqual(['get_volume_connector', 'get_fcp_usage',
                          'get_fcp_usage', 'volume_attach',
                          'get_volume_connector'], self.client.api_names())
        self.assertReleased(self.client.calls[-1])
        self.assertEqual({}, volume.stashed(info))
        self.assertEqual({}, self.ops.reservations.pending())

    def test_failed_release_does_not_hide_the_attach_error(self):
        self.client.answers.update(
            volume_attach=fakes.connector_error('volume_attach', 300, 8,
                                                modid=30),
            get_volume_connector=fakes.Seq([
                connector_answer(),
                fakes.connector_error('get_volume_connector', 300, 11,
                                      modid=30)]))
        err = self.assertRaises(zvm_undo.RollbackIncomplete,
                                self.ops.attach_volume, self.instance,
                                fc_info(), '/dev/vdb')
        # The attach error is the cause; what is left is named, and the
        # release is tried again later.
        self.assertIn('simulated volume_attach failure', str(err))
        self.assertIn('release the FCP devices', str(err))
        self.assertEqual({'OS000001': False},
                         self.ops.reservations.pending())

    def test_lost_answer_is_not_retried(self):
        self.client.answers['volume_attach'] = fakes.unreachable(
            'volume_attach')
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.attach_volume, self.instance, fc_info(),
                          '/dev/vdb')
        self.assertEqual(1, self.client.count('volume_attach'))


class DetachTestCase(VolumeTestBase):

    def test_detach_uses_the_recorded_devices(self):
        info = stashed_info(fcps=['1c00'])
        self.ops.detach_volume(self.instance, info, '/dev/vdb')
        # Its devices' connection counts first, to decide a lost answer.
        self.assertEqual(['get_fcp_usage', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())
        request = self.call('volume_detach')[0][1][0]
        self.assertEqual(['1c00'], request['zvm_fcp'])
        self.assertIs(False, request['update_connections_only'])
        self.assertEqual('/dev/vdb', request['mount_point'])
        self.assertReleased(self.client.calls[2])

    def test_detach_uses_recorded_os_version(self):
        self.instance.system_metadata = {}
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb')
        self.assertEqual('rhel9.2',
                         self.call('volume_detach')[0][1][0]['os_version'])

    def test_detach_elsewhere_updates_connector_records_only(self):
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb',
                               local=False)
        self.assertIs(True, self.call('volume_detach')[0][1][0][
            'update_connections_only'])
        self.assertReleased(self.client.calls[-1])

    def test_detach_elsewhere_tolerates_unknown_records(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 404, 1, modid=30)
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb',
                               local=False)
        self.assertReleased(self.client.calls[-1])

    def test_failed_detach_raises_and_keeps_the_reservation(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 300, 12, modid=30)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.detach_volume, self.instance,
                          stashed_info(), '/dev/vdb')
        self.assertEqual(['get_fcp_usage', 'get_fcp_usage',
                          'volume_detach'], self.client.api_names())

    def test_detach_of_a_lun_not_attached_here_is_disk_not_found(self):
        # Nova then finishes the detach in Cinder ("already detached")
        # instead of leaving the volume 'detaching'.
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 404, 1, modid=30)
        self.assertRaises(exception.DiskNotFound,
                          self.ops.detach_volume, self.instance,
                          stashed_info(), '/dev/vdb')
        self.assertEqual(['get_fcp_usage', 'get_fcp_usage', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())
        self.assertReleased(self.client.calls[-1])

    def test_detach_without_record_asks_the_connector(self):
        self.ops.detach_volume(self.instance, fc_info(), '/dev/vdb')
        self.assertEqual(['get_volume_connector', 'get_fcp_usage',
                          'get_fcp_usage', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())
        self.assertReserved(self.client.calls[0])
        self.assertEqual(['1a00', '1b00'],
                         self.call('volume_detach')[0][1][0]['zvm_fcp'])

    def test_release_failure_after_detach_is_logged(self):
        self.client.answers['get_volume_connector'] = fakes.connector_error(
            'get_volume_connector', 300, 11, modid=30)
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb')
        self.assertEqual(['get_fcp_usage', 'get_fcp_usage', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())

    def test_detach_of_other_volume_types_does_nothing(self):
        info = fc_info()
        info['driver_volume_type'] = 'iscsi'
        self.ops.detach_volume(self.instance, info, '/dev/vdb')
        self.assertEqual([], self.client.calls)

    def test_detach_refuses_broken_connection_before_any_call(self):
        info = stashed_info()
        del info['data']['target_lun']
        self.assertRaises(exception.InvalidVolume, self.ops.detach_volume,
                          self.instance, info, '/dev/vdb')
        self.assertEqual([], self.client.calls)


class ForgetTestCase(VolumeTestBase):

    def _bdi(self):
        return {'root_device_name': '/dev/sda',
                'block_device_mapping': [
                    bdm(stashed_info(VOL), '/dev/sda', boot_index=0),
                    bdm(stashed_info(VOL2, target_lun=2), '/dev/vdb')]}

    def test_counts_down_each_volume_then_releases_once(self):
        self.ops.forget_volumes(self.instance, self._bdi())
        self.assertEqual(['volume_detach', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())
        root, data = (c[1][0] for c in self.call('volume_detach'))
        self.assertIs(True, root['is_root_volume'])
        self.assertIs(False, data['is_root_volume'])
        for request in (root, data):
            self.assertIs(True, request['update_connections_only'])
        self.assertEqual('0x0002000000000000', data['target_lun'])
        self.assertReleased(self.client.calls[-1])

    def test_no_volumes_no_call(self):
        self.ops.forget_volumes(self.instance, {'block_device_mapping': []})
        self.ops.forget_volumes(self.instance, None)
        self.assertEqual([], self.client.calls)

    def test_unrecorded_or_foreign_volumes_are_skipped(self):
        iscsi = fc_info()
        iscsi['driver_volume_type'] = 'iscsi'
        iscsi['data']['zvm'] = {'fcp': ['1a00'], 'fcp_template_id': TMPL}
        self.ops.forget_volumes(self.instance, {'block_device_mapping': [
            bdm(fc_info()), bdm(iscsi)]})
        self.assertEqual(['get_volume_connector'], self.client.api_names())
        self.assertReleased(self.client.calls[0])

    def test_failure_raises_unless_tolerated(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 500, 1, modid=30)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.forget_volumes, self.instance, self._bdi())
        self.client.calls = []
        self.ops.forget_volumes(self.instance, self._bdi(), tolerate=True)
        self.assertEqual(['volume_detach', 'volume_detach',
                          'get_volume_connector'], self.client.api_names())

    def test_guest_fcp_devices(self):
        self.assertEqual(['1a00', '1b00'],
                         self.ops.guest_fcp_devices(self.instance,
                                                    self._bdi()))
        self.assertEqual([], self.ops.guest_fcp_devices(self.instance, {}))
        self.assertEqual([], self.client.calls)
        self.assertEqual(['1a00', '1b00'], self.ops.guest_fcp_devices(
            self.instance, {'block_device_mapping': [bdm(fc_info())]}))
        self.assertReserved(self.client.calls[0])


def spawn_ops(client, volume_ops=None):
    image_ops = image.ImageOps(client)
    guest_ops = guest.GuestOps(client, image_ops, network.NetworkOps(client),
                               fake_virt.FakeVirtAPI())
    return spawn.SpawnOps(client, guest_ops, image_ops, volume_ops=volume_ops)


class SpawnVolumesTestCase(test.NoDBTestCase):
    """Spawn through SpawnOps with its volumes hook."""

    def setUp(self):
        super(SpawnVolumesTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(instance_name_template='OS%06x')
        self.flags(image_tmp_path=os.path.join(self.tmp, 'images'),
                   group='zvm')
        self.client = fakes.FakeClient(
            get_volume_connector=connector_answer(),
            volume_refresh_bootmap={'1a00': ['500507680b21ac50'],
                                    '1b00': ['500507680b21ac50']},
            image_query=[{'imagename': IMAGE_ID,
                          'imageosdistro': 'rhel9.2'}],
            guest_create=lambda userid, vcpus, mem, disk_list, **kw: [
                dict(d, vdev='%04x' % (0x101 + i))
                for i, d in enumerate(disk_list)],
            guest_create_network_interface=[{'nic_vdev': '1000'}])
        self.ops = spawn_ops(self.client,
                             volume_ops=volume.VolumeOps(self.client))
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, vcpus=2, memory_mb=2048,
            flavor=objects.Flavor(name='m1.zvm', flavorid='7', root_gb=10,
                                  ephemeral_gb=0, swap=0, vcpus=2,
                                  memory_mb=2048, extra_specs={}))
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.instance.trusted_certs = None
        self.useFixture(fakes.ConfigDriveFixture(self, self.instance,
                                                 hostname='db-01'))
        self.vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                           v4='10.0.0.5', active=True)]
        self.image_meta = objects.ImageMeta.from_dict({
            'id': IMAGE_ID, 'disk_format': 'raw',
            'properties': {'os_distro': 'rhel9.2'}})
        self.root = FakeBDM(bdm(fc_info(), '/dev/sda', boot_index=0))

    def _bfv(self, *extra):
        return {'root_device_name': '/dev/sda',
                'block_device_mapping': [self.root] + list(extra)}

    def _spawn(self, bdi, image_meta=None):
        self.ops.spawn(self.ctxt, self.instance,
                       image_meta or self.image_meta, [], 'pw', self.vifs,
                       bdi)

    def test_boot_from_volume_sequence(self):
        self._spawn(self._bfv())
        self.assertEqual(['get_volume_connector', 'volume_refresh_bootmap',
                          'guest_create', 'guest_deploy', 'get_fcp_usage',
                          'get_fcp_usage', 'volume_attach',
                          'guest_create_network_interface', 'guest_start'],
                         self.client.api_names())
        refresh = self.client.calls[1]
        self.assertEqual(((), {'fcpchannels': ['1a00', '1b00'],
                               'wwpn': ['0x500507680b21ac50'],
                               'lun': '0x0001000000000000',
                               'fcp_template_id': TMPL}), refresh[1:])
        create = self.client.calls[2][2]
        self.assertEqual([], create['disk_list'])
        self.assertEqual('1a00', create['ipl_from'])
        self.assertEqual(['1a00', '1b00'], create['dedicate_vdevs'])
        self.assertEqual({'portname': '500507680b21ac50',
                          'lun': '0001000000000000'}, create['loaddev'])
        deploy = self.client.calls[3]
        self.assertEqual(('OS000001', 'rhel9.2'), deploy[1])
        self.assertIs(True, deploy[2]['skipdiskcopy'])
        self.assertNotIn('vdev', deploy[2])
        attach = [c for c in self.client.calls
                  if c[0] == 'volume_attach'][0][1][0]
        self.assertIs(True, attach['is_root_volume'])
        self.assertEqual('/dev/sda', attach['mount_point'])
        self.assertNotIn('image_query', self.client.api_names())
        self.assertEqual(1, self.root.saved)
        self.assertEqual(['1a00', '1b00'], volume.stashed(
            self.root['connection_info'])['fcp'])

    def test_boot_from_volume_ipl_from_first_device_with_a_path(self):
        self.client.answers['volume_refresh_bootmap'] = {
            '1B00': ['0x500507680b22ac50']}
        self._spawn(self._bfv())
        create = self.client.calls[2][2]
        self.assertEqual('1b00', create['ipl_from'])
        self.assertEqual('500507680b22ac50', create['loaddev']['portname'])

    def test_root_lun_unreachable_refused_and_released(self):
        self.client.answers['volume_refresh_bootmap'] = {}
        err = self.assertRaises(exception.InvalidVolume, self._spawn,
                                self._bfv())
        self.assertIn('root LUN', str(err))
        self.assertEqual(['get_volume_connector', 'volume_refresh_bootmap',
                          'get_volume_connector'], self.client.api_names())
        self.assertEqual({'reserve': False, 'fcp_template_id': TMPL},
                         self.client.calls[-1][2])

    def test_data_volume_connected_after_deploy_before_start(self):
        data = bdm(fc_info(VOL2, target_lun=5), '/dev/vdb')
        self._spawn({'block_device_mapping': [data]})
        self.assertEqual(['image_query', 'guest_create', 'guest_deploy',
                          'get_volume_connector', 'get_fcp_usage',
                          'get_fcp_usage', 'volume_attach',
                          'guest_create_network_interface', 'guest_start'],
                         self.client.api_names())
        attach = [c for c in self.client.calls
                  if c[0] == 'volume_attach'][0][1][0]
        self.assertIs(False, attach['is_root_volume'])
        self.assertEqual('0x0005000000000000', attach['target_lun'])
        self.assertEqual('0100', self.client.calls[2][2]['vdev'])

    def test_failure_after_connect_rolls_everything_back(self):
        self.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 300, 5)
        data = bdm(fc_info(VOL2, target_lun=5), '/dev/vdb')
        self.assertRaises(exception.ZVMConnectorError, self._spawn,
                          self._bfv(data))
        names = self.client.api_names()
        # Each volume is its own undo step, newest first.
        self.assertEqual(['guest_start', 'volume_detach', 'volume_detach',
                          'guest_delete', 'get_volume_connector'],
                         names[names.index('guest_start'):])
        data_detach, root_detach = (c[1][0] for c in
                                    self.call('volume_detach'))
        self.assertEqual('0x0005000000000000', data_detach['target_lun'])
        self.assertIs(True, data_detach['update_connections_only'])
        self.assertIs(True, root_detach['is_root_volume'])
        self.assertEqual({'reserve': False, 'fcp_template_id': TMPL},
                         self.client.calls[-1][2])

    call = VolumeTestBase.call

    def test_each_volume_undo_failing_in_turn_names_what_is_left(self):
        data = bdm(fc_info(VOL2, target_lun=5), '/dev/vdb')
        for failing, lun in ((0, '0x0005000000000000'),
                             (1, '0x0001000000000000')):
            self.client.calls = []
            self.client.answers['guest_start'] = fakes.connector_error(
                'guest_start', 300, 5)
            answers = [None, None]
            answers[failing] = fakes.connector_error('volume_detach', 300, 9)
            self.client.answers['volume_detach'] = fakes.Seq(answers)
            err = self.assertRaises(zvm_undo.RollbackIncomplete, self._spawn,
                                    self._bfv(data))
            text = str(err)
            # The volume whose count-down failed, by volume and LUN.
            self.assertIn('LUN %s' % lun, text)
            # The rollback stopped there: guest and devices kept, and the
            # root volume still counted when the data volume failed.
            self.assertEqual(failing + 1, len(self.call('volume_detach')))
            self.assertNotIn('guest_delete', self.client.api_names())
            self.assertEqual([], [c for c in self.client.calls
                                  if c[0] == 'get_volume_connector' and
                                  c[2].get('reserve') is False])
            if failing == 0:
                self.assertIn('0x0001000000000000', text)

    def test_guest_create_failure_releases_the_devices(self):
        self.client.answers['guest_create'] = fakes.connector_error(
            'guest_create', 300, 5)
        self.assertRaises(exception.ZVMConnectorError, self._spawn,
                          self._bfv())
        # The spawn's rollback deletes whatever guest_create may have
        # defined, then releases the devices.
        self.assertEqual(['get_volume_connector', 'volume_refresh_bootmap',
                          'guest_create', 'guest_delete',
                          'get_volume_connector'],
                         self.client.api_names())

    def test_bad_volume_refused_before_any_call(self):
        iscsi = fc_info(VOL2)
        iscsi['driver_volume_type'] = 'iscsi'
        err = self.assertRaises(exception.InvalidVolume, self._spawn,
                                self._bfv(bdm(iscsi)))
        self.assertIn(VOL2, str(err))
        self.assertEqual([], self.client.calls)

    def test_rhcos_from_volume_refused_before_any_call(self):
        meta = objects.ImageMeta.from_dict({
            'disk_format': 'raw', 'properties': {'os_distro': 'rhcos4.12'}})
        err = self.assertRaises(exception.BuildAbortException, self._spawn,
                                self._bfv(), image_meta=meta)
        self.assertIn('CoreOS', str(err))
        self.assertEqual([], self.client.calls)

    def test_without_volume_ops_volumes_are_ignored(self):
        ops = spawn_ops(self.client)
        ops.spawn(self.ctxt, self.instance, self.image_meta, [], 'pw', [],
                  {'block_device_mapping': [bdm(fc_info(VOL2))]})
        self.assertNotIn('volume_attach', self.client.api_names())


class DriverVolumeTestCase(test.NoDBTestCase):

    def setUp(self):
        super(DriverVolumeTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient(
            get_volume_connector=connector_answer(),
            host_get_info=dict(fakes.HOST_INFO))
        self.driver = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                       client=self.client)
        self.driver.init_host('cmp1')
        self.client.calls = []
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1,
                                                        host='cmp1')
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    call = VolumeTestBase.call

    def test_capabilities(self):
        caps = driver.ZVMDriver.capabilities
        for key in ('supports_multiattach', 'supports_extend_volume',
                    'supports_tagged_attach_volume', 'supports_bfv_rescue'):
            self.assertFalse(caps[key], key)

    def test_attach_and_detach_here(self):
        info = fc_info()
        self.driver.attach_volume(self.ctxt, info, self.instance, '/dev/vdb')
        self.driver.detach_volume(self.ctxt, info, self.instance, '/dev/vdb')
        detach = self.call('volume_detach')[0][1][0]
        self.assertIs(False, detach['update_connections_only'])

    def test_detach_where_the_guest_does_not_run(self):
        self.instance.host = 'cmp2'
        self.driver.detach_volume(self.ctxt, stashed_info(), self.instance,
                                  '/dev/vdb')
        self.assertIs(True, self.call('volume_detach')[0][1][0][
            'update_connections_only'])

    def test_destroy_forgets_volumes_after_the_guest(self):
        bdi = {'block_device_mapping': [bdm(stashed_info())]}
        self.driver.destroy(self.ctxt, self.instance, [],
                            block_device_info=bdi)
        self.assertEqual(['guest_delete', 'volume_detach',
                          'get_volume_connector', 'get_fcp_templates'],
                         self.client.api_names())

    def test_destroy_succeeds_once_the_guest_is_gone(self):
        # The guest is deleted: a failed count-down must not put the
        # server in ERROR.
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 500, 1, modid=30)
        bdi = {'block_device_mapping': [bdm(stashed_info())]}
        with mock.patch.object(driver.LOG, 'error') as log_error:
            self.driver.destroy(self.ctxt, self.instance, [],
                                block_device_info=bdi)
        self.assertEqual(['guest_delete', 'volume_detach',
                          'get_fcp_templates'], self.client.api_names())
        self.assertIn('by hand', log_error.call_args[0][0])

    def test_destroy_without_volumes_is_two_calls(self):
        # The guest, then whatever FCP devices the connector holds for it
        # (here: none).
        self.driver.destroy(self.ctxt, self.instance, [])
        self.assertEqual(['guest_delete', 'get_fcp_templates'],
                         self.client.api_names())

    def test_swap_and_extend_refused_with_reasons(self):
        err = self.assertRaises(NotImplementedError,
                                self.driver.extend_volume, self.ctxt,
                                fc_info(), self.instance, 2 ** 30)
        self.assertIn('rescan', str(err))
        err = self.assertRaises(NotImplementedError, self.driver.swap_volume,
                                self.ctxt, fc_info(), fc_info(VOL2),
                                self.instance, '/dev/vdb', 2)
        self.assertIn('block copy', str(err))
        self.assertEqual([], self.client.calls)

    def test_connection_info_is_not_changed_by_a_refusal(self):
        info = fc_info(target_lun='lun-one')
        before = copy.deepcopy(info)
        self.assertRaises(exception.InvalidVolume, self.driver.attach_volume,
                          self.ctxt, info, self.instance, '/dev/vdb')
        self.assertEqual(before, info)
