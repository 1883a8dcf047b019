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

"""Spawn's flow: refusals before any call, the guest built, rollback."""

import os
from unittest import mock

from nova import exception
from nova import objects
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_guest
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import diskfit
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import spawn

IMAGE_ID = test_guest.IMAGE_ID
# What a spawn refused before anything was created must not have asked.
CREATING = ('image_import', 'guest_create', 'guest_deploy',
            'guest_create_network_interface', 'guest_start')


class SpawnTestBase(test_guest.GuestTestBase):
    """SpawnOps over the GuestOps of GuestTestBase (self.ops)."""

    def setUp(self):
        super(SpawnTestBase, self).setUp()
        self.spawn_ops = spawn.SpawnOps(self.client, self.ops,
                                        self.image_ops)

    def assert_nothing_created(self):
        for api in CREATING:
            self.assertNotIn(api, self.client.api_names())


class UnsupportedDistroTestCase(test.NoDBTestCase):

    def test_rhcos_is_named(self):
        self.assertIn('CoreOS', spawn.unsupported_distro('RHCOS4.12'))

    def test_others_are_deployed(self):
        self.assertIsNone(spawn.unsupported_distro('rhel9.2'))
        self.assertIsNone(spawn.unsupported_distro(None))


class SpawnTestCase(SpawnTestBase):

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
        self.spawn_ops.spawn(
            self.ctxt, self.instance, self.image_meta, [], 'secret-pw',
            network_info if network_info is not None else self.vifs, bdi,
            power_on=power_on)

    def test_ipv6_only_port_refused_before_any_call(self):
        vifs = [test_network.make_vif('p6', 'fa:16:3e:00:00:06',
                                      v6='fd00::6', active=True)]
        err = self.assertRaises(exception.BuildAbortException, self._spawn,
                                network_info=vifs)
        self.assertIn('IPv4', str(err))
        self.assertEqual(0, self.client.count())

    def _small_volumes(self):
        """Three 3390-03 volumes: 2.2 GB each, so at most 2 GB disks."""
        self.client.answers.update(
            host_get_diskpool_volumes={'diskpool_volumes': 'V1 V2 V3'},
            host_get_volume_info={'volume_type': '3390-03',
                                  'volume_size': '3339'})
        pool = diskfit.PoolVolumes(self.client)
        pool.refresh()
        self.ops.disks = minidisks.GuestDisks(self.image_ops, pool)
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
        self.assertEqual(0, self.client.count())
        self._assert_no_files()

    def test_swap_larger_than_any_volume_refused_before_any_call(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 2
        err = self.assertRaises(
            exception.BuildAbortException, self._spawn,
            bdi={'swap': {'swap_size': 3072, 'device_name': '/dev/sdb'}})
        self.assertIn('Swap disk of 3072 MB', str(err))
        self.assertEqual(0, self.client.count())

    def test_image_sized_root_checked_before_guest_create(self):
        self._small_volumes()
        self.instance.flavor.root_gb = 0
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3400:CYL', 'last_access_time': 1.0}]
        err = self.assertRaises(exception.BuildAbortException, self._spawn)
        self.assertIn('Root disk of 3400 cylinders', str(err))
        self.assert_nothing_created()
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
        self.assertEqual(0, self.client.count())

    def _assert_no_files(self):
        for path in self.transport_files:
            self.assertFalse(os.path.exists(path))
        images = os.path.join(self.tmp, 'images')
        if os.path.isdir(images):
            self.assertEqual([], os.listdir(images))

    def test_spawn_builds_and_starts_the_guest(self):
        self._spawn()
        self.assertEqual([('OS000001', 2, 2048)],
                         self.client.args_of('guest_create'))
        self.assertEqual([('OS000001', IMAGE_ID)],
                         self.client.args_of('guest_deploy'))
        self.assertEqual(['0100'], [kw['vdev'] for api, _a, kw
                                    in self.client.calls
                                    if api == 'guest_deploy'])
        self.assertEqual(1, self.client.count(
            'guest_create_network_interface'))
        self.assertTrue(self.client.made('guest_start', 'OS000001'))
        # Order is the point: the guest boots once, with its image and NICs.
        names = self.client.api_names()
        self.assertLess(names.index('guest_deploy'),
                        names.index('guest_start'))
        self.assertLess(names.index('guest_create_network_interface'),
                        names.index('guest_start'))
        self._assert_no_files()
        self.assertEqual('True', self.instance.config_drive)

    def test_image_larger_than_the_flavor_creates_nothing(self):
        self.instance.flavor.root_gb = 1
        self.client.answers['image_query'] = [{
            'imagename': IMAGE_ID, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '3339:CYL', 'last_access_time': 1.0}]
        self.assertRaises(exception.FlavorDiskSmallerThanImage, self._spawn)
        self.assert_nothing_created()
        self._assert_no_files()

    def test_spawn_never_lists_guests(self):
        self._spawn()
        self.assertNotIn('guest_list', self.client.api_names())

    def test_spawn_with_ephemeral_configures_disks(self):
        self._spawn(bdi={'ephemerals': [{'size': 1, 'guest_format': 'ext4'}]})
        self.assertEqual([('OS000001', [{'vdev': '0101', 'format': 'ext4',
                                         'mntdir': '/mnt/ephemeral0'}])],
                         self.client.args_of('guest_config_minidisks'))

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
                         {k: v for api, _a, kw in self.client.calls
                          if api == 'guest_create'
                          for k, v in kw.items() if k != 'disk_list'})

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
        self.assertEqual(0, self.client.count())

    def test_invalid_name_refused_before_any_call(self):
        self.flags(instance_name_template='instance-%08x')
        self.assertRaises(exception.InvalidInput, self._spawn)
        self.assertEqual(0, self.client.count())

    def test_existing_guest_is_not_deleted(self):
        self.client.answers['guest_create'] = test_guest.exception_from(
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
        self.assertTrue(self.client.made('guest_get_definition_info',
                                         'OS000001'))
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))
        self.assertNotIn('guest_deploy', self.client.api_names())
        self.ops.destroy(self.instance)
        self.assertEqual(2, self.client.count('guest_delete'))

    def test_destroy_after_a_duplicate_guest_create_keeps_the_guest(self):
        self.client.answers['guest_create'] = fakes.connector_error(
            'guest_create', 409, 8, modid=10)
        self.assertRaises(exception.InstanceExists, self._spawn)
        self.ops.destroy(self.instance)
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_destroy_after_a_successful_spawn_deletes(self):
        self._spawn()
        self.assertNotIn('guest_delete', self.client.api_names())
        self.ops.destroy(self.instance)
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))

    def _fail_at(self, api):
        self.client.answers[api] = fakes.connector_error(api, 300, 5,
                                                         modid=10)
        err = self.assertRaises(exception.ZVMConnectorError, self._spawn)
        self.assertIn(api, str(err))
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))
        self._assert_no_files()

    def test_deploy_failure_rolls_back(self):
        self._fail_at('guest_deploy')
        # The guest created for the deploy is deleted, never started.
        self.assertNotIn('guest_start', self.client.api_names())

    def test_nic_failure_rolls_back(self):
        self._fail_at('guest_create_network_interface')
        self.assertNotIn('guest_start', self.client.api_names())

    def test_start_failure_rolls_back(self):
        self._fail_at('guest_start')
        # Order is the point: the delete undoes the start that failed.
        self.assertLess(self.client.api_names().index('guest_start'),
                        self.client.api_names().index('guest_delete'))

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
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))
        self.assertNotIn('guest_start', self.client.api_names())

    def test_vif_timeout_not_fatal_continues(self):
        self.flags(vif_plugging_is_fatal=False, vif_plugging_timeout=1)
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                      v4='10.0.0.5', active=False)]
        with mock.patch.object(self.virtapi, 'wait_for_instance_event',
                               side_effect=exception.InstanceEventTimeout):
            self._spawn(network_info=vifs)
        self.assertTrue(self.client.made('guest_start', 'OS000001'))
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_waits_for_inactive_vifs(self):
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01',
                                      v4='10.0.0.5', active=False)]
        with mock.patch.object(self.virtapi,
                               'wait_for_instance_event') as wait:
            self._spawn(network_info=vifs)
        self.assertEqual([('network-vif-plugged', 'p1')],
                         wait.call_args[0][1])
