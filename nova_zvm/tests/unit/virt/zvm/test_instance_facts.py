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

from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.virt.zvm import instance_facts


class OsDistroTestCase(test.NoDBTestCase):

    def test_read_from_the_image_properties_nova_recorded(self):
        inst = fake_instance.fake_instance_obj(
            None, expected_attrs=['system_metadata'],
            system_metadata={'image_os_distro': 'rhel9.2'})
        self.assertEqual('rhel9.2', instance_facts.os_distro(inst))

    def test_none_when_not_recorded(self):
        inst = fake_instance.fake_instance_obj(
            None, expected_attrs=['system_metadata'], system_metadata={})
        self.assertIsNone(instance_facts.os_distro(inst))


class EphemeralFormatTestCase(test.NoDBTestCase):

    def test_the_mapping_wins(self):
        self.flags(default_ephemeral_format='ext4')
        self.flags(default_ephemeral_format='xfs', group='zvm')
        self.assertEqual('ext3', instance_facts.ephemeral_format(
            {'guest_format': 'ext3'}))

    def test_nova_default_before_the_zvm_default(self):
        self.flags(default_ephemeral_format='ext4')
        self.flags(default_ephemeral_format='xfs', group='zvm')
        self.assertEqual('ext4', instance_facts.ephemeral_format({}))

    def test_zvm_default_last(self):
        self.flags(default_ephemeral_format=None)
        self.flags(default_ephemeral_format='xfs', group='zvm')
        self.assertEqual('xfs', instance_facts.ephemeral_format(
            {'guest_format': None}))
