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

"""Source guests a confirm could not delete: recorded, deleted later."""

import os
from unittest import mock

import fixtures
from nova.compute import task_states
from nova import exception

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base as test_migration
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import leftover_guests

HOST = 'cmp1'
USERID = test_migration.USERID


class LeftoverGuestsTestCase(test_migration.MigrationTestBase):

    def setUp(self):
        super(LeftoverGuestsTestCase, self).setUp()
        # The server runs on the destination after the confirm.
        self.instance.host = 'cmp2'
        self.get_instance = self.useFixture(fixtures.MockPatch(
            'nova.objects.Instance.get_by_uuid',
            side_effect=lambda ctxt, uuid: self.instance)).mock

    def confirm_failing(self):
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1, errmsg='SMAPI down')
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.src.calls[:] = []
        self.src.answers.pop('guest_delete')

    def retry(self):
        return leftover_guests.retry(self.ctxt, HOST, self.src_ops._guest)

    def test_failed_confirm_records_the_source_guest(self):
        self.confirm_failing()
        self.assertEqual({USERID: self.instance.uuid},
                         leftover_guests.pending(HOST))
        # Each compute host has its own ledger.
        self.assertEqual({}, leftover_guests.pending('cmp2'))

    def test_periodic_retry_deletes_it_and_forgets_it(self):
        self.confirm_failing()
        self.assertEqual([USERID], self.retry())
        self.assertTrue(self.src.made('guest_delete', USERID))
        self.assertEqual(1, self.src.count())
        self.assertEqual({}, leftover_guests.pending(HOST))
        # The ledger file goes once empty.
        self.assertFalse(os.path.exists(leftover_guests.ledger_path(HOST)))

    def test_nothing_recorded_asks_nothing(self):
        self.assertEqual([], self.retry())
        self.assertEqual(0, self.src.count())
        self.get_instance.assert_not_called()

    def test_a_failed_retry_keeps_it_for_the_next_round(self):
        self.confirm_failing()
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1, errmsg='SMAPI down')
        self.assertEqual([], self.retry())
        self.assertEqual({USERID: self.instance.uuid},
                         leftover_guests.pending(HOST))

    def test_guest_already_gone_is_forgotten(self):
        self.confirm_failing()
        # rs 3: gone from the z/VM directory.
        self.src.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', USERID, rs=3)
        self.retry()
        self.assertEqual({}, leftover_guests.pending(HOST))

    def test_guest_of_a_deleted_instance_is_deleted(self):
        self.confirm_failing()
        self.get_instance.side_effect = exception.InstanceNotFound(
            instance_id=self.instance.uuid)
        self.assertEqual([USERID], self.retry())

    def test_server_back_on_this_host_keeps_its_guest(self):
        self.confirm_failing()
        self.instance.host = HOST
        self.assertEqual([], self.retry())
        self.assertEqual(0, self.src.count())
        self.assertEqual({}, leftover_guests.pending(HOST))

    def test_server_in_a_task_waits(self):
        self.confirm_failing()
        self.instance.task_state = task_states.RESIZE_MIGRATING
        self.assertEqual([], self.retry())
        self.assertEqual(0, self.src.count())
        self.assertEqual({USERID: self.instance.uuid},
                         leftover_guests.pending(HOST))

    def test_unreadable_ledger_is_no_error(self):
        os.makedirs(self.images, exist_ok=True)
        with open(leftover_guests.ledger_path(HOST), 'w') as f:
            f.write('{not json')
        self.assertEqual({}, leftover_guests.pending(HOST))
        self.assertEqual([], self.retry())
        os.unlink(leftover_guests.ledger_path(HOST))

    def test_record_that_cannot_be_written_says_so(self):
        # image_tmp_path is a file: nothing can be written under it.
        with open(os.path.join(self.tmp, 'file'), 'w'):
            pass
        self.flags(image_tmp_path=os.path.join(self.tmp, 'file'),
                   group='zvm')
        self.assertFalse(leftover_guests.record(HOST, USERID, 'uuid'))

    def test_driver_resource_update_retries(self):
        self.confirm_failing()
        # The driver's parts this needs, without its start-up checks.
        drv = driver.ZVMDriver.__new__(driver.ZVMDriver)
        drv._hostname = HOST
        drv._guest = self.src_ops._guest
        drv._host = mock.Mock()
        drv._volume = mock.Mock()
        drv.get_available_resource('ZVMHOST1')
        drv._host.get_available_resource.assert_called_once_with('ZVMHOST1')
        self.assertEqual({}, leftover_guests.pending(HOST))
        self.assertTrue(self.src.made('guest_delete', USERID))
        self.assertEqual(1, self.src.count())
