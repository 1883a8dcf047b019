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

"""Spawn's rollback and its calls without an answer, on a small fake z/VM.

The fake keeps the guests the connector was left with (and their
minidisks), so each test asserts what is kept, not which calls were made.
"""

import fixtures
from nova import exception
from nova import objects

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_guest
from nova_zvm.tests.unit.virt.zvm import test_spawn
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import undo

IMAGE_ID = test_guest.IMAGE_ID
USERID = 'OS000001'


class FakeZVM(object):
    """Guests with their minidisks, behind a FakeClient."""

    def __init__(self, client):
        self.guests = {}
        self.started = set()
        client.answers.update(
            guest_create=self.create, guest_delete=self.delete,
            guest_get_definition_info=self.definition,
            guest_deploy=None, guest_start=self.start)

    def create(self, userid, vcpus, memory, disk_list=None, **kwargs):
        disks = [dict(d, vdev='%04X' % (0x100 + i))
                 for i, d in enumerate(disk_list or [])]
        self.guests[userid] = disks
        return disks

    def delete(self, userid):
        self.guests.pop(userid, None)
        self.started.discard(userid)

    def start(self, userid):
        self.started.add(userid)

    def definition(self, userid):
        if userid not in self.guests:
            # SMAPI's "no such guest", as smtLayer answers it.
            raise zvm_exc.from_result('guest_get_definition_info', {
                'overallRC': 8, 'modID': 1, 'rc': 400, 'rs': 4,
                'errmsg': 'not found', 'output': ''}, (userid,))
        lines = ['USER %s LBYONLY 2048M 2048M G' % userid]
        lines.extend('MDISK %s 3390 1 100 POOL1 MR' % d['vdev']
                     for d in self.guests[userid])
        return {'user_direct': lines}


class FakeVolumes(object):
    """SpawnVolumes' interface: whether its records were released."""

    boot = False

    def __init__(self, fail=False):
        self.released = False
        self.fail = fail

    def create_options(self):
        return {}

    def connect(self, steps=None):
        pass

    def release(self):
        if self.fail:
            raise exception.NovaException('FCP release refused')
        self.released = True


class ImportedImageSpawnBase(test_spawn.SpawnTestBase):
    """Spawns of an imported image on a fake z/VM that keeps guests."""

    def setUp(self):
        super(ImportedImageSpawnBase, self).setUp()
        self.useFixture(fakes.ConfigDriveFixture(self, self.instance))
        self.image_meta = objects.ImageMeta.from_dict({
            'id': IMAGE_ID, 'disk_format': 'raw',
            'properties': {'os_distro': 'rhel9.2'}})
        self.client.answers['image_query'] = [
            {'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2'}]
        self.zvm = FakeZVM(self.client)


class SpawnRollbackTestCase(ImportedImageSpawnBase):

    def setUp(self):
        super(SpawnRollbackTestCase, self).setUp()
        self.volumes = FakeVolumes()
        self.useFixture(fixtures.MockPatchObject(
            self.spawn_ops, '_spawn_volumes', return_value=self.volumes))
        # Every step done: the start fails, both undo steps are pending.
        self.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 300, 5)

    def _spawn(self):
        self.spawn_ops.spawn(self.ctxt, self.instance, self.image_meta, [],
                             'secret-pw', [], None)

    def test_complete_rollback_leaves_nothing(self):
        err = self.assertRaises(exception.NovaException, self._spawn)
        self.assertNotIsInstance(err, undo.RollbackIncomplete)
        self.assertIn('guest_start', str(err))
        self.assertEqual({}, self.zvm.guests)
        self.assertTrue(self.volumes.released)

    def test_guest_delete_fails_keeps_guest_and_volume_records(self):
        self.client.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 300, 5)
        err = self.assertRaises(undo.RollbackIncomplete, self._spawn)
        # Stopped: the guest is kept, and so are the volume records, whose
        # release comes after it.
        self.assertIn(USERID, self.zvm.guests)
        self.assertFalse(self.volumes.released)
        where = 'z/VM guest %s of this compute host' % USERID
        self.assertEqual([
            'not done: delete guest %s with its disks and NICs (%s)' % (
                USERID, where),
            "not done: release the connector's volume records and FCP "
            "device reservations (%s)" % where], err.left)
        self.assertIn('simulated guest_start failure', str(err))
        self.assertIn('simulated guest_delete failure', str(err))
        # Nova's destroy, after the failed build, deletes it.
        self.client.answers['guest_delete'] = self.zvm.delete
        self.ops.destroy(self.instance)
        self.assertEqual({}, self.zvm.guests)

    def test_volume_release_fails_after_the_guest_is_deleted(self):
        self.volumes.fail = True
        err = self.assertRaises(undo.RollbackIncomplete, self._spawn)
        self.assertEqual({}, self.zvm.guests)
        self.assertIn("Not done: release the connector's volume records",
                      str(err))
        self.assertIn('FCP release refused', str(err))


class LostAnswerTestCase(ImportedImageSpawnBase):
    """guest_create and guest_deploy without an answer: z/VM is asked."""

    def _spawn(self, bdi=None):
        self.spawn_ops.spawn(self.ctxt, self.instance, self.image_meta, [],
                             'secret-pw', [], bdi)

    def _lose_create_answer(self, disks_made=None):
        def create(userid, vcpus, memory, disk_list=None, **kwargs):
            made = self.zvm.create(userid, vcpus, memory, disk_list)
            if disks_made is not None:
                self.zvm.guests[userid] = made[:disks_made]
            raise fakes.unreachable('guest_create')
        self.client.answers['guest_create'] = create

    def test_create_that_ran_completes_the_spawn(self):
        self._lose_create_answer()
        self._spawn(bdi={'ephemerals': [{'size': 1,
                                         'guest_format': 'ext4'}]})
        self.assertEqual(['0100', '0101'],
                         [d['vdev'] for d in self.zvm.guests[USERID]])
        self.assertIn(USERID, self.zvm.started)
        # The ephemeral disk's vdev came from z/VM's directory.
        self.assertEqual([(USERID, [{'vdev': '0101', 'format': 'ext4',
                                     'mntdir': '/mnt/ephemeral0'}])],
                         self.client.args_of('guest_config_minidisks'))

    def test_create_that_did_not_run_fails_and_leaves_nothing(self):
        self.client.answers['guest_create'] = fakes.unreachable(
            'guest_create')
        err = self.assertRaises(exception.NovaException, self._spawn)
        self.assertIn('guest_create gave no answer', str(err))
        self.assertEqual({}, self.zvm.guests)
        self.assertNotIn('guest_deploy', self.client.api_names())

    def test_create_that_made_part_of_the_disks_is_rolled_back(self):
        self._lose_create_answer(disks_made=1)
        self.assertRaises(exception.NovaException, self._spawn,
                          bdi={'ephemerals': [{'size': 1,
                                               'guest_format': 'ext4'}]})
        self.assertEqual({}, self.zvm.guests)

    def test_create_never_sent_is_not_asked_about(self):
        unreachable = fakes.unreachable('guest_create')
        unreachable.not_executed = True
        self.client.answers['guest_create'] = unreachable
        self.assertRaises(exception.ZVMConnectorError, self._spawn)
        self.assertNotIn('guest_get_definition_info',
                         self.client.api_names())

    def test_deploy_without_answer_fails_and_deletes_the_guest(self):
        def deploy(userid, image_name, **kwargs):
            raise fakes.unreachable('guest_deploy')
        self.client.answers['guest_deploy'] = deploy
        err = self.assertRaises(exception.NovaException, self._spawn)
        self.assertIn('guest_deploy gave no answer', str(err))
        self.assertIn('cannot be read from z/VM', str(err))
        self.assertEqual({}, self.zvm.guests)
        self.assertNotIn('guest_start', self.client.api_names())
