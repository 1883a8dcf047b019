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

"""FCP volumes: Cinder's ``fibre_channel`` connections as z/VM SCSI LUNs.

A z/VM guest reaches a SCSI LUN through FCP devices (subchannels) dedicated
to it, each with its own NPIV WWPN. The z/VM Cloud Connector keeps an FCP
database: which devices are *reserved* for a guest (``assigner_id``) in an
FCP Multipath Template (one device per path) and how many volume
*connections* each carries. The calls, as zvmsdk 1.6.3 implements them:

* ``get_volume_connector(userid, reserve=True, fcp_template_id,
  storage_provider)`` reserves one free device per path for the guest, or
  answers the ones already reserved (so it is safe to repeat), with their
  NPIV WWPNs. ``reserve=False`` (with the template id, which it requires)
  releases the guest's devices that have no connection left; it never
  touches a device in use.
* ``volume_attach(connection_info)`` counts a connection on each device,
  dedicates the device to the guest at its first connection and configures
  the LUN in the guest's Linux (at once when it runs, at its next boot
  otherwise); on failure it undoes all of that itself and releases the
  devices left without connections. With ``is_root_volume`` it only counts
  the connections (the devices of a guest booted from a volume are
  dedicated when the guest is defined).
* ``volume_detach(connection_info)`` is the reverse; with
  ``update_connections_only`` (or ``is_root_volume``) it only counts down,
  without touching the guest. It never releases a reservation: that is
  ``get_volume_connector(reserve=False)``'s job.
* ``volume_refresh_bootmap(fcpchannels, wwpn, lun, ...)`` writes the boot
  record of a root volume and answers, per FCP device, the target WWPNs
  through which it reaches the LUN.

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

Supported: attach and detach on running and stopped guests, multipath
(several FCP paths, several target ports), boot from volume, volumes given
at boot, detach and release at delete. Not supported, with the reasons the
driver gives: swap (no block copy in the hypervisor), extend (no connector
API to make the guest rescan a resized LUN), multiattach, tagged attach.
"""

import string

from oslo_log import log as logging
from oslo_utils import excutils

import nova.conf
from nova import exception
from nova.i18n import _
from nova.virt import driver as virt_driver

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import fcp as fcp_db
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import undo as undo_mod

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

FIBRE_CHANNEL = 'fibre_channel'
# connection_info['data'] key holding what the driver attached through.
STASH = 'zvm'
HEX = frozenset(string.hexdigits)


class NoFCPDevices(exception.Invalid):
    msg_fmt = _("No FCP devices could be reserved for z/VM guest %(userid)s "
                "in FCP Multipath Template %(template)s: every device of a "
                "path is in use. Free FCP devices or add devices to the "
                "template ([zvm] fcp_template_id).")


# -- translation -------------------------------------------------------------

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


def _as_list(value):
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

    raw = _as_list(data.get('target_wwns')) or _as_list(
        data.get('target_wwn'))
    if not raw:
        # Every target the storage zoned for the guest's initiators; the
        # connector's attach script uses those its FCP devices reach.
        itm = data.get('initiator_target_map') or {}
        raw = [t for _i, ts in sorted(itm.items()) for t in _as_list(ts)]
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

    raw_luns = _as_list(data.get('target_luns')) or _as_list(
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


def volume_mappings(block_device_info):
    """The volume block device mappings (those with connection_info)."""
    return [bdm for bdm in virt_driver.block_device_info_get_mapping(
        block_device_info) if bdm.get('connection_info')]


def is_root(bdm, block_device_info):
    root = virt_driver.block_device_info_get_root_device(block_device_info)
    return bdm.get('boot_index') == 0 or (
        root is not None and bdm.get('mount_device') == root)


def _save(bdm):
    save = getattr(bdm, 'save', None)
    if callable(save):
        save()


def _not_found(err):
    return getattr(err, 'overallRC', None) == 404


def _fcp_set(fcps):
    return sorted(f.lower() for f in fcps or [])


class VolumeOps(object):

    def __init__(self, client):
        self._client = client
        # Owner of the guests' FCP reservations and connections (fcp.py).
        self.reservations = fcp_db.FCPReservations(client)

    # -- FCP reservations ----------------------------------------------------

    def _reserve(self, userid, template=None):
        """The guest's FCP devices, reserved (the same ones on each call)."""
        template = template or CONF.zvm.fcp_template_id
        conn = self._client.call(
            'get_volume_connector', userid, reserve=True,
            fcp_template_id=template,
            storage_provider=CONF.zvm.fcp_storage_provider)
        if not conn or not conn.get('zvm_fcp'):
            raise NoFCPDevices(userid=userid, template=(
                (conn or {}).get('fcp_template_id') or template or
                _('(the default)')))
        return conn

    def release(self, userid, template):
        """Release the guest's FCP devices that carry no connection.

        Safe at any time: devices still in use stay reserved. Failures are
        logged, not raised: a leftover reservation is reused by the guest's
        next attach and released when it is deleted.
        """
        template = template or CONF.zvm.fcp_template_id
        if not template:
            LOG.debug("No FCP Multipath Template known for %s; nothing to "
                      "release", userid)
            return
        try:
            self._client.call('get_volume_connector', userid, reserve=False,
                              fcp_template_id=template)
        except exception.NovaException as err:
            LOG.warning("Could not release the FCP devices reserved for "
                        "%(uid)s in template %(tmpl)s; trying again later: "
                        "%(err)s", {'uid': userid, 'tmpl': template,
                                    'err': err})
            self.reservations.retry_later(userid)

    def get_volume_connector(self, instance, fcp_devices=None):
        """Nova's connector for the guest: its FCP devices and WWPNs.

        :param fcp_devices: the FCP device numbers the guest must get: a
            guest arriving by live migration keeps its dedicated devices'
            numbers, so the destination's connector must reserve those
            (see :meth:`_reserve_these`).
        """
        userid = names.userid(instance)
        conn = self._reserve(userid)
        if fcp_devices and _fcp_set(conn['zvm_fcp']) != _fcp_set(
                fcp_devices):
            conn = self._reserve_these(userid, conn, fcp_devices)
        return {
            'platform': 's390x',
            'os_type': 'linux',
            # '<LPAR>_<USERID>': NPIV WWPNs belong to one guest, so the
            # storage must see one host per guest, not per compute node.
            'host': conn.get('host'),
            # Where Cinder reaches this host for block storage (Nova's
            # own option; libvirt reports the same).
            'ip': CONF.my_block_storage_ip,
            'wwpns': [w.lower() for w in conn.get('wwpns') or []],
            'multipath': CONF.zvm.volume_multipath,
            'zvm_fcp': [f.lower() for f in conn['zvm_fcp']],
            'fcp_paths': conn.get('fcp_paths', len(conn['zvm_fcp'])),
            'fcp_template_id': conn.get('fcp_template_id'),
            'phy_to_virt_initiators': conn.get('phy_to_virt_initiators')
            or {},
        }

    def _reserve_these(self, userid, conn, fcp_devices):
        """Reserve exactly ``fcp_devices`` for the guest in its template.

        The devices picked by the connector are released first (they have
        no connection), then the wanted ones are recorded as reserved for
        the guest with ``set_fcp_usage`` and the connector is asked again.
        """
        template = conn.get('fcp_template_id')
        wanted = _fcp_set(fcp_devices)
        LOG.info("Reserving FCP devices %(want)s for %(uid)s, which it "
                 "keeps across the relocation (the connector picked "
                 "%(got)s)", {'want': wanted, 'uid': userid,
                              'got': _fcp_set(conn['zvm_fcp'])})
        self.release(userid, template)
        try:
            for fcp in wanted:
                self._client.call('set_fcp_usage', fcp, userid, 1, 0,
                                  template)
            conn = self._reserve(userid, template)
        except Exception:
            with excutils.save_and_reraise_exception():
                self.release(userid, template)
        if _fcp_set(conn['zvm_fcp']) != wanted:
            self.release(userid, template)
            raise exception.MigrationError(reason=_(
                "the z/VM Cloud Connector reserves FCP devices %(got)s for "
                "%(uid)s, but the guest uses %(want)s, and z/VM relocation "
                "keeps a guest's device numbers: check that the devices "
                "are in FCP Multipath Template %(tmpl)s") % {
                    'got': _fcp_set(conn['zvm_fcp']), 'uid': userid,
                    'want': wanted, 'tmpl': template})
        return conn

    # -- attach / detach -----------------------------------------------------

    def attach_volume(self, instance, connection_info, mountpoint,
                      encryption=None):
        """Attach a LUN to a running or stopped guest.

        Two calls: ``get_volume_connector`` (the guest's reserved devices)
        and ``volume_attach``. On failure the devices left without
        connections are released.
        """
        userid = names.userid(instance)
        try:
            if encryption:
                raise exception.VolumeEncryptionNotSupported(
                    volume_type=FIBRE_CHANNEL,
                    volume_id=volume_id(connection_info))
            targets, lun = targets_and_lun(connection_info)
            distro = os_version(instance)
        except Exception:
            with excutils.save_and_reraise_exception():
                # Nova reserved the guest's FCP devices (through
                # get_volume_connector) before handing us this volume;
                # give back those that carry no connection.
                self._release_after_refusal(userid)
        conn = self._reserve(userid)
        self._attach(userid, conn, connection_info, targets, lun, distro,
                     mountpoint)

    def _release_after_refusal(self, userid):
        try:
            # Reserving again is idempotent and names the template.
            conn = self._reserve(userid)
        except Exception as err:
            LOG.warning("Could not look up the FCP devices reserved for "
                        "%(uid)s: %(err)s", {'uid': userid, 'err': err})
            return
        self.release(userid, conn.get('fcp_template_id'))

    def _attach(self, userid, conn, connection_info, targets, lun, distro,
                mountpoint, is_root_volume=False):
        fcps = conn['zvm_fcp']
        template = conn.get('fcp_template_id')
        request = connection(userid, fcps, targets, lun, distro, mountpoint,
                             is_root_volume=is_root_volume)
        undo = undo_mod.UndoStack('volume attach', where=userid)
        undo.push(_('release the FCP devices %(fcps)s reserved for %(uid)s '
                    'in template %(tmpl)s (retried automatically)') % {
                        'fcps': fcps, 'uid': userid, 'tmpl': template},
                  self.reservations.release, userid, template)
        try:
            # A lost answer is decided on the connector's records (fcp.py).
            self.reservations.attach(request)
        except Exception as err:
            LOG.error("Attaching LUN %(lun)s (targets %(wwpns)s) to %(uid)s "
                      "through FCP devices %(fcps)s failed: %(err)s",
                      {'lun': lun, 'wwpns': targets, 'uid': userid,
                       'fcps': fcps, 'err': err})
            if not undo.rollback():
                raise undo.incomplete(err) from err
            raise
        stash(connection_info, fcps, template, distro)
        LOG.info("Attached LUN %(lun)s to %(uid)s at %(mp)s through FCP "
                 "devices %(fcps)s", {'lun': lun, 'uid': userid,
                                      'mp': mountpoint, 'fcps': fcps})

    def detach_volume(self, instance, connection_info, mountpoint,
                      local=True):
        """Detach a LUN and release the devices left without connections.

        :param local: False when the guest does not run on this z/VM (a
            live migration's other side): then only this connector's
            database is updated; the guest is not touched.
        """
        if (connection_info or {}).get('driver_volume_type') != \
                FIBRE_CHANNEL:
            LOG.warning("Volume %s is not a fibre_channel volume: the z/VM "
                        "driver never attached it; nothing to detach",
                        volume_id(connection_info), instance=instance)
            return
        userid = names.userid(instance)
        held = stashed(connection_info)
        fcps, template = held.get('fcp'), held.get('fcp_template_id')
        targets, lun = targets_and_lun(connection_info)
        distro = held.get('os_version') or os_version(instance)
        if not fcps:
            # Attached without a record of its devices: they are the ones
            # reserved for the guest.
            conn = self._reserve(userid, template)
            fcps, template = conn['zvm_fcp'], conn.get('fcp_template_id')
        request = connection(userid, fcps, targets, lun, distro, mountpoint,
                             update_connections_only=not local)
        try:
            # A lost answer is decided on the connector's records (fcp.py).
            self.reservations.detach(request)
        except exception.NovaException as err:
            if not _not_found(err):
                raise
            LOG.info("LUN %(lun)s was not recorded for %(uid)s here: "
                     "%(err)s", {'lun': lun, 'uid': userid, 'err': err})
            if local:
                # Already detached (or the guest is gone): Nova's "disk not
                # found" lets it finish the detach in Cinder instead of
                # leaving the volume 'detaching'. The devices go first.
                self.release(userid, template)
                raise exception.DiskNotFound(location='LUN %s of %s' % (
                    lun, userid)) from err
        self.release(userid, template)
        LOG.info("Detached LUN %(lun)s from %(uid)s%(how)s", {
            'lun': lun, 'uid': userid,
            'how': '' if local else ' (connector records only)'})

    # -- the whole guest ---------------------------------------------------

    def guest_fcp_devices(self, instance, block_device_info):
        """The FCP devices the guest's volumes use (sorted, may be [])."""
        vols = volume_mappings(block_device_info)
        if not vols:
            return []
        fcps = set()
        for bdm in vols:
            fcps.update(stashed(bdm['connection_info']).get('fcp') or [])
        if not fcps:
            fcps.update(self._reserve(names.userid(instance))['zvm_fcp'])
        return _fcp_set(fcps)

    def forget_volumes(self, instance, block_device_info, tolerate=False):
        """Count down every volume of a guest and release its devices.

        For a guest that is gone from this z/VM (deleted or relocated):
        only the connector's database changes.

        :param tolerate: log failures instead of raising them (after a
            live migration, when the guest already runs elsewhere)
        """
        vols = volume_mappings(block_device_info)
        if not vols:
            return
        userid = names.userid(instance)
        templates = set()
        for bdm in vols:
            info = bdm['connection_info']
            held = stashed(info)
            templates.add(held.get('fcp_template_id'))
            if not held.get('fcp'):
                LOG.warning("No FCP devices recorded for volume %s; "
                            "releasing the guest's reservation only",
                            volume_id(info), instance=instance)
                continue
            try:
                targets, lun = targets_and_lun(info)
                distro = held.get('os_version') or os_version(instance)
            except exception.Invalid as err:
                # Never attached by this driver in that form.
                LOG.warning("Skipping volume %(vol)s: %(err)s",
                            {'vol': volume_id(info), 'err': err},
                            instance=instance)
                continue
            request = connection(
                userid, held['fcp'], targets, lun, distro,
                bdm.get('mount_device'),
                is_root_volume=is_root(bdm, block_device_info),
                update_connections_only=True)
            try:
                self._client.call('volume_detach', request)
            except exception.NovaException as err:
                if not (tolerate or _not_found(err)):
                    raise
                LOG.warning("Could not count down volume %(vol)s of "
                            "%(uid)s: %(err)s",
                            {'vol': volume_id(info), 'uid': userid,
                             'err': err}, instance=instance)
        for template in sorted(t for t in templates if t) or [None]:
            self.release(userid, template)

    def record_incoming(self, instance, block_device_info, fcp_devices):
        """Record in this connector the volumes of a guest relocating here.

        The guest keeps its dedicated FCP devices; the connections are
        counted here (``is_root_volume``: database only) before it comes.
        """
        vols = volume_mappings(block_device_info)
        if not vols:
            return
        userid = names.userid(instance)
        requests = []
        for bdm in vols:
            targets, lun = targets_and_lun(bdm['connection_info'])
            requests.append((bdm, targets, lun))
        distro = os_version(instance)
        # Several records change here: each is undone if a later one fails
        # (Nova's rollback_live_migration_at_destination then finds
        # nothing of this call left; Nova removes the Cinder side itself).
        steps = undo_mod.UndoStack(
            'live migration (destination)', instance,
            _('the z/VM Cloud Connector of this compute host'))
        try:
            conn = self._reserve(userid)
            template = conn.get('fcp_template_id')
            steps.push(_('release the FCP devices %(fcps)s reserved for '
                         '%(uid)s in template %(tmpl)s') % {
                             'fcps': conn['zvm_fcp'], 'uid': userid,
                             'tmpl': template},
                       self.release, userid, template)
            if fcp_devices and _fcp_set(conn['zvm_fcp']) != _fcp_set(
                    fcp_devices):
                raise exception.MigrationError(reason=_(
                    "the destination's connector reserved FCP devices "
                    "%(got)s for %(uid)s, but the guest uses %(want)s") % {
                        'got': _fcp_set(conn['zvm_fcp']), 'uid': userid,
                        'want': _fcp_set(fcp_devices)})
            for bdm, targets, lun in requests:
                self._attach(userid, conn, bdm['connection_info'], targets,
                             lun, distro, bdm.get('mount_device'),
                             is_root_volume=True)
                steps.push(_("count down volume %(vol)s (LUN %(lun)s) of "
                             "%(uid)s in this connector's FCP records") % {
                                 'vol': volume_id(bdm['connection_info']),
                                 'lun': lun, 'uid': userid},
                           self._client.call, 'volume_detach', connection(
                               userid, conn['zvm_fcp'], targets, lun,
                               distro, bdm.get('mount_device'),
                               is_root_volume=True,
                               update_connections_only=True))
        except Exception as err:
            with excutils.save_and_reraise_exception() as ctxt:
                if not steps.rollback():
                    ctxt.reraise = False
            raise steps.incomplete(err) from err


class SpawnVolumes(object):
    """The volumes of a guest being spawned.

    Built (and every connection checked) before any connector call. In
    order: :meth:`create_options` (boot from volume: reserve, write the
    boot record, answer ``guest_create``'s IPL options), :meth:`connect`
    (after the guest is defined and deployed, before it starts) and, on any
    failure, :meth:`release`.
    """

    def __init__(self, ops, instance, userid, os_distro, block_device_info):
        self._ops = ops
        self._userid = userid
        self._os_distro = os_distro
        self._conn = None
        self._attached = []
        self.volumes = []
        self.root = None
        for bdm in volume_mappings(block_device_info):
            targets, lun = targets_and_lun(bdm['connection_info'])
            item = (bdm, targets, lun)
            if is_root(bdm, block_device_info):
                self.root = item
            else:
                self.volumes.append(item)
        if self.root is not None:
            self.volumes.insert(0, self.root)
            if os_distro.lower().startswith('rhcos'):
                raise exception.InvalidVolume(reason=_(
                    "booting RHCOS from a volume needs an Ignition file "
                    "for the boot record; the z/VM driver boots RHCOS "
                    "from images only"))

    @property
    def boot(self):
        return self.root is not None

    def _connector(self):
        if self._conn is None:
            self._conn = self._ops._reserve(self._userid)
        return self._conn

    def create_options(self):
        """Extra ``guest_create`` arguments: IPL from the root volume."""
        if self.root is None:
            return {}
        conn = self._connector()
        fcps = [f.lower() for f in conn['zvm_fcp']]
        _bdm, targets, lun = self.root
        paths = self._ops._client.call(
            'volume_refresh_bootmap', fcpchannels=fcps, wwpn=targets,
            lun=lun, fcp_template_id=conn.get('fcp_template_id')) or {}
        by_fcp = {str(k).lower(): v for k, v in paths.items()}
        for fcp in fcps:
            reached = [w for w in (wwpn(t) for t in _as_list(
                by_fcp.get(fcp))) if w]
            if reached:
                return {'ipl_from': fcp, 'dedicate_vdevs': fcps,
                        'loaddev': {'portname': reached[0][2:],
                                    'lun': lun[2:]}}
        raise exception.InvalidVolume(reason=_(
            "volume %(id)s: no FCP device of %(uid)s (%(fcps)s) reaches "
            "the root LUN %(lun)s through targets %(wwpns)s") % {
                'id': volume_id(self.root[0]['connection_info']),
                'uid': self._userid, 'fcps': fcps, 'lun': lun,
                'wwpns': targets})

    def connect(self, steps=None):
        """Connect every volume to the defined (not started) guest.

        :param steps: the spawn's ``UndoStack``: each volume connected is
            its own undo step, so a rollback that stops names exactly the
            volume and LUN left
        """
        for bdm, targets, lun in self.volumes:
            self._ops._attach(self._userid, self._connector(),
                              bdm['connection_info'], targets, lun,
                              self._os_distro, bdm.get('mount_device'),
                              is_root_volume=self._is_root(bdm))
            item = (bdm, targets, lun)
            self._attached.append(item)
            _save(bdm)
            if steps is not None:
                steps.push(_("count down volume %(vol)s (LUN %(lun)s, "
                             "targets %(wwpns)s) of %(uid)s in the "
                             "connector's FCP records") % {
                                 'vol': volume_id(bdm['connection_info']),
                                 'lun': lun, 'wwpns': targets,
                                 'uid': self._userid},
                           self._disconnect, item)

    def _disconnect(self, item):
        """Count one connected volume down (records only); may raise."""
        bdm, targets, lun = item
        request = connection(
            self._userid, self._conn['zvm_fcp'], targets, lun,
            self._os_distro, bdm.get('mount_device'),
            is_root_volume=self._is_root(bdm),
            update_connections_only=True)
        self._ops._client.call('volume_detach', request)
        self._attached.remove(item)

    def _is_root(self, bdm):
        return self.root is not None and bdm is self.root[0]

    def release(self):
        """Undo :meth:`create_options` and :meth:`connect` in the
        connector's database (the guest itself is deleted by the caller).
        """
        # Volumes not counted down by their own undo steps already.
        for item in list(reversed(self._attached)):
            try:
                self._disconnect(item)
            except exception.NovaException as err:
                LOG.warning("Could not count down volume %(vol)s of "
                            "%(uid)s: %(err)s",
                            {'vol': volume_id(item[0]['connection_info']),
                             'uid': self._userid, 'err': err})
        self._attached = []
        if self._conn is not None:
            self._ops.release(self._userid,
                              self._conn.get('fcp_template_id'))


class NoVolumes(object):
    """A guest spawned without volumes (or without a VolumeOps)."""

    boot = False

    def create_options(self):
        return {}

    def connect(self, steps=None):
        pass

    def release(self):
        pass
