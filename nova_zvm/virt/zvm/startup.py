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

"""Checks made when the driver is constructed, before any connector call.

Each failure names the option to fix. None of them needs the connector: the
compute service must start while the connector is unreachable.
"""

import os
from urllib import parse

from nova import exception
from nova.i18n import _
from nova import version as nova_version

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import names

# The Nova releases this version of the driver is written and tested for:
# [first, last) as (major,) tuples; requirements.txt declares the same range
# and compat.py handles what differs inside it. ComputeDriver's interface
# changes between Nova majors; running elsewhere fails in ways that are hard
# to diagnose.
SUPPORTED_NOVA = ((32,), (35,))


def _fail(option, reason):
    raise exception.InvalidConfiguration(
        _("z/VM driver: invalid %(option)s: %(reason)s") %
        {'option': option, 'reason': reason})


def check_nova_version(version_string=None):
    version_string = version_string or nova_version.version_string()
    try:
        major = int(version_string.split('.')[0])
    except ValueError:
        major = None
    first, last = SUPPORTED_NOVA
    if major is None or not first <= (major,) < last:
        raise exception.InvalidConfiguration(
            _("nova-zvm-virt-driver supports Nova %(first)d.x to %(last)d.x "
              "only; this is Nova %(found)s. Install the nova-zvm-virt-driver "
              "release made for this Nova (see the packaging guide).") %
            {'first': first[0], 'last': last[0] - 1,
             'found': version_string})


def _check_readable_file(option, path):
    if not os.path.isfile(path):
        _fail(option, _("%s does not exist or is not a file") % path)
    if not os.access(path, os.R_OK):
        _fail(option, _("%s is not readable by this service") % path)


def check_options(conf):
    url = conf.zvm.cloud_connector_url
    if not url:
        _fail('[zvm] cloud_connector_url',
              _("it must be set to the z/VM Cloud Connector's URL, for "
                "example https://zcc.example.com"))
    parsed = parse.urlparse(url)
    if parsed.scheme not in ('http', 'https') or not parsed.hostname:
        _fail('[zvm] cloud_connector_url',
              _("%s is not an http:// or https:// URL with a host") % url)
    try:
        parsed.port
    except ValueError:
        _fail('[zvm] cloud_connector_url', _("%s has a bad port") % url)
    if conf.zvm.ca_file:
        _check_readable_file('[zvm] ca_file', conf.zvm.ca_file)
    if conf.zvm.connector_token_file:
        _check_readable_file('[zvm] connector_token_file',
                             conf.zvm.connector_token_file)
    reason = names.check_name_template(conf.instance_name_template)
    if reason:
        _fail('[DEFAULT] instance_name_template', reason)
    if conf.config_drive_format != 'iso9660':
        _fail('[DEFAULT] config_drive_format',
              _("z/VM guests read an ISO9660 config drive; set iso9660"))
