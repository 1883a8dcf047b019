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

"""Resize on the same host, and its revert.

Same host (``allow_resize_to_same_host``; source and destination compute
are one service, one connector, one guest)
    All changes are made in ``migrate_disk_and_power_off``, where a failure
    can still be rolled back with the server kept as it was:
    ``guest_get_power_state``, ``guest_softstop`` (or ``guest_stop``),
    ``guest_resize_cpus`` and ``guest_resize_mem`` when they change (z/VM
    directory, effective at the next logon). A root disk that grows cannot
    be grown in place (the connector has no such call, and
    ``guest_grow_root_volume`` only grows a file system on FCP disks): it is
    captured into the migration image (``guest_capture``), its minidisk is
    replaced by a bigger one (``guest_delete_disks``,
    ``guest_create_disks`` at vdev 0100) and the image deployed to it
    (``guest_deploy`` with a new config drive). The image is kept until
    confirm or revert: it is the original root disk. Ephemeral disks that
    change are replaced (``guest_delete_disks``, ``guest_create_disks``,
    ``guest_config_minidisks``), and so is the swap disk when its size or
    place (after the ephemeral disks) changes (:mod:`moveswap`).
    ``finish_migration`` only starts the guest
    (``guest_start``) if Nova asks for it. Confirm deletes the migration
    image if any (``image_delete``). Revert, whose ``destroy`` keeps the
    guest, stops it, sets CPUs and memory back, deploys the original root
    disk again on a minidisk of its original size and deletes the image,
    puts the original ephemeral disks back (empty if they were replaced),
    and starts the guest if Nova asks for it: the root disk is back exactly
    as it was before the resize, with its original size.
"""

from oslo_log import log as logging

from nova.i18n import _

from nova_zvm.virt.zvm.migration import moveswap
from nova_zvm.virt.zvm.migration import plan as mig_plan
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm.migration import steps as mig_steps
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)

ROOT_VDEV = mig_plan.ROOT_VDEV


class SameHostResize(object):
    """The same-host resize of a guest of this host, and its revert.

    :param client: the ``ConnectorClient`` of this host
    :param guest_steps: ``steps.GuestSteps`` of this host
    :param root_images: ``rootimage.RootImages`` of this host
    """

    def __init__(self, client, guest_steps, root_images):
        self._client = client
        self._steps = guest_steps
        self._images = root_images
        self._swap = moveswap.SwapDisks(client)

    def resize(self, context, instance, userid, plan, network_info,
               timeout, retry_interval):
        """Change the guest as plan says; :returns: the disk_info dict."""
        steps = zvm_undo.UndoStack(
            'resize', instance,
            mig_steps.where(plan.migration, plan.migration.source_compute))
        try:
            self._steps.stop(instance, userid, steps, timeout,
                             retry_interval)
            self._steps.resize_cpu_memory(userid, plan.old, plan.new, steps)
            if plan.root_grows:
                self._images.capture(userid, plan.image, steps)
                # From here the image may be the only copy of the root
                # disk: an artifact, released by a complete rollback or by
                # confirm/revert, never by an undo call.
                steps.keep(_("image %(img)s (original root disk of "
                             "%(uid)s)") % {'uid': userid,
                                            'img': plan.image},
                           self._images.release, plan.image, instance)
                self._client.call('guest_delete_disks', userid, [ROOT_VDEV])
                steps.push('restore the original root disk from image %s' %
                           plan.image, self._steps.root_from_image, context,
                           instance, userid, plan.image, plan.old,
                           network_info, replace=True)
                self._steps.root_from_image(context, instance, userid,
                                            plan.image, plan.new,
                                            network_info)
            swap_moves = self._swap.moves(plan.swap_now, plan.swap_new,
                                          len(plan.eph_now),
                                          len(plan.eph_new))
            if swap_moves:
                # Out of the way first: it follows the ephemeral disks.
                self._swap.remove_for_move(userid, plan.swap_now,
                                           len(plan.eph_now), steps)
            if plan.eph_now != plan.eph_new:
                self._steps.replace_ephemerals(userid, plan.eph_now,
                                               plan.eph_new, steps)
            if swap_moves:
                self._swap.add_for_move(userid, plan.swap_new,
                                        len(plan.eph_new), steps)
        except Exception as err:
            raise mig_steps.fail(steps, err, _('Resize')) from err
        LOG.info("Resized guest %(uid)s on this host to flavor %(flavor)s%("
                 "root)s", {'uid': userid, 'flavor': plan.new.name,
                            'root': ' (root disk kept as image %s until '
                                    'confirm)' % plan.image
                            if plan.root_grows else ''},
                 instance=instance)
        return {'zvm_migration': mig_plan.DISK_INFO_VERSION,
                'mode': mig_plan.MODE_SAME_HOST,
                'image': plan.image if plan.root_grows else None}

    def revert(self, context, instance, userid, migration, network_info,
               block_device_info):
        """Set the stopped guest back to the old flavor and its disks."""
        old = instance.flavor
        new = (instance.new_flavor if instance.obj_attr_is_set('new_flavor')
               and instance.new_flavor else old)
        self._steps.resize_cpu_memory(userid, new, old)
        name = rootimage.image_name(migration)
        if self._images.exists(name):
            self._steps.root_from_image(context, instance, userid, name, old,
                                        network_info, replace=True)
            # Only now: until here the image is the original root disk.
            self._images.delete(name)
        rootimage.forget_kept_image(instance)
        original, resized = mig_plan.ephemeral_layout(old, new,
                                                      block_device_info)
        swap_old, swap_resized = self._revert_swap_sizes(old, new,
                                                         block_device_info)
        swap_moves = self._swap.moves(swap_resized, swap_old, len(resized),
                                      len(original))
        if swap_moves and swap_resized:
            self._swap.delete(userid, moveswap.vdev(len(resized)))
        if resized != original:
            if resized:
                self._client.call('guest_delete_disks', userid, [
                    mig_plan.ephemeral_vdev(i) for i in range(len(resized))])
            if original:
                self._steps.add_ephemerals(userid, original)
        if swap_moves and swap_old:
            self._swap.add(userid, swap_old, moveswap.vdev(len(original)))

    @staticmethod
    def _revert_swap_sizes(old, new, block_device_info):
        """Swap (MB) of the server before the resize, and after it.

        The resize gave the guest the new flavor's swap when the flavors'
        swap differ (and Nova sets the mapping back to the old flavor's);
        otherwise the size of the mapping was kept.
        """
        if old.swap != new.swap:
            return old.swap or 0, new.swap or 0
        now = moveswap.current_mb(block_device_info)
        return now, now
