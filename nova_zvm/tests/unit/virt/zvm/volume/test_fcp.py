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

"""The guests' FCP reservations and connections (volume/fcp.py)."""

from unittest import mock

from nova import context
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import fcp
from nova_zvm.virt.zvm.volume import ops as volume_ops

USERID = vol_fakes.USERID
TMPL = vol_fakes.TMPL
TMPL2 = vol_fakes.TMPL2
templates = vol_fakes.templates
FCPDatabase = vol_fakes.FCPDatabase


class ReleaseTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ReleaseTestCase, self).setUp()
        self.db = FCPDatabase(**{
            '1a00': [USERID, 1, 2, TMPL], '1b00': [USERID, 1, 0, TMPL],
            '1c00': ['OTHER', 1, 1, TMPL2]})
        self.client = fakes.FakeClient(
            get_fcp_templates=templates(TMPL),
            get_volume_connector=vol_fakes.connector_answer(
                ('1a00', '1b00')), **self.db.answers())
        self.res = fcp.FCPReservations(self.client)

    def test_deleted_guest_leaves_nothing_whatever_the_mappings(self):
        self.assertTrue(self.res.release_guest(USERID, gone=True))
        self.assertTrue(self.client.made('get_fcp_templates',
                                         assigner_id=USERID))
        self.assertTrue(vol_fakes.released(self.client))
        # The stale connections of the deleted guest are cleared; another
        # guest's device is not touched.
        self.assertEqual([USERID, 0, 0, ''], self.db.rows['1a00'])
        self.assertEqual(['OTHER', 1, 1, TMPL2], self.db.rows['1c00'])
        self.assertEqual(1, self.client.count('set_fcp_usage'))

    def test_every_template_of_the_guest_is_released(self):
        self.client.answers['get_fcp_templates'] = templates(TMPL2, TMPL)
        self.res.release_guest(USERID)
        self.assertEqual(sorted([TMPL, TMPL2]), [
            c[2]['fcp_template_id'] for c in self.client.calls
            if c[0] == 'get_volume_connector'])
        # A guest that still exists keeps its connections.
        self.assertEqual(0, self.client.count('get_fcp_usage'))

    def test_nothing_held_is_one_call(self):
        self.client.answers['get_fcp_templates'] = templates()
        self.assertTrue(self.res.release_guest(USERID, gone=True))
        self.assertEqual(1, self.client.count())
        self.assertEqual(1, self.client.count('get_fcp_templates'))

    def test_failed_release_is_retried_until_it_succeeds(self):
        self.client.answers['get_volume_connector'] = fakes.unreachable(
            'get_volume_connector')
        self.assertFalse(self.res.release_guest(USERID, gone=True))
        self.assertEqual({USERID: True}, self.res.pending())
        self.res.retry_pending()
        self.assertEqual({USERID: True}, self.res.pending())
        self.assertEqual([USERID, 1, 2, TMPL], self.db.rows['1a00'])
        self.client.answers['get_volume_connector'] = (
            vol_fakes.connector_answer(('1a00', '1b00')))
        self.res.retry_pending()
        self.assertEqual({}, self.res.pending())
        self.assertEqual([USERID, 0, 0, ''], self.db.rows['1a00'])

    def test_release_of_one_template_failing_is_retried_and_raised(self):
        self.client.answers['get_volume_connector'] = fakes.unreachable(
            'get_volume_connector')
        self.assertRaises(zvm_exc.ConnectorUnreachable, self.res.release,
                          USERID, TMPL)
        self.assertEqual({USERID: False}, self.res.pending())

    def test_driver_retries_pending_releases_periodically(self):
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=self.client)
        drv._volume.reservations.retry_later(USERID, gone=True)
        # (the host's resources are HostOps' business, not this test's)
        with mock.patch.object(drv._host, 'get_available_resource',
                               return_value={'vcpus': 16}):
            self.assertEqual({'vcpus': 16},
                             drv.get_available_resource('ZVMHOST1'))
        self.assertEqual({}, drv._volume.reservations.pending())
        self.assertEqual([USERID, 0, 0, ''], self.db.rows['1a00'])


class LostAttachAnswerTestCase(test.NoDBTestCase):
    """volume_attach ran, or not, and its answer never came back."""

    def setUp(self):
        super(LostAttachAnswerTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.db = FCPDatabase(**{'1a00': [USERID, 1, 0, TMPL],
                                 '1b00': [USERID, 1, 0, TMPL]})

        def attach_then_lose_the_answer(request):
            for dev in request['zvm_fcp']:
                self.db.rows[dev][2] += 1
            raise fakes.unreachable('volume_attach')

        self.client = fakes.FakeClient(
            get_volume_connector=vol_fakes.connector_answer(),
            volume_attach=attach_then_lose_the_answer, **self.db.answers())
        self.ops = volume_ops.VolumeOps(self.client)
        self.instance = fake_instance.fake_instance_obj(
            context.get_admin_context(), id=1)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    def test_attach_that_ran_is_an_attach(self):
        info = vol_fakes.fc_info()
        self.ops.attach_volume(self.instance, info, '/dev/vdb')
        # Nova records it, so detach and delete find it; not attached
        # twice, not released.
        self.assertEqual(['1a00', '1b00'], connection.stashed(info)['fcp'])
        self.assertEqual(1, self.client.count('volume_attach'))
        self.assertEqual([1, 1], [self.db.rows[d][2]
                                  for d in ('1a00', '1b00')])
        self.assertNotIn(False, [c[2].get('reserve') for c in
                                 self.client.calls
                                 if c[0] == 'get_volume_connector'])

    def test_attach_that_did_not_run_fails_and_releases(self):
        self.client.answers['volume_attach'] = fakes.unreachable(
            'volume_attach')
        info = vol_fakes.fc_info()
        self.assertRaises(zvm_exc.ConnectorUnreachable,
                          self.ops.attach_volume, self.instance, info,
                          '/dev/vdb')
        self.assertEqual({}, connection.stashed(info))
        self.assertTrue(vol_fakes.released(self.client))

    def test_second_volume_is_judged_on_the_count_it_adds(self):
        for dev in ('1a00', '1b00'):
            self.db.rows[dev][2] = 1  # a first volume
        self.client.answers['volume_attach'] = fakes.unreachable(
            'volume_attach')
        self.assertRaises(zvm_exc.ConnectorUnreachable,
                          self.ops.attach_volume, self.instance,
                          vol_fakes.fc_info(), '/dev/vdc')

    def test_connector_gone_after_the_lost_answer(self):
        self.client.answers['get_fcp_usage'] = fakes.Seq([
            self.db.get_fcp_usage, self.db.get_fcp_usage,
            fakes.unreachable('get_fcp_usage')])
        self.client.answers['get_volume_connector'] = fakes.Seq([
            vol_fakes.connector_answer(),
            fakes.unreachable('get_volume_connector')])
        err = self.assertRaises(zvm_undo.RollbackIncomplete,
                                self.ops.attach_volume,
                                self.instance, vol_fakes.fc_info(),
                                '/dev/vdb')
        # Undecidable: failed, and the release is tried again later.
        self.assertIn('volume_attach', str(err))
        self.assertEqual({USERID: False}, self.ops.reservations.pending())
