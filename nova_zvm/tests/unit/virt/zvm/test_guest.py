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
        self.image_ops = image.ImageOps(self.client)
        self.ops = guest.GuestOps(self.client, self.image_ops,
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
        self.assertTrue(self.client.made('guest_get_power_state', 'OS000001'))
        self.assertEqual(1, self.client.count())

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
        self.assertTrue(self.client.made('guest_list'))
        self.assertEqual(1, self.client.count())
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
        self.assertTrue(self.client.made('guest_get_info', 'OS000001'))
        self.assertNotIn('guest_inspect_stats', self.client.api_names())
        self.assertNotIn('guest_inspect_vnics', self.client.api_names())
        self.assertEqual(1024, diags.memory_details.maximum)


class PowerTestCase(GuestTestBase):

    def test_power_on(self):
        self.ops.power_on(self.instance)
        self.assertTrue(self.client.made('guest_start', 'OS000001'))

    def test_clean_power_off_waits(self):
        self.ops.power_off(self.instance, timeout=60, retry_interval=5)
        self.assertTrue(self.client.made('guest_softstop', 'OS000001',
                                         timeout=60, poll_interval=5))
        self.assertNotIn('guest_stop', self.client.api_names())

    def test_clean_power_off_that_times_out_stops_the_guest(self):
        # The guest's OS ignores the signal: zvmsdk gives up with
        # 99/1/99/414; Nova's contract is a hard stop then.
        self.client.answers['guest_softstop'] = fakes.connector_error(
            'guest_softstop', 99, 414, modid=1)
        self.ops.power_off(self.instance, timeout=60, retry_interval=5)
        self.assertEqual(1, self.client.count('guest_softstop'))
        self.assertTrue(self.client.made('guest_stop', 'OS000001'))

    def test_power_off_of_a_gone_guest_is_not_forced(self):
        self.client.answers['guest_softstop'] = fakes.guest_not_found(
            'guest_softstop', 'OS000001')
        self.assertRaises(exception.InstanceNotFound, self.ops.power_off,
                          self.instance, timeout=60)
        self.assertNotIn('guest_stop', self.client.api_names())

    def test_clean_power_off_default_interval(self):
        self.flags(softstop_poll_interval=7, group='zvm')
        self.ops.power_off(self.instance, timeout=30)
        self.assertTrue(self.client.made('guest_softstop', 'OS000001',
                                         timeout=30, poll_interval=7))

    def test_forced_power_off_is_immediate(self):
        self.ops.power_off(self.instance, timeout=0)
        self.assertTrue(self.client.made('guest_stop', 'OS000001'))
        self.assertNotIn('guest_softstop', self.client.api_names())

    def test_soft_reboot(self):
        self.ops.reboot(self.instance, 'SOFT')
        self.assertTrue(self.client.made('guest_reboot', 'OS000001'))
        self.assertNotIn('guest_reset', self.client.api_names())
        self.assertNotIn('guest_start', self.client.api_names())

    def test_soft_reboot_of_a_guest_stopped_behind_nova_starts_it(self):
        self.client.answers['guest_reboot'] = fakes.connector_error(
            'guest_reboot', 300, 8, errmsg='IUCV failed')
        self.client.answers['guest_get_power_state'] = 'off'
        self.ops.reboot(self.instance, 'SOFT')
        self.assertTrue(self.client.made('guest_start', 'OS000001'))
        self.assertNotIn('guest_reset', self.client.api_names())

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
        self.assertTrue(self.client.made('guest_reset', 'OS000001'))
        self.assertNotIn('guest_reboot', self.client.api_names())

    def test_pause_unpause(self):
        self.ops.pause(self.instance)
        self.assertTrue(self.client.made('guest_pause', 'OS000001'))
        self.assertNotIn('guest_unpause', self.client.api_names())
        self.ops.unpause(self.instance)
        self.assertTrue(self.client.made('guest_unpause', 'OS000001'))

    def test_destroy(self):
        self.ops.destroy(self.instance)
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))

    def test_destroy_missing_guest_succeeds(self):
        self.client.answers['guest_delete'] = fakes.guest_not_found(
            'guest_delete', 'OS000001', rs=3)
        self.ops.destroy(self.instance)
        self.assertEqual(1, self.client.count('guest_delete'))
        self.assertNotIn('guest_register', self.client.api_names())

    def test_destroy_of_a_guest_unknown_to_the_connector_deletes_it(self):
        # 404 rs 1: on z/VM, not in this connector's database. Not "gone":
        # registered, then deleted.
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.client.answers['guest_delete'] = fakes.Seq([
            fakes.guest_not_found('guest_delete', 'OS000001'), None])
        self.client.answers['guest_register'] = fakes.connector_error(
            'guest_register', 300, 5, modid=10)
        self.ops.destroy(self.instance)
        self.assertTrue(self.client.made('guest_register', 'OS000001',
                                         'os_version=rhel9.2', '0'))
        # Order is the point: the guest is deleted again once registered.
        self.assertEqual(['guest_delete', 'guest_register', 'guest_delete'],
                         self.client.api_names())

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

    def test_destroy_leaves_a_guest_spawn_did_not_create(self):
        self.ops.expect_create(self.instance)
        self.assertFalse(self.ops.owns_guest(self.instance))
        self.ops.destroy(self.instance)
        self.assertNotIn('guest_delete', self.client.api_names())
        # Told once: a later destroy deletes (a guest made since is its own).
        self.assertTrue(self.ops.owns_guest(self.instance))
        self.ops.destroy(self.instance)
        self.assertTrue(self.client.made('guest_delete', 'OS000001'))

    def test_create_guest_makes_the_guest_its_own(self):
        self.client.answers['guest_create'] = [{'size': '10g',
                                                'vdev': '0100'}]
        self.ops.expect_create(self.instance)
        created = self.ops.create_guest(self.instance, 'OS000001',
                                        [{'size': '10g'}])
        self.assertEqual([{'size': '10g', 'vdev': '0100'}], created)
        self.assertTrue(self.ops.owns_guest(self.instance))
        self.assertEqual([('OS000001', 2, 2048)],
                         self.client.args_of('guest_create'))
