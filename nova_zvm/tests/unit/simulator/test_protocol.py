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

"""The connector protocol as the real zvmconnector RESTClient sees it."""

import concurrent.futures
import json
import os

import requests

from nova_zvm.tests.unit.simulator import base


class ProtocolTestCase(base.SimulatorTestCase):

    def test_version(self):
        answer = self.call('version')
        self.assertAnswer(answer, 0)
        self.assertEqual('1.6.3', answer['output']['version'])

    def test_create_list_power(self):
        self.assertAnswer(self.call('guest_create', 'PROTO1', 1, 1024,
                                    disk_list=base.ROOT_DISK), 0)
        self.addCleanup(self.call, 'guest_delete', 'PROTO1')
        self.assertIn('PROTO1', self.call('guest_list')['output'])
        self.assertEqual('off',
                         self.call('guest_get_power_state',
                                   'PROTO1')['output'])
        self.assertAnswer(self.call('guest_start', 'PROTO1'), 0)
        self.assertEqual('on',
                         self.call('guest_get_power_state',
                                   'PROTO1')['output'])

    def test_nine_character_userid_rejected_by_rest_layer(self):
        answer = self.call('guest_get_power_state', 'ABCDEFGHI')
        self.assertAnswer(answer, 400, mod_id=120, rs=400)
        # Rejected before the sdkserver: no API call reached the connector.
        self.assertEqual({}, self.admin.counters()['api_calls'])

    def test_unknown_guest_is_404_guest_module(self):
        answer = self.call('guest_get_power_state', 'NOSUCH')
        self.assertAnswer(answer, 404, mod_id=10)
        self.assertEqual(404, answer['rc'])

    def test_request_over_4096_bytes_fails_in_sdkserver(self):
        disks = [{'size': '1g', 'format': 'ext3',
                  'disk_pool': 'ECKD:' + 'P' * 50} for _ in range(80)]
        for _ in range(3):
            answer = self.call('guest_create', 'BIG1', 1, 1024,
                               disk_list=disks)
            self.assertAnswer(answer, 500, mod_id=100)
        self.assertNotIn('BIG1', self.call('guest_list')['output'])

    def test_request_just_under_4096_bytes_passes(self):
        # The socket payload is the JSON [name, args, kwargs]: stay below.
        payload = ['guest_create', ['SMALL1', 1, 1024], {'disk_list': []}]
        base_len = len(json.dumps(payload))
        disks = [{'size': '1g', 'format': 'ext3', 'is_boot_disk': False}]
        one = len(json.dumps(disks[0])) + 2
        disks = disks * ((4096 - base_len) // one)
        answer = self.call('guest_create', 'SMALL1', 1, 1024,
                           disk_list=disks)
        self.addCleanup(self.call, 'guest_delete', 'SMALL1')
        self.assertNotEqual(100, answer['modID'], answer)

    def test_unknown_route_is_webob_404(self):
        # zvmsdk raises the routing 404 outside its JSON shaping: webob
        # formats it by Accept, and the RESTClient sees a non-JSON answer.
        resp = requests.get(self.sim.url + '/nosuchroute', timeout=10,
                            headers={'Accept': 'application/json'})
        self.assertEqual(404, resp.status_code)
        self.assertEqual(404, resp.json()['errors'][0]['status'])
        resp = requests.get(self.sim.url + '/nosuchroute', timeout=10)
        self.assertEqual(404, resp.status_code)
        self.assertIn('text/html', resp.headers['Content-Type'])

    def test_method_not_allowed(self):
        resp = requests.patch(self.sim.url + '/guests', timeout=10,
                              headers={'Accept': 'application/json'})
        self.assertEqual(405, resp.status_code)
        self.assertEqual('POST, GET', resp.headers['Allow'])
        self.assertEqual(405, resp.json()['errors'][0]['status'])

    def test_malformed_json_body(self):
        resp = requests.post(self.sim.url + '/guests', data='{not json',
                             headers={'Content-Type': 'application/json'},
                             timeout=10)
        self.assertEqual(400, resp.status_code)
        self.assertEqual(400, resp.json()['overallRC'])

    def test_schema_validation_of_body(self):
        answer = self.call('guest_create', 'VAL1', 'many', 1024)
        self.assertAnswer(answer, 400, mod_id=120, rs=400)

    def test_token_request_without_token_auth_fails_like_zvmsdk(self):
        # zvmsdk 1.6.3 with auth=none cannot encode its placeholder token
        # (str.decode in requestlog): HTTP 500 from the web server.
        resp = requests.post(self.sim.url + '/token', timeout=10)
        self.assertEqual(500, resp.status_code)
        self.assertNotIn('X-Auth-Token', resp.headers)
        self.assertEqual(1, self.admin.counters()['token_requests'])

    def test_connections_are_reused(self):
        with requests.Session() as session:
            for _ in range(50):
                resp = session.get(self.sim.url + '/guests', timeout=10)
                self.assertEqual(200, resp.status_code)
                self.assertEqual(0, resp.json()['overallRC'])
        counters = self.admin.counters()
        self.assertEqual(50, counters['requests']['guest_list'])
        self.assertEqual(1, counters['connections'])
        self.assertEqual(50, counters['max_requests_per_connection'])

    def test_rest_client_uses_one_connection_per_call(self):
        # zvmconnector 1.6.3 uses bare requests.request: no reuse.
        for _ in range(3):
            self.call('guest_list')
        counters = self.admin.counters()
        self.assertEqual(3, counters['connections'])
        self.assertEqual(1, counters['max_requests_per_connection'])

    def test_counters_per_api_and_route(self):
        self.call('guest_list')
        self.call('host_get_info')
        self.call('version')
        self.call('guest_get_power_state', 'ABCDEFGHI')
        counters = self.admin.counters()
        self.assertEqual({'guest_list': 1, 'host_get_info': 1, 'GET /': 1,
                          'GET /guests/{userid}/power_state': 1},
                         counters['requests'])
        self.assertEqual(4, counters['requests_total'])
        self.assertEqual({'guest_list': 1, 'host_get_info': 1},
                         counters['api_calls'])
        self.assertEqual({'200': 3, '400': 1}, counters['statuses'])
        self.assertGreater(counters['bytes_in'], 4 * 50)
        self.assertGreater(counters['bytes_out'], 4 * 100)
        self.assertEqual(0, counters['concurrent_requests'])

    def test_peak_concurrency(self):
        self.admin.set_latency(guest_list='0.3')
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: self.call('guest_list'),
                                    range(4)))
        self.assertEqual([0] * 4, [a['overallRC'] for a in answers])
        counters = self.admin.counters()
        self.assertGreaterEqual(counters['peak_concurrent_requests'], 2)
        self.assertEqual(0, counters['concurrent_requests'])

    def test_file_import_lands_in_state_dir(self):
        source = os.path.join(self.tmpdir, 'upload.bin')
        with open(source, 'wb') as f:
            f.write(b'x' * 10000)
        answer = self.call('file_import', source)
        self.assertAnswer(answer, 0)
        dest = answer['output']['dest_url'][len('file://'):]
        self.assertTrue(dest.startswith(self.state_dir), dest)
        self.assertEqual(10000, os.path.getsize(dest))


class TLSTestCase(base.SimulatorTestCase):

    @classmethod
    def class_options(cls):
        cls.certdir = base.tempfile.mkdtemp(prefix='nova-zvm-sim-tls-')
        cls.cert, cls.key = base.make_cert(cls.certdir)
        return {'cert': cls.cert, 'key': cls.key}

    @classmethod
    def admin_options(cls):
        return {'cafile': cls.cert}

    @classmethod
    def tearDownClass(cls):
        super(TLSTestCase, cls).tearDownClass()
        base.shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        super(TLSTestCase, self).setUp()
        self.client = base.rest_client(self.sim.url, verify=self.cert)

    def test_url_is_https(self):
        self.assertTrue(self.sim.url.startswith('https://127.0.0.1:'))

    def test_rest_client_over_tls(self):
        self.assertAnswer(self.call('guest_list'), 0)
        self.assertAnswer(self.call('guest_get_power_state', 'NOSUCH'), 404,
                          mod_id=10)

    def test_keep_alive_over_tls(self):
        with requests.Session() as session:
            for _ in range(5):
                session.get(self.sim.url + '/guests', verify=self.cert,
                            timeout=10).raise_for_status()
        counters = self.admin.counters()
        self.assertEqual(1, counters['connections'])
        self.assertEqual(5, counters['max_requests_per_connection'])

    def test_plain_http_is_refused(self):
        plain = self.sim.url.replace('https://', 'http://')
        self.assertRaises(requests.ConnectionError, requests.get,
                          plain + '/guests', timeout=10)
