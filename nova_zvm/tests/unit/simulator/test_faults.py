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

"""Fault rules and latency: parsing and decisions (no server)."""

import random

from nova import test

from nova_zvm.simulator import faults


class ParseTestCase(test.NoDBTestCase):

    def test_compact_rule(self):
        rule, = faults.parse_rules(
            'guest_deploy:sdk_error,times=2,overallRC=300,modID=10,rc=300,'
            'rs=1,errmsg=disk full')
        self.assertEqual('guest_deploy', rule.api)
        self.assertEqual('sdk_error', rule.action)
        self.assertEqual(2, rule.times)
        self.assertEqual({'times': 2, 'overallRC': 300, 'modID': 10,
                          'rc': 300, 'rs': 1, 'errmsg': 'disk full'},
                         rule.params)

    def test_json_object_and_list(self):
        rule, = faults.parse_rules('{"api": "all", "action": "busy", '
                                   '"probability": 0.5, "seed": 3}')
        self.assertEqual(('all', 'busy', 0.5, 3),
                         (rule.api, rule.action, rule.probability,
                          rule.seed))
        rules = faults.parse_rules([{'api': 'guest_list', 'action': 'drop'},
                                    {'api': 'token', 'action': 'http500',
                                     'body': 'json'}])
        self.assertEqual(['drop', 'http500'], [r.action for r in rules])

    def test_round_trip_through_to_dict(self):
        rule, = faults.parse_rules('guest_start:vanish,when=before,'
                                   'keep_db=false,times=1')
        again, = faults.parse_rules(rule.to_dict())
        self.assertEqual(rule.params, again.params)
        self.assertIs(False, again.get('keep_db'))

    def test_invalid_rules(self):
        for text in ('guest_list', 'guest_list:explode',
                     'guest_list:drop,times=0', 'guest_list:drop,times=x',
                     'guest_list:drop,probability=1.5',
                     'guest_list:sdk_error,overallRC=1',
                     'guest_list:sdk_error,overallRC=0,modID=1,rc=0,rs=0',
                     'guest_list:hang', 'guest_list:http500,body=xml',
                     'guest_list:drop,colour=red', 'guest_list:drop,times',
                     'token:vanish', '{"api": "x"', '[]', '[1]',
                     '{"action": "drop"}'):
            self.assertRaises(faults.InvalidRule, faults.parse_rules, text)

    def test_latency_specs(self):
        self.assertEqual(('all', ('fixed', 0.05)),
                         faults.Latency.parse('all=0.05'))
        self.assertEqual(('guest_deploy', ('uniform', 0.01, 0.1)),
                         faults.Latency.parse('guest_deploy=uniform:0.01:0.1'))
        self.assertEqual(('x', ('normal', 1.0, 0.5)),
                         faults.Latency.parse('x=normal:1:0.5'))
        for bad in ('all', '=1', 'all=-1', 'all=uniform:2:1', 'all=fast',
                    'all=normal:1', 'all=gamma:1:2'):
            self.assertRaises(faults.InvalidRule, faults.Latency.parse, bad)


class DecideTestCase(test.NoDBTestCase):

    def setUp(self):
        super(DecideTestCase, self).setUp()
        self.registry = faults.FaultRegistry()

    def add(self, text):
        return self.registry.add(faults.parse_rules(text))[0]

    def test_next_n_calls_then_expires(self):
        rule = self.add('guest_deploy:busy,times=2')
        self.assertIsNone(self.registry.decide('guest_list'))
        self.assertIs(rule, self.registry.decide('guest_deploy'))
        self.assertIs(rule, self.registry.decide('guest_deploy'))
        self.assertIsNone(self.registry.decide('guest_deploy'))
        self.assertEqual([], self.registry.list())
        self.assertEqual({'guest_deploy:busy': 2}, self.registry.injected)

    def test_skip_lets_the_first_calls_through(self):
        rule = self.add('guest_live_migrate:sdk_error,skip=1,times=1,'
                        'overallRC=300,modID=10,rc=300,rs=1')
        # The relocation 'test' passes, the 'move' fails.
        self.assertIsNone(self.registry.decide('guest_live_migrate'))
        self.assertIsNone(self.registry.decide('guest_list'))
        self.assertIs(rule, self.registry.decide('guest_live_migrate'))
        self.assertIsNone(self.registry.decide('guest_live_migrate'))

    def test_negative_skip_is_refused(self):
        self.assertRaises(faults.InvalidRule, faults.parse_rules,
                          'guest_list:drop,skip=-1')

    def test_without_times_fires_forever(self):
        self.add('guest_list:drop')
        for _ in range(20):
            self.assertIsNotNone(self.registry.decide('guest_list'))
        self.assertEqual(20, self.registry.list()[0]['hits'])

    def test_probability_is_reproducible_with_seed(self):
        self.add('all:busy,probability=0.3,seed=42')
        fired = [self.registry.decide('guest_list') is not None
                 for _ in range(200)]
        rng = random.Random(42)
        self.assertEqual([rng.random() < 0.3 for _ in range(200)], fired)
        self.assertTrue(30 < sum(fired) < 90, sum(fired))

    def test_all_does_not_match_token(self):
        self.add('all:drop')
        self.assertIsNone(self.registry.decide(faults.TOKEN))
        self.assertIsNotNone(self.registry.decide('host_get_info'))
        rule = self.add('token:http500')
        self.assertIs(rule, self.registry.decide(faults.TOKEN))

    def test_first_matching_rule_wins_and_remove(self):
        first = self.add('guest_list:drop')
        second = self.add('all:busy')
        self.assertIs(first, self.registry.decide('guest_list'))
        self.assertIs(second, self.registry.decide('guest_start'))
        self.assertTrue(self.registry.remove(first.id))
        self.assertFalse(self.registry.remove(first.id))
        self.assertIs(second, self.registry.decide('guest_list'))
        self.registry.clear()
        self.assertIsNone(self.registry.decide('guest_list'))

    def test_remaining_reported(self):
        self.add('guest_list:drop,times=3')
        self.registry.decide('guest_list')
        listed, = self.registry.list()
        self.assertEqual((1, 2), (listed['hits'], listed['remaining']))
        self.assertEqual(1, listed['id'])


class LatencyTestCase(test.NoDBTestCase):

    def test_specific_name_wins_over_all(self):
        latency = faults.Latency(seed=1)
        latency.set('all', ('fixed', 0.5))
        latency.set('guest_list', ('fixed', 0.0))
        self.assertEqual(0.0, latency.delay('guest_list'))
        self.assertEqual(0.5, latency.delay('guest_start'))
        latency.clear()
        self.assertEqual(0.0, latency.delay('guest_start'))

    def test_distributions_stay_in_range(self):
        latency = faults.Latency(seed=1)
        latency.set('a', ('uniform', 0.01, 0.1))
        latency.set('b', ('normal', 0.0, 1.0))
        for _ in range(100):
            self.assertTrue(0.01 <= latency.delay('a') <= 0.1)
            self.assertGreaterEqual(latency.delay('b'), 0.0)
        self.assertEqual({'a': 'uniform:0.01:0.1', 'b': 'normal:0.0:1.0'},
                         latency.to_dict())


class ZVMSeamTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ZVMSeamTestCase, self).setUp()
        self.registry = faults.FaultRegistry()

    def test_zvm_error_needs_a_named_api_and_rc(self):
        for text in ('Image_Activate:zvm_error',
                     'Image_Activate:zvm_error,rc=0',
                     'all:zvm_error,rc=1', 'token:zvm_error,rc=1'):
            self.assertRaises(faults.InvalidRule, faults.parse_rules, text)
        rule = faults.parse_rules('vmur:zvm_error,rc=1,output=no')[0]
        self.assertEqual(('zvm', {'rc': 1, 'output': 'no'}),
                         (rule.seam, rule.params))

    def test_each_seam_sees_its_own_rules(self):
        zvm_rule = self.registry.add(
            faults.parse_rules('Image_Activate:zvm_error,rc=200,rs=12'))[0]
        self.registry.add(faults.parse_rules('all:busy'))
        self.assertIs(zvm_rule, self.registry.decide('Image_Activate',
                                                     faults.ZVM))
        self.assertIsNone(self.registry.decide('vmcp', faults.ZVM))
        self.assertEqual('busy',
                         self.registry.decide('Image_Activate').action)
