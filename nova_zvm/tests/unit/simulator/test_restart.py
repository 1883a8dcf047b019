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

"""Stopping and restarting simulator processes on one state dir."""

import os
import signal

import fixtures
from nova import test

from nova_zvm.simulator import control
from nova_zvm.tests.unit.simulator import base


class RestartTestCase(test.NoDBTestCase):

    def setUp(self):
        super(RestartTestCase, self).setUp()
        self.state_dir = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'state')

    def start(self, **options):
        options.setdefault('zvm_latency', '*=0')
        sim = control.SimulatorProcess(self.state_dir, **options)
        sim.start()
        self.addCleanup(sim.stop)
        return sim, base.rest_client(sim.url)

    def test_state_survives_a_restart(self):
        sim, client = self.start()
        self.assertEqual(0, client.call(
            'guest_create', 'KEEP2', 2, 1024,
            disk_list=base.ROOT_DISK)['overallRC'])
        self.assertEqual(0, client.call('guest_start', 'KEEP2')['overallRC'])
        self.assertEqual(0, sim.stop())
        sim, client = self.start()
        self.assertIn('KEEP2', client.call('guest_list')['output'])
        info = client.call('guest_get_info', 'KEEP2')['output']
        self.assertEqual((2, 'on'), (info['num_cpu'], info['power_state']))
        # Counters are per process.
        self.assertEqual(2, control.SimulatorAdmin(
            sim.url).counters()['requests_total'])

    def test_preloaded_guests_are_not_added_again(self):
        sim, client = self.start(guests=20)
        self.assertEqual(20, len(client.call('guest_list')['output']))
        sim.stop()
        sim, client = self.start(guests=25)
        guests = client.call('guest_list')['output']
        self.assertEqual(25, len(guests))
        self.assertIn('SIM00025', guests)

    def test_sigterm_and_sigint_stop_cleanly(self):
        for signum in (signal.SIGTERM, signal.SIGINT):
            sim, client = self.start()
            proc = sim.proc
            sim.signal(signum)
            self.assertEqual(0, proc.wait(10))
            sim.stop()
        with open(os.path.join(self.state_dir, 'simulator.log')) as f:
            self.assertEqual(2, f.read().count('stopping'))

    def test_stop_reaps_the_process(self):
        sim, client = self.start()
        pid = sim.pid
        self.assertTrue(sim.running())
        self.assertEqual(0, sim.stop())
        self.assertFalse(sim.running())
        self.assertIsNone(sim.stop())
        # Reaped: no zombie left for this pid.
        self.assertRaises(ChildProcessError, os.waitpid, pid, os.WNOHANG)

    def test_context_manager(self):
        with control.SimulatorProcess(self.state_dir) as sim:
            proc = sim.proc
            self.assertEqual(0, base.rest_client(sim.url).call(
                'guest_list')['overallRC'])
        self.assertIsNotNone(proc.returncode)

    def test_fixed_port_is_free_again_after_stop(self):
        sim, client = self.start()
        port = int(sim.url.rsplit(':', 1)[1])
        sim.stop()
        sim, client = self.start(port=port)
        self.assertEqual('http://127.0.0.1:%d' % port, sim.url)
        self.assertEqual(0, client.call('guest_list')['overallRC'])

    def test_fcp_devices_make_one_host_default_template(self):
        # What an operator does once on a new connector: without a host
        # default FCP Multipath Template every volume attach fails.
        for _restart in range(2):
            sim, client = self.start(fcp_devices='1a00-1a03;1b00-1b03')
            templates = client.call('get_fcp_templates')['output'][
                'fcp_templates']
            self.assertEqual([(True, 2)], [
                (t['host_default'], t['min_fcp_paths_count'])
                for t in templates])
            sim.stop()
