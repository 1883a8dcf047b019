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

"""Nova's power_off contract: a clean stop within the timeout, then hard.

zvmsdk's soft stop signals the guest, waits, polls until its timeout and
then fails (99/1/99/414) while the guest still runs; the driver then logs
the guest off. The simulator's guest OS can be told to ignore the signal,
as a Linux whose shutdown an inhibitor holds.
"""

import time

from nova_zvm.tests.functional import base

# [DEFAULT] shutdown_timeout: how long Nova lets the guest stop cleanly.
SHUTDOWN_TIMEOUT = 20


class PowerOffTestCase(base.ZVMFunctionalTestCase):

    def setUp(self):
        super(PowerOffTestCase, self).setUp()
        self.flags(shutdown_timeout=SHUTDOWN_TIMEOUT)
        self.server = self.boot(name='stop-1')
        self.addCleanup(self._delete_server, self.server)

    def _calls(self):
        return self.admin().counters()['api_calls']

    def test_guest_that_stops_cleanly_is_not_forced(self):
        server = self._stop_server(self.server)
        self.assertEqual(4, server['OS-EXT-STS:power_state'])
        self.assertEqual('off', self.guest(server)['power_state'])
        self.assertEqual(1, self._calls()['guest_softstop'])
        self.assertNotIn('guest_stop', self._calls())

    def test_guest_ignoring_shutdown_is_stopped_hard_in_time(self):
        userid = self.userid(self.server)
        self.admin().ignore_shutdown(userid)
        started = time.monotonic()
        server = self._stop_server(self.server)
        elapsed = time.monotonic() - started
        self.assertEqual('SHUTOFF', server['status'])
        self.assertEqual(4, server['OS-EXT-STS:power_state'])
        self.assertEqual('off', self.guest(server)['power_state'])
        # The clean stop was tried and timed out; z/VM logged it off.
        self.assertEqual(1, self._calls()['guest_softstop'])
        self.assertEqual(1, self._calls()['guest_stop'])
        # Within Nova's timeout (z/VM's waits run at 1/100 of real time;
        # the margin is for a busy machine).
        self.assertLess(elapsed, SHUTDOWN_TIMEOUT)
        # Started again, it is the same guest, still running its OS.
        server = self._start_server(server)
        self.assertEqual('on', self.guest(server)['power_state'])
