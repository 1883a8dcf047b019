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

"""The connector is zvmsdk's real SDKAPI over the fake z/VM."""

from nova_zvm.tests.unit.simulator.zvm import base


class ConnectorTest(base.ConnectorTestCase):

    def test_guest_lifecycle_through_real_zvmsdk(self):
        answers = self.run_calls(
            ['guest_create', ['TEST0001', 2, 2048,
                              [{'size': '3g', 'is_boot_disk': True}]]],
            ['guest_get_power_state', ['TEST0001']],
            ['guest_start', ['TEST0001']],
            ['guest_get_power_state', ['TEST0001']],
            ['guest_get_definition_info', ['TEST0001']])
        self.assertEqual('0100', answers[0]['output'][0]['vdev'])
        self.assertEqual('off', answers[1]['output'])
        self.assertEqual('on', answers[3]['output'])
        direct = answers[4]['output']['user_direct']
        # smtLayer wrote the directory entry: profile, CPUs, root minidisk.
        self.assertIn('INCLUDE OSDFLT', direct)
        self.assertIn('COMMAND DEFINE CPU 01 TYPE IFL', direct)
        mdisk = [line for line in direct if line.startswith('MDISK 0100')]
        self.assertEqual(1, len(mdisk), direct)
        record = self.zvm_state().user('TEST0001')
        self.assertEqual('ZVMHOST1', record['logged_on'])

    def test_unknown_profile_is_404_guest(self):
        answers = self.run_calls(
            ['guest_create', ['TEST0002', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]],
             {'user_profile': 'NOSUCH'}])
        err = answers[0]['error']
        self.assertEqual((404, 10, 404, 1),
                         (err['overallRC'], err['modID'], err['rc'],
                          err['rs']))
        self.assertIsNone(self.zvm_state().user('TEST0002'))

    def test_minidisk_larger_than_one_volume_is_refused(self):
        # Two volumes of 1000 cylinders: 1500 cylinders fit the pool's
        # total but no single volume.
        answers = self.run_calls(
            ['guest_create', ['TEST0003', 1, 1024,
                              [{'size': '1500', 'is_boot_disk': True}]]],
            pool_volumes=[1000, 1000])
        self.assertIn('error', answers[0])
        self.assertIn('2119', answers[0]['error']['errmsg'])


_SEAMS_CHILD = r'''
import importlib, json, logging, pkgutil, sys, tempfile
logging.basicConfig(level=logging.CRITICAL)
import smtLayer, zvmsdk
names = ['zvmsdk.api', 'zvmsdk.sdkserver']
for pkg in (zvmsdk, smtLayer):
    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + '.'):
        if '.tests' not in info.name and not info.ispkg:
            names.append(info.name)
mods = {}
for name in names:
    try:
        mods[name] = importlib.import_module(name)
    except BaseException:
        # Command-line scripts (smtCmd, smtTest...) exit on import.
        pass
before = {n: dict(vars(m)) for n, m in mods.items()}
from nova_zvm.simulator.zvm import connector
c = connector.build(tempfile.mkdtemp(), time_scale=0.5)
changed = []
for n, m in mods.items():
    for attr, old in before[n].items():
        new = vars(m).get(attr)
        # zvmsdk's own lazy singletons (None until first use) are its
        # business, not a replacement.
        if new is not old and old is not None:
            changed.append('%s.%s' % (n, attr))
print(json.dumps({'changed': sorted(changed),
                  'api': type(c.api).__module__ + '.' +
                  type(c.api).__name__}))
c.stop()
'''


class SeamTest(base.ConnectorTestCase):
    """Only the documented seams of zvmsdk and smtLayer are replaced."""

    # doc/source/simulator.rst lists each, with why.
    SEAMS = {
        # zccguest.py: the connector guest's own files.
        'smtLayer.getHost.open', 'smtLayer.getHost.os',
        'smtLayer.getVM.open', 'smtLayer.changeVM.open',
        'smtLayer.changeVM.os', 'smtLayer.changeVM.shutil',
        # connector.py: paths out of /var/lib/zvmsdk and /etc/zvmsdk.
        'zvmsdk.constants.SDK_DATA_PATH',
        'zvmsdk.constants.IUCV_AUTH_USERID_PATH',
        # clock.py (with a time scale): z/VM's waits compressed.
        'smtLayer.powerVM.time', 'smtLayer.vmUtils.time',
        'zvmsdk.smtclient.time', 'zvmsdk.utils.time',
    }

    def test_only_documented_seams_are_replaced(self):
        import json
        import subprocess
        import sys
        proc = subprocess.run([sys.executable, '-c', _SEAMS_CHILD],
                              capture_output=True, text=True, timeout=300,
                              env=base.child_env())
        self.assertEqual(0, proc.returncode, proc.stderr)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertEqual('zvmsdk.api.SDKAPI', result['api'])
        self.assertEqual([], sorted(set(result['changed']) - self.SEAMS))
