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

from unittest import mock

from nova.compute import task_states
from nova import context
from nova import exception
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt
from oslo_utils.fixture import uuidsentinel as uuids

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_ssi
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import evacuate
from nova_zvm.virt.zvm import exception as zvm_exc

USERID = 'OS000001'
VIF = {'id': 'port-1', 'address': 'fa:16:3e:12:34:56'}


class FakeMember(object):
    """One SSI member as its connector shows it: the shared directory
    (where the guest is logged on) and this connector's registrations.
    """

    def __init__(self, ssi=True, in_directory=True, logged_on=None):
        self.in_directory = in_directory
        # None, 'here' or 'elsewhere'.
        self.logged_on = logged_on
        self.registered = {}
        self.client = fakes.FakeClient(
            host_get_ssi_info=(test_ssi.ssi_lines()
                               if ssi else []),
            guest_get_user_direct=self._user_direct,
            guest_get_power_state_real=self._power_state,
            guest_get_definition_info=self._definition,
            guest_register=self._register,
            guest_deregister=lambda uid: self.registered.pop(uid, None),
            guest_start=self._start,
            guest_stop=self._stop,
            guests_get_nic_info=[])

    def _user_direct(self, userid):
        if not self.in_directory:
            # SMAPI Image_Query_DM: image not defined.
            raise zvm_exc.from_result('guest_get_user_direct', {
                'overallRC': 8, 'modID': 1, 'rc': 400, 'rs': 4,
                'errmsg': 'Image %s not defined' % userid}, args=(userid,))
        return {'user_direct': ['USER %s' % userid]}

    def _power_state(self, userid):
        return 'on' if self.logged_on else 'off'

    def _definition(self, userid, **kw):
        if userid not in self.registered:
            raise fakes.guest_not_found('guest_get_definition_info', userid)
        return {'user_direct': ['USER %s' % userid]}

    def _register(self, userid, meta, net_set, port_macs=None):
        # zvmsdk records the guest, then asks SMAPI for its NICs, which
        # needs the guest logged on.
        self.registered[userid] = (meta, net_set, port_macs)
        if not self.logged_on:
            raise zvm_exc.from_result('guest_register', {
                'overallRC': 8, 'modID': 1, 'rc': 200, 'rs': 12,
                'errmsg': 'Image %s not active' % userid}, args=(userid,))

    def _stop(self, userid):
        self.logged_on = None

    def _start(self, userid):
        if self.logged_on == 'elsewhere':
            # z/VM refuses a second logon.
            raise fakes.connector_error('guest_start', 300, 200)
        self.logged_on = 'here'


class EvacuateOpsTestCase(test.NoDBTestCase):

    def setUp(self):
        super(EvacuateOpsTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host='compute1',
            task_state=task_states.REBUILDING)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.network = mock.Mock()

    def ops(self, member):
        return evacuate.EvacuateOps(member.client, self.network)

    def recreate(self, member, network_info=(VIF,), bdi=None):
        with mock.patch.object(self.instance, 'save') as save:
            self.ops(member).recreate_on_shared(
                self.instance, list(network_info), bdi)
        return save

    def test_on_disk_inside_the_ssi(self):
        self.assertTrue(self.ops(FakeMember()).instance_on_disk(
            self.instance))

    def test_not_on_disk_outside_an_ssi(self):
        # A guest of that name on another z/VM is not this server's.
        self.assertFalse(self.ops(FakeMember(ssi=False)).instance_on_disk(
            self.instance))

    def test_not_on_disk_without_a_directory_entry(self):
        self.assertFalse(self.ops(FakeMember(in_directory=False))
                         .instance_on_disk(self.instance))

    def test_other_directory_errors_are_not_guessed(self):
        member = FakeMember()
        member.client.answers['guest_get_user_direct'] = (
            fakes.connector_error('guest_get_user_direct', 8, 8, modid=1))
        self.assertRaises(zvm_exc.ConnectorError,
                          self.ops(member).instance_on_disk, self.instance)

    def test_exists_only_when_registered_here(self):
        member = FakeMember(logged_on='elsewhere')
        self.assertFalse(self.ops(member).instance_exists(self.instance))
        member.registered[USERID] = None
        self.assertTrue(self.ops(member).instance_exists(self.instance))

    def test_takes_over_and_starts_the_guest(self):
        member = FakeMember()
        save = self.recreate(member)
        self.assertEqual('here', member.logged_on)
        self.assertEqual(('os_version=rhel9.2', '1', {'123456': 'port-1'}),
                         member.registered[USERID])
        self.assertEqual(task_states.REBUILD_SPAWNING,
                         self.instance.task_state)
        save.assert_called_once_with(
            expected_task_state=[task_states.REBUILDING])
        # Nothing deployed or copied.
        self.assertEqual(0, member.client.count('guest_deploy'))
        self.assertEqual(0, member.client.count('guest_create'))

    def test_refused_while_it_runs_on_another_member(self):
        member = FakeMember(logged_on='elsewhere')
        err = self.assertRaises(evacuate.GuestRunsElsewhere,
                                self.recreate, member)
        self.assertIn(USERID, str(err))
        self.assertIn('SSI1', str(err))
        self.assertEqual({}, member.registered)
        self.assertEqual('elsewhere', member.logged_on)
        self.assertEqual(task_states.REBUILDING, self.instance.task_state)

    def test_retry_after_a_start_here_succeeds(self):
        member = FakeMember(logged_on='here')
        member.registered[USERID] = None
        self.recreate(member)
        self.assertEqual('here', member.logged_on)
        self.assertIn(USERID, member.registered)

    def test_failed_start_rolls_back_the_registration(self):
        member = FakeMember()
        member.client.answers['guest_start'] = fakes.connector_error(
            'guest_start', 300, 200)
        self.assertRaises(exception.NovaException, self.recreate, member)
        self.assertEqual({}, member.registered)
        self.assertIsNone(member.logged_on)

    def test_failure_after_the_start_logs_the_guest_off_again(self):
        member = FakeMember()
        self.network.plug_vifs.side_effect = exception.NovaException('boom')
        self.assertRaises(exception.NovaException, self.recreate, member)
        self.assertEqual({}, member.registered)
        self.assertIsNone(member.logged_on)

    def test_register_errors_of_a_running_guest_are_not_hidden(self):
        member = FakeMember(logged_on='here')
        member.registered[USERID] = None
        member.client.answers['guest_register'] = fakes.connector_error(
            'guest_register', 8, 12, modid=1)
        self.assertRaises(zvm_exc.ConnectorError, self.recreate, member)

    def test_volumes_refused_before_anything(self):
        member = FakeMember()
        bdi = {'block_device_mapping': [{'mount_device': '/dev/sdb'}]}
        err = self.assertRaises(evacuate.VolumesNotEvacuable,
                                self.recreate, member, bdi=bdi)
        self.assertIn('Detach the volumes', str(err))
        self.assertEqual({}, member.registered)
        self.assertIsNone(member.logged_on)

    def test_moved_away_only_inside_an_ssi(self):
        self.assertTrue(self.ops(FakeMember()).moved_away(
            self.instance, 'compute2'))
        self.assertFalse(self.ops(FakeMember()).moved_away(
            self.instance, 'compute1'))
        self.assertFalse(self.ops(FakeMember(ssi=False)).moved_away(
            self.instance, 'compute2'))

    def test_forget_tolerates_a_connector_error(self):
        member = FakeMember()
        member.client.answers['guest_deregister'] = fakes.connector_error(
            'guest_deregister', 300, 1)
        self.ops(member).forget(self.instance)
        self.assertEqual(1, member.client.count('guest_deregister'))


class EvacuatedListTestCase(test.NoDBTestCase):
    """The instances evacuated from a host its connector still lists."""

    def setUp(self):
        super(EvacuatedListTestCase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.member = FakeMember()
        self.member.client.answers['guest_list'] = ['OS000001', 'OTHER']
        self.ops = evacuate.EvacuateOps(self.member.client, mock.Mock())
        ctxt = context.get_admin_context()
        self.instances = [
            fake_instance.fake_instance_obj(ctxt, id=1, uuid=uuids.one),
            fake_instance.fake_instance_obj(ctxt, id=2, uuid=uuids.two)]

    def listed(self, migrations):
        with mock.patch('nova.objects.MigrationList.get_by_filters',
                        return_value=migrations) as migs, \
                mock.patch('nova.objects.InstanceList.get_by_filters',
                           return_value=self.instances):
            result = self.ops.evacuated_uuids('compute1')
        filters = migs.call_args[0][1]
        self.assertEqual('compute1', filters['source_compute'])
        self.assertEqual('evacuation', filters['migration_type'])
        return result

    def test_no_evacuation_asks_no_connector(self):
        self.assertEqual([], self.listed([]))
        self.assertEqual(0, self.member.client.count())

    def test_only_guests_the_connector_lists(self):
        migs = [mock.Mock(instance_uuid=uuids.one),
                mock.Mock(instance_uuid=uuids.two)]
        self.assertEqual([uuids.one], self.listed(migs))


class DriverEvacuateTestCase(test.NoDBTestCase):

    def setUp(self):
        super(DriverEvacuateTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.member = FakeMember()
        self.member.client.answers['guest_delete'] = self._delete
        self.deleted = []
        self.drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                    client=self.member.client)
        self.drv._hostname = 'compute2'
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host='compute1',
            task_state=task_states.REBUILDING)
        self.instance.system_metadata = {}

    def _delete(self, userid):
        self.deleted.append(userid)

    def test_supports_evacuate(self):
        self.assertTrue(self.drv.capabilities['supports_evacuate'])

    def rebuild(self, evacuate):
        with mock.patch.object(self.instance, 'save'):
            self.drv.rebuild(self.ctxt, self.instance, None, [], None, {},
                             [], None, None, network_info=[],
                             evacuate=evacuate)

    def test_rebuild_not_evacuating_is_novas_default(self):
        self.assertRaises(NotImplementedError, self.rebuild, False)

    def test_evacuate_outside_an_ssi_is_novas_default(self):
        self.member.client.answers['host_get_ssi_info'] = []
        self.assertRaises(NotImplementedError, self.rebuild, True)

    def test_evacuate_inside_the_ssi_starts_the_guest(self):
        self.rebuild(True)
        self.assertEqual('here', self.member.logged_on)

    def test_old_member_destroy_never_deletes_the_guest(self):
        self.member.registered[USERID] = None
        self.drv._hostname = 'compute1'
        self.instance.host = 'compute2'
        self.drv.destroy(self.ctxt, self.instance, [], None,
                         destroy_disks=True)
        self.assertEqual([], self.deleted)
        self.assertEqual({}, self.member.registered)

    def test_destroy_of_this_hosts_server_deletes_it(self):
        self.drv._hostname = 'compute1'
        self.drv.destroy(self.ctxt, self.instance, [], None)
        self.assertEqual([USERID], self.deleted)
