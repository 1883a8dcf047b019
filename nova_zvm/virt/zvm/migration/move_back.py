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

"""A failed move's destination hands the server back to its source.

When ``finish_migration`` fails on the destination of a cold migration or
a resize to another host, Nova (32, 33 and 34 alike) has already pointed
the server at the destination (``resize_instance`` on the source set its
host and node). For any exception Nova then sets the server to ERROR there,
where no guest exists, while the stopped source guest is untouched: a
reset-state leaves it on a host without a guest. For
``InstanceFaultRollback`` Nova sets the server ACTIVE, clears its task,
puts the old flavor back, records the inner exception as the fault and
deletes the source allocation held by the migration, but it still leaves
the host, node, ports and placement on the destination.

So once the destination has rolled back everything it created, this module
points Nova's records back at the source, as Nova's own
``finish_revert_resize`` does (minus starting the guest, which only the
source can do): the ports' binding host, the allocation (the migration's
source allocation becomes the instance's again, so what Nova deletes
afterwards is empty), then host, node and compute node of the instance,
whose migration context is reverted and dropped. Nova saves the instance
when it handles the ``InstanceFaultRollback`` this module builds.

The source guest is stopped (``migrate_disk_and_power_off``): the server
is ACTIVE with power state SHUTDOWN, which Nova's power-state sync turns
into SHUTOFF; a hard reboot or a start (once SHUTOFF) runs it again, and a
new migration can be tried at once.
"""

from oslo_log import log as logging

from nova.compute import power_state
from nova import exception
from nova.network import neutron
from nova import objects
from nova.scheduler.client import report
from nova import utils as nova_utils

LOG = logging.getLogger(__name__)


def to_source(context, instance, migration, err):
    """The exception to raise after the destination rolled back ``err``.

    :returns: ``InstanceFaultRollback`` around ``err`` when Nova's records
        point at the source again; ``err`` itself when they could not be
        moved back (Nova then sets the server to ERROR, as before)
    """
    source = migration.source_compute
    try:
        node = objects.ComputeNode.get_by_host_and_nodename(
            context, source, migration.source_node)
        # The ports first: the source's NICs are bound to the source again.
        with nova_utils.temporary_mutation(migration, dest_compute=source):
            neutron.API().migrate_instance_finish(
                context, instance, migration, provider_mappings=None)
        report.report_client_singleton().move_allocations(
            context, migration.uuid, instance.uuid)
    except Exception as move_err:
        LOG.error("The destination rolled back, but the server could not "
                  "be handed back to its source host %(src)s: %(move)s. "
                  "Its stopped source guest is intact; see the "
                  "troubleshooting guide. Failure: %(err)s",
                  {'src': source, 'move': move_err, 'err': err},
                  instance=instance)
        return err
    instance.host = source
    # migrate_disk_and_power_off stopped the source guest: Nova's power
    # sync (vm state ACTIVE, guest off) then makes the server SHUTOFF.
    instance.power_state = power_state.SHUTDOWN
    instance.node = node.hypervisor_hostname
    instance.compute_id = node.id
    if instance.migration_context is not None:
        instance.revert_migration_context()
        instance.drop_migration_context()
    LOG.warning("Migration to %(dest)s failed and was rolled back there; "
                "the server is back on its source host %(src)s, with its "
                "guest stopped: %(err)s",
                {'dest': migration.dest_compute, 'src': source, 'err': err},
                instance=instance)
    return exception.InstanceFaultRollback(inner_exception=err)
