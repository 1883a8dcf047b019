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

"""What the simulator's HTTP server counts, for tests and benchmarks.

``Counters`` holds the traffic counters the admin endpoint returns
(``GET /_simulator/counters``): requests per connector API or route,
statuses, bytes, connections, concurrency. ``RouteNames`` names a request
that called no connector API by its zvmsdk route (``'GET /guests'``).
"""

import threading
import time

import routes
from zvmsdk.sdkwsgi import handler as sdk_handler


class Counters(object):
    """Traffic counters; every update is O(1) under one lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.requests = {}
            self.api_calls = {}
            self.statuses = {}
            self.requests_total = 0
            self.admin_requests = 0
            self.token_requests = 0
            self.bytes_in = 0
            self.bytes_out = 0
            self.concurrent = 0
            self.peak_concurrent = 0
            self.connections_accepted = 0
            self.connections = 0
            self.max_requests_per_connection = 0
            self.started = time.time()

    def connection_accepted(self):
        with self._lock:
            self.connections_accepted += 1

    def request_started(self):
        with self._lock:
            self.concurrent += 1
            self.peak_concurrent = max(self.peak_concurrent, self.concurrent)

    def request_finished(self, key, status, bytes_in, bytes_out,
                         nth_on_connection):
        """One connector request; nth_on_connection counts from 1."""
        with self._lock:
            self.concurrent -= 1
            self.requests_total += 1
            self.requests[key] = self.requests.get(key, 0) + 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.bytes_in += bytes_in
            self.bytes_out += bytes_out
            if key == 'token':
                self.token_requests += 1
            if nth_on_connection == 1:
                self.connections += 1
            self.max_requests_per_connection = max(
                self.max_requests_per_connection, nth_on_connection)

    def admin_request(self):
        with self._lock:
            self.admin_requests += 1

    def api_call(self, name):
        with self._lock:
            self.api_calls[name] = self.api_calls.get(name, 0) + 1

    def to_dict(self):
        with self._lock:
            return {
                'requests': dict(self.requests),
                'requests_total': self.requests_total,
                'statuses': {str(k): v for k, v in self.statuses.items()},
                'api_calls': dict(self.api_calls),
                'token_requests': self.token_requests,
                'admin_requests': self.admin_requests,
                'bytes_in': self.bytes_in,
                'bytes_out': self.bytes_out,
                'concurrent_requests': self.concurrent,
                'peak_concurrent_requests': self.peak_concurrent,
                'connections': self.connections,
                'connections_accepted': self.connections_accepted,
                'max_requests_per_connection':
                    self.max_requests_per_connection,
                'seconds': round(time.time() - self.started, 3),
            }


class RouteNames(object):
    """'METHOD /route/{template}' of a request that called no API."""

    def __init__(self):
        self._mapper = routes.Mapper()
        for route, methods in sdk_handler.ROUTE_LIST:
            for method in methods:
                self._mapper.connect(route, conditions={'method': [method]},
                                     _key='%s %s' % (method, route))

    def name(self, method, path):
        if method == 'POST' and path == '/token':
            return 'token'
        match = self._mapper.match(
            environ={'PATH_INFO': path, 'REQUEST_METHOD': method})
        return match['_key'] if match else '%s (no route)' % method
