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

from nova.compute import task_states
from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.virt.zvm import rescue
from nova_zvm.virt.zvm import unsupported


class RescueRefusalTestCase(test.NoDBTestCase):

    def test_power_off_for_rescue_is_refused(self):
        instance = fake_instance.fake_instance_obj(
            context.get_admin_context(), task_state=task_states.RESCUING)
        err = self.assertRaises(unsupported.NotSupported,
                                rescue.refuse_rescue_power_off, instance)
        self.assertIn('ipl_from', str(err))
        self.assertIsInstance(err, NotImplementedError)

    def test_other_power_off_goes_on(self):
        instance = fake_instance.fake_instance_obj(
            context.get_admin_context(), task_state=task_states.POWERING_OFF)
        self.assertIsNone(rescue.refuse_rescue_power_off(instance))

    def test_fault_keeps_the_reason(self):
        # Nova keeps 255 characters of "Instance <uuid> cannot be rescued:
        # Driver Error: <message>".
        message = str(exception.InstanceNotRescuable(
            instance_id='x' * 36,
            reason='Driver Error: %s' % unsupported.NotSupported('rescue')))
        self.assertLessEqual(len(message), 255)
