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

"""Per-host ledgers of work to retry (ledger.py)."""

import os

import fixtures
from nova import test

from nova_zvm.virt.zvm import ledger

HOST = 'cmp1'


class HostLedgerTestCase(test.NoDBTestCase):

    def setUp(self):
        super(HostLedgerTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(image_tmp_path=self.tmp, group='zvm')
        self.ledger = ledger.HostLedger('test-%s.json', 'tests')

    def test_put_forget_and_removal_once_empty(self):
        self.ledger.put(HOST, 'a', 1)
        self.ledger.put(HOST, 'b', 2)
        self.assertEqual({'a': 1, 'b': 2}, self.ledger.entries(HOST))
        self.ledger.forget(HOST, 'a')
        self.assertEqual({'b': 2}, self.ledger.entries(HOST))
        self.ledger.forget(HOST, 'b')
        self.assertEqual([], os.listdir(self.tmp))

    def test_unreadable_ledger_is_empty(self):
        with open(self.ledger.path(HOST), 'w') as f:
            f.write('not json')
        self.assertEqual({}, self.ledger.entries(HOST))
