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

"""Minidisks and disk pools through zvmsdk's real code."""

from nova_zvm.simulator.zvm import dasd
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import disktools
from nova_zvm.tests.unit.simulator.zvm import base


def mdisks(record):
    return {line.split()[1]: line
            for line in directory.statements(record, 'MDISK')}


class DisksTest(base.ConnectorTestCase):

    CREATE = ['guest_create', ['G1', 1, 1024,
                               [{'size': '1000', 'is_boot_disk': True}]]]

    def test_create_disks_installs_filesystems(self):
        answers = self.run_calls(
            self.CREATE,
            ['guest_create_disks', ['G1', [{'size': '100M', 'format': 'ext4'},
                                           {'size': '50M',
                                            'format': 'swap'},
                                           {'size': '200',
                                            'format': 'xfs',
                                            'disk_pool': 'FBA:FPOOL'}]]],
            pool_volumes=[3339, 10017])
        self.assertIn('error', answers[1])   # FBA:FPOOL does not exist
        state = self.zvm_state()
        disks = mdisks(state.user('G1'))
        # The two ECKD disks got their filesystems (installFS ran on
        # them through the connector's links); the FBA one was refused.
        self.assertEqual(['0100', '0101', '0102'], sorted(disks))
        self.assertEqual('ext4', disktools.disk_layout(
            state, 'G1', '0101')['filesystem'])
        self.assertEqual('swap', disktools.disk_layout(
            state, 'G1', '0102')['filesystem'])
        # The root disk was created without a filesystem ('format' none).
        self.assertEqual({}, disktools.disk_layout(state, 'G1', '0100'))
        # Every disk linked for installFS was given back.
        self.assertEqual({}, state.system_info().get('links'))

    def test_fba_disks(self):
        answers = self.run_calls(
            ['guest_create', ['G1', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['guest_create_disks', ['G1', [{'size': '1g',
                                            'format': 'ext3'}]]],
            disk_pool='FBA:FPOOL')
        self.assertNotIn('error', answers[1], answers[1])
        state = self.zvm_state()
        line = mdisks(state.user('G1'))['0101']
        self.assertEqual('FB-512', line.split()[2])
        self.assertEqual('ext3', disktools.disk_layout(
            state, 'G1', '0101')['filesystem'])

    def test_disk_larger_than_a_volume_refused(self):
        answers = self.run_calls(
            self.CREATE,
            ['guest_create_disks', ['G1', [{'size': '1500',
                                            'format': 'ext4'}]]],
            pool_volumes=[1113, 1113])
        self.assertIn('error', answers[1])
        self.assertIn('2119', answers[1]['error']['errmsg'])
        state = self.zvm_state()
        self.assertNotIn('0101', mdisks(state.user('G1')))
        used = [ext['vdev'] for vol in state.pools()['POOL1'][
            'volumes'].values() for ext in vol['extents']]
        self.assertEqual(['0100'], used)

    def test_delete_disks_only_when_stopped(self):
        answers = self.run_calls(
            self.CREATE,
            ['guest_create_disks', ['G1', [{'size': '100',
                                            'format': 'ext4'}]]],
            ['guest_start', ['G1']],
            ['guest_delete_disks', ['G1', ['0101']]],
            ['guest_stop', ['G1']],
            ['guest_delete_disks', ['G1', ['0101']]],
            ['guest_delete_disks', ['G1', ['0105']]])
        self.assertEqual(501, answers[3]['error']['overallRC'])
        self.assertNotIn('error', answers[5], answers[5])
        # A disk that is not there: SMAPI 208/36, which smtLayer ignores.
        self.assertNotIn('error', answers[6], answers[6])
        state = self.zvm_state()
        self.assertEqual(['0100'], sorted(mdisks(state.user('G1'))))
        owners = [(ext['userid'], ext['vdev'])
                  for vol in state.pools()['POOL1']['volumes'].values()
                  for ext in vol['extents']]
        self.assertEqual([('G1', '0100')], owners)

    def test_disk_pool_queries(self):
        answers = self.run_calls(
            ['host_diskpool_get_info', []],
            self.CREATE,
            ['host_diskpool_get_info', []],
            ['host_get_diskpool_volumes', []],
            ['host_diskpool_get_info', ['ECKD:NOPOOL']],
            pool_volumes=[3339, 10017, 32760])
        before, after = answers[0]['output'], answers[2]['output']
        pool = self.zvm_state().pools()['POOL1']
        self.assertEqual(' '.join(sorted(pool['volumes'])),
                         answers[3]['output']['diskpool_volumes'])
        # Sizes in GB: about (3338 + 10016 + 32759) cylinders of 720 KB.
        cylinders = sum(v['size'] - 1 for v in pool['volumes'].values())
        self.assertEqual(round(cylinders * 737280 / 1024 ** 3),
                         before['disk_total'])
        self.assertEqual(0, before['disk_used'])
        self.assertEqual(1, after['disk_used'])   # 1000 cylinders ~ 0.7 G
        self.assertEqual(before['disk_total'], after['disk_total'])
        self.assertIn('error', answers[4])

    def test_volume_sizes_and_types(self):
        state = self.zvm_state()
        dasd.setup_pool(state, 'ECKD:P1', [10017, 65520, 262668])
        self.assertEqual(
            ['3390-09', '3390-54', '3390-A'],
            [dasd.volume_type('3390', v['size']) for _n, v in sorted(
                state.pools()['P1']['volumes'].items())])


class GuestConfigDisksTest(base.ConnectorTestCase):
    """Paths that read files of the connector's Linux (zccguest.py)."""

    def test_config_minidisks_and_grow_root_punch_to_the_reader(self):
        answers = base.run_connector(
            self.state_dir,
            [DisksTest.CREATE,
             ['guest_create_disks', ['G1', [{'size': '100',
                                             'format': 'ext4'}]]],
             ['guest_config_minidisks', ['G1', [{'vdev': '0101',
                                                 'format': 'ext4',
                                                 'mntdir': '/data'}]]],
             ['guest_grow_root_volume', ['G1', 'rhel9.2']]])
        for answer in answers:
            self.assertNotIn('error', answer, answer)
        reader = self.zvm_state().user('G1')['reader']
        self.assertEqual([('aemod', 'doscript', 'X'), ('gpartvol', 'sh', 'X')],
                         [(f['name'], f['type'], f['class'])
                          for f in reader])
