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

"""devstack/plugin.sh, phase by phase, under bash with a fake devstack.

The fake defines the devstack functions the plugin may call (iniset,
pip_install, run_process, ...); each records its call, one tab-separated
line, into a file that the tests read back: the nova.conf and tempest.conf
settings written, the processes started and stopped, the packages
installed. The plugin's Python helper runs for real with this Python, so
the option list and the tempest flags come from the driver's code.

The plugin is part of the source tree, not of the installed package: run
from an installed package without the tree, these tests skip.
"""

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import testtools

from nova_zvm import conf as zvm_conf
from nova_zvm.simulator import images

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
PLUGIN_DIR = os.path.join(ROOT, 'devstack')
BIN_DIR = os.path.dirname(sys.executable)
FAKE_IMAGE_ID = '8a2f7c1e-0000-4000-8000-00000000beef'

# The devstack function contract, faked. Each call is recorded as
# "name<TAB>arg<TAB>arg..." in $FAKE_CALLS.
FAKE_DEVSTACK = r'''
set -o errexit
set -o pipefail

function _record {
    local IFS=$'\t'
    printf '%s\n' "$*" >> "$FAKE_CALLS"
}
function iniset { _record iniset "$@"; }
function pip_install { _record pip_install "$@"; }
function setup_develop { _record setup_develop "$@"; }
function install_package { _record install_package "$@"; }
function run_process { _record run_process "$@"; }
function stop_process { _record stop_process "$@"; }
function echo_summary { echo "SUMMARY: $*"; }
function get_python_exec_prefix { echo "$FAKE_BIN_DIR"; }
function die {
    local line=$1
    shift
    _record die "$*"
    echo "[ERROR] plugin.sh:$line $*" >&2
    exit 1
}
function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}
function enable_service {
    local service
    for service in "$@"; do
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES+=",$service"
        fi
    done
}
function trueorfalse {
    local default=$1
    local testval=${!2:-}
    [[ -z "$testval" ]] && { echo "$default"; return; }
    [[ "0 no No NO false False FALSE" =~ $testval ]] && \
        { echo "False"; return; }
    [[ "1 yes Yes YES true True TRUE" =~ $testval ]] && \
        { echo "True"; return; }
    echo "$default"
}
function openstack {
    _record openstack "$@"
    if [[ "$*" == *"image show"* ]]; then
        echo "$FAKE_IMAGE_ID"
    fi
}
'''

RUN = r'''
source "$FAKE_DEVSTACK"
source "$PLUGIN_DIR/override-defaults"
source "$PLUGIN_DIR/settings"
source "$PLUGIN_DIR/plugin.sh" "$@"
echo "VIRT_DRIVER=$VIRT_DRIVER"
'''

BASE_SERVICES = 'key,n-api,n-cond,n-sch,placement-api,g-api,q-svc'


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class DevstackPluginTestCase(testtools.TestCase):

    def setUp(self):
        super(DevstackPluginTestCase, self).setUp()
        if not os.path.isfile(os.path.join(PLUGIN_DIR, 'plugin.sh')):
            self.skipTest('devstack/plugin.sh is not here (an installed '
                          'package without its source tree)')
        if shutil.which('bash') is None:
            self.skipTest('no bash')
        self.tmp = tempfile.mkdtemp(prefix='nova-zvm-devstack-')
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.fake = os.path.join(self.tmp, 'fake-devstack.sh')
        with open(self.fake, 'w') as f:
            f.write(FAKE_DEVSTACK)
        self.calls_file = os.path.join(self.tmp, 'calls')
        self.env = {
            'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
            'HOME': self.tmp,
            'FAKE_DEVSTACK': self.fake,
            'FAKE_CALLS': self.calls_file,
            'FAKE_BIN_DIR': BIN_DIR,
            'FAKE_IMAGE_ID': FAKE_IMAGE_ID,
            'PLUGIN_DIR': PLUGIN_DIR,
            'NOVA_ZVM_DIR': ROOT,
            'DEST': os.path.join(self.tmp, 'stack'),
            'DATA_DIR': os.path.join(self.tmp, 'data'),
            'NOVA_CONF': os.path.join(self.tmp, 'nova.conf'),
            'NOVA_CPU_CONF': os.path.join(self.tmp, 'nova-cpu.conf'),
            'TEMPEST_CONFIG': os.path.join(self.tmp, 'tempest.conf'),
            'ENABLED_SERVICES': BASE_SERVICES + ',n-cpu',
            'PYTHONWARNINGS': 'ignore',
            # The helper and the simulator import the same nova_zvm as
            # this test (the tree under test, also when a stale copy is
            # installed).
            'PYTHONPATH': ROOT,
        }

    def simulator_mode(self, **extra):
        self.env['ZVM_SIMULATOR'] = 'True'
        self.env.update(extra)

    def real_mode(self, url='https://zcc.example.com'):
        self.env['ZVM_CLOUD_CONNECTOR_URL'] = url

    def run_phase(self, *phase, expect_ok=True):
        if os.path.exists(self.calls_file):
            os.unlink(self.calls_file)
        proc = subprocess.run(['bash', '-c', RUN, 'plugin'] + list(phase),
                              env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              timeout=120)
        if expect_ok:
            self.assertEqual(0, proc.returncode,
                             'plugin.sh %s failed:\n%s\n%s'
                             % (' '.join(phase), proc.stdout, proc.stderr))
        else:
            self.assertNotEqual(0, proc.returncode)
        return proc

    def calls(self, name=None):
        if not os.path.exists(self.calls_file):
            return []
        with open(self.calls_file) as f:
            rows = [line.rstrip('\n').split('\t') for line in f]
        if name is None:
            return rows
        return [row[1:] for row in rows if row[0] == name]

    def ini(self):
        """{(file basename, section, option): value} of the iniset calls."""
        return {(os.path.basename(f), s, o): v
                for f, s, o, v in self.calls('iniset')}

    # -- override-defaults and settings ------------------------------------

    def test_virt_driver_is_zvm(self):
        self.real_mode()
        proc = self.run_phase('stack', 'pre-install')
        self.assertIn('VIRT_DRIVER=zvm', proc.stdout)

    # -- stack pre-install ---------------------------------------------------

    def test_pre_install_needs_a_connector_url(self):
        proc = self.run_phase('stack', 'pre-install', expect_ok=False)
        self.assertIn('ZVM_CLOUD_CONNECTOR_URL', proc.stderr)

    def test_pre_install_with_a_real_connector(self):
        self.real_mode()
        self.run_phase('stack', 'pre-install')
        self.assertEqual([], self.calls('die'))

    def test_pre_install_on_a_node_without_compute(self):
        self.env['ENABLED_SERVICES'] = BASE_SERVICES
        self.run_phase('stack', 'pre-install')
        # No connector URL is needed where nova-compute does not run.
        self.assertEqual([], self.calls('die'))

    # -- stack install -------------------------------------------------------

    def test_install_is_a_real_install(self):
        self.real_mode()
        self.run_phase('stack', 'install')
        self.assertEqual([[ROOT]], self.calls('pip_install'))
        self.assertEqual([], self.calls('setup_develop'))
        self.assertEqual([], self.calls('run_process'))

    def test_install_starts_the_simulator(self):
        self.simulator_mode(ZVM_SIMULATOR_PORT='35123')
        self.run_phase('stack', 'install')
        self.assertEqual([[ROOT]], self.calls('pip_install'))
        [(service, command)] = self.calls('run_process')
        self.assertEqual('zvm-simulator', service)
        argv = command.split()
        self.assertEqual(os.path.join(BIN_DIR, 'nova-zvm-simulator'),
                         argv[0])
        self.assertEqual('35123', argv[argv.index('--port') + 1])
        self.assertEqual('127.0.0.1', argv[argv.index('--host') + 1])
        self.assertEqual(
            os.path.join(self.tmp, 'data', 'nova-zvm', 'simulator'),
            argv[argv.index('--state-dir') + 1])
        self.assertEqual('ECKD:POOL1', argv[argv.index('--disk-pool') + 1])

    def test_simulator_answers_where_nova_is_told_it_is(self):
        # The recorded command, run for real: it listens on the URL that
        # post-config writes as [zvm] cloud_connector_url.
        if not os.path.exists(os.path.join(BIN_DIR, 'nova-zvm-simulator')):
            self.skipTest('nova-zvm-simulator is not installed here')
        port = str(_free_port())
        self.simulator_mode(ZVM_SIMULATOR_PORT=port)
        self.run_phase('stack', 'install')
        [(_service, command)] = self.calls('run_process')
        self.run_phase('stack', 'post-config')
        url = self.ini()[('nova-cpu.conf', 'zvm', 'cloud_connector_url')]
        proc = subprocess.Popen(command.split(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                env=self.env)
        try:
            ready, _w, _x = select.select([proc.stdout], [], [], 60)
            first = proc.stdout.readline().strip() if ready else ''
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        self.assertEqual('nova-zvm-simulator listening on %s' % url, first)

    # -- stack post-config ---------------------------------------------------

    def test_post_config_simulator(self):
        self.simulator_mode(ZVM_SIMULATOR_PORT='35123')
        self.run_phase('stack', 'post-config')
        ini = self.ini()
        cpu = 'nova-cpu.conf'
        self.assertEqual('zvm_ext.ZVMDriver',
                         ini[(cpu, 'DEFAULT', 'compute_driver')])
        self.assertEqual('True', ini[(cpu, 'DEFAULT', 'force_config_drive')])
        self.assertEqual('OS%06x',
                         ini[(cpu, 'DEFAULT', 'instance_name_template')])
        self.assertEqual('OS%06x', ini[('nova.conf', 'DEFAULT',
                                        'instance_name_template')])
        self.assertEqual('0', ini[(cpu, 'DEFAULT', 'vif_plugging_timeout')])
        # The driver writes config drives itself (pycdlib).
        self.assertNotIn((cpu, 'DEFAULT', 'mkisofs_cmd'), ini)
        self.assertEqual('http://127.0.0.1:35123',
                         ini[(cpu, 'zvm', 'cloud_connector_url')])
        self.assertEqual('ECKD:POOL1', ini[(cpu, 'zvm', 'disk_pool')])
        tmp_path = ini[(cpu, 'zvm', 'image_tmp_path')]
        self.assertEqual(os.path.join(self.tmp, 'data', 'nova-zvm',
                                      'images'), tmp_path)
        self.assertTrue(os.path.isdir(tmp_path))
        # The [zvm] options nobody set are left to their defaults.
        self.assertNotIn((cpu, 'zvm', 'connector_token_file'), ini)
        # Nothing from this plugin in another section of nova.conf.
        self.assertEqual(
            {('nova.conf', 'DEFAULT', 'instance_name_template')},
            {k for k in ini if k[0] == 'nova.conf'})

    def test_post_config_real_connector(self):
        self.real_mode()
        self.env['ZVM_CONNECTOR_TOKEN_FILE'] = '/etc/nova/zvm_admin_token'
        self.run_phase('stack', 'post-config')
        ini = self.ini()
        cpu = 'nova-cpu.conf'
        self.assertEqual('https://zcc.example.com',
                         ini[(cpu, 'zvm', 'cloud_connector_url')])
        self.assertEqual('/etc/nova/zvm_admin_token',
                         ini[(cpu, 'zvm', 'connector_token_file')])
        self.assertNotIn((cpu, 'DEFAULT', 'mkisofs_cmd'), ini)
        self.assertNotIn((cpu, 'DEFAULT', 'vif_plugging_timeout'), ini)
        self.assertNotIn((cpu, 'zvm', 'disk_pool'), ini)

    def test_every_zvm_option_has_its_variable(self):
        self.real_mode()
        names = [opt.dest for _group, opts in zvm_conf.list_opts()
                 for opt in opts]
        for name in names:
            self.env.setdefault('ZVM_' + name.upper(), 'value-of-' + name)
        self.run_phase('stack', 'post-config')
        ini = self.ini()
        for name in names:
            self.assertEqual(self.env['ZVM_' + name.upper()],
                             ini.get(('nova-cpu.conf', 'zvm', name)), name)

    def test_post_config_refuses_a_bad_name_template(self):
        self.real_mode()
        self.env['ZVM_INSTANCE_NAME_TEMPLATE'] = 'instance-%08x'
        proc = self.run_phase('stack', 'post-config', expect_ok=False)
        self.assertIn('ZVM_INSTANCE_NAME_TEMPLATE', proc.stderr)
        self.assertIn('instance-00000001', proc.stderr)
        self.assertNotIn(('nova-cpu.conf', 'DEFAULT', 'compute_driver'),
                         self.ini())

    def test_post_config_on_a_node_without_compute(self):
        self.env['ENABLED_SERVICES'] = BASE_SERVICES
        self.run_phase('stack', 'post-config')
        self.assertEqual([], self.calls('iniset'))

    # -- stack extra ---------------------------------------------------------

    def test_extra_registers_a_bootable_image(self):
        self.simulator_mode(ZVM_IMAGE_PAYLOAD_BYTES='4096')
        self.run_phase('stack', 'extra')
        [create] = self.calls('openstack')
        self.assertEqual(['--os-cloud', 'devstack-admin', 'image', 'create',
                          'zvm-simulated-rhel9'], create[:5])
        self.assertIn('os_distro=rhel9.2', create)
        self.assertIn('architecture=s390x', create)
        self.assertIn('hypervisor_type=zvm', create)
        self.assertEqual('raw', create[create.index('--disk-format') + 1])
        path = create[create.index('--file') + 1]
        header = images.read_header(path)
        self.assertEqual('ECKD', header.disk_type)
        self.assertEqual(1000, header.size)
        self.assertEqual(images.HEADER_SIZE + 4096, os.path.getsize(path))

    def test_extra_fba_pool_gets_an_fba_image(self):
        self.simulator_mode(ZVM_DISK_POOL='FBA:POOL2',
                            ZVM_IMAGE_PAYLOAD_BYTES='512')
        self.run_phase('stack', 'extra')
        [create] = self.calls('openstack')
        header = images.read_header(create[create.index('--file') + 1])
        self.assertEqual('FBA', header.disk_type)

    def test_extra_without_simulator_registers_nothing(self):
        self.real_mode()
        self.run_phase('stack', 'extra')
        self.assertEqual([], self.calls('openstack'))

    # -- stack test-config ---------------------------------------------------

    def _tempest(self):
        return {(s, o): v for (f, s, o), v in self.ini().items()
                if f == 'tempest.conf'}

    def test_test_config_follows_the_driver(self):
        from nova_zvm.virt.zvm import unsupported
        self.simulator_mode()
        self.env['ENABLED_SERVICES'] += ',tempest'
        self.run_phase('stack', 'test-config')
        flags = self._tempest()
        cfe = 'compute-feature-enabled'
        self.assertEqual('True', flags[(cfe, 'pause')])
        self.assertEqual('True', flags[(cfe, 'snapshot')])
        self.assertEqual('True', flags[(cfe, 'console_output')])
        self.assertEqual('True', flags[(cfe, 'config_drive')])
        self.assertEqual('False', flags[(cfe, 'rescue')])
        self.assertEqual('False', flags[(cfe, 'suspend')])
        self.assertEqual('False', flags[(cfe, 'vnc_console')])
        self.assertEqual(
            str('migrate_disk_and_power_off' not in unsupported.UNSUPPORTED),
            flags[(cfe, 'resize')])
        self.assertEqual(
            str('live_migration' not in unsupported.UNSUPPORTED),
            flags[(cfe, 'live_migration')])
        self.assertEqual(
            str('swap_volume' not in unsupported.UNSUPPORTED),
            flags[(cfe, 'swap_volume')])
        self.assertEqual(FAKE_IMAGE_ID, flags[('compute', 'image_ref')])
        self.assertEqual(FAKE_IMAGE_ID, flags[('compute', 'image_ref_alt')])
        self.assertEqual('False', flags[('validation', 'run_validation')])

    def test_test_config_real_connector_keeps_devstack_images(self):
        self.real_mode()
        self.env['ENABLED_SERVICES'] += ',tempest'
        self.run_phase('stack', 'test-config')
        flags = self._tempest()
        self.assertIn(('compute-feature-enabled', 'pause'), flags)
        self.assertNotIn(('compute', 'image_ref'), flags)
        self.assertNotIn(('validation', 'run_validation'), flags)

    def test_test_config_without_tempest(self):
        self.simulator_mode()
        self.run_phase('stack', 'test-config')
        self.assertEqual([], self.calls('iniset'))

    # -- unstack and clean ---------------------------------------------------

    def test_unstack_stops_the_simulator(self):
        self.simulator_mode()
        self.run_phase('unstack')
        self.assertEqual([['zvm-simulator']], self.calls('stop_process'))

    def test_unstack_real_connector_stops_nothing(self):
        self.real_mode()
        self.run_phase('unstack')
        self.assertEqual([], self.calls('stop_process'))

    def test_clean_removes_what_the_plugin_made(self):
        self.simulator_mode(ZVM_IMAGE_PAYLOAD_BYTES='512')
        self.run_phase('stack', 'post-config')
        self.run_phase('stack', 'extra')
        data = os.path.join(self.tmp, 'data', 'nova-zvm')
        self.assertTrue(os.listdir(data))
        self.run_phase('clean')
        self.assertFalse(os.path.exists(data))
        self.assertTrue(os.path.isdir(os.path.join(self.tmp, 'data')))
