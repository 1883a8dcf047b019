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

"""The sdkserver bridge in this process, spoken to by zvmsdk's own socket
client (a stand-in for the connector keeps these tests about the bridge
alone; the real connector behind it is tested through simulator
processes).
"""

import fixtures
from nova import test
from zvmconnector import socketclient
from zvmsdk import config

from nova_zvm.simulator import bridge
from nova_zvm.simulator import faults
from nova_zvm.tests.unit.simulator import standin


class BridgeTestCase(test.NoDBTestCase):

    def setUp(self):
        super(BridgeTestCase, self).setUp()
        sdkserver_conf = config.CONF.sdkserver
        self.addCleanup(sdkserver_conf.update, dict(sdkserver_conf))
        state_dir = self.useFixture(fixtures.TempDir()).path
        self.connector = standin.StandInConnector(state_dir)
        self.connector.guest_create('G1', 1, 512)
        self.faults = faults.FaultRegistry()
        self.latency = faults.Latency()
        self.calls = []
        self.sleeps = []
        api = bridge.ConnectorAPI(self.connector, self.faults, self.latency,
                                  on_call=self.calls.append,
                                  sleep=self.sleeps.append)
        self.bridge = bridge.Bridge(api).start()
        self.addCleanup(self.bridge.stop)
        self.client = socketclient.SDKSocketClient('127.0.0.1',
                                                   self.bridge.port, 30)

    def add_rule(self, text):
        self.faults.add(faults.parse_rules(text))

    def test_handlers_are_pointed_at_the_bridge(self):
        self.assertEqual(('127.0.0.1', self.bridge.port),
                         (config.CONF.sdkserver.bind_addr,
                          config.CONF.sdkserver.bind_port))

    def test_call_answers_the_connector_output(self):
        answer = self.client.call('guest_get_power_state', 'G1')
        self.assertEqual({'overallRC': 0, 'modID': None, 'rc': 0, 'rs': 0,
                          'errmsg': '', 'output': 'off'}, answer)
        self.assertEqual(['guest_get_power_state'], self.calls)

    def test_sdk_exception_mapped_by_real_serve_api(self):
        answer = self.client.call('guest_get_power_state', 'NOSUCH')
        self.assertEqual((404, 10, 404, 1),
                         (answer['overallRC'], answer['modID'],
                          answer['rc'], answer['rs']))

    def test_only_sdkapi_names_are_reachable(self):
        # The connector's admin helpers are no connector API. zvmsdk 1.6.3's
        # answer to an unknown name is itself an internal error (its
        # returncode table lacks the 'API' entry it looks up).
        for name in ('inventory', 'reset_state', '_save', 'no_such_api'):
            answer = self.client.call(name)
            self.assertEqual((500, 100), (answer['overallRC'],
                                          answer['modID']), name)
        self.assertIn('G1', self.connector.guests)
        self.assertNotIn('inventory', bridge.API_NAMES)
        self.assertIn('guest_deploy', bridge.API_NAMES)

    def test_requests_over_4096_bytes_always_get_the_sdkserver_answer(self):
        for _ in range(20):
            answer = self.client.call('guest_create', 'G2', 1, 512,
                                      disk_list=['x' * 5000])
            self.assertEqual((500, 100), (answer['overallRC'],
                                          answer['modID']), answer)
        self.assertNotIn('G2', self.connector.guests)

    def test_sdk_error_rule(self):
        self.add_rule('guest_start:sdk_error,overallRC=300,modID=10,rc=300,'
                      'rs=12,errmsg=SMT failure,times=1')
        answer = self.client.call('guest_start', 'G1')
        self.assertEqual({'overallRC': 300, 'modID': 10, 'rc': 300,
                          'rs': 12, 'errmsg': 'SMT failure', 'output': ''},
                         answer)
        self.assertEqual('off', self.connector.guests['G1']['power'])
        self.assertEqual(0, self.client.call('guest_start',
                                             'G1')['overallRC'])

    def test_busy_rule(self):
        self.add_rule('guest_deploy:busy')
        answer = self.client.call('guest_deploy', 'G1', 'image')
        self.assertEqual((503, 120, 503, 1),
                         (answer['overallRC'], answer['modID'],
                          answer['rc'], answer['rs']))

    def test_hang_sleeps_then_answers(self):
        self.add_rule('guest_list:hang,seconds=42')
        answer = self.client.call('guest_list')
        self.assertEqual(['G1'], answer['output'])
        self.assertEqual([42.0], self.sleeps)

    def test_latency_per_api(self):
        self.latency.set('guest_list', ('fixed', 0.25))
        self.client.call('guest_list')
        self.client.call('guest_get_power_state', 'G1')
        self.assertEqual([0.25], self.sleeps)

    def test_http_level_fault_reaches_the_http_thread(self):
        bridge.install_client_hook()
        self.add_rule('guest_start:drop,times=1')
        bridge.begin_request()
        exc = self.assertRaises(bridge.HTTPFault, self.client.call,
                                'guest_start', 'G1')
        self.assertEqual(['guest_start'], bridge.end_request())
        self.assertEqual('drop', exc.rule['action'])
        # Not executed unless the rule says so.
        self.assertEqual('off', self.connector.guests['G1']['power'])

    def test_http_level_fault_after_executing(self):
        bridge.install_client_hook()
        self.add_rule('guest_start:http500,execute=true')
        self.assertRaises(bridge.HTTPFault, self.client.call, 'guest_start',
                          'G1')
        self.assertEqual('on', self.connector.guests['G1']['power'])

    def test_vanish_before_the_call(self):
        self.add_rule('guest_start:vanish,when=before')
        answer = self.client.call('guest_start', 'G1')
        self.assertEqual(404, answer['overallRC'])
        self.assertNotIn('G1', self.connector.guests)

    def test_vanish_after_the_call(self):
        self.add_rule('guest_start:vanish')
        self.assertEqual(0, self.client.call('guest_start',
                                             'G1')['overallRC'])
        self.assertNotIn('G1', self.connector.guests)

    def test_power_off_named_guest_behind_novas_back(self):
        self.connector.guest_create('G3', 1, 512)
        self.connector.guest_start('G3')
        self.add_rule('guest_list:power_off,userid=G3')
        self.assertEqual(0, self.client.call('guest_list')['overallRC'])
        self.assertEqual('off', self.connector.guests['G3']['power'])
