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

"""Cinder's ``fibre_channel`` connection info as zvmsdk reads it.

What zvmsdk reads from ``connection_info`` is not what Cinder writes; the
translation (:func:`connection`), checked before any connector call:

=========================  ==============================================
zvmsdk key                 from
=========================  ==============================================
``assigner_id``            the guest's userid (``instance.name`` upper)
``zvm_fcp``                the FCP devices reserved for the guest (a list
                           of 4 hex digits, from ``get_volume_connector``)
``target_wwpn``            Cinder ``data.target_wwns`` or ``target_wwn``
                           (a string or a list) or, when both are absent,
                           every target of ``data.initiator_target_map``
                           (attach and detach then name the same ones);
                           a LIST of ``'0x'`` + 16 lower-case hex
                           digits (``':'`` separators and ``0x`` dropped)
``target_lun``             Cinder ``data.target_lun`` (int), or
                           ``data.target_luns`` when all are equal, as the
                           64-bit FCP LUN STRING zvmsdk expects: os-brick's
                           s390x rule, ``'0x%04x000000000000'`` up to
                           0xffff, ``'0x%08x00000000'`` up to 0xffffffff;
                           a string already in the ``'0x'`` + 16 hex form
                           is kept
``multipath``              the STRING ``'true'`` or ``'false'`` (zvmsdk
                           calls ``.lower()`` on it), from ``[zvm]
                           volume_multipath``
``os_version``             the instance's ``image_os_distro`` system
                           metadata (the image's ``os_distro``)
``mount_point``            the block device mapping's device name (e.g.
                           ``/dev/vdb``), the alias made in the guest
``is_root_volume``         a JSON boolean: True for the root volume of a
                           guest booted from volume (zvmsdk tests it with
                           ``is False``: a string would be wrong)
``update_connections_only``  a JSON boolean: True to count down in the
                           connector's database without touching the guest
=========================  ==============================================

Refused before any call (``InvalidVolume`` or ``VolumeEncryptionNotSupported``
naming the volume): a ``driver_volume_type`` other than ``fibre_channel``,
no target WWPN, a malformed WWPN, no LUN or a LUN that cannot be expressed,
several different LUNs, encrypted, read-only or multiattach connections,
and an instance without ``image_os_distro``.

What the driver attaches through is kept in the block device mapping
(``connection_info['data']['zvm']``: FCP devices and template id), which
Nova saves after ``attach_volume``, so detach, delete and live migration
use the same devices.
"""

import string

import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])

CONF = nova.conf.CONF

FIBRE_CHANNEL = 'fibre_channel'
# connection_info['data'] key holding what the driver attached through.
STASH = 'zvm'
HEX = frozenset(string.hexdigits)


def _hex(text, length):
    return len(text) == length and all(c in HEX for c in text)


def wwpn(value):
    """``'0x'`` + 16 lower-case hex digits, or None when not a WWPN."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace(':', '')
    if text.startswith('0x'):
        text = text[2:]
    return '0x' + text if _hex(text, 16) else None


def fcp_lun(value):
    """The 64-bit FCP LUN string zvmsdk expects, or None.

    An integer LUN is placed as os-brick's s390x connector does
    (``_get_lun_string``); a string is either that form already or a
    decimal number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.startswith('0x') and _hex(text[2:], 16):
            return text
        if not text.isdigit():
            return None
        value = int(text)
    if not isinstance(value, int) or value < 0:
        return None
    if value <= 0xffff:
        return '0x%04x000000000000' % value
    if value <= 0xffffffff:
        return '0x%08x00000000' % value
    return None


def volume_id(connection_info):
    data = (connection_info or {}).get('data') or {}
    return (connection_info or {}).get('serial') or data.get('volume_id')


def _refuse(connection_info, reason):
    raise exception.InvalidVolume(reason=_("volume %(id)s: %(reason)s") % {
        'id': volume_id(connection_info), 'reason': reason})


def as_list(value):
    """A value of Cinder's that may be one item or a list, as a list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def targets_and_lun(connection_info):
    """(target WWPNs, FCP LUN) of a fibre_channel connection.

    :raises InvalidVolume: anything the connector could not attach
    """
    if not isinstance(connection_info, dict):
        _refuse(connection_info, _("no connection information"))
    vtype = connection_info.get('driver_volume_type')
    if vtype != FIBRE_CHANNEL:
        _refuse(connection_info, _(
            "z/VM attaches fibre_channel (FCP) volumes only, not %r") %
            vtype)
    data = connection_info.get('data') or {}
    if data.get('encrypted'):
        raise exception.VolumeEncryptionNotSupported(
            volume_type=FIBRE_CHANNEL, volume_id=volume_id(connection_info))
    if data.get('access_mode', 'rw') != 'rw':
        _refuse(connection_info, _(
            "the z/VM Cloud Connector attaches volumes read-write only "
            "(access_mode %r)") % data.get('access_mode'))
    if connection_info.get('multiattach') or data.get('multiattach'):
        _refuse(connection_info, _(
            "multiattach volumes are not supported by the z/VM driver"))

    raw = as_list(data.get('target_wwns')) or as_list(
        data.get('target_wwn'))
    if not raw:
        # Every target the storage zoned for the guest's initiators; the
        # connector's attach script uses those its FCP devices reach.
        itm = data.get('initiator_target_map') or {}
        raw = [t for _i, ts in sorted(itm.items()) for t in as_list(ts)]
    if not raw:
        _refuse(connection_info, _(
            "the connection has no target WWPN (target_wwn, target_wwns "
            "or initiator_target_map)"))
    targets = []
    for value in raw:
        norm = wwpn(value)
        if norm is None:
            _refuse(connection_info, _("target WWPN %r is not 16 hex "
                                       "digits") % (value,))
        if norm not in targets:
            targets.append(norm)

    raw_luns = as_list(data.get('target_luns')) or as_list(
        data.get('target_lun'))
    if not raw_luns:
        _refuse(connection_info, _("the connection has no target LUN"))
    luns = []
    for value in raw_luns:
        lun = fcp_lun(value)
        if lun is None:
            _refuse(connection_info, _(
                "target LUN %r cannot be expressed as an FCP LUN") %
                (value,))
        if lun not in luns:
            luns.append(lun)
    if len(luns) > 1:
        _refuse(connection_info, _(
            "the connector attaches one LUN number through all target "
            "ports; this connection has several (%s)") % ', '.join(luns))
    return targets, luns[0]


def os_version(instance):
    """The guest's OS as the connector names it, or refused."""
    distro = (instance.system_metadata or {}).get('image_os_distro')
    if not distro or not str(distro).strip():
        raise exception.InvalidVolume(reason=_(
            "instance %s has no image os_distro: the z/VM Cloud Connector "
            "needs the guest's OS to configure a volume in it") %
            instance.uuid)
    return str(distro).strip()


def connection(userid, fcps, targets, lun, os_distro, mount_point,
               is_root_volume=False, update_connections_only=False):
    """The connection_info zvmsdk's volume_attach/volume_detach read."""
    return {
        'assigner_id': userid,
        'zvm_fcp': [f.lower() for f in fcps],
        'target_wwpn': list(targets),
        'target_lun': lun,
        'os_version': os_distro,
        'multipath': 'true' if CONF.zvm.volume_multipath else 'false',
        'mount_point': mount_point or '',
        'is_root_volume': bool(is_root_volume),
        'update_connections_only': bool(update_connections_only),
    }


def stashed(connection_info):
    """What the driver attached through (``fcp``, ``fcp_template_id``,
    ``os_version``), or {}.
    """
    data = (connection_info or {}).get('data') or {}
    return data.get(STASH) or {}


def stash(connection_info, fcps, template, os_distro):
    connection_info.setdefault('data', {})[STASH] = {
        'fcp': [f.lower() for f in fcps], 'fcp_template_id': template,
        'os_version': os_distro}
