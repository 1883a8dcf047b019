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

"""The guest OS: boot, zvmguestconfigure, the config drive, IUCV."""

import io
import os
import tarfile
import time

import fixtures
from oslotest import base as oslo_base

from nova_zvm.simulator import images
from nova_zvm.simulator.zvm import guestcmd
from nova_zvm.simulator.zvm import guestos
from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import spool
from nova_zvm.tests.unit.simulator.zvm import base
from nova_zvm.tests.unit.simulator.zvm import drives
from nova_zvm.tests.unit.simulator.zvm import guests

IUCV = '/opt/zthin/bin/IUCV/iucvclnt'


class GuestOSTest(oslo_base.BaseTestCase):

    def setUp(self):
        super(GuestOSTest, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.zvm = guests.fake_zvm(os.path.join(self.tmp, 'zvm'))
        guests.define_guest(self.zvm, 'G1')

    def drive(self, name='cfgdrive.iso', **kwargs):
        path = drives.build_config_drive(os.path.join(self.tmp, name),
                                         **kwargs)
        with open(path, 'rb') as f:
            return f.read()

    def start(self, userid='G1'):
        rc, out = guests.smcli(self.zvm, 'Image_Activate', '-T', userid)
        self.assertEqual(0, rc, out)

    def iucv(self, cmd, userid='G1'):
        return self.zvm.run([IUCV, userid, cmd])

    def guest(self, userid='G1'):
        return self.zvm.state.user(userid).get('guest') or {}

    def test_config_drive_named_cfgdrive_iso_is_seen(self):
        guests.install_os(self.zvm, 'G1')
        guests.put_reader(self.zvm.state, 'G1', 'cfgdrive', 'iso',
                          self.drive(network_data=drives.NETWORK_DATA))
        self.start()
        seen = self.guest()['seen']
        self.assertEqual('web-1', seen['hostname'])
        self.assertEqual({'role': 'web'}, seen['meta'])
        self.assertIn('mykey', seen['public_keys'])
        self.assertEqual(['/etc/motd'], [f['path'] for f in seen['files']])
        self.assertTrue(seen['user_data'])
        self.assertEqual('192.168.10.5', seen['addresses'][0]['address'])
        # zvmguestconfigure received (and so purged) the reader file.
        self.assertEqual([], self.zvm.state.user('G1')['reader'])
        self.assertEqual([], os.listdir(self.zvm.state.spool_dir))
        with open(self.zvm.state.console_path('G1')) as f:
            text = f.read()
        self.assertIn('Downloading record', text)
        self.assertIn('web-1 login:', text)

    def test_config_drive_of_another_name_is_not_seen(self):
        guests.install_os(self.zvm, 'G1')
        guests.put_reader(self.zvm.state, 'G1', 'config', 'iso',
                          self.drive('config.iso'))
        self.start()
        self.assertNotIn('seen', self.guest())
        # Received all the same: class X files are consumed at boot.
        self.assertEqual([], self.zvm.state.user('G1')['reader'])

    def test_other_class_is_left_in_the_reader(self):
        guests.install_os(self.zvm, 'G1')
        guests.put_reader(self.zvm.state, 'G1', 'cfgdrive', 'iso',
                          self.drive(), spool_class='A')
        self.start()
        self.assertNotIn('seen', self.guest())
        self.assertEqual(1, len(self.zvm.state.user('G1')['reader']))

    def test_drive_without_config2_label_is_not_used(self):
        guests.install_os(self.zvm, 'G1')
        guests.put_reader(self.zvm.state, 'G1', 'cfgdrive', 'iso',
                          self.drive(label='CDROM'))
        self.start()
        self.assertNotIn('seen', self.guest())
        self.assertIn('config-2', self.guest()['config_drive_error'])

    def test_empty_disk_does_not_boot_and_iucv_is_refused(self):
        self.start()
        rc, out = self.iucv("echo 'ping'")
        self.assertEqual(guestcmd.SOCKET_ERROR, rc)
        self.assertIn('Return code 4, Reason code 111.', out)

    def test_iucv_to_logged_off_guest(self):
        guests.install_os(self.zvm, 'G1')
        rc, out = self.iucv('uname -srm')
        self.assertEqual(guestcmd.SOCKET_ERROR, rc)
        self.assertIn('ERROR connecting socket', out)
        self.assertIn('Return code 4, Reason code 101.', out)

    def test_commands_in_a_booted_guest(self):
        guests.install_os(self.zvm, 'G1', guests.UBUNTU22)
        self.start()
        self.assertEqual((0, 'ping\n'), self.iucv("echo 'ping'"))
        rc, out = self.iucv('cat /etc/os-release')
        self.assertEqual(0, rc)
        self.assertIn('ID="ubuntu"', out)
        self.assertIn('VERSION_ID="22.04"', out)
        rc, out = self.iucv('lscpu --parse=ADDRESS')
        self.assertEqual(['0', '1'], [line for line in out.splitlines()
                                      if not line.startswith('#')])
        rc, out = self.iucv('cat /proc/dasd/devices')
        self.assertIn('0.0.0100(ECKD)', out)
        # What zvmsdk asks to find the root disk of a capture.
        rc, out = self.iucv('cat /proc/cmdline | tr " " "\\n" | '
                            'grep -a "^root=" | cut -c6-')
        self.assertEqual((0, '/dev/disk/by-path/ccw-0.0.0100-part1\n'),
                         (rc, out))
        rc, out = self.iucv('readlink -f ' + out.strip())
        self.assertEqual('/dev/dasda1\n', out)
        rc, out = self.iucv('cat /proc/dasd/devices | grep -i "is dasda"')
        self.assertEqual('0100', out.split()[0][4:8])
        rc, out = self.iucv('frobnicate')
        self.assertEqual(guestcmd.CMD_EXEC_ERROR, rc)
        self.assertIn('Reason code 127.', out)
        # What the destination's connector runs after a relocation.
        self.iucv('echo -n ZCCB > /etc/iucv_authorized_userid\n')
        self.assertEqual('ZCCB', self.guest()['iucv_authorized'])
        self.assertEqual(guestcmd.UNAUTHORIZED_ERROR, self.iucv('pwd')[0])

    def test_reader_scripts_run_at_boot(self):
        guests.install_os(self.zvm, 'G1')
        guests.put_reader(self.zvm.state, 'G1', 'iucvauth', 'sh',
                          b'echo -n OTHERZCC > /etc/iucv_authorized_userid\n')
        files = {'0000': b'DEVICE=enc1000\n',
                 'invokeScript.sh': b'cat 0000 > /etc/sysconfig/'
                                    b'network-scripts/ifcfg-enc1000\n'}
        guests.put_reader(self.zvm.state, 'G1', 'network', 'doscript',
                          _tar(files))
        self.start()
        self.assertEqual(
            'DEVICE=enc1000\n',
            self.guest()['files']['/etc/sysconfig/network-scripts/'
                                  'ifcfg-enc1000'])
        # The guest now trusts another IUCV client only.
        rc, out = self.iucv("echo 'ping'")
        self.assertEqual(guestcmd.UNAUTHORIZED_ERROR, rc)

    def test_other_models_run_their_scripts(self):
        ran = []

        def run(zvm, userid, name, text):
            with zvm.state.update_user(userid) as record:
                record['luns'] = {'0001': {'device': '/dev/sdb'}}
            ran.append((userid, name, text))
            return 3

        handler = (lambda name: name == 'probe.sh', run)
        guestos._SCRIPT_HANDLERS.append(handler)
        self.addCleanup(guestos._SCRIPT_HANDLERS.remove, handler)
        guests.install_os(self.zvm, 'G1')
        self.start()
        guests.put_reader(self.zvm.state, 'G1', 'probe', 'sh', b'lun="1"\n')
        rc, out = self.iucv('systemctl restart zvmguestconfigure.service')
        self.assertEqual(guestcmd.CMD_EXEC_ERROR, rc)
        self.assertEqual([('G1', 'probe.sh', 'lun="1"\n')], ran)
        rc, out = self.iucv('systemctl status zvmguestconfigure.service')
        self.assertIn('Main PID: 1234 (code=exited, status=3/FAILURE)', out)
        record = self.zvm.state.user('G1')
        # What the handler stored is kept, and the file was consumed.
        self.assertEqual('/dev/sdb', record['luns']['0001']['device'])
        self.assertEqual([], record['reader'])

    def test_cpus_are_those_of_the_logon(self):
        guests.install_os(self.zvm, 'G1')
        self.start()
        with self.zvm.state.update_user('G1') as record:
            record['lines'].append('COMMAND DEFINE CPU 02 TYPE IFL')
        rc, out = self.iucv('lscpu --parse=ADDRESS')
        self.assertEqual(2, len([line for line in out.splitlines()
                                 if not line.startswith('#')]))
        # A reboot is no new logon: still the same CPUs.
        self.useFixture(fixtures.MockPatchObject(guestos, 'REBOOT_SECONDS',
                                                 0))
        self.assertEqual(0, self.iucv('shutdown -r now')[0])
        rc, out = self.iucv('lscpu --parse=ADDRESS')
        self.assertEqual(2, self.guest()['boots'])
        self.assertEqual(2, len([line for line in out.splitlines()
                                 if not line.startswith('#')]))

    def test_reboot_pending_completes_after_a_new_logon(self):
        guests.install_os(self.zvm, 'G1')
        self.start()
        self.assertEqual(0, self.iucv('shutdown -r now')[0])
        # Forced off and logged on again before the reboot was settled:
        # that logon's boot is the one the pending reboot waited for.
        rc, out = guests.smcli(self.zvm, 'Image_Deactivate', '-T', 'G1',
                               '-f', 'IMMED')
        self.assertEqual(0, rc, out)
        self.start()
        rc, out = self.iucv("echo 'ping'")
        self.assertEqual(0, rc, out)
        self.assertNotIn('reboot_pending', self.guest())
        self.assertEqual(2, self.guest()['boots'])

    def test_reboot_pending_without_up_at_completes(self):
        guests.install_os(self.zvm, 'G1')
        self.start()
        # A record left by an older fake z/VM: no time of return.
        with self.zvm.state.update_user('G1') as record:
            record['guest']['reboot_pending'] = True
        rc, out = self.iucv("echo 'ping'")
        self.assertEqual(0, rc, out)
        self.assertNotIn('reboot_pending', self.guest())
        self.assertEqual(2, self.guest()['boots'])

    def test_signal_shutdown(self):
        guests.install_os(self.zvm, 'G1')
        self.start()
        rc, out = guests.smcli(self.zvm, 'Image_Deactivate', '-T', 'G1')
        self.assertEqual(0, rc, out)
        self.assertIsNone(self.zvm.state.user('G1')['logged_on'])

    def test_guest_ignoring_shutdown_stays_until_forced(self):
        guests.install_os(self.zvm, 'G1')
        with self.zvm.state.update_user('G1') as record:
            record['guest'] = {'ignores_shutdown': True}
        self.start()
        rc, out = self.iucv('shutdown -h now')
        self.assertEqual(guestcmd.CMD_EXEC_ERROR, rc)
        self.assertIn('inhibited', out)
        self.assertEqual(0, self.iucv("echo 'ping'")[0])
        rc, out = guests.smcli(self.zvm, 'Image_Deactivate', '-T', 'G1')
        self.assertEqual(0, rc, out)
        self.assertEqual('ZVMHOST1', self.zvm.state.user('G1')['logged_on'])
        rc, out = guests.smcli(self.zvm, 'Image_Deactivate', '-T', 'G1',
                               '-f', 'IMMED')
        self.assertEqual(0, rc, out)
        self.assertIsNone(self.zvm.state.user('G1')['logged_on'])

    def test_halted_guest_is_unreachable(self):
        guests.install_os(self.zvm, 'G1')
        self.start()
        self.assertEqual(0, self.iucv('shutdown -h now')[0])
        self.assertEqual(guestcmd.SOCKET_ERROR, self.iucv('pwd')[0])
        # Still logged on (CPUs stopped) until CP logs it off.
        self.assertEqual('ZVMHOST1', self.zvm.state.user('G1')['logged_on'])


def _tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class OsReleaseTest(oslo_base.BaseTestCase):
    """What a root disk's content says its Linux is."""

    def _disk(self, data):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'd')
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def test_fields_found_inside_binary_content(self):
        junk = bytes(range(256)) * 2048
        release = (b'\nNAME="Red Hat Enterprise Linux"\nVERSION_ID="9.2"\n'
                   b'ID="rhel"\nPRETTY_NAME="RHEL 9.2"\n')
        fields = guestos.os_release(self._disk(junk + release + junk))
        self.assertEqual({'ID': 'rhel', 'VERSION_ID': '9.2',
                          'NAME': 'Red Hat Enterprise Linux',
                          'PRETTY_NAME': 'RHEL 9.2'}, fields)

    def test_a_key_only_at_the_start_of_a_line(self):
        # XID= and UBUNTU_ID= are other keys; an unbalanced quote is no
        # value: the next ID= line counts.
        data = b'XID=x\nUBUNTU_ID=y\nID="a"b"\nID=sles\nVERSION_ID=15.4'
        fields = guestos.os_release(self._disk(data))
        self.assertEqual('sles', fields['ID'])
        self.assertEqual('15.4', fields['VERSION_ID'])

    def test_content_without_release_boots_the_default_linux(self):
        fields = guestos.os_release(self._disk(b'\x01' * 4096))
        self.assertEqual(dict(guestos.DEFAULT_OS), fields)

    def test_empty_disk_has_no_linux(self):
        self.assertIsNone(guestos.os_release(self._disk(b'\0' * 4096)))


class GuestOSThroughZvmsdkTest(base.ConnectorTestCase):

    def test_guest_get_info_and_softstop_timeout(self):
        answers = self.run_calls(
            ['guest_create', ['SOFT0001', 2, 2048,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            ['guest_create', ['SOFT0002', 1, 1024,
                              [{'size': '1g', 'is_boot_disk': True}]]],
            disk_pool='ECKD:POOL1')
        self.assertNotIn('error', answers[0])
        zvm = self.zvm_state()
        for userid in ('SOFT0001', 'SOFT0002'):
            with open(zvm.disk_path(userid, '0100'), 'wb') as f:
                f.write(guests.UBUNTU22)
        with zvm.update_user('SOFT0002') as record:
            record['guest'] = {'ignores_shutdown': True}
        answers = self.run_calls(
            ['guest_start', ['SOFT0001']],
            ['guest_get_info', ['SOFT0001']],
            ['guest_start', ['SOFT0002']],
            ['guest_softstop', ['SOFT0002'], {'timeout': 2,
                                              'poll_interval': 1}],
            ['guest_get_power_state', ['SOFT0002']])
        info = answers[1]['output']
        self.assertEqual('on', info['power_state'])
        self.assertEqual('ubuntu22.04', info['os_distro'])
        self.assertIn('s390x', info['kernel_info'])
        self.assertEqual(2, info['online_cpu_num'])
        self.assertEqual(2, info['num_cpu'])
        self.assertEqual(64 * 1024 * 1024, info['max_mem_kb'])
        # The guest refuses to shut down and ignores CP's signal: the
        # connector gives up after the timeout; the guest runs on.
        err = answers[3]['error']
        self.assertEqual((99, 1, 99, 414),
                         (err['overallRC'], err['modID'], err['rc'],
                          err['rs']))
        self.assertEqual('on', answers[4]['output'])


class DeployAndBootTest(base.ConnectorTestCase):
    """Spawn's order: create, deploy with a transport file, NICs, start."""

    def setUp(self):
        super(DeployAndBootTest, self).setUp()
        from nova_zvm.simulator.zvm import connector  # noqa: F401
        if (programs.handler_for('unpackdiskimage') is None or
                not hasattr(spool, 'content_path')):
            self.skipTest('deploy and punch: zthin.py and spool.py')

    def test_guest_sees_cfgdrive_iso_only(self):
        image = os.path.join(self.state_dir, 'img.img')
        images.write_image(image, 'ECKD', 1000,
                           guests.UBUNTU22 + b'rootfs\n' * 100)
        drive = drives.build_config_drive(
            os.path.join(self.state_dir, 'cfgdrive.iso'))
        other = drives.build_config_drive(
            os.path.join(self.state_dir, 'config.iso'))
        net = {'ip_addr': '192.168.10.5', 'cidr': '192.168.10.0/24',
               'gateway_addr': '192.168.10.1', 'nic_vdev': '1000'}
        answers = self.run_calls(
            ['image_import', ['img1', 'file://' + image,
                              {'os_version': 'ubuntu22.04'}]],
            ['guest_create', ['BOOT1', 1, 1024,
                              [{'size': '1500', 'is_boot_disk': True}]]],
            ['guest_create', ['BOOT2', 1, 1024,
                              [{'size': '1500', 'is_boot_disk': True}]]],
            ['guest_deploy', ['BOOT1', 'img1'],
             {'transportfiles': drive, 'vdev': '0100'}],
            ['guest_deploy', ['BOOT2', 'img1'],
             {'transportfiles': other, 'vdev': '0100'}],
            ['guest_create_network_interface',
             ['BOOT1', 'ubuntu22.04', [net]]],
            ['guest_start', ['BOOT1']],
            ['guest_start', ['BOOT2']],
            ['guest_get_info', ['BOOT1']])
        for answer in answers:
            self.assertNotIn('error', answer, answer)
        st = self.zvm_state()
        one, two = st.user('BOOT1')['guest'], st.user('BOOT2')['guest']
        self.assertEqual('web-1', one['seen']['hostname'])
        self.assertEqual('1b1e5f4e-0000-4000-8000-00000000abcd',
                         one['seen']['uuid'])
        self.assertNotIn('seen', two)
        # zvmsdk's IUCV authorization script ran at the first boot.
        self.assertEqual('ZCCUSER', one['iucv_authorized'])
        netplan = one['files']['/etc/netplan/00-zvmguestconfigure-'
                               'config.yaml']
        self.assertIn('192.168.10.5/24', netplan)
        self.assertEqual([], st.user('BOOT1')['reader'])
        self.assertEqual('ubuntu22.04', answers[8]['output']['os_distro'])


class RebootResetTest(base.ConnectorTestCase):

    def test_reboot_reset_pause(self):
        answers = self.run_calls(['guest_create', ['RB1', 1, 1024, []]],
                                 disk_pool=None)
        self.assertNotIn('error', answers[0])
        st = self.zvm_state()
        with st.update_user('RB1') as record:
            record['lines'].append('MDISK 0100 3390 1 10 VOL001 MR')
        with open(st.disk_path('RB1', '0100'), 'wb') as f:
            f.write(guests.RHEL9)
        answers = self.run_calls(['guest_start', ['RB1']],
                                 ['guest_reboot', ['RB1']])
        self.assertNotIn('error', answers[1])
        guest = self.zvm_state().user('RB1')['guest']
        # Linux went down for its reboot; it is not up yet.
        self.assertEqual(1, guest['boots'])
        self.assertTrue(guest['reboot_pending'])
        time.sleep(guestos.REBOOT_SECONDS + 0.5)
        answers = self.run_calls(['guest_get_info', ['RB1']],
                                 ['guest_reset', ['RB1']],
                                 ['guest_pause', ['RB1']],
                                 ['guest_get_info', ['RB1']])
        self.assertEqual('rhel9.2', answers[0]['output']['os_distro'])
        self.assertNotIn('error', answers[1])
        # Up again after the reboot, then a new logon by the reset.
        self.assertEqual(3, self.zvm_state().user('RB1')['guest']['boots'])
        # A paused guest does not answer over IUCV: zvmsdk reports no OS.
        self.assertEqual('', answers[3]['output']['os_distro'])
        self.assertEqual(0, answers[3]['output']['online_cpu_num'])
