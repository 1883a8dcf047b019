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

"""Resize and cold migration of z/VM guests: the driver's entry points.

Nova calls, in order: ``migrate_disk_and_power_off`` on the source host,
``finish_migration`` on the destination host, then either
``confirm_migration`` on the source, or ``destroy`` on the destination
followed by ``finish_revert_migration`` on the source. A guest's userid is
``instance.name.upper()`` on every z/VM, so the source and the destination
guests have the same name, each on its own connector.

What a migration will do, and what is refused before anything changes, is
decided first (:mod:`plan`). Then, on the same host, :mod:`resize_here`
changes the one guest (and sets it back on revert); to another host,
:mod:`send` stops the guest and hands its root disk over as a file
(:mod:`transfer`), and :mod:`receive` makes the guest on the destination.
The steps and what a failure undoes are in :mod:`steps`; the migration
image and who owns it in :mod:`rootimage`.

Another host, after the move: confirm, on the source, ``guest_delete``
(when it fails, :mod:`leftover_guests` retries it). Revert: Nova's
``destroy`` deletes the destination guest, then
``finish_revert_migration`` on the source starts the original guest if it
was running (``guest_get_power_state``, ``guest_start``).

Resources: Nova's resource tracker and placement account for both guests
until confirm or revert (the source keeps the old flavor's allocation,
held by the migration); the host's inventory comes from the connector's
totals, which a stopped guest does not change.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils

from nova.compute import power_state
from nova.compute import task_states
import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import leftover_guests
from nova_zvm.virt.zvm.migration import plan as mig_plan
from nova_zvm.virt.zvm.migration import receive
from nova_zvm.virt.zvm.migration import resize_here
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm.migration import send
from nova_zvm.virt.zvm.migration import steps as mig_steps
from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


class MigrationOps(object):
    """Resize and cold migration over the connector of this host.

    :param client: the ``ConnectorClient`` of this host
    :param guest_ops: ``guest.GuestOps`` (power, guest creation, NICs)
    :param image_ops: ``image.ImageOps`` (deploy/capture slots, sizes)
    """

    def __init__(self, client, guest_ops, image_ops):
        self._client = client
        self._guest = guest_ops
        self._images = rootimage.RootImages(client, image_ops)
        guest_steps = mig_steps.GuestSteps(client, guest_ops, image_ops)
        self._planner = mig_plan.Planner(client, guest_ops)
        self._here = resize_here.SameHostResize(client, guest_steps,
                                                self._images)
        self._sender = send.Sender(client, guest_steps, self._images)
        self._receiver = receive.Receiver(client, guest_ops, guest_steps,
                                          self._images)

    # -- source: migrate_disk_and_power_off ----------------------------------

    def migrate_disk_and_power_off(self, context, instance, dest, flavor,
                                   network_info, block_device_info=None,
                                   timeout=0, retry_interval=0):
        """Stop the guest and prepare its disk for the destination.

        :returns: the disk_info Nova hands to finish_migration (JSON)
        :raises: InstanceFaultRollback when refused or rolled back
        """
        userid = names.userid(instance)
        plan = self._planner.plan(context, instance, flavor,
                                  block_device_info)
        if plan.same_host:
            info = self._here.resize(context, instance, userid, plan,
                                     network_info, timeout, retry_interval)
        else:
            info = self._sender.send(instance, userid, plan, dest, timeout,
                                     retry_interval)
        return jsonutils.dumps(info)

    # -- destination: finish_migration -------------------------------------

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         block_device_info=None, power_on=True):
        """Make the guest on this host from what the source prepared."""
        info = mig_plan.load_disk_info(disk_info)
        userid = names.userid(instance)
        if info['mode'] == mig_plan.MODE_MOVE:
            self._receiver.finish(context, migration, instance, userid,
                                  info, network_info, power_on)
        elif power_on:
            # Same host: migrate_disk_and_power_off changed the guest.
            self._client.call('guest_start', userid)

    # -- source: confirm_migration -------------------------------------------

    def confirm_migration(self, context, migration, instance, network_info):
        """Delete what the source kept for a revert."""
        if mig_plan.same_host(migration):
            if self._images.delete_quietly(rootimage.image_name(migration),
                                           instance):
                rootimage.forget_kept_image(instance)
            return
        userid = names.userid(instance)
        try:
            self._guest.delete_guest(userid, instance)
        except Exception as err:
            # The server runs on the destination: an error here would put
            # it in ERROR for a guest it no longer uses. The stopped source
            # guest is left to its owner, the ledger of leftover guests,
            # which deletes it from this host's periodic resource update.
            recorded = leftover_guests.record(migration.source_compute,
                                              userid, instance.uuid)
            LOG.error("Confirmed the migration to %(dest)s, but could not "
                      "delete the stopped source guest %(uid)s on this "
                      "z/VM (%(node)s); %(then)s: %(err)s",
                      {'dest': migration.dest_compute, 'uid': userid,
                       'node': migration.source_node, 'err': err,
                       'then': 'it is deleted later' if recorded else
                       "delete it with the connector's guest_delete"},
                      instance=instance)

    # -- revert --------------------------------------------------------------

    def keeps_guest_on_destroy(self, context, instance):
        """Whether Nova's destroy must keep the guest.

        Nova reverts a resize by destroying the guest on the destination,
        then finishing the revert on the source. When both are this host,
        they are one guest, which the revert sets back.
        """
        if instance.task_state != task_states.RESIZE_REVERTING:
            return False
        migration = mig_plan.find_migration(context, instance, 'reverting')
        if migration is None:
            # Deleting could lose the only copy of the server's disk.
            raise exception.NovaException(message=_(
                "Cannot find the migration being reverted; the guest is "
                "kept."))
        if mig_plan.same_host(migration):
            LOG.info("Same-host resize revert: keeping the guest",
                     instance=instance)
            return True
        return False

    def finish_revert_migration(self, context, instance, network_info,
                                migration, block_device_info=None,
                                power_on=True):
        """Bring the original guest back, on the source host."""
        userid = names.userid(instance)
        running = self._guest.power_state(instance) == power_state.RUNNING
        if mig_plan.same_host(migration):
            if running:
                self._guest.power_off(instance, CONF.shutdown_timeout,
                                      CONF.zvm.softstop_poll_interval)
                running = False
            self._here.revert(context, instance, userid, migration,
                              network_info, block_device_info)
        if power_on and not running:
            self._client.call('guest_start', userid)
        LOG.info("Reverted the resize or migration of guest %s", userid,
                 instance=instance)

    # -- kept image and clean-up of failed migrations ----------------------

    def delete_kept_image(self, instance):
        """Delete the migration image a failed operation left, if any.

        :returns: False when it could not be deleted (logged)
        """
        return self._images.delete_kept(instance)

    def delete_instance_files(self, instance):
        """Delete the guest a deleted instance left on this host.

        Nova calls this for deleted instances, in particular on the source
        of a migration that failed after the source guest was kept.
        """
        try:
            self._guest.delete_guest(names.userid(instance), instance)
        except Exception as err:
            LOG.warning("Could not delete the guest of deleted instance: "
                        "%s", err, instance=instance)
            return False
        return self.delete_kept_image(instance)
