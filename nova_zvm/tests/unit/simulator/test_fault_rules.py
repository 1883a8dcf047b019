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

"""Fault rules end to end: what a client sees from a simulator process."""

import random
import time

import requests

from nova_zvm.tests.unit.simulator import base


class FaultRulesTestCase(base.SimulatorTestCase):

    def guest(self, userid, power='off'):
        self.assertAnswer(self.call('guest_create', userid, 1, 512,
                                    disk_list=base.ROOT_DISK), 0)
        self.addCleanup(self.call, 'guest_delete', userid)
        if power == 'on':
            self.assertAnswer(self.call('guest_start', userid), 0)

    def test_busy_for_next_n_calls(self):
        self.admin.add_fault('guest_list:busy,times=2')
        codes = [self.call('guest_list')['overallRC'] for _ in range(3)]
        self.assertEqual([503, 503, 0], codes)
        answer = self.admin.counters()
        self.assertEqual({'guest_list:busy': 2}, answer['faults_injected'])
        self.assertEqual([], self.admin.faults())

    def test_busy_answer_matches_connector_limit(self):
        self.admin.add_fault(api='guest_get_power_state', action='busy')
        resp = requests.get(self.sim.url + '/guests/G1/power_state',
                            timeout=10)
        self.assertEqual(503, resp.status_code)
        body = resp.json()
        self.assertEqual((503, 120, 503, 1), (body['overallRC'],
                                              body['modID'], body['rc'],
                                              body['rs']))
        self.assertIn('Max concurrent deploy/capture', body['errmsg'])

    def test_fraction_is_reproducible_with_seed(self):
        self.admin.add_fault('guest_list:sdk_error,probability=0.4,seed=7,'
                             'overallRC=300,modID=10,rc=300,rs=5')
        failed = [self.call('guest_list')['overallRC'] == 300
                  for _ in range(40)]
        rng = random.Random(7)
        self.assertEqual([rng.random() < 0.4 for _ in range(40)], failed)

    def test_sdk_error_code(self):
        self.admin.add_fault(api='guest_get_info', action='sdk_error',
                             overallRC=4, modID=10, rc=212, rs=40,
                             errmsg='vswitch does not exist', times=1)
        answer = self.call('guest_get_info', 'ANY1')
        self.assertEqual({'overallRC': 4, 'modID': 10, 'rc': 212, 'rs': 40,
                          'errmsg': 'vswitch does not exist', 'output': ''},
                         answer)

    def test_dropped_connection(self):
        self.admin.add_fault('guest_list:drop,times=1')
        self.assertRaises(requests.ConnectionError, requests.get,
                          self.sim.url + '/guests', timeout=10)
        # The real client reports a failed request, and the next call works.
        self.admin.add_fault('guest_list:drop,times=1')
        self.assertAnswer(self.call('guest_list'), 101, mod_id=110, rs=1)
        self.assertAnswer(self.call('guest_list'), 0)
        self.assertEqual({'guest_list': 3},
                         self.admin.counters()['requests'])

    def test_drop_on_a_kept_alive_connection(self):
        with requests.Session() as session:
            session.get(self.sim.url + '/guests',
                        timeout=10).raise_for_status()
            self.admin.add_fault('guest_list:drop,times=1')
            self.assertRaises(requests.ConnectionError, session.get,
                              self.sim.url + '/guests', timeout=10)
            session.get(self.sim.url + '/guests',
                        timeout=10).raise_for_status()
        self.assertEqual(2, self.admin.counters()['connections'])

    def test_drop_after_executing(self):
        self.guest('DROP1')
        self.admin.add_fault('guest_start:drop,execute=true,times=1')
        self.assertAnswer(self.call('guest_start', 'DROP1'), 101)
        self.assertEqual('on', self.call('guest_get_power_state',
                                         'DROP1')['output'])

    def test_hang_longer_than_client_timeout(self):
        self.admin.add_fault('guest_list:hang,seconds=1.5,times=1')
        start = time.monotonic()
        self.assertRaises(requests.ReadTimeout, requests.get,
                          self.sim.url + '/guests', timeout=0.5)
        # Other calls are not held up by the hanging one.
        self.assertAnswer(self.call('host_get_info'), 0)
        self.assertLess(time.monotonic() - start, 1.4)

    def test_hang_then_answers(self):
        self.admin.add_fault('guest_list:hang,seconds=0.3,times=1')
        start = time.monotonic()
        self.assertAnswer(self.call('guest_list'), 0)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_http500_text(self):
        self.admin.add_fault('guest_list:http500,times=2')
        resp = requests.get(self.sim.url + '/guests', timeout=10)
        self.assertEqual(500, resp.status_code)
        self.assertIn('text/html', resp.headers['Content-Type'])
        # The real client: non-JSON answer.
        self.assertAnswer(self.call('guest_list'), 101, mod_id=110, rs=3)

    def test_http500_json(self):
        self.admin.add_fault('guest_list:http500,body=json,times=1')
        resp = requests.get(self.sim.url + '/guests', timeout=10)
        self.assertEqual(500, resp.status_code)
        self.assertEqual((400, 120, 500), (resp.json()['overallRC'],
                                           resp.json()['modID'],
                                           resp.json()['rs']))

    def test_all_applies_to_every_api(self):
        self.admin.add_fault('all:busy,times=2')
        self.assertAnswer(self.call('host_get_info'), 503)
        self.assertAnswer(self.call('guest_list'), 503)
        self.assertAnswer(self.call('guest_list'), 0)

    def test_vanish_rule(self):
        self.guest('VAN1')
        self.admin.add_fault('guest_start:vanish,keep_db=false,times=1')
        self.assertAnswer(self.call('guest_start', 'VAN1'), 0)
        self.assertNotIn('VAN1', self.call('guest_list')['output'])
        self.assertAnswer(self.call('guest_get_power_state', 'VAN1'), 404,
                          mod_id=10)

    def test_power_off_rule_before_call(self):
        self.guest('POFF1', power='on')
        self.admin.add_fault('guest_get_power_state:power_off,when=before,'
                             'times=1')
        self.assertEqual('off', self.call('guest_get_power_state',
                                          'POFF1')['output'])

    def test_rules_listed_and_removed(self):
        added = self.admin.add_fault('guest_list:busy')
        self.admin.add_fault('guest_start:drop')
        self.assertEqual(['busy', 'drop'],
                         [r['action'] for r in self.admin.faults()])
        self.admin.remove_fault(added[0]['id'])
        self.assertEqual(['drop'], [r['action'] for r in self.admin.faults()])
        self.assertAnswer(self.call('guest_list'), 0)
        self.admin.clear_faults()
        self.assertEqual([], self.admin.faults())


class StartupFaultsTestCase(base.SimulatorTestCase):
    """Rules and latency given on the command line."""

    options = {'fault': ['guest_list:busy,times=1',
                         {'api': 'host_get_info', 'action': 'http500',
                          'body': 'json'}],
               'latency': ['guest_get_power_state=0.3']}

    def setUp(self):
        # Keep the command-line rules: no reset of faults and latency here.
        super(base.SimulatorTestCase, self).setUp()
        self.client = base.rest_client(self.sim.url)

    def test_command_line_rules_and_latency(self):
        self.assertEqual(['busy', 'http500'],
                         [r['action'] for r in self.admin.faults()])
        self.assertAnswer(self.call('guest_list'), 503, mod_id=120)
        self.assertAnswer(self.call('guest_list'), 0)
        resp = requests.get(self.sim.url + '/host', timeout=10)
        self.assertEqual(500, resp.status_code)
        self.assertEqual({'guest_get_power_state': 'fixed:0.3'},
                         self.admin.latency())
        start = time.monotonic()
        self.call('guest_get_power_state', 'ANY1')
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
