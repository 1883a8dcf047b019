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

"""Resize on the same host, and its revert (one connector, one guest)."""

from unittest import mock

from nova import exception
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm import undo as zvm_undo

USERID = base.USERID
MIG_IMAGE = base.MIG_IMAGE
make_flavor = base.make_flavor
# The connector calls that change a guest's minidisks.
DISK_APIS = ('guest_capture', 'guest_delete_disks', 'guest_create_disks',
             'guest_deploy', 'guest_config_minidisks')


class SameHostResizeTestCase(base.MigrationTestBase):

    def setUp(self):
        super(SameHostResizeTestCase, self).setUp()
        self.same_host()

    def assert_disks_untouched(self):
        for api in DISK_APIS:
            self.assertNotIn(api, self.src.api_names())

    def test_cpu_and_memory_in_the_directory(self):
        info = self.migrate(make_flavor('medium', vcpus=2, memory_mb=4096),
                            timeout=60, retry_interval=5)
        self.assertTrue(self.src.made('guest_softstop', USERID, timeout=60,
                                      poll_interval=5))
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 2))
        self.assertTrue(self.src.made('guest_resize_mem', USERID, '4g'))
        self.assertNotIn('guest_start', self.src.api_names())
        self.assert_disks_untouched()
        self.assertEqual({'zvm_migration': 1, 'mode': 'same-host',
                          'image': None}, jsonutils.loads(info))

    def test_only_what_changes(self):
        self.migrate(make_flavor('more-mem', memory_mb=1536))
        self.assertEqual([(USERID, '1536m')],
                         self.src.args_of('guest_resize_mem'))
        self.assertNotIn('guest_resize_cpus', self.src.api_names())
        self.assert_disks_untouched()

    def test_stopped_guest_is_not_stopped_again(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.migrate(make_flavor('medium', vcpus=2))
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 2))
        self.assertNotIn('guest_stop', self.src.api_names())
        self.assertNotIn('guest_softstop', self.src.api_names())

    def test_growing_root_disk_is_rebuilt_from_a_capture(self):
        info = self.migrate(make_flavor('big', root_gb=20))
        self.assertTrue(self.src.made('guest_capture', USERID, MIG_IMAGE,
                                      capture_type='rootonly'))
        self.assertEqual([(USERID, ['0100'])],
                         self.src.args_of('guest_delete_disks'))
        self.assertEqual([(USERID, [{'size': '20g', 'vdev': '0100',
                                     'format': 'none'}])],
                         self.src.args_of('guest_create_disks'))
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        names = self.src.api_names()
        # Order is the point: the capture is the only copy of the root
        # disk once its minidisk is deleted.
        self.assertLess(names.index('guest_capture'),
                        names.index('guest_delete_disks'))
        # The capture is the original root disk until confirm or revert.
        self.assertNotIn('image_delete', names)
        self.assertEqual(MIG_IMAGE, jsonutils.loads(info)['image'])
        self.assert_no_files()

    def test_new_ephemeral_disk_is_added(self):
        self.migrate(make_flavor('eph', ephemeral_gb=2))
        self.assertTrue(self.src.made('guest_create_disks', USERID, [
            {'size': '2g', 'format': 'ext3', 'vdev': '0101'}]))
        self.assertTrue(self.src.made('guest_config_minidisks', USERID, [
            {'vdev': '0101', 'format': 'ext3',
             'mntdir': '/mnt/ephemeral0'}]))
        self.assertNotIn('guest_delete_disks', self.src.api_names())

    def test_growing_ephemeral_disk_is_recreated_when_allowed(self):
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.migrate(make_flavor('eph', ephemeral_gb=3),
                     bdi={'ephemerals': [{'size': 1}]})
        self.assertEqual([(USERID, ['0101'])],
                         self.src.args_of('guest_delete_disks'))
        created = self.src.args_of('guest_create_disks')
        self.assertEqual(['3g'], [d['size'] for _u, disks in created
                                  for d in disks])
        self.assertEqual(1, self.src.count('guest_config_minidisks'))
        names = self.src.api_names()
        # Order is the point: the new disk takes the old one's vdev.
        self.assertLess(names.index('guest_delete_disks'),
                        names.index('guest_create_disks'))
        self.assertNotIn('guest_capture', names)

    def test_failure_rolls_back_and_keeps_the_server(self):
        self.src.answers['guest_resize_mem'] = fakes.connector_error(
            'guest_resize_mem', 409, 20, modid=10,
            errmsg='requested memory exceeds the maximum')
        err = self.assertRaises(
            exception.InstanceFaultRollback, self.migrate,
            make_flavor('medium', vcpus=2, memory_mb=65536))
        self.assertIn('rolled back', str(err.inner_exception))
        self.assertIn('exceeds the maximum', str(err.inner_exception))
        # The CPUs are set back to the old flavor's; the guest runs again.
        self.assertEqual([(USERID, 2), (USERID, 1)],
                         self.src.args_of('guest_resize_cpus'))
        self.assertEqual([(USERID, '64g')],
                         self.src.args_of('guest_resize_mem'))
        self.assertTrue(self.src.made('guest_start', USERID))
        self.assert_disks_untouched()

    def test_failed_root_rebuild_restores_the_original_disk(self):
        self.src.answers['guest_deploy'] = fakes.Seq([
            fakes.connector_error('guest_deploy', 300, 3), self._deploy])
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          make_flavor('big', root_gb=20, vcpus=2))
        # The original root disk is made again, at its own size, from the
        # capture; CPUs and power are set back.
        self.assertEqual(['20g', '10g'],
                         [disks[0]['size'] for _u, disks in
                          self.src.args_of('guest_create_disks')])
        self.assertEqual(2, self.src.count('guest_deploy'))
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        self.assertEqual([(USERID, 2), (USERID, 1)],
                         self.src.args_of('guest_resize_cpus'))
        self.assertTrue(self.src.made('guest_start', USERID))
        # Order is the point: the image it was restored from goes last.
        self.assertEqual(('image_delete', (MIG_IMAGE,), {}),
                         self.src.calls[-1])
        self.assertNotIn(rootimage.KEPT_IMAGE_KEY,
                         self.instance.system_metadata)
        self.assert_no_files()

    def test_failed_restore_never_deletes_the_captured_root_disk(self):
        # An SMAPI outage fails the deploy and the restore; the image
        # delete would still work, and must not be tried.
        self.src.answers['guest_deploy'] = fakes.connector_error(
            'guest_deploy', 300, 3, errmsg='SMAPI down')
        err = self.assertRaises(zvm_undo.RollbackIncomplete, self.migrate,
                                make_flavor('big', root_gb=20, vcpus=2))
        names = self.src.api_names()
        self.assertNotIn('image_delete', names)
        self.assertEqual(2, names.count('guest_deploy'))
        # The older undo calls are not run either: they are left, listed.
        self.assertEqual(1, names.count('guest_resize_cpus'))
        self.assertNotIn('guest_start', names)
        self.assertIn(MIG_IMAGE, str(err))
        self.assertIn('restore the original root disk', str(err))
        self.assertIn('SMAPI down', str(err))
        self.assertIn('compute host cmp1, z/VM ZVMHOST1', str(err))
        self.assertEqual(4, len(err.left))
        self.assert_no_files()

    def test_each_undo_failing_in_turn_keeps_the_root_disk_image(self):
        # Forward: the new ephemeral disk's creation fails (after the root
        # disk was rebuilt). Undo calls, newest first, each failing in turn.
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        undo_apis = [('guest_delete_disks', 'delete the new ephemeral'),
                     ('guest_deploy', 'restore the original root disk'),
                     ('guest_resize_cpus', 'set 1 CPUs again'),
                     ('guest_start', 'start the guest again')]
        for index, (api, what) in enumerate(undo_apis):
            self.src.calls = []
            self.deployed = []
            fail = fakes.connector_error(api, 300, 3, errmsg='undo broke')
            ok = (lambda userid, disk_list: disk_list)
            answers = {
                'guest_create_disks': fakes.Seq([
                    ok, fakes.connector_error('guest_create_disks', 300, 3),
                    ok]),
                # Forward call first, then the undo call.
                'guest_delete_disks': fakes.Seq([None, None, None]),
                'guest_deploy': fakes.Seq([self._deploy, self._deploy]),
                'guest_resize_cpus': fakes.Seq([None, None]),
                'guest_start': fakes.Seq([None])}
            answers[api][1 if api != 'guest_start' else 0] = fail
            self.src.answers.update(answers)
            err = self.assertRaises(
                zvm_undo.RollbackIncomplete, self.migrate,
                make_flavor('big', root_gb=20, vcpus=2, ephemeral_gb=1))
            names = self.src.api_names()
            self.assertNotIn('image_delete', names, api)
            self.assertIn(MIG_IMAGE, str(err))
            self.assertIn(what, str(err))
            # Every older undo call is left, not run.
            for _api, older in undo_apis[index + 1:]:
                self.assertIn('not done: %s' % older, '\n'.join(err.left))
            if api != 'guest_start':
                self.assertNotIn('guest_start', names)

    def test_failed_rollback_names_what_is_left(self):
        self.src.answers['guest_resize_mem'] = fakes.connector_error(
            'guest_resize_mem', 409, 20)
        self.src.answers['guest_start'] = fakes.connector_error(
            'guest_start', 500, 1, errmsg='SMAPI down')
        err = self.assertRaises(zvm_undo.RollbackIncomplete, self.migrate,
                                make_flavor('medium', memory_mb=4096))
        self.assertIn('guest_resize_mem', str(err))
        self.assertIn('Not done: start the guest again', str(err))


class SameHostRevertTestCase(base.MigrationTestBase):

    def setUp(self):
        super(SameHostRevertTestCase, self).setUp()
        self.same_host()
        self.new_flavor = make_flavor('big', vcpus=2, memory_mb=4096,
                                      root_gb=20)
        # As Nova has it when finishing a revert.
        self.instance.new_flavor = self.new_flavor
        self.instance.old_flavor = self.old_flavor

    def revert(self, power_on=True, bdi=None):
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, bdi,
            power_on)

    def test_revert_cpu_and_memory(self):
        self.instance.new_flavor = make_flavor('medium', vcpus=2,
                                               memory_mb=4096)
        self.revert()
        self.assertTrue(self.src.made('guest_softstop', USERID, timeout=60,
                                      poll_interval=10))
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 1))
        self.assertTrue(self.src.made('guest_resize_mem', USERID, '2g'))
        # No migration image: the root disk was not replaced.
        self.assertNotIn('guest_deploy', self.src.api_names())
        self.assertNotIn('guest_delete_disks', self.src.api_names())
        # Order is the point: the directory changes take effect at the
        # next logon, so the start comes last.
        self.assertEqual(('guest_start', (USERID,), {}), self.src.calls[-1])

    def test_revert_restores_the_original_root_disk(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src.answers['image_query'] = [{'imagename': MIG_IMAGE}]
        self.revert(power_on=False)
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 1))
        self.assertTrue(self.src.made('guest_resize_mem', USERID, '2g'))
        self.assertEqual([(USERID, ['0100'])],
                         self.src.args_of('guest_delete_disks'))
        self.assertEqual([(USERID, [{'size': '10g', 'vdev': '0100',
                                     'format': 'none'}])],
                         self.src.args_of('guest_create_disks'))
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        # Order is the point: until the deploy worked, the image is the
        # only copy of the original root disk.
        self.assertEqual(('image_delete', (MIG_IMAGE,), {}),
                         self.src.calls[-1])
        self.assertNotIn('guest_start', self.src.api_names())
        self.assert_no_files()

    def test_failed_restore_keeps_the_image(self):
        self.src.answers['image_query'] = [{'imagename': MIG_IMAGE}]
        self.src.answers['guest_deploy'] = fakes.connector_error(
            'guest_deploy', 300, 3)
        self.assertRaises(exception.ZVMConnectorError, self.revert)
        # The image is the only copy of the original root disk.
        self.assertNotIn('image_delete', self.src.api_names())
        self.assertNotIn('guest_start', self.src.api_names())

    def test_revert_removes_added_ephemeral_disks(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.instance.new_flavor = make_flavor('eph', ephemeral_gb=2)
        self.revert()
        self.assertEqual([(USERID, ['0101'])],
                         self.src.args_of('guest_delete_disks'))
        self.assertNotIn('guest_create_disks', self.src.api_names())
        self.assertNotIn('guest_deploy', self.src.api_names())
        self.assertTrue(self.src.made('guest_start', USERID))
