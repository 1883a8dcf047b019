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

import fixtures
from nova.compute import task_states
from nova import context
from nova import exception
from nova.objects import base as obj_base
from nova.objects import migrate_data as migrate_data_obj
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm import test_network
from nova_zvm.tests.unit.virt.zvm import test_ssi
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import host
from nova_zvm.virt.zvm import live_migrate_data
from nova_zvm.virt.zvm import live_migration
from nova_zvm.virt.zvm import relocation_outcome
from nova_zvm.virt.zvm import unsupported
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import ops as volume_ops

TMPL = vol_fakes.TMPL


JOINED = test_ssi.JOINED
ssi_lines = test_ssi.ssi_lines


def host_info(system, zcc):
    return dict(fakes.HOST_INFO, zvm_host=system, hypervisor_hostname=system,
                zcc_userid=zcc)


def dest_data(member='ZVMHOST2', zcc='ZCCUSER2', cluster='SSI1', **more):
    data = migrate_data_obj.VMwareLiveMigrateData(cluster_name=cluster)
    facts = {'member': member, 'zcc_userid': zcc}
    facts.update(more)
    live_migrate_data.set_facts(data, facts)
    return data


def round_trip(data):
    """Through RPC, as the conductor and computes pass it."""
    serializer = obj_base.NovaObjectSerializer()
    primitive = jsonutils.loads(jsonutils.dumps(
        serializer.serialize_entity(None, data)))
    return serializer.deserialize_entity(None, primitive)


class LiveMigrationTestBase(test.NoDBTestCase):

    system = 'ZVMHOST1'
    zcc = 'ZCCUSER1'

    def setUp(self):
        super(LiveMigrationTestBase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient(
            host_get_info=host_info(self.system, self.zcc),
            host_get_ssi_info=ssi_lines(),
            guest_get_power_state='on',
            get_volume_connector=vol_fakes.connector_answer(),
            get_fcp_usage=['', 0, 0, ''])
        self.volume = volume_ops.VolumeOps(self.client)
        self.ops = live_migration.LiveMigrationOps(
            self.client, host.HostOps(self.client), self.volume)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host='cmp1', task_state=task_states.MIGRATING)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    def facts(self, data):
        return live_migrate_data.facts_of(data)


class DestinationCheckTestCase(LiveMigrationTestBase):

    system = 'ZVMHOST2'
    zcc = 'ZCCUSER2'

    def _check(self, block_migration=False):
        return self.ops.check_can_live_migrate_destination(
            self.ctxt, self.instance, {}, {}, block_migration, False)

    def test_answers_this_member(self):
        data = self._check(block_migration=None)
        # Read-only: this system and its SSI cluster.
        self.assertEqual({'host_get_info', 'host_get_ssi_info'},
                         set(self.client.api_names()))
        self.assertIsInstance(data, migrate_data_obj.VMwareLiveMigrateData)
        self.assertEqual('SSI1', data.cluster_name)
        self.assertEqual({'zvm_lgr': 1, 'member': 'ZVMHOST2',
                          'zcc_userid': 'ZCCUSER2'}, self.facts(data))

    def test_reuses_fresh_host_data(self):
        self.ops._host.host_info()
        self._check()
        self.assertEqual(1, self.client.count('host_get_info'))

    def test_block_migration_refused_before_any_call(self):
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check, block_migration=True)
        self.assertIn('members share', str(err))
        self.assertEqual([], self.client.calls)

    def test_not_in_an_ssi(self):
        self.client.answers['host_get_ssi_info'] = []
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('ZVMHOST2 is not a member of an SSI', str(err))

    def test_not_a_joined_member(self):
        self.client.answers['host_get_ssi_info'] = ssi_lines(members=(
            ('ZVMHOST1', 'Joined'), ('ZVMHOST2', 'Isolated')))
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('Isolated', str(err))

    def test_cleanup_of_the_check_needs_no_call(self):
        self.ops.cleanup_live_migration_destination_check(self.ctxt,
                                                          dest_data())
        self.assertEqual([], self.client.calls)


class SourceCheckTestCase(LiveMigrationTestBase):

    def _check(self, data=None, bdi=None):
        return self.ops.check_can_live_migrate_source(
            self.ctxt, self.instance, data or dest_data(), bdi)

    def test_tests_the_relocation(self):
        data = self._check()
        # z/VM is asked whether it would relocate; nothing is moved.
        self.assertEqual([('OS000001', 'ZCCUSER2', 'ZVMHOST2', {}, 'test')],
                         self.client.args_of('guest_live_migrate'))
        self.assertTrue(self.client.made('guest_get_power_state',
                                         'OS000001'))
        # One look at the cluster (a read per check, not per member).
        self.assertEqual(1, self.client.count('host_get_ssi_info'))
        facts = self.facts(data)
        self.assertEqual('ZVMHOST1', facts['source'])
        self.assertEqual([], facts['fcp'])

    def test_carries_the_fcp_devices_of_the_volumes(self):
        bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.stashed_info(fcps=['1b00', '1a00']))]}
        data = self._check(bdi=bdi)
        self.assertEqual(['1a00', '1b00'], self.facts(data)['fcp'])
        self.assertNotIn('get_volume_connector', self.client.api_names())

    def test_other_ssi_cluster(self):
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check, dest_data(cluster='SSI2'))
        self.assertIn('SSI2', str(err))
        self.assertNotIn('guest_live_migrate', self.client.api_names())

    def test_source_not_in_an_ssi(self):
        self.client.answers['host_get_ssi_info'] = []
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('in SSI cluster none', str(err))

    def test_destination_down_as_seen_from_here(self):
        self.client.answers['host_get_ssi_info'] = ssi_lines(members=(
            ('ZVMHOST1', 'Joined'), ('ZVMHOST2', 'Down')))
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('Down', str(err))

    def test_same_system(self):
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check, dest_data(member='ZVMHOST1'))
        self.assertIn('already runs', str(err))
        # Refused from this host's own data, before asking z/VM more.
        for api in ('host_get_ssi_info', 'guest_get_power_state',
                    'guest_live_migrate'):
            self.assertNotIn(api, self.client.api_names())

    def test_stopped_guest(self):
        self.client.answers['guest_get_power_state'] = 'off'
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('running guests only', str(err))
        self.assertNotIn('guest_live_migrate', self.client.api_names())

    def test_zvm_refuses_the_relocation(self):
        self.client.answers['guest_live_migrate'] = fakes.connector_error(
            'guest_live_migrate', 300, 1, errmsg='HCPRLE1951I virtual '
            'switch VSW1 is not defined on ZVMHOST2')
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._check)
        self.assertIn('VSW1', str(err))

    def test_missing_guest(self):
        self.client.answers['guest_get_power_state'] = fakes.guest_not_found(
            'guest_get_power_state', 'OS000001')
        self.assertRaises(exception.InstanceNotFound, self._check)

    def test_data_of_another_driver_refused_before_any_call(self):
        self.assertRaises(exception.MigrationPreCheckError,
                          self.ops.check_can_live_migrate_source, self.ctxt,
                          self.instance,
                          migrate_data_obj.LibvirtLiveMigrateData(), None)
        self.assertEqual([], self.client.calls)


class DestinationPrepareTestCase(LiveMigrationTestBase):

    system = 'ZVMHOST2'
    zcc = 'ZCCUSER2'

    def _at_dest(self, fcps):
        return self.ops.check_source_migrate_data_at_dest(
            self.ctxt, self.instance, dest_data(fcp=fcps))

    def test_free_fcp_devices_accepted_and_remembered(self):
        self._at_dest(['1a00', '1b00'])
        self.assertTrue(self.client.made('get_fcp_usage', '1a00'))
        self.assertTrue(self.client.made('get_fcp_usage', '1b00'))
        # Read-only: nothing is reserved by the check.
        self.assertEqual({'get_fcp_usage'}, set(self.client.api_names()))
        self.assertEqual(['1a00', '1b00'], self.ops.incoming_fcp_devices(
            self.instance, 'cmp2'))

    def test_remembered_only_while_migrating_to_this_host(self):
        self._at_dest(['1a00'])
        self.assertIsNone(self.ops.incoming_fcp_devices(self.instance,
                                                        'cmp1'))
        self.instance.task_state = None
        self.assertIsNone(self.ops.incoming_fcp_devices(self.instance,
                                                        'cmp2'))

    def test_devices_of_this_guest_accepted(self):
        self.client.answers['get_fcp_usage'] = ['os000001', 1, 0, TMPL]
        self._at_dest(['1a00'])
        # Reserved by this very guest (userid in any case): usable here.
        self.assertEqual(['1a00'], self.ops.incoming_fcp_devices(
            self.instance, 'cmp2'))

    def test_device_used_by_another_guest(self):
        self.client.answers['get_fcp_usage'] = ['OTHER', 1, 2, TMPL]
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._at_dest, ['1a00'])
        self.assertIn('in use by OTHER', str(err))
        self.assertIsNone(self.ops.incoming_fcp_devices(self.instance,
                                                        'cmp2'))

    def test_device_unknown_here(self):
        self.client.answers['get_fcp_usage'] = fakes.connector_error(
            'get_fcp_usage', 404, 1, modid=30, errmsg='FCP 1a00 not found')
        err = self.assertRaises(exception.MigrationPreCheckError,
                                self._at_dest, ['1a00'])
        self.assertIn('not usable', str(err))

    def test_no_volumes_no_call(self):
        self._at_dest([])
        self.assertEqual([], self.client.calls)

    def test_pre_live_migration_without_volumes(self):
        data = dest_data(fcp=[])
        self.assertIs(data, self.ops.pre_live_migration(
            self.ctxt, self.instance, {'block_device_mapping': []}, [],
            None, data))
        self.assertEqual([], self.client.calls)

    def test_pre_live_migration_counts_the_connections_here(self):
        info = vol_fakes.fc_info()
        bdi = {'block_device_mapping': [vol_fakes.bdm(info)]}
        self.ops.pre_live_migration(self.ctxt, self.instance, bdi, [], None,
                                    dest_data(fcp=['1a00', '1b00']))
        # The devices' connection counts are read; one attach records
        # the volume's connection on this connector.
        self.assertEqual(2, self.client.count('get_fcp_usage'))
        self.assertEqual(1, self.client.count('volume_attach'))
        request = self.client.args_of('volume_attach')[0][0]
        self.assertIs(True, request['is_root_volume'])
        self.assertEqual(['1a00', '1b00'], request['zvm_fcp'])
        self.assertEqual(['1a00', '1b00'], connection.stashed(info)['fcp'])

    def test_pre_live_migration_with_other_devices_refused(self):
        bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.fc_info())]}
        err = self.assertRaises(exception.MigrationError,
                                self.ops.pre_live_migration, self.ctxt,
                                self.instance, bdi, [], None,
                                dest_data(fcp=['1a05', '1b05']))
        self.assertIn('1a05', str(err))
        self.assertNotIn('volume_attach', self.client.api_names())

    def test_register_after_the_relocation(self):
        self._at_dest(['1a00'])
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01'),
                test_network.make_vif('p2', 'fa:16:3e:00:00:02')]
        self.ops.post_live_migration_at_destination(self.ctxt, self.instance,
                                                    vifs)
        self.assertTrue(self.client.made(
            'guest_register', 'OS000001', 'os_version=rhel9.2', '1',
            {'000001': 'p1', '000002': 'p2'}))
        self.assertIsNone(self.ops.incoming_fcp_devices(self.instance,
                                                        'cmp2'))

    def test_register_without_network(self):
        self.ops.post_live_migration_at_destination(self.ctxt, self.instance,
                                                    [])
        self.assertEqual([('OS000001', 'os_version=rhel9.2', '0', {})],
                         self.client.args_of('guest_register'))

    def test_register_of_a_guest_without_nic(self):
        # zvmsdk records the guest, then fails to list its NICs.
        self.client.answers['guest_register'] = fakes.connector_error(
            'guest_register', 300, 5, errmsg='get_network_info:No NIC '
            'found on userid OS000001')
        self.ops.post_live_migration_at_destination(self.ctxt, self.instance,
                                                    [])
        vifs = [test_network.make_vif('p1', 'fa:16:3e:00:00:01')]
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.post_live_migration_at_destination,
                          self.ctxt, self.instance, vifs)

    def test_register_failure_raises(self):
        self.client.answers['guest_register'] = fakes.guest_not_found(
            'guest_register', 'OS000001')
        self.assertRaises(exception.InstanceNotFound,
                          self.ops.post_live_migration_at_destination,
                          self.ctxt, self.instance, [])

    def test_rollback_at_destination_releases_what_was_prepared(self):
        self.flags(fcp_template_id=TMPL, group='zvm')
        self._at_dest(['1a00'])
        self.client.calls = []
        self.ops.rollback_live_migration_at_destination(
            self.ctxt, self.instance, [], {})
        # The FCP devices reserved for the guest are released.
        self.assertTrue(self.client.made('get_volume_connector', 'OS000001',
                                         reserve=False,
                                         fcp_template_id=TMPL))
        self.assertEqual(1, self.client.count())
        self.ops.rollback_live_migration_at_destination(
            self.ctxt, self.instance, [], {})
        # Once: a second rollback has nothing left to release.
        self.assertEqual(1, self.client.count())


class RelocationTestCase(LiveMigrationTestBase):

    def setUp(self):
        super(RelocationTestCase, self).setUp()
        self.post = mock.Mock()
        self.recover = mock.Mock()
        self.data = dest_data(source='ZVMHOST1', fcp=[])
        # A clock that only the driver's polling sleep moves.
        self.now = [1000.0]
        self.useFixture(fixtures.MockPatch(
            'nova_zvm.virt.zvm.relocation_outcome.time.monotonic',
            side_effect=lambda: self.now[0]))
        self.ops._sleep = self._sleep
        self.fault = self.useFixture(fixtures.MockPatch(
            'nova.compute.utils.add_instance_fault_from_exc')).mock
        self.events = self.useFixture(fixtures.MockPatch(
            'nova.objects.InstanceActionEvent')).mock

    def _sleep(self, seconds):
        self.now[0] += seconds

    def _migrate(self, block_migration=False):
        self.ops.live_migration(self.ctxt, self.instance, 'cmp2', self.post,
                                self.recover, block_migration, self.data)

    def test_move_then_post(self):
        self._migrate()
        self.assertEqual([('OS000001', 'ZCCUSER2', 'ZVMHOST2',
                           {'maxtotal': 3600, 'maxquiesce': 10}, 'move')],
                         self.client.args_of('guest_live_migrate'))
        # A relocation that answered needs no question where the guest is.
        self.assertNotIn('guest_get_power_state', self.client.api_names())
        self.post.assert_called_once_with(self.ctxt, self.instance, 'cmp2',
                                          False, self.data)
        self.recover.assert_not_called()

    def test_move_with_options(self):
        self.flags(live_migration_max_total=300,
                   live_migration_immediate=True, group='zvm')
        self._migrate()
        self.assertEqual({'maxtotal': 300, 'maxquiesce': 10,
                          'immediate': 'YES'},
                         self.client.args_of('guest_live_migrate')[0][3])

    def test_failed_move_guest_still_here_recovers(self):
        self.client.answers['guest_live_migrate'] = fakes.connector_error(
            'guest_live_migrate', 300, 1, errmsg='MAXQUIESCE exceeded')
        self._migrate()
        # z/VM is asked once where the guest is: still here.
        self.assertEqual(1, self.client.count('guest_get_power_state'))
        self.assertEqual(1, self.client.count('guest_live_migrate'))
        self.recover.assert_called_once_with(self.ctxt, self.instance,
                                             'cmp2', self.data)
        self.post.assert_not_called()
        # The connector's reason is kept: an instance fault and a failed
        # action event.
        err = self.fault.call_args[0][2]
        self.assertIn('MAXQUIESCE exceeded', str(err))
        finish = self.events.event_finish_with_failure.call_args
        self.assertIs(err, finish[1]['exc_val'])

    def test_read_timeout_waits_for_z_vm_before_deciding(self):
        # The relocation outlives the read timeout: the guest leaves this
        # system two polls later. Nova must not roll back meanwhile.
        self.client.answers.update(
            guest_live_migrate=fakes.unreachable('guest_live_migrate'),
            guest_get_power_state=fakes.Seq([
                'on', 'on', fakes.guest_not_found(
                    'guest_get_power_state', 'OS000001', rs=3)]))
        self._migrate()
        self.assertEqual(3, self.client.count('guest_get_power_state'))
        self.post.assert_called_once_with(self.ctxt, self.instance, 'cmp2',
                                          False, self.data)
        self.recover.assert_not_called()

    def test_read_timeout_guest_still_here_after_the_limit_recovers(self):
        self.flags(long_read_timeout=10, group='zvm')
        self.client.answers['guest_live_migrate'] = fakes.unreachable(
            'guest_live_migrate')
        self._migrate()
        self.recover.assert_called_once_with(self.ctxt, self.instance,
                                             'cmp2', self.data)
        self.post.assert_not_called()
        # Asked until z/VM's limit and the grace period had passed.
        self.assertGreaterEqual(self.now[0] - 1000.0,
                                10 + relocation_outcome.RELOCATION_GRACE)

    def test_lost_answer_but_guest_gone_completes(self):
        self.client.answers.update(
            guest_live_migrate=fakes.unreachable('guest_live_migrate'),
            guest_get_power_state=fakes.guest_not_found(
                'guest_get_power_state', 'OS000001'))
        self._migrate()
        self.post.assert_called_once_with(self.ctxt, self.instance, 'cmp2',
                                          False, self.data)
        self.recover.assert_not_called()

    def test_unknown_outcome_raises(self):
        self.client.answers.update(
            guest_live_migrate=fakes.unreachable('guest_live_migrate'),
            guest_get_power_state=fakes.unreachable('guest_get_power_state'))
        err = self.assertRaises(exception.ZVMConnectorError, self._migrate)
        self.assertEqual('guest_live_migrate', err.api)
        self.post.assert_not_called()
        self.recover.assert_not_called()

    def test_block_migration_refused_before_any_call(self):
        self.assertRaises(exception.MigrationError, self._migrate,
                          block_migration=True)
        self.assertEqual([], self.client.calls)

    def test_foreign_data_refused_before_any_call(self):
        self.data = migrate_data_obj.LibvirtLiveMigrateData()
        self.assertRaises(exception.MigrationError, self._migrate)
        self.assertEqual([], self.client.calls)

    def test_source_forgets_volumes(self):
        bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.stashed_info())]}
        self.ops.post_live_migration(self.ctxt, self.instance, bdi,
                                     self.data)
        detach = self.client.args_of('volume_detach')
        self.assertEqual(1, len(detach))
        self.assertIs(True, detach[0][0]['update_connections_only'])
        self.assertEqual([{'reserve': False, 'fcp_template_id': TMPL}],
                         [kw for api, _a, kw in self.client.calls
                          if api == 'get_volume_connector'])

    def test_source_volume_cleanup_failures_do_not_stop_nova(self):
        self.client.answers['volume_detach'] = fakes.connector_error(
            'volume_detach', 500, 1, modid=30)
        bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.stashed_info())]}
        self.ops.post_live_migration(self.ctxt, self.instance, bdi,
                                     self.data)
        # The FCP reservation is released all the same.
        self.assertEqual(1, self.client.count('get_volume_connector'))

    def test_source_deregisters(self):
        self.ops.post_live_migration_at_source(self.ctxt, self.instance, [])
        self.assertTrue(self.client.made('guest_deregister', 'OS000001'))
        self.assertNotIn('guest_delete', self.client.api_names())

    def test_failed_deregister_is_logged_only(self):
        self.client.answers['guest_deregister'] = fakes.connector_error(
            'guest_deregister', 500, 1)
        self.ops.post_live_migration_at_source(self.ctxt, self.instance, [])
        self.assertTrue(self.client.made('guest_deregister', 'OS000001'))
        # Nova is not failed: the operator is told what is left behind.
        self.assertIn('keeps a record of OS000001, which now runs '
                      'elsewhere', self.stdlog.logger.output)


class DriverLiveMigrationTestCase(test.NoDBTestCase):
    """Both sides through ZVMDriver, the data through RPC at each hop."""

    def setUp(self):
        super(DriverLiveMigrationTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.src_client = fakes.FakeClient(
            host_get_info=host_info('ZVMHOST1', 'ZCCUSER1'),
            host_get_ssi_info=ssi_lines(), guest_get_power_state='on',
            get_volume_connector=vol_fakes.connector_answer())
        self.dst_client = fakes.FakeClient(
            host_get_info=host_info('ZVMHOST2', 'ZCCUSER2'),
            host_get_ssi_info=ssi_lines(),
            get_fcp_usage=['', 0, 0, ''],
            get_volume_connector=fakes.Seq([
                vol_fakes.connector_answer(('1A03', '1B03')),
                vol_fakes.connector_answer(('1A03', '1B03')),
                vol_fakes.connector_answer(),
                vol_fakes.connector_answer()]))
        self.src = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                    client=self.src_client)
        self.src.init_host('cmp1')
        self.dst = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                    client=self.dst_client)
        self.dst.init_host('cmp2')
        # init_host fetched the host data both sides reuse below.
        self.src_client.calls = []
        self.dst_client.calls = []
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(
            self.ctxt, id=1, host='cmp1', task_state=task_states.MIGRATING)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}
        self.src_bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.stashed_info())]}

    def test_whole_flow_with_a_volume(self):
        data = self.dst.check_can_live_migrate_destination(
            self.ctxt, self.instance, {}, {}, False, False)
        data = round_trip(self.src.check_can_live_migrate_source(
            self.ctxt, self.instance, round_trip(data), self.src_bdi))
        data = round_trip(self.dst.check_source_migrate_data_at_dest(
            self.ctxt, self.instance, data, None, None, None))
        self.dst.cleanup_live_migration_destination_check(self.ctxt, data)
        # Nova's pre_live_migration on the destination: the connector for
        # Cinder, then the driver.
        connector = self.dst.get_volume_connector(self.instance)
        self.assertEqual(['1a00', '1b00'], connector['zvm_fcp'])
        dst_bdi = {'block_device_mapping': [vol_fakes.bdm(
            vol_fakes.fc_info())]}
        data = round_trip(self.dst.pre_live_migration(
            self.ctxt, self.instance, dst_bdi, [], None, data))
        post = mock.Mock()
        self.src.live_migration(self.ctxt, self.instance, 'cmp2', post,
                                mock.Mock(), False, data)
        post.assert_called_once_with(self.ctxt, self.instance, 'cmp2',
                                     False, data)
        self.src.post_live_migration(self.ctxt, self.instance, self.src_bdi,
                                     data)
        self.src.post_live_migration_at_source(self.ctxt, self.instance, [])
        self.instance.host = 'cmp2'
        self.instance.task_state = None
        self.dst.post_live_migration_at_destination(self.ctxt, self.instance,
                                                    [], False, dst_bdi)
        src, dst = self.src_client, self.dst_client
        # Source: z/VM asked, then the guest relocated (order is the
        # point: the test comes first); its records here forgotten.
        self.assertEqual(['test', 'move'], [
            args[-1] for args in src.args_of('guest_live_migrate')])
        self.assertEqual(1, src.count('volume_detach'))
        self.assertTrue(src.made('guest_deregister', 'OS000001'))
        self.assertNotIn('guest_delete', src.api_names())
        # Destination: the guest's FCP devices checked and reserved, its
        # volume connection recorded, the guest registered.
        self.assertEqual({('1a00',), ('1b00',)},
                         set(dst.args_of('get_fcp_usage')))
        self.assertEqual(2, dst.count('set_fcp_usage'))
        self.assertEqual(1, dst.count('volume_attach'))
        self.assertEqual(['OS000001'], [
            args[0] for args in dst.args_of('guest_register')])
        for api in ('guest_live_migrate', 'guest_create', 'guest_deregister'):
            self.assertNotIn(api, dst.api_names())

    def test_rollback_detach_on_the_destination_keeps_the_guest(self):
        # Nova's remove_volume_connection on the destination: the guest
        # still runs on the source (instance.host).
        self.dst.detach_volume(self.ctxt, vol_fakes.stashed_info(),
                               self.instance, '/dev/vdb')
        detach = [c for c in self.dst_client.calls
                  if c[0] == 'volume_detach']
        self.assertIs(True, detach[0][1][0]['update_connections_only'])

    def test_abort_and_force_complete_refused_with_reasons(self):
        for name, words in (('live_migration_abort', 'VMRELOCATE CANCEL'),
                            ('live_migration_force_complete',
                             'live_migration_immediate')):
            self.assertIn(name, unsupported.UNSUPPORTED)
            err = self.assertRaises(unsupported.NotSupported,
                                    getattr(self.src, name), self.instance)
            self.assertIn(words, str(err))

    def test_driver_refusal_is_a_nova_exception(self):
        self.assertRaises(exception.MigrationPreCheckError,
                          self.dst.check_can_live_migrate_destination,
                          self.ctxt, self.instance, {}, {}, True, False)
