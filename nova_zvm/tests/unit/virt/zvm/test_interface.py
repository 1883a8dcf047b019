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

import contextlib
from unittest import mock

from nova.compute import vm_states
from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.virt.zvm import interface
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import undo

USERID = 'OS000001'


class FakeNics(object):
    """The connector's NIC table, vswitch grants and power state.

    What the calls leave is asserted, not which calls were made.
    """

    def __init__(self, client, power='on'):
        self.power = power
        self.rows = []
        self.grants = set()
        self.deleted_active = []
        self.next_vdev = 0x1000
        client.answers.update({
            'guest_get_power_state': lambda userid: self.power,
            'guests_get_nic_info': self.nic_info,
            'guest_create_network_interface': self.create,
            'guest_delete_network_interface': self.delete,
            'vswitch_revoke_user': self.revoke,
        })

    def add(self, port, switch=None):
        vdev = '%04X' % self.next_vdev
        self.next_vdev += 3
        self.rows.append({'userid': USERID, 'interface': vdev,
                          'switch': switch, 'port': port, 'comments': None})
        if switch:
            self.grants.add((switch, USERID))
        return vdev

    def couple(self, port, switch):
        """What the z/VM Neutron agent does once the NIC exists."""
        for row in self.rows:
            if row['port'] == port:
                row['switch'] = switch
        self.grants.add((switch, USERID))

    def nic_info(self, userid=None):
        return [dict(r) for r in self.rows if r['userid'] == userid]

    def create(self, userid, os_version, networks, active=False):
        self.created_active = active
        return [dict(net, nic_vdev=self.add(net['nic_id']))
                for net in networks]

    def delete(self, userid, os_version, vdev, active=False):
        self.rows = [r for r in self.rows if r['interface'] != vdev]
        if active:
            self.deleted_active.append(vdev)

    def revoke(self, vswitch, userid):
        self.grants.discard((vswitch, userid))

    def ports(self):
        return sorted(r['port'] for r in self.rows)


class InterfaceTestCase(test.NoDBTestCase):

    def setUp(self):
        super(InterfaceTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient()
        self.zvm = FakeNics(self.client)
        self.virtapi = fake_virt.FakeVirtAPI()
        self.ops = interface.InterfaceOps(
            self.client, network.NetworkOps(self.client), self.virtapi)
        self.instance = fake_instance.fake_instance_obj(
            context.get_admin_context(), id=1)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.vif = test_network.make_vif('p2', 'fa:16:3e:00:00:02',
                                         v4='10.0.0.6')

    def _agent_couples(self, port, fail=None):
        """wait_for_instance_event: the agent couples, then ``fail``."""
        @contextlib.contextmanager
        def wait(instance, events, timeout, callback):
            yield
            self.zvm.couple(port, 'VSW1')
            if fail is not None:
                raise fail
        return mock.patch.object(self.virtapi, 'wait_for_instance_event',
                                 side_effect=wait)

    # -- attach ------------------------------------------------------------

    def test_attach_running_guest_is_active(self):
        self.ops.attach_interface(self.instance, self.vif)
        self.assertEqual(['p2'], self.zvm.ports())
        self.assertTrue(self.zvm.created_active)

    def test_attach_stopped_guest_directory_only(self):
        self.zvm.power = 'off'
        self.ops.attach_interface(self.instance, self.vif)
        self.assertEqual(['p2'], self.zvm.ports())
        self.assertFalse(self.zvm.created_active)

    def test_attach_waits_for_inactive_port(self):
        vif = test_network.make_vif('p2', 'fa:16:3e:00:00:02',
                                    v4='10.0.0.6', active=False)
        with mock.patch.object(self.virtapi,
                               'wait_for_instance_event') as wait:
            self.ops.attach_interface(self.instance, vif)
        self.assertEqual([('network-vif-plugged', 'p2')],
                         wait.call_args[0][1])

    def test_attach_retried_keeps_the_nic(self):
        self.zvm.add('p2', switch='VSW1')
        self.ops.attach_interface(self.instance, self.vif)
        self.assertEqual(['p2'], self.zvm.ports())

    def test_ubuntu22_refused_before_anything(self):
        self.instance.system_metadata = {'image_os_distro': 'ubuntu22.04'}
        err = self.assertRaises(interface.InterfaceAttachRefused,
                                self.ops.attach_interface, self.instance,
                                self.vif)
        self.assertIn('netplan', str(err))
        self.assertEqual(0, self.client.count())

    def test_no_ipv4_refused_before_anything(self):
        vif = test_network.make_vif('p2', 'fa:16:3e:00:00:02', v6='fd00::6')
        err = self.assertRaises(interface.InterfaceAttachRefused,
                                self.ops.attach_interface, self.instance,
                                vif)
        self.assertIn('IPv4', str(err))
        self.assertEqual(0, self.client.count())

    def test_paused_refused_before_anything(self):
        self.instance.vm_state = vm_states.PAUSED
        err = self.assertRaises(interface.InterfaceAttachRefused,
                                self.ops.attach_interface, self.instance,
                                self.vif)
        self.assertIn('unpause', str(err))
        self.assertEqual(0, self.client.count())

    def test_detach_paused_refused_before_anything(self):
        self.zvm.add('p2', switch='VSW1')
        self.instance.vm_state = vm_states.PAUSED
        self.assertRaises(interface.InterfaceDetachRefused,
                          self.ops.detach_interface, self.instance,
                          self.vif)
        self.assertEqual(['p2'], self.zvm.ports())

    def test_refusal_is_a_nova_exception(self):
        # Nova's manager unbinds the port only for a NovaException.
        self.assertTrue(issubclass(interface.InterfaceAttachRefused,
                                   exception.NovaException))

    def test_fatal_timeout_removes_nic_and_grant(self):
        self.flags(vif_plugging_is_fatal=True, vif_plugging_timeout=1)
        with self._agent_couples('p2', exception.InstanceEventTimeout()):
            self.assertRaises(exception.VirtualInterfaceCreateException,
                              self.ops.attach_interface, self.instance,
                              self.vif)
        self.assertEqual([], self.zvm.ports())
        self.assertEqual(set(), self.zvm.grants)
        self.assertEqual(1, len(self.zvm.deleted_active))

    def test_timeout_not_fatal_keeps_nic(self):
        self.flags(vif_plugging_is_fatal=False, vif_plugging_timeout=1)
        with self._agent_couples('p2', exception.InstanceEventTimeout()):
            self.ops.attach_interface(self.instance, self.vif)
        self.assertEqual(['p2'], self.zvm.ports())

    def test_failure_keeps_grant_another_nic_needs(self):
        self.zvm.add('p1', switch='VSW1')
        with self._agent_couples(
                'p2', exception.VirtualInterfaceCreateException()):
            self.assertRaises(exception.VirtualInterfaceCreateException,
                              self.ops.attach_interface, self.instance,
                              self.vif)
        self.assertEqual(['p1'], self.zvm.ports())
        self.assertEqual({('VSW1', USERID)}, self.zvm.grants)

    def test_failed_create_that_made_the_nic_is_undone(self):
        # zvmsdk records the NIC, then writing its configuration fails.
        def create_then_fail(userid, os_version, networks, active=False):
            self.zvm.create(userid, os_version, networks, active)
            raise fakes.connector_error('guest_create_network_interface',
                                        300, 5, modid=20)
        self.client.answers['guest_create_network_interface'] = (
            create_then_fail)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.attach_interface, self.instance,
                          self.vif)
        self.assertEqual([], self.zvm.ports())

    def test_failed_create_that_made_nothing(self):
        self.client.answers['guest_create_network_interface'] = (
            fakes.connector_error('guest_create_network_interface', 300, 5,
                                  modid=20))
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.attach_interface, self.instance,
                          self.vif)
        self.assertEqual([], self.zvm.ports())
        self.assertEqual(0, self.client.count(
            'guest_delete_network_interface'))

    def test_rollback_that_fails_says_what_is_left(self):
        self.client.answers['guest_delete_network_interface'] = (
            fakes.connector_error('guest_delete_network_interface', 300, 5,
                                  modid=20))
        with self._agent_couples(
                'p2', exception.VirtualInterfaceCreateException()):
            err = self.assertRaises(undo.RollbackIncomplete,
                                    self.ops.attach_interface,
                                    self.instance, self.vif)
        self.assertIn('remove the NIC of port p2', str(err))
        self.assertIn('guest %s' % USERID, str(err))

    # -- detach ------------------------------------------------------------

    def test_detach_running_guest_revokes_unused_grant(self):
        self.zvm.add('p1', switch='VSW1')
        vdev = self.zvm.add('p2', switch='VSW2')
        self.ops.detach_interface(self.instance, self.vif)
        self.assertEqual(['p1'], self.zvm.ports())
        self.assertEqual({('VSW1', USERID)}, self.zvm.grants)
        self.assertEqual([vdev], self.zvm.deleted_active)

    def test_detach_keeps_grant_in_use(self):
        self.zvm.add('p1', switch='VSW1')
        self.zvm.add('p2', switch='VSW1')
        self.ops.detach_interface(self.instance, self.vif)
        self.assertEqual({('VSW1', USERID)}, self.zvm.grants)

    def test_detach_stopped_guest_directory_only(self):
        self.zvm.power = 'off'
        self.zvm.add('p2', switch='VSW1')
        self.ops.detach_interface(self.instance, self.vif)
        self.assertEqual([], self.zvm.ports())
        self.assertEqual([], self.zvm.deleted_active)

    def test_detach_gone_nic_succeeds(self):
        self.zvm.add('p1', switch='VSW1')
        self.ops.detach_interface(self.instance, self.vif)
        self.assertEqual(['p1'], self.zvm.ports())
        self.assertEqual(0, self.client.count(
            'guest_delete_network_interface'))
