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

"""HTTP-level answers: token fault rules and the 500 pages, in-process.

The same answers over HTTP, through a simulator process, are tested in
test_fault_rules.py.
"""

import json

from nova import test

from nova_zvm.simulator import bridge
from nova_zvm.simulator import faults
from nova_zvm.simulator import http_faults


def run(app):
    """(status, body) of a WSGI app."""
    state = {}

    def start_response(status, headers, exc_info=None):
        state['status'] = status

    body = b''.join(app({}, start_response))
    return state['status'], body


class TokenFaultTestCase(test.NoDBTestCase):

    def registry(self, text):
        registry = faults.FaultRegistry()
        registry.add(faults.parse_rules(text))
        return registry

    def setUp(self):
        super(TokenFaultTestCase, self).setUp()
        # zvmsdk's app, which must not answer when a rule answers instead.
        self.app = lambda environ, start_response: self.fail('zvmsdk ran')

    def test_no_rule_runs_the_app(self):
        self.assertIs(self.app,
                      http_faults.token_fault(faults.FaultRegistry(),
                                              self.app))
        # A rule for another API does not fire on POST /token.
        self.assertIs(self.app, http_faults.token_fault(
            self.registry('guest_list:busy'), self.app))

    def test_busy(self):
        status, body = run(http_faults.token_fault(
            self.registry('token:busy'), self.app))
        self.assertTrue(status.startswith('503'), status)
        answer = json.loads(body)
        self.assertEqual((503, 120, faults.BUSY_MESSAGE, ''),
                         (answer['overallRC'], answer['modID'],
                          answer['errmsg'], answer['output']))

    def test_sdk_error(self):
        status, body = run(http_faults.token_fault(self.registry(
            'token:sdk_error,overallRC=300,modID=10,rc=300,rs=1,'
            'errmsg=nope'), self.app))
        self.assertTrue(status.startswith('500'), status)
        self.assertEqual({'overallRC': 300, 'modID': 10, 'rc': 300, 'rs': 1,
                          'errmsg': 'nope', 'output': ''}, json.loads(body))

    def test_http_actions_are_left_to_the_server(self):
        for action in faults.HTTP_ACTIONS:
            err = self.assertRaises(
                bridge.HTTPFault, http_faults.token_fault,
                self.registry('token:%s' % action), self.app)
            self.assertEqual(action, err.rule['action'])


class HTTP500TestCase(test.NoDBTestCase):

    def test_text_page_by_default(self):
        self.assertEqual((http_faults.TEXT_500, http_faults.TEXT_500_TYPE),
                         http_faults.http500({'action': 'http500'}))
        self.assertIn(b'500 Internal Server Error', http_faults.TEXT_500)

    def test_json_like_faultwrapper(self):
        data, content_type = http_faults.http500(
            {'action': 'http500', 'body': 'json', 'rs': 7})
        self.assertEqual('application/json', content_type)
        answer = json.loads(data)
        self.assertEqual((400, 400, 7, 120, ''),
                         (answer['overallRC'], answer['rc'], answer['rs'],
                          answer['modID'], answer['output']))
        self.assertIn('erred', answer['errmsg'])
