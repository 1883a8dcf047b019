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

import fixtures
import testtools

# The handlers of every SMAPI API and program register on import.
from nova_zvm.simulator.zvm import connector  # noqa: F401
from nova_zvm.simulator.zvm import latency
from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system


class TableTestCase(testtools.TestCase):

    def test_defaults_cover_every_api_and_program_of_the_fake(self):
        # A new SMAPI API or program gets a cost of its own, not '*'.
        names = set(smcli.api_names()) | set(programs.names()) - {'smcli'}
        self.assertEqual(set(), names - set(latency.DEFAULT_COSTS))

    def test_overrides(self):
        costs = latency.table({'Image_Activate': 3})
        self.assertEqual((3, latency.DEFAULT_COSTS['vmur']),
                         (costs['Image_Activate'], costs['vmur']))
        self.assertEqual({'*': 0, 'vmur': 1},
                         latency.table({'*': 0, 'vmur': 1}))
        self.assertEqual(latency.DEFAULT_COSTS, latency.table())


class DelayTestCase(testtools.TestCase):

    def test_costs_are_compressed_by_the_time_scale(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        sleeps = []
        zvm = system.FakeZVM(zvm_state.ZVMState(tmp),
                             latency=latency.table(), sleep=sleeps.append)
        zvm.time_scale = 0.01
        zvm.setup(disk_pool='ECKD:POOL1', user_profile='OSDFLT')
        rc, _out = zvm.run(['/opt/zthin/bin/smcli', 'Image_Activate',
                            '--addRCheader', '-T', 'NOSUCH'])
        zvm.run(['/sbin/vmcp', 'q', 'cplevel'])
        self.assertNotEqual(0, rc)
        self.assertEqual([0.01, 0.0001], [round(s, 6) for s in sleeps])
