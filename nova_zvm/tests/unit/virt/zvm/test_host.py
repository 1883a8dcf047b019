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

from nova.compute import provider_tree
from nova import exception
from nova import test
import os_resource_classes as orc
from oslo_serialization import jsonutils

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import host

NODE_UUID = '7f0c3bd6-3a43-4bd6-9a8e-4c1f1a2b3c4d'
RATIOS = {orc.VCPU: 4.0, orc.MEMORY_MB: 1.5, orc.DISK_GB: 1.0}


class FakeClock(object):

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class HostOpsTestCase(test.NoDBTestCase):

    def setUp(self):
        super(HostOpsTestCase, self).setUp()
        self.client = fakes.FakeClient(host_get_info=dict(fakes.HOST_INFO))
        self.clock = FakeClock()
        self.ops = host.HostOps(self.client, node_uuid=NODE_UUID,
                                clock=self.clock)

    def _tree(self):
        tree = provider_tree.ProviderTree()
        tree.new_root('ZVMHOST1', 'rp-uuid')
        return tree

    def test_available_resource(self):
        res = self.ops.get_available_resource('ZVMHOST1')
        self.assertEqual(NODE_UUID, res['uuid'])
        self.assertEqual(16, res['vcpus'])
        self.assertEqual(4, res['vcpus_used'])
        self.assertEqual(65536, res['memory_mb'])
        self.assertEqual(8192, res['memory_mb_used'])
        self.assertEqual(200, res['local_gb'])
        self.assertEqual(20, res['local_gb_used'])
        self.assertEqual(180, res['disk_available_least'])
        self.assertEqual('zvm', res['hypervisor_type'])
        self.assertEqual(720, res['hypervisor_version'])
        self.assertEqual('ZVMHOST1', res['hypervisor_hostname'])
        self.assertEqual({'architecture': 's390x', 'cec_model': '3906'},
                         jsonutils.loads(res['cpu_info']))
        self.assertEqual([('s390x', 'zvm', 'hvm')],
                         res['supported_instances'])
        self.assertEqual(1, self.client.count())

    def test_float_memory_becomes_integer(self):
        self.client.answers['host_get_info'] = dict(
            fakes.HOST_INFO, memory_mb=65536.0, memory_mb_used=1024.0)
        res = self.ops.get_available_resource('ZVMHOST1')
        self.assertIsInstance(res['memory_mb'], int)
        self.assertEqual(1024, res['memory_mb_used'])
        self.assertIsInstance(res['memory_mb_used'], int)

    def test_resource_update_fetches_host_data_once(self):
        # The resource tracker calls both in one update.
        self.ops.get_available_resource('ZVMHOST1')
        self.ops.update_provider_tree(self._tree(), 'ZVMHOST1', RATIOS, 0)
        # Plus the disk pool's volume list (diskfit.py).
        self.assertEqual(1, self.client.count('host_get_info'))
        self.assertEqual(1, self.client.count('host_get_diskpool_volumes'))
        self.assertEqual(2, self.client.count())

    def test_next_update_fetches_again(self):
        self.ops.get_available_resource('ZVMHOST1')
        self.clock.now += 60
        self.ops.get_available_resource('ZVMHOST1')
        self.assertEqual(2, self.client.count('host_get_info'))

    def test_stale_cache_is_refreshed_for_provider_tree(self):
        self.ops.get_available_resource('ZVMHOST1')
        self.clock.now += host.HOST_INFO_MAX_AGE + 1
        self.ops.update_provider_tree(self._tree(), 'ZVMHOST1', RATIOS, 0)
        self.assertEqual(2, self.client.count('host_get_info'))

    def test_disk_pool_option_queries_that_pool(self):
        self.flags(disk_pool='FBA:POOL2', group='zvm')
        self.client.answers['host_diskpool_get_info'] = {
            'disk_total': 50, 'disk_used': 5, 'disk_available': 45}
        res = self.ops.get_available_resource('ZVMHOST1')
        self.assertEqual(50, res['local_gb'])
        self.assertEqual(5, res['local_gb_used'])
        self.assertEqual(('host_diskpool_get_info', (),
                          {'disk_pool': 'FBA:POOL2'}), self.client.calls[1])

    def test_provider_tree_inventory(self):
        self.flags(reserved_host_cpus=1, reserved_host_memory_mb=512)
        tree = self._tree()
        self.ops.update_provider_tree(tree, 'ZVMHOST1', RATIOS, 3)
        inv = tree.data('ZVMHOST1').inventory
        self.assertEqual({'total': 16, 'min_unit': 1, 'max_unit': 16,
                          'step_size': 1, 'allocation_ratio': 4.0,
                          'reserved': 1}, inv[orc.VCPU])
        self.assertEqual(65536, inv[orc.MEMORY_MB]['total'])
        self.assertEqual(512, inv[orc.MEMORY_MB]['reserved'])
        self.assertEqual(1.5, inv[orc.MEMORY_MB]['allocation_ratio'])
        self.assertEqual(200, inv[orc.DISK_GB]['total'])
        self.assertEqual(3, inv[orc.DISK_GB]['reserved'])

    def test_provider_tree_leaves_out_empty_disk(self):
        info = dict(fakes.HOST_INFO, disk_total=0)
        self.client.answers['host_get_info'] = info
        tree = self._tree()
        self.ops.update_provider_tree(tree, 'ZVMHOST1', RATIOS, 0)
        inv = tree.data('ZVMHOST1').inventory
        self.assertNotIn(orc.DISK_GB, inv)
        self.assertIn(orc.VCPU, inv)

    def test_provider_tree_keeps_disk_reported_before_all_reserved(self):
        # Allocations may use DISK_GB: placement refuses to drop the class
        # (409 InventoryInUse), so it stays, with nothing left to allocate.
        tree = self._tree()
        self.ops.update_provider_tree(tree, 'ZVMHOST1', RATIOS, 0)
        self.client.answers['host_get_info'] = dict(fakes.HOST_INFO,
                                                    disk_total=0)
        self.ops._info = None  # the cached answer is stale
        self.ops.update_provider_tree(tree, 'ZVMHOST1', RATIOS, 0)
        disk = tree.data('ZVMHOST1').inventory[orc.DISK_GB]
        self.assertEqual(200, disk['total'])
        self.assertEqual(200, disk['reserved'])
        self.assertEqual(200, disk['max_unit'])

    def test_nodename_is_the_zvm_system(self):
        self.assertEqual(['ZVMHOST1'], self.ops.get_available_nodes())
        # Cached: asking again costs nothing.
        self.assertEqual(['ZVMHOST1'], self.ops.get_available_nodes())
        self.assertEqual(1, self.client.count())

    def test_nodenames_by_uuid(self):
        self.assertEqual({NODE_UUID: 'ZVMHOST1'},
                         self.ops.get_nodenames_by_uuid())

    def test_nodename_falls_back_to_host(self):
        self.flags(host='compute-9')
        self.client.answers['host_get_info'] = dict(
            fakes.HOST_INFO, hypervisor_hostname='')
        self.assertEqual(['compute-9'], self.ops.get_available_nodes())

    def test_unreachable_connector_means_not_ready(self):
        self.client.answers['host_get_info'] = fakes.unreachable()
        self.assertRaises(exception.VirtDriverNotReady,
                          self.ops.get_available_nodes)

    def test_unreachable_connector_after_start_keeps_node(self):
        self.ops.get_available_nodes()
        self.client.answers['host_get_info'] = fakes.unreachable()
        self.clock.now += 3600
        self.assertEqual(['ZVMHOST1'],
                         self.ops.get_available_nodes(refresh=True))

    def test_refusing_connector_means_not_ready_and_is_logged(self):
        self.client.answers['host_get_info'] = fakes.connector_error(
            'host_get_info', 400, 401, modid=120, errmsg='Not authorized')
        with mock.patch.object(host.LOG, 'error') as log_error:
            self.assertRaises(exception.VirtDriverNotReady,
                              self.ops.get_available_nodes)
        self.assertIn('Not authorized', str(log_error.call_args))

    def test_resource_update_reports_other_errors(self):
        self.client.answers['host_get_info'] = fakes.connector_error(
            'host_get_info', 500, 1)
        self.assertRaises(exception.ZVMConnectorError,
                          self.ops.get_available_resource, 'ZVMHOST1')

    def test_uptime_is_ipl_time(self):
        self.assertEqual('IPL at 11/01/26 08:00:00 UTC',
                         self.ops.get_host_uptime())


class DiskMaxUnitTestCase(test.NoDBTestCase):
    """DISK_GB promises no disk the pool's volumes cannot hold."""

    def setUp(self):
        super(DiskMaxUnitTestCase, self).setUp()
        # Ten 3390-27 volumes: 22 GB each, 200 GB in all (host_get_info).
        self.client = fakes.FakeClient(
            host_get_info=dict(fakes.HOST_INFO),
            host_get_diskpool_volumes={'diskpool_volumes': ' '.join(
                'POO%03d' % i for i in range(1, 11))},
            host_get_volume_info={'volume_type': '3390-27',
                                  'volume_size': '32760'})
        self.ops = host.HostOps(self.client, node_uuid=NODE_UUID)

    def _disk_inventory(self):
        tree = provider_tree.ProviderTree()
        tree.new_root('ZVMHOST1', 'rp-uuid')
        self.ops.update_provider_tree(tree, 'ZVMHOST1', RATIOS, 0)
        return tree.data('ZVMHOST1').inventory[orc.DISK_GB]

    def test_max_unit_from_the_largest_volume(self):
        disk = self._disk_inventory()
        self.assertEqual(200, disk['total'])
        # Three local disks (Nova's max_local_block_devices) of 22 GB.
        self.assertEqual(66, disk['max_unit'])
        # What spawn checks against was read by the same update.
        self.assertEqual('POO001',
                         self.ops.pool_volumes.largest().volser)

    def test_max_unit_is_the_total_while_volumes_are_unknown(self):
        self.client.answers['host_get_diskpool_volumes'] = (
            fakes.unreachable('host_get_diskpool_volumes'))
        disk = self._disk_inventory()
        self.assertEqual(200, disk['max_unit'])
