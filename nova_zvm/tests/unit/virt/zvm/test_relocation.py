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

"""Relocation parameters from the [zvm] options."""

from nova import test

from nova_zvm.virt.zvm import relocation


class RelocationParmsTestCase(test.NoDBTestCase):

    def test_relocation_parms(self):
        # z/VM's "no limit" is bounded by the driver's wait.
        self.assertEqual({'maxtotal': 3600, 'maxquiesce': 10},
                         relocation.relocation_parms())
        self.flags(live_migration_max_total=600,
                   live_migration_max_quiesce=-1,
                   live_migration_immediate=True, group='zvm')
        self.assertEqual({'maxtotal': 600, 'maxquiesce': -1,
                          'immediate': 'YES'},
                         relocation.relocation_parms())

    def test_relocation_limit_is_always_bounded_by_the_wait(self):
        self.flags(long_read_timeout=600, group='zvm')
        for configured, sent in ((-1, 600), (0, 600), (300, 300),
                                 (900, 600)):
            self.flags(live_migration_max_total=configured, group='zvm')
            self.assertEqual(sent, relocation.relocation_parms()[
                'maxtotal'])
