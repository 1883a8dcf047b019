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

"""A volume_detach whose answer is lost is decided on z/VM (volume/fcp.py)."""

from nova import context
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm.volume import ops as volume_ops

USERID = vol_fakes.USERID
TMPL = vol_fakes.TMPL
DEVS = ('1a00', '1b00')


class LostDetachAnswerTestCase(test.NoDBTestCase):

    def setUp(self):
        super(LostDetachAnswerTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        # Two volumes on the guest's devices: two connections each.
        self.db = vol_fakes.FCPDatabase(**{
            '1a00': [USERID, 1, 2, TMPL], '1b00': [USERID, 1, 2, TMPL]})
        self.client = fakes.FakeClient(
            get_volume_connector=vol_fakes.connector_answer(),
            volume_detach=self.detach_then_lose_the_answer,
            **self.db.answers())
        self.ops = volume_ops.VolumeOps(self.client)
        self.instance = fake_instance.fake_instance_obj(
            context.get_admin_context(), id=1)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    def detach_then_lose_the_answer(self, request):
        self.count_down(request)
        raise fakes.unreachable('volume_detach')

    def count_down(self, request):
        # What zvmsdk's detach does, whichever LUN it is asked about.
        for dev in request['zvm_fcp']:
            self.db.rows[dev][2] -= 1

    def connections(self):
        return [self.db.rows[d][2] for d in DEVS]

    def detach(self):
        self.ops.detach_volume(self.instance, vol_fakes.stashed_info(),
                               '/dev/vdb')

    def test_detach_that_ran_is_a_detach(self):
        self.detach()
        self.assertEqual(1, self.client.count('volume_detach'))
        # The other volume keeps its connection.
        self.assertEqual([1, 1], self.connections())

    def test_detach_that_did_not_run_fails(self):
        self.client.answers['volume_detach'] = fakes.unreachable(
            'volume_detach')
        self.assertRaises(zvm_exc.ConnectorUnreachable, self.detach)
        self.assertEqual([2, 2], self.connections())
        # Nova keeps the volume attached; a retry detaches it.
        self.client.answers['volume_detach'] = self.count_down
        self.detach()
        self.assertEqual([1, 1], self.connections())

    def _lose_answer_and_counts(self):
        # The counts before the call are read, those after are not.
        self.client.answers['get_fcp_usage'] = fakes.Seq([
            self.db.get_fcp_usage, self.db.get_fcp_usage,
            fakes.unreachable('get_fcp_usage')])
        self.assertRaises(zvm_exc.ConnectorUnreachable, self.detach)
        self.client.answers.update(self.db.answers())

    def test_retry_of_a_detach_that_ran_never_counts_down_again(self):
        self._lose_answer_and_counts()
        self.assertEqual([1, 1], self.connections())
        self.client.answers['volume_detach'] = self.count_down
        self.detach()
        # Not sent again: it would take the other volume's connection.
        self.assertEqual(1, self.client.count('volume_detach'))
        self.assertEqual([1, 1], self.connections())

    def test_retry_of_a_detach_that_did_not_run_detaches(self):
        self.client.answers['volume_detach'] = fakes.unreachable(
            'volume_detach')
        self._lose_answer_and_counts()
        self.assertEqual([2, 2], self.connections())
        self.client.answers['volume_detach'] = self.count_down
        self.detach()
        self.assertEqual(2, self.client.count('volume_detach'))
        self.assertEqual([1, 1], self.connections())
