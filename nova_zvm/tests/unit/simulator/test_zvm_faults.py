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

"""Fault rules at the SMT seam: z/VM fails, the real connector answers.

A ``zvm_error`` rule makes the fake z/VM fail a named SMAPI API or z/VM
program; the answer through the REST API is whatever zvmsdk's and
smtLayer's real code make of that failure.
"""

import time

from nova_zvm.tests.unit.simulator import base


class ZVMFaultsTestCase(base.SimulatorTestCase):

    def guest(self, userid, power='off'):
        self.assertAnswer(self.call('guest_create', userid, 1, 512,
                                    disk_list=base.ROOT_DISK), 0)
        self.addCleanup(self.call, 'guest_delete', userid)
        if power == 'on':
            self.assertAnswer(self.call('guest_start', userid), 0)

    def codes(self, answer):
        return tuple(answer[k] for k in ('overallRC', 'modID', 'rc', 'rs'))

    def test_smapi_api_fails_with_its_rc_rs(self):
        self.guest('ZF1')
        self.admin.add_fault('Image_Activate:zvm_error,rc=200,rs=12,times=1')
        answer = self.call('guest_start', 'ZF1')
        # smtLayer's invokeSMCLI: overallRC 8 with SMAPI's rc/rs; zvmsdk's
        # SDKSMTRequestFailed sets modID 1 (smt).
        self.assertEqual((8, 1, 200, 12), self.codes(answer), answer)
        self.assertEqual('off', self.admin.guest('ZF1')['power_state'])
        self.assertEqual(
            1, self.admin.counters()['faults_injected'].get(
                'Image_Activate:zvm_error'))
        # The rule expired: z/VM answers again.
        self.assertAnswer(self.call('guest_start', 'ZF1'), 0)

    def test_already_active_is_not_a_failure_for_smtlayer(self):
        # SMAPI's 200/8 (image already active) is what smtLayer's
        # powerVM.activate turns into success: the rule proves the answer
        # is the connector's, not the simulator's.
        self.guest('ZF2')
        self.admin.add_fault('Image_Activate:zvm_error,rc=200,rs=8,times=1')
        self.assertAnswer(self.call('guest_start', 'ZF2'), 0)

    def test_program_fails_with_its_exit_code(self):
        self.guest('ZF3', power='on')
        self.admin.add_fault({'api': 'vmur', 'action': 'zvm_error',
                              'rc': 1, 'output': 'vmur: Reader not ready',
                              'times': 1})
        answer = self.call('guest_get_console_output', 'ZF3')
        # smtLayer's getVM.getConsole: a failed 'vmur list' is message
        # 0408 (overallRC 4, rc 4, rs 408); zvmsdk adds modID 1 (smt).
        self.assertEqual((4, 1, 4, 408), self.codes(answer), answer)
        self.assertAnswer(self.call('guest_get_console_output', 'ZF3'), 0)

    def test_connector_rules_do_not_reach_zvm_and_back(self):
        self.guest('ZF4')
        # 'all' is every sdkserver API, never a z/VM program; a zvm_error
        # rule never answers an sdkserver API of the same name.
        self.admin.add_fault('guest_start:zvm_error,rc=1')
        self.assertAnswer(self.call('guest_start', 'ZF4'), 0)
        self.assertEqual({}, self.admin.counters()['faults_injected'])


class ZVMLatencyTestCase(base.SimulatorTestCase):
    """--zvm-latency: what a z/VM operation costs, seen through REST."""

    options = {'zvm_latency': ['*=0', 'Image_Activate=0.6'],
               'time_scale': 0.5}

    def test_an_operation_costs_its_latency_times_the_time_scale(self):
        self.assertAnswer(self.call('guest_create', 'ZL1', 1, 512,
                                    disk_list=base.ROOT_DISK), 0)
        self.addCleanup(self.call, 'guest_delete', 'ZL1')
        start = time.monotonic()
        self.assertAnswer(self.call('guest_get_power_state', 'ZL1'), 0)
        self.assertLess(time.monotonic() - start, 0.3)
        start = time.monotonic()
        self.assertAnswer(self.call('guest_start', 'ZL1'), 0)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
