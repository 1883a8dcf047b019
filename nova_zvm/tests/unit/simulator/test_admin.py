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

"""The /_simulator/ admin endpoint through control.SimulatorAdmin."""

import requests

from nova_zvm.simulator import control
from nova_zvm.tests.unit.simulator import base


class AdminTestCase(base.SimulatorTestCase):

    options = {'zvm_host': 'ADMHOST', 'guests': 3}

    def guest(self, userid, power='off'):
        self.assertAnswer(self.call('guest_create', userid, 1, 512,
                                    disk_list=base.ROOT_DISK), 0)
        self.addCleanup(self.call, 'guest_delete', userid)
        if power == 'on':
            self.assertAnswer(self.call('guest_start', userid), 0)

    def test_counters_shape(self):
        counters = self.admin.counters()
        for key in ('requests', 'requests_total', 'statuses', 'api_calls',
                    'token_requests', 'admin_requests', 'bytes_in',
                    'bytes_out', 'concurrent_requests',
                    'peak_concurrent_requests', 'connections',
                    'connections_accepted', 'max_requests_per_connection',
                    'faults_injected'):
            self.assertIn(key, counters)
        # Admin traffic is counted apart from the connector's.
        self.assertEqual(0, counters['requests_total'])
        self.assertEqual(0, counters['connections'])
        self.assertGreaterEqual(counters['admin_requests'], 1)

    def test_reset_counters_keeps_faults_and_state(self):
        self.guest('KEEP1')
        self.admin.add_fault('guest_start:busy')
        self.admin.reset()
        counters = self.admin.counters()
        self.assertEqual(0, counters['requests_total'])
        self.assertEqual(1, len(self.admin.faults()))
        self.assertIn('KEEP1', self.call('guest_list')['output'])

    def test_reset_faults_and_latency(self):
        self.admin.add_fault('guest_start:busy')
        self.admin.set_latency(all='0.01')
        self.admin.reset(faults=True, latency=True)
        self.assertEqual([], self.admin.faults())
        self.assertEqual({}, self.admin.latency())

    def test_inventory_and_guest_record(self):
        self.guest('REC1', power='on')
        inventory = self.admin.inventory()
        self.assertEqual('ADMHOST', inventory['zvm_host'])
        self.assertEqual('on', inventory['guests']['REC1']['power_state'])
        self.assertIn('SIM00001', inventory['guests'])
        record = self.admin.guest('rec1')
        self.assertEqual('REC1', record['userid'])
        self.assertEqual('on', record['power_state'])

    def test_unknown_guest_is_404(self):
        for call in (self.admin.guest, self.admin.vanish,
                     self.admin.power_off):
            err = self.assertRaises(control.SimulatorError, call, 'NOSUCH')
            self.assertIn('HTTP 404', str(err))

    def test_power_off_behind_novas_back(self):
        self.guest('POW1', power='on')
        self.admin.power_off('POW1')
        self.assertEqual('off', self.call('guest_get_power_state',
                                          'POW1')['output'])

    def test_vanish_keeps_the_database_row(self):
        self.guest('VAN2')
        self.admin.vanish('VAN2')
        self.assertIn('VAN2', self.call('guest_list')['output'])
        # In the connector's database, gone from z/VM: 404 rs 3.
        self.assertAnswer(self.call('guest_get_power_state', 'VAN2'), 404,
                          mod_id=10, rs=3)

    def test_vanish_completely(self):
        self.guest('VAN3')
        self.admin.vanish('VAN3', keep_db=False)
        self.assertNotIn('VAN3', self.call('guest_list')['output'])

    def test_fault_rules_crud(self):
        added = self.admin.add_fault(api='guest_deploy', action='busy',
                                     times=2)
        self.assertEqual([{'id': added[0]['id'], 'api': 'guest_deploy',
                           'action': 'busy', 'times': 2, 'hits': 0,
                           'remaining': 2}], self.admin.faults())
        two = self.admin.add_fault([{'api': 'all', 'action': 'drop',
                                     'probability': 0.1, 'seed': 1},
                                    {'api': 'token', 'action': 'http500'}])
        self.assertEqual(2, len(two))
        self.assertEqual(3, len(self.admin.faults()))
        self.admin.remove_fault(two[0]['id'])
        self.assertEqual(['guest_deploy', 'token'],
                         [r['api'] for r in self.admin.faults()])
        self.assertEqual([], self.admin.clear_faults())

    def test_bad_rules_are_400(self):
        for rule in ('guest_list:explode', {'api': 'guest_list'},
                     {'rule': 'nonsense'}):
            err = self.assertRaises(control.SimulatorError,
                                    self.admin.add_fault, rule)
            self.assertIn('HTTP 400', str(err))
        err = self.assertRaises(control.SimulatorError,
                                self.admin.remove_fault, 999)
        self.assertIn('HTTP 404', str(err))

    def test_latency_endpoint(self):
        self.assertEqual({'guest_list': 'uniform:0.01:0.02'},
                         self.admin.set_latency(
                             guest_list='uniform:0.01:0.02'))
        self.assertRaises(control.SimulatorError, self.admin.set_latency,
                          guest_list='soon')
        self.assertEqual({}, self.admin.clear_latency())

    def test_routes_methods_and_bodies(self):
        url = self.sim.url + '/_simulator/'
        resp = requests.get(url + 'nosuch', timeout=10)
        self.assertEqual((404, 'application/json'),
                         (resp.status_code, resp.headers['Content-Type']))
        self.assertIn('error', resp.json())
        self.assertEqual(405, requests.post(url + 'counters',
                                            timeout=10).status_code)
        self.assertEqual(405, requests.delete(url + 'inventory',
                                              timeout=10).status_code)
        resp = requests.post(url + 'faults', data='{broken', timeout=10)
        self.assertEqual(400, resp.status_code)
        self.assertEqual(404, requests.post(url + 'guests/SIM00001/explode',
                                            timeout=10).status_code)


class AdminStateResetTestCase(base.SimulatorTestCase):

    options = {'guests': 5}

    def test_reset_state_empties_the_connector(self):
        self.assertEqual(5, len(self.call('guest_list')['output']))
        self.assertEqual(['counters', 'state'],
                         self.admin.reset(state=True)['reset'])
        self.assertEqual([], self.call('guest_list')['output'])
        self.assertEqual({}, self.admin.inventory()['guests'])
