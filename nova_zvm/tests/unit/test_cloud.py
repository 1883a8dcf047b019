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

"""The tour's and functional tests' cloud: guest names per process."""

import re
import subprocess
import sys

from nova import test

from nova_zvm import cloud


class GuestNamePrefixTestCase(test.NoDBTestCase):

    def test_prefix_is_a_valid_userid_start_and_stable(self):
        prefix = cloud.name_prefix()
        self.assertRegex(prefix, r'^O[A-Z]$')
        self.assertEqual(prefix, cloud.name_prefix())
        self.assertEqual(prefix + '00001F', cloud.guest_name(31))

    def test_processes_running_together_get_different_prefixes(self):
        mine = cloud.name_prefix()
        other = subprocess.run(
            [sys.executable, '-c',
             'from nova_zvm import cloud; print(cloud.name_prefix())'],
            check=True, capture_output=True, text=True).stdout.strip()
        self.assertTrue(re.match(r'^O[A-Z]$', other), other)
        self.assertNotEqual(mine, other)
