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
import threading
import time

from nova_zvm.tests.unit.simulator.model import base


class InventoryTestCase(base.ModelTestCase):

    model_options = {'fcp_devices': '1a00;1b00'}

    def test_inventory_summarises_everything(self):
        self.deployed_guest('VM1', start=True)
        self.model.get_volume_connector('VM1', reserve=True)
        inv = self.model.inventory()
        json.dumps(inv)
        guest = inv['guests']['VM1']
        self.assertEqual('on', guest['power_state'])
        self.assertTrue(guest['in_connector'])
        self.assertEqual('0100', guest['disks'][0]['vdev'])
        self.assertEqual(self.model._images.get('img1')['payload'],
                         guest['disks'][0]['digest'])
        self.assertEqual([{'vdev': '1000', 'mac': '02:55:36:11:22:33',
                           'vswitch': None, 'nic_id': 'port-1'}],
                         guest['nics'])
        self.assertEqual(['img1'], list(inv['images']))
        self.assertEqual({'name': 'ECKD:POOL1', 'unit': 'CYL',
                          'total': 300000, 'used': 3338, 'free': 296662},
                         inv['disk_pool'])
        self.assertEqual(1, inv['fcp']['1a00']['reserved'])
        self.assertEqual('VM1', inv['fcp']['1a00']['assigner_id'])

    def test_guest_record(self):
        self.deployed_guest('VM1')
        record = self.model.guest_record('vm1')
        json.dumps(record)
        self.assertEqual('web-1', record['config_drive']['hostname'])
        self.assertEqual('off', record['power_state'])
        # A copy: changing it changes nothing.
        record['disks'].clear()
        self.assertIn('0100', self.model.guest_record('VM1')['disks'])
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.guest_record,
                            'NOPE')
        self.assertSDKError(base.GUEST_NOT_FOUND, self.model.vanish_guest,
                            'NOPE')

    def test_reset_state_empties_the_model(self):
        self.deployed_guest('VM1', start=True)
        self.model.vswitch_create('VSW1')
        self.model.get_volume_connector('VM1', reserve=True)
        self.model.reset_state()
        inv = self.model.inventory()
        self.assertEqual(({}, {}, 0, {}), (inv['guests'], inv['images'],
                                           inv['disk_pool']['used'],
                                           inv['vswitches']))
        self.assertEqual(0, inv['fcp']['1a00']['reserved'])
        blobs = [n for _d, _s, names in os.walk(os.path.join(
            self.state_dir, 'blobs')) for n in names]
        self.assertEqual(1, len(blobs))
        self.assertEqual([], self.make_model().guest_list())
        self.create_guest('VM1')


class ScaleTestCase(base.ModelTestCase):

    model_options = {'disk_pool_size': 1000000}

    def test_preload_5000_guests(self):
        start = time.monotonic()
        created = self.model.preload_guests(5000)
        elapsed = time.monotonic() - start
        self.assertEqual(5000, len(created))
        self.assertEqual('SIM00001', created[0])
        # Generous bound: a few hundred ms on a laptop.
        self.assertLess(elapsed, 20)
        start = time.monotonic()
        self.assertEqual(5000, len(self.model.guest_list()))
        for userid in created[:500]:
            self.model.guest_get_power_state(userid)
        self.model.guest_start(created[-1])
        self.model.guest_create('NEW1', 1, 1024)
        self.model.guest_delete('NEW1')
        self.assertLess(time.monotonic() - start, 10)
        # One small file per guest: a call rewrites one of them.
        sizes = [os.path.getsize(os.path.join(self.state_dir, 'guests', n))
                 for n in os.listdir(os.path.join(self.state_dir,
                                                  'guests'))]
        self.assertEqual(5000, len(sizes))
        self.assertLess(max(sizes), 4096)
        again = self.make_model()
        self.assertEqual(5000, len(again.guest_list()))
        self.assertEqual('on', again.guest_get_power_state(created[-1]))

    def test_preload_with_disks_and_prefix(self):
        created = self.model.preload_guests(3, prefix='pl', disk_size='100',
                                            power_state='on')
        self.assertEqual(['PL000001', 'PL000002', 'PL000003'], created)
        self.assertEqual(300, self.model.inventory()['disk_pool']['used'])
        self.assertEqual('on', self.model.guest_get_power_state('PL000002'))
        more = self.model.preload_guests(1, prefix='pl')
        self.assertEqual(['PL000004'], more)
        self.assertRaises(ValueError, self.model.preload_guests, 10,
                          prefix='ABCDEFGH')


class ConcurrencyTestCase(base.ModelTestCase):

    model_options = {'disk_pool_size': 100000}

    def test_parallel_calls_keep_the_books(self):
        errors = []

        def worker(n):
            try:
                for i in range(10):
                    userid = 'T%02d%04d' % (n, i)
                    self.create_guest(userid, root='100')
                    self.model.guest_start(userid)
                    self.model.guest_create_nic(userid)
                    if i % 2:
                        self.model.guest_delete(userid)
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], errors)
        self.assertEqual(40, len(self.model.guest_list()))
        self.assertEqual(4000, self.model.inventory()['disk_pool']['used'])
        self.assertEqual(self.model.inventory()['disk_pool'],
                         self.make_model().inventory()['disk_pool'])

    def test_same_userid_created_twice_at_once(self):
        results = []

        def create():
            try:
                self.create_guest('RACE', root='100')
                results.append('ok')
            except Exception as e:
                results.append(e.results['rs'])

        threads = [threading.Thread(target=create) for _i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([8] * 5 + ['ok'], sorted(results, key=str))
        self.assertEqual(100, self.model.inventory()['disk_pool']['used'])
