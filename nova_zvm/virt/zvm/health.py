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

"""Options only the connector can judge, and how their problems are told.

:func:`check_disk_pool` asks the connector whether ``[zvm] disk_pool``
exists and is of the declared type. :class:`ConfigProblem` holds the
configuration problem the host has now (one of those, or a connector
refusing this host's TLS settings or admin token): it is logged at ERROR
once per change, not at every periodic task, and shown as the compute
service's disabled reason (``openstack compute service list --long``),
the way Nova's libvirt driver shows a lost hypervisor connection. The
service is enabled again when the problem is gone, unless an operator
disabled it meanwhile.

``[zvm] user_profile`` cannot be checked here: the connector 1.6.3 has no
API that lists directory profiles; an unknown one fails ``guest_create``
(see :mod:`guest`).
"""

from nova import context as nova_context
from nova.i18n import _
from nova import objects
from oslo_log import log as logging

import nova.conf

from nova_zvm.virt.zvm import exception as zvm_exc

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

OPTION = '[zvm] disk_pool'
# Prefix of the disabled reason this driver sets; like libvirt's "AUTO: ",
# it tells an automatic disable from an operator's.
DISABLE_PREFIX = 'AUTO: '
# Device types of DASD volumes (z/VM QUERY DASD) by disk pool type.
_UNKNOWN = object()
# The connector's SMT layer: SMAPI/DirMaint refusals (no such pool).
MODID_SMT = 1
DEVICE_TYPES = (('ECKD', ('3390', '3380')), ('FBA', ('9336', '9332',
                                                     '9335', 'FBA')))


def _config_error(api, reason):
    return zvm_exc.ConnectorConfigError(api, {
        'overallRC': 101, 'modID': 110, 'rc': 101, 'rs': 5,
        'errmsg': reason}, option=OPTION)


def pool_missing(err, pool):
    """The configuration error for a failed ``host_diskpool_get_info``."""
    if isinstance(err, (zvm_exc.ConnectorUnreachable, zvm_exc.ConnectorBusy,
                        zvm_exc.ConnectorConfigError)) or not (
            err.modID == MODID_SMT or err.overallRC in (100, 404)):
        # Not an answer about the pool (an internal error, for example).
        return err
    reason = _("the connector does not know disk pool %(pool)s (%(err)s); "
               "set [zvm] disk_pool to TYPE:NAME of one of its disk pools, "
               "TYPE ECKD or FBA as the pool's volumes") % {
        'pool': pool, 'err': getattr(err, 'errmsg', None) or err}
    return _config_error('host_diskpool_get_info', reason)


def volume_disk_type(volume_type):
    """ECKD or FBA for a z/VM device type such as '3390-54'; else None."""
    for disk_type, prefixes in DEVICE_TYPES:
        if str(volume_type or '').upper().startswith(prefixes):
            return disk_type
    return None


def check_disk_pool(client, pool):
    """Refuse a disk pool whose volumes are not of its declared type.

    Two queries, made once per service start. When the connector cannot
    tell (no volume in the answer, an unknown device type, a query it
    refuses), the pool is taken as declared.

    :raises: ConnectorConfigError naming ``[zvm] disk_pool``;
        ConnectorUnreachable and ConnectorBusy as the client raises them
    """
    declared, name = pool.split(':', 1)
    declared = declared.upper()
    try:
        volumes = client.call('host_get_diskpool_volumes', disk_pool=pool)
        volsers = str((volumes or {}).get('diskpool_volumes') or '').split()
        if not volsers:
            return
        info = client.call('host_get_volume_info', volume=volsers[0])
    except (zvm_exc.ConnectorUnreachable, zvm_exc.ConnectorBusy,
            zvm_exc.ConnectorConfigError):
        raise
    except zvm_exc.ConnectorError as err:
        LOG.debug("Cannot tell the type of disk pool %(pool)s: %(err)s",
                  {'pool': pool, 'err': err})
        return
    volume_type = (info or {}).get('volume_type')
    actual = volume_disk_type(volume_type)
    if actual is not None and actual != declared:
        raise _config_error('host_get_volume_info', _(
            "disk pool %(name)s is %(actual)s (its volume %(vol)s is a "
            "%(vtype)s), not %(declared)s; set [zvm] disk_pool = "
            "%(actual)s:%(name)s, and deploy %(actual)s images on this "
            "host") % {'name': name, 'actual': actual, 'vol': volsers[0],
                       'vtype': volume_type, 'declared': declared})


class ConfigProblem(object):
    """The host's current configuration problem, told once per change."""

    def __init__(self):
        self.message = None
        # The compute service's host (init_host); CONF.host until then.
        self.host = None
        # What the service status shows: a message, None for "enabled", or
        # unknown (a service this driver disabled before a restart is
        # enabled again by the new process). Set again until it succeeds:
        # at the first start the service record comes after init_host.
        self._shown = _UNKNOWN

    def report(self, err):
        message = str(err)
        if message != self.message:
            self.message = message
            LOG.error("%s. This host takes no new servers until it is "
                      "fixed.", message)
        if self._shown != message and _set_service_disabled(
                self.host or CONF.host, True, message):
            self._shown = message

    def clear(self):
        if self.message is not None:
            LOG.info("The z/VM driver's configuration problem is solved: "
                     "%s", self.message)
            self.message = None
        if self._shown is not None and _set_service_disabled(
                self.host or CONF.host, False, None):
            self._shown = None


def _set_service_disabled(host, disabled, reason):
    """Disable (or enable again) this compute service, as libvirt does.

    :returns: True when the service shows what was asked, or an operator's
        own decision (never overridden); False when it could not be read
    """
    try:
        service = objects.Service.get_by_compute_host(
            nova_context.get_admin_context(), host)
        automatic = (service.disabled_reason or '').startswith(
            DISABLE_PREFIX + 'z/VM driver')
        if service.disabled and not automatic:
            # An operator's decision is never overridden.
            return True
        if not disabled and not service.disabled:
            return True
        service.disabled = disabled
        # The service record's column holds 255 characters.
        service.disabled_reason = (
            (DISABLE_PREFIX + reason)[:255] if disabled else None)
        service.save()
        return True
    except Exception as err:
        # Not registered yet (first start), or the conductor is away: the
        # log line still tells the operator; tried again next time.
        LOG.debug("Cannot update the compute service status: %s", err)
        return False
