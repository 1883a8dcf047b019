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

import hashlib
import os

from zvmsdk import exception
from zvmsdk.sdkwsgi import util as wsgi_util

from nova_zvm.simulator import images
from nova_zvm.tests.unit.simulator.model import base


class DeployTestCase(base.ModelTestCase):

    def test_root_disk_references_the_image_payload(self):
        info = self.import_image('img1')
        record = self.deployed_guest('VM1', networks=False)
        self.assertEqual(info['payload_sha256'],
                         record['disks']['0100']['digest'])
        self.assertEqual('os_version=rhel8.4', record['db']['metadata'])
        self.assertEqual('img1', record['deployed']['image'])

    def test_config_drive_is_what_the_guest_sees(self):
        record = self.deployed_guest('VM1', networks=False)
        drive = record['config_drive']
        self.assertEqual('web-1', drive['hostname'])
        self.assertEqual(base.META_DATA['uuid'], drive['uuid'])
        self.assertEqual({'role': 'web'}, drive['meta'])
        self.assertEqual({'mykey': base.META_DATA['public_keys']['mykey']},
                         drive['public_keys'])
        self.assertEqual('/etc/motd', drive['files'][0]['path'])
        self.assertEqual(hashlib.sha256(b'Welcome to web-1\n').hexdigest(),
                         drive['files'][0]['sha256'])
        self.assertEqual([{'link': 'tap1', 'mac': 'fa:16:3e:11:22:33',
                           'type': 'ipv4', 'address': '192.168.10.5',
                           'prefix': 24, 'gateway': '192.168.10.1'}],
                         drive['addresses'])
        self.assertTrue(drive['user_data'])
        self.assertIs(True, drive['admin_pass'])
        # The password itself is nowhere in the state.
        for root, _dirs, files in os.walk(self.state_dir):
            for name in files:
                with open(os.path.join(root, name), 'rb') as f:
                    self.assertNotIn(b'Secr3t-Pass', f.read(), name)

    def test_unknown_image(self):
        self.create_guest('VM1')
        self.assertSDKError(base.IMAGE_NOT_FOUND, self.model.guest_deploy,
                            'VM1', 'nope')

    def test_missing_target_disk_maps_to_404(self):
        self.import_image('img1')
        self.create_guest('VM1', root=None)
        exc = self.assertSDKError((300, 10, 300, 3), self.model.guest_deploy,
                                  'VM1', 'img1')
        answer = dict(exc.results, errmsg=exc.format_message())
        self.assertEqual(404, wsgi_util.get_http_code_from_sdk_return(
            answer, additional_handler=wsgi_util.handle_not_found))

    def test_image_larger_than_disk(self):
        self.import_image('img1', size=3338)
        self.create_guest('VM1', root='3000')
        exc = self.assertSDKError((300, 10, 300, 3), self.model.guest_deploy,
                                  'VM1', 'img1')
        self.assertIn('needs 3338 CYL', exc.format_message())

    def test_image_type_must_match_the_disk(self):
        self.import_image('fba', disk_type='FBA', size=1000)
        self.create_guest('VM1')
        exc = self.assertSDKError((300, 10, 300, 3), self.model.guest_deploy,
                                  'VM1', 'fba')
        self.assertIn('FBA disk image', exc.format_message())

    def test_deploy_to_running_guest_fails(self):
        self.import_image('img1')
        self.create_guest('VM1')
        self.model.guest_start('VM1')
        self.assertSDKError((300, 10, 300, 3), self.model.guest_deploy,
                            'VM1', 'img1')

    def test_missing_transport_file(self):
        self.import_image('img1')
        self.create_guest('VM1')
        exc = self.assertSDKError((300, 10, 300, 4), self.model.guest_deploy,
                                  'VM1', 'img1',
                                  transportfiles='/no/such/cfgdrive.iso')
        self.assertIn('copy configure drive failed', exc.format_message())

    def test_malformed_transport_files_fail_the_deploy(self):
        self.import_image('img1')
        self.create_guest('VM1')
        not_iso = os.path.join(self.tmp, 'junk.iso')
        with open(not_iso, 'wb') as f:
            f.write(b'this is not an ISO image' * 100)
        cases = [
            (not_iso, 'not an ISO9660 image'),
            (self.config_drive('label.iso', label='cidata'),
             "volume label is 'cidata'"),
            (self.config_drive('nometa.iso', raw_meta=b'{"uuid": '),
             'meta_data.json is not valid JSON'),
            (self.config_drive('plain.iso', rock_ridge=False,
                               joliet=False),
             'neither Rock Ridge nor Joliet'),
            (self.config_drive('lost.iso', contents={}),
             'injected file /etc/motd has no content'),
        ]
        for path, reason in cases:
            exc = self.assertSDKError((300, 10, 300, 14),
                                      self.model.guest_deploy, 'VM1', 'img1',
                                      transportfiles=path)
            self.assertIn(reason, exc.format_message())

    def test_joliet_only_drive_is_readable(self):
        self.import_image('img1')
        self.create_guest('VM1')
        self.model.guest_deploy('VM1', 'img1', transportfiles=(
            self.config_drive(rock_ridge=False)))
        drive = self.model.guest_record('VM1')['config_drive']
        self.assertEqual(('joliet', 'web-1'), (drive['names'],
                                               drive['hostname']))

    def test_hostname_without_config_drive(self):
        self.import_image('img1')
        self.create_guest('VM1')
        self.model.guest_deploy('VM1', 'img1', hostname='plain-host')
        self.model.guest_start('VM1')
        self.assertIn('plain-host login:',
                      self.model.guest_get_console_output('VM1'))

    def test_skipdiskcopy_keeps_the_disk(self):
        self.create_guest('VM1')
        self.model.guest_deploy('VM1', 'rhel9.2', skipdiskcopy=True)
        record = self.model.guest_record('VM1')
        self.assertEqual('os_version=rhel9.2', record['db']['metadata'])
        self.assertIsNone(record['deployed']['image'])

    def test_rhcos_needs_an_ignition_file(self):
        self.create_guest('VM1')
        self.assertSDKError((300, 10, 300, 13), self.model.guest_deploy,
                            'VM1', 'rhcos4.12', skipdiskcopy=True)

    def test_first_boot_applies_the_drive_once(self):
        self.deployed_guest('VM1', start=True)
        self.model.guest_stop('VM1')
        self.model.guest_start('VM1')
        out = self.model.guest_get_console_output('VM1')
        self.assertEqual(1, out.count("running 'init' (first boot)"))
        self.assertEqual(2, out.count('LOGON VM1'))


class CaptureTestCase(base.ModelTestCase):

    def test_content_survives_capture_export_import_deploy(self):
        info = self.import_image(
            'base', payload=b''.join(images.pattern_payload(3 * 1024 ** 2)))
        self.deployed_guest('SRC', image='base', start=True)
        self.model.guest_capture('SRC', 'snap1')
        snap = self.model.image_query('snap1')[0]
        self.assertEqual('rhel8.4', snap['imageosdistro'])
        self.assertEqual('3338:CYL', snap['disk_size_units'])
        # Captured from the running guest: stopped for the copy, restarted.
        self.assertEqual('on', self.model.guest_get_power_state('SRC'))
        # Export, import under a new name, deploy to another guest.
        path = os.path.join(self.tmp, 'snap1.img')
        exported = self.model.image_export('snap1', 'file://' + path)
        self.assertEqual(snap['md5sum'], exported['md5sum'])
        self.model.image_import('snap1-copy', 'file://' + path,
                                {'os_version': 'rhel8.4',
                                 'md5sum': snap['md5sum']})
        self.create_guest('DST', root='5000')
        self.model.guest_deploy('DST', 'snap1-copy')
        digests = [self.model.guest_record(u)['disks']['0100']['digest']
                   for u in ('SRC', 'DST')]
        self.assertEqual([info['payload_sha256']] * 2, digests)

    def test_capture_of_stopped_guest_uses_database_os(self):
        self.deployed_guest('VM1', networks=False)
        self.model.guest_capture('VM1', 'snap', compress_level=0)
        image = self.model.image_query('snap')[0]
        # zvmsdk upper-cases the metadata's os_version on that path.
        self.assertEqual('RHEL8.4', image['imageosdistro'])
        self.assertEqual('off', self.model.guest_get_power_state('VM1'))

    def test_captured_image_size_is_the_root_disk_size(self):
        self.import_image('img1')
        self.create_guest('VM1', root='5000')
        self.model.guest_deploy('VM1', 'img1')
        self.model.guest_capture('VM1', 'snap')
        self.assertEqual('5000', self.model.image_get_root_disk_size('snap'))

    def test_alldisks_is_not_implemented(self):
        self.create_guest('VM1')
        self.assertSDKError((501, 'guest', 501, 1), self.model.guest_capture,
                            'VM1', 'snap', capture_type='alldisks')

    def test_guest_without_disks(self):
        self.create_guest('VM1', root=None)
        self.assertSDKError((300, 10, 300, 5), self.model.guest_capture,
                            'VM1', 'snap')

    def test_existing_name_fails_like_the_database(self):
        self.deployed_guest('VM1', networks=False)
        self.model.guest_capture('VM1', 'snap')
        exc = self.assertRaises(exception.SDKDatabaseException,
                                self.model.guest_capture, 'VM1', 'SNAP')
        self.assertIsNone(exc.results)

    def test_capture_of_unknown_guest(self):
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.guest_capture,
                            'NOPE', 'snap')
