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

"""--connector-user's checks; the drop itself is tested end to end in
nova_zvm/tests/functional/test_connector_user.py (it needs root).
"""

import os
import pwd
from unittest import mock

import testtools

from nova_zvm.simulator.zvm import connector_user


class CheckTestCase(testtools.TestCase):

    def test_an_existing_user_it_already_is(self):
        me = os.geteuid()
        name = pwd.getpwuid(me).pw_name
        self.assertEqual(me, connector_user.check(name).pw_uid)

    @mock.patch('os.geteuid', return_value=54321)
    def test_another_user_needs_root(self, _geteuid):
        err = self.assertRaises(connector_user.ConnectorUserError,
                                connector_user.check, 'root')
        self.assertIn('needs root', str(err))

    @mock.patch('os.geteuid', return_value=54321)
    def test_a_missing_user_is_made_only_by_root(self, _geteuid):
        err = self.assertRaises(connector_user.ConnectorUserError,
                                connector_user.check, 'nzsimnone')
        self.assertIn('does not exist', str(err))
