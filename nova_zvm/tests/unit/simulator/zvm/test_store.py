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

import os

import fixtures
import testtools

from nova_zvm.simulator.zvm import store


class JSONTestCase(testtools.TestCase):

    def test_write_is_atomic_and_leaves_no_temporary(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'x.json')
        store.write_json(path, {'a': 1})
        store.write_json(path, {'a': 2})
        self.assertEqual({'a': 2}, store.read_json(path))
        self.assertEqual(['x.json'], os.listdir(tmp))
        self.assertEqual('d', store.read_json(path + '.missing', 'd'))

    def test_remove_and_makedirs_accept_what_exists(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'a', 'b')
        store.makedirs(path, path)
        self.assertTrue(os.path.isdir(path))
        store.remove(os.path.join(path, 'gone.json'))
        store.write_json(os.path.join(path, 'x.json'), [1])
        store.remove(os.path.join(path, 'x.json'))
        self.assertEqual([], os.listdir(path))
