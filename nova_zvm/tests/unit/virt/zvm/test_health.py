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

from nova import exception
from nova import objects
from nova import test

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import health
from nova_zvm.virt.zvm import host

VOLUMES = {'diskpool_volumes': 'POO001 POO002'}


class DiskPoolTypeTestCase(test.NoDBTestCase):

    def _client(self, volume_type):
        return fakes.FakeClient(
            host_get_diskpool_volumes=VOLUMES,
            host_get_volume_info={'volume_type': volume_type,
                                  'volume_size': '65520'})

    def test_pool_of_the_declared_type(self):
        for pool, vtype in (('ECKD:POOL1', '3390-54'), ('FBA:POOL1',
                                                        '9336-10')):
            client = self._client(vtype)
            health.check_disk_pool(client, pool)
            self.assertEqual(('host_get_volume_info', (),
                              {'volume': 'POO001'}), client.calls[1])

    def test_fba_declared_on_an_eckd_pool(self):
        client = self._client('3390-54')
        err = self.assertRaises(zvm_exc.ConnectorConfigError,
                                health.check_disk_pool, client, 'FBA:POOL1')
        self.assertEqual('[zvm] disk_pool', err.option)
        self.assertIn('disk pool POOL1 is ECKD', str(err))
        self.assertIn('3390-54', str(err))
        self.assertIn('[zvm] disk_pool = ECKD:POOL1', str(err))

    def test_eckd_declared_on_an_fba_pool(self):
        err = self.assertRaises(zvm_exc.ConnectorConfigError,
                                health.check_disk_pool,
                                self._client('9336-10'), 'eckd:POOL1')
        self.assertIn('= FBA:POOL1', str(err))

    def test_connector_cannot_tell(self):
        for answers in (
                {'host_get_diskpool_volumes': {'diskpool_volumes': ''}},
                {'host_get_diskpool_volumes': VOLUMES,
                 'host_get_volume_info': {'volume_type': 'UNKNOWN'}},
                {'host_get_diskpool_volumes': fakes.connector_error(
                    'host_get_diskpool_volumes', 300, 10, modid=400)}):
            health.check_disk_pool(fakes.FakeClient(**answers), 'ECKD:P')

    def test_unreachable_is_not_a_verdict(self):
        client = fakes.FakeClient(
            host_get_diskpool_volumes=fakes.unreachable())
        self.assertRaises(zvm_exc.ConnectorUnreachable,
                          health.check_disk_pool, client, 'ECKD:POOL1')


class ConfigProblemTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ConfigProblemTestCase, self).setUp()
        self.service = objects.Service(host='compute1', disabled=False,
                                       disabled_reason=None)
        self.lookup = self.useFixture(test.fixtures.MockPatch(
            'nova.objects.Service.get_by_compute_host',
            return_value=self.service)).mock
        self.saved = []
        self.useFixture(test.fixtures.MockPatch(
            'nova.objects.Service.save',
            side_effect=lambda: self.saved.append(
                (self.service.disabled, self.service.disabled_reason))))
        self.problem = health.ConfigProblem()
        self.problem.host = 'compute1'

    def _errors(self):
        return [line for line in self.stdlog.logger.output.splitlines()
                if 'ERROR' in line]

    def test_logged_once_per_change_and_shown_as_service_status(self):
        err = health.pool_missing(fakes.connector_error(
            'host_diskpool_get_info', 4, 402, modid=1,
            errmsg='Disk pool NOPOOL does not exist'), 'ECKD:NOPOOL')
        for _ in range(3):
            self.problem.report(err)
        self.assertEqual(1, len(self._errors()))
        self.assertIn('[zvm] disk_pool', self._errors()[0])
        self.assertIn('NOPOOL', self._errors()[0])
        self.assertEqual(1, len(self.saved))
        self.assertTrue(self.service.disabled)
        self.assertTrue(self.service.disabled_reason.startswith(
            'AUTO: z/VM driver'))
        self.assertIn('[zvm] disk_pool', self.service.disabled_reason)
        # Another problem is told again.
        other = zvm_exc.ConnectorConfigError(
            'host_get_info', {'errmsg': 'bad CA'}, option='[zvm] ca_file')
        self.problem.report(other)
        self.assertEqual(2, len(self._errors()))
        # Solved: the service takes servers again.
        self.problem.clear()
        self.assertFalse(self.service.disabled)
        self.assertIsNone(self.service.disabled_reason)
        self.assertIsNone(self.problem.message)

    def test_operator_disabled_service_is_left_alone(self):
        self.service.disabled = True
        self.service.disabled_reason = 'maintenance'
        self.problem.report(zvm_exc.ConnectorConfigError(
            'x', {'errmsg': 'bad'}, option='[zvm] ca_file'))
        self.problem.clear()
        self.assertEqual([], self.saved)
        self.assertEqual('maintenance', self.service.disabled_reason)

    def test_restarted_service_is_enabled_again_once(self):
        self.service.disabled = True
        self.service.disabled_reason = 'AUTO: z/VM driver: old problem'
        self.problem.clear()
        self.problem.clear()
        self.assertEqual([(False, None)], self.saved)

    def test_status_set_once_the_service_record_exists(self):
        # First start: init_host runs before the service record exists.
        self.lookup.side_effect = exception.ComputeHostNotFound(
            host='compute1')
        err = zvm_exc.ConnectorConfigError(
            'x', {'errmsg': 'bad'}, option='[zvm] ca_file')
        self.problem.report(err)
        self.assertEqual(1, len(self._errors()))
        self.assertEqual([], self.saved)
        self.lookup.side_effect = None
        self.problem.report(err)
        self.problem.report(err)
        self.assertEqual(1, len(self._errors()))
        self.assertEqual(1, len(self.saved))
        self.assertTrue(self.service.disabled)


class HostConfigProblemTestCase(test.NoDBTestCase):
    """What the resource tracker sees of a configuration problem."""

    def setUp(self):
        super(HostConfigProblemTestCase, self).setUp()
        self.useFixture(test.fixtures.MockPatch(
            'nova_zvm.virt.zvm.health._set_service_disabled'))
        self.flags(disk_pool='FBA:POOL1', group='zvm')
        self.client = fakes.FakeClient(
            host_get_info=dict(fakes.HOST_INFO),
            host_diskpool_get_info={'disk_total': 50, 'disk_used': 0,
                                    'disk_available': 50},
            host_get_diskpool_volumes=VOLUMES,
            host_get_volume_info={'volume_type': '3390-54'})
        self.ops = host.HostOps(self.client, node_uuid='n1')

    def test_pool_of_the_wrong_type_keeps_the_node_not_ready(self):
        for _ in range(3):
            self.assertRaises(exception.VirtDriverNotReady,
                              self.ops.get_available_nodes)
        errors = [line for line in self.stdlog.logger.output.splitlines()
                  if 'ERROR' in line]
        self.assertEqual(1, len(errors))
        self.assertIn('disk pool POOL1 is ECKD', errors[0])
        # Fixed in nova.conf and restarted: the type is checked once.
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.client.calls = []
        ops = host.HostOps(self.client, node_uuid='n1')
        self.assertEqual(['ZVMHOST1'], ops.get_available_nodes())
        ops.get_available_resource('ZVMHOST1')
        self.assertEqual(1, self.client.count('host_get_volume_info'))
        self.assertEqual(2, self.client.count('host_get_info'))

    def test_unknown_pool(self):
        self.client.answers['host_diskpool_get_info'] = (
            fakes.connector_error('host_diskpool_get_info', 4, 402, modid=1,
                                  errmsg='Disk pool POOL1 does not exist'))
        self.assertRaises(exception.VirtDriverNotReady,
                          self.ops.get_available_nodes)
        self.assertIn('[zvm] disk_pool', self.ops.problem.message)
        self.assertIn('does not know disk pool FBA:POOL1',
                      self.ops.problem.message)

    def test_problem_during_resource_update_is_one_line(self):
        self.flags(disk_pool='ECKD:POOL1', group='zvm')
        self.assertEqual(['ZVMHOST1'], self.ops.get_available_nodes())
        self.client.answers['host_get_info'] = zvm_exc.ConnectorConfigError(
            'host_get_info', {'errmsg': 'refused'},
            option='[zvm] connector_token_file')
        # The update in progress keeps the last data (told once, above).
        res = self.ops.get_available_resource('ZVMHOST1')
        self.assertEqual(16, res['vcpus'])
        self.assertIn('[zvm] connector_token_file', self.ops.problem.message)
        # The next periodic stops at "not ready", and recovers when fixed.
        self.assertRaises(exception.VirtDriverNotReady,
                          self.ops.get_available_nodes)
        self.client.answers['host_get_info'] = dict(fakes.HOST_INFO)
        self.assertEqual(['ZVMHOST1'], self.ops.get_available_nodes())
        self.assertIsNone(self.ops.problem.message)

    def test_problem_before_any_data_is_invalid_configuration(self):
        self.client.answers['host_get_info'] = zvm_exc.ConnectorConfigError(
            'host_get_info', {'errmsg': 'refused'}, option='[zvm] ca_file')
        err = self.assertRaises(exception.InvalidConfiguration,
                                self.ops.get_available_resource, 'ZVMHOST1')
        self.assertIn('[zvm] ca_file', str(err))


class PoolMissingTestCase(test.NoDBTestCase):

    def test_smt_or_invalid_input_answers_name_the_option(self):
        for overall, modid in ((4, 1), (100, 400), (404, 10)):
            err = health.pool_missing(fakes.connector_error(
                'host_diskpool_get_info', overall, 1, modid=modid),
                'ECKD:NOPOOL')
            self.assertIsInstance(err, zvm_exc.ConnectorConfigError)
            self.assertEqual('[zvm] disk_pool', err.option)

    def test_other_failures_are_kept(self):
        for original in (fakes.unreachable(), fakes.connector_error(
                'host_diskpool_get_info', 500, 1, modid=100)):
            self.assertIs(original,
                          health.pool_missing(original, 'ECKD:POOL1'))
