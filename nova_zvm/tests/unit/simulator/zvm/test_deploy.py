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

"""Images, deploy and capture through zvmsdk's real code."""

import filecmp
import os

from nova_zvm.simulator import images
from nova_zvm.simulator.zvm import spool
from nova_zvm.tests.unit.simulator.zvm import base

PAYLOAD = b'root filesystem of the image\n' * 300


def error_codes(answer):
    err = answer['error']
    return err['overallRC'], err['modID'], err['rc'], err['rs']


class ImageTest(base.ConnectorTestCase):

    def _image(self, name='img.img', size=1000, payload=PAYLOAD,
               disk_type='ECKD'):
        path = os.path.join(self.state_dir, name)
        info = images.write_image(path, disk_type, size, payload)
        return path, info

    def test_import_query_export_delete(self):
        path, info = self._image(size=1000)
        dest = os.path.join(self.state_dir, 'exported.img')
        answers = self.run_calls(
            ['image_import', ['img1', 'file://' + path,
                              {'os_version': 'rhel9.2',
                               'md5sum': info['md5sum']}]],
            ['image_query', ['img1']],
            ['image_get_root_disk_size', ['img1']],
            ['image_export', ['img1', 'file://' + dest]],
            ['image_delete', ['img1']],
            ['image_query', ['img1']])
        self.assertNotIn('error', answers[0], answers[0])
        record = answers[1]['output'][0]
        self.assertEqual('1000:CYL', record['disk_size_units'])
        self.assertEqual(str(os.path.getsize(path)),
                         record['image_size_in_bytes'])
        self.assertEqual(info['md5sum'], record['md5sum'])
        self.assertEqual('1000', answers[2]['output'])
        self.assertEqual(info['md5sum'], answers[3]['output']['md5sum'])
        self.assertTrue(filecmp.cmp(path, dest, shallow=False))
        self.assertNotIn('error', answers[4])
        self.assertEqual((404, 40, 404, 1), error_codes(answers[5]))
        repo = os.path.join(self.state_dir, 'connector', 'images',
                            'netboot', 'rhel9.2', 'img1')
        self.assertFalse(os.path.exists(repo))

    def test_wrong_md5sum_refused(self):
        path, info = self._image()
        answers = self.run_calls(
            ['image_import', ['img1', 'file://' + path,
                              {'os_version': 'rhel9.2', 'md5sum': '0' * 32}]],
            ['image_query', ['img1']])
        self.assertEqual(300, answers[0]['error']['overallRC'])
        self.assertEqual(4, answers[0]['error']['rs'])
        self.assertIn('error', answers[1])


class DeployTest(base.ConnectorTestCase):

    def setUp(self):
        super(DeployTest, self).setUp()
        self.image = os.path.join(self.state_dir, 'img.img')
        images.write_image(self.image, 'ECKD', 1000, PAYLOAD)
        self.cfgdrive = os.path.join(self.state_dir, 'cfgdrive.iso')
        with open(self.cfgdrive, 'wb') as f:
            f.write(b'config drive bytes')

    def _import(self, name='img1', path=None):
        return ['image_import', [name, 'file://' + (path or self.image),
                                 {'os_version': 'rhel9.2'}]]

    @staticmethod
    def _create(userid, size='1500'):
        # Sizes without a unit are cylinders.
        return ['guest_create', [userid, 1, 1024,
                                 [{'size': size, 'is_boot_disk': True}]]]

    def _disk(self, userid, vdev='0100'):
        path = self.zvm_state().disk_path(userid, vdev)
        if not os.path.exists(path):
            return None
        with open(path, 'rb') as f:
            return f.read()

    def test_content_survives_deploy_capture_deploy(self):
        answers = self.run_calls(
            self._import(), self._create('G1'), self._create('G2', '2000'),
            ['guest_deploy', ['G1', 'img1'],
             {'transportfiles': self.cfgdrive, 'vdev': '0100'}],
            ['guest_capture', ['G1', 'cap1']],
            ['image_query', ['cap1']],
            ['guest_deploy', ['G2', 'cap1'], {'vdev': '0100'}])
        for answer in answers:
            self.assertNotIn('error', answer, answer)
        self.assertEqual(PAYLOAD, self._disk('G1'))
        self.assertEqual(PAYLOAD, self._disk('G2'))
        # The capture is of G1's whole minidisk: 1500 cylinders.
        self.assertEqual('1500:CYL',
                         answers[5]['output'][0]['disk_size_units'])
        # The transport file is in G1's reader, class X, with its content.
        state = self.zvm_state()
        files = {(f['name'], f['type']): f for f in state.user('G1')['reader']}
        self.assertIn(('cfgdrive', 'iso'), files)
        punched = files[('cfgdrive', 'iso')]
        self.assertEqual('X', punched['class'])
        self.assertEqual(b'config drive bytes',
                         spool.read_content(state, punched))
        # G2 got no transport file, and the connector's reader is empty.
        self.assertNotIn(('cfgdrive', 'iso'),
                         [(f['name'], f['type'])
                          for f in state.user('G2')['reader']])
        self.assertEqual([], state.system_info().get('zcc_reader'))

    def test_long_transport_file_name_is_4_1_7_401(self):
        longname = os.path.join(self.state_dir, 'configdrive.iso')
        with open(longname, 'wb') as f:
            f.write(b'x')
        answers = self.run_calls(
            self._import(), self._create('G1'),
            ['guest_deploy', ['G1', 'img1'],
             {'transportfiles': longname, 'vdev': '0100'}])
        self.assertEqual((4, 1, 7, 401), error_codes(answers[2]))
        self.assertIn('Malformed spool file name',
                      answers[2]['error']['errmsg'])
        self.assertEqual([], self.zvm_state().user('G1')['reader'])

    def test_deploy_refused_while_logged_on(self):
        answers = self.run_calls(
            self._import(), self._create('G1'),
            ['guest_start', ['G1']],
            ['guest_deploy', ['G1', 'img1'], {'vdev': '0100'}])
        self.assertEqual((300, 10, 300, 3), error_codes(answers[3]))
        self.assertIn('currently running', answers[3]['error']['errmsg'])
        self.assertIsNone(self._disk('G1'))

    def test_disk_smaller_than_image_refused(self):
        answers = self.run_calls(
            self._import(), self._create('G1', '999'),
            ['guest_deploy', ['G1', 'img1'], {'vdev': '0100'}])
        self.assertEqual((300, 10, 300, 3), error_codes(answers[2]))
        self.assertIn('too small', answers[2]['error']['errmsg'])
        self.assertIsNone(self._disk('G1'))

    def test_fba_image_on_eckd_disk_refused(self):
        fba = os.path.join(self.state_dir, 'fba.img')
        images.write_image(fba, 'FBA', 100000, PAYLOAD)
        answers = self.run_calls(
            self._import('fba1', fba), self._create('G1'),
            ['guest_deploy', ['G1', 'fba1'], {'vdev': '0100'}])
        self.assertEqual((300, 10, 300, 3), error_codes(answers[2]))
        self.assertIsNone(self._disk('G1'))

    def test_fba_deploy_and_capture(self):
        fba = os.path.join(self.state_dir, 'fba.img')
        images.write_image(fba, 'FBA', 200000, PAYLOAD)
        answers = self.run_calls(
            self._import('fba1', fba), self._create('G1', '300000'),
            ['guest_deploy', ['G1', 'fba1'], {'vdev': '0100'}],
            ['guest_capture', ['G1', 'cap1']],
            ['image_query', ['cap1']],
            disk_pool='FBA:FPOOL')
        for answer in answers:
            self.assertNotIn('error', answer, answer)
        self.assertEqual(PAYLOAD, self._disk('G1'))
        self.assertEqual('300000:BLK',
                         answers[4]['output'][0]['disk_size_units'])

    def test_deploy_purges_the_reader_first(self):
        other = os.path.join(self.state_dir, 'old.data')
        with open(other, 'wb') as f:
            f.write(b'old')
        answers = self.run_calls(
            self._import(), self._create('G1'),
            ['guest_deploy', ['G1', 'img1'],
             {'transportfiles': other, 'vdev': '0100'}],
            ['guest_deploy', ['G1', 'img1'],
             {'transportfiles': self.cfgdrive, 'vdev': '0100'}])
        self.assertNotIn('error', answers[3], answers[3])
        state = self.zvm_state()
        names = sorted(f['name'] for f in state.user('G1')['reader'])
        # The second deploy's files only: its transport file and the
        # IUCV authorization script zvmsdk punches.
        self.assertEqual(['cfgdrive', 'iucvauth'], names)
        kept = set('%04d' % f['spoolid'] for f in state.user('G1')['reader'])
        self.assertEqual(kept, set(os.listdir(state.spool_dir)))

    def test_capture_of_an_unreachable_running_guest(self):
        # A guest zvmsdk cannot reach over IUCV (here: nothing booted from
        # its empty root disk) is stopped, captured from its directory's
        # first minidisk and started again.
        answers = self.run_calls(
            self._create('G1'),
            ['guest_start', ['G1']],
            ['guest_capture', ['G1', 'cap1']],
            ['guest_get_power_state', ['G1']],
            ['image_get_root_disk_size', ['cap1']])
        self.assertNotIn('error', answers[2], answers[2])
        self.assertEqual('on', answers[3]['output'])
        self.assertEqual('1500', answers[4]['output'])
