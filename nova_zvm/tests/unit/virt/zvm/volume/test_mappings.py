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

"""The volumes among Nova's block device mappings (volume/mappings.py)."""

from nova import test

from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm.volume import mappings


class MappingsTestCase(test.NoDBTestCase):

    def test_volume_mappings_are_those_with_connection_info(self):
        vol = vol_fakes.bdm(vol_fakes.fc_info())
        local = vol_fakes.bdm(None)
        self.assertEqual([vol], mappings.volume_mappings(
            {'block_device_mapping': [vol, local]}))
        self.assertEqual([], mappings.volume_mappings(None))
        self.assertEqual([], mappings.volume_mappings({}))

    def test_root_by_boot_index_or_root_device_name(self):
        first = vol_fakes.bdm(vol_fakes.fc_info(), '/dev/sda', boot_index=0)
        named = vol_fakes.bdm(vol_fakes.fc_info(), '/dev/sda')
        data = vol_fakes.bdm(vol_fakes.fc_info(), '/dev/vdb')
        bdi = {'root_device_name': '/dev/sda'}
        self.assertTrue(mappings.is_root(first, {}))
        self.assertTrue(mappings.is_root(named, bdi))
        self.assertFalse(mappings.is_root(named, {}))
        self.assertFalse(mappings.is_root(data, bdi))

    def test_save_saves_objects_only(self):
        obj = vol_fakes.FakeBDM(vol_fakes.bdm(vol_fakes.fc_info()))
        mappings.save(obj)
        self.assertEqual(1, obj.saved)
        # A plain dict (Nova's legacy form) has nothing to save.
        mappings.save(vol_fakes.bdm(vol_fakes.fc_info()))
