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

"""The steps of a migration that change a guest on this host, and failures.

The steps (stop, CPUs and memory, the root disk made from the migration
image, ephemeral disks replaced) are shared by the same-host resize and its
revert (:mod:`resize_here`), the source (:mod:`send`) and the destination
(:mod:`receive`) of a move.

Failures
    Every step that changed something records its undo (:mod:`undo`). A
    failure in ``migrate_disk_and_power_off`` undoes the completed steps in
    reverse order (image deleted, file removed here and on the destination,
    CPUs, memory and disks set back, guest started again if it was running)
    and raises ``InstanceFaultRollback``: the server stays on its source with
    a fault. If an undo step fails too, the original error is raised and
    Nova sets the server to ERROR; the log names what is left. A failure in
    ``finish_migration`` deletes whatever was created on the destination
    (guest, image) and the file; once nothing is left there, Nova's
    records are pointed back at the source (:mod:`move_back`) and
    ``InstanceFaultRollback`` keeps the server usable there, with its
    stopped source guest and a fault. If the destination's rollback
    stopped, Nova sets the server to ERROR on the destination, whose fault
    names what is left; deleting it then has its source guest removed by
    Nova's periodic clean-up of failed migrations, which calls
    ``delete_instance_files`` on the source.
"""

from oslo_log import log as logging

from nova.compute import power_state
from nova.i18n import _

from nova_zvm.virt.zvm import configdrive
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm.migration import plan as mig_plan
from nova_zvm.virt.zvm import minidisks

LOG = logging.getLogger(__name__)

ROOT_VDEV = minidisks.ROOT_VDEV


def rolled_back(steps, err):
    """Log the failure and undo the completed steps; True if clean."""
    LOG.error("%(op)s failed: %(err)s; rolling back %(n)d step(s)",
              {'op': steps.operation.capitalize(), 'err': err,
               'n': len(steps)}, instance=steps.instance)
    return steps.rollback()


def rollback_fault(operation, err):
    return mig_plan.refusal(_(
        "%(op)s failed and was rolled back, the server is unchanged on "
        "its host: %(err)s") % {'op': operation, 'err': err})


def fail(steps, err, operation):
    """The exception for a failed step, after the rollback.

    Rolled back completely: Nova keeps the server on its host with a
    fault. Otherwise the server goes to ERROR with a fault naming what
    is left and where (the rollback stopped to keep it).
    """
    if rolled_back(steps, err):
        return rollback_fault(operation, err)
    return steps.incomplete(err)


def where(migration, host):
    """Where an undo stack's leftovers are, for its fault."""
    node = (migration.source_node if host == migration.source_compute
            else migration.dest_node)
    return _('compute host %(host)s, z/VM %(node)s') % {
        'host': host, 'node': node}


class GuestSteps(object):
    """Changes to a guest of this host, each with its undo where needed.

    :param client: the ``ConnectorClient`` of this host
    :param guest_ops: ``guest.GuestOps`` (power)
    :param image_ops: ``image.ImageOps`` (deploy/capture slots, sizes)
    """

    def __init__(self, client, guest_ops, image_ops):
        self._client = client
        self._guest = guest_ops
        self._image = image_ops

    def stop(self, instance, userid, steps, timeout, retry_interval):
        if self._guest.power_state(instance) != power_state.RUNNING:
            return
        self._guest.power_off(instance, timeout, retry_interval)
        steps.push('start the guest again', self._client.call, 'guest_start',
                   userid)

    def resize_cpu_memory(self, userid, old, new, steps=None):
        if new.vcpus != old.vcpus:
            self._client.call('guest_resize_cpus', userid, new.vcpus)
            if steps is not None:
                steps.push('set %d CPUs again' % old.vcpus, self._client.call,
                           'guest_resize_cpus', userid, old.vcpus)
        if new.memory_mb != old.memory_mb:
            self._client.call('guest_resize_mem', userid,
                              mig_plan.memory_size(new.memory_mb))
            if steps is not None:
                steps.push('set %d MB of memory again' % old.memory_mb,
                           self._client.call, 'guest_resize_mem', userid,
                           mig_plan.memory_size(old.memory_mb))

    def root_size(self, root_gb, name):
        if root_gb:
            return '%dg' % root_gb
        # A flavor without a root size keeps the image's own size.
        return self._image.root_disk_size(name)

    def deploy(self, context, instance, userid, name, network_info):
        with configdrive.transport_file(context, instance, [], network_info,
                                        None) as path:
            with self._image.deploy_capture_slot():
                self._client.call(
                    'guest_deploy', userid, name, transportfiles=path,
                    vdev=ROOT_VDEV,
                    **connector_files.remote_kwargs('guest_deploy'))

    def root_from_image(self, context, instance, userid, name, flavor,
                        network_info, replace=False):
        """Make the root minidisk for flavor and deploy image name on it."""
        if replace:
            self._client.call('guest_delete_disks', userid, [ROOT_VDEV])
        self._client.call('guest_create_disks', userid, [minidisks.minidisk(
            self.root_size(flavor.root_gb, name), vdev=ROOT_VDEV,
            format='none')])
        self.deploy(context, instance, userid, name, network_info)

    def add_ephemerals(self, userid, layout):
        disks = [minidisks.minidisk('%dg' % eph['size'],
                                    format=eph['format'],
                                    vdev=mig_plan.ephemeral_vdev(i))
                 for i, eph in enumerate(layout)]
        created = self._client.call('guest_create_disks', userid, disks)
        self._client.call('guest_config_minidisks', userid,
                          minidisks.ephemeral_config(created or disks))

    def replace_ephemerals(self, userid, now, new, steps):
        if now:
            self._client.call('guest_delete_disks', userid,
                              [mig_plan.ephemeral_vdev(i)
                               for i in range(len(now))])
            steps.push('create the original ephemeral disks again (empty)',
                       self.add_ephemerals, userid, now)
        if new:
            # Before the call: a failed guest_create_disks may have made
            # some of them.
            steps.push('delete the new ephemeral disks', self._client.call,
                       'guest_delete_disks', userid,
                       [mig_plan.ephemeral_vdev(i) for i in range(len(new))])
            self.add_ephemerals(userid, new)
