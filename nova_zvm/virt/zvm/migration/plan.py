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

"""What a resize or migration will do, decided before anything changes.

Refused before anything is touched (``InstanceFaultRollback`` around a
``ResizeError``: Nova keeps the server as it was, with a fault saying why):
a smaller root disk or smaller ephemeral disks, servers booted from a volume
or with volumes attached, a memory size the z/VM directory cannot express,
on the same host fewer vCPUs than ``guest_resize_cpus`` can really set
(the guest's ``COMMAND DEFINE CPU`` statements stay: :mod:`cpus`),
ephemeral disks that would be recreated without ``recreate_ephemeral_disks``,
disks no volume of the pool can hold (:mod:`diskfit`), a destination in
this host's SSI cluster (:mod:`ssi`). A destination that cannot be reached
over ssh when the file must be copied is refused by :mod:`send`, before
anything is touched too.

This module also owns the disk_info the source hands the destination
(:func:`load_disk_info`): a versioned JSON object whose ``mode`` says
whether the guest stayed on this host or moved.
"""

from oslo_log import log as logging
from oslo_serialization import jsonutils

from nova import block_device
import nova.conf
from nova import exception
from nova.i18n import _
from nova import objects
from nova.virt import driver as virt_driver

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import cpus
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm.migration import moveswap
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import ssi

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

DISK_INFO_VERSION = 1
MODE_SAME_HOST = 'same-host'
MODE_MOVE = 'move'
MODES = (MODE_SAME_HOST, MODE_MOVE)

ROOT_VDEV = minidisks.ROOT_VDEV
# The connector's directory size syntax: 1 to 4 digits and M or G.
MAX_SIZE_NUMBER = 9999


def memory_size(memory_mb):
    """Memory as guest_resize_mem takes it ('4g', '1536m'), or None."""
    if memory_mb % 1024 == 0 and memory_mb // 1024 <= MAX_SIZE_NUMBER:
        return '%dg' % (memory_mb // 1024)
    if 0 < memory_mb <= MAX_SIZE_NUMBER:
        return '%dm' % memory_mb
    return None


def ephemeral_vdev(index):
    """vdev of the index-th ephemeral disk: 0101, 0102, ... (spawn's)."""
    return '%04x' % (int(ROOT_VDEV, 16) + 1 + index)


def ephemeral_layout(old_flavor, new_flavor, block_device_info):
    """The ephemeral disks now and after a resize to new_flavor.

    The disks now are the instance's ephemeral block device mappings (spawn
    makes one minidisk per mapping). A single ephemeral disk, or none,
    follows the flavor when its ``ephemeral_gb`` grows, as with Nova's
    libvirt driver; several keep their sizes.

    :returns: two lists of ``{'size': GB, 'format': fs}``
    """
    now = [{'size': eph['size'],
            'format': instance_facts.ephemeral_format(eph)}
           for eph in virt_driver.block_device_info_get_ephemerals(
               block_device_info)]
    if (new_flavor.ephemeral_gb > old_flavor.ephemeral_gb and
            len(now) <= 1):
        fmt = now[0]['format'] if now else instance_facts.ephemeral_format({})
        return now, [{'size': new_flavor.ephemeral_gb, 'format': fmt}]
    return now, [dict(eph) for eph in now]


def _new_disks(plan):
    """The minidisks a same-host resize makes (guest_create entries)."""
    disks = []
    if plan.root_grows:
        disks.append({'size': '%dg' % plan.new.root_gb, 'is_boot_disk': True})
    if plan.eph_now != plan.eph_new:
        disks.extend({'size': '%dg' % eph['size'], 'format': eph['format']}
                     for eph in plan.eph_new)
    if plan.swap_now != plan.swap_new:
        disks.extend(moveswap.fit_entries(plan.swap_new))
    return disks


def refusal(reason):
    """What Nova takes for "refused, the server is unchanged"."""
    return exception.InstanceFaultRollback(
        inner_exception=exception.ResizeError(reason=reason))


def same_host(migration):
    """Whether the migration stays on this host (one guest)."""
    return migration.source_compute == migration.dest_compute


def load_disk_info(disk_info):
    """The source's disk_info, refused unless this driver made it."""
    try:
        info = jsonutils.loads(disk_info)
    except (TypeError, ValueError):
        info = None
    if (not isinstance(info, dict) or
            info.get('zvm_migration') != DISK_INFO_VERSION or
            info.get('mode') not in MODES):
        raise exception.NovaException(message=_(
            "The source host did not send z/VM migration data (disk_info "
            "%r); is it running this driver at the same version?") %
            (disk_info,))
    return info


def find_migration(context, instance, status):
    """The migration record of the instance, or None."""
    try:
        mig_ctxt = instance.migration_context
        if mig_ctxt is not None:
            return objects.Migration.get_by_id(context,
                                               mig_ctxt.migration_id)
        return objects.Migration.get_by_instance_and_status(
            context, instance.uuid, status)
    except exception.NotFound as err:
        LOG.warning("No migration record found: %s", err,
                    instance=instance)
        return None


class Plan(object):
    """What a resize or migration changes, decided before any change."""

    def __init__(self, migration, old, new, root_grows, eph_now, eph_new):
        self.migration = migration
        self.same_host = same_host(migration)
        self.old = old
        self.new = new
        self.root_grows = root_grows
        self.eph_now = eph_now
        self.eph_new = eph_new
        self.image = rootimage.image_name(migration)
        # Swap disk sizes (MB) now and after; set by Planner.plan.
        self.swap_now = self.swap_new = 0


class Planner(object):
    """Makes the plan of a resize or migration, or refuses it.

    :param client: the ``ConnectorClient`` of this host (read-only calls)
    :param guest_ops: ``guest.GuestOps`` (disk fit of this host's pool)
    """

    def __init__(self, client, guest_ops):
        self._client = client
        self._guest = guest_ops

    def plan(self, context, instance, flavor, block_device_info):
        """Check what can be checked without touching anything.

        :returns: a :class:`Plan`
        :raises: InstanceFaultRollback when refused
        """
        mapping = virt_driver.block_device_info_get_mapping(block_device_info)
        if not instance.image_ref or block_device.get_root_bdm(mapping):
            raise refusal(_(
                "servers booted from a volume cannot be resized or migrated "
                "by the z/VM driver yet"))
        if mapping:
            raise refusal(_(
                "servers with volumes attached cannot be resized or "
                "migrated by the z/VM driver yet; detach the volumes first"))
        old = instance.flavor
        if flavor.root_gb and flavor.root_gb < old.root_gb:
            raise refusal(_(
                "the root disk cannot shrink (%(old)d GB now, %(new)d GB in "
                "flavor %(name)s)") % {'old': old.root_gb,
                                       'new': flavor.root_gb,
                                       'name': flavor.name})
        root_grows = bool(flavor.root_gb) and flavor.root_gb > old.root_gb
        eph_now, eph_new = ephemeral_layout(old, flavor, block_device_info)
        eph_total = sum(eph['size'] for eph in eph_now)
        if flavor.ephemeral_gb < eph_total:
            raise refusal(_(
                "ephemeral disks cannot shrink (%(old)d GB now, %(new)d GB "
                "in flavor %(name)s)") % {'old': eph_total,
                                          'new': flavor.ephemeral_gb,
                                          'name': flavor.name})
        for mb in (old.memory_mb, flavor.memory_mb):
            if memory_size(mb) is None:
                raise refusal(_(
                    "%d MB of memory cannot be set in a z/VM directory "
                    "entry (at most 9999 MB, or a whole number of GB up to "
                    "9999 GB)") % mb)
        migration = find_migration(context, instance, 'migrating')
        if migration is None:
            raise refusal(_("the migration record of the server cannot be "
                            "found"))
        plan = Plan(migration, old, flavor, root_grows, eph_now, eph_new)
        plan.swap_now, plan.swap_new = moveswap.layout(old, flavor,
                                                       block_device_info)
        if plan.same_host:
            # Disks this host makes must each fit on one volume (diskfit).
            reason = self._guest.disks.disk_fit_reason(_new_disks(plan))
            if reason:
                raise refusal(reason)
        recreated = bool(eph_now) and (not plan.same_host or
                                       eph_now != eph_new)
        if recreated and not CONF.zvm.recreate_ephemeral_disks:
            raise refusal(_(
                "the server's ephemeral disks would be created again, empty "
                "(the z/VM Cloud Connector cannot copy them); an "
                "administrator can allow this with [zvm] "
                "recreate_ephemeral_disks"))
        if not plan.same_host:
            # The one check that asks the connector (read-only), last.
            self._check_not_an_ssi_member(migration)
        elif flavor.vcpus < old.vcpus:
            # Read-only too. Growing always takes effect (cpus.py).
            self._check_cpus_can_shrink(instance, flavor.vcpus)
        return plan

    def _check_cpus_can_shrink(self, instance, vcpus):
        """Refuse fewer CPUs than guest_resize_cpus can really set."""
        userid = names.userid(instance)
        info = self._client.call('guest_get_definition_info', userid) or {}
        reason = cpus.resize_refusal(info.get('user_direct'), userid, vcpus)
        if reason:
            raise refusal(reason)

    def _check_not_an_ssi_member(self, migration):
        """Refuse a move to another member of this host's SSI cluster.

        SSI members share one user directory: the guest cannot be defined
        again on the destination while it exists here. Between members,
        guests move by live migration (relocation) instead.
        """
        cluster = ssi.parse_ssi(self._client.call('host_get_ssi_info'))
        dest = (migration.dest_node or '').upper()
        if cluster and dest in cluster['members']:
            raise refusal(_(
                "%(dest)s is a member of this host's SSI cluster %(ssi)s, "
                "which shares one z/VM user directory: the guest cannot be "
                "defined there while it exists here. Move it with live "
                "migration, or resize it on this host.") % {
                    'dest': dest, 'ssi': cluster['name']})
