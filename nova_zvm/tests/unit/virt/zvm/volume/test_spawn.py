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

"""Volumes at spawn, through GuestOps with its volumes hook
(volume/spawn.py)."""

import os

import fixtures
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import spawn
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import ops as volume_ops

VOL2 = vol_fakes.VOL2
TMPL = vol_fakes.TMPL
IMAGE_ID = 'a2459075-d96c-40d5-893e-577ff92e721c'
bdm = vol_fakes.bdm
fc_info = vol_fakes.fc_info


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
            get_volume_connector=vol_fakes.connector_answer(),
            volume_refresh_bootmap={'1a00': ['500507680b21ac50'],
                                    '1b00': ['500507680b21ac50']},
            image_query=[{'imagename': IMAGE_ID,
                          'imageosdistro': 'rhel9.2'}],
            guest_create=lambda userid, vcpus, mem, disk_list, **kw: [
                dict(d, vdev='%04x' % (0x101 + i))
                for i, d in enumerate(disk_list)],
            guest_create_network_interface=[{'nic_vdev': '1000'}])
        self.ops = spawn_ops(self.client,
                             volume_ops=volume_ops.VolumeOps(self.client))
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
        self.root = vol_fakes.FakeBDM(bdm(fc_info(), '/dev/sda',
                                          boot_index=0))

    def _bfv(self, *extra):
        return {'root_device_name': '/dev/sda',
                'block_device_mapping': [self.root] + list(extra)}

    def _spawn(self, bdi, image_meta=None):
        self.ops.spawn(self.ctxt, self.instance,
                       image_meta or self.image_meta, [], 'pw', self.vifs,
                       bdi)

    def _create_kwargs(self):
        return vol_fakes.kwargs_of(self.client, 'guest_create')[0]

    def _requests(self, api):
        return [args[0] for args in self.client.args_of(api)]

    def assertConnectedBeforeStart(self):
        # Volumes are connected to the deployed guest before it starts:
        # its Linux finds them at first boot.
        self.assertLess(vol_fakes.position(self.client, 'guest_deploy'),
                        vol_fakes.position(self.client, 'volume_attach'))
        self.assertLess(vol_fakes.position(self.client, 'volume_attach',
                                           last=True),
                        vol_fakes.position(self.client, 'guest_start'))

    def test_boot_from_volume(self):
        self._spawn(self._bfv())
        self.assertTrue(vol_fakes.reserved(self.client))
        self.assertTrue(self.client.made(
            'volume_refresh_bootmap', fcpchannels=['1a00', '1b00'],
            wwpn=['0x500507680b21ac50'], lun='0x0001000000000000',
            fcp_template_id=TMPL))
        create = self._create_kwargs()
        self.assertEqual([], create['disk_list'])
        self.assertEqual('1a00', create['ipl_from'])
        self.assertEqual(['1a00', '1b00'], create['dedicate_vdevs'])
        self.assertEqual({'portname': '500507680b21ac50',
                          'lun': '0001000000000000'}, create['loaddev'])
        self.assertEqual([('OS000001', 'rhel9.2')],
                         self.client.args_of('guest_deploy'))
        deploy = vol_fakes.kwargs_of(self.client, 'guest_deploy')[0]
        self.assertIs(True, deploy['skipdiskcopy'])
        self.assertNotIn('vdev', deploy)
        attach, = self._requests('volume_attach')
        self.assertIs(True, attach['is_root_volume'])
        self.assertEqual('/dev/sda', attach['mount_point'])
        self.assertConnectedBeforeStart()
        self.assertEqual(1, self.client.count('guest_start'))
        self.assertNotIn('image_query', self.client.api_names())
        self.assertEqual([], vol_fakes.releases(self.client))
        self.assertEqual(1, self.root.saved)
        self.assertEqual(['1a00', '1b00'], connection.stashed(
            self.root['connection_info'])['fcp'])

    def test_boot_from_volume_ipl_from_first_device_with_a_path(self):
        self.client.answers['volume_refresh_bootmap'] = {
            '1B00': ['0x500507680b22ac50']}
        self._spawn(self._bfv())
        create = self._create_kwargs()
        self.assertEqual('1b00', create['ipl_from'])
        self.assertEqual('500507680b22ac50', create['loaddev']['portname'])

    def test_root_lun_unreachable_refused_and_released(self):
        self.client.answers['volume_refresh_bootmap'] = {}
        err = self.assertRaises(exception.InvalidVolume, self._spawn,
                                self._bfv())
        self.assertIn('root LUN', str(err))
        self.assertNotIn('guest_create', self.client.api_names())
        self.assertTrue(vol_fakes.released(self.client))

    def test_data_volume_connected_after_deploy_before_start(self):
        data = bdm(fc_info(VOL2, target_lun=5), '/dev/vdb')
        self._spawn({'block_device_mapping': [data]})
        self.assertConnectedBeforeStart()
        attach, = self._requests('volume_attach')
        self.assertIs(False, attach['is_root_volume'])
        self.assertEqual('0x0005000000000000', attach['target_lun'])
        # Booted from the image: the root disk is deployed to 0100.
        self.assertEqual(1, self.client.count('image_query'))
        self.assertEqual('0100', vol_fakes.kwargs_of(
            self.client, 'guest_deploy')[0]['vdev'])
        self.assertNotIn('volume_refresh_bootmap', self.client.api_names())

    def test_failure_after_connect_rolls_everything_back(self):
        self.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 300, 5)
        data = bdm(fc_info(VOL2, target_lun=5), '/dev/vdb')
        self.assertRaises(exception.ZVMConnectorError, self._spawn,
                          self._bfv(data))
        # Each volume is its own undo step, newest first.
        data_detach, root_detach = self._requests('volume_detach')
        self.assertEqual('0x0005000000000000', data_detach['target_lun'])
        self.assertIs(True, data_detach['update_connections_only'])
        self.assertIs(True, root_detach['is_root_volume'])
        self.assertEqual(1, self.client.count('guest_delete'))
        self.assertTrue(vol_fakes.released(self.client))
        # Released once both are counted down: a release leaves devices
        # that still count a connection reserved.
        self.assertGreater(
            vol_fakes.position(self.client, 'get_volume_connector',
                               last=True),
            vol_fakes.position(self.client, 'volume_detach', last=True))

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
            self.assertEqual(failing + 1, self.client.count('volume_detach'))
            self.assertNotIn('guest_delete', self.client.api_names())
            self.assertEqual([], vol_fakes.releases(self.client))
            if failing == 0:
                self.assertIn('0x0001000000000000', text)

    def test_guest_create_failure_releases_the_devices(self):
        self.client.answers['guest_create'] = fakes.connector_error(
            'guest_create', 300, 5)
        self.assertRaises(exception.ZVMConnectorError, self._spawn,
                          self._bfv())
        # The spawn's rollback deletes whatever guest_create may have
        # defined, then releases the devices.
        self.assertEqual(1, self.client.count('guest_delete'))
        self.assertTrue(vol_fakes.released(self.client))
        self.assertNotIn('volume_attach', self.client.api_names())
        self.assertNotIn('guest_deploy', self.client.api_names())

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
