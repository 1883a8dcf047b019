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

from zvmsdk import exception
from zvmsdk.sdkwsgi import util as wsgi_util

from nova_zvm.simulator.model import disks
from nova_zvm.tests.unit.simulator.model import base


class SizeTestCase(base.ModelTestCase):

    def test_units_as_smtlayer_converts_them(self):
        self.assertEqual(1457, disks.units_of('1g', 'ECKD'))
        self.assertEqual(729, disks.units_of('512M', 'ECKD'))
        self.assertEqual(2097152, disks.units_of('1G', 'FBA'))
        self.assertEqual(3338, disks.units_of('3338', 'ECKD'))

    def test_bad_sizes(self):
        for size, rs in (('G', 200), ('12x', 202), ('1.2.3g', 203),
                         ('0', 202)):
            exc = self.assertRaises(exception.SDKSMTRequestFailed,
                                    disks.units_of, size, 'ECKD')
            self.assertEqual((4, 4, rs), (exc.results['overallRC'],
                                          exc.results['rc'],
                                          exc.results['rs']), size)


class PoolTestCase(base.ModelTestCase):

    model_options = {'disk_pool_size': 20000}

    def test_running_out_of_space_is_an_error(self):
        self.create_guest('VM1', root='15000')
        exc = self.assertSDKError((8, 1, 596, 3541), self.create_guest,
                                  'VM2', root='6000')
        self.assertIn('not enough free space', exc.format_message())
        # The guest was defined before its disk failed, as on z/VM.
        self.assertEqual(['VM1', 'VM2'], self.model.guest_list())
        self.assertEqual(15000, self.model.inventory()['disk_pool']['used'])
        self.model.guest_delete('VM1')
        self.model.guest_create_disks('VM2', [{'size': '6000'}])
        self.assertEqual(6000, self.model.inventory()['disk_pool']['used'])

    def test_unknown_pool(self):
        exc = self.assertSDKError((4, 1, 5, 402), self.create_guest, 'VM1',
                                  more=[{'size': '10',
                                         'disk_pool': 'ECKD:OTHER'}])
        answer = dict(exc.results, errmsg='')
        self.assertEqual(404, wsgi_util.get_http_code_from_sdk_return(
            answer, additional_handler=wsgi_util.handle_not_found))

    def test_pool_type_must_match(self):
        self.assertSDKError((4, 1, 5, 402), self.create_guest, 'VM1',
                            more=[{'size': '10', 'disk_pool': 'FBA:POOL1'}])

    def test_diskpool_info_in_gb(self):
        # 20000 cylinders of 737280 bytes: 13.7 GB, rounded as zvmsdk.
        self.assertEqual({'disk_total': 14, 'disk_used': 0,
                          'disk_available': 14},
                         self.model.host_diskpool_get_info())
        self.create_guest('VM1', root='1g')
        self.assertEqual({'disk_total': 14, 'disk_used': 1,
                          'disk_available': 13},
                         self.model.host_diskpool_get_info('ECKD:POOL1'))
        # zvmsdk only passes the name on.
        self.assertEqual(14, self.model.host_diskpool_get_info(
            'FBA:pool1')['disk_total'])
        self.assertSDKError((4, 1, 5, 402),
                            self.model.host_diskpool_get_info, 'ECKD:NONE')
        self.assertSDKError(base.INVALID,
                            self.model.host_diskpool_get_info, 'POOL1')

    def test_pool_volumes(self):
        vols = self.model.host_get_diskpool_volumes()
        self.assertEqual({'diskpool_volumes': 'POO001'}, vols)
        self.assertEqual({'volume_type': '3390-54', 'volume_size': '20000'},
                         self.model.host_get_volume_info('poo001'))
        self.assertSDKError((404, 400, 404, 1),
                            self.model.host_get_volume_info, 'XYZ')


class FBAPoolTestCase(base.ModelTestCase):

    model_options = {'disk_pool': 'FBA:FBAPOOL'}

    def test_fba_pool_counts_blocks(self):
        result = self.create_guest('VM1', root='1g',
                                   more=[{'size': '4194304'}])
        self.assertEqual('2.0G', result[1]['size'])
        record = self.model.guest_record('VM1')
        self.assertEqual((2097152, 'BLK', 'FBA'),
                         (record['disks']['0100']['units'],
                          record['disks']['0100']['unit'],
                          record['disks']['0100']['type']))
        direct = self.model.guest_get_definition_info('VM1')['user_direct']
        self.assertIn('MDISK 0100 9336 0001 2097152 FBA001 MR', direct)
        self.assertEqual(200, self.model.host_diskpool_get_info()[
            'disk_total'])


class NoPoolTestCase(base.ModelTestCase):

    model_options = {'disk_pool': None}

    def test_without_pool_disks_need_one(self):
        self.assertSDKError(base.INVALID, self.create_guest, 'VM1')
        self.assertEqual({'disk_total': 0, 'disk_used': 0,
                          'disk_available': 0},
                         self.model.host_diskpool_get_info())

    def test_swap_only_guest_gets_a_vdisk(self):
        result = self.model.guest_create('VM1', 1, 1024, disk_list=[
            {'size': '1g', 'format': 'swap'}])
        self.assertEqual('0100', result[0]['vdev'])
        direct = self.model.guest_get_definition_info('VM1')['user_direct']
        self.assertIn('MDISK 0100 FB-512 V-DISK 2097152 MWV', direct)


class GuestDisksTestCase(base.ModelTestCase):

    def test_more_disks_continue_after_the_last(self):
        self.create_guest('VM1', more=[{'size': '100'}])
        added = self.model.guest_create_disks('vm1', [{'size': '10'},
                                                      {'size': '20'}])
        self.assertEqual(['0102', '0103'], [d['vdev'] for d in added])
        self.assertIsNone(self.model.guest_create_disks('VM1', []))

    def test_explicit_vdev_in_use(self):
        self.create_guest('VM1')
        self.assertSDKError((8, 1, 408, 4), self.model.guest_create_disks,
                            'VM1', [{'size': '10', 'vdev': '0100'}])

    def test_delete_disks_of_running_guest_is_not_implemented(self):
        self.create_guest('VM1', more=[{'size': '100'}])
        self.model.guest_start('VM1')
        exc = self.assertSDKError((501, None, 501, 1),
                                  self.model.guest_delete_disks, 'VM1',
                                  ['0101'])
        # zvmsdk passes the module name, not its number, here.
        self.assertEqual('guest', exc.results['modID'])

    def test_delete_disks_frees_them(self):
        self.create_guest('VM1', root='100', more=[{'size': '200'}])
        self.model.guest_delete_disks('VM1', ['0101', '0999'])
        self.assertEqual(['0100'],
                         sorted(self.model.guest_record('VM1')['disks']))
        self.assertEqual(100, self.model.inventory()['disk_pool']['used'])

    def test_config_minidisks_at_next_boot(self):
        self.deployed_guest('VM1', networks=False)
        self.model.guest_create_disks('VM1', [{'size': '100'}])
        self.model.guest_config_minidisks('VM1', [{'format': 'ext4'}])
        record = self.model.guest_record('VM1')
        self.assertEqual([{'vdev': '0101', 'format': 'ext4',
                           'mntdir': '/mnt/ephemeral0'}],
                         record['minidisk_config'])
        self.model.guest_start('VM1')
        self.assertIn('disk 0101 formatted ext4, mounted on /mnt/ephemeral0',
                      self.model.guest_get_console_output('VM1'))

    def test_grow_root_volume(self):
        self.deployed_guest('VM1', networks=False)
        self.model.guest_grow_root_volume('VM1', 'rhel8.4')
        self.assertTrue(self.model.guest_record('VM1')['grow_root'])
        self.model.guest_start('VM1')
        self.assertIn('growing root partition',
                      self.model.guest_get_console_output('VM1'))
        self.assertFalse(self.model.guest_record('VM1')['grow_root'])
        # An OS zvmsdk cannot handle: its ZVMException has no results.
        exc = self.assertRaises(exception.ZVMException,
                                self.model.guest_grow_root_volume, 'VM1',
                                'windows10')
        self.assertIsNone(exc.results)
