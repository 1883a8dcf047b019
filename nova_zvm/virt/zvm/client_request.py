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

"""What the connector client sends: each API's request and its limits.

URL, method and body of each API come from zvmconnector's request builders
(``restclient.DATABASE``), checked here as ``RESTClient`` checks them; here
too are the guard against requests the sdkserver would truncate (it reads
one ``recv(4096)``), which calls may be sent again, and which take long.
"""

import json

from nova.i18n import _
from zvmconnector import restclient

from nova_zvm.virt.zvm import client_codes as codes
from nova_zvm.virt.zvm import exception as zvm_exc

# SDKServer.serve_API reads a request with a single recv(4096).
MAX_REQUEST_BYTES = 4096


def request_size(api_name, *args, **kwargs):
    """Bytes the sdkserver reads for this call (its JSON request)."""
    return len(json.dumps([api_name, list(args), kwargs]))


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

# file_*: octet-stream bodies: the driver hands files to the connector by
# ``file://`` path on the shared compute host (see the architecture guide);
# token_create: the client manages tokens itself.
UNSUPPORTED_APIS = frozenset(['file_import', 'file_export', 'token_create'])


def build(api_name, args, kwargs):
    """(method, path, body bytes or None) of a call, or a ConnectorError."""
    spec = restclient.DATABASE.get(api_name)
    if spec is None or api_name in UNSUPPORTED_APIS:
        raise zvm_exc.ConnectorError(api_name, codes.result(
            codes.CLIENT, codes.RS_REQUEST,
            _("API %s is not supported by this client") % api_name))
    # As RESTClient._check_arguments: the builders index args blindly.
    required = spec['args_required']
    most = required + spec.get('args_optional', 0)
    if not required <= len(args) <= most:
        expected = ('%d' % required if most == required
                    else '%d to %d' % (required, most))
        raise zvm_exc.ConnectorError(api_name, codes.result(
            codes.CLIENT, codes.RS_REQUEST,
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
        raise zvm_exc.ConnectorError(api_name, codes.result(
            codes.CLIENT, codes.RS_REQUEST,
            _("cannot encode the arguments of %(api)s: %(err)s") %
            {'api': api_name, 'err': type(err).__name__}))
    if size > MAX_REQUEST_BYTES:
        raise zvm_exc.RequestTooLarge(api_name, codes.result(
            codes.CLIENT, codes.RS_REQUEST,
            _("request refused before sending: it is %(size)d bytes, "
              "the connector reads at most %(limit)d") %
            {'size': size, 'limit': MAX_REQUEST_BYTES}))
    return spec['method'], path, data


def read_timeout(api_name, kwargs, read, long_read):
    """Seconds to wait for the answer: ``read``, ``long_read`` for copies."""
    seconds = long_read if api_name in LONG_APIS else read
    # The connector itself waits up to ``timeout`` (e.g. for a soft stop).
    waited = kwargs.get('timeout')
    if isinstance(waited, (int, float)) and not isinstance(waited, bool):
        seconds += max(waited, 0)
    return seconds
