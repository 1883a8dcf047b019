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

"""The PyJWT 2 adaptation of zvmsdk's token handler."""

import datetime
import os
import shutil
import stat
import tempfile
import time

import fixtures
import jwt
from nova import test
import requests
from zvmsdk import config
from zvmsdk.sdkwsgi.handlers import tokens

from nova_zvm.simulator import auth
from nova_zvm.tests.unit.simulator import base

KEY = 'k' * 32


class AdapterTestCase(test.NoDBTestCase):

    def test_encode_returns_bytes_like_pyjwt1(self):
        # zvmsdk's requestlog calls .decode() on the header value.
        token = auth.PyJWT1Adapter.encode({'exp': 2 ** 40}, KEY)
        self.assertIsInstance(token, bytes)
        self.assertEqual({'exp': 2 ** 40},
                         jwt.decode(token, KEY, algorithms=['HS256']))

    def test_decode_without_algorithms_accepts_hs256(self):
        token = jwt.encode({'exp': 2 ** 40}, KEY, algorithm='HS256')
        self.assertEqual({'exp': 2 ** 40},
                         auth.PyJWT1Adapter.decode(token, KEY))

    def test_expired_and_forged_tokens_fail_as_handler_expects(self):
        past = datetime.datetime.utcnow() - datetime.timedelta(seconds=5)
        expired = auth.PyJWT1Adapter.encode({'exp': past}, KEY)
        self.assertRaises(auth.PyJWT1Adapter.ExpiredSignatureError,
                          auth.PyJWT1Adapter.decode, expired, KEY)
        forged = auth.PyJWT1Adapter.encode({'exp': 2 ** 40}, 'o' * 32)
        self.assertRaises(auth.PyJWT1Adapter.DecodeError,
                          auth.PyJWT1Adapter.decode, forged, KEY)

    def test_none_algorithm_refused(self):
        token = jwt.encode({'exp': 2 ** 40}, None, algorithm='none')
        self.assertRaises(jwt.InvalidTokenError, auth.PyJWT1Adapter.decode,
                          token, KEY)


class ConfigureTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ConfigureTestCase, self).setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        wsgi = config.CONF.wsgi
        saved = dict(wsgi)
        self.addCleanup(wsgi.update, saved)
        self.useFixture(fixtures.MonkeyPatch(
            'zvmsdk.sdkwsgi.handlers.tokens.jwt', tokens.jwt))

    def test_token_mode_creates_private_token_file(self):
        path = os.path.join(self.dir, 'token')
        auth.configure('token', path, 60)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        with open(path) as f:
            self.assertEqual(32, len(f.read().strip()))
        wsgi = config.CONF.wsgi
        self.assertEqual(('token', path, 60), (wsgi.auth, wsgi.token_path,
                                               wsgi.token_validation_period))
        self.assertIs(auth.PyJWT1Adapter, tokens.jwt)

    def test_existing_token_file_is_kept(self):
        path = os.path.join(self.dir, 'token')
        with open(path, 'w') as f:
            f.write('my-admin-token\n')
        auth.configure('token', path)
        with open(path) as f:
            self.assertEqual('my-admin-token\n', f.read())

    def test_bad_configurations(self):
        empty = os.path.join(self.dir, 'empty')
        open(empty, 'w').close()
        self.assertRaises(ValueError, auth.configure, 'token', None)
        self.assertRaises(ValueError, auth.configure, 'token', empty)
        self.assertRaises(ValueError, auth.configure, 'token', self.dir)
        self.assertRaises(ValueError, auth.configure, 'basic')
        self.assertRaises(ValueError, auth.configure, 'none', None, 0)


class TokenAuthTestCase(base.SimulatorTestCase):
    """--auth token end to end, with the real RESTClient."""

    @classmethod
    def class_options(cls):
        cls.token_dir = tempfile.mkdtemp(prefix='nova-zvm-sim-token-')
        cls.token_file = os.path.join(cls.token_dir, 'token')
        with open(cls.token_file, 'w') as f:
            f.write(KEY + '\n')
        return {'auth': 'token', 'token_file': cls.token_file,
                'token_validation_period': 2}

    @classmethod
    def tearDownClass(cls):
        super(TokenAuthTestCase, cls).tearDownClass()
        shutil.rmtree(cls.token_dir, ignore_errors=True)

    def token(self, admin_token=KEY):
        return requests.post(self.sim.url + '/token', timeout=10,
                             headers={'X-Admin-Token': admin_token})

    def test_rest_client_with_token(self):
        client = base.rest_client(self.sim.url, auth='token',
                                  token_path=self.token_file)
        self.assertAnswer(client.call('guest_list'), 0)
        self.assertAnswer(client.call('guest_get_power_state', 'NOSUCH'),
                          404, mod_id=10)
        counters = self.admin.counters()
        # zvmconnector 1.6.3 fetches a token before every call.
        self.assertEqual(2, counters['token_requests'])
        self.assertEqual(4, counters['requests_total'])

    def test_no_token_is_401(self):
        answer = self.call('guest_list')
        self.assertAnswer(answer, 400, mod_id=120, rs=401)
        self.assertEqual({}, self.admin.counters()['api_calls'])

    def test_token_protocol(self):
        resp = self.token()
        self.assertEqual(200, resp.status_code)
        token = resp.headers['X-Auth-Token']
        claims = jwt.decode(token, KEY, algorithms=['HS256'])
        self.assertLessEqual(claims['exp'], time.time() + 3)
        resp = requests.get(self.sim.url + '/guests', timeout=10,
                            headers={'X-Auth-Token': token})
        self.assertEqual(0, resp.json()['overallRC'])

    def test_wrong_admin_token(self):
        resp = self.token('x' * 32)
        self.assertEqual(401, resp.status_code)
        self.assertNotIn('X-Auth-Token', resp.headers)
        self.assertEqual(401, resp.json()['rs'])

    def test_forged_and_expired_tokens(self):
        forged = jwt.encode({'exp': time.time() + 60}, 'f' * 32,
                            algorithm='HS256')
        resp = requests.get(self.sim.url + '/guests', timeout=10,
                            headers={'X-Auth-Token': forged})
        self.assertEqual(401, resp.json()['rs'])
        token = self.token().headers['X-Auth-Token']
        time.sleep(2.5)
        resp = requests.get(self.sim.url + '/guests', timeout=10,
                            headers={'X-Auth-Token': token})
        self.assertEqual(401, resp.status_code)
        self.assertEqual(401, resp.json()['rs'])

    def test_admin_endpoint_needs_no_token(self):
        self.assertIn('requests', self.admin.counters())
        self.assertIn('guests', self.admin.inventory())

    def test_token_faults(self):
        self.admin.add_fault('token:busy,times=1')
        client = base.rest_client(self.sim.url, auth='token',
                                  token_path=self.token_file)
        # The real client reports a 503 from POST /token as 503/110 rs 2.
        self.assertAnswer(client.call('guest_list'), 503, mod_id=110, rs=2)
        self.admin.add_fault('token:drop,times=1')
        self.assertRaises(requests.ConnectionError, self.token)
        self.assertAnswer(client.call('guest_list'), 0)
        self.assertEqual({'token:busy': 1, 'token:drop': 1},
                         self.admin.counters()['faults_injected'])
