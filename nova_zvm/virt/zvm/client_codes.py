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

"""The answers the connector client makes up itself.

When a call fails on this side (bad arguments, no answer, a refused token,
a TLS or URL misconfiguration) the client raises the same exceptions as for
the connector's own answers, with codes in the style of zvmconnector's
client: ``overallRC`` 101, ``modID`` 110 and one ``rs`` per kind of failure.
"""

from nova_zvm.virt.zvm import exception as zvm_exc

# Codes of failures found on this side (as zvmconnector's own client).
CLIENT = {'overallRC': 101, 'modID': 110, 'rc': 101}
RS_REQUEST, RS_TOKEN_MISSING, RS_UNEXPECTED, RS_TOKEN_UNREADABLE = 1, 2, 3, 4
# Ours, beyond zvmconnector's: the connector refused this host's
# configuration (TLS verification, scheme, admin token): never retried.
RS_CONFIG = 5
BUSY = {'overallRC': 503, 'modID': 110, 'rc': 503}

# The connector's REST layer (zvmsdk.sdkwsgi).
SDKWSGI_MODID = 120


def result(codes, rs, errmsg):
    """An answer dict as the connector's, for a failure found here."""
    return dict(codes, rs=rs, errmsg=errmsg, output='')


def excerpt(text, limit=200):
    """The start of an unexpected HTTP body, on one line, for a message."""
    return ' '.join((text or '').split())[:limit]


def config_error(api_name, option, reason):
    """The error naming the option of this host the connector refused."""
    return zvm_exc.ConnectorConfigError(
        api_name, result(CLIENT, RS_CONFIG, reason), option=option)
