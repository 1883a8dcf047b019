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

"""The connector's token flow, adapted to PyJWT 2.

zvmsdk 1.6.3's ``zvmsdk.sdkwsgi.handlers.tokens`` was written for PyJWT 1.x:

* ``create`` puts ``jwt.encode(...)`` in the ``X-Auth-Token`` header and
  ``zvmsdk.sdkwsgi.requestlog`` then calls ``.decode('utf-8')`` on it.
  PyJWT 1.x returned bytes; PyJWT 2 returns str, so ``POST /token`` fails
  with an AttributeError (HTTP 500).
* ``validate`` calls ``jwt.decode(token, key)`` without ``algorithms=``,
  which PyJWT 2 rejects, so every token is refused.

Nova needs PyJWT >= 2.4, and the simulator shares Nova's environment. The
adaptation is the smallest that restores the 1.x behaviour: the ``jwt`` name
inside that module (and only there) is replaced by :class:`PyJWT1Adapter`,
whose ``encode`` returns bytes and whose ``decode`` pins HS256. The protocol
is unchanged: the admin token is read from ``token_path`` on every request,
``POST /token`` with ``X-Admin-Token`` answers a JWT (HS256, signed with the
admin token, ``exp`` = now + ``token_validation_period``) in
``X-Auth-Token``, later requests carry it in ``X-Auth-Token``, anything else
gets the real 401 answer (overallRC 400, modID 120, rs 401).

Not adapted, on purpose: with ``auth = none`` the real ``POST /token`` answers
a str placeholder that the same requestlog line cannot decode, so zvmsdk
1.6.3 answers HTTP 500 there. Clients must not ask for a token from a
connector without token auth; the simulator keeps that behaviour.
"""

import os
import secrets

import jwt

from zvmsdk import config
from zvmsdk.sdkwsgi.handlers import tokens

ALGORITHM = 'HS256'
MODES = ('none', 'token')


class PyJWT1Adapter(object):
    """What handlers.tokens expects of the ``jwt`` module (PyJWT 1.x)."""

    ExpiredSignatureError = jwt.ExpiredSignatureError
    DecodeError = jwt.DecodeError
    InvalidTokenError = jwt.InvalidTokenError

    @staticmethod
    def encode(payload, key, algorithm=ALGORITHM, **kwargs):
        token = jwt.encode(payload, key, algorithm=algorithm, **kwargs)
        return token.encode('ascii') if isinstance(token, str) else token

    @staticmethod
    def decode(token, key, algorithms=None, **kwargs):
        return jwt.decode(token, key, algorithms=algorithms or [ALGORITHM],
                          **kwargs)


def install():
    """Point handlers.tokens at the adapter (idempotent)."""
    tokens.jwt = PyJWT1Adapter


def ensure_token_file(path):
    """Create the admin token file (0600, random token) if it is missing.

    An existing file is used as it is: tests and tools share it with the
    client (``RESTClient(token_path=...)``, the driver's token file).
    """
    if os.path.exists(path):
        if not os.path.isfile(path):
            raise ValueError('token file %s is not a file' % path)
        with open(path) as f:
            if not f.read().strip():
                raise ValueError('token file %s is empty' % path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(secrets.token_hex(16) + '\n')


def configure(mode, token_file=None, validation_period=3600):
    """Set the connector's [wsgi] auth options and install the adapter."""
    if mode not in MODES:
        raise ValueError('auth must be one of %s' % ', '.join(MODES))
    if mode == 'token':
        if not token_file:
            raise ValueError('--auth token needs --token-file')
        token_file = os.path.abspath(token_file)
        ensure_token_file(token_file)
    if validation_period is None or int(validation_period) < 1:
        raise ValueError('token validation period must be at least 1 second')
    conf = config.CONF.wsgi
    conf.auth = mode
    if token_file:
        conf.token_path = token_file
    conf.token_validation_period = int(validation_period)
    install()
