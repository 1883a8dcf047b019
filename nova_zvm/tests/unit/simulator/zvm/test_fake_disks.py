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

"""The fake z/VM's spool, disk, zthin and directory programs, directly."""

import os
import re

import fixtures
from oslotest import base

from nova_zvm.simulator import images
from nova_zvm.simulator.zvm import console  # noqa: F401
from nova_zvm.simulator.zvm import cp  # noqa: F401
from nova_zvm.simulator.zvm import dasd
from nova_zvm.simulator.zvm import definition  # noqa: F401
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import disktools
from nova_zvm.simulator.zvm import spool
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system
from nova_zvm.simulator.zvm import zthin  # noqa: F401


class FakeZVMTestCase(base.BaseTestCase):

    def setUp(self):
        super(FakeZVMTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.state = zvm_state.ZVMState(os.path.join(self.tmp, 'zvm'))
        self.zvm = system.FakeZVM(self.state)
        self.zvm.setup(disk_pool='ECKD:POOL1', pool_volumes=[1113, 3339])
        self.state.put_user(self.state.new_user(
            'G1', ['USER G1 LBYONLY 1024m 4G G', 'MACHINE ESA 4',
                   'COMMAND DEFINE CPU 00 TYPE IFL']))

    def run_zvm(self, *argv):
        return self.zvm.run(list(argv))

    def smcli(self, api, *parms):
        rc, out = self.run_zvm('smcli', api, '--addRCheader', *parms)
        header = out.split('\n', 1)[0].split()
        return (int(header[1]), int(header[2])), out.split('\n', 1)[1]

    def add_disk(self, vdev, size, userid='G1'):
        return self.smcli('Image_Disk_Create_DM', '-T', userid, '-v', vdev,
                          '-t', '3390', '-a', 'AUTOG', '-r', 'POOL1',
                          '-u', '1', '-z', str(size), '-f', '1', '-m', 'MR')

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(content)
        return path


class SpoolTest(FakeZVMTestCase):

    def punch_to(self, userid, path, spool_class='X'):
        rc, out = self.run_zvm('vmur', 'punch', '-r', path)
        if rc:
            return rc, out
        spoolid = re.findall(r'\d+', out)[0]
        self.run_zvm('vmcp', 'change', 'rdr', spoolid, 'class', spool_class)
        return self.run_zvm('vmcp', 'transfer', '*', 'rdr', spoolid, 'to',
                            userid, 'rdr')

    def test_spool_names_follow_cp_8_8(self):
        for name, ok in (('cfgdrive.iso', True), ('abcdefgh.abcdefgh', True),
                         ('a.b.c', True), ('abcdefghi.iso', False),
                         ('cfg.abcdefghi', False), ('cfgdrive', True)):
            rc, out = self.run_zvm('vmur', 'punch', '-r',
                                   self.write(name, b'data'))
            self.assertEqual(0 if ok else 1, rc, (name, out))
            if not ok:
                self.assertIn('Malformed spool file name', out)
        # --force (which smtLayer does not use) cuts the name instead.
        self.assertEqual(0, self.run_zvm('vmur', 'punch', '-r', '-f',
                                         self.write('configdrive.iso',
                                                    b'data'))[0])
        names = [(f['name'], f['type']) for f in
                 spool.reader(self.state, self.state.zcc_userid)]
        self.assertEqual([('cfgdrive', 'iso'), ('abcdefgh', 'abcdefgh'),
                          ('a.b', 'c'), ('cfgdrive', ''),
                          ('configdr', 'iso')], names)

    def test_punch_transfer_and_purge(self):
        rc, out = self.punch_to('G1', self.write('cfgdrive.iso', b'iso'))
        self.assertEqual(0, rc, out)
        reader = self.state.user('G1')['reader']
        self.assertEqual([('cfgdrive', 'iso', 'X')],
                         [(f['name'], f['type'], f['class']) for f in reader])
        self.assertEqual(b'iso', spool.read_content(self.state, reader[0]))
        self.assertEqual([], spool.reader(self.state, self.state.zcc_userid))
        (rc, rs), _out = self.smcli('System_RDR_File_Manage', '-T', 'G1',
                                    '-k', 'spoolids=all')
        self.assertEqual((0, 0), (rc, rs))
        self.assertEqual([], self.state.user('G1')['reader'])
        self.assertEqual([], os.listdir(self.state.spool_dir))

    def test_transfer_to_unknown_user_keeps_the_file(self):
        rc, out = self.punch_to('NOSUCH', self.write('cfgdrive.iso', b'i'))
        self.assertEqual(cp.VMCP_CP_ERROR, rc)
        self.assertIn('not in CP directory', out)
        self.assertEqual(1, len(spool.reader(self.state,
                                             self.state.zcc_userid)))

    def test_deleted_user_loses_its_reader(self):
        self.punch_to('G1', self.write('cfgdrive.iso', b'iso'))
        (rc, rs), _out = self.smcli('Image_Delete_DM', '-T', 'G1', '-e', '0')
        self.assertEqual((0, 0), (rc, rs))
        self.assertEqual([], os.listdir(self.state.spool_dir))

    def test_console_files_listed_and_received_once(self):
        (rc, rs), _out = self.smcli('Image_Console_Get', '-T', 'G1')
        self.assertEqual((8, 8), (rc, rs))
        with self.state.update_user('G1') as record:
            record['logged_on'] = self.state.system
        console.write(self.state, 'G1', 'boot\n')
        self.assertEqual((0, 0), self.smcli('Image_Console_Get', '-T',
                                            'G1')[0])
        rc, listing = self.run_zvm('vmur', 'list')
        # What smtLayer's getConsole keeps: origin, spoolid, class T, CON.
        files = [line.split()[1] for line in listing.splitlines()
                 if line.split()[0] == 'G1' and line.split()[2:4] ==
                 ['T', 'CON']]
        self.assertEqual(1, len(files))
        self.assertEqual((0, 'boot\n'),
                         self.run_zvm('vmur', 're', '-t', '-O', files[0]))
        self.assertEqual(1, self.run_zvm('vmur', 're', '-t', '-O',
                                         files[0])[0])
        self.assertEqual((0, 'NO RDR FILES\n'), self.run_zvm('vmur', 'li'))


class DasdTest(FakeZVMTestCase):

    def test_volume_space_queries(self):
        self.assertEqual((0, 0), self.add_disk('0100', 1000)[0])
        self.assertEqual((0, 0), self.add_disk('0101', 500)[0])
        _rc, out = self.smcli('Image_Volume_Space_Query_DM', '-q', '1',
                              '-e', '3', '-T', 'dummy', '-n', '*')
        self.assertEqual('POOL1 POO001 POO002', out.strip())
        _rc, out = self.smcli('Image_Volume_Space_Query_DM', '-q', '2',
                              '-e', '3', '-T', 'dummy', '-n', 'POOL1')
        # 0101 did not fit after 0100 on the 1113-cylinder volume.
        self.assertEqual(['POO001 3390-01 1001 112 POOL1 POO001',
                          'POO002 3390-03 501 2838 POOL1 POO002'],
                         out.strip().splitlines())
        _rc, out = self.smcli('Image_Volume_Space_Query_DM', '-q', '3',
                              '-e', '3', '-T', 'dummy', '-n', 'POOL1')
        used = [line.split() for line in out.strip().splitlines()]
        self.assertEqual([('POO001', '1000', 'G1', '0100', 'POOL1'),
                          ('POO002', '500', 'G1', '0101', 'POOL1')],
                         [(u[0], u[3], u[4], u[5], u[7]) for u in used])

    def test_deleting_a_missing_disk_is_208_36(self):
        (rc, rs), _out = self.smcli('Image_Disk_Delete_DM', '-T', 'G1',
                                    '-v', '0100', '-e', '0')
        self.assertEqual((dasd.RC_IMAGE_DISK, dasd.RS_DISK_NOT_DEFINED),
                         (rc, rs))

    def test_install_filesystem_on_a_linked_disk(self):
        self.add_disk('0101', 100)
        rc, out = self.run_zvm('linkdiskandbringonline', 'G1', '0101', 'MR')
        self.assertEqual(0, rc, out)
        # installFS takes the 10th word after 'Success:' as the device.
        words = re.search('Success:(.+?)\n', out).group(1).split()
        device = '/dev/' + words[9]
        self.assertNotEqual(0, self.run_zvm('mkfs', '-F', '-t', 'ext4',
                                            device + '1')[0])
        self.assertNotEqual(0, self.run_zvm('fdasd', '-a', device)[0])
        self.assertEqual(0, self.run_zvm('dasdfmt', '-y', '-b', '4096', '-d',
                                         'cdl', '-v', device)[0])
        self.assertEqual(0, self.run_zvm('fdasd', '-a', device)[0])
        self.assertEqual(0, self.run_zvm('mkfs.xfs', '-f', device + '1')[0])
        self.assertEqual(0, self.run_zvm('offlinediskanddetach', 'G1',
                                         '0101')[0])
        self.assertNotEqual(0, self.run_zvm('mkfs', '-t', 'ext4',
                                            device + '1')[0])
        self.assertEqual('xfs', disktools.disk_layout(
            self.state, 'G1', '0101')['filesystem'])
        self.assertEqual(3, self.run_zvm('linkdiskandbringonline', 'G1',
                                         '0109', 'MR')[0])


class ZthinTest(FakeZVMTestCase):

    def test_unpack_and_capture_rules(self):
        self.add_disk('0100', 1000)
        image = os.path.join(self.tmp, 'img')
        images.write_image(image, 'ECKD', 1000, b'payload')
        with self.state.update_user('G1') as record:
            record['logged_on'] = 'ZVMHOST2'   # on another SSI member
        rc, out = self.run_zvm('unpackdiskimage', 'G1', '0100', image)
        self.assertEqual((3, 'ERROR: The specified target system is '
                          'currently running.\n'), (rc, out))
        with self.state.update_user('G1') as record:
            record['logged_on'] = None
        self.assertEqual(0, self.run_zvm('unpackdiskimage', 'G1', '0100',
                                         image)[0])
        dummy = os.path.join(self.tmp, 'dummy')
        images.write_image(dummy, 'ECKD', 0, b'')
        self.assertEqual(3, self.run_zvm('unpackdiskimage', 'G1', '0100',
                                         dummy)[0])
        out_file = os.path.join(self.tmp, 'captured')
        self.assertEqual(1, self.run_zvm('creatediskimage', 'G1', '0100',
                                         out_file, '--compression',
                                         '10')[0])
        self.assertEqual(0, self.run_zvm('creatediskimage', 'G1', '0100',
                                         out_file, '--compression', '0')[0])
        self.assertEqual(3, self.run_zvm('creatediskimage', 'G1', '0100',
                                         out_file, '--compression', '0')[0])
        head = images.read_header(out_file)
        self.assertEqual(('ECKD', 1000, 0), (head.disk_type, head.size,
                                             head.gzip))
        self.assertEqual(b'payload', b''.join(images.read_payload(out_file)))


class DefinitionTest(FakeZVMTestCase):

    def entry_file(self, lines):
        return self.write('entry', ('\n'.join(lines) + '\n').encode())

    def test_lock_replace_unlock(self):
        lines = self.state.user('G1')['lines']
        new = [lines[0].replace('1024m', '2048M')] + lines[1:]
        path = self.entry_file(new)
        self.assertEqual((400, 24), self.smcli('Image_Replace_DM', '-T',
                                               'G1', '-f', path)[0])
        self.assertEqual((0, 0), self.smcli('Image_Lock_DM', '-T', 'G1')[0])
        self.assertEqual((400, 12), self.smcli('Image_Lock_DM', '-T',
                                               'G1')[0])
        self.assertEqual((0, 0), self.smcli('Image_Replace_DM', '-T', 'G1',
                                            '-f', path)[0])
        record = self.state.user('G1')
        self.assertEqual(new, record['lines'])
        self.assertFalse(record['locked'])
        self.assertEqual((400, 24), self.smcli('Image_Unlock_DM', '-T',
                                               'G1')[0])

    def test_replace_cannot_change_minidisks(self):
        self.add_disk('0100', 100)
        lines = self.state.user('G1')['lines']
        self.smcli('Image_Lock_DM', '-T', 'G1')
        rcrs, _out = self.smcli('Image_Replace_DM', '-T', 'G1', '-f',
                                self.entry_file(lines[:-1]))
        self.assertEqual(definition.RS_REPLACE_CHANGES, rcrs[1])
        self.assertEqual(lines, self.state.user('G1')['lines'])

    def test_cpu_statements(self):
        self.assertEqual((0, 0), self.smcli(
            'Image_Definition_Update_DM', '-T', 'G1', '-k', 'CPU=CPUADDR=01',
            '-k', 'CPU=CPUADDR=02', '-k', 'SHARE=RELATIVE=300')[0])
        record = self.state.user('G1')
        self.assertEqual(['CPU 01', 'CPU 02'],
                         directory.statements(record, 'CPU'))
        self.assertEqual(['00', '01', '02'], definition.logon_cpus(record))
        # MACHINE ESA 4: addresses 00-03 only; no CPU statement twice.
        self.assertNotEqual(0, self.smcli(
            'Image_Definition_Update_DM', '-T', 'G1', '-k',
            'CPU=CPUADDR=04')[0][0])
        self.assertNotEqual(0, self.smcli(
            'Image_Definition_Update_DM', '-T', 'G1', '-k',
            'CPU=CPUADDR=01')[0][0])
        self.assertEqual((0, 0), self.smcli(
            'Image_Definition_Delete_DM', '-T', 'G1', '-k',
            'CPU=CPUADDR=02')[0])
        self.assertNotEqual(0, self.smcli(
            'Image_Definition_Delete_DM', '-T', 'G1', '-k',
            'CPU=CPUADDR=02')[0][0])
        self.assertEqual(['CPU 01'], directory.statements(
            self.state.user('G1'), 'CPU'))
