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

"""Building the simulator: preloaded guests counted once.

A whole build runs in every simulator process the other tests start
(test_cli.py, zvm/test_preload.py for --guests across restarts).
"""

from nova import test

from nova_zvm.simulator import build


class FakeHypervisor(object):

    def __init__(self, guests):
        self.guests = list(guests)

    def guest_list(self):
        return list(self.guests)

    def preload_guests(self, n, prefix):
        start = len(self.guests) + 1
        self.guests.extend('%s%05d' % (prefix, i)
                           for i in range(start, start + n))


class PreloadTestCase(test.NoDBTestCase):

    def test_tops_up_to_n(self):
        hypervisor = FakeHypervisor(['SIM00001', 'SIM00002', 'OTHER1',
                                     'SIMPLE'])
        build._preload(hypervisor, 5)
        # Only SIM<digits> guests count as preloaded ones.
        self.assertEqual(5, sum(1 for g in hypervisor.guests
                                if g.startswith(build.PRELOAD_PREFIX) and
                                g[3:].isdigit()))

    def test_nothing_added_when_enough_exist(self):
        hypervisor = FakeHypervisor(['SIM00001', 'SIM00002'])
        build._preload(hypervisor, 2)
        build._preload(hypervisor, 0)
        self.assertEqual(['SIM00001', 'SIM00002'], hypervisor.guests)
