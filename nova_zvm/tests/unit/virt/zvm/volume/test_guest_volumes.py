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

"""All the volumes of a guest at once (volume/guest_volumes.py).

Recording a relocating guest's volumes (``record_incoming``) is tested
with live migration (test_live_migration.py).
"""

from nova import exception

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes

VOL = vol_fakes.VOL
VOL2 = vol_fakes.VOL2
TMPL = vol_fakes.TMPL
bdm = vol_fakes.bdm
fc_info = vol_fakes.fc_info
stashed_info = vol_fakes.stashed_info


class ForgetTestCase(vol_fakes.VolumeOpsTestBase):

    def _bdi(self):
        return {'root_device_name': '/dev/sda',
                'block_device_mapping': [
                    bdm(stashed_info(VOL), '/dev/sda', boot_index=0),
                    bdm(stashed_info(VOL2, target_lun=2), '/dev/vdb')]}

    def test_counts_down_each_volume_then_releases_once(self):
        self.ops.forget_volumes(self.instance, self._bdi())
        root, data = self.requests('volume_detach')
        self.assertIs(True, root['is_root_volume'])
        self.assertIs(False, data['is_root_volume'])
        for request in (root, data):
            self.assertIs(True, request['update_connections_only'])
        self.assertEqual('0x0002000000000000', data['target_lun'])
        self.assertEqual(1, self.client.count('get_volume_connector'))
        self.assertReleasedAfter('volume_detach')

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
        self.assertNotIn('volume_detach', self.client.api_names())
        # The guest's reservation is still released.
        self.assertEqual(1, self.client.count())
        self.assertReleased()

    def test_failure_raises_unless_tolerated(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 500, 1, modid=30)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.forget_volumes, self.instance, self._bdi())
        self.client.calls = []
        self.ops.forget_volumes(self.instance, self._bdi(), tolerate=True)
        # Every volume is tried, and the devices released.
        self.assertEqual(2, self.client.count('volume_detach'))
        self.assertReleasedAfter('volume_detach')

    def test_guest_fcp_devices(self):
        self.assertEqual(['1a00', '1b00'],
                         self.ops.guest_fcp_devices(self.instance,
                                                    self._bdi()))
        self.assertEqual([], self.ops.guest_fcp_devices(self.instance, {}))
        self.assertEqual([], self.client.calls)
        self.assertEqual(['1a00', '1b00'], self.ops.guest_fcp_devices(
            self.instance, {'block_device_mapping': [bdm(fc_info())]}))
        self.assertReserved()
