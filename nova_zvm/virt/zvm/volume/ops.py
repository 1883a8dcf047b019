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

"""Volume operations of the driver: ``VolumeOps``.

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

The translation of Cinder's connection information is in
:mod:`connection`; the reservations the connector keeps, their releases
and lost answers in :mod:`fcp`; the volumes of a guest being spawned in
:mod:`spawn`; what concerns all the volumes of a guest (its devices,
delete, live migration) in :mod:`guest_volumes`.

Supported: attach and detach on running and stopped guests, multipath
(several FCP paths, several target ports), boot from volume, volumes given
at boot, detach and release at delete. Not supported, with the reasons the
driver gives: swap (no block copy in the hypervisor), extend (no connector
API to make the guest rescan a resized LUN), multiattach, tagged attach.
"""

from oslo_log import log as logging
from oslo_utils import excutils

import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import undo as undo_mod
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import fcp
from nova_zvm.virt.zvm.volume import guest_volumes

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


class NoFCPDevices(exception.Invalid):
    msg_fmt = _("No FCP devices could be reserved for z/VM guest %(userid)s "
                "in FCP Multipath Template %(template)s: every device of a "
                "path is in use. Free FCP devices or add devices to the "
                "template ([zvm] fcp_template_id).")


class VolumeOps(guest_volumes.GuestVolumes):
    """The volumes of the guests of one compute host."""

    def __init__(self, client):
        self._client = client
        # Owner of the guests' FCP reservations and connections (fcp.py).
        self.reservations = fcp.FCPReservations(client)

    @property
    def client(self):
        """The connector client (the spawn's volumes call it too)."""
        return self._client

    # -- FCP reservations ----------------------------------------------------

    def reserve(self, userid, template=None):
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
        conn = self.reserve(userid)
        if fcp_devices and fcp.fcp_set(conn['zvm_fcp']) != fcp.fcp_set(
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
        wanted = fcp.fcp_set(fcp_devices)
        LOG.info("Reserving FCP devices %(want)s for %(uid)s, which it "
                 "keeps across the relocation (the connector picked "
                 "%(got)s)", {'want': wanted, 'uid': userid,
                              'got': fcp.fcp_set(conn['zvm_fcp'])})
        self.release(userid, template)
        try:
            for dev in wanted:
                self._client.call('set_fcp_usage', dev, userid, 1, 0,
                                  template)
            conn = self.reserve(userid, template)
        except Exception:
            with excutils.save_and_reraise_exception():
                self.release(userid, template)
        if fcp.fcp_set(conn['zvm_fcp']) != wanted:
            self.release(userid, template)
            raise exception.MigrationError(reason=_(
                "the z/VM Cloud Connector reserves FCP devices %(got)s for "
                "%(uid)s, but the guest uses %(want)s, and z/VM relocation "
                "keeps a guest's device numbers: check that the devices "
                "are in FCP Multipath Template %(tmpl)s") % {
                    'got': fcp.fcp_set(conn['zvm_fcp']), 'uid': userid,
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
                    volume_type=connection.FIBRE_CHANNEL,
                    volume_id=connection.volume_id(connection_info))
            targets, lun = connection.targets_and_lun(connection_info)
            distro = connection.os_version(instance)
        except Exception:
            with excutils.save_and_reraise_exception():
                # Nova reserved the guest's FCP devices (through
                # get_volume_connector) before handing us this volume;
                # give back those that carry no connection.
                self._release_after_refusal(userid)
        conn = self.reserve(userid)
        self.attach_lun(userid, conn, connection_info, targets, lun,
                        distro, mountpoint)

    def _release_after_refusal(self, userid):
        try:
            # Reserving again is idempotent and names the template.
            conn = self.reserve(userid)
        except Exception as err:
            LOG.warning("Could not look up the FCP devices reserved for "
                        "%(uid)s: %(err)s", {'uid': userid, 'err': err})
            return
        self.release(userid, conn.get('fcp_template_id'))

    def attach_lun(self, userid, conn, connection_info, targets, lun,
                   distro, mountpoint, is_root_volume=False):
        """``volume_attach`` of one LUN through the reserved ``conn``.

        On failure the devices left without connections are released; on
        success what it went through is recorded in ``connection_info``.
        """
        fcps = conn['zvm_fcp']
        template = conn.get('fcp_template_id')
        request = connection.connection(
            userid, fcps, targets, lun, distro, mountpoint,
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
        connection.stash(connection_info, fcps, template, distro)
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
                connection.FIBRE_CHANNEL:
            LOG.warning("Volume %s is not a fibre_channel volume: the z/VM "
                        "driver never attached it; nothing to detach",
                        connection.volume_id(connection_info),
                        instance=instance)
            return
        userid = names.userid(instance)
        held = connection.stashed(connection_info)
        fcps, template = held.get('fcp'), held.get('fcp_template_id')
        targets, lun = connection.targets_and_lun(connection_info)
        distro = held.get('os_version') or connection.os_version(instance)
        if not fcps:
            # Attached without a record of its devices: they are the ones
            # reserved for the guest.
            conn = self.reserve(userid, template)
            fcps, template = conn['zvm_fcp'], conn.get('fcp_template_id')
        request = connection.connection(
            userid, fcps, targets, lun, distro, mountpoint,
            update_connections_only=not local)
        try:
            # A lost answer is decided on the connector's records (fcp.py).
            self.reservations.detach(request)
        except exception.NovaException as err:
            if not fcp.not_found(err):
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
