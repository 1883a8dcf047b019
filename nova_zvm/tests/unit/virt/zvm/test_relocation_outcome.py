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

"""Unit tests of nova_zvm.virt.zvm.relocation_outcome.

The whole relocation (recover, post, raise) is tested through
``LiveMigrationOps.live_migration`` in test_live_migration.
"""

import fixtures
from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import relocation_outcome as outcome

USERID = 'OS000001'


class WhereIsTheGuestTestCase(test.NoDBTestCase):

    def setUp(self):
        super(WhereIsTheGuestTestCase, self).setUp()
        self.client = fakes.FakeClient(guest_get_power_state='on')
        # A clock that only the polling sleep moves.
        self.now = [1000.0]
        self.useFixture(fixtures.MockPatch(
            'nova_zvm.virt.zvm.relocation_outcome.time.monotonic',
            side_effect=lambda: self.now[0]))
        self.sleeps = []

    def _sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now[0] += seconds

    def _gone(self):
        return fakes.guest_not_found('guest_get_power_state', USERID)

    def test_still_here(self):
        self.assertIs(False, outcome.left_this_system(self.client, USERID))
        self.assertTrue(self.client.made('guest_get_power_state', USERID))

    def test_gone(self):
        self.client.answers['guest_get_power_state'] = self._gone()
        self.assertIs(True, outcome.left_this_system(self.client, USERID))

    def test_unknown(self):
        self.client.answers['guest_get_power_state'] = fakes.unreachable(
            'guest_get_power_state')
        self.assertIsNone(outcome.left_this_system(self.client, USERID))

    def test_refused_move_asks_once_without_waiting(self):
        err = fakes.connector_error('guest_live_migrate', 300, 1)
        self.assertIs(False, outcome.after_failed_move(
            self.client, USERID, err, self.now[0], self._sleep))
        self.assertEqual(1, self.client.count('guest_get_power_state'))
        self.assertEqual([], self.sleeps)

    def test_unanswered_move_polls_until_the_guest_left(self):
        self.client.answers['guest_get_power_state'] = fakes.Seq(
            ['on', 'on', self._gone()])
        err = fakes.unreachable('guest_live_migrate')
        self.assertIs(True, outcome.after_failed_move(
            self.client, USERID, err, self.now[0], self._sleep))
        self.assertEqual(3, self.client.count('guest_get_power_state'))
        self.assertEqual([outcome.RELOCATION_POLL_INTERVAL] * 2, self.sleeps)

    def test_unanswered_move_still_here_after_limit_and_grace(self):
        self.flags(long_read_timeout=10, group='zvm')
        err = fakes.unreachable('guest_live_migrate')
        started = self.now[0]
        self.assertIs(False, outcome.after_failed_move(
            self.client, USERID, err, started, self._sleep))
        # Asked until z/VM's limit and the grace period had passed, no
        # longer than one poll more.
        waited = self.now[0] - started
        self.assertGreaterEqual(waited, 10 + outcome.RELOCATION_GRACE)
        self.assertLess(waited, 10 + outcome.RELOCATION_GRACE +
                        outcome.RELOCATION_POLL_INTERVAL)

    def test_unanswered_move_unknown_is_not_waited_for(self):
        self.client.answers['guest_get_power_state'] = fakes.unreachable(
            'guest_get_power_state')
        err = fakes.unreachable('guest_live_migrate')
        self.assertIsNone(outcome.after_failed_move(
            self.client, USERID, err, self.now[0], self._sleep))


class RecordFailureTestCase(test.NoDBTestCase):

    def setUp(self):
        super(RecordFailureTestCase, self).setUp()
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host='cmp1')
        self.fault = self.useFixture(fixtures.MockPatch(
            'nova.compute.utils.add_instance_fault_from_exc')).mock
        self.events = self.useFixture(fixtures.MockPatch(
            'nova.objects.InstanceActionEvent')).mock

    def test_fault_and_failed_event(self):
        err = exception.MigrationError(reason='MAXQUIESCE exceeded')
        outcome.record_failure(self.ctxt, self.instance, err)
        self.fault.assert_called_once_with(self.ctxt, self.instance, err)
        start = self.events.event_start.call_args
        self.assertEqual(outcome.FAILED_MOVE_EVENT, start[0][2])
        finish = self.events.event_finish_with_failure.call_args
        self.assertEqual(outcome.FAILED_MOVE_EVENT, finish[0][2])
        self.assertIs(err, finish[1]['exc_val'])

    def test_failure_to_record_is_logged_only(self):
        self.fault.side_effect = exception.InstanceNotFound(
            instance_id=self.instance.uuid)
        log = self.useFixture(fixtures.MockPatch(
            'nova_zvm.virt.zvm.relocation_outcome.LOG')).mock
        outcome.record_failure(self.ctxt, self.instance,
                               exception.MigrationError(reason='x'))
        self.assertEqual(1, log.warning.call_count)
        self.events.event_finish_with_failure.assert_not_called()
