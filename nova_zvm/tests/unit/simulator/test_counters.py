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

"""Traffic counters and the names of requests that called no API."""

from nova import test

from nova_zvm.simulator import counters


class CountersTestCase(test.NoDBTestCase):

    def test_requests_and_connections(self):
        tally = counters.Counters()
        tally.connection_accepted()
        for nth in (1, 2, 3):
            tally.request_started()
            tally.request_finished('guest_list', 200, 10, 20, nth)
        tally.request_started()
        tally.request_finished('token', 401, 5, 5, 1)
        d = tally.to_dict()
        self.assertEqual({'guest_list': 3, 'token': 1}, d['requests'])
        self.assertEqual({'200': 3, '401': 1}, d['statuses'])
        self.assertEqual((35, 65), (d['bytes_in'], d['bytes_out']))
        self.assertEqual((2, 1, 3), (d['connections'],
                                     d['connections_accepted'],
                                     d['max_requests_per_connection']))
        self.assertEqual((1, 0), (d['token_requests'],
                                  d['concurrent_requests']))
        tally.reset()
        self.assertEqual(0, tally.to_dict()['requests_total'])

    def test_peak_concurrency(self):
        tally = counters.Counters()
        for _ in range(3):
            tally.request_started()
        tally.request_finished('a', 200, 0, 0, 1)
        tally.request_started()
        d = tally.to_dict()
        self.assertEqual((3, 3), (d['concurrent_requests'],
                                  d['peak_concurrent_requests']))


class RouteNamesTestCase(test.NoDBTestCase):

    def test_names(self):
        names = counters.RouteNames()
        self.assertEqual('token', names.name('POST', '/token'))
        self.assertEqual('GET /guests/{userid}/power_state',
                         names.name('GET', '/guests/ABCDEFGHI/power_state'))
        self.assertEqual('GET /', names.name('GET', '/'))
        self.assertEqual('PATCH (no route)', names.name('PATCH', '/guests'))
        self.assertEqual('GET (no route)', names.name('GET', '/nosuch'))
