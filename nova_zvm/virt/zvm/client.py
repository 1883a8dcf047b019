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
(``restclient.DATABASE``); the sending is ours, because zvmconnector 1.6.3's
``RESTClient.call`` opens a connection per request, fetches a token before
every call, has no timeout and updates module-global dicts in place.

Here: one pooled keep-alive session, a cached token renewed only on 401,
connect/read timeouts, bounded retries of idempotent calls only, and a guard
against requests the sdkserver would truncate (it reads one ``recv(4096)``).

``file_import`` and ``file_export`` (octet-stream bodies) are not supported:
the driver hands files to the connector by ``file://`` path on the shared
compute host (see the architecture guide).
"""

import json
import threading
import time

from nova import exception
from nova.i18n import _
from oslo_log import log as logging
import requests
from requests import adapters
import urllib3
from zvmconnector import restclient

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import exception as zvm_exc

LOG = logging.getLogger(__name__)

# SDKServer.serve_API reads a request with a single recv(4096).
MAX_REQUEST_BYTES = 4096


def request_size(api_name, *args, **kwargs):
    """Bytes the sdkserver reads for this call (its JSON request)."""
    return len(json.dumps([api_name, list(args), kwargs]))


# Enough for nova-compute's concurrent operations; the connector itself runs
# at most 20 deploys/captures at once.
POOL_SIZE = 20

# APIs that copy whole disks or files on the z/VM side.
LONG_APIS = frozenset([
    'guest_deploy', 'guest_capture', 'image_import', 'image_export',
    'guest_live_migrate', 'file_import', 'file_export', 'volume_attach',
    'volume_detach', 'volume_refresh_bootmap',
])

# Calls that may be sent again when the first attempt's fate is unknown
# (connection lost, no answer in time) or it was refused as busy: doing
# them twice leaves z/VM as doing them once. Every GET API of DATABASE is a
# query; get_volume_connector(reserve=True) reuses the FCP devices already
# reserved for the guest. guest_start/stop/softstop tolerate the guest
# already being on/off (SMAPI rs 8, rs 12/16); pause/unpause set a state;
# guest_delete, image_delete and guest_delete_network_interface succeed when
# the object is already gone.
#
# Never repeated: guest_reboot/guest_reset (a second restart), creations
# (guest_create, guest_create_network_interface, guest_create_disks),
# deploy/capture/import/export/live migration, guest_config_minidisks
# (formats disks), guest_delete_disks (a repeat can report an error for the
# disk the lost first attempt removed), volume_attach/volume_detach (FCP
# connection counting in the connector's DB), and guest_get_console_output:
# a POST whose ``vmur receive`` consumes the reader files it returns.
IDEMPOTENT_APIS = frozenset([
    # GET
    'version', 'guest_list', 'guest_inspect_stats', 'guest_inspect_vnics',
    'guests_get_nic_info', 'guest_get_definition_info',
    'guest_get_power_state_real', 'guest_get_info', 'guest_get_user_direct',
    'guest_get_adapters_info', 'guest_get_power_state',
    'get_volume_connector', 'get_fcp_templates', 'get_fcp_templates_details',
    'get_fcp_usage', 'host_get_info', 'host_get_guest_list',
    'host_get_diskpool_volumes', 'host_diskpool_get_info',
    'host_get_volume_info', 'host_get_ssi_info', 'image_query',
    'image_get_root_disk_size', 'vswitch_get_list', 'vswitch_query',
    # state-setting or tolerant of "already done"
    'guest_start', 'guest_stop', 'guest_softstop', 'guest_pause',
    'guest_unpause', 'guest_delete', 'image_delete',
    'guest_delete_network_interface',
])

# file_*: octet-stream, see the module docstring; token_create: the client
# manages tokens itself.
UNSUPPORTED_APIS = frozenset(['file_import', 'file_export', 'token_create'])

# Codes of failures found on this side (as zvmconnector's own client).
CLIENT = {'overallRC': 101, 'modID': 110, 'rc': 101}
RS_REQUEST, RS_TOKEN_MISSING, RS_UNEXPECTED, RS_TOKEN_UNREADABLE = 1, 2, 3, 4
# Ours, beyond zvmconnector's: the connector refused this host's
# configuration (TLS verification, scheme, admin token): never retried.
RS_CONFIG = 5

# How OpenSSL words the TLS failures that are configuration, not outage.
TLS_UNVERIFIED = ('CERTIFICATE_VERIFY_FAILED', 'certificate verify failed')
TLS_NOT_SPOKEN = ('WRONG_VERSION_NUMBER', 'wrong version number',
                  'record layer failure', 'packet length too long')
BUSY = {'overallRC': 503, 'modID': 110, 'rc': 503}


def _result(codes, rs, errmsg):
    return dict(codes, rs=rs, errmsg=errmsg, output='')


def _excerpt(text, limit=200):
    return ' '.join((text or '').split())[:limit]


class _Unauthorized(Exception):
    """The connector refused the token (HTTP 401); carries the answer."""

    def __init__(self, result):
        super(_Unauthorized, self).__init__()
        self.result = result


SDKWSGI_MODID = 120


def _config_error(api_name, option, reason):
    return zvm_exc.ConnectorConfigError(
        api_name, _result(CLIENT, RS_CONFIG, reason), option=option)


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
        self._token = None
        self._token_lock = threading.Lock()
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
        method, path, body = self._build(api_name, args, kwargs)
        timeout = (self.connect_timeout, self._read_timeout(api_name, kwargs))
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
                if ((api_name not in IDEMPOTENT_APIS and
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

    # -- request building ---------------------------------------------------

    def _build(self, api_name, args, kwargs):
        spec = restclient.DATABASE.get(api_name)
        if spec is None or api_name in UNSUPPORTED_APIS:
            raise zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_REQUEST,
                _("API %s is not supported by this client") % api_name))
        # As RESTClient._check_arguments: the builders index args blindly.
        required = spec['args_required']
        most = required + spec.get('args_optional', 0)
        if not required <= len(args) <= most:
            expected = ('%d' % required if most == required
                        else '%d to %d' % (required, most))
            raise zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_REQUEST,
                _("%(api)s takes %(expected)s positional argument(s), "
                  "%(n)d given") % {'api': api_name, 'expected': expected,
                                    'n': len(args)}))
        try:
            size = request_size(api_name, *args, **kwargs)
            # As RESTClient._get_url_body_headers.
            nparams = spec['params_path']
            path, body = spec['request'](nparams, *args, **kwargs)
            if nparams > 0:
                path = path % tuple(args[:nparams])
            data = (json.dumps(body).encode('utf-8') if body is not None
                    else None)
        except (TypeError, ValueError) as err:
            raise zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_REQUEST,
                _("cannot encode the arguments of %(api)s: %(err)s") %
                {'api': api_name, 'err': type(err).__name__}))
        if size > MAX_REQUEST_BYTES:
            raise zvm_exc.RequestTooLarge(api_name, _result(
                CLIENT, RS_REQUEST,
                _("request refused before sending: it is %(size)d bytes, "
                  "the connector reads at most %(limit)d") %
                {'size': size, 'limit': MAX_REQUEST_BYTES}))
        return spec['method'], path, data

    def _read_timeout(self, api_name, kwargs):
        read = (self.long_read_timeout if api_name in LONG_APIS
                else self.read_timeout)
        # The connector itself waits up to ``timeout`` (e.g. for a soft stop).
        waited = kwargs.get('timeout')
        if isinstance(waited, (int, float)) and not isinstance(waited, bool):
            read += max(waited, 0)
        return read

    # -- sending -------------------------------------------------------------

    def _send_authorized(self, api_name, method, path, body, timeout):
        if not self.token_file:
            try:
                return self._send(api_name, method, path, body, timeout, None)
            except _Unauthorized:
                raise _config_error(
                    api_name, '[zvm] connector_token_file', _(
                        "the connector answered HTTP 401: it requires a "
                        "token, and no admin token file is set"))
        token = self._token or self._renew_token(None, api_name)
        try:
            return self._send(api_name, method, path, body, timeout, token)
        except _Unauthorized:
            # Expired or revoked: 401 is answered before the call runs, so
            # sending it once more is safe for any call.
            token = self._renew_token(token, api_name)
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
            raise _Unauthorized(result or _result(
                dict(CLIENT, rc=401), RS_UNEXPECTED, _("HTTP 401: %s") %
                _excerpt(resp.text)))
        if result is None:
            detail = _("unexpected answer to %(method)s %(path)s: HTTP "
                       "%(status)s: %(text)s") % {
                'method': method, 'path': path,
                'status': resp.status_code, 'text': _excerpt(resp.text)}
            if resp.status_code == 503:
                raise zvm_exc.ConnectorBusy(
                    api_name, _result(BUSY, RS_UNEXPECTED, detail))
            raise zvm_exc.ConnectorError(
                api_name, _result(CLIENT, RS_UNEXPECTED, detail))
        if result.get('overallRC') == 503:
            busy = zvm_exc.ConnectorBusy(api_name, result)
            # The REST layer (modID 120) refuses over its deploy/capture
            # limit before it dispatches the call.
            busy.not_executed = result.get('modID') == SDKWSGI_MODID
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
            raise _config_error(api_name, '[zvm] ca_file', _(
                "the certificate of %(url)s does not verify against "
                "%(trusted)s; set [zvm] ca_file to the PEM certificate of "
                "the CA that signed the connector's certificate") % {
                'url': self.url, 'trusted': trusted})
        if any(word in text for word in TLS_NOT_SPOKEN):
            raise _config_error(api_name, '[zvm] cloud_connector_url', _(
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
            return zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_REQUEST, str(err)))
        unreachable = zvm_exc.ConnectorUnreachable(
            api_name, _result(CLIENT, RS_REQUEST, reason))
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

    # -- token ---------------------------------------------------------------

    def _renew_token(self, stale, api_name):
        """A token other than ``stale``; one fetch for concurrent callers."""
        with self._token_lock:
            if self._token is not None and self._token != stale:
                return self._token
            self._token = None
            headers = {'Content-Type': 'application/json',
                       'X-Admin-Token': self._admin_token(api_name)}
            timeout = (self.connect_timeout, self.read_timeout)
            resp = self._http(api_name, 'POST', '/token', None, headers,
                              timeout, counter='token_requests')
            token = resp.headers.get('X-Auth-Token')
            if token:
                self._token = token
                return token
            if resp.status_code == 401:
                raise _config_error(
                    api_name, '[zvm] connector_token_file', _(
                        "the connector refused the admin token in "
                        "%s (POST /token answered HTTP 401): it is not the "
                        "connector's admin token (rotated?)") %
                    self.token_file)
            detail = _("POST /token answered HTTP %(status)s without a "
                       "token: %(text)s") % {'status': resp.status_code,
                                             'text': _excerpt(resp.text)}
            if resp.status_code == 503:
                raise zvm_exc.ConnectorBusy(
                    api_name, _result(BUSY, RS_TOKEN_MISSING, detail))
            raise zvm_exc.ConnectorError(
                api_name, _result(CLIENT, RS_UNEXPECTED, detail))

    def _admin_token(self, api_name):
        # Read at each renewal: the admin token file may be rotated.
        try:
            with open(self.token_file) as token_file:
                admin_token = token_file.read().strip()
        except FileNotFoundError:
            raise zvm_exc.ConnectorConfigError(api_name, _result(
                CLIENT, RS_TOKEN_MISSING,
                _("admin token file %s not found") % self.token_file),
                option='[zvm] connector_token_file')
        except (OSError, UnicodeDecodeError) as err:
            raise zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_TOKEN_UNREADABLE,
                _("cannot read admin token file %(path)s: %(err)s") %
                {'path': self.token_file,
                 'err': getattr(err, 'strerror', None) or
                 type(err).__name__}))
        if not admin_token:
            raise zvm_exc.ConnectorError(api_name, _result(
                CLIENT, RS_TOKEN_UNREADABLE,
                _("admin token file %s is empty") % self.token_file))
        return admin_token

    def _count(self, name):
        with self._stats_lock:
            self.stats[name] += 1
