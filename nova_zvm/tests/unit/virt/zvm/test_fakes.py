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

"""The unit tests' fake client refuses what the real connector refuses."""

from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes


class FakeClientChecksTestCase(test.NoDBTestCase):

    def test_unknown_api_is_refused(self):
        client = fakes.FakeClient()
        self.assertRaises(fakes.BadConnectorCall, client.call,
                          'guest_create_everything', 'OS000001')
        self.assertEqual([], client.calls)

    def test_answer_for_unknown_api_is_refused(self):
        self.assertRaises(fakes.BadConnectorCall, fakes.FakeClient,
                          guest_teleport=None)

    def test_missing_positional_argument_is_refused(self):
        client = fakes.FakeClient()
        # guest_create needs userid, vcpus and memory.
        self.assertRaises(fakes.BadConnectorCall, client.call,
                          'guest_create', 'OS000001', 1)

    def test_too_many_positional_arguments_are_refused(self):
        client = fakes.FakeClient()
        self.assertRaises(fakes.BadConnectorCall, client.call,
                          'guest_start', 'OS000001', 'extra')

    def test_unknown_keyword_is_refused_by_the_schema(self):
        client = fakes.FakeClient()
        err = self.assertRaises(
            fakes.BadConnectorCall, client.call, 'guest_create',
            'OS000001', 1, 512, disk_list=[{'size': '3g',
                                            'is_boot_disk': True}],
            user_profil='OSDFLT')
        self.assertIn('user_profil', str(err))

    def test_wrong_type_is_refused_by_the_schema(self):
        client = fakes.FakeClient()
        self.assertRaises(fakes.BadConnectorCall, client.call,
                          'guest_start', 'OS000001', timeout='soon')

    def test_action_route_body_is_checked_without_its_action(self):
        client = fakes.FakeClient(guest_softstop='done')
        self.assertEqual('done', client.call(
            'guest_softstop', 'OS000001', timeout=60, poll_interval=10))
        self.assertRaises(fakes.BadConnectorCall, client.call,
                          'guest_softstop', 'OS000001', wait=60)

    def test_valid_call_is_recorded_and_answered(self):
        client = fakes.FakeClient(guest_create={'ok': True})
        self.assertEqual({'ok': True}, client.call(
            'guest_create', 'OS000001', 1, 512,
            disk_list=[{'size': '3g', 'is_boot_disk': True}],
            user_profile='OSDFLT'))
        self.assertEqual(1, client.count('guest_create'))
