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

"""pre_live_migration's volume records are undone step by step."""

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_live_migration as base
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import undo as zvm_undo

VOL1 = vol_fakes.VOL
VOL2 = vol_fakes.VOL2


class PreLiveMigrationUndoTestCase(base.LiveMigrationTestBase):

    def setUp(self):
        super(PreLiveMigrationUndoTestCase, self).setUp()
        self.bdi = {'block_device_mapping': [
            vol_fakes.bdm(vol_fakes.fc_info(VOL1), '/dev/vdb'),
            vol_fakes.bdm(vol_fakes.fc_info(VOL2, target_lun=5),
                          '/dev/vdc')]}
        # The second volume's records cannot be made.
        self.client.answers['volume_attach'] = fakes.Seq([
            None, fakes.connector_error('volume_attach', 300, 7, modid=30)])

    def prepare(self):
        return self.ops.pre_live_migration(
            self.ctxt, self.instance, self.bdi, [], None,
            base.dest_data(fcp=['1a00', '1b00']))

    def releases(self):
        return [c for c in self.client.calls
                if c[0] == 'get_volume_connector' and
                c[2].get('reserve') is False]

    def test_failure_undoes_the_first_volume_and_the_reservation(self):
        self.assertRaises(zvm_exc.ConnectorError, self.prepare)
        detach = [c[1][0] for c in self.client.calls
                  if c[0] == 'volume_detach']
        self.assertEqual(1, len(detach))
        self.assertIs(True, detach[0]['update_connections_only'])
        self.assertEqual('0x0001000000000000', detach[0]['target_lun'])
        self.assertTrue(self.releases())

    def test_count_down_failing_keeps_the_reservation(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 300, 9, modid=30)
        err = self.assertRaises(zvm_undo.RollbackIncomplete, self.prepare)
        self.assertIn('unable to count down volume %s' % VOL1, str(err))
        self.assertIn('release the FCP devices', str(err))
        # Only the failed attach's own rollback released (devices without
        # connections); the rollback stopped before its release step.
        self.assertEqual(1, len(self.releases()))

    def test_release_failing_is_retried_later(self):
        self.client.answers['get_volume_connector'] = fakes.Seq([
            # reserve; the failed attach's own release; the undo's.
            vol_fakes.connector_answer(),
            vol_fakes.connector_answer(),
            fakes.connector_error('get_volume_connector', 300, 11,
                                  modid=30)])
        # A failed release is not left to chance: the periodic resource
        # update tries it again (volume/fcp.py), so the rollback is complete.
        self.assertRaises(zvm_exc.ConnectorError, self.prepare)
        self.assertEqual({'OS000001': False},
                         self.volume.reservations.pending())
        # The first volume was counted down before.
        self.assertEqual(1, self.client.count('volume_detach'))
