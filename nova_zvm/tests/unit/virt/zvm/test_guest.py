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

import os
from unittest import mock

import fixtures
from nova.compute import power_state
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import diskfit
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import network

IMAGE_ID = 'a2459075-d96c-40d5-893e-577ff92e721c'


def exception_from(api, result):
    return zvm_exc.from_result(api, dict(result, output=''), ('OS000001',))


class GuestTestBase(test.NoDBTestCase):

    def setUp(self):
        super(GuestTestBase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(instance_name_template='OS%06x')
        self.flags(image_tmp_path=os.path.join(self.tmp, 'images'),
                   group='zvm')
        self.client = fakes.FakeClient()
        self.virtapi = fake_virt.FakeVirtAPI()
        self.ops = guest.GuestOps(self.client, image.ImageOps(self.client),
                                  network.NetworkOps(self.client),
                                  self.virtapi)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, vcpus=2, memory_mb=2048,
            flavor=objects.Flavor(name='m1.zvm', flavorid='7', root_gb=10,
                                  ephemeral_gb=0, swap=0,
                                  vcpus=2, memory_mb=2048,
                                  extra_specs={}))
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.instance.trusted_certs = None


class GuestQueryTestCase(GuestTestBase):

    def test_power_states(self):
        for answer, expected in (('on', power_state.RUNNING),
                                 ('off', power_state.SHUTDOWN),
                                 ('odd', power_state.NOSTATE)):
            self.client.answers['guest_get_power_state'] = answer
            self.assertEqual(expected,
                             self.ops.power_state(self.instance))

    def test_power_state_is_one_call_by_userid(self):
        self.client.answers['guest_get_power_state'] = 'on'
        self.ops.power_state(self.instance)
        self.assertEqual([('guest_get_power_state', ('OS000001',), {})],
                         self.client.calls)

    def test_power_state_of_missing_guest(self):
        self.client.answers['guest_get_power_state'] = fakes.guest_not_found(
            'guest_get_power_state', 'OS000001')
        self.assertRaises(exception.InstanceNotFound, self.ops.power_state,
                          self.instance)

    def test_exists_never_lists_guests(self):
        self.client.answers['guest_get_power_state'] = 'off'
        self.assertTrue(self.ops.exists(self.instance))
        self.assertNotIn('guest_list', self.client.api_names())

    def test_console_output_is_bytes_and_bounded(self):
        self.client.answers['guest_get_console_output'] = (
            'x' * (guest.MAX_CONSOLE_BYTES + 10) + 'END\u00e9')
        output = self.ops.console_output(self.instance)
        self.assertIsInstance(output, bytes)
        self.assertEqual(guest.MAX_CONSOLE_BYTES, len(output))
        self.assertTrue(output.endswith('END\u00e9'.encode('utf-8')))

    def test_empty_console(self):
        self.client.answers['guest_get_console_output'] = None
        self.assertEqual(b'', self.ops.console_output(self.instance))

    def test_console_of_a_stopped_guest_is_the_last_one_read(self):
        # z/VM spools the console of a logged-on guest only: 8/1/8/8.
        stopped = fakes.connector_error('guest_get_console_output', 8, 8,
                                        modid=1)
        self.client.answers['guest_get_console_output'] = stopped
        self.assertEqual(b'', self.ops.console_output(self.instance))
        self.client.answers['guest_get_console_output'] = 'booted\n'
        self.assertEqual(b'booted\n', self.ops.console_output(self.instance))
        self.client.answers['guest_get_console_output'] = stopped
        self.assertEqual(b'booted\n', self.ops.console_output(self.instance))

    def test_console_other_errors_are_raised(self):
        self.client.answers['guest_get_console_output'] = (
            fakes.connector_error('guest_get_console_output', 500, 1))
        self.assertRaises(exception.NovaException, self.ops.console_output,
                          self.instance)

    def test_list_instances(self):
        self.client.answers['guest_list'] = ['OS000001', 'ZCCUSER']
        self.assertEqual(['OS000001', 'ZCCUSER'], self.ops.list_instances())

    def test_list_instance_uuids_from_the_guests_on_z_vm(self):
        self.client.answers['guest_list'] = ['OS000001', 'OS000003',
                                             'MAINT']
        inst1 = fake_instance.fake_instance_obj(self.ctxt, id=1)
        inst2 = fake_instance.fake_instance_obj(self.ctxt, id=2)
        # Deleted, but its guest is still on z/VM: Nova must see it.
        gone = fake_instance.fake_instance_obj(self.ctxt, id=3, deleted=True)
        with mock.patch.object(objects.InstanceList, 'get_by_filters',
                               return_value=[inst1, inst2, gone]) as query:
            self.assertEqual([inst1.uuid, gone.uuid],
                             self.ops.list_instance_uuids('cmp1'))
        # One connector call and one query, deleted instances included.
        self.assertEqual(['guest_list'], self.client.api_names())
        ctxt, filters = query.call_args[0]
        self.assertEqual({'host': 'cmp1'}, filters)
        self.assertEqual('yes', ctxt.read_deleted)

    def test_list_instance_uuids_without_guests_asks_no_database(self):
        self.client.answers['guest_list'] = []
        with mock.patch.object(objects.InstanceList,
                               'get_by_filters') as query:
            self.assertEqual([], self.ops.list_instance_uuids('cmp1'))
        query.assert_not_called()


class DiagnosticsTestCase(GuestTestBase):

    def test_running_guest(self):
        self.client.answers.update(
            guest_get_info={'power_state': 'on', 'num_cpu': 2,
                            'max_mem_kb': 4194304, 'mem_kb': 2097152,
                            'cpu_time_us': 100},
            guest_inspect_stats={'OS000001': {
                'guest_cpus': 2, 'used_cpu_time_us': 4000000,
                'max_mem_kb': 2097152, 'used_mem_kb': 1048576}},
            guest_inspect_vnics={'OS000001': [
                {'nic_vdev': '1000', 'nic_rx': 10, 'nic_tx': 20,
                 'nic_fr_rx': 1, 'nic_fr_tx': 2, 'nic_fr_rx_dsc': 0,
                 'nic_fr_tx_dsc': 0, 'nic_fr_rx_err': 0,
                 'nic_fr_tx_err': 0}]})
        diags = self.ops.diagnostics(self.instance)
        self.assertEqual('running', diags.state)
        self.assertEqual(2, diags.num_cpus)
        self.assertEqual(2000000000, diags.cpu_details[0].time)
        self.assertEqual(2048, diags.memory_details.maximum)
        self.assertEqual(1024, diags.memory_details.used)
        self.assertEqual(1, diags.num_nics)
        self.assertEqual(10, diags.nic_details[0].rx_octets)
        self.assertEqual(20, diags.nic_details[0].tx_octets)
        self.assertTrue(diags.config_drive)

    def test_stopped_guest_has_no_monitor_data(self):
        self.client.answers['guest_get_info'] = {
            'power_state': 'off', 'num_cpu': 1, 'max_mem_kb': 1048576,
            'mem_kb': 0, 'cpu_time_us': 0}
        diags = self.ops.diagnostics(self.instance)
        self.assertEqual('shutdown', diags.state)
        self.assertEqual(['guest_get_info'], self.client.api_names())
        self.assertEqual(1024, diags.memory_details.maximum)


class PowerTestCase(GuestTestBase):

    def test_power_on(self):
        self.ops.power_on(self.instance)
        self.assertEqual([('guest_start', ('OS000001',), {})],
                         self.client.calls)

    def test_clean_power_off_waits(self):
        self.ops.power_off(self.instance, timeout=60, retry_interval=5)
        self.assertEqual([('guest_softstop', ('OS000001',),
                           {'timeout': 60, 'poll_interval': 5})],
                         self.client.calls)

    def test_clean_power_off_that_times_out_stops_the_guest(self):
        # The guest's OS ignores the signal: zvmsdk gives up with
        # 99/1/99/414; Nova's contract is a hard stop then.
        self.client.answers['guest_softstop'] = fakes.connector_error(
            'guest_softstop', 99, 414, modid=1)
        self.ops.power_off(self.instance, timeout=60, retry_interval=5)
        self.assertEqual(['guest_softstop', 'guest_stop'],
                         self.client.api_names())

    def test_power_off_of_a_gone_guest_is_not_forced(self):
        self.client.answers['guest_softstop'] = fakes.guest_not_found(
            'guest_softstop', 'OS000001')
        self.assertRaises(exception.InstanceNotFound, self.ops.power_off,
                          self.instance, timeout=60)
        self.assertEqual(['guest_softstop'], self.client.api_names())

    def test_clean_power_off_default_interval(self):
        self.flags(softstop_poll_interval=7, group='zvm')
        self.ops.power_off(self.instance, timeout=30)
        self.assertEqual({'timeout': 30, 'poll_interval': 7},
                         self.client.calls[0][2])

    def test_forced_power_off_is_immediate(self):
        self.ops.power_off(self.instance, timeout=0)
        self.assertEqual([('guest_stop', ('OS000001',), {})],
                         self.client.calls)

    def test_soft_reboot(self):
        self.ops.reboot(self.instance, 'SOFT')
        self.assertEqual(['guest_reboot'], self.client.api_names())

    def test_soft_reboot_of_a_guest_stopped_behind_nova_starts_it(self):
        self.client.answers['guest_reboot'] = fakes.connector_error(
            'guest_reboot', 300, 8, errmsg='IUCV failed')
        self.client.answers['guest_get_power_state'] = 'off'
        self.ops.reboot(self.instance, 'SOFT')
        self.assertEqual(['guest_reboot', 'guest_get_power_state',
                          'guest_start'], self.client.api_names())

    def test_soft_reboot_failure_of_a_running_guest_raises(self):
        self.client.answers['guest_reboot'] = fakes.connector_error(
            'guest_reboot', 300, 8, errmsg='IUCV failed')
        self.client.answers['guest_get_power_state'] = 'on'
        err = self.assertRaises(exception.ZVMConnectorError, self.ops.reboot,
                                self.instance, 'SOFT')
        self.assertIn('IUCV failed', str(err))
        self.assertNotIn('guest_start', self.client.api_names())

    def test_hard_reboot(self):
        self.ops.reboot(self.instance, 'HARD')
        self.assertEqual(['guest_reset'], self.client.api_names())

    def test_pause_unpause(self):
        self.ops.pause(self.instance)
        self.ops.unpause(self.instance)
        self.assertEqual(['guest_pause', 'guest_unpause'],
                         self.client.api_names())

    def test_destroy(self):
        self.ops.destroy(self.instance)
        self.assertEqual([('guest_delete', ('OS000001',), {})],
                         self.client.calls)

    def test_destroy_missing_guest_succeeds(self):
        self.client.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', 'OS000001', rs=3)
        self.ops.destroy(self.instance)
        self.assertEqual(['guest_delete'], self.client.api_names())

    def test_destroy_of_a_guest_unknown_to_the_connector_deletes_it(self):
        # 404 rs 1: on z/VM, not in this connector's database. Not "gone":
        # registered, then deleted.
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.client.answers['guest_delete'] = fakes.Seq([
            fakes.guest_not_found('guest_delete', 'OS000001'), None])
        self.client.answers['guest_register'] = fakes.connector_error(
            'guest_register', 300, 5, modid=10)
        self.ops.destroy(self.instance)
        self.assertEqual([
            ('guest_delete', ('OS000001',), {}),
            ('guest_register', ('OS000001', 'os_version=rhel9.2', '0'), {}),
            ('guest_delete', ('OS000001',), {})], self.client.calls)

    def test_destroy_never_says_deleted_when_registering_fails(self):
        self.client.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', 'OS000001')
        self.client.answers['guest_register'] = fakes.connector_error(
            'guest_register', 500, 1, modid=10)
        self.assertRaises(exception.ZVMConnectorError, self.ops.destroy,
                          self.instance)

    def test_destroy_other_errors_raise(self):
        self.client.answers['guest_delete'] = fakes.connector_error(
            'guest_delete', 500, 1)
        self.assertRaises(exception.ZVMConnectorError, self.ops.destroy,
                          self.instance)


class DiskListTestCase(GuestTestBase):

    def test_root_from_flavor(self):
        disks = self.ops.disk_list(self.instance, IMAGE_ID, None)
        self.assertEqual([{'size': '10g', 'is_boot_disk': True}], disks)
        self.assertEqual([], self.client.calls)

    def test_root_from_image_when_flavor_has_none(self):
        self.instance.flavor.root_gb = 0
        self.client.answers['image_get_root_disk_size'] = '3339'
        disks = self.ops.disk_list(self.instance, IMAGE_ID, None)
        self.assertEqual('3339', disks[0]['size'])

    def test_spawn_with_root_gb_zero_reuses_the_image_query(self):
        self.instance.flavor.root_gb = 0
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3339:CYL', 'last_access_time': 1.0}]
        image_meta = objects.ImageMeta.from_dict({
            'id': IMAGE_ID, 'properties': {'os_distro': 'rhel9.2'}})
        name = self.ops._image.ensure_image(self.ctxt, image_meta)
        disks = self.ops.disk_list(self.instance, name, None)
        self.assertEqual('3339', disks[0]['size'])
        self.assertNotIn('image_get_root_disk_size',
                         self.client.api_names())

    def test_disk_pool_and_ephemerals(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        bdi = {'ephemerals': [{'size': 5, 'guest_format': 'xfs'},
                              {'size': 1, 'guest_format': None}]}
        disks = self.ops.disk_list(self.instance, IMAGE_ID, bdi)
        self.assertEqual(
            [{'size': '10g', 'is_boot_disk': True, 'disk_pool': 'ECKD:POOL1'},
             {'size': '5g', 'format': 'xfs', 'disk_pool': 'ECKD:POOL1'},
             {'size': '1g', 'format': 'ext3', 'disk_pool': 'ECKD:POOL1'}],
            disks)

    def test_flavor_swap_is_a_swap_minidisk(self):
        bdi = {'ephemerals': [{'size': 2, 'guest_format': 'xfs'}],
               'swap': {'swap_size': 512, 'device_name': '/dev/sdc'}}
        disks = self.ops.disk_list(self.instance, IMAGE_ID, bdi)
        self.assertEqual({'size': '512m', 'format': 'swap'}, disks[2])
        created = [dict(d, vdev='%04x' % (0x100 + i))
                   for i, d in enumerate(disks)]
        self.assertEqual(
            [{'vdev': '0101', 'format': 'xfs', 'mntdir': '/mnt/ephemeral0'},
             {'vdev': '0102', 'format': 'swap', 'mntdir': 'swap'}],
            guest.ephemeral_config(created))

    def test_no_swap_no_swap_disk(self):
        disks = self.ops.disk_list(self.instance, IMAGE_ID,
                                   {'swap': {'swap_size': 0}})
        self.assertEqual(1, len(disks))

    def test_nova_default_ephemeral_format_wins(self):
        self.flags(default_ephemeral_format='ext4')
        disks = self.ops.disk_list(self.instance, IMAGE_ID,
                                   {'ephemerals': [{'size': 2}]})
        self.assertEqual('ext4', disks[1]['format'])

    def test_ephemeral_config_uses_created_vdevs(self):
        created = [{'size': '10g', 'is_boot_disk': True, 'vdev': '0100'},
                   {'size': '5g', 'format': 'xfs', 'vdev': '0101'}]
        self.assertEqual([{'vdev': '0101', 'format': 'xfs',
                           'mntdir': '/mnt/ephemeral0'}],
                         guest.ephemeral_config(created))


class SpawnTestCase(GuestTestBase):

    def setUp(self):
        super(SpawnTestCase, self).setUp()
        self.useFixture(fakes.ConfigDriveFixture(self, self.instance))
        self.image_meta = objects.ImageMeta.from_dict({
            'id': IMAGE_ID, 'disk_format': 'raw',
            'properties': {'os_distro': 'rhel9.2'}})
        self.client.answers.update(
            image_query=[{'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2'}],
            guest_create=lambda userid, vcpus, mem, disk_list, **kw: [
                dict(d, vdev='%04x' % (0x100 + i))
                for i, d in enumerate(disk_list)],
            guest_create_network_interface=lambda uid, distro, nets, **kw: [
                dict(net, nic_vdev='%04X' % (0x1000 + 3 * i))
                for i, net in enumerate(nets)])
        self.vifs = [
            test_network.make_vif('p1', 'fa:16:3e:00:00:01', v4='10.0.0.5',
                                  active=True),
            test_network.make_vif('p2', 'fa:16:3e:00:00:02', v4='10.0.0.6',
                                  active=True)]
        self.transport_files = []
        real_deploy = self.client.answers.get('guest_deploy')

        def deploy(userid, image_name, transportfiles=None, **kw):
            # The connector reads the file while deploying.
            self.assertTrue(os.path.isfile(transportfiles))
            self.transport_files.append(transportfiles)
            return real_deploy
        self.client.answers['guest_deploy'] = deploy

    def _spawn(self, network_info=None, bdi=None, power_on=True):
        self.ops.spawn(self.ctxt, self.instance, self.image_meta, [],
                       'secret-pw', network_info if network_info is not None
                       else self.vifs, bdi, power_on=power_on)

    def test_ipv6_only_port_refused_before_any_call(self):
        vifs = [test_network.make_vif('p6', 'fa:16:3e:00:00:06',
                                      v6='fd00::6', active=True)]
        err = self.assertRaises(exception.BuildAbortException, self._spawn,
                                network_info=vifs)
        self.assertIn('IPv4', str(err))
        self.assertEqual([], self.client.calls)

    def _small_volumes(self):
        """Three 3390-03 volumes: 2.2 GB each, so at most 2 GB disks."""
        self.client.answers.update(
            host_get_diskpool_volumes={'diskpool_volumes': 'V1 V2 V3'},
            host_get_volume_info={'volume_type': '3390-03',
                                  'volume_size': '3339'})
        pool = diskfit.PoolVolumes(self.client)
        pool.refresh()
        self.ops._pool_volumes = pool
        del self.client.calls[:]

    def test_root_larger_than_any_volume_refused_before_any_call(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 3
        err = self.assertRaises(exception.BuildAbortException, self._spawn)
        self.assertIn('Root disk of 3 GB (4370 cylinders) does not fit on '
                      'one volume', str(err))
        self.assertIn('V1 (3390-03), holds 2.2 GB (3338 cylinders)',
                      str(err))
        # Not even the image was looked up.
        self.assertEqual([], self.client.calls)
        self._assert_no_files()

    def test_swap_larger_than_any_volume_refused_before_any_call(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 2
        err = self.assertRaises(
            exception.BuildAbortException, self._spawn,
            bdi={'swap': {'swap_size': 3072, 'device_name': '/dev/sdb'}})
        self.assertIn('Swap disk of 3072 MB', str(err))
        self.assertEqual([], self.client.calls)

    def test_image_sized_root_checked_before_guest_create(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 0
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3400:CYL', 'last_access_time': 1.0}]
        err = self.assertRaises(exception.BuildAbortException, self._spawn)
        self.assertIn('Root disk of 3400 cylinders', str(err))
        self.assertEqual(['image_query'], self.client.api_names())
        self._assert_no_files()

    def test_disks_spread_over_volumes_are_created(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 2
        self._spawn(bdi={'ephemerals': [{'size': 2, 'guest_format': 'ext3'}],
                         'swap': {'swap_size': 1024}})
        self.assertIn('guest_create', self.client.api_names())

    def test_rhcos_refused_before_any_call(self):
        self.image_meta.properties.os_distro = 'rhcos4.12'
        err = self.assertRaises(exception.BuildAbortException, self._spawn)
        self.assertIn('CoreOS', str(err))
        self.assertEqual([], self.client.calls)

    def _assert_no_files(self):
        for path in self.transport_files:
            self.assertFalse(os.path.exists(path))
        images = os.path.join(self.tmp, 'images')
        if os.path.isdir(images):
            self.assertEqual([], os.listdir(images))

    def test_spawn_sequence(self):
        self._spawn()
        self.assertEqual(['image_query', 'guest_create', 'guest_deploy',
                          'guest_create_network_interface', 'guest_start'],
                         self.client.api_names())
        create = self.client.calls[1]
        self.assertEqual(('OS000001', 2, 2048), create[1])
        deploy = self.client.calls[2]
        self.assertEqual(('OS000001', IMAGE_ID), deploy[1])
        self.assertEqual('0100', deploy[2]['vdev'])
        self._assert_no_files()
        self.assertEqual('True', self.instance.config_drive)

    def test_image_larger_than_the_flavor_creates_nothing(self):
        self.instance.flavor.root_gb = 1
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3339:CYL', 'last_access_time': 1.0}]
        self.assertRaises(exception.FlavorDiskSmallerThanImage, self._spawn)
        self.assertEqual(['image_query'], self.client.api_names())
        self._assert_no_files()

    def test_spawn_never_lists_guests(self):
        self._spawn()
        self.assertNotIn('guest_list', self.client.api_names())

    def test_spawn_with_ephemeral_configures_disks(self):
        self._spawn(bdi={'ephemerals': [{'size': 1, 'guest_format': 'ext4'}]})
        config = [c for c in self.client.calls
                  if c[0] == 'guest_config_minidisks']
        self.assertEqual([('guest_config_minidisks', (
            'OS000001', [{'vdev': '0101', 'format': 'ext4',
                          'mntdir': '/mnt/ephemeral0'}]), {})], config)

    def test_spawn_without_power_on(self):
        self._spawn(power_on=False)
        self.assertNotIn('guest_start', self.client.api_names())

    def test_spawn_without_network(self):
        self._spawn(network_info=[])
        self.assertNotIn('guest_create_network_interface',
                         self.client.api_names())

    def test_spawn_user_options(self):
        self.flags(user_profile='OSDFLT', guest_max_cpus=8,
                   guest_max_memory='64G', group='zvm')
        self._spawn()
        self.assertEqual({'user_profile': 'OSDFLT', 'max_cpu': 8,
                          'max_mem': '64G'},
                         {k: v for k, v in self.client.calls[1][2].items()
                          if k != 'disk_list'})

    def test_unknown_user_profile_is_named(self):
        self.flags(user_profile='NOPROF', group='zvm')
        self.client.answers['guest_create'] = fakes.guest_not_found(
            'guest_create', 'OS000001')
        # Aborted (never rescheduled, never 'deleted during build').
        err = self.assertRaises(exception.BuildAbortException, self._spawn)
        self.assertIn('[zvm] user_profile', str(err))
        self.assertIn('NOPROF', str(err))
        # Nothing was created, so nothing is deleted.
        self.assertNotIn('guest_delete', self.client.api_names())
        self._assert_no_files()

    def test_missing_os_distro_refused_before_any_call(self):
        self.image_meta = objects.ImageMeta.from_dict(
            {'id': IMAGE_ID, 'disk_format': 'raw', 'properties': {}})
        err = self.assertRaises(exception.InvalidInput, self._spawn)
        self.assertIn('os_distro', str(err))
        self.assertEqual([], self.client.calls)

    def test_invalid_name_refused_before_any_call(self):
        self.flags(instance_name_template='instance-%08x')
        self.assertRaises(exception.InvalidInput, self._spawn)
        self.assertEqual([], self.client.calls)

    def test_existing_guest_is_not_deleted(self):
        self.client.answers['guest_create'] = exception_from(
            'guest_create', {'overallRC': 8, 'modID': 1, 'rc': 400,
                             'rs': 8, 'errmsg': 'Image already defined'})
        self.assertRaises(exception.InstanceExists, self._spawn)
        self.assertNotIn('guest_delete', self.client.api_names())
        self._assert_no_files()
        # Nova then cleans up with destroy: the guest is someone else's.
        self.ops.destroy(self.instance)
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_destroy_after_a_spawn_that_created_nothing(self):
        self.client.answers['image_query'] = fakes.connector_error(
            'image_query', 500, 1, modid=40)
        self.assertRaises(exception.ZVMConnectorError, self._spawn)
        self.ops.destroy(self.instance)
        self.assertNotIn('guest_create', self.client.api_names())
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_destroy_after_a_lost_guest_create_answer_deletes(self):
        # The call may have run: the guest, if any, is this instance's.
        # z/VM has it without its minidisks: not complete, rolled back.
        self.client.answers['guest_create'] = fakes.unreachable(
            'guest_create')
        self.client.answers['guest_get_definition_info'] = {
            'user_direct': ['USER OS000001 LBYONLY 2048M 2048M G']}
        err = self.assertRaises(exception.NovaException, self._spawn)
        self.assertIn('guest_create gave no answer', str(err))
        self.assertIn('no complete guest OS000001', str(err))
        self.assertEqual(['guest_create', 'guest_get_definition_info',
                          'guest_delete'], self.client.api_names()[-3:])
        self.ops.destroy(self.instance)
        self.assertEqual('guest_delete', self.client.api_names()[-1])

    def test_destroy_after_a_duplicate_guest_create_keeps_the_guest(self):
        self.client.answers['guest_create'] = fakes.connector_error(
            'guest_create', 409, 8, modid=10)
        self.assertRaises(exception.InstanceExists, self._spawn)
        self.ops.destroy(self.instance)
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_destroy_after_a_successful_spawn_deletes(self):
        self._spawn()
        self.ops.destroy(self.instance)
        self.assertEqual('guest_delete', self.client.api_names()[-1])

    def _fail_at(self, api):
        self.client.answers[api] = fakes.connector_error(api, 300, 5,
                                                         modid=10)
        err = self.assertRaises(exception.ZVMConnectorError, self._spawn)
        self.assertIn(api, str(err))
        self.assertEqual('guest_delete', self.client.api_names()[-1])
        self._assert_no_files()

    def test_deploy_failure_rolls_back(self):
        self._fail_at('guest_deploy')
        # The guest created for the deploy is deleted, never started.
        self.assertIn(('guest_delete', ('OS000001',), {}), self.client.calls)
        self.assertNotIn('guest_start', self.client.api_names())

    def test_nic_failure_rolls_back(self):
        self._fail_at('guest_create_network_interface')
        self.assertIn(('guest_delete', ('OS000001',), {}), self.client.calls)
        self.assertNotIn('guest_start', self.client.api_names())

    def test_start_failure_rolls_back(self):
        self._fail_at('guest_start')
        self.assertIn(('guest_delete', ('OS000001',), {}), self.client.calls)

    def test_rollback_tolerates_vanished_guest(self):
        self.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 300, 5, modid=10)
        self.client.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', 'OS000001', rs=3)
        self.assertRaises(exception.ZVMConnectorError, self._spawn)

    def test_vif_timeout_fatal_rolls_back(self):
        self.flags(vif_plugging_is_fatal=True, vif_plugging_timeout=1)
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                      v4='10.0.0.5', active=False)]
        with mock.patch.object(self.virtapi, 'wait_for_instance_event',
                               side_effect=exception.InstanceEventTimeout):
            self.assertRaises(exception.VirtualInterfaceCreateException,
                              self._spawn, network_info=vifs)
        self.assertEqual('guest_delete', self.client.api_names()[-1])

    def test_vif_timeout_not_fatal_continues(self):
        self.flags(vif_plugging_is_fatal=False, vif_plugging_timeout=1)
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                      v4='10.0.0.5', active=False)]
        with mock.patch.object(self.virtapi, 'wait_for_instance_event',
                               side_effect=exception.InstanceEventTimeout):
            self._spawn(network_info=vifs)
        self.assertEqual('guest_start', self.client.api_names()[-1])

    def test_waits_for_inactive_vifs(self):
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                      v4='10.0.0.5', active=False)]
        with mock.patch.object(self.virtapi,
                               'wait_for_instance_event') as wait:
            self._spawn(network_info=vifs)
        self.assertEqual([('network-vif-plugged', 'p1')],
                         wait.call_args[0][1])
