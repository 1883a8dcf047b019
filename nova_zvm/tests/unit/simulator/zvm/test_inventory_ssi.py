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

"""The admin inventory of SSI members, CPUs, reboots and image payloads.

The inventory reads the connector's database through zvmsdk; here each
member's database is a list of userids (the connector is not built).
"""

import hashlib
import os
import time
import types

import fixtures
from oslotest import base as test_base

from nova_zvm.simulator import images as sim_images
from nova_zvm.simulator.zvm import guestos
from nova_zvm.simulator.zvm import inventory
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system

USER = 'USER %s LBYONLY 512M 2G G'


class FakeDBInventory(inventory.Inventory):
    """An Inventory whose connector database is ``self.db``."""

    def __init__(self, zvm, db=()):
        super(FakeDBInventory, self).__init__(
            types.SimpleNamespace(zvm=zvm, api=None))
        self.db = list(db)

    def connector_guests(self):
        return list(self.db)

    def _images(self):
        return {}

    def _fcp(self):
        return {}


class InventoryTestCase(test_base.BaseTestCase):

    def setUp(self):
        super(InventoryTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.shared = os.path.join(self.tmp, 'ssi', 'shared')

    def member(self, name, ssi_name='SSI1'):
        shared = self.shared if ssi_name else None
        st = zvm_state.ZVMState(os.path.join(self.tmp, name, 'zvm'),
                                shared, system=name, ssi_name=ssi_name,
                                zcc_userid='ZCC' + name[-1])
        zvm = system.FakeZVM(st)
        zvm.setup()
        return zvm

    @staticmethod
    def define(zvm, userid, logged_on=None, lines=()):
        record = zvm.state.new_user(userid, [USER % userid] + list(lines))
        record['logged_on'] = logged_on
        zvm.state.put_user(record)

    def test_ssi_members_show_their_own_guests(self):
        a, b = self.member('MEMBA'), self.member('MEMBB')
        # Running on A, managed by A; relocated to B, managed by B; stopped
        # and managed by B; left by everyone (a leak).
        self.define(a, 'RUNA', logged_on='MEMBA')
        self.define(a, 'MOVED', logged_on='MEMBB')
        self.define(a, 'STOPB')
        self.define(a, 'ORPHAN')
        inv_a = FakeDBInventory(a, db=['RUNA']).inventory()
        inv_b = FakeDBInventory(b, db=['MOVED', 'STOPB']).inventory()
        self.assertEqual(['RUNA'], sorted(inv_a['guests']))
        self.assertEqual(['MOVED', 'STOPB'], sorted(inv_b['guests']))
        self.assertEqual('MEMBB', inv_b['guests']['MOVED']['location'])
        self.assertEqual('on', inv_b['guests']['MOVED']['power_state'])
        # One shared directory, with where each guest is logged on.
        directory = {'RUNA': 'MEMBA', 'MOVED': 'MEMBB', 'STOPB': None,
                     'ORPHAN': None}
        self.assertEqual(directory, inv_a['directory'])
        self.assertEqual(directory, inv_b['directory'])

    def test_a_guest_running_here_unknown_to_the_connector_is_shown(self):
        a = self.member('MEMBA')
        self.define(a, 'STRAY', logged_on='MEMBA')
        guests = FakeDBInventory(a).inventory()['guests']
        self.assertFalse(guests['STRAY']['in_connector'])

    def test_a_system_outside_an_ssi_shows_its_whole_directory(self):
        z = self.member('ZVMHOST1', ssi_name=None)
        self.define(z, 'LEFT')
        inv = FakeDBInventory(z).inventory()
        self.assertEqual(['LEFT'], sorted(inv['guests']))
        self.assertEqual({'LEFT': None}, inv['directory'])

    def test_vcpus_are_the_cpus_of_the_next_logon(self):
        z = self.member('ZVMHOST1', ssi_name=None)
        # A guest made with two CPUs, then resized by the connector (CPU
        # statements): addresses 00 and 01 count once.
        self.define(z, 'G1', lines=[
            'MACHINE ESA 4', 'COMMAND DEFINE CPU 00 TYPE IFL',
            'COMMAND DEFINE CPU 01 TYPE IFL', 'CPU 00', 'CPU 01', 'CPU 02'])
        inv = FakeDBInventory(z, db=['G1'])
        self.assertEqual(3, inv.guest_record('G1')['vcpus'])

    def test_a_reboot_whose_time_has_come_is_a_boot(self):
        z = self.member('ZVMHOST1', ssi_name=None)
        self.define(z, 'G1', logged_on='ZVMHOST1')
        with open(z.state.disk_path('G1', '0100'), 'wb') as f:
            f.write(b'a root file system')
        with z.state.update_user('G1') as record:
            record['logon_time'] = time.time()
        guestos.boot(z, 'G1')
        inv = FakeDBInventory(z, db=['G1'])
        self.assertEqual(1, inv.guest_record('G1')['boots'])
        with z.state.update_user('G1') as record:
            guestos.halt(z, record, reboot=True)
            # Its time has come.
            record['guest']['up_at'] = time.time() - 1
        self.assertEqual(2, inv.inventory()['guests']['G1']['boots'])
        self.assertEqual(2, inv.guest_record('G1')['boots'])

    def test_image_payload_digest_is_the_deployed_disk_content(self):
        path = os.path.join(self.tmp, '0100')
        sim_images.write_image(path, 'ECKD', '10', payload=b'root fs')
        self.assertEqual(hashlib.sha256(b'root fs').hexdigest(),
                         inventory.payload_digest(path))
        self.assertIsNone(inventory.payload_digest(path + '.missing'))
