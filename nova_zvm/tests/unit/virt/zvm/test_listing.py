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

from unittest import mock

from nova import exception
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import listing
from nova_zvm.virt.zvm import powerstate


class ListingTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ListingTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient()
        self.guest = mock.Mock()
        self.evacuate = mock.Mock()
        self.listing = listing.Listing(powerstate.PowerStates(self.client),
                                       self.guest, self.evacuate)

    def test_names_of_this_services_guests_only(self):
        self.client.answers['guest_list'] = ['OS00000A', 'ZCCUSER', 'OS0000FF']
        # As Nova names them (%x: lower-case hex), not as z/VM answers.
        self.assertEqual(['OS00000a', 'OS0000ff'],
                         self.listing.instance_names('compute1'))

    def test_uuids_include_those_evacuated_from_here(self):
        self.guest.list_instance_uuids.return_value = ['u1']
        self.evacuate.evacuated_uuids.return_value = ['u2']
        self.assertEqual(['u1', 'u2'],
                         self.listing.instance_uuids('compute1'))
        self.guest.list_instance_uuids.assert_called_once_with('compute1')
        self.evacuate.evacuated_uuids.assert_called_once_with('compute1')

    def test_no_uuids_while_the_connector_cannot_answer(self):
        for err in (fakes.unreachable('guest_list'),
                    zvm_exc.ConnectorConfigError(
                        'guest_list', {'errmsg': 'certificate'},
                        option='[zvm] ca_file')):
            self.guest.list_instance_uuids.side_effect = err
            self.assertEqual([], self.listing.instance_uuids('compute1'))

    def test_other_failures_are_told(self):
        self.guest.list_instance_uuids.side_effect = fakes.guest_not_found(
            'guest_list', 'OS000001')
        self.assertRaises(exception.InstanceNotFound,
                          self.listing.instance_uuids, 'compute1')
