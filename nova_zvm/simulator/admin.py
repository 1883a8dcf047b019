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

"""The /_simulator/ admin endpoint: a test tool, outside the connector API.

Not subject to token auth: it exists for tests, the tour and benchmarks,
which must be able to inspect and steer the simulator whatever the auth
mode. JSON in and out; errors are ``{"error": "..."}`` with a 4xx status.

=======  ====================================  ===========================
Method   Path                                  What
=======  ====================================  ===========================
GET      /_simulator/counters                  traffic counters
POST     /_simulator/reset                     counters; body
                                               ``{"faults": true,
                                               "latency": true,
                                               "state": true}`` also
                                               clears those
GET      /_simulator/faults                    ``{"faults": [rule...]}``
POST     /_simulator/faults                    add rule(s): an object, a
                                               list, or ``{"rule":
                                               "API:ACTION,k=v"}``
DELETE   /_simulator/faults                    remove all rules
DELETE   /_simulator/faults/<id>               remove one rule
GET      /_simulator/latency                   ``{"latency": {api: spec}}``
POST     /_simulator/latency                   ``{"api": spec, ...}``
DELETE   /_simulator/latency                   no added latency
GET      /_simulator/inventory                 Inventory.inventory()
GET      /_simulator/guests/<userid>           Inventory.guest_record()
POST     /_simulator/guests/<userid>/vanish    Inventory.vanish_guest();
                                               body ``{"keep_db": false}``
                                               removes the DB row too
POST     /_simulator/guests/<userid>/power_off Inventory.power_off_behind()
POST     /_simulator/guests/<userid>/          its Linux ignores shutdown
         ignore_shutdown                       (Inventory.set_ignores_
                                               shutdown); body
                                               ``{"ignore": false}``
                                               undoes it
=======  ====================================  ===========================
"""

import json
import logging

from zvmsdk import exception

from nova_zvm.simulator import faults

LOG = logging.getLogger(__name__)

_REASONS = {200: 'OK', 201: 'Created', 400: 'Bad Request',
            404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
            500: 'Internal Server Error', 503: 'Service Unavailable'}


class AdminError(Exception):
    def __init__(self, code, message):
        super(AdminError, self).__init__(message)
        self.code = code


def json_app(code, payload):
    """A WSGI app answering one JSON document."""
    data = json.dumps(payload, default=str).encode()

    def app(environ, start_response):
        start_response('%d %s' % (code, _REASONS.get(code, 'Error')),
                       [('Content-Type', 'application/json'),
                        ('Content-Length', str(len(data)))])
        return [data]
    return app


def _read_json(environ, default=None):
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        length = 0
    raw = environ['wsgi.input'].read(length) if length else b''
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as e:
        raise AdminError(400, 'request body is not JSON: %s' % e)


def _admin_call(func, *args):
    """A connector admin helper; its failures become 404/400/409 answers."""
    try:
        result = func(*args)
    except exception.SDKBaseException as e:
        rc = (e.results or {}).get('overallRC')
        raise AdminError(rc if rc in (400, 404, 409) else 500,
                         e.format_message())
    except KeyError as e:
        raise AdminError(404, 'not found: %s' % e)
    except ValueError as e:
        raise AdminError(400, str(e))
    return result


class AdminApp(object):
    """Dispatches /_simulator/... on the Simulator's parts."""

    def __init__(self, sim):
        self.sim = sim

    def __call__(self, environ, start_response):
        method = environ['REQUEST_METHOD']
        parts = [p for p in environ['PATH_INFO'].split('/') if p][1:]
        try:
            code, payload = self._dispatch(method, parts, environ)
        except AdminError as e:
            code, payload = e.code, {'error': str(e)}
        except Exception as e:
            LOG.exception('admin request %s %s failed', method,
                          environ['PATH_INFO'])
            code, payload = 500, {'error': '%s: %s' % (type(e).__name__, e)}
        return json_app(code, payload)(environ, start_response)

    def _dispatch(self, method, parts, environ):
        name = parts[0] if parts else ''
        handler = getattr(self, '_%s' % name, None) if name.isidentifier() \
            else None
        if handler is None:
            raise AdminError(404, 'no admin route /_simulator/%s'
                             % '/'.join(parts))
        return handler(method, parts[1:], environ)

    @staticmethod
    def _only(method, allowed):
        if method not in allowed:
            raise AdminError(405, 'use %s' % ' or '.join(allowed))

    def _counters(self, method, rest, environ):
        self._only(method, ('GET',))
        counters = self.sim.counters.to_dict()
        counters['faults_injected'] = dict(self.sim.faults.injected)
        return 200, counters

    def _reset(self, method, rest, environ):
        self._only(method, ('POST',))
        body = _read_json(environ, {}) or {}
        if not isinstance(body, dict):
            raise AdminError(400, 'reset takes a JSON object')
        self.sim.counters.reset()
        self.sim.faults.reset_counts()
        done = ['counters']
        if body.get('faults'):
            self.sim.faults.clear()
            done.append('faults')
        if body.get('latency'):
            self.sim.latency.clear()
            done.append('latency')
        if body.get('state'):
            _admin_call(self.sim.connector.reset_state)
            done.append('state')
        return 200, {'reset': done}

    def _faults(self, method, rest, environ):
        registry = self.sim.faults
        if rest:
            self._only(method, ('DELETE',))
            try:
                rule_id = int(rest[0])
            except ValueError:
                raise AdminError(404, 'no fault rule %s' % rest[0])
            if not registry.remove(rule_id):
                raise AdminError(404, 'no fault rule %s' % rule_id)
            return 200, {'faults': registry.list()}
        self._only(method, ('GET', 'POST', 'DELETE'))
        if method == 'GET':
            return 200, {'faults': registry.list()}
        if method == 'DELETE':
            registry.clear()
            return 200, {'faults': []}
        body = _read_json(environ)
        if isinstance(body, dict) and set(body) == {'rule'}:
            body = body['rule']
        try:
            rules = faults.parse_rules(body)
        except faults.InvalidRule as e:
            raise AdminError(400, str(e))
        registry.add(rules)
        return 201, {'faults': [r.to_dict() for r in rules]}

    def _latency(self, method, rest, environ):
        self._only(method, ('GET', 'POST', 'DELETE'))
        latency = self.sim.latency
        if method == 'DELETE':
            latency.clear()
        elif method == 'POST':
            body = _read_json(environ)
            if not isinstance(body, dict):
                raise AdminError(400, 'latency takes {"api": "spec", ...}')
            try:
                specs = {api: faults.Latency.parse_spec(str(spec))
                         for api, spec in body.items()}
            except faults.InvalidRule as e:
                raise AdminError(400, str(e))
            for api, spec in specs.items():
                latency.set(api, spec)
        return 200, {'latency': latency.to_dict()}

    def _inventory(self, method, rest, environ):
        self._only(method, ('GET',))
        return 200, _admin_call(self.sim.connector.inventory)

    def _guests(self, method, rest, environ):
        if not rest or len(rest) > 2:
            raise AdminError(404, 'use /_simulator/guests/<userid>[/vanish'
                             '|/power_off|/ignore_shutdown]')
        userid = rest[0].upper()
        connector = self.sim.connector
        if len(rest) == 1:
            self._only(method, ('GET',))
            record = _admin_call(connector.guest_record, userid)
            if record is None:
                raise AdminError(404, 'guest %s not found' % userid)
            return 200, record
        self._only(method, ('POST',))
        body = _read_json(environ, {}) or {}
        if rest[1] == 'vanish':
            # keep_db false: gone from the connector's database too.
            result = _admin_call(connector.vanish_guest, userid,
                                 bool(body.get('keep_db', True)))
        elif rest[1] == 'power_off':
            result = _admin_call(connector.power_off_behind, userid)
        elif rest[1] == 'ignore_shutdown':
            if not hasattr(connector, 'set_ignores_shutdown'):
                raise AdminError(404, 'this backend has no guest OS to '
                                 'ignore a shutdown')
            result = _admin_call(connector.set_ignores_shutdown, userid,
                                 bool(body.get('ignore', True)))
        else:
            raise AdminError(404, 'unknown guest action %s' % rest[1])
        return 200, {'userid': userid, 'action': rest[1],
                     'result': result}
