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

"""The destination of a move to another host: the guest from the file."""

import os
from unittest import mock

from nova import exception
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.migration import base
from nova_zvm.virt.zvm import exception as zvm_exc

USERID = base.USERID
MIG_IMAGE = base.MIG_IMAGE
PAYLOAD_MD5 = base.PAYLOAD_MD5
make_flavor = base.make_flavor


def kwargs_of(client, api):
    """The keyword arguments of each call of one API, in order."""
    return [kw for name, _args, kw in client.calls if name == api]


class ReceiveTestCase(base.MigrationTestBase):
    """Resize or cold migration to another host: the destination."""

    def setUp(self):
        super(ReceiveTestCase, self).setUp()
        self.new_flavor = make_flavor('big', vcpus=2, memory_mb=4096,
                                      root_gb=20)

    def test_destination_builds_the_guest(self):
        info = self.migrate(self.new_flavor)
        # What Nova's _finish_resize sets before finish_migration.
        self.instance.update(dict(flavor=self.new_flavor, vcpus=2,
                                  memory_mb=4096, root_gb=20))
        self.finish(info)
        path = jsonutils.loads(info)['path']
        self.assertTrue(self.dst.made(
            'image_import', MIG_IMAGE, 'file://' + path,
            {'os_version': 'rhel9.2', 'md5sum': PAYLOAD_MD5}))
        self.assertEqual([(USERID, 2, 4096)], self.dst.args_of('guest_create'))
        self.assertEqual([{'size': '20g', 'is_boot_disk': True}],
                         kwargs_of(self.dst, 'guest_create')[0]['disk_list'])
        self.assertEqual([(MIG_IMAGE, mock.ANY, {'vdev': '0100'})],
                         self.deployed)
        self.assertEqual([(MIG_IMAGE,)], self.dst.args_of('image_delete'))
        self.assertEqual(1, self.dst.count('guest_create_network_interface'))
        self.assertTrue(self.dst.made('guest_start', USERID))
        names = self.dst.api_names()
        # Order is the point: the image holds the disk until deployed.
        self.assertLess(names.index('guest_deploy'),
                        names.index('image_delete'))
        self.assert_no_files()

    def test_destination_root_gb_zero_takes_the_image_size(self):
        info = jsonutils.loads(self.migrate(make_flavor('zero', root_gb=0)))
        self.assertEqual(0, info['root_gb'])
        self.dst.answers['image_get_root_disk_size'] = '3339'
        self.finish(jsonutils.dumps(info), network_info=[])
        self.assertEqual('3339', kwargs_of(self.dst, 'guest_create')[0][
            'disk_list'][0]['size'])

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
            kwargs_of(self.dst, 'guest_create')[0]['disk_list'])
        self.assertTrue(self.dst.made('guest_config_minidisks', USERID, [
            {'vdev': '0101', 'format': 'xfs', 'mntdir': '/mnt/ephemeral0'}]))
        self.assertNotIn('guest_start', self.dst.api_names())

    def _fail_destination_at(self, api, error=None):
        info = self.migrate(self.new_flavor)
        self.dst.answers[api] = error or fakes.connector_error(api, 300, 5)
        self.assertRaises(exception.NovaException, self.finish, info)
        self.assert_no_files()
        # Whatever failed, the imported image is deleted and the guest
        # never started.
        self.assertTrue(self.dst.made('image_delete', MIG_IMAGE))
        self.assertNotIn('guest_start', self.dst.api_names())
        return self.dst.api_names()

    def test_failed_import_leaves_nothing(self):
        names = self._fail_destination_at('image_import')
        self.assertNotIn('guest_create', names)
        self.assertNotIn('guest_delete', names)

    def test_failed_deploy_deletes_the_new_guest_and_image(self):
        self._fail_destination_at('guest_deploy')
        self.assertTrue(self.dst.made('guest_delete', USERID))

    def test_failed_nic_deletes_the_new_guest(self):
        self._fail_destination_at('guest_create_network_interface')
        self.assertTrue(self.dst.made('guest_delete', USERID))

    def test_half_created_guest_is_deleted(self):
        names = self._fail_destination_at('guest_create')
        self.assertTrue(self.dst.made('guest_delete', USERID))
        self.assertNotIn('guest_deploy', names)

    def test_guest_of_someone_else_is_never_deleted(self):
        # SMAPI's "image already defined": overallRC 8, rc 400, rs 8.
        info = self.migrate(self.new_flavor)
        self.dst.answers['guest_create'] = zvm_exc.from_result(
            'guest_create', {'overallRC': 8, 'modID': 10, 'rc': 400, 'rs': 8,
                             'errmsg': 'Image definition OS000001 already '
                                       'exists'}, args=(USERID,))
        self.assertRaises(exception.InstanceExists, self.finish, info)
        self.assertNotIn('guest_delete', self.dst.api_names())
        self.assertTrue(self.dst.made('image_delete', MIG_IMAGE))
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
