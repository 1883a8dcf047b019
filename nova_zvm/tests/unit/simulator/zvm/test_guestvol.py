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

"""A guest running the volume scripts zvmsdk punches to it."""

from zvmsdk import dist

from nova_zvm.simulator.zvm import guestvol
from nova_zvm.tests.unit.simulator.zvm import test_fcp

WWPNS = '500507680b21bac6 500507680b22bac6'
LUN = '0x0001000000000000'


def script(os_version, name, fcps, mount_point='/dev/sdz'):
    """The script zvmsdk's dist.py renders for this distribution."""
    linux = dist.LinuxDistManager().get_linux_dist(os_version)()
    if name == guestvol.ATTACH_SCRIPT:
        return linux.get_volume_attach_configuration_cmds(
            fcps, WWPNS, LUN, True, mount_point)
    return linux.get_volume_detach_configuration_cmds(
        fcps, WWPNS, LUN, True, mount_point, 0)


class GuestVolumeTest(test_fcp.FakeZVMTestCase):

    def setUp(self):
        super(GuestVolumeTest, self).setUp()
        self.define('G1', 'DEDICATE 1A00 1A00', 'DEDICATE 1B00 1B00')
        self.logon('G1')

    def run_script(self, os_version, name, fcps='1a00 1b00'):
        return guestvol.run_script(self.zvm, 'G1', name,
                                   script(os_version, name, fcps))

    def test_attach_then_detach(self):
        for os_version in ('rhel8.6', 'ubuntu22.04', 'sles15'):
            self.assertTrue(guestvol.handles('atvol.sh'))
            self.assertEqual(0, self.run_script(os_version,
                                                guestvol.ATTACH_SCRIPT))
            luns = self.state.user('G1')['luns']
            self.assertEqual(['0001000000000000'], list(luns))
            self.assertEqual(4, len(luns['0001000000000000']['paths']))
            self.assertEqual(0, self.run_script(os_version,
                                                guestvol.DETACH_SCRIPT))
            self.assertEqual({}, self.state.user('G1')['luns'])

    def test_devices_the_guest_does_not_have(self):
        self.assertEqual(guestvol.INVALID_WWPNS, self.run_script(
            'rhel8.6', guestvol.ATTACH_SCRIPT, fcps='1a01 1b01'))
        self.assertEqual(guestvol.DEVICE_PATH_NOT_FOUND, self.run_script(
            'rhel8.6', guestvol.DETACH_SCRIPT))
        self.assertEqual('Main PID: 1234 (code=exited, status=3/FAILURE)',
                         guestvol.status_line(guestvol.INVALID_WWPNS))

    def test_inventory_view_of_configured_and_pending_volumes(self):
        attach = script('rhel8.6', guestvol.ATTACH_SCRIPT, '1a00 1b00')
        detach = script('rhel8.6', guestvol.DETACH_SCRIPT, '1a00 1b00')
        # A stopped guest: the scripts wait in its reader.
        pending = guestvol.volumes(self.state.user('G1'),
                                   [('atvol.sh', attach)])
        self.assertEqual([{
            'lun': '0001000000000000', 'fcps': ['1a00', '1b00'],
            'wwpns': ['0x500507680b21bac6', '0x500507680b22bac6'],
            'mount_point': '/dev/sdz', 'configured': False}], pending)
        self.assertEqual([], guestvol.volumes(
            self.state.user('G1'), [('atvol.sh', attach),
                                    ('devol.sh', detach)]))
        # The running guest ran the script: the LUN is configured.
        self.assertEqual(0, self.run_script('rhel8.6',
                                            guestvol.ATTACH_SCRIPT))
        seen = guestvol.volumes(self.state.user('G1'))
        self.assertEqual([True], [v['configured'] for v in seen])
        self.assertEqual(pending[0]['wwpns'], seen[0]['wwpns'])
        self.assertEqual('/dev/sdz', seen[0]['mount_point'])
        self.assertEqual([], guestvol.volumes(self.state.user('G1'),
                                              [('devol.sh', detach)]))
