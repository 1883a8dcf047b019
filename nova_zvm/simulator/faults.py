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

"""Fault rules and latency of the simulator.

A rule names an API (an sdkserver API name such as ``guest_deploy``, ``all``
for every sdkserver call, or ``token`` for ``POST /token``), an action and
when it fires:

* ``times`` N: fire on the next N matching calls, then the rule expires
  (no ``times``: fire forever);
* ``skip`` N: let the first N matching calls through before the rule
  applies (e.g. to fail the 'move' of a live migration, not its 'test');
* ``probability`` P with ``seed`` S: fire on a fraction P of the matching
  calls, drawn from a generator of its own so a run is reproducible.

Actions: ``sdk_error`` (an answer with the given ``overallRC``, ``modID``,
``rc``, ``rs``, ``errmsg``), ``busy`` (overallRC 503 modID 120, the
connector's deploy/capture limit), ``http500`` (``body`` ``text`` or
``json``), ``drop`` (the HTTP connection is closed without an answer),
``hang`` (sleep ``seconds`` then answer normally), ``vanish`` and
``power_off`` (the guest, ``userid`` or the call's first argument, vanishes
or is powered off behind Nova's back, ``when`` ``before`` or ``after`` the
call; a vanished guest stays in the connector's database unless
``keep_db`` is false).

A rule can also fail the fake z/VM under the real connector (the SMT
seam): action ``zvm_error`` with ``api`` an SMAPI API name
(``Image_Activate``), ``smcli`` (every SMAPI API) or a z/VM program
(``vmur``, ``vmcp``, ``unpackdiskimage``...). The SMAPI API answers smcli's
failure header ``8 rc rs`` with the given ``rc`` and ``rs`` (default 0),
a program exits with ``rc``; ``output`` is the text either prints. The
connector's own code (smtLayer, smtclient) then makes of it what it makes
of that failure on real z/VM.

Rules are JSON objects (the admin endpoint) or the compact form
``API:ACTION[,key=value...]`` (the command line), e.g.
``guest_deploy:busy,times=2`` or ``all:sdk_error,probability=0.1,seed=7,
overallRC=300,modID=10,rc=300,rs=1``.
"""

import json
import random
import threading

ACTIONS = ('sdk_error', 'busy', 'http500', 'drop', 'hang', 'vanish',
           'power_off', 'zvm_error')
# Actions answered by the HTTP layer: the sdkserver has no way to drop the
# client's HTTP connection or to make the web server itself fail.
HTTP_ACTIONS = ('http500', 'drop')
GUEST_ACTIONS = ('vanish', 'power_off')
# Actions at the SMT seam: the fake z/VM applies them (zvm/system.py).
ZVM_ACTIONS = ('zvm_error',)
CONNECTOR = 'connector'
ZVM = 'zvm'
ALL = 'all'
TOKEN = 'token'

# The keys a rule may carry beyond api/action, with their types.
_PARAMS = {
    'times': int,
    'skip': int,
    'probability': float,
    'seed': int,
    'overallRC': int,
    'modID': int,
    'rc': int,
    'rs': int,
    'errmsg': str,
    'seconds': float,
    'body': str,
    'execute': bool,
    'userid': str,
    'when': str,
    'keep_db': bool,
    'output': str,
}

BUSY_MESSAGE = ("Max concurrent deploy/capture requests received, request "
                "is rejected. (nova-zvm-simulator fault rule)")


class InvalidRule(ValueError):
    """A fault rule or latency spec that cannot be used, with the reason."""


def _to_bool(value):
    if isinstance(value, bool):
        return value
    if str(value).lower() in ('1', 'true', 'yes', 'on'):
        return True
    if str(value).lower() in ('0', 'false', 'no', 'off'):
        return False
    raise ValueError(value)


def _convert(key, value):
    kind = _PARAMS[key]
    try:
        if kind is bool:
            return _to_bool(value)
        if kind is int and isinstance(value, (bool, float)):
            raise ValueError(value)
        return kind(value)
    except (TypeError, ValueError):
        raise InvalidRule('%s must be of type %s, not %r'
                          % (key, kind.__name__, value))


class FaultRule(object):
    """One rule; thread safety is the registry's job."""

    def __init__(self, api, action, **params):
        if not api or not isinstance(api, str):
            raise InvalidRule('a fault rule needs an api name')
        if action not in ACTIONS:
            raise InvalidRule('unknown fault action %r (one of %s)'
                              % (action, ', '.join(ACTIONS)))
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise InvalidRule('unknown fault rule key(s): %s'
                              % ', '.join(unknown))
        self.id = None
        self.api = api
        self.action = action
        self.params = {k: _convert(k, v) for k, v in params.items()
                       if v is not None}
        self.times = self.params.get('times')
        self.probability = self.params.get('probability', 1.0)
        self.seed = self.params.get('seed')
        self.hits = 0
        self.skip = self.params.get('skip', 0)
        self._validate()
        self._rng = random.Random(self.seed)

    def _validate(self):
        p = self.params
        if self.times is not None and self.times < 1:
            raise InvalidRule('times must be at least 1')
        if self.params.get('skip', 0) < 0:
            raise InvalidRule('skip must not be negative')
        if not 0.0 <= self.probability <= 1.0:
            raise InvalidRule('probability must be between 0 and 1')
        if self.action == 'sdk_error':
            for key in ('overallRC', 'modID', 'rc', 'rs'):
                if key not in p:
                    raise InvalidRule('sdk_error needs overallRC, modID, '
                                      'rc and rs')
            if p['overallRC'] == 0:
                raise InvalidRule('sdk_error needs a non-zero overallRC')
        if self.action == 'hang' and p.get('seconds', 0) <= 0:
            raise InvalidRule('hang needs seconds > 0')
        if p.get('body', 'text') not in ('text', 'json'):
            raise InvalidRule("body must be 'text' or 'json'")
        if p.get('when', 'after') not in ('before', 'after'):
            raise InvalidRule("when must be 'before' or 'after'")
        if self.action in ZVM_ACTIONS:
            if 'rc' not in p:
                raise InvalidRule('zvm_error needs rc (the SMAPI return '
                                  'code or the exit code of the program)')
            if p['rc'] == 0:
                raise InvalidRule('zvm_error needs a non-zero rc')
            if self.api in (ALL, TOKEN):
                raise InvalidRule('zvm_error needs an SMAPI API or z/VM '
                                  'program name (smcli: every SMAPI API)')
        if self.api == TOKEN and self.action in GUEST_ACTIONS:
            raise InvalidRule('%s needs a guest API, not token'
                              % self.action)

    @property
    def seam(self):
        return ZVM if self.action in ZVM_ACTIONS else CONNECTOR

    def matches(self, api, seam=CONNECTOR):
        if self.seam != seam:
            return False
        if self.api == api:
            return True
        # 'all' means every connector API call, never POST /token: a rule
        # meant for the API must not also break authentication.
        return self.api == ALL and api != TOKEN

    def draw(self):
        """Whether the rule fires for one matching call."""
        if self.probability >= 1.0:
            return True
        return self._rng.random() < self.probability

    def get(self, key, default=None):
        return self.params.get(key, default)

    def to_dict(self):
        d = {'id': self.id, 'api': self.api, 'action': self.action,
             'hits': self.hits}
        d.update(self.params)
        if self.times is not None:
            d['remaining'] = self.times - self.hits
        return d


def _parse_compact(text):
    head, _sep, rest = text.partition(',')
    api, sep, action = head.partition(':')
    if not sep:
        raise InvalidRule('fault rule %r: expected API:ACTION[,key=value...]'
                          % text)
    params = {}
    for item in filter(None, (s.strip() for s in rest.split(','))):
        key, sep, value = item.partition('=')
        if not sep:
            raise InvalidRule('fault rule %r: %r is not key=value'
                              % (text, item))
        params[key.strip()] = value.strip()
    return api.strip(), action.strip(), params


def parse_rules(value):
    """FaultRules from a dict, a list of dicts, JSON text or compact text."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ('{', '['):
            try:
                value = json.loads(text)
            except ValueError as e:
                raise InvalidRule('fault rule is not valid JSON: %s' % e)
        else:
            api, action, params = _parse_compact(text)
            return [FaultRule(api, action, **params)]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidRule('a fault rule is an object, a list of objects or '
                          'API:ACTION[,key=value...]')
    rules = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidRule('a fault rule must be a JSON object')
        item = dict(item)
        item.pop('id', None)
        item.pop('hits', None)
        item.pop('remaining', None)
        rules.append(FaultRule(item.pop('api', None),
                               item.pop('action', None), **item))
    return rules


class FaultRegistry(object):
    """The active rules, consulted once per call; first firing rule wins."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next_id = 1
        self.injected = {}

    def add(self, rules):
        with self._lock:
            for rule in rules:
                rule.id = self._next_id
                self._next_id += 1
                self._rules.append(rule)
        return rules

    def remove(self, rule_id):
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    self._rules.remove(rule)
                    return True
        return False

    def clear(self):
        with self._lock:
            self._rules = []

    def reset_counts(self):
        with self._lock:
            self.injected = {}

    def list(self):
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def decide(self, api, seam=CONNECTOR):
        """The rule that fires for this call, or None.

        ``seam`` is CONNECTOR for an sdkserver API (or the token request),
        ZVM for an SMAPI API or program of the fake z/VM.
        O(number of rules), never O(guests): the check runs on every call.
        """
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(api, seam):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                if rule.draw():
                    rule.hits += 1
                    if rule.times is not None and rule.hits >= rule.times:
                        self._rules.remove(rule)
                    key = '%s:%s' % (api, rule.action)
                    self.injected[key] = self.injected.get(key, 0) + 1
                    return rule
        return None


class Latency(object):
    """Added delay per API name: fixed or drawn from a distribution.

    Specs: ``0.05`` (seconds), ``uniform:LOW:HIGH``, ``normal:MEAN:SD``
    (negative draws count as 0). A name's own spec wins over ``all``.
    """

    def __init__(self, seed=None):
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._specs = {}

    @staticmethod
    def parse(text):
        """('api', sampler spec tuple) from 'API=SPEC'."""
        api, sep, spec = text.partition('=')
        api, spec = api.strip(), spec.strip()
        if not sep or not api or not spec:
            raise InvalidRule('latency %r: expected API=SPEC, e.g. '
                              'all=0.05 or guest_deploy=uniform:0.5:2'
                              % text)
        return api, Latency.parse_spec(spec)

    @staticmethod
    def parse_spec(spec):
        parts = spec.split(':')
        try:
            values = [float(p) for p in parts[1:]]
            if len(parts) == 1:
                values = [float(parts[0])]
                kind = 'fixed'
            else:
                kind = parts[0]
        except ValueError:
            raise InvalidRule('latency %r: numbers expected' % spec)
        if kind == 'fixed' and values[0] >= 0:
            return ('fixed', values[0])
        if kind == 'uniform' and len(values) == 2 and \
                0 <= values[0] <= values[1]:
            return ('uniform', values[0], values[1])
        if kind == 'normal' and len(values) == 2 and values[1] >= 0:
            return ('normal', values[0], values[1])
        raise InvalidRule('latency %r: use SECONDS, uniform:LOW:HIGH or '
                          'normal:MEAN:SD with non-negative values' % spec)

    def set(self, api, spec):
        with self._lock:
            self._specs[api] = spec

    def clear(self):
        with self._lock:
            self._specs = {}

    def to_dict(self):
        with self._lock:
            return {api: ':'.join(str(v) for v in spec)
                    for api, spec in self._specs.items()}

    def delay(self, api):
        """Seconds to sleep before answering this call."""
        spec = self._specs.get(api) or self._specs.get(ALL)
        if spec is None:
            return 0.0
        if spec[0] == 'fixed':
            return spec[1]
        with self._lock:
            if spec[0] == 'uniform':
                return self._rng.uniform(spec[1], spec[2])
            return max(0.0, self._rng.gauss(spec[1], spec[2]))
