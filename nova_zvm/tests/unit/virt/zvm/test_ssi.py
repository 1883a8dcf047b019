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

"""SSI facts as the driver reads them from host_get_ssi_info."""

from nova import test

from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import ssi


JOINED = (('ZVMHOST1', 'Joined'), ('ZVMHOST2', 'Joined'))


def ssi_lines(name='SSI1', members=JOINED):
    lines = ['ssi_name = %s' % name, 'ssi_mode = Stable',
             'ssi_pdr = %s_PDR' % name, 'cross_system_timeouts = Enabled',
             'output.ssiInfoCount = 4', '']
    slots = list(members) + [('', 'Available')] * (4 - len(members))
    for slot, (member, state) in enumerate(slots, 1):
        lines.extend(['member_slot = %d' % slot,
                      'member_system_id = %s' % member,
                      'member_state = %s' % state,
                      'member_pdr_heartbeat = 11/22/2026_00:00:00',
                      'member_received_heartbeat = 11/22/2026_00:00:00', ''])
    return lines


class SSITestCase(test.NoDBTestCase):

    def test_ssi_members(self):
        cluster = ssi.parse_ssi(ssi_lines(members=(
            ('zvmhost1', 'Joined'), ('ZVMHOST2', 'Down'))))
        self.assertEqual({'name': 'SSI1', 'members': {
            'ZVMHOST1': 'Joined', 'ZVMHOST2': 'Down'}}, cluster)

    def test_not_an_ssi_member(self):
        self.assertIsNone(ssi.parse_ssi([]))
        self.assertIsNone(ssi.parse_ssi(None))
        self.assertIsNone(ssi.parse_ssi(['garbage', '']))

    def test_port_macs_as_zvmsdk_matches_them(self):
        vifs = [test_network.make_vif('p1', 'fa:16:3e:0a:0b:0c'),
                test_network.make_vif('p2', 'FA:16:3E:00:00:ff'),
                {'id': 'p3', 'address': None}]
        self.assertEqual({'0A0B0C': 'p1', '0000FF': 'p2'},
                         ssi.port_macs(vifs))

    def test_joined_members_only(self):
        cluster = ssi.parse_ssi(ssi_lines(members=(
            ('ZVMHOST1', 'Joined'), ('ZVMHOST2', 'Isolated'))))
        self.assertTrue(ssi.is_joined(cluster, 'ZVMHOST1'))
        self.assertFalse(ssi.is_joined(cluster, 'ZVMHOST2'))
        self.assertFalse(ssi.is_joined(cluster, 'ZVMHOST9'))
