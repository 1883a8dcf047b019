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

"""Volume connector, attach and detach of one volume (volume/ops.py)."""

import copy
from unittest import mock

from nova import exception
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import teardown
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import ops as volume_ops

TMPL = vol_fakes.TMPL
TARGET = vol_fakes.TARGET
TARGET2 = vol_fakes.TARGET2
connector_answer = vol_fakes.connector_answer
fc_info = vol_fakes.fc_info
stashed_info = vol_fakes.stashed_info


class ConnectorTestCase(vol_fakes.VolumeOpsTestBase):

    def test_connector_reserves_and_answers_nova_keys(self):
        conn = self.ops.get_volume_connector(self.instance)
        # One request: Nova asks for the connector on every attach.
        self.assertEqual(1, self.client.count())
        self.assertReserved()
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
        self.assertTrue(self.client.made(
            'get_volume_connector', 'OS000001', reserve=True,
            fcp_template_id=TMPL, storage_provider='v7k'))
        self.assertIs(False, conn['multipath'])

    def test_connector_ip_is_the_block_storage_address(self):
        self.flags(my_ip='192.0.2.10', my_block_storage_ip='198.51.100.7')
        conn = self.ops.get_volume_connector(self.instance)
        self.assertEqual('198.51.100.7', conn['ip'])

    def test_no_free_fcp_devices(self):
        self.client.answers['get_volume_connector'] = connector_answer(
            fcps=())
        err = self.assertRaises(volume_ops.NoFCPDevices,
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
        # The devices the connector picked are given back, the guest's
        # own recorded as reserved for it, then asked for in its template.
        self.assertReleased()
        self.assertEqual([('1a00', 'OS000001', 1, 0, TMPL),
                          ('1b00', 'OS000001', 1, 0, TMPL)],
                         self.client.args_of('set_fcp_usage'))
        self.assertReserved(template=TMPL)
        # Released before the guest's devices are recorded: a release
        # after them would give those back too.
        self.assertEqual(1, len(vol_fakes.release_positions(self.client)))
        self.assertLess(vol_fakes.release_positions(self.client)[0],
                        vol_fakes.position(self.client, 'set_fcp_usage'))

    def test_relocating_guest_keeps_devices_already_reserved(self):
        self.ops.get_volume_connector(self.instance,
                                      fcp_devices=['1a00', '1b00'])
        self.assertEqual(1, self.client.count('get_volume_connector'))
        self.assertNotIn('set_fcp_usage', self.client.api_names())

    def test_relocating_guest_devices_unavailable(self):
        self.client.answers['get_volume_connector'] = connector_answer(
            ('1A03', '1B03'))
        err = self.assertRaises(exception.MigrationError,
                                self.ops.get_volume_connector,
                                self.instance, fcp_devices=['1a00', '1b00'])
        self.assertIn('1a00', str(err))
        self.assertReleasedAfter('set_fcp_usage')

    def test_relocating_guest_set_usage_failure_releases(self):
        self.client.answers.update(
            get_volume_connector=connector_answer(('1A03', '1B03')),
            set_fcp_usage=fakes.connector_error('set_fcp_usage', 404, 2,
                                                modid=30))
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.get_volume_connector, self.instance,
                          fcp_devices=['1a00', '1b00'])
        self.assertReleasedAfter('set_fcp_usage')


class AttachTestCase(vol_fakes.VolumeOpsTestBase):

    def test_attach_request(self):
        info = fc_info(target_wwn=[TARGET, TARGET2])
        self.ops.attach_volume(self.instance, info, '/dev/vdc')
        self.assertReserved()
        self.assertEqual([{
            'assigner_id': 'OS000001', 'zvm_fcp': ['1a00', '1b00'],
            'target_wwpn': ['0x500507680b21ac50', '0x500507680b22ac50'],
            'target_lun': '0x0001000000000000', 'os_version': 'rhel9.2',
            'multipath': 'true', 'mount_point': '/dev/vdc',
            'is_root_volume': False, 'update_connections_only': False}],
            self.requests('volume_attach'))
        self.assertEqual([], vol_fakes.releases(self.client))

    def test_connection_counts_are_read_before_the_attach(self):
        self.ops.attach_volume(self.instance, fc_info(), '/dev/vdc')
        # The devices' counts before the attach tell whether an attach
        # whose answer is lost ran: read before it, not after.
        self.assertEqual([('1a00',), ('1b00',)],
                         self.client.args_of('get_fcp_usage'))
        self.assertLess(vol_fakes.position(self.client, 'get_fcp_usage',
                                           last=True),
                        vol_fakes.position(self.client, 'volume_attach'))

    def test_attach_records_its_devices(self):
        info = fc_info()
        self.ops.attach_volume(self.instance, info, '/dev/vdb')
        self.assertEqual({'fcp': ['1a00', '1b00'], 'fcp_template_id': TMPL,
                          'os_version': 'rhel9.2'},
                         connection.stashed(info))

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
        self.assertNotIn('volume_attach', self.client.api_names())
        # Each refusal gives back the devices Nova had reserved through
        # get_volume_connector: look up the template, release.
        release = ('get_volume_connector', ('OS000001',),
                   {'reserve': False, 'fcp_template_id': TMPL})
        self.assertEqual(3, self.client.calls.count(release))
        self.assertEqual(6, self.client.count())

    def test_failed_attach_releases_the_devices(self):
        self.client.answers['volume_attach'] = fakes.connector_error(
            'volume_attach', 300, 8, modid=30, errmsg='multipathd inactive')
        info = fc_info()
        err = self.assertRaises(exception.ZVMConnectorError,
                                self.ops.attach_volume, self.instance, info,
                                '/dev/vdb')
        self.assertIn('multipathd inactive', str(err))
        self.assertEqual(1, self.client.count('volume_attach'))
        self.assertReleasedAfter('volume_attach')
        self.assertEqual({}, connection.stashed(info))
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


class DetachTestCase(vol_fakes.VolumeOpsTestBase):

    def test_detach_uses_the_recorded_devices(self):
        info = stashed_info(fcps=['1c00'])
        self.ops.detach_volume(self.instance, info, '/dev/vdb')
        # No need to ask the connector which devices the guest has.
        self.assertFalse(vol_fakes.reserved(self.client))
        # Its devices' connection counts, to decide a lost answer.
        self.assertEqual([('1c00',)], self.client.args_of('get_fcp_usage'))
        request, = self.requests('volume_detach')
        self.assertEqual(['1c00'], request['zvm_fcp'])
        self.assertIs(False, request['update_connections_only'])
        self.assertEqual('/dev/vdb', request['mount_point'])
        self.assertReleasedAfter('volume_detach')

    def test_detach_uses_recorded_os_version(self):
        self.instance.system_metadata = {}
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb')
        self.assertEqual('rhel9.2',
                         self.requests('volume_detach')[0]['os_version'])

    def test_detach_elsewhere_updates_connector_records_only(self):
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb',
                               local=False)
        self.assertIs(True, self.requests('volume_detach')[0][
            'update_connections_only'])
        self.assertReleasedAfter('volume_detach')

    def test_detach_elsewhere_tolerates_unknown_records(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 404, 1, modid=30)
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb',
                               local=False)
        self.assertReleasedAfter('volume_detach')

    def test_failed_detach_raises_and_keeps_the_reservation(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 300, 12, modid=30)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.detach_volume, self.instance,
                          stashed_info(), '/dev/vdb')
        self.assertEqual(1, self.client.count('volume_detach'))
        self.assertNotIn('get_volume_connector', self.client.api_names())

    def test_detach_of_a_lun_not_attached_here_is_disk_not_found(self):
        # Nova then finishes the detach in Cinder ("already detached")
        # instead of leaving the volume 'detaching'.
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 404, 1, modid=30)
        self.assertRaises(exception.DiskNotFound,
                          self.ops.detach_volume, self.instance,
                          stashed_info(), '/dev/vdb')
        self.assertEqual(1, self.client.count('volume_detach'))
        self.assertReleasedAfter('volume_detach')

    def test_detach_without_record_asks_the_connector(self):
        self.ops.detach_volume(self.instance, fc_info(), '/dev/vdb')
        self.assertReserved()
        self.assertEqual(['1a00', '1b00'],
                         self.requests('volume_detach')[0]['zvm_fcp'])
        self.assertReleasedAfter('volume_detach')

    def test_release_failure_after_detach_is_logged(self):
        self.client.answers['get_volume_connector'] = fakes.connector_error(
            'get_volume_connector', 300, 11, modid=30)
        self.ops.detach_volume(self.instance, stashed_info(), '/dev/vdb')
        self.assertEqual(1, self.client.count('volume_detach'))
        self.assertReleased()
        # Not raised: the release is tried again later.
        self.assertEqual({'OS000001': False},
                         self.ops.reservations.pending())

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


class DriverVolumeTestCase(vol_fakes.VolumeOpsTestBase):
    """The driver's volume methods, through VolumeOps."""

    def setUp(self):
        super(DriverVolumeTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.client.answers['host_get_info'] = dict(fakes.HOST_INFO)
        self.driver = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                       client=self.client)
        self.driver.init_host('cmp1')
        self.client.calls = []
        self.instance.host = 'cmp1'

    def test_capabilities(self):
        caps = driver.ZVMDriver.capabilities
        for key in ('supports_multiattach', 'supports_extend_volume',
                    'supports_tagged_attach_volume', 'supports_bfv_rescue'):
            self.assertFalse(caps[key], key)

    def test_attach_and_detach_here(self):
        info = fc_info()
        self.driver.attach_volume(self.ctxt, info, self.instance, '/dev/vdb')
        self.driver.detach_volume(self.ctxt, info, self.instance, '/dev/vdb')
        detach, = self.requests('volume_detach')
        self.assertIs(False, detach['update_connections_only'])

    def test_detach_where_the_guest_does_not_run(self):
        self.instance.host = 'cmp2'
        self.driver.detach_volume(self.ctxt, stashed_info(), self.instance,
                                  '/dev/vdb')
        self.assertIs(True, self.requests('volume_detach')[0][
            'update_connections_only'])

    def test_destroy_forgets_volumes_after_the_guest(self):
        bdi = {'block_device_mapping': [
            vol_fakes.bdm(stashed_info())]}
        self.driver.destroy(self.ctxt, self.instance, [],
                            block_device_info=bdi)
        self.assertEqual(1, self.client.count('guest_delete'))
        request, = self.requests('volume_detach')
        self.assertIs(True, request['update_connections_only'])
        self.assertReleasedAfter('volume_detach')
        self.assertTrue(self.client.made('get_fcp_templates',
                                         assigner_id='OS000001'))
        # Counted down once the guest is gone: a count-down of a guest
        # still defined would leave its devices dedicated.
        self.assertLess(vol_fakes.position(self.client, 'guest_delete'),
                        vol_fakes.position(self.client, 'volume_detach'))

    def test_destroy_succeeds_once_the_guest_is_gone(self):
        # The guest is deleted: a failed count-down must not put the
        # server in ERROR.
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 500, 1, modid=30)
        bdi = {'block_device_mapping': [vol_fakes.bdm(stashed_info())]}
        with mock.patch.object(teardown.LOG, 'error') as log_error:
            self.driver.destroy(self.ctxt, self.instance, [],
                                block_device_info=bdi)
        self.assertEqual(1, self.client.count('guest_delete'))
        self.assertEqual(1, self.client.count('volume_detach'))
        # Whatever the connector holds for the guest is still released.
        self.assertTrue(self.client.made('get_fcp_templates',
                                         assigner_id='OS000001'))
        self.assertIn('by hand', log_error.call_args[0][0])

    def test_destroy_without_volumes_is_two_calls(self):
        # The guest, then whatever FCP devices the connector holds for it
        # (here: none).
        self.driver.destroy(self.ctxt, self.instance, [])
        self.assertEqual(2, self.client.count())
        self.assertEqual(1, self.client.count('guest_delete'))
        self.assertTrue(self.client.made('get_fcp_templates',
                                         assigner_id='OS000001'))

    def test_swap_and_extend_refused_with_reasons(self):
        err = self.assertRaises(NotImplementedError,
                                self.driver.extend_volume, self.ctxt,
                                fc_info(), self.instance, 2 ** 30)
        self.assertIn('rescan', str(err))
        err = self.assertRaises(NotImplementedError, self.driver.swap_volume,
                                self.ctxt, fc_info(),
                                fc_info(vol_fakes.VOL2), self.instance,
                                '/dev/vdb', 2)
        self.assertIn('block copy', str(err))
        self.assertEqual([], self.client.calls)

    def test_connection_info_is_not_changed_by_a_refusal(self):
        info = fc_info(target_lun='lun-one')
        before = copy.deepcopy(info)
        self.assertRaises(exception.InvalidVolume, self.driver.attach_volume,
                          self.ctxt, info, self.instance, '/dev/vdb')
        self.assertEqual(before, info)
