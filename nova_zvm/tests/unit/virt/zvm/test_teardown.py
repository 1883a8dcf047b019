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

"""Unit tests of nova_zvm.virt.zvm.teardown: what deleting a server does.

Each part is a mock here: what reaches the connector through the real parts
is tested with the driver in volume/test_ops (volumes and FCP devices),
test_evacuate (a server evacuated away), migration/test_ops and
migration/test_rootimage (a same-host revert, a kept image).
"""

from unittest import mock

from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.virt.zvm import teardown

HOST = 'cmp1'


class TeardownTestCase(test.NoDBTestCase):

    def setUp(self):
        super(TeardownTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.guest = mock.Mock()
        self.migration = mock.Mock()
        self.migration.keeps_guest_on_destroy.return_value = False
        self.evacuate = mock.Mock()
        self.evacuate.moved_away.return_value = False
        self.volume = mock.Mock()
        self.ops = teardown.Teardown(self.guest, self.migration,
                                     self.evacuate, self.volume)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host=HOST)
        self.bdi = {'block_device_mapping': []}

    def destroy(self):
        self.ops.destroy(self.ctxt, self.instance, self.bdi, HOST)

    def test_deletes_the_guest_and_what_is_kept_for_it(self):
        self.destroy()
        self.guest.destroy.assert_called_once_with(self.instance)
        self.migration.delete_kept_image.assert_called_once_with(
            self.instance)
        self.volume.forget_volumes.assert_called_once_with(self.instance,
                                                           self.bdi)
        self.volume.reservations.release_guest.assert_called_once_with(
            'OS000001', gone=True)
        self.evacuate.forget.assert_not_called()

    def test_same_host_revert_keeps_the_guest(self):
        self.migration.keeps_guest_on_destroy.return_value = True
        self.destroy()
        self.migration.keeps_guest_on_destroy.assert_called_once_with(
            self.ctxt, self.instance)
        self.guest.destroy.assert_not_called()
        self.migration.delete_kept_image.assert_not_called()
        self.volume.forget_volumes.assert_not_called()
        self.volume.reservations.release_guest.assert_not_called()

    def test_evacuated_away_is_forgotten_not_deleted(self):
        self.evacuate.moved_away.return_value = True
        self.destroy()
        self.evacuate.moved_away.assert_called_once_with(self.instance, HOST)
        self.evacuate.forget.assert_called_once_with(self.instance)
        self.guest.destroy.assert_not_called()
        self.volume.forget_volumes.assert_not_called()
        self.volume.reservations.release_guest.assert_not_called()

    def test_guest_failure_is_raised_before_anything_else(self):
        self.guest.destroy.side_effect = exception.NovaException('SMAPI')
        self.assertRaises(exception.NovaException, self.destroy)
        # The guest may still use its volumes and devices: kept.
        self.volume.forget_volumes.assert_not_called()
        self.volume.reservations.release_guest.assert_not_called()

    def test_volume_failure_once_the_guest_is_gone_is_logged_only(self):
        self.volume.forget_volumes.side_effect = exception.NovaException(
            'volume_detach failed')
        with mock.patch.object(teardown.LOG, 'error') as log_error:
            self.destroy()
        self.assertIn('by hand', log_error.call_args[0][0])
        # Whatever the connector holds for the guest is still released.
        self.volume.reservations.release_guest.assert_called_once_with(
            'OS000001', gone=True)
