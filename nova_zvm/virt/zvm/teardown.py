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

"""What deleting a server does (``ComputeDriver.destroy``).

:meth:`Teardown.destroy` composes the parts a deletion touches: a same-host
resize being reverted keeps its one guest (:mod:`migration`); the clean-up
of a server evacuated inside the SSI cluster only makes this connector
forget the guest now running on another member (:mod:`evacuate`);
otherwise the guest goes (:mod:`guest`: ``guest_delete``, a missing guest
is fine), then the root disk image a failed resize or migration kept, the
connector's volume records and FCP reservations of the guest (a failure
there is logged, never raised: the guest is gone and the server must not
go to ERROR), and whatever FCP devices the connector still holds for the
guest (:mod:`volume.fcp`, retried by the periodic update on failure).
"""

from oslo_log import log as logging

from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)


class Teardown(object):
    """Deleting a server, across the objects it touches.

    :param guest: ``guest.GuestOps``
    :param migration: ``migration.ops.MigrationOps``
    :param evacuate: ``evacuate.EvacuateOps``
    :param volume: ``volume.ops.VolumeOps``
    """

    def __init__(self, guest, migration, evacuate, volume):
        self._guest = guest
        self._migration = migration
        self._evacuate = evacuate
        self._volume = volume

    def destroy(self, context, instance, block_device_info, hostname):
        """Delete the server's guest and what this driver keeps for it.

        :param hostname: this compute service's host name
        """
        if self._migration.keeps_guest_on_destroy(context, instance):
            # A same-host resize being reverted: one guest, set back by
            # finish_revert_migration.
            return
        if self._evacuate.moved_away(instance, hostname):
            # Clean-up of an instance evacuated inside the SSI cluster: the
            # same guest runs on another member; never delete it.
            self._evacuate.forget(instance)
            return
        self._guest.destroy(instance)
        # A root disk image a failed resize or migration kept.
        self._migration.delete_kept_image(instance)
        # The connector's volume records and FCP reservations of the guest.
        # The guest is gone: a failure here must not put the server in
        # ERROR; what is left is logged.
        try:
            self._volume.forget_volumes(instance, block_device_info)
        except Exception as err:
            LOG.error("The guest is deleted, but its volume records and FCP "
                      "device reservations on the connector could not be "
                      "released; release them by hand: %s", err,
                      instance=instance)
        # Whatever the connector still holds for the guest, mapped or not
        # (volume/fcp.py); a failure is retried by the periodic update.
        self._volume.reservations.release_guest(names.userid(instance),
                                                gone=True)
