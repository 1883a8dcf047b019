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

"""The connector token of one client: fetched, cached, renewed on 401.

The admin token is read from ``[zvm] connector_token_file`` at each renewal
(the file may be rotated) and sent only in ``POST /token``; the token the
connector answers with is kept and sent with every call until the connector
answers 401. Concurrent callers that see the same stale token share one
renewal. Neither token ever reaches a log.
"""

import threading

from nova.i18n import _

from nova_zvm.virt.zvm import client_codes as codes
from nova_zvm.virt.zvm import exception as zvm_exc


class Tokens(object):
    """The token cache of one ``ConnectorClient``.

    :param token_file: the admin token file
    :param post_token: ``post_token(api_name, headers)`` sends ``POST
        /token`` with ``headers`` and returns the HTTP response (the client
        sends it, counted apart from the calls)
    """

    def __init__(self, token_file, post_token):
        self.token_file = token_file
        self._post_token = post_token
        self._token = None
        self._lock = threading.Lock()

    def get(self, api_name):
        """The cached token, fetched first if there is none."""
        return self._token or self.renew(None, api_name)

    def renew(self, stale, api_name):
        """A token other than ``stale``; one fetch for concurrent callers."""
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            self._token = None
            headers = {'Content-Type': 'application/json',
                       'X-Admin-Token': self._admin_token(api_name)}
            resp = self._post_token(api_name, headers)
            token = resp.headers.get('X-Auth-Token')
            if token:
                self._token = token
                return token
            if resp.status_code == 401:
                raise codes.config_error(
                    api_name, '[zvm] connector_token_file', _(
                        "the connector refused the admin token in "
                        "%s (POST /token answered HTTP 401): it is not the "
                        "connector's admin token (rotated?)") %
                    self.token_file)
            detail = _("POST /token answered HTTP %(status)s without a "
                       "token: %(text)s") % {'status': resp.status_code,
                                             'text': codes.excerpt(resp.text)}
            if resp.status_code == 503:
                raise zvm_exc.ConnectorBusy(api_name, codes.result(
                    codes.BUSY, codes.RS_TOKEN_MISSING, detail))
            raise zvm_exc.ConnectorError(api_name, codes.result(
                codes.CLIENT, codes.RS_UNEXPECTED, detail))

    def _admin_token(self, api_name):
        # Read at each renewal: the admin token file may be rotated.
        try:
            with open(self.token_file) as token_file:
                admin_token = token_file.read().strip()
        except FileNotFoundError:
            raise zvm_exc.ConnectorConfigError(api_name, codes.result(
                codes.CLIENT, codes.RS_TOKEN_MISSING,
                _("admin token file %s not found") % self.token_file),
                option='[zvm] connector_token_file')
        except (OSError, UnicodeDecodeError) as err:
            raise zvm_exc.ConnectorError(api_name, codes.result(
                codes.CLIENT, codes.RS_TOKEN_UNREADABLE,
                _("cannot read admin token file %(path)s: %(err)s") %
                {'path': self.token_file,
                 'err': getattr(err, 'strerror', None) or
                 type(err).__name__}))
        if not admin_token:
            raise zvm_exc.ConnectorError(api_name, codes.result(
                codes.CLIENT, codes.RS_TOKEN_UNREADABLE,
                _("admin token file %s is empty") % self.token_file))
        return admin_token
