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

"""Tests of what z/VM is asked after a call without an answer."""

from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import unanswered

DISKS = [{'size': '10g', 'is_boot_disk': True},
         {'size': '1g', 'format': 'ext4'}]


def directory(*mdisks):
    return {'user_direct': ['USER OS000001 LBYONLY 2048M 2048M G',
                            'CPU 00 BASE'] +
            ['MDISK %s 3390 1 100 POOL1 MR' % vdev for vdev in mdisks]}


class OutcomeUnknownTestCase(test.NoDBTestCase):

    def test_lost_answer_is_unknown(self):
        self.assertTrue(unanswered.outcome_unknown(
            fakes.unreachable('guest_deploy')))

    def test_never_sent_is_known(self):
        err = fakes.unreachable('guest_deploy')
        err.not_executed = True
        self.assertFalse(unanswered.outcome_unknown(err))

    def test_an_answer_is_known(self):
        self.assertFalse(unanswered.outcome_unknown(
            fakes.connector_error('guest_deploy', 300, 5)))


class CreatedDisksTestCase(test.NoDBTestCase):

    def setUp(self):
        super(CreatedDisksTestCase, self).setUp()
        self.client = fakes.FakeClient()

    def test_all_minidisks_defined_gives_their_vdevs_in_order(self):
        self.client.answers['guest_get_definition_info'] = directory(
            '0101', '0100')
        self.assertEqual(
            [dict(DISKS[0], vdev='0100'), dict(DISKS[1], vdev='0101')],
            unanswered.created_disks(self.client, 'OS000001', DISKS))

    def test_some_minidisks_missing_is_not_created(self):
        self.client.answers['guest_get_definition_info'] = directory('0100')
        self.assertIsNone(unanswered.created_disks(self.client, 'OS000001',
                                                   DISKS))

    def test_unknown_guest_is_not_created(self):
        self.client.answers['guest_get_definition_info'] = (
            fakes.guest_not_found('guest_get_definition_info', 'OS000001'))
        self.assertIsNone(unanswered.created_disks(self.client, 'OS000001',
                                                   DISKS))

    def test_guest_not_in_the_directory_is_not_created(self):
        self.client.answers['guest_get_definition_info'] = (
            zvm_exc.from_result('guest_get_definition_info', {
                'overallRC': 8, 'modID': 1, 'rc': 200, 'rs': 4}))
        self.assertIsNone(unanswered.created_disks(self.client, 'OS000001',
                                                   DISKS))

    def test_connector_that_cannot_tell_raises(self):
        self.client.answers['guest_get_definition_info'] = (
            fakes.unreachable('guest_get_definition_info'))
        self.assertRaises(zvm_exc.ConnectorUnreachable,
                          unanswered.created_disks, self.client, 'OS000001',
                          DISKS)


class CompleteImageTestCase(test.NoDBTestCase):

    def setUp(self):
        super(CompleteImageTestCase, self).setUp()
        self.client = fakes.FakeClient()

    def test_complete_record(self):
        info = {'imagename': 'img', 'last_access_time': 1.0}
        self.client.answers['image_query'] = [info]
        self.assertEqual(info, unanswered.complete_image(self.client, 'img'))

    def test_record_without_file_is_not_complete(self):
        self.client.answers['image_query'] = [
            {'imagename': 'img', 'last_access_time': -1}]
        self.assertIsNone(unanswered.complete_image(self.client, 'img'))

    def test_no_record(self):
        self.client.answers['image_query'] = zvm_exc.from_result(
            'image_query', {'overallRC': 404, 'modID': 40, 'rs': 1},
            kwargs={'imagename': 'img'})
        self.assertIsNone(unanswered.complete_image(self.client, 'img'))
