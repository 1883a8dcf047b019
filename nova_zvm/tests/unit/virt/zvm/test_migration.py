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

"""Resize and cold migration, with two connectors on one machine.

As in the functional tests: a source and a destination compute host, each
with its own connector (here a FakeClient each), sharing the file system
(``[zvm] image_tmp_path``). Real temporary files; only the connector and,
for the remote copy, the ssh/scp commands are stand-ins.
"""

import hashlib
import os
from unittest import mock

import fixtures
from nova.compute import task_states
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt
from oslo_concurrency import processutils
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.tests.unit.virt.zvm import test_transfer
from nova_zvm.virt.zvm import diskfit
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm import migration
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm import unsupported

IMAGE_ID = 'a2459075-d96c-40d5-893e-577ff92e721c'
MIGRATION_UUID = '6b0f9c1e-2d44-4a0b-9a5c-3f5e7d1c2b10'
MIG_IMAGE = 'nova-zvm-migration-' + MIGRATION_UUID
USERID = 'OS000001'
THIS_IP = '192.0.2.1'
OTHER_IP = '192.0.2.2'
PAYLOAD = b'z/VM disk image header and payload' * 100
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


def make_flavor(name='small', **kwargs):
    values = dict(name=name, flavorid=name, vcpus=1, memory_mb=2048,
                  root_gb=10, ephemeral_gb=0, swap=0, extra_specs={})
    values.update(kwargs)
    return objects.Flavor(**values)


def image_not_found(api):
    return fakes.connector_error(api, 404, 1, modid=40)


class MigrationTestBase(test.NoDBTestCase):

    def setUp(self):
        super(MigrationTestBase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.images = os.path.join(self.tmp, 'images')
        self.flags(instance_name_template='OS%06x', my_ip=THIS_IP)
        self.flags(image_tmp_path=self.images, group='zvm')
        # The connector reads these files directly (connector_files'
        # remote mode is tested in test_connector_files).
        self.flags(connector_file_access='shared', group='zvm')
        self.ctxt = context.get_admin_context()
        self.virtapi = fake_virt.FakeVirtAPI()
        self.src = self._client()
        self.dst = self._client()
        self.src_ops = self._ops(self.src)
        self.dst_ops = self._ops(self.dst)
        self.old_flavor = make_flavor()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, flavor=self.old_flavor, image_ref=IMAGE_ID,
            task_state=None)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.useFixture(fakes.ConfigDriveFixture(self, self.instance))
        self.instance.config_drive = True
        self.instance.trusted_certs = None
        self.instance.migration_context = objects.MigrationContext(
            migration_id=42, instance_uuid=self.instance.uuid)
        self.migration = objects.Migration(
            id=42, uuid=MIGRATION_UUID, source_compute='cmp1',
            dest_compute='cmp2', source_node='ZVMHOST1',
            dest_node='ZVMHOST2', status='migrating')
        self.get_migration = self.useFixture(fixtures.MockPatch(
            'nova.objects.Migration.get_by_id',
            side_effect=lambda ctxt, mig_id: self.migration)).mock
        self.vifs = [
            test_network.make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5',
                                  active=True),
            test_network.make_vif('p2', 'fa:16:3e:00:00:02', v4='10.0.0.6',
                                  active=True)]
        self.deployed = []

    def _client(self):
        client = fakes.FakeClient(
            guest_get_power_state='on',
            image_export=self._export,
            guest_deploy=self._deploy,
            guest_create=lambda userid, vcpus, mem, disk_list, **kw: [
                dict(d, vdev='%04x' % (0x100 + i))
                for i, d in enumerate(disk_list)],
            guest_create_disks=lambda userid, disk_list: disk_list,
            guest_create_network_interface=lambda *a, **kw: [
                {'nic_vdev': '1000'}],
            image_query=image_not_found('image_query'))
        return client

    def _ops(self, client):
        image_ops = image.ImageOps(client)
        guest_ops = guest.GuestOps(client, image_ops,
                                   network.NetworkOps(client), self.virtapi)
        return migration.MigrationOps(client, guest_ops, image_ops)

    def _export(self, name, dest_url, remote_host=None):
        # The connector writes the image file where it is told.
        path = dest_url[len('file://'):]
        with open(path, 'wb') as f:
            f.write(PAYLOAD)
        return {'image_name': name, 'image_path': dest_url,
                'os_version': 'rhel9.2', 'md5sum': PAYLOAD_MD5,
                'comments': None}

    def _deploy(self, userid, image_name, transportfiles=None, **kwargs):
        # The connector reads the config drive while deploying.
        self.assertTrue(os.path.isfile(transportfiles))
        self.deployed.append((image_name, transportfiles, kwargs))

    def assert_no_files(self):
        if os.path.isdir(self.images):
            self.assertEqual([], os.listdir(self.images))
        for _name, path, _kw in self.deployed:
            self.assertFalse(os.path.exists(path))

    def small_volumes(self, ops, client):
        """A pool of 3390-09 volumes (7 GB each) for ops' host."""
        client.answers.update(
            host_get_diskpool_volumes={'diskpool_volumes': 'V1 V2'},
            host_get_volume_info={'volume_type': '3390-09',
                                  'volume_size': '10017'})
        pool = diskfit.PoolVolumes(client)
        pool.refresh()
        ops._guest.disks._pool_volumes = pool
        del client.calls[:]

    def same_host(self):
        self.migration.dest_compute = self.migration.source_compute
        self.migration.dest_node = self.migration.source_node

    def migrate(self, flavor, dest=THIS_IP, bdi=None, timeout=0,
                retry_interval=0):
        return self.src_ops.migrate_disk_and_power_off(
            self.ctxt, self.instance, dest, flavor, self.vifs, bdi,
            timeout, retry_interval)

    def finish(self, disk_info, power_on=True, network_info=None):
        self.dst_ops.finish_migration(
            self.ctxt, self.migration, self.instance, disk_info,
            self.vifs if network_info is None else network_info, None, True,
            None, power_on=power_on)

    def assert_refused(self, flavor, reason, client=None, **kwargs):
        err = self.assertRaises(exception.InstanceFaultRollback,
                                self.migrate, flavor, **kwargs)
        self.assertIsInstance(err.inner_exception, exception.ResizeError)
        self.assertIn(reason, str(err.inner_exception))
        # Nothing but the read-only SSI query (for moves) reached z/VM.
        self.assertEqual([], [c for c in (client or self.src).calls
                              if c[0] != 'host_get_ssi_info'])
        return err


class HelpersTestCase(test.NoDBTestCase):

    def test_memory_size(self):
        self.assertEqual('2g', migration.memory_size(2048))
        self.assertEqual('1536m', migration.memory_size(1536))
        self.assertEqual('10g', migration.memory_size(10240))
        self.assertIsNone(migration.memory_size(12800))

    def test_image_name_is_never_taken_for_a_glance_image(self):
        name = migration.image_name(objects.Migration(uuid=MIGRATION_UUID))
        self.assertEqual(MIG_IMAGE, name)
        # The image cache only ages out images named by a Glance id.
        self.assertIsNone(imagecache.GLANCE_ID_RE.match(name))

    def test_ephemeral_vdevs_follow_the_root(self):
        self.assertEqual(['0101', '0102'],
                         [migration.ephemeral_vdev(i) for i in (0, 1)])

    def test_single_ephemeral_follows_a_growing_flavor(self):
        bdi = {'ephemerals': [{'size': 1, 'guest_format': 'xfs'}]}
        now, new = migration.ephemeral_layout(
            make_flavor(ephemeral_gb=1), make_flavor(ephemeral_gb=4), bdi)
        self.assertEqual([{'size': 1, 'format': 'xfs'}], now)
        self.assertEqual([{'size': 4, 'format': 'xfs'}], new)

    def test_new_flavor_ephemeral_without_any_now(self):
        now, new = migration.ephemeral_layout(
            make_flavor(), make_flavor(ephemeral_gb=2), None)
        self.assertEqual([], now)
        self.assertEqual([{'size': 2, 'format': 'ext3'}], new)

    def test_several_ephemerals_keep_their_sizes(self):
        bdi = {'ephemerals': [{'size': 1}, {'size': 2}]}
        now, new = migration.ephemeral_layout(
            make_flavor(ephemeral_gb=3), make_flavor(ephemeral_gb=8), bdi)
        self.assertEqual(now, new)

    def test_user_sized_ephemeral_kept_when_flavor_keeps_its_size(self):
        bdi = {'ephemerals': [{'size': 5}]}
        now, new = migration.ephemeral_layout(
            make_flavor(ephemeral_gb=10), make_flavor(ephemeral_gb=10,
                                                      vcpus=4), bdi)
        self.assertEqual([5], [e['size'] for e in new])


class RefusalTestCase(MigrationTestBase):
    """Refused before any connector call; Nova keeps the server."""

    def test_smaller_root_disk(self):
        self.assert_refused(make_flavor('tiny', root_gb=5),
                            'root disk cannot shrink')

    def test_smaller_root_disk_on_same_host(self):
        self.same_host()
        self.assert_refused(make_flavor('tiny', root_gb=5),
                            'root disk cannot shrink')

    def test_smaller_ephemeral_disks(self):
        self.instance.flavor = make_flavor(ephemeral_gb=4)
        self.assert_refused(make_flavor('big', root_gb=20, ephemeral_gb=2),
                            'ephemeral disks cannot shrink',
                            bdi={'ephemerals': [{'size': 4}]})

    def test_boot_from_volume(self):
        bdi = {'block_device_mapping': [{'boot_index': 0,
                                         'mount_device': '/dev/sda',
                                         'connection_info': {}}]}
        self.assert_refused(make_flavor('big', root_gb=20),
                            'booted from a volume', bdi=bdi)

    def test_boot_from_volume_without_image(self):
        self.instance.image_ref = ''
        self.assert_refused(make_flavor('big', root_gb=20),
                            'booted from a volume')

    def test_attached_volumes(self):
        bdi = {'block_device_mapping': [{'boot_index': None,
                                         'mount_device': '/dev/sdb',
                                         'connection_info': {}}]}
        self.assert_refused(make_flavor('big', root_gb=20),
                            'volumes attached', bdi=bdi)

    def test_memory_z_vm_cannot_express(self):
        self.assert_refused(make_flavor('odd', memory_mb=12800),
                            '12800 MB of memory')

    def test_ephemeral_disks_would_be_lost_across_hosts(self):
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.assert_refused(make_flavor('big', root_gb=20, ephemeral_gb=1),
                            'recreate_ephemeral_disks',
                            bdi={'ephemerals': [{'size': 1}]})

    def test_growing_ephemeral_would_be_lost_on_same_host(self):
        self.same_host()
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.assert_refused(make_flavor('big', ephemeral_gb=2),
                            'recreate_ephemeral_disks',
                            bdi={'ephemerals': [{'size': 1}]})

    def test_root_larger_than_any_volume_on_same_host(self):
        self.same_host()
        self.small_volumes(self.src_ops, self.src)
        self.assert_refused(make_flavor('big', root_gb=20),
                            'Root disk of 20 GB (29128 cylinders) does not '
                            'fit on one volume')

    def test_ephemeral_larger_than_any_volume_on_same_host(self):
        self.same_host()
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        self.small_volumes(self.src_ops, self.src)
        self.assert_refused(make_flavor('big', ephemeral_gb=8),
                            'Ephemeral disk 0 of 8 GB')

    def test_no_migration_record(self):
        self.get_migration.side_effect = exception.MigrationNotFound(
            migration_id=42)
        self.assert_refused(make_flavor('big', root_gb=20),
                            'migration record')

    def test_destination_in_this_hosts_ssi_cluster(self):
        # SSI members share the user directory: the guest cannot be
        # defined on the destination while it exists here.
        self.src.answers['host_get_ssi_info'] = [
            'ssi_name = SSI1', 'ssi_mode = Stable', '',
            'member_slot = 1', 'member_system_id = ZVMHOST1',
            'member_state = Joined', '',
            'member_slot = 2', 'member_system_id = ZVMHOST2',
            'member_state = Joined', '']
        err = self.assert_refused(make_flavor('big', root_gb=20),
                                  'SSI cluster SSI1')
        self.assertIn('live migration', str(err.inner_exception))

    def test_destination_outside_this_hosts_ssi_cluster(self):
        self.src.answers['host_get_ssi_info'] = [
            'ssi_name = SSI1', 'member_slot = 1',
            'member_system_id = ZVMHOST1', 'member_state = Joined']
        self.migrate(make_flavor('big', root_gb=20))
        self.assertIn('guest_capture', self.src.api_names())

    def test_destination_unreachable_over_ssh(self):
        self.useFixture(fixtures.MockPatchObject(
            processutils, 'execute',
            side_effect=test_transfer.FakeShell(fail='ssh')))
        self.assert_refused(make_flavor('big', root_gb=20),
                            'cannot be reached over ssh', dest=OTHER_IP)
        self.assert_no_files()


class SameHostResizeTestCase(MigrationTestBase):

    def setUp(self):
        super(SameHostResizeTestCase, self).setUp()
        self.same_host()

    def test_cpu_and_memory_in_the_directory(self):
        info = self.migrate(make_flavor('medium', vcpus=2, memory_mb=4096),
                            timeout=60, retry_interval=5)
        self.assertEqual([
            ('guest_get_power_state', (USERID,), {}),
            ('guest_softstop', (USERID,), {'timeout': 60,
                                           'poll_interval': 5}),
            ('guest_resize_cpus', (USERID, 2), {}),
            ('guest_resize_mem', (USERID, '4g'), {})], self.src.calls)
        self.assertEqual({'zvm_migration': 1, 'mode': 'same-host',
                          'image': None}, jsonutils.loads(info))

    def test_only_what_changes(self):
        self.migrate(make_flavor('more-mem', memory_mb=1536))
        self.assertEqual(['guest_get_power_state', 'guest_stop',
                          'guest_resize_mem'], self.src.api_names())
        self.assertEqual((USERID, '1536m'), self.src.calls[-1][1])

    def test_stopped_guest_is_not_stopped_again(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.migrate(make_flavor('medium', vcpus=2))
        self.assertEqual(['guest_get_power_state', 'guest_resize_cpus'],
                         self.src.api_names())

    def test_finish_starts_only_when_asked(self):
        info = self.migrate(make_flavor('medium', vcpus=2))
        self.dst = self.src
        self.dst_ops = self.src_ops
        self.src.calls = []
        self.finish(info, power_on=False)
        self.assertEqual([], self.src.calls)
        self.finish(info)
        self.assertEqual([('guest_start', (USERID,), {})], self.src.calls)

    def test_growing_root_disk_is_rebuilt_from_a_capture(self):
        info = self.migrate(make_flavor('big', root_gb=20))
        self.assertEqual(['guest_get_power_state', 'guest_stop',
                          'guest_capture', 'guest_delete_disks',
                          'guest_create_disks', 'guest_deploy'],
                         self.src.api_names())
        self.assertEqual(((USERID, MIG_IMAGE), {'capture_type': 'rootonly'}),
                         self.src.calls[2][1:])
        self.assertEqual((USERID, ['0100']), self.src.calls[3][1])
        self.assertEqual([{'size': '20g', 'vdev': '0100', 'format': 'none'}],
                         self.src.calls[4][1][1])
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        # The capture is the original root disk until confirm or revert.
        self.assertNotIn('image_delete', self.src.api_names())
        self.assertEqual(MIG_IMAGE, jsonutils.loads(info)['image'])
        self.assert_no_files()

    def test_new_ephemeral_disk_is_added(self):
        self.migrate(make_flavor('eph', ephemeral_gb=2))
        self.assertEqual(('guest_create_disks', (USERID, [
            {'size': '2g', 'format': 'ext3', 'vdev': '0101'}]), {}),
            self.src.calls[-2])
        self.assertEqual(('guest_config_minidisks', (USERID, [
            {'vdev': '0101', 'format': 'ext3',
             'mntdir': '/mnt/ephemeral0'}]), {}), self.src.calls[-1])

    def test_growing_ephemeral_disk_is_recreated_when_allowed(self):
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        self.migrate(make_flavor('eph', ephemeral_gb=3),
                     bdi={'ephemerals': [{'size': 1}]})
        self.assertEqual(['guest_get_power_state', 'guest_stop',
                          'guest_delete_disks', 'guest_create_disks',
                          'guest_config_minidisks'], self.src.api_names())
        self.assertEqual((USERID, ['0101']), self.src.calls[2][1])
        self.assertEqual('3g', self.src.calls[3][1][1][0]['size'])

    def test_failure_rolls_back_and_keeps_the_server(self):
        self.src.answers['guest_resize_mem'] = fakes.connector_error(
            'guest_resize_mem', 409, 20, modid=10,
            errmsg='requested memory exceeds the maximum')
        err = self.assertRaises(
            exception.InstanceFaultRollback, self.migrate,
            make_flavor('medium', vcpus=2, memory_mb=65536))
        self.assertIn('rolled back', str(err.inner_exception))
        self.assertIn('exceeds the maximum', str(err.inner_exception))
        self.assertEqual([
            ('guest_get_power_state', (USERID,), {}),
            ('guest_stop', (USERID,), {}),
            ('guest_resize_cpus', (USERID, 2), {}),
            ('guest_resize_mem', (USERID, '64g'), {}),
            ('guest_resize_cpus', (USERID, 1), {}),
            ('guest_start', (USERID,), {})], self.src.calls)

    def test_failed_root_rebuild_restores_the_original_disk(self):
        self.src.answers['guest_deploy'] = fakes.Seq([
            fakes.connector_error('guest_deploy', 300, 3), self._deploy])
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          make_flavor('big', root_gb=20, vcpus=2))
        self.assertEqual(['guest_get_power_state', 'guest_stop',
                          'guest_resize_cpus', 'guest_capture',
                          'guest_delete_disks', 'guest_create_disks',
                          'guest_deploy',
                          # rollback: original root, CPUs, power
                          'guest_delete_disks', 'guest_create_disks',
                          'guest_deploy', 'guest_resize_cpus', 'guest_start',
                          # only then the image it was restored from
                          'image_delete'],
                         self.src.api_names())
        self.assertEqual('10g', self.src.calls[8][1][1][0]['size'])
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        self.assertNotIn(migration.KEPT_IMAGE_KEY,
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

    def test_kept_image_is_owned_by_the_instance_until_confirm(self):
        self.migrate(make_flavor('big', root_gb=20))
        self.assertEqual(MIG_IMAGE, self.instance.system_metadata[
            migration.KEPT_IMAGE_KEY])
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertEqual(('image_delete', (MIG_IMAGE,), {}),
                         self.src.calls[-1])
        self.assertNotIn(migration.KEPT_IMAGE_KEY,
                         self.instance.system_metadata)

    def test_deleting_the_server_deletes_an_image_a_failure_kept(self):
        self.src.answers['guest_deploy'] = fakes.connector_error(
            'guest_deploy', 300, 3, errmsg='SMAPI down')
        self.assertRaises(zvm_undo.RollbackIncomplete, self.migrate,
                          make_flavor('big', root_gb=20))
        self.src.calls = []
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        drv = driver.ZVMDriver(self.virtapi, client=self.src)
        # The server's own host (not an evacuated server's old host).
        drv._hostname = self.instance.host
        drv.destroy(self.ctxt, self.instance, [])
        self.assertEqual([('guest_delete', (USERID,), {}),
                          ('image_delete', (MIG_IMAGE,), {}),
                          ('get_fcp_templates', (), {'assigner_id': USERID})],
                         self.src.calls)
        self.assertNotIn(migration.KEPT_IMAGE_KEY,
                         self.instance.system_metadata)
        # A retry has nothing more to delete.
        self.src.calls = []
        drv.destroy(self.ctxt, self.instance, [])
        self.assertEqual(['guest_delete', 'get_fcp_templates'],
                         self.src.api_names())

    def test_failed_rollback_names_what_is_left(self):
        self.src.answers['guest_resize_mem'] = fakes.connector_error(
            'guest_resize_mem', 409, 20)
        self.src.answers['guest_start'] = fakes.connector_error(
            'guest_start', 500, 1, errmsg='SMAPI down')
        err = self.assertRaises(zvm_undo.RollbackIncomplete, self.migrate,
                                make_flavor('medium', memory_mb=4096))
        self.assertIn('guest_resize_mem', str(err))
        self.assertIn('Not done: start the guest again', str(err))


class SameHostConfirmRevertTestCase(MigrationTestBase):

    def setUp(self):
        super(SameHostConfirmRevertTestCase, self).setUp()
        self.same_host()
        self.new_flavor = make_flavor('big', vcpus=2, memory_mb=4096,
                                      root_gb=20)
        # As Nova has it when finishing a revert.
        self.instance.new_flavor = self.new_flavor
        self.instance.old_flavor = self.old_flavor

    def test_confirm_deletes_the_kept_root_disk_image(self):
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertEqual([('image_delete', (MIG_IMAGE,), {})],
                         self.src.calls)

    def test_confirm_survives_an_image_delete_failure(self):
        self.src.answers['image_delete'] = fakes.connector_error(
            'image_delete', 300, 1, modid=40)
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertEqual([('image_delete', (MIG_IMAGE,), {})],
                         self.src.calls)
        self.assertIn('Could not delete migration image %s' % MIG_IMAGE,
                      self.stdlog.logger.output)

    def revert(self, power_on=True, bdi=None):
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, bdi,
            power_on)

    def test_revert_cpu_and_memory(self):
        self.instance.new_flavor = make_flavor('medium', vcpus=2,
                                               memory_mb=4096)
        self.revert()
        self.assertEqual([
            ('guest_get_power_state', (USERID,), {}),
            ('guest_softstop', (USERID,), {'timeout': 60,
                                           'poll_interval': 10}),
            ('guest_resize_cpus', (USERID, 1), {}),
            ('guest_resize_mem', (USERID, '2g'), {}),
            ('image_query', (), {'imagename': MIG_IMAGE}),
            ('guest_start', (USERID,), {})], self.src.calls)

    def test_revert_restores_the_original_root_disk(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src.answers['image_query'] = [{'imagename': MIG_IMAGE}]
        self.revert(power_on=False)
        self.assertEqual(['guest_get_power_state', 'guest_resize_cpus',
                          'guest_resize_mem', 'image_query',
                          'guest_delete_disks', 'guest_create_disks',
                          'guest_deploy', 'image_delete'],
                         self.src.api_names())
        self.assertEqual([{'size': '10g', 'vdev': '0100', 'format': 'none'}],
                         self.src.calls[5][1][1])
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
        self.assertEqual([('guest_get_power_state', (USERID,), {}),
                          ('image_query', (), {'imagename': MIG_IMAGE}),
                          ('guest_delete_disks', (USERID, ['0101']), {}),
                          ('guest_start', (USERID,), {})], self.src.calls)

    def test_destroy_keeps_the_guest_of_a_same_host_revert(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.assertTrue(self.src_ops.keeps_guest_on_destroy(self.ctxt,
                                                            self.instance))
        self.assertEqual([], self.src.calls)


class MoveTestCase(MigrationTestBase):
    """Resize or cold migration to another host."""

    def setUp(self):
        super(MoveTestCase, self).setUp()
        self.new_flavor = make_flavor('big', vcpus=2, memory_mb=4096,
                                      root_gb=20)

    def test_source_exports_the_root_disk_for_a_shared_destination(self):
        shell = self.useFixture(fixtures.MockPatchObject(
            processutils, 'execute')).mock
        info = jsonutils.loads(self.migrate(self.new_flavor))
        self.assertEqual(['host_get_ssi_info', 'guest_get_power_state',
                          'guest_stop', 'guest_capture', 'image_export',
                          'image_delete'],
                         self.src.api_names())
        path = info['path']
        self.assertEqual(((MIG_IMAGE, 'file://' + path), {}),
                         self.src.calls[4][1:])
        self.assertEqual((MIG_IMAGE,), self.src.calls[5][1])
        self.assertEqual({'zvm_migration': 1, 'mode': 'move',
                          'image': MIG_IMAGE, 'path': path,
                          'os_distro': 'rhel9.2', 'md5sum': PAYLOAD_MD5,
                          'root_gb': 20, 'ephemerals': [], 'swap_mb': 0}, info)
        self.assertEqual(self.images, os.path.dirname(path))
        with open(path, 'rb') as f:
            self.assertEqual(PAYLOAD, f.read())
        # Same machine: nothing asked over ssh, nothing copied.
        shell.assert_not_called()
        # The source guest stays, stopped, until confirm.
        self.assertNotIn('guest_delete', self.src.api_names())

    def test_destination_with_shared_image_tmp_path_found_by_marker(self):
        shell = test_transfer.FakeShell(shared=True)
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        info = jsonutils.loads(self.migrate(self.new_flavor, dest=OTHER_IP))
        self.assertTrue(os.path.isfile(info['path']))
        self.assertNotIn('scp', [cmd[0] for cmd in shell.commands])

    def test_other_destination_gets_a_streamed_copy(self):
        remote = os.path.join(self.tmp, 'remote')
        os.makedirs(remote)
        shell = test_transfer.FakeShell(remote_dir=remote)
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        info = jsonutils.loads(self.migrate(self.new_flavor, dest=OTHER_IP))
        path = info['path']
        self.assertEqual(('scp', '-o', 'BatchMode=yes', path,
                          OTHER_IP + ':' + path), shell.commands[-1])
        with open(os.path.join(remote, os.path.basename(path)), 'rb') as f:
            self.assertEqual(PAYLOAD, f.read())
        # The local file was only needed for the copy.
        self.assert_no_files()

    def test_failed_copy_rolls_back_both_hosts(self):
        shell = test_transfer.FakeShell(fail='scp')
        self.useFixture(fixtures.MockPatchObject(processutils, 'execute',
                                                 side_effect=shell))
        err = self.assertRaises(exception.InstanceFaultRollback,
                                self.migrate, self.new_flavor, dest=OTHER_IP)
        self.assertIn('No route to host', str(err.inner_exception))
        path = shell.commands[-1][-1]
        self.assertEqual(('ssh', '-o', 'BatchMode=yes', OTHER_IP, 'rm', '-f',
                          path), shell.commands[-1])
        self.assertEqual(['host_get_ssi_info', 'guest_get_power_state',
                          'guest_stop', 'guest_capture', 'image_export',
                          'image_delete', 'image_delete', 'guest_start'],
                         self.src.api_names())
        self.assert_no_files()

    def _fail_source_at(self, api, *expected_undo):
        self.src.answers[api] = fakes.connector_error(api, 300, 5,
                                                      modid=40)
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          self.new_flavor)
        names = self.src.api_names()
        self.assertEqual(list(expected_undo),
                         names[names.index(api) + 1:])
        self.assert_no_files()

    def test_failed_capture_deletes_what_it_left(self):
        self._fail_source_at('guest_capture', 'image_delete', 'guest_start')

    def test_failed_export_removes_the_file(self):
        self._fail_source_at('image_export', 'image_delete', 'guest_start')

    def test_failed_image_delete_rolls_back(self):
        self.src.answers['image_delete'] = fakes.Seq([
            fakes.connector_error('image_delete', 300, 5, modid=40), None])
        self.assertRaises(exception.InstanceFaultRollback, self.migrate,
                          self.new_flavor)
        self.assertEqual(['image_delete', 'image_delete', 'guest_start'],
                         self.src.api_names()[-3:])
        self.assert_no_files()

    def test_stopped_guest_stays_stopped_after_a_rollback(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self._fail_source_at('guest_capture', 'image_delete')

    def test_destination_builds_the_guest(self):
        info = self.migrate(self.new_flavor)
        # What Nova's _finish_resize sets before finish_migration.
        self.instance.update(dict(flavor=self.new_flavor, vcpus=2,
                                  memory_mb=4096, root_gb=20))
        self.finish(info)
        self.assertEqual(['image_import', 'guest_create', 'guest_deploy',
                          'image_delete', 'guest_create_network_interface',
                          'guest_start'],
                         self.dst.api_names())
        path = jsonutils.loads(info)['path']
        self.assertEqual(((MIG_IMAGE, 'file://' + path,
                           {'os_version': 'rhel9.2',
                            'md5sum': PAYLOAD_MD5}), {}),
                         self.dst.calls[0][1:])
        self.assertEqual((USERID, 2, 4096), self.dst.calls[1][1])
        self.assertEqual([{'size': '20g', 'is_boot_disk': True}],
                         self.dst.calls[1][2]['disk_list'])
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        self.assertEqual((MIG_IMAGE,), self.dst.calls[3][1])
        self.assert_no_files()

    def test_destination_root_gb_zero_takes_the_image_size(self):
        info = jsonutils.loads(self.migrate(make_flavor('zero', root_gb=0)))
        self.assertEqual(0, info['root_gb'])
        self.dst.answers['image_get_root_disk_size'] = '3339'
        self.finish(jsonutils.dumps(info), network_info=[])
        self.assertEqual('3339', self.dst.calls[2][2]['disk_list'][0]['size'])

    def test_destination_recreates_ephemeral_disks_when_allowed(self):
        self.flags(recreate_ephemeral_disks=True, group='zvm')
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.instance.flavor = make_flavor(ephemeral_gb=1)
        info = self.migrate(make_flavor('big', root_gb=20, ephemeral_gb=3),
                            bdi={'ephemerals': [{'size': 1,
                                                 'guest_format': 'xfs'}]})
        self.finish(info, network_info=[], power_on=False)
        self.assertEqual(
            [{'size': '20g', 'is_boot_disk': True, 'disk_pool': 'ECKD:POOL1'},
             {'size': '3g', 'format': 'xfs', 'disk_pool': 'ECKD:POOL1'}],
            self.dst.calls[1][2]['disk_list'])
        self.assertEqual(('guest_config_minidisks', (USERID, [
            {'vdev': '0101', 'format': 'xfs',
             'mntdir': '/mnt/ephemeral0'}]), {}), self.dst.calls[-1])
        self.assertNotIn('guest_start', self.dst.api_names())

    def _fail_destination_at(self, api, error=None):
        info = self.migrate(self.new_flavor)
        self.dst.answers[api] = error or fakes.connector_error(api, 300, 5)
        self.assertRaises(exception.NovaException, self.finish, info)
        self.assert_no_files()
        return self.dst.api_names()

    def test_failed_import_leaves_nothing(self):
        names = self._fail_destination_at('image_import')
        self.assertEqual(['image_import', 'image_delete'], names)

    def test_failed_deploy_deletes_the_new_guest_and_image(self):
        names = self._fail_destination_at('guest_deploy')
        self.assertEqual(['image_import', 'guest_create', 'guest_deploy',
                          'guest_delete', 'image_delete'], names)

    def test_failed_nic_deletes_the_new_guest(self):
        names = self._fail_destination_at('guest_create_network_interface')
        self.assertEqual(['guest_delete', 'image_delete'], names[-2:])

    def test_half_created_guest_is_deleted(self):
        names = self._fail_destination_at('guest_create')
        self.assertEqual(['image_import', 'guest_create', 'guest_delete',
                          'image_delete'], names)

    def test_guest_of_someone_else_is_never_deleted(self):
        # SMAPI's "image already defined": overallRC 8, rc 400, rs 8.
        info = self.migrate(self.new_flavor)
        self.dst.answers['guest_create'] = zvm_exc.from_result(
            'guest_create', {'overallRC': 8, 'modID': 10, 'rc': 400, 'rs': 8,
                             'errmsg': 'Image definition OS000001 already '
                                       'exists'}, args=(USERID,))
        self.assertRaises(exception.InstanceExists, self.finish, info)
        self.assertEqual(['image_import', 'guest_create', 'image_delete'],
                         self.dst.api_names())
        self.assert_no_files()

    def test_destination_refuses_disks_larger_than_its_volumes(self):
        info = self.migrate(self.new_flavor)
        self.small_volumes(self.dst_ops, self.dst)
        err = self.assertRaises(exception.ResizeError, self.finish, info)
        self.assertIn('Root disk of 20 GB', str(err))
        self.assertIn('V1 (3390-09), holds 6.8 GB', str(err))
        # Refused before the import: nothing made here; the file is gone.
        self.assertEqual([], self.dst.calls)
        self.assert_no_files()

    def test_destination_refuses_a_file_outside_image_tmp_path(self):
        info = jsonutils.loads(self.migrate(self.new_flavor))
        stray = os.path.join(self.tmp, os.path.basename(info['path']))
        os.rename(info['path'], stray)
        info['path'] = stray
        err = self.assertRaises(exception.NovaException, self.finish,
                                jsonutils.dumps(info))
        self.assertIn('image_tmp_path', str(err))
        self.assertEqual([], self.dst.calls)
        # Not this driver's file to remove.
        self.assertTrue(os.path.exists(stray))

    def test_destination_without_the_file(self):
        info = jsonutils.loads(self.migrate(self.new_flavor))
        os.unlink(info['path'])
        err = self.assertRaises(exception.NovaException, self.finish,
                                jsonutils.dumps(info))
        self.assertIn('does not share', str(err))
        self.assertEqual([], self.dst.calls)

    def test_disk_info_of_another_driver(self):
        err = self.assertRaises(exception.NovaException, self.finish,
                                '[{"path": "/var/lib/nova/disk"}]')
        self.assertIn('z/VM migration data', str(err))
        self.assertEqual([], self.dst.calls)

    def test_confirm_deletes_the_source_guest(self):
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        self.assertEqual([('guest_delete', (USERID,), {})], self.src.calls)

    def test_confirm_of_a_vanished_source_guest(self):
        # rs 3: gone from the z/VM directory (rs 1 would be a guest the
        # connector does not know, which is registered and deleted).
        self.src.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', USERID, rs=3)
        self.src_ops.confirm_migration(self.ctxt, self.migration,
                                       self.instance, self.vifs)
        # A guest already gone counts as deleted: no error, no leftover.
        self.assertEqual([('guest_delete', (USERID,), {})], self.src.calls)
        self.assertNotIn('could not delete the stopped source guest',
                         self.stdlog.logger.output)

    def test_confirm_never_fails_for_the_source_guest(self):
        # The server runs on the destination: the source's guest_delete
        # error is logged, the stopped source guest left for clean-up.
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1, errmsg='SMAPI down')
        with mock.patch.object(migration.LOG, 'error') as log_error:
            self.src_ops.confirm_migration(self.ctxt, self.migration,
                                           self.instance, self.vifs)
        self.assertIn('SMAPI down', str(log_error.call_args))
        self.assertIn(USERID, str(log_error.call_args))

    def test_revert_starts_the_untouched_source_guest(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, None, True)
        self.assertEqual(['guest_get_power_state', 'guest_start'],
                         self.src.api_names())

    def test_revert_of_a_stopped_server_keeps_it_stopped(self):
        self.src.answers['guest_get_power_state'] = 'off'
        self.src_ops.finish_revert_migration(
            self.ctxt, self.instance, self.vifs, self.migration, None, False)
        self.assertEqual(['guest_get_power_state'], self.src.api_names())

    def test_revert_without_the_source_guest_fails(self):
        self.src.answers['guest_get_power_state'] = fakes.guest_not_found(
            'guest_get_power_state', USERID)
        self.assertRaises(exception.InstanceNotFound,
                          self.src_ops.finish_revert_migration, self.ctxt,
                          self.instance, self.vifs, self.migration, None,
                          True)

    def test_destroy_on_destination_deletes_the_guest(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.assertFalse(self.dst_ops.keeps_guest_on_destroy(self.ctxt,
                                                             self.instance))

    def test_destroy_outside_a_revert_asks_no_database(self):
        self.assertFalse(self.dst_ops.keeps_guest_on_destroy(self.ctxt,
                                                             self.instance))
        self.get_migration.assert_not_called()

    def test_destroy_during_a_revert_without_migration_keeps_the_guest(self):
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.get_migration.side_effect = exception.MigrationNotFound(
            migration_id=42)
        self.assertRaises(exception.NovaException,
                          self.dst_ops.keeps_guest_on_destroy, self.ctxt,
                          self.instance)

    def test_delete_instance_files_removes_a_leftover_guest(self):
        self.assertTrue(self.src_ops.delete_instance_files(self.instance))
        self.assertEqual([('guest_delete', (USERID,), {})], self.src.calls)
        self.src.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1)
        self.assertFalse(self.src_ops.delete_instance_files(self.instance))


class DriverMigrationTestCase(MigrationTestBase):
    """The driver's entry points, with their exception boundary."""

    def setUp(self):
        super(DriverMigrationTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.driver = driver.ZVMDriver(self.virtapi, client=self.src)

    def test_resize_and_migration_are_supported(self):
        for name in ('migrate_disk_and_power_off', 'finish_migration',
                     'confirm_migration', 'finish_revert_migration'):
            self.assertNotIn(name, unsupported.UNSUPPORTED)
            self.assertIn(name, driver.ZVMDriver.__dict__)
        self.assertTrue(
            driver.ZVMDriver.capabilities['supports_migrate_to_same_host'])

    def test_refusal_reaches_nova_as_a_rollback(self):
        self.assertRaises(exception.InstanceFaultRollback,
                          self.driver.migrate_disk_and_power_off, self.ctxt,
                          self.instance, THIS_IP, make_flavor('t', root_gb=1),
                          self.vifs)

    def test_whole_move_through_the_driver(self):
        dest = driver.ZVMDriver(self.virtapi, client=self.dst)
        info = self.driver.migrate_disk_and_power_off(
            self.ctxt, self.instance, THIS_IP, make_flavor('big', root_gb=20),
            self.vifs, None, 0, 0)
        dest.finish_migration(self.ctxt, self.migration, self.instance,
                              info, self.vifs, None, True, {}, None, True)
        self.instance.task_state = task_states.RESIZE_REVERTING
        dest.destroy(self.ctxt, self.instance, self.vifs)
        # (then the FCP devices the connector holds for the guest)
        self.assertEqual(['guest_delete', 'get_fcp_templates'],
                         self.dst.api_names()[-2:])
        self.src.answers['guest_get_power_state'] = 'off'
        self.driver.finish_revert_migration(self.ctxt, self.instance,
                                            self.vifs, self.migration)
        self.assertEqual('guest_start', self.src.api_names()[-1])
        self.assertNotIn('guest_delete', self.src.api_names())
        self.assert_no_files()

    def test_guest_found_on_the_destination_survives_deletion(self):
        dest = driver.ZVMDriver(self.virtapi, client=self.dst)
        info = self.driver.migrate_disk_and_power_off(
            self.ctxt, self.instance, THIS_IP, make_flavor('big', root_gb=20),
            self.vifs, None, 0, 0)
        self.dst.answers['guest_create'] = fakes.connector_error(
            'guest_create', 409, 1)
        self.assertRaises(exception.InstanceExists, dest.finish_migration,
                          self.ctxt, self.migration, self.instance, info,
                          self.vifs, None, True, {}, None, True)
        # The server is deleted while in ERROR on the destination.
        self.instance.task_state = task_states.DELETING
        dest.destroy(self.ctxt, self.instance, self.vifs)
        self.assertNotIn('guest_delete', self.dst.api_names())
        self.assert_no_files()

    def test_same_host_revert_destroy_keeps_the_guest(self):
        self.same_host()
        self.instance.task_state = task_states.RESIZE_REVERTING
        self.driver.destroy(self.ctxt, self.instance, self.vifs)
        self.assertNotIn('guest_delete', self.src.api_names())

    def test_delete_instance_files(self):
        self.assertTrue(self.driver.delete_instance_files(self.instance))
        self.assertEqual(['guest_delete'], self.src.api_names())
