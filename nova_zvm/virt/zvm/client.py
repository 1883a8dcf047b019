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

"""The z/VM Cloud Connector client: the only module that speaks HTTP.

URL, method and body of each API come from zvmconnector's request builders
(``restclient.DATABASE``, used by ``client_request.py``); the sending is
ours, because zvmconnector 1.6.3's ``RESTClient.call`` opens a connection
per request, fetches a token before every call, has no timeout and updates
module-global dicts in place.

Here: one pooled keep-alive session, a cached token renewed only on 401
(``client_token.py``), connect/read timeouts, bounded retries of idempotent
calls only, and the mapping of HTTP failures (no answer, TLS, 401, 503) to
the exceptions of ``exception.py`` (codes of ``client_codes.py``).

``file_import`` and ``file_export`` (octet-stream bodies) are not supported:
the driver hands files to the connector by ``file://`` path on the shared
compute host (see the architecture guide).
"""

import threading
import time

from nova import exception
from nova.i18n import _
from oslo_log import log as logging
import requests
from requests import adapters
import urllib3

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import client_codes as codes
from nova_zvm.virt.zvm import client_request
from nova_zvm.virt.zvm import client_token
from nova_zvm.virt.zvm import exception as zvm_exc

LOG = logging.getLogger(__name__)

# Enough for nova-compute's concurrent operations; the connector itself runs
# at most 20 deploys/captures at once.
POOL_SIZE = 20

# How OpenSSL words the TLS failures that are configuration, not outage.
TLS_UNVERIFIED = ('CERTIFICATE_VERIFY_FAILED', 'certificate verify failed')
TLS_NOT_SPOKEN = ('WRONG_VERSION_NUMBER', 'wrong version number',
                  'record layer failure', 'packet length too long')


class _Unauthorized(Exception):
    """The connector refused the token (HTTP 401); carries the answer."""

    def __init__(self, result):
        super(_Unauthorized, self).__init__()
        self.result = result


def _never_connected(err):
    """True when a requests error means no connection was established."""
    if isinstance(err, requests.exceptions.ConnectTimeout):
        return True
    cause = err.args[0] if err.args else None
    reason = getattr(cause, 'reason', cause)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class ConnectorClient(object):
    """A thread-safe client of one z/VM Cloud Connector."""

    def __init__(self, url, ca_file=None, token_file=None,
                 connect_timeout=10.0, read_timeout=300.0,
                 long_read_timeout=3600.0, retry_attempts=3,
                 retry_interval=1.0, retry_max_interval=10.0,
                 busy_retry_timeout=600.0):
        if not url:
            raise exception.InvalidConfiguration(message=_(
                "The z/VM Cloud Connector URL is not set ([zvm] "
                "cloud_connector_url)."))
        self.url = url.rstrip('/')
        self.ca_file = ca_file
        self.token_file = token_file
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.long_read_timeout = long_read_timeout
        self.retry_attempts = retry_attempts
        self.retry_interval = retry_interval
        self.retry_max_interval = retry_max_interval
        self.busy_retry_timeout = busy_retry_timeout
        self.stats = {'requests': 0, 'token_requests': 0, 'retries': 0}
        self._stats_lock = threading.Lock()
        self._tokens = client_token.Tokens(token_file, self._post_token)
        self._sleep = time.sleep  # between retries; tests replace it
        self._session = requests.Session()
        # Our own retries only: urllib3 must not resend non-idempotent calls.
        adapter = adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        self._session.mount('http://', adapter)
        self._session.mount('https://', adapter)
        # Ignored for http://; for https:// the CA file or the system CAs.
        # Passed with each request: requests lets REQUESTS_CA_BUNDLE in the
        # environment override a Session's own verify.
        self._verify = ca_file or True

    @classmethod
    def from_conf(cls, conf):
        zvm = conf.zvm
        return cls(zvm.cloud_connector_url, ca_file=zvm.ca_file,
                   token_file=zvm.connector_token_file,
                   connect_timeout=zvm.connect_timeout,
                   read_timeout=zvm.read_timeout,
                   long_read_timeout=zvm.long_read_timeout,
                   retry_attempts=zvm.retry_attempts,
                   retry_interval=zvm.retry_interval,
                   retry_max_interval=zvm.retry_max_interval,
                   busy_retry_timeout=zvm.busy_retry_timeout)

    def close(self):
        self._session.close()

    def call(self, api_name, *args, **kwargs):
        """Call an SDKAPI function; returns the ``output`` of its answer."""
        method, path, body = client_request.build(api_name, args, kwargs)
        timeout = (self.connect_timeout, client_request.read_timeout(
            api_name, kwargs, self.read_timeout, self.long_read_timeout))
        attempt = 0
        waited = 0.0
        while True:
            try:
                result = self._send_authorized(api_name, method, path, body,
                                               timeout)
            except (zvm_exc.ConnectorUnreachable,
                    zvm_exc.ConnectorBusy) as err:
                delay = min(self.retry_interval * 2 ** attempt,
                            self.retry_max_interval)
                # Any call may be sent again when the connector surely did
                # not run it; others only when running them twice is safe.
                if ((api_name not in client_request.IDEMPOTENT_APIS and
                        not getattr(err, 'not_executed', False)) or
                        not self._may_retry(err, attempt, waited, delay)):
                    raise
                attempt += 1
                waited += delay
                self._count('retries')
                LOG.debug("Retrying z/VM Cloud Connector call %(api)s in "
                          "%(delay).1f s (retry %(n)d of %(max)d)",
                          {'api': api_name, 'delay': delay, 'n': attempt,
                           'max': self.retry_attempts})
                self._sleep(delay)
                continue
            if result.get('overallRC') == 0:
                return result.get('output')
            raise zvm_exc.from_result(api_name, result, args, kwargs)

    def _may_retry(self, err, attempt, waited, delay):
        if (isinstance(err, zvm_exc.ConnectorBusy) and
                getattr(err, 'not_executed', False) and
                self.busy_retry_timeout > 0):
            # Over the deploy/capture limit: a slot frees when another
            # deploy ends, which takes minutes, not retry_attempts tries.
            return waited + delay <= self.busy_retry_timeout
        return attempt < self.retry_attempts

    # -- sending -------------------------------------------------------------

    def _send_authorized(self, api_name, method, path, body, timeout):
        if not self.token_file:
            try:
                return self._send(api_name, method, path, body, timeout, None)
            except _Unauthorized:
                raise codes.config_error(
                    api_name, '[zvm] connector_token_file', _(
                        "the connector answered HTTP 401: it requires a "
                        "token, and no admin token file is set"))
        token = self._tokens.get(api_name)
        try:
            return self._send(api_name, method, path, body, timeout, token)
        except _Unauthorized:
            # Expired or revoked: 401 is answered before the call runs, so
            # sending it once more is safe for any call.
            token = self._tokens.renew(token, api_name)
        try:
            return self._send(api_name, method, path, body, timeout, token)
        except _Unauthorized as err:
            return err.result

    def _send(self, api_name, method, path, body, timeout, token):
        headers = {'Content-Type': 'application/json'}
        if token:
            headers['X-Auth-Token'] = token
        resp = self._http(api_name, method, path, body, headers, timeout)
        result = self._json(resp)
        if resp.status_code == 401 or (
                result and result.get('overallRC') == 400 and
                result.get('rs') == 401):
            raise _Unauthorized(result or codes.result(
                dict(codes.CLIENT, rc=401), codes.RS_UNEXPECTED,
                _("HTTP 401: %s") % codes.excerpt(resp.text)))
        if result is None:
            detail = _("unexpected answer to %(method)s %(path)s: HTTP "
                       "%(status)s: %(text)s") % {
                'method': method, 'path': path,
                'status': resp.status_code, 'text': codes.excerpt(resp.text)}
            if resp.status_code == 503:
                raise zvm_exc.ConnectorBusy(
                    api_name, codes.result(codes.BUSY, codes.RS_UNEXPECTED,
                                           detail))
            raise zvm_exc.ConnectorError(
                api_name, codes.result(codes.CLIENT, codes.RS_UNEXPECTED,
                                       detail))
        if result.get('overallRC') == 503:
            busy = zvm_exc.ConnectorBusy(api_name, result)
            # The REST layer (modID 120) refuses over its deploy/capture
            # limit before it dispatches the call.
            busy.not_executed = result.get('modID') == codes.SDKWSGI_MODID
            raise busy
        return result

    def _http(self, api_name, method, path, body, headers, timeout,
              counter='requests'):
        """One HTTP request; connection failures become exceptions."""
        self._count(counter)
        start = time.monotonic()
        try:
            resp = self._session.request(method, self.url + path, data=body,
                                         headers=headers, timeout=timeout,
                                         verify=self._verify)
        except requests.exceptions.SSLError as err:
            self._tls_failed(api_name, err)
            raise self._unreachable(api_name, method, path, err, timeout,
                                    start)
        except requests.exceptions.RequestException as err:
            raise self._unreachable(api_name, method, path, err, timeout,
                                    start)
        LOG.debug("z/VM Cloud Connector %(api)s: %(method)s %(path)s -> "
                  "HTTP %(status)s in %(ms).0f ms",
                  {'api': api_name, 'method': method, 'path': path,
                   'status': resp.status_code,
                   'ms': (time.monotonic() - start) * 1000})
        return resp

    def _tls_failed(self, api_name, err):
        """Raise the configuration error a TLS failure means, if any."""
        text = str(err)
        if any(word in text for word in TLS_UNVERIFIED):
            trusted = (_("the CA certificate in %s") % self.ca_file
                       if self.ca_file else _("the system's CA certificates"))
            raise codes.config_error(api_name, '[zvm] ca_file', _(
                "the certificate of %(url)s does not verify against "
                "%(trusted)s; set [zvm] ca_file to the PEM certificate of "
                "the CA that signed the connector's certificate") % {
                'url': self.url, 'trusted': trusted})
        if any(word in text for word in TLS_NOT_SPOKEN):
            raise codes.config_error(api_name, '[zvm] cloud_connector_url', _(
                "%s is https:// but the connector does not answer with TLS "
                "there; use http:// or the connector's https port") %
                self.url)

    def _unreachable(self, api_name, method, path, err, timeout, start):
        """The exception for a request that got no answer."""
        LOG.debug("z/VM Cloud Connector %(api)s: %(method)s %(path)s "
                  "failed after %(ms).0f ms: %(err)s",
                  {'api': api_name, 'method': method, 'path': path,
                   'ms': (time.monotonic() - start) * 1000,
                   'err': type(err).__name__})
        if isinstance(err, requests.exceptions.ReadTimeout):
            reason = _("no answer in %(read).0f s to %(method)s %(path)s;"
                       " the connector may have carried it out") % {
                'read': timeout[1], 'method': method, 'path': path}
        elif isinstance(err, (requests.exceptions.ConnectionError,
                              requests.exceptions.Timeout)):
            # urllib3 wraps the cause in a "Max retries exceeded" error.
            cause = err.args[0] if err.args else err
            reason = _("cannot reach %(url)s: %(err)s") % {
                'url': self.url, 'err': getattr(cause, 'reason', cause)}
        else:
            return zvm_exc.ConnectorError(api_name, codes.result(
                codes.CLIENT, codes.RS_REQUEST, str(err)))
        unreachable = zvm_exc.ConnectorUnreachable(
            api_name, codes.result(codes.CLIENT, codes.RS_REQUEST, reason))
        # No connection was made, so nothing was sent. (A reused
        # keep-alive connection that breaks is not this case: the
        # request may have reached the connector.)
        unreachable.not_executed = _never_connected(err)
        return unreachable

    @staticmethod
    def _json(resp):
        """The connector's answer dict, or None for anything else."""
        try:
            result = resp.json()
        except ValueError:
            return None
        if isinstance(result, dict) and 'overallRC' in result:
            return result
        return None

    def _post_token(self, api_name, headers):
        """POST /token (for client_token.Tokens), counted apart."""
        timeout = (self.connect_timeout, self.read_timeout)
        return self._http(api_name, 'POST', '/token', None, headers,
                          timeout, counter='token_requests')

    def _count(self, name):
        with self._stats_lock:
            self.stats[name] += 1
