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

"""The simulator page documents what the admin inventory returns."""

import os

import fixtures
from oslotest import base as test_base

from nova_zvm.tests.unit.simulator.zvm import test_inventory_ssi

DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..',
                   'doc', 'source', 'simulator.rst')


class InventoryDocTestCase(test_base.BaseTestCase):

    member = test_inventory_ssi.InventoryTestCase.member
    define = staticmethod(test_inventory_ssi.InventoryTestCase.define)

    def setUp(self):
        super(InventoryDocTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.shared = None

    def admin_section(self):
        with open(DOC) as f:
            text = f.read()
        start = text.index('The admin endpoint\n')
        return text[start:text.index('Counters (', start)]

    def test_every_key_is_documented(self):
        z = self.member('ZVMHOST1', ssi_name=None)
        self.define(z, 'DOC1')
        inv = test_inventory_ssi.FakeDBInventory(z).inventory()
        section = self.admin_section()
        keys = set(inv) | set(inv['guests']['DOC1'])
        missing = sorted(k for k in keys if '``%s``' % k not in section)
        self.assertEqual([], missing)

    def test_every_guest_action_is_documented(self):
        section = self.admin_section()
        for action in ('vanish', 'power_off', 'ignore_shutdown'):
            self.assertIn('/_simulator/guests/USERID/%s' % action, section)
