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

"""All the volumes of one guest at once: ``GuestVolumes``.

What the driver does with every volume of a guest together rather than
with one attach or detach: the FCP devices they use (which a guest keeps
across a live migration), forgetting them in the connector's records when
the guest is gone from this z/VM (deleted or relocated), and recording them
in the destination's connector before a guest relocates there. A part of
``ops.VolumeOps`` (its base class): it uses the reservations and the
single-volume attach of that class.
"""

from oslo_log import log as logging
from oslo_utils import excutils

from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import undo as undo_mod
from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import fcp
from nova_zvm.virt.zvm.volume import mappings

LOG = logging.getLogger(__name__)


class GuestVolumes(object):
    """The whole-guest volume operations of ``ops.VolumeOps``."""

    def guest_fcp_devices(self, instance, block_device_info):
        """The FCP devices the guest's volumes use (sorted, may be [])."""
        vols = mappings.volume_mappings(block_device_info)
        if not vols:
            return []
        fcps = set()
        for bdm in vols:
            fcps.update(connection.stashed(
                bdm['connection_info']).get('fcp') or [])
        if not fcps:
            fcps.update(self.reserve(names.userid(instance))['zvm_fcp'])
        return fcp.fcp_set(fcps)

    def forget_volumes(self, instance, block_device_info, tolerate=False):
        """Count down every volume of a guest and release its devices.

        For a guest that is gone from this z/VM (deleted or relocated):
        only the connector's database changes.

        :param tolerate: log failures instead of raising them (after a
            live migration, when the guest already runs elsewhere)
        """
        vols = mappings.volume_mappings(block_device_info)
        if not vols:
            return
        userid = names.userid(instance)
        templates = set()
        for bdm in vols:
            info = bdm['connection_info']
            held = connection.stashed(info)
            templates.add(held.get('fcp_template_id'))
            if not held.get('fcp'):
                LOG.warning("No FCP devices recorded for volume %s; "
                            "releasing the guest's reservation only",
                            connection.volume_id(info), instance=instance)
                continue
            try:
                targets, lun = connection.targets_and_lun(info)
                distro = (held.get('os_version') or
                          connection.os_version(instance))
            except exception.Invalid as err:
                # Never attached by this driver in that form.
                LOG.warning("Skipping volume %(vol)s: %(err)s",
                            {'vol': connection.volume_id(info), 'err': err},
                            instance=instance)
                continue
            request = connection.connection(
                userid, held['fcp'], targets, lun, distro,
                bdm.get('mount_device'),
                is_root_volume=mappings.is_root(bdm, block_device_info),
                update_connections_only=True)
            try:
                self.client.call('volume_detach', request)
            except exception.NovaException as err:
                if not (tolerate or fcp.not_found(err)):
                    raise
                LOG.warning("Could not count down volume %(vol)s of "
                            "%(uid)s: %(err)s",
                            {'vol': connection.volume_id(info), 'uid': userid,
                             'err': err}, instance=instance)
        for template in sorted(t for t in templates if t) or [None]:
            self.release(userid, template)

    def record_incoming(self, instance, block_device_info, fcp_devices):
        """Record in this connector the volumes of a guest relocating here.

        The guest keeps its dedicated FCP devices; the connections are
        counted here (``is_root_volume``: database only) before it comes.
        """
        vols = mappings.volume_mappings(block_device_info)
        if not vols:
            return
        userid = names.userid(instance)
        requests = []
        for bdm in vols:
            targets, lun = connection.targets_and_lun(bdm['connection_info'])
            requests.append((bdm, targets, lun))
        distro = connection.os_version(instance)
        # Several records change here: each is undone if a later one fails
        # (Nova's rollback_live_migration_at_destination then finds
        # nothing of this call left; Nova removes the Cinder side itself).
        steps = undo_mod.UndoStack(
            'live migration (destination)', instance,
            _('the z/VM Cloud Connector of this compute host'))
        try:
            conn = self.reserve(userid)
            template = conn.get('fcp_template_id')
            steps.push(_('release the FCP devices %(fcps)s reserved for '
                         '%(uid)s in template %(tmpl)s') % {
                             'fcps': conn['zvm_fcp'], 'uid': userid,
                             'tmpl': template},
                       self.release, userid, template)
            if fcp_devices and fcp.fcp_set(conn['zvm_fcp']) != fcp.fcp_set(
                    fcp_devices):
                raise exception.MigrationError(reason=_(
                    "the destination's connector reserved FCP devices "
                    "%(got)s for %(uid)s, but the guest uses %(want)s") % {
                        'got': fcp.fcp_set(conn['zvm_fcp']), 'uid': userid,
                        'want': fcp.fcp_set(fcp_devices)})
            for bdm, targets, lun in requests:
                self.attach_lun(userid, conn, bdm['connection_info'],
                                targets, lun, distro,
                                bdm.get('mount_device'), is_root_volume=True)
                steps.push(_("count down volume %(vol)s (LUN %(lun)s) of "
                             "%(uid)s in this connector's FCP records") % {
                                 'vol': connection.volume_id(
                                     bdm['connection_info']),
                                 'lun': lun, 'uid': userid},
                           self.client.call, 'volume_detach',
                           connection.connection(
                               userid, conn['zvm_fcp'], targets, lun,
                               distro, bdm.get('mount_device'),
                               is_root_volume=True,
                               update_connections_only=True))
        except Exception as err:
            with excutils.save_and_reraise_exception() as ctxt:
                if not steps.rollback():
                    ctxt.reraise = False
            raise steps.incomplete(err) from err
