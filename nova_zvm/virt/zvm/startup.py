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

Each failure names the option to fix and what it accepts. None of them needs
the connector: the compute service must start while the connector is
unreachable (what only the connector knows is checked by :mod:`health`).

How the operator sees a failure: Nova 34 prints every exception that
escapes the driver's constructor with a traceback ("CRITICAL ... Unhandled
error", or "is not of type ComputeDriver" for a ValueError), and none
without. So :func:`stop_service` does what Nova itself does for its own
start-up configuration errors (``load_compute_driver`` without a
``compute_driver``, ``Service.basic_config_check``): one ERROR line, then
exit status 1.
"""

import os
import ssl
from urllib import parse

from nova import exception
from nova.i18n import _
from nova import version as nova_version
from oslo_config import cfg
from oslo_config import types
from oslo_log import log as logging

from nova_zvm import conf as zvm_conf
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)

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


def stop_service(err):
    """Log a start-up configuration error in one line and exit (status 1)."""
    LOG.error("%s", err)
    raise SystemExit(1)


def _check_readable_file(option, path):
    if not os.path.isfile(path):
        _fail(option, _("%s does not exist or is not a file") % path)
    if not os.access(path, os.R_OK):
        _fail(option, _("%s is not readable by this service") % path)


def _check_ca_file(path):
    _check_readable_file('[zvm] ca_file', path)
    # What requests will do with it at the first https request.
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, ValueError) as err:
        _fail('[zvm] ca_file',
              _("%(path)s holds no PEM certificate (%(err)s); give the "
                "connector's CA certificate in PEM format (BEGIN "
                "CERTIFICATE)") % {'path': path,
                                   'err': getattr(err, 'reason', None) or
                                   err})


def accepted_values(opt):
    """What an option of the [zvm] group accepts, in words."""
    described = zvm_conf.ACCEPTED.get(opt.dest)
    if described:
        return described
    kind = opt.type
    if isinstance(kind, types.Boolean):
        return _("true or false")
    choices = getattr(kind, 'choices', None)
    if choices:
        return _("one of %s") % ', '.join(str(c) for c in choices)
    if isinstance(kind, (types.Integer, types.Float)):
        noun = (_("a whole number") if isinstance(kind, types.Integer)
                else _("a number"))
        if kind.min is not None and kind.max is not None:
            return _("%(noun)s from %(min)s to %(max)s") % {
                'noun': noun, 'min': kind.min, 'max': kind.max}
        if kind.min is not None:
            return _("%(noun)s of at least %(min)s") % {'noun': noun,
                                                        'min': kind.min}
        return noun
    return _("a string")


def check_option_values(conf):
    """Every [zvm] option's value against its own type, range and format.

    oslo.config checks a value from the configuration file only when it is
    read; read here, a bad one fails before the driver is built instead of
    at its first use, and the message names the option.
    """
    group = conf.zvm
    for opt in zvm_conf.list_opts()[0][1]:
        try:
            getattr(group, opt.dest)
        except (cfg.ConfigFileValueError, ValueError) as err:
            detail = str(err).split('is not valid: ')[-1]
            _fail('[zvm] %s' % opt.dest,
                  _("%(detail)s; it accepts %(accepted)s") % {
                      'detail': detail, 'accepted': accepted_values(opt)})


def check_options(conf):
    check_option_values(conf)
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
        _check_ca_file(conf.zvm.ca_file)
    if conf.zvm.connector_token_file:
        _check_readable_file('[zvm] connector_token_file',
                             conf.zvm.connector_token_file)
    reason = names.check_name_template(conf.instance_name_template)
    if reason:
        _fail('[DEFAULT] instance_name_template', reason)
    if conf.config_drive_format != 'iso9660':
        _fail('[DEFAULT] config_drive_format',
              _("z/VM guests read an ISO9660 config drive; set iso9660"))
    problem = connector_files.check_config()
    if problem:
        raise exception.InvalidConfiguration(_("z/VM driver: %s") % problem)


def check_or_stop(conf):
    """The checks at driver start; a failure stops the service.

    One line and exit 1: Nova would print a traceback.
    """
    try:
        check_nova_version()
        check_options(conf)
        problem = None
    except exception.InvalidConfiguration as err:
        problem = err
    if problem is not None:
        # Outside the except clause, where oslo.log would repeat the
        # message.
        stop_service(problem)
