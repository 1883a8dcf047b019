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

"""The destination of a move to another host: the guest made from the file.

Another host (resize or cold migration), destination,
``finish_migration``: the file the source handed over must be this
driver's, in ``image_tmp_path``; ``image_import`` the file, ``guest_create``
with the new flavor's CPUs, memory, root, ephemeral and swap disks,
``guest_deploy`` with a new config drive, ``image_delete``,
``guest_config_minidisks``, one ``guest_create_network_interface`` per VIF
(waiting for Neutron's events like spawn does), ``guest_start`` if asked;
the file is removed whatever happens. A failure deletes what was created
here; once nothing is left, the server goes back to its source
(:mod:`move_back`).

The connector captures root disks only (``alldisks`` is not implemented),
so ephemeral disks are created again, empty, on the destination; such
moves are refused unless ``[zvm] recreate_ephemeral_disks`` allows it
(:mod:`plan`).
"""

import os

from oslo_log import log as logging
from oslo_utils import excutils

import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import image_import
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm.migration import move_back
from nova_zvm.virt.zvm.migration import moveswap
from nova_zvm.virt.zvm.migration import steps as mig_steps
from nova_zvm.virt.zvm.migration import transfer
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


def checked_path(path):
    """The file the source handed over, refused unless it is ours."""
    if (not isinstance(path, str) or
            not os.path.basename(path).startswith(transfer.FILE_PREFIX) or
            os.path.dirname(path) != os.path.abspath(
                CONF.zvm.image_tmp_path)):
        raise exception.NovaException(message=_(
            "The migration file %(path)r is not a file of this driver in "
            "[zvm] image_tmp_path (%(tmp)s); image_tmp_path must be the "
            "same path on all compute hosts.") % {
                'path': path, 'tmp': CONF.zvm.image_tmp_path})
    if not os.path.isfile(path):
        raise exception.NovaException(message=_(
            "The migration file %s is not on this host: the destination "
            "does not share [zvm] image_tmp_path with the source, or "
            "the copy is gone.") % path)
    return path


class Receiver(object):
    """The destination side of a move to this host.

    :param client: the ``ConnectorClient`` of this host
    :param guest_ops: ``guest.GuestOps`` (guest creation, NICs, disk fit)
    :param guest_steps: ``steps.GuestSteps`` of this host
    :param root_images: ``rootimage.RootImages`` of this host
    """

    def __init__(self, client, guest_ops, guest_steps, root_images):
        self._client = client
        self._guest = guest_ops
        self._steps = guest_steps
        self._images = root_images

    def finish(self, context, migration, instance, userid, info,
               network_info, power_on):
        """Make the guest here, or hand the server back to its source."""
        try:
            self._receive(context, instance, userid, info, network_info,
                          power_on)
        except zvm_undo.RollbackIncomplete:
            # Something is left here: the server stays (in ERROR) on
            # this host, where the fault names it.
            raise
        except Exception as err:
            # Nothing is left here: the server goes back to its source.
            rollback = move_back.to_source(context, instance,
                                           migration, err)
            if rollback is err:
                raise
            raise rollback from err

    def _receive(self, context, instance, userid, info, network_info,
                 power_on):
        name = info['image']
        os_distro = info.get('os_distro') or instance_facts.os_distro(
            instance)
        if not os_distro:
            raise exception.InvalidInput(reason=_(
                "The operating system of the migrated guest is unknown: "
                "neither the exported image nor the instance names it."))
        path = checked_path(info.get('path'))
        steps = zvm_undo.UndoStack(
            'migration', instance,
            _('this compute host (destination), z/VM guest %s') % userid)
        try:
            # Disks no volume of this host's pool can hold (diskfit), before
            # anything is created here.
            sized = [minidisks.minidisk('%dg' % info['root_gb'],
                                        is_boot_disk=True)] if info.get(
                'root_gb') else []
            swap_mb = info.get('swap_mb') or 0
            reason = self._guest.disks.disk_fit_reason(sized + [
                minidisks.minidisk('%dg' % eph['size'], format=eph['format'])
                for eph in info.get('ephemerals') or []] +
                moveswap.fit_entries(swap_mb))
            if reason:
                raise exception.ResizeError(reason=reason)
            # A failed import may leave a partial record: undo it either way.
            steps.push('delete image %s' % name, self._images.delete, name)
            self._import(name, path, os_distro, info.get('md5sum'))
            disks = [minidisks.minidisk(
                self._steps.root_size(info['root_gb'], name),
                is_boot_disk=True)]
            disks.extend(minidisks.minidisk('%dg' % eph['size'],
                                            format=eph['format'])
                         for eph in info.get('ephemerals') or [])
            # As spawn: the swap disk after the ephemeral disks.
            disks.extend(moveswap.fit_entries(swap_mb))
            created = self._create(instance, userid, disks, steps)
            self._steps.deploy(context, instance, userid, name, network_info)
            # The guest's disk holds the image now.
            self._images.delete(name)
            ephemerals = minidisks.ephemeral_config(created)
            if ephemerals:
                self._client.call('guest_config_minidisks', userid,
                                  ephemerals)
            if network_info:
                self._guest.plug_and_wait(instance, userid, os_distro,
                                          network_info)
            if power_on:
                self._client.call('guest_start', userid)
        except Exception as err:
            with excutils.save_and_reraise_exception() as ctxt:
                if not mig_steps.rolled_back(steps, err):
                    ctxt.reraise = False
            raise steps.incomplete(err) from err
        finally:
            tmpfiles.remove_tmp_file(path)
        LOG.info("Guest %(uid)s created from image %(name)s", {
            'uid': userid, 'name': name}, instance=instance)

    def _import(self, name, path, os_distro, md5sum):
        # Hashing GBs must not stall eventlet's hub.
        meta = image_import.import_meta(os_distro, md5sum or (
            compat.run_in_native_thread(tmpfiles.file_md5, path)))
        self._client.call('image_import', name, 'file://' + path, meta,
                          **connector_files.remote_kwargs('image_import'))

    def _create(self, instance, userid, disks, steps):
        try:
            created = self._guest.create_guest(instance, userid, disks)
        except exception.InstanceExists:
            LOG.error("Guest %s already exists on this z/VM: do the source "
                      "and destination hosts share one z/VM?", userid,
                      instance=instance)
            raise
        except Exception:
            # The connector may have defined the guest before failing.
            steps.push('delete the half-created guest %s' % userid,
                       self._guest.delete_guest, userid, instance)
            raise
        steps.push('delete the new guest %s' % userid,
                   self._guest.delete_guest, userid, instance)
        return created or disks
