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


"""What is left after failures, found and removed through Nova."""

from nova import context as nova_context
from nova import objects

from nova_zvm.tests.functional import base


class LeftoverGuestTestCase(base.ZVMFunctionalTestCase):

    def test_guest_of_a_deleted_instance_is_found_and_reaped(self):
        server = self.boot()
        ctxt = nova_context.get_admin_context()
        # The instance is deleted in Nova's database only (as a delete
        # while nova-compute was down does): its guest lives on.
        objects.Instance.get_by_uuid(ctxt, server['id']).destroy()
        self.assertIn(self.userid(server), self.admin().inventory()['guests'])
        manager = self.computes['compute1'].manager
        self.assertEqual([server['id']],
                         manager.driver.list_instance_uuids())
        # Nova's periodic task finds it through the driver and reaps it.
        self.flags(running_deleted_instance_action='reap',
                   running_deleted_instance_timeout=0)
        with nova_context.target_cell(
                ctxt, self.host_mappings['compute1'].cell_mapping) as cctxt:
            manager._cleanup_running_deleted_instances(cctxt)
        self.assertEqual({}, self.admin().inventory()['guests'])
        self.assertEqual([], manager.driver.list_instance_uuids())

    def test_soft_reboot_of_a_guest_stopped_behind_nova_starts_it(self):
        server = self.boot()
        self.admin().power_off(self.userid(server))
        self._reboot_server(server, hard=False)
        self.assertEqual('on', self.guest(server)['power_state'])
        server = self.api.get_server(server['id'])
        self.assertEqual(1, server['OS-EXT-STS:power_state'])
        self._delete_server(server)
