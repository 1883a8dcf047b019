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

"""Exceptions of the z/VM driver and its single exception boundary.

Every exception raised for a connector answer keeps that answer's codes as
attributes (``api``, ``overallRC``, ``modID``, ``rc``, ``rs``, ``errmsg``),
so callers decide on codes, never on message text. Failures detected by the
client itself use the codes of the zvmconnector client: overallRC 101 and
modID 110 (rs 1 request failed or refused, 2 token file missing, 3 unexpected
answer, 4 token file unreadable).

Messages are always passed to Nova's exceptions as ``message=``: a connector
``errmsg`` may contain ``%`` or braces, which must never reach Nova's
``msg_fmt % kwargs`` formatting.
"""

import functools

from nova import exception
from nova.i18n import _
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

CODES = ('overallRC', 'modID', 'rc', 'rs')
MODID_GUEST = 10
MODID_IMAGE = 40

# Position of the image name among the arguments of the APIs that name one
# (SDKAPI signatures); image_query names it by keyword instead.
IMAGE_ARG = {'guest_deploy': 1, 'guest_capture': 1}


def describe(api, result):
    """One line naming the call, the connector's message and its codes."""
    result = result or {}
    codes = ', '.join('%s %s' % (key, result.get(key)) for key in CODES)
    return _("z/VM Cloud Connector call %(api)s failed: %(errmsg)s "
             "(%(codes)s)") % {'api': api,
                               'errmsg': result.get('errmsg') or '',
                               'codes': codes}


def _keep(exc, api, result):
    result = result or {}
    exc.api = api
    exc.overallRC = result.get('overallRC')
    exc.modID = result.get('modID')
    exc.rc = result.get('rc')
    exc.rs = result.get('rs')
    exc.errmsg = result.get('errmsg')


class ConnectorError(exception.ZVMConnectorError):
    """Any failed connector call; the base of the client's failures."""

    def __init__(self, api=None, result=None, message=None):
        result = dict(result or {})
        super(ConnectorError, self).__init__(
            message=message or describe(api, result), results=result)
        _keep(self, api, result)


class ConnectorUnreachable(ConnectorError):
    """Connection refused or reset, or no answer in time (after retries)."""


class ConnectorConfigError(ConnectorError):
    """The connector cannot be used as this host is configured.

    A TLS certificate that does not verify, https spoken to a plain-http
    connector, an admin token the connector refuses: retrying cannot help,
    the operator must change ``option`` (``[zvm] ca_file``, for example).
    """

    def __init__(self, api=None, result=None, option=None):
        result = dict(result or {})
        super(ConnectorConfigError, self).__init__(
            api, result, message=_(
                "z/VM driver: the connector is unusable with this "
                "configuration, check %(option)s: %(detail)s") % {
                'option': option, 'detail': result.get('errmsg') or ''})
        self.option = option


class ConnectorBusy(ConnectorError):
    """The connector answered 503 "busy" (after the retries allowed)."""


class RequestTooLarge(ConnectorError):
    """Refused before sending: the sdkserver would truncate it."""


class GuestNotFound(exception.InstanceNotFound):
    """overallRC 404 from the guest module: no such z/VM guest."""

    def __init__(self, userid, api=None, result=None):
        result = dict(result or {})
        super(GuestNotFound, self).__init__(
            message=_("z/VM guest %(userid)s could not be found: "
                      "%(detail)s") % {'userid': userid,
                                       'detail': describe(api, result)},
            instance_id=userid)
        _keep(self, api, result)
        self.userid = userid


class ImageNotFound(exception.ImageNotFound):
    """overallRC 404 from the image module: no such image in the repo."""

    def __init__(self, name, api=None, result=None):
        result = dict(result or {})
        super(ImageNotFound, self).__init__(
            message=_("Image %(name)s could not be found in the z/VM Cloud "
                      "Connector's repository: %(detail)s") % {
                'name': name, 'detail': describe(api, result)},
            image_id=name)
        _keep(self, api, result)
        self.name = name


def _arg(args, index):
    value = args[index] if len(args) > index else None
    # Only a name identifies a guest or image; never echo a dict argument.
    return value if isinstance(value, str) else None


def from_result(api_name, result, args=(), kwargs=None):
    """The exception for a failed connector answer (non-zero overallRC)."""
    args = tuple(args or ())
    overall, mod = result.get('overallRC'), result.get('modID')
    if overall == 404 and mod == MODID_GUEST:
        userid = _arg(args, 0) or (kwargs or {}).get('userid') or '?'
        return GuestNotFound(userid, api_name, result)
    if overall == 404 and mod == MODID_IMAGE:
        name = (_arg(args, IMAGE_ARG.get(api_name, 0)) or
                (kwargs or {}).get('imagename') or '?')
        return ImageNotFound(name, api_name, result)
    if overall == 503:
        return ConnectorBusy(api_name, result)
    return ConnectorError(api_name, result)


def translate(func):
    """The driver's exception boundary, on each public driver method.

    Nova exceptions (ours included) and NotImplementedError reach Nova
    unchanged: Nova acts on their types. Anything else is a bug or an
    unforeseen failure: it is logged once with its traceback and becomes a
    NovaException that keeps the original message.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (exception.NovaException, NotImplementedError):
            raise
        except Exception as err:
            LOG.exception("Unexpected error in z/VM driver method %s",
                          func.__name__)
            message = str(err) or type(err).__name__
            raise exception.NovaException(message=message) from err
    return wrapper
