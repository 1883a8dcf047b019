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

from nova import exception
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.virt.zvm import names


class UseridTestCase(test.NoDBTestCase):

    def test_valid_userids(self):
        for name in ('A', 'OS000001', 'os00abcd', 'X_1', '12345678'):
            self.assertTrue(names.is_valid_userid(name), name)

    def test_invalid_userids(self):
        for name in ('', 'OS0000001', 'inst-001', 'a b', 'é', 'A.B', None):
            self.assertFalse(names.is_valid_userid(name), name)

    def test_userid_is_upper_case_instance_name(self):
        self.flags(instance_name_template='os%06x')
        inst = fake_instance.fake_instance_obj(None, id=0x2a)
        self.assertEqual('OS00002A', names.userid(inst))

    def test_userid_refuses_long_names(self):
        self.flags(instance_name_template='instance-%08x')
        inst = fake_instance.fake_instance_obj(None, id=1)
        err = self.assertRaises(exception.InvalidInput, names.userid, inst)
        self.assertIn('instance-00000001', str(err))
        self.assertIn('instance_name_template', str(err))


class NameTemplateTestCase(test.NoDBTestCase):

    def test_good_templates(self):
        for tpl in ('OS%06x', 'ZV%06d', '%08x', 'A%07X'):
            self.assertIsNone(names.check_name_template(tpl), tpl)

    def test_nova_default_template_is_refused(self):
        reason = names.check_name_template('instance-%08x')
        self.assertIn("'instance-00000001'", reason)

    def test_template_overflowing_before_a_million_is_refused(self):
        reason = names.check_name_template('OSX%04d')
        self.assertIn('999999', reason)

    def test_uuid_template_is_refused(self):
        reason = names.check_name_template('%(uuid)s')
        self.assertIn('must format the instance id', reason)

    def test_bad_characters_refused(self):
        self.assertIsNotNone(names.check_name_template('O-%05x'))


class InstanceNameTestCase(test.NoDBTestCase):

    def test_round_trip_of_the_template(self):
        for template in ('OS%06x', 'os%06x', 'vm%d', 'Z%05X'):
            for number in (1, 10, 255, 99999):
                name = template % number
                self.assertEqual(name, names.instance_name(name.upper(),
                                                           template))

    def test_guests_of_others_are_not_ours(self):
        for uid in ('ZCCUSER', 'OT000001', 'OS00001', 'OS0000001',
                    'OSZZZZZZ', 'OS'):
            self.assertIsNone(names.instance_name(uid, 'OS%06x'), uid)

    def test_template_without_a_number(self):
        self.assertIsNone(names.instance_name('OS000001', 'OS'))
