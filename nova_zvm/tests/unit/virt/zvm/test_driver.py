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

import inspect
from unittest import mock

import fixtures

from nova.compute import power_state
from nova.compute import task_states
from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import driver as virt_driver
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import client as zvm_client
from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import host
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import unsupported


def _base_raises_not_implemented(name):
    return 'raise NotImplementedError' in inspect.getsource(
        getattr(virt_driver.ComputeDriver, name))


def _public_methods(cls):
    return {name for name, member in inspect.getmembers(cls)
            if callable(member) and not name.startswith('_')}


class DriverTestBase(test.NoDBTestCase):

    def setUp(self):
        super(DriverTestBase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient(host_get_info=dict(fakes.HOST_INFO))
        self.driver = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                       client=self.client)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.instance.system_metadata = {}


class DriverSurfaceTestCase(test.NoDBTestCase):

    def test_public_methods_match_compute_driver_signatures(self):
        # On Nova 34 the base signature itself; on 32 and 33 plus the
        # parameters Nova 34 added (compat.DRIVER_PARAMETERS_ADDED).
        base_methods = _public_methods(virt_driver.ComputeDriver)
        checked = 0
        for name in _public_methods(driver.ZVMDriver):
            if name not in base_methods:
                continue
            ours = inspect.signature(getattr(driver.ZVMDriver, name))
            self.assertEqual(compat.driver_signature(name), ours,
                             'signature of %s' % name)
            checked += 1
        self.assertGreater(checked, 50)

    def test_no_public_method_outside_compute_driver(self):
        extra = (_public_methods(driver.ZVMDriver) -
                 _public_methods(virt_driver.ComputeDriver))
        self.assertEqual(set(), extra)

    def test_every_capability_is_stated(self):
        self.assertEqual(set(virt_driver.ComputeDriver.capabilities),
                         set(driver.ZVMDriver.capabilities))
        # Stated for the class itself (capabilities.py), not inherited.
        self.assertIn('capabilities', driver.ZVMDriver.__dict__)

    def test_capabilities_match_what_is_implemented(self):
        caps = driver.ZVMDriver.capabilities
        self.assertTrue(caps['has_imagecache'])
        self.assertTrue(caps['supports_image_type_raw'])
        self.assertFalse(caps['supports_image_type_qcow2'])
        self.assertEqual('attach_interface' in unsupported.UNSUPPORTED,
                         not caps['supports_attach_interface'])
        self.assertEqual('extend_volume' in unsupported.UNSUPPORTED,
                         not caps['supports_extend_volume'])

    def test_each_unimplemented_base_method_is_accounted_for(self):
        implemented = set(driver.ZVMDriver.__dict__)
        for name in _public_methods(virt_driver.ComputeDriver):
            if not _base_raises_not_implemented(name):
                continue
            places = [name in implemented and
                      name not in unsupported.UNSUPPORTED,
                      name in unsupported.NOVA_DEFAULT,
                      name in unsupported.UNSUPPORTED]
            self.assertEqual(1, places.count(True),
                             '%s must be implemented, left to Nova or '
                             'listed as unsupported (exactly one)' % name)

    def test_unsupported_lists_only_real_driver_methods(self):
        # A method of a later Nova is listed, and refused only where this
        # Nova's ComputeDriver has it.
        base_methods = _public_methods(virt_driver.ComputeDriver)
        for name in list(unsupported.UNSUPPORTED) + list(
                unsupported.NOVA_DEFAULT):
            if name in compat.DRIVER_METHODS_ADDED and \
                    name not in base_methods:
                self.assertFalse(hasattr(driver.ZVMDriver, name), name)
                continue
            self.assertIn(name, base_methods)

    def test_nova_default_methods_are_not_overridden(self):
        for name in unsupported.NOVA_DEFAULT:
            self.assertIs(getattr(virt_driver.ComputeDriver, name),
                          getattr(driver.ZVMDriver, name), name)


class UnsupportedTestCase(DriverTestBase):

    def test_unsupported_operation_says_why(self):
        err = self.assertRaises(unsupported.NotSupported,
                                self.driver.rescue, self.ctxt, self.instance,
                                [], None, 'pw', None)
        self.assertIsInstance(err, NotImplementedError)
        self.assertEqual('rescue', err.operation)
        self.assertIn('does not support rescue', str(err))
        self.assertIn('ipl_from', str(err))
        self.assertEqual(0, self.client.count())

    def test_power_off_that_starts_a_rescue_is_refused(self):
        # Nova stops the guest before it calls rescue: the guest must not
        # be stopped for an operation that is refused anyway.
        self.instance.task_state = task_states.RESCUING
        self.assertRaises(unsupported.NotSupported, self.driver.power_off,
                          self.instance)
        self.assertEqual(0, self.client.count())

    def test_every_unsupported_operation_refuses(self):
        for name in unsupported.UNSUPPORTED:
            if not compat.base_has(name):
                # A method of a later Nova (compat.DRIVER_METHODS_ADDED).
                continue
            method = getattr(self.driver, name)
            params = inspect.signature(method).parameters
            args = [None] * len([p for p in params.values()
                                 if p.default is inspect.Parameter.empty])
            err = self.assertRaises(unsupported.NotSupported, method, *args)
            self.assertEqual(name, err.operation)
        self.assertEqual(0, self.client.count())


class DriverStartTestCase(test.NoDBTestCase):

    def setUp(self):
        super(DriverStartTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')

    def test_node_identity_is_read_once_at_start(self):
        with mock.patch('nova.virt.node.get_local_node_uuid',
                        return_value='a8e1f2a0-9c1e-4a4e-8d0a-1f2e3d4c5b6a'):
            drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                   client=fakes.FakeClient(
                                       host_get_info=dict(fakes.HOST_INFO)))
        # Later calls keep it, as another compute service in the same
        # process (Nova's test harness) may see another.
        self.assertEqual({'a8e1f2a0-9c1e-4a4e-8d0a-1f2e3d4c5b6a': 'ZVMHOST1'},
                         drv.get_nodenames_by_uuid())

    def test_constructor_makes_no_connector_call(self):
        client = fakes.FakeClient()
        driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        self.assertEqual(0, client.count())

    def test_constructor_builds_client_from_options(self):
        with mock.patch.object(zvm_client.ConnectorClient,
                               'from_conf') as from_conf:
            drv = driver.ZVMDriver(fake_virt.FakeVirtAPI())
        from_conf.assert_called_once_with(driver.CONF)
        # Wrapped to report guest changes to the power-state view.
        self.assertIs(from_conf.return_value, drv._client.wrapped)

    def _assert_stops(self, *fragments):
        """The constructor logs one ERROR line and exits with status 1."""
        err = self.assertRaises(SystemExit, driver.ZVMDriver,
                                fake_virt.FakeVirtAPI(),
                                client=fakes.FakeClient())
        self.assertEqual(1, err.code)
        lines = [line for line in self.stdlog.logger.output.splitlines()
                 if 'ERROR' in line]
        self.assertEqual(1, len(lines), lines)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        self.assertNotIn('Traceback', self.stdlog.logger.output)

    def test_constructor_refuses_bad_options(self):
        self.flags(instance_name_template='instance-%08x')
        self._assert_stops('[DEFAULT] instance_name_template')

    def test_constructor_refuses_unsupported_nova(self):
        with mock.patch('nova.version.version_string',
                        return_value='31.1.0'):
            self._assert_stops('31.1.0')

    def test_init_host_survives_unreachable_connector(self):
        client = fakes.FakeClient(host_get_info=fakes.unreachable())
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        drv.init_host('compute1')
        self.assertRaises(exception.VirtDriverNotReady,
                          drv.get_available_nodes)
        # The connector comes back: the driver serves.
        client.answers['host_get_info'] = dict(fakes.HOST_INFO)
        self.assertEqual(['ZVMHOST1'], drv.get_available_nodes())

    def test_init_host_survives_a_refusing_connector(self):
        client = fakes.FakeClient(host_get_info=fakes.connector_error(
            'host_get_info', 400, 401, modid=120, errmsg='Not authorized'))
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        with mock.patch.object(host.LOG, 'error') as log_error:
            drv.init_host('compute1')
        self.assertIn('Not authorized', str(log_error.call_args))

    def test_init_host_with_a_configuration_problem(self):
        self.useFixture(fixtures.MockPatch(
            'nova_zvm.virt.zvm.health._set_service_disabled'))
        problem = zvm_exc.ConnectorConfigError(
            'host_get_info', {'errmsg': 'certificate does not verify'},
            option='[zvm] ca_file')
        client = fakes.FakeClient(host_get_info=problem)
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        drv.init_host('compute1')
        self.assertRaises(exception.VirtDriverNotReady,
                          drv.get_available_nodes)
        errors = [line for line in self.stdlog.logger.output.splitlines()
                  if 'ERROR' in line]
        # Once, naming the option; no traceback.
        self.assertEqual(1, len(errors), errors)
        self.assertIn('[zvm] ca_file', errors[0])
        self.assertNotIn('Traceback', self.stdlog.logger.output)

    def test_list_instance_uuids_survives_unreachable_connector(self):
        client = fakes.FakeClient(guest_list=fakes.unreachable())
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        with mock.patch('nova.objects.InstanceList.get_by_filters',
                        return_value=[mock.Mock(uuid='u1', name='OS000001')]):
            self.assertEqual([], drv.list_instance_uuids())

    def test_list_instance_uuids_survives_a_configuration_error(self):
        # Nova asks before init_host reports the problem (a new host).
        problem = zvm_exc.ConnectorConfigError(
            'guest_list', {'errmsg': 'certificate does not verify'},
            option='[zvm] ca_file')
        client = fakes.FakeClient(guest_list=problem)
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        with mock.patch('nova.objects.InstanceList.get_by_filters',
                        return_value=[mock.Mock(uuid='u1', name='OS000001')]):
            self.assertEqual([], drv.list_instance_uuids())


class ListInstancesTestCase(DriverTestBase):

    def test_names_as_nova_makes_them_for_this_services_guests(self):
        # z/VM answers upper-case userids; a lower-case template's names
        # must still match instance.name, and others' guests stay out.
        self.flags(instance_name_template='os%06x')
        self.client.answers['guest_list'] = ['OS00000A', 'ZCCUSER',
                                             'LINUX01', 'OS0000FF']
        self.assertEqual(['os00000a', 'os0000ff'],
                         self.driver.list_instances())
        self.assertEqual(2, self.driver.get_num_instances())


class ConnectorDownTestCase(DriverTestBase):
    """What nova-compute's start calls per server, connector down."""

    def test_get_info_keeps_the_power_state_nova_knows(self):
        self.client.answers['guest_get_power_state'] = fakes.unreachable(
            'guest_get_power_state')
        for state in (power_state.RUNNING, power_state.SHUTDOWN):
            self.instance.power_state = state
            self.assertEqual(state,
                             self.driver.get_info(self.instance).state)
        # Back: the connector's answer wins again.
        self.client.answers['guest_get_power_state'] = 'on'
        self.assertEqual(power_state.RUNNING,
                         self.driver.get_info(self.instance).state)

    def test_get_info_of_a_vanished_guest_still_raises(self):
        self.client.answers['guest_get_power_state'] = fakes.guest_not_found(
            'guest_get_power_state', 'OS000001')
        self.assertRaises(exception.InstanceNotFound, self.driver.get_info,
                          self.instance)

    def test_plug_vifs_does_not_stop_the_start(self):
        self.client.answers['guests_get_nic_info'] = fakes.unreachable(
            'guests_get_nic_info')
        vif = {'id': 'p1', 'address': 'fa:16:3e:00:00:01',
               'network': {'subnets': []}}
        with mock.patch.object(network.LOG, 'warning') as warn:
            self.driver.plug_vifs(self.instance, [vif])
        self.assertIn('not reachable', warn.call_args[0][0])
        self.assertEqual(0, self.client.count(
            'guest_create_network_interface'))


class ExceptionBoundaryTestCase(DriverTestBase):

    def test_unexpected_error_becomes_nova_exception(self):
        self.client.answers['guest_start'] = KeyError('output')
        err = self.assertRaises(exception.NovaException,
                                self.driver.power_on, self.ctxt,
                                self.instance, [])
        self.assertIn('output', str(err))

    def test_nova_exceptions_pass_unchanged(self):
        self.client.answers['guest_start'] = fakes.guest_not_found(
            'guest_start', 'OS000001')
        self.assertRaises(exception.InstanceNotFound,
                          self.driver.power_on, self.ctxt, self.instance, [])


class DriverDelegationTestCase(DriverTestBase):

    def test_host_ip(self):
        self.flags(my_ip='192.0.2.9')
        self.assertEqual('192.0.2.9', self.driver.get_host_ip_addr())

    def test_resource_update_is_one_host_query(self):
        self.driver.get_available_resource('ZVMHOST1')
        tree = mock.Mock()
        tree.data.return_value.inventory = {}
        self.driver.update_provider_tree(tree, 'ZVMHOST1')
        # One host query serves both; plus the disk pool's volume list
        # (diskfit.py).
        self.assertEqual(1, self.client.count('host_get_info'))
        self.assertEqual(1, self.client.count('host_get_diskpool_volumes'))
        self.assertEqual(2, self.client.count())
        inventory = tree.update_inventory.call_args[0][1]
        self.assertEqual(16, inventory['VCPU']['total'])

    def test_instance_exists_asks_the_guest_only(self):
        # Registered with this connector (evacuation: test_evacuate.py).
        self.client.answers['guest_get_definition_info'] = {
            'user_direct': ['USER OS000001']}
        self.assertTrue(self.driver.instance_exists(self.instance))
        self.assertEqual(1, self.client.count())

    def test_instance_missing(self):
        self.client.answers['guest_get_definition_info'] = (
            fakes.guest_not_found('guest_get_definition_info', 'OS000001'))
        self.assertFalse(self.driver.instance_exists(self.instance))

    def test_plug_vifs_without_network_does_nothing(self):
        self.driver.plug_vifs(self.instance, [])
        self.assertEqual(0, self.client.count())

    def test_unplug_vifs_of_missing_guest(self):
        self.client.answers['guests_get_nic_info'] = fakes.guest_not_found(
            'guests_get_nic_info', 'OS000001')
        self.assertIsNone(
            self.driver.unplug_vifs(self.instance, [{'id': 'p1'}]))
        # Nothing to remove from a guest that is gone.
        self.assertEqual(0, self.client.count(
            'guest_delete_network_interface'))

    def test_cache_image_imports_once(self):
        image_id = 'a2459075-d96c-40d5-893e-577ff92e721c'
        self.client.answers['image_query'] = [{
            'imagename': image_id, 'imageosdistro': 'rhel9.2',
            'disk_size_units': '10:CYL', 'last_access_time': 1.0}]
        with mock.patch('nova.virt.images.get_info', return_value={
                'id': image_id, 'properties': {'os_distro': 'rhel9.2'}}):
            self.assertFalse(self.driver.cache_image(self.ctxt, image_id))
        # Already in the connector's repository: queried, not imported.
        self.assertTrue(self.client.made('image_query', imagename=image_id))
        self.assertEqual(0, self.client.count('image_import'))

    def test_cleanup_needs_no_connector(self):
        self.driver.cleanup(self.ctxt, self.instance, [])
        self.assertEqual(0, self.client.count())
