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

from zvmsdk import api as sdkapi
from zvmsdk.sdkwsgi import util as wsgi_util

from nova_zvm.simulator.model import HypervisorModel
from nova_zvm.tests.unit.simulator.model import base


class SignatureTestCase(base.ModelTestCase):

    def test_every_sdkapi_call_exists_with_the_same_signature(self):
        for name, func in inspect.getmembers(sdkapi.SDKAPI,
                                             inspect.isfunction):
            if name.startswith('_'):
                continue
            ours = getattr(HypervisorModel, name, None)
            self.assertIsNotNone(ours, name)
            real = inspect.signature(inspect.unwrap(func))
            mine = inspect.signature(ours)
            self.assertEqual(list(real.parameters), list(mine.parameters),
                             name)
            for pname, param in real.parameters.items():
                if param.default is inspect.Parameter.empty:
                    continue
                self.assertEqual(param.default,
                                 mine.parameters[pname].default,
                                 '%s(%s)' % (name, pname))


class CreateTestCase(base.ModelTestCase):

    def test_create_returns_disks_with_vdevs(self):
        disks = self.create_guest('vm1', more=[{'size': '1g',
                                                'format': 'ext4'},
                                               {'size': '512M'}])
        self.assertEqual(['0100', '0101', '0102'],
                         [d['vdev'] for d in disks])
        self.assertEqual('none', disks[0]['format'])
        # Cylinder counts come back in MB/GB, as zvmsdk converts them.
        self.assertEqual('2.3G', disks[0]['size'])
        self.assertEqual('1g', disks[1]['size'])
        self.assertEqual(['ECKD:POOL1'] * 3,
                         [d['disk_pool'] for d in disks])
        self.assertEqual(['VM1'], self.model.guest_list())

    def test_userid_is_stored_upper_case(self):
        self.create_guest('abc')
        self.assertEqual('off', self.model.guest_get_power_state('AbC'))
        self.assertEqual('ABC', self.model.guest_record('abc')['userid'])

    def test_duplicate_is_the_smapi_conflict(self):
        self.create_guest('vm1')
        exc = self.assertSDKError(base.GUEST_EXISTS, self.create_guest,
                                  'VM1')
        # zvmsdk's REST handler turns exactly this answer into HTTP 409.
        answer = dict(exc.results, errmsg='', output='')
        self.assertEqual(409, wsgi_util.get_http_code_from_sdk_return(
            answer, additional_handler=wsgi_util.handle_already_exists))

    def test_system_userids_exist_already(self):
        self.assertSDKError(base.GUEST_EXISTS, self.create_guest, 'maint')
        self.assertSDKError(base.GUEST_EXISTS, self.create_guest, 'ZCCUSER')

    def test_invalid_userid(self):
        self.assertSDKError(base.INVALID, self.create_guest, 'TOOLONGID')
        self.assertSDKError(base.INVALID, self.create_guest, 'a b')

    def test_bad_disk_list(self):
        self.assertSDKError(base.INVALID, self.model.guest_create, 'VM1', 1,
                            1024, disk_list=[{'is_boot_disk': True}])
        self.assertSDKError(base.INVALID, self.model.guest_create, 'VM1', 1,
                            1024, disk_list=[{'size': '1g',
                                              'format': 'ntfs'}])
        self.assertSDKError(base.INVALID, self.model.guest_create, 'VM1', 1,
                            1024, disk_list=[{'size': '1g',
                                              'disk_pool': 'POOL1'}])
        self.assertEqual([], self.model.guest_list())

    def test_memory_above_maximum_is_refused(self):
        self.assertSDKError((4, 1, 4, 206), self.model.guest_create, 'VM1',
                            1, 4096, max_mem='2G')
        self.assertEqual([], self.model.guest_list())

    def test_wrong_argument_types_fail_like_zvmsdk(self):
        # zvmsdk formats '%i' with the value: a TypeError, a 500.
        self.assertRaises(TypeError, self.model.guest_create, 'VM1', '2',
                          1024)

    def test_failing_disk_leaves_the_guest_like_zvmsdk(self):
        self.assertSDKError((4, 1, 4, 202), self.model.guest_create, 'VM1',
                            1, 1024, disk_list=[
                                {'size': '10', 'is_boot_disk': True},
                                {'size': 'lots'}])
        record = self.model.guest_record('VM1')
        self.assertEqual(['0100'], sorted(record['disks']))
        self.assertEqual(['VM1'], self.model.guest_list())

    def test_definition_lists_the_directory_entry(self):
        self.create_guest('VM1', vcpus=3, memory=4096,
                          more=[{'size': '100'}])
        direct = self.model.guest_get_definition_info('vm1')['user_direct']
        self.assertEqual('USER VM1 LBYONLY 4096M 64G G', direct[0])
        self.assertIn('IPL 0100 ', direct)
        self.assertIn('MDISK 0100 3390 0001 3338 POO001 MR', direct)
        self.assertIn('MDISK 0101 3390 0001 100 POO001 MR', direct)
        self.assertEqual(3, sum('CPU ' in line for line in direct))

    def test_user_direct_masks_the_password(self):
        self.create_guest('VM1')
        direct = self.model.guest_get_user_direct('VM1')['user_direct']
        self.assertEqual('USER VM1 ****** 2048M 64G G ', direct[0])


class DeleteTestCase(base.ModelTestCase):

    def test_delete_frees_disks(self):
        self.create_guest('VM1', root='10000')
        used = self.model.inventory()['disk_pool']['used']
        self.assertEqual(10000, used)
        self.model.guest_delete('vm1')
        self.assertEqual(0, self.model.inventory()['disk_pool']['used'])
        self.assertEqual([], self.model.guest_list())
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.model.guest_get_power_state, 'VM1')

    def test_delete_of_missing_guest_succeeds(self):
        self.assertIsNone(self.model.guest_delete('NOSUCH'))

    def test_delete_of_running_guest_logs_it_off(self):
        self.create_guest('VM1')
        self.model.guest_start('VM1')
        self.model.guest_delete('VM1')
        self.assertEqual('off',
                         self.model.guest_get_power_state_real('VM1'))

    def test_delete_of_userid_unknown_to_the_connector(self):
        # On z/VM but not in the connector's database: zvmsdk refuses.
        self.create_guest('VM1')
        self.model.guest_deregister('VM1')
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.guest_delete,
                            'VM1')


class PowerTestCase(base.ModelTestCase):

    def setUp(self):
        super(PowerTestCase, self).setUp()
        self.create_guest('VM1')

    def test_start_stop_are_idempotent(self):
        m = self.model
        self.assertEqual('off', m.guest_get_power_state('VM1'))
        m.guest_start('VM1')
        m.guest_start('VM1')
        self.assertEqual('on', m.guest_get_power_state('VM1'))
        m.guest_stop('VM1', timeout=300, poll_interval=20)
        m.guest_stop('VM1')
        m.guest_softstop('VM1', timeout=10, poll_interval=1)
        self.assertEqual('off', m.guest_get_power_state('VM1'))

    def test_paused_guest_is_on(self):
        self.model.guest_start('VM1')
        self.model.guest_pause('VM1')
        self.assertEqual('on', self.model.guest_get_power_state('VM1'))
        self.assertTrue(self.model.guest_record('VM1')['paused'])
        self.model.guest_unpause('VM1')
        self.assertFalse(self.model.guest_record('VM1')['paused'])

    def test_pause_of_stopped_guest_is_refused(self):
        exc = self.assertSDKError((300, 10, 300, 5), self.model.guest_pause,
                                  'VM1')
        self.assertIn('powered off', exc.format_message())
        self.assertSDKError((300, 10, 300, 5), self.model.guest_unpause,
                            'VM1')

    def test_reset_starts_a_stopped_guest(self):
        self.model.guest_reset('VM1')
        self.assertEqual('on', self.model.guest_get_power_state('VM1'))

    def test_reboot_needs_a_running_linux(self):
        # Started, but no image: nothing answers IUCV.
        self.model.guest_start('VM1')
        self.assertSDKError((2, 1, 4, 1), self.model.guest_reboot, 'VM1')

    def test_start_with_timeout_without_os_fails(self):
        self.assertSDKError((300, 10, 300, 16), self.model.guest_start,
                            'VM1', 30)
        self.assertEqual('on', self.model.guest_get_power_state('VM1'))

    def test_unknown_guest_is_404_rs1(self):
        for call in (self.model.guest_start, self.model.guest_stop,
                     self.model.guest_get_power_state,
                     self.model.guest_get_info):
            self.assertSDKError(base.GUEST_NOT_FOUND, call, 'NOSUCH')

    def test_power_state_real_ignores_the_database(self):
        self.assertEqual('off',
                         self.model.guest_get_power_state_real('NOSUCH'))
        self.assertEqual('on', self.model.guest_get_power_state_real('MAINT'))


class InfoTestCase(base.ModelTestCase):

    def test_info_of_stopped_and_running_guest(self):
        self.deployed_guest('VM1')
        info = self.model.guest_get_info('VM1')
        self.assertEqual({'power_state': 'off', 'max_mem_kb': 64 * 1024 ** 2,
                          'mem_kb': 0, 'num_cpu': 2, 'cpu_time_us': 0,
                          'online_cpu_num': 0, 'os_distro': '',
                          'kernel_info': ''}, info)
        self.model.guest_start('VM1')
        info = self.model.guest_get_info('VM1')
        self.assertEqual('on', info['power_state'])
        self.assertEqual(2048 * 1024, info['mem_kb'])
        self.assertEqual(2, info['online_cpu_num'])
        self.assertEqual('rhel8.4', info['os_distro'])
        self.assertIn('s390x', info['kernel_info'])

    def test_inspect_stats_omit_stopped_guests(self):
        self.create_guest('VM1')
        self.create_guest('VM2')
        self.model.guest_start('VM2')
        stats = self.model.guest_inspect_stats(['VM1', 'vm2'])
        self.assertEqual(['VM2'], list(stats))
        self.assertEqual(2, stats['VM2']['guest_cpus'])
        self.assertEqual(2048 * 1024, stats['VM2']['used_mem_kb'])
        self.assertSDKError(base.GUEST_NOT_FOUND,
                            self.model.guest_inspect_stats, ['VM1', 'NO'])

    def test_console_output_reflects_the_config_drive(self):
        self.deployed_guest('VM1', start=True)
        out = self.model.guest_get_console_output('VM1')
        self.assertIn('LOGON VM1', out)
        self.assertIn('set hostname to web-1', out)
        self.assertIn('192.168.10.5/24 via 192.168.10.1', out)
        self.assertIn('ssh authorized keys: 1', out)
        self.assertIn('injected files: 1', out)
        self.assertIn('admin password: set', out)
        self.assertNotIn('Secr3t', out)
        self.assertIn('web-1 login:', out)

    def test_console_of_guest_without_os(self):
        self.create_guest('VM1')
        self.assertEqual('', self.model.guest_get_console_output('VM1'))
        self.model.guest_start('VM1')
        self.assertIn('disabled wait',
                      self.model.guest_get_console_output('VM1'))


class ResizeTestCase(base.ModelTestCase):

    def setUp(self):
        super(ResizeTestCase, self).setUp()
        self.deployed_guest('VM1', networks=False)

    def test_static_resize(self):
        self.model.guest_resize_cpus('VM1', 4)
        self.model.guest_resize_mem('VM1', '4g')
        record = self.model.guest_record('VM1')
        self.assertEqual((4, 4096, 61440),
                         (record['vcpus'], record['memory_mb'],
                          record['reserved_mb']))
        self.model.guest_start('VM1')
        self.assertEqual(4, self.model.guest_get_info('VM1')['num_cpu'])

    def test_resize_beyond_maximum(self):
        self.assertSDKError((409, 10, 409, 4), self.model.guest_resize_cpus,
                            'VM1', 33)
        self.assertSDKError((409, 10, 409, 20), self.model.guest_resize_mem,
                            'VM1', '65G')

    def test_live_resize_needs_running_guest(self):
        self.assertSDKError((409, 10, 409, 1),
                            self.model.guest_live_resize_cpus, 'VM1', 4)
        self.assertSDKError((409, 10, 409, 1),
                            self.model.guest_live_resize_mem, 'VM1', '4g')

    def test_live_resize(self):
        self.model.guest_start('VM1')
        self.model.guest_live_resize_cpus('VM1', 4)
        self.model.guest_live_resize_mem('VM1', '3072M')
        info = self.model.guest_get_info('VM1')
        self.assertEqual((4, 3072 * 1024), (info['num_cpu'], info['mem_kb']))
        self.assertSDKError((409, 10, 409, 2),
                            self.model.guest_live_resize_cpus, 'VM1', 2)
        self.assertSDKError((409, 10, 409, 18),
                            self.model.guest_live_resize_mem, 'VM1', '1g')


class BehindTheBackTestCase(base.ModelTestCase):

    def test_vanished_guest_is_404_rs3_and_deletable(self):
        self.create_guest('VM1', root='1000')
        self.model.guest_create_nic('VM1', nic_id='port-1')
        self.model.vanish_guest('VM1')
        self.assertEqual(['VM1'], self.model.guest_list())
        # The connector's tables still have it.
        self.assertEqual(['port-1'], [r['port'] for r in
                                      self.model.guests_get_nic_info()])
        self.assertSDKError(base.GUEST_NOT_IN_DIRECTORY,
                            self.model.guest_get_power_state, 'VM1')
        self.assertSDKError((8, 1, 200, 4), self.model.guest_start, 'VM1')
        self.assertEqual(0, self.model.inventory()['disk_pool']['used'])
        self.model.guest_delete('VM1')
        self.assertEqual([], self.model.guest_list())
        self.assertEqual([], self.model.guests_get_nic_info())

    def test_vanished_without_database_row(self):
        self.create_guest('VM1')
        self.model.vanish_guest('VM1', keep_db=False)
        self.assertEqual([], self.model.guest_list())
        self.assertIsNone(self.model.guest_delete('VM1'))

    def test_power_off_behind(self):
        self.create_guest('VM1')
        self.model.guest_start('VM1')
        self.model.power_off_behind('vm1')
        self.assertEqual('off', self.model.guest_get_power_state('VM1'))
        self.assertIn('FORCED', self.model.guest_get_console_output('VM1'))


class RegisterTestCase(base.ModelTestCase):

    def test_deregister_and_register(self):
        self.create_guest('VM1')
        self.model.guest_create_nic('VM1', mac_addr='fa:16:3e:aa:bb:cc',
                                    nic_id='old-port')
        self.model.guest_deregister('VM1')
        self.assertEqual([], self.model.guest_list())
        self.assertEqual([], self.model.guests_get_nic_info(userid='VM1'))
        self.assertIn('VM1', self.model.host_get_guest_list())
        self.model.guest_register('VM1', 'os_version=rhel8.4', '1',
                                  port_macs={'AABBCC': 'new-port'})
        self.assertEqual(['VM1'], self.model.guest_list())
        rows = self.model.guests_get_nic_info(userid='VM1')
        self.assertEqual('new-port', rows[0]['port'])

    def test_register_unknown_userid(self):
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.guest_register,
                            'NOSUCH', '', '0')

    def test_register_refuses_bad_port_macs(self):
        self.create_guest('VM1')
        self.assertSDKError(base.INVALID, self.model.guest_register, 'VM1',
                            '', '0', port_macs=['x'])


class PersistenceTestCase(base.ModelTestCase):

    def test_a_new_model_sees_the_same_state(self):
        record = self.deployed_guest('VM1', start=True)
        self.model.vswitch_create('VSW1')
        other = self.make_model()
        self.assertEqual(['VM1'], other.guest_list())
        self.assertEqual('on', other.guest_get_power_state('VM1'))
        again = other.guest_record('VM1')
        self.assertEqual(record['disks'], again['disks'])
        self.assertEqual(record['config_drive'], again['config_drive'])
        self.assertEqual(['VSW1'], other.vswitch_get_list())
        self.assertEqual(['img1'],
                         [i['imagename'] for i in other.image_query()])
        self.assertEqual(self.model.inventory()['disk_pool'],
                         other.inventory()['disk_pool'])
        # The content is still there.
        digest = again['disks']['0100']['digest']
        self.assertTrue(other._blobs.exists(digest))
