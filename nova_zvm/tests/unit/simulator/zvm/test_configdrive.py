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

import json
import os
import shutil
import subprocess
import sys

import fixtures
import testtools

from nova_zvm.simulator.zvm import configdrive
from nova_zvm.tests.unit.simulator.zvm import drives


class ReadTestCase(testtools.TestCase):

    def setUp(self):
        super(ReadTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def config_drive(self, name='cfgdrive.iso', **kwargs):
        kwargs.setdefault('network_data', drives.NETWORK_DATA)
        return drives.build_config_drive(os.path.join(self.tmp, name),
                                         **kwargs)

    def test_summary(self):
        drive = configdrive.read(self.config_drive())
        self.assertEqual('config-2', drive['label'])
        self.assertEqual('rock_ridge', drive['names'])
        self.assertEqual('web-1', drive['hostname'])
        self.assertEqual(['mykey'], list(drive['public_keys']))
        self.assertEqual(17, drive['files'][0]['size'])
        self.assertEqual(14, drive['user_data_bytes'])
        self.assertFalse(drive['vendor_data'])
        self.assertTrue(drive['admin_pass'])
        self.assertNotIn('Secr3t', json.dumps(drive))

    def test_minimal_drive(self):
        meta = {'uuid': 'u', 'hostname': 'h'}
        drive = configdrive.read(self.config_drive(
            meta_data=meta, network_data=None, user_data=None, contents={}))
        self.assertEqual(({}, [], False, False, [], None),
                         (drive['public_keys'], drive['files'],
                          drive['user_data'], drive['admin_pass'],
                          drive['addresses'], drive['network_data']))

    def test_refusals(self):
        self.assertRaises(configdrive.ConfigDriveError, configdrive.read,
                          os.path.join(self.tmp, 'missing.iso'))
        no_meta = os.path.join(self.tmp, 'nometa.iso')
        drives.build_config_drive(no_meta, raw_meta=b'[1, 2]')
        err = self.assertRaises(configdrive.ConfigDriveError,
                                configdrive.read, no_meta)
        self.assertIn('not a JSON object', str(err))

    def test_iso_made_with_novas_genisoimage_flags(self):
        tool = shutil.which('pycdlib-genisoimage') or os.path.join(
            os.path.dirname(sys.executable), 'pycdlib-genisoimage')
        if not os.path.exists(tool):
            self.skipTest('pycdlib-genisoimage is not installed')
        tree = os.path.join(self.tmp, 'tree')
        os.makedirs(os.path.join(tree, 'openstack', 'latest'))
        os.makedirs(os.path.join(tree, 'openstack', 'content'))
        with open(os.path.join(tree, 'openstack', 'latest',
                               'meta_data.json'), 'w') as f:
            json.dump(drives.META_DATA, f)
        with open(os.path.join(tree, 'openstack', 'latest',
                               'network_data.json'), 'w') as f:
            json.dump(drives.NETWORK_DATA, f)
        with open(os.path.join(tree, 'openstack', 'content', '0000'),
                  'w') as f:
            f.write('motd')
        iso = os.path.join(self.tmp, 'nova.iso')
        # nova.virt.configdrive.ConfigDriveBuilder's command line.
        subprocess.run([tool, '-o', iso, '-ldots', '-allow-lowercase',
                        '-allow-multidot', '-l', '-publisher',
                        'OpenStack Compute 34.0.0', '-quiet', '-J', '-r',
                        '-V', 'config-2', tree], check=True)
        drive = configdrive.read(iso)
        self.assertEqual(('web-1', '192.168.10.5', 4),
                         (drive['hostname'], drive['addresses'][0]['address'],
                          drive['files'][0]['size']))
