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

"""Console output and directory resizes through zvmsdk's real code."""

import os

from nova_zvm.simulator.zvm import console
from nova_zvm.simulator.zvm import definition
from nova_zvm.simulator.zvm import directory
from nova_zvm.tests.unit.simulator.zvm import base


def create(userid, vcpus=1, memory=1024):
    return ['guest_create', [userid, vcpus, memory,
                             [{'size': '100', 'is_boot_disk': True}]]]


def error_codes(answer):
    err = answer['error']
    return err['overallRC'], err['modID'], err['rc'], err['rs']


class ConsoleTest(base.ConnectorTestCase):

    def test_console_of_a_stopped_guest_is_8_1_8_8(self):
        answers = self.run_calls(create('G1'),
                                 ['guest_get_console_output', ['G1']])
        self.assertEqual((8, 1, 8, 8), error_codes(answers[1]))

    def test_console_of_a_running_guest(self):
        state = self.zvm_state()
        console.write(state, 'G1', 'Linux version 5.14 booting\n')
        answers = base.run_connector(
            self.state_dir,
            [create('G1'), ['guest_start', ['G1']],
             ['guest_get_console_output', ['G1']],
             ['guest_get_console_output', ['G1']]])
        # What the guest wrote (the guest OS model may add its own boot
        # lines after it).
        first = answers[2]['output']
        self.assertTrue(first.startswith('Linux version 5.14 booting\n'),
                        first)
        # Nothing new: zvmsdk answers the log it keeps, once.
        self.assertEqual(first, answers[3]['output'])
        console.write(state, 'G1', 'login:\n')
        answers = base.run_connector(
            self.state_dir, [['guest_get_console_output', ['G1']]])
        self.assertEqual(first + 'login:\n', answers[0]['output'])
        # Every console file was received (and so purged) from the
        # connector's reader; no spool content is left behind.
        self.assertEqual([], state.system_info()['zcc_reader'])
        queued = ['%04d' % f['spoolid'] for f in state.user('G1')['reader']]
        self.assertEqual(sorted(queued), sorted(os.listdir(state.spool_dir)))


class ResizeTest(base.ConnectorTestCase):

    def _record(self, userid='G1'):
        return self.zvm_state().user(userid)

    def test_lowering_vcpus_does_not_take_effect(self):
        answers = self.run_calls(create('G1', vcpus=4),
                                 ['guest_resize_cpus', ['G1', 2]])
        self.assertNotIn('error', answers[1], answers[1])
        record = self._record()
        # zvmsdk counted no CPU statement (the guest has COMMAND DEFINE
        # CPU ones) and so ADDED two CPU statements: at the next logon
        # the guest still has its four CPUs.
        self.assertEqual(['CPU 00', 'CPU 01'],
                         directory.statements(record, 'CPU'))
        self.assertEqual(['00', '01', '02', '03'],
                         definition.logon_cpus(record))

    def test_raising_vcpus(self):
        answers = self.run_calls(create('G1', vcpus=1),
                                 ['guest_resize_cpus', ['G1', 3]],
                                 ['guest_resize_cpus', ['G1', 40]])
        self.assertNotIn('error', answers[1], answers[1])
        self.assertEqual(409, answers[2]['error']['overallRC'])
        record = self._record()
        self.assertEqual(['00', '01', '02'], definition.logon_cpus(record))
        self.assertEqual(['SHARE RELATIVE 300'],
                         directory.statements(record, 'SHARE'))

    def test_resize_memory_replaces_the_entry(self):
        answers = self.run_calls(create('G1', memory=1024),
                                 ['guest_resize_mem', ['G1', '2g']],
                                 ['guest_resize_mem', ['G1', '128g']],
                                 ['guest_live_resize_mem', ['G1', '4g']],
                                 ['guest_live_resize_cpus', ['G1', 2]],
                                 ['guest_get_definition_info', ['G1']])
        self.assertNotIn('error', answers[1], answers[1])
        self.assertEqual(409, answers[2]['error']['overallRC'])
        # Live resizes need a running guest.
        self.assertEqual(409, answers[3]['error']['overallRC'])
        self.assertEqual(409, answers[4]['error']['overallRC'])
        record = self._record()
        user = record['lines'][0].split()
        self.assertEqual('2048M', user[3])
        reserved = [line for line in record['lines']
                    if line.startswith('COMMAND DEF STOR RESERVED')]
        self.assertEqual(['COMMAND DEF STOR RESERVED %dM' % (
            int(user[4][:-1]) * 1024 - 2048)], reserved)
        self.assertFalse(record['locked'])
        # What zvmsdk reads back is the directory entry (DirMaint's own
        # comment lines aside).
        self.assertEqual(record['lines'],
                         [line for line in answers[5]['output']['user_direct']
                          if line and not line.startswith('*')])
