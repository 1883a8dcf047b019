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

"""The base of the migration tests: two connectors on one machine.

As in the functional tests: a source and a destination compute host, each
with its own connector (here a FakeClient each), sharing the file system
(``[zvm] image_tmp_path``). Real temporary files; only the connector and,
for the remote copy, the ssh/scp commands are stand-ins.
"""

import hashlib
import os

import fixtures
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import diskfit
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm.migration import ops as migration_ops
from nova_zvm.virt.zvm import network

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
        return migration_ops.MigrationOps(client, guest_ops, image_ops)

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
