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

"""Resize and cold migration of z/VM guests, with confirm and revert.

Nova calls, in order: ``migrate_disk_and_power_off`` on the source host,
``finish_migration`` on the destination host, then either
``confirm_migration`` on the source, or ``destroy`` on the destination
followed by ``finish_revert_migration`` on the source. A guest's userid is
``instance.name.upper()`` on every z/VM, so the source and the destination
guests have the same name, each on its own connector.

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

Another host (resize or cold migration)
    Source, ``migrate_disk_and_power_off``: find out whether the destination
    shares ``image_tmp_path`` (:mod:`transfer`; before anything is
    touched), stop the guest, ``guest_capture`` its root disk into an image
    named for this migration, ``image_export`` it to a file in
    ``image_tmp_path``, ``image_delete`` it from the source's repository,
    and copy the file to the destination unless shared. The source guest
    stays, stopped and unchanged, until confirm. Destination,
    ``finish_migration``: ``image_import`` the file, ``guest_create`` with
    the new flavor's CPUs, memory, root, ephemeral and swap disks,
    ``guest_deploy`` with a new config drive, ``image_delete``,
    ``guest_config_minidisks``, one ``guest_create_network_interface`` per
    VIF (waiting for Neutron's events like spawn does), ``guest_start`` if
    asked; the file is removed whatever happens. Confirm, on the source:
    ``guest_delete`` (when it fails, :mod:`leftover_guests` retries it).
    Revert: Nova's ``destroy`` deletes the destination guest, then
    ``finish_revert_migration`` on the source starts the original guest if
    it was running (``guest_get_power_state``, ``guest_start``).

    The connector captures root disks only (``alldisks`` is not
    implemented), so ephemeral disks are created again, empty, on the
    destination; such moves are refused unless ``[zvm]
    recreate_ephemeral_disks`` allows it.

Refused before anything is touched (``InstanceFaultRollback`` around a
``ResizeError``: Nova keeps the server as it was, with a fault saying why):
a smaller root disk or smaller ephemeral disks, servers booted from a volume
or with volumes attached, a memory size the z/VM directory cannot express,
on the same host fewer vCPUs than ``guest_resize_cpus`` can really set
(the guest's ``COMMAND DEFINE CPU`` statements stay: :mod:`cpus`),
ephemeral disks that would be recreated without ``recreate_ephemeral_disks``,
a destination that cannot be reached over ssh when the file must be copied.

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

Resources: Nova's resource tracker and placement account for both guests
until confirm or revert (the source keeps the old flavor's allocation,
held by the migration); the host's inventory comes from the connector's
totals, which a stopped guest does not change.
"""

import os

from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import excutils

from nova import block_device
from nova.compute import power_state
from nova.compute import task_states
import nova.conf
from nova import exception
from nova.i18n import _
from nova import objects
from nova.virt import driver as virt_driver

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import configdrive
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import cpus
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm import leftover_guests
from nova_zvm.virt.zvm import live_migration
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import move_back
from nova_zvm.virt.zvm import moveswap
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import transfer
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

DISK_INFO_VERSION = 1
MODE_SAME_HOST = 'same-host'
MODE_MOVE = 'move'
MODES = (MODE_SAME_HOST, MODE_MOVE)

# Images this module makes are named for their migration; the image cache
# ageing removes them only once no instance owns them (imagecache.py).
IMAGE_PREFIX = 'nova-zvm-migration-'
# Instance system_metadata key naming the migration image this driver keeps
# (or may have left) for the instance: its owner until it is deleted.
KEPT_IMAGE_KEY = 'zvm_migration_image'
# Kind of the temporary file holding an exported migration image.
FILE_KIND = 'migration'
FILE_PREFIX = tmpfiles.TMP_PREFIX + FILE_KIND + '-'

ROOT_VDEV = minidisks.ROOT_VDEV
# The connector's directory size syntax: 1 to 4 digits and M or G.
MAX_SIZE_NUMBER = 9999


def image_name(migration):
    """The connector image that carries a guest's root disk."""
    return IMAGE_PREFIX + migration.uuid


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


def _refusal(reason):
    """What Nova takes for "refused, the server is unchanged"."""
    return exception.InstanceFaultRollback(
        inner_exception=exception.ResizeError(reason=reason))


def _same_host(migration):
    return migration.source_compute == migration.dest_compute


def _load_disk_info(disk_info):
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


class _Plan(object):
    """What a resize or migration changes, decided before any change."""

    def __init__(self, migration, old, new, root_grows, eph_now, eph_new):
        self.migration = migration
        self.same_host = _same_host(migration)
        self.old = old
        self.new = new
        self.root_grows = root_grows
        self.eph_now = eph_now
        self.eph_new = eph_new
        self.image = image_name(migration)
        # Swap disk sizes (MB) now and after; set by MigrationOps._plan.
        self.swap_now = self.swap_new = 0


class MigrationOps(object):
    """Resize and cold migration over the connector of this host.

    :param client: the ``ConnectorClient`` of this host
    :param guest_ops: ``guest.GuestOps`` (power, guest creation, NICs, disks)
    :param image_ops: ``image.ImageOps`` (deploy/capture slots, sizes)
    """

    def __init__(self, client, guest_ops, image_ops):
        self._client = client
        self._guest = guest_ops
        self._image = image_ops
        self._swap = moveswap.SwapDisks(client)

    # -- source: migrate_disk_and_power_off ----------------------------------

    def migrate_disk_and_power_off(self, context, instance, dest, flavor,
                                   network_info, block_device_info=None,
                                   timeout=0, retry_interval=0):
        """Stop the guest and prepare its disk for the destination.

        :returns: the disk_info Nova hands to finish_migration (JSON)
        :raises: InstanceFaultRollback when refused or rolled back
        """
        userid = names.userid(instance)
        plan = self._plan(context, instance, flavor, block_device_info)
        if plan.same_host:
            info = self._resize_here(context, instance, userid, plan,
                                     network_info, timeout, retry_interval)
        else:
            info = self._send(instance, userid, plan, dest, timeout,
                              retry_interval)
        return jsonutils.dumps(info)

    def _plan(self, context, instance, flavor, block_device_info):
        """Check what can be checked without touching anything."""
        mapping = virt_driver.block_device_info_get_mapping(block_device_info)
        if not instance.image_ref or block_device.get_root_bdm(mapping):
            raise _refusal(_(
                "servers booted from a volume cannot be resized or migrated "
                "by the z/VM driver yet"))
        if mapping:
            raise _refusal(_(
                "servers with volumes attached cannot be resized or "
                "migrated by the z/VM driver yet; detach the volumes first"))
        old = instance.flavor
        if flavor.root_gb and flavor.root_gb < old.root_gb:
            raise _refusal(_(
                "the root disk cannot shrink (%(old)d GB now, %(new)d GB in "
                "flavor %(name)s)") % {'old': old.root_gb,
                                       'new': flavor.root_gb,
                                       'name': flavor.name})
        root_grows = bool(flavor.root_gb) and flavor.root_gb > old.root_gb
        eph_now, eph_new = ephemeral_layout(old, flavor, block_device_info)
        eph_total = sum(eph['size'] for eph in eph_now)
        if flavor.ephemeral_gb < eph_total:
            raise _refusal(_(
                "ephemeral disks cannot shrink (%(old)d GB now, %(new)d GB "
                "in flavor %(name)s)") % {'old': eph_total,
                                          'new': flavor.ephemeral_gb,
                                          'name': flavor.name})
        for mb in (old.memory_mb, flavor.memory_mb):
            if memory_size(mb) is None:
                raise _refusal(_(
                    "%d MB of memory cannot be set in a z/VM directory "
                    "entry (at most 9999 MB, or a whole number of GB up to "
                    "9999 GB)") % mb)
        migration = self._find_migration(context, instance, 'migrating')
        if migration is None:
            raise _refusal(_("the migration record of the server cannot be "
                             "found"))
        plan = _Plan(migration, old, flavor, root_grows, eph_now, eph_new)
        plan.swap_now, plan.swap_new = moveswap.layout(old, flavor,
                                                       block_device_info)
        if plan.same_host:
            # Disks this host makes must each fit on one volume (diskfit).
            reason = self._guest.disks.disk_fit_reason(_new_disks(plan))
            if reason:
                raise _refusal(reason)
        recreated = bool(eph_now) and (not plan.same_host or
                                       eph_now != eph_new)
        if recreated and not CONF.zvm.recreate_ephemeral_disks:
            raise _refusal(_(
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
            raise _refusal(reason)

    def _check_not_an_ssi_member(self, migration):
        """Refuse a move to another member of this host's SSI cluster.

        SSI members share one user directory: the guest cannot be defined
        again on the destination while it exists here. Between members,
        guests move by live migration (relocation) instead.
        """
        ssi = live_migration.parse_ssi(
            self._client.call('host_get_ssi_info'))
        dest = (migration.dest_node or '').upper()
        if ssi and dest in ssi['members']:
            raise _refusal(_(
                "%(dest)s is a member of this host's SSI cluster %(ssi)s, "
                "which shares one z/VM user directory: the guest cannot be "
                "defined there while it exists here. Move it with live "
                "migration, or resize it on this host.") % {
                    'dest': dest, 'ssi': ssi['name']})

    @staticmethod
    def _find_migration(context, instance, status):
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

    def _rolled_back(self, steps, err):
        """Log the failure and undo the completed steps; True if clean."""
        LOG.error("%(op)s failed: %(err)s; rolling back %(n)d step(s)",
                  {'op': steps.operation.capitalize(), 'err': err,
                   'n': len(steps)}, instance=steps.instance)
        return steps.rollback()

    def _fail(self, steps, err, operation):
        """The exception for a failed step, after the rollback.

        Rolled back completely: Nova keeps the server on its host with a
        fault. Otherwise the server goes to ERROR with a fault naming what
        is left and where (the rollback stopped to keep it).
        """
        if self._rolled_back(steps, err):
            return self._rollback_fault(operation, err)
        return steps.incomplete(err)

    @staticmethod
    def _rollback_fault(operation, err):
        return _refusal(_(
            "%(op)s failed and was rolled back, the server is unchanged on "
            "its host: %(err)s") % {'op': operation, 'err': err})

    @staticmethod
    def _where(migration, host):
        node = (migration.source_node if host == migration.source_compute
                else migration.dest_node)
        return _('compute host %(host)s, z/VM %(node)s') % {
            'host': host, 'node': node}

    def _resize_here(self, context, instance, userid, plan, network_info,
                     timeout, retry_interval):
        steps = zvm_undo.UndoStack(
            'resize', instance,
            self._where(plan.migration, plan.migration.source_compute))
        try:
            self._stop(instance, userid, steps, timeout, retry_interval)
            self._resize_cpu_memory(userid, plan.old, plan.new, steps)
            if plan.root_grows:
                self._capture(userid, plan.image, steps)
                # From here the image may be the only copy of the root
                # disk: an artifact, released by a complete rollback or by
                # confirm/revert, never by an undo call.
                steps.keep(_("image %(img)s (original root disk of "
                             "%(uid)s)") % {'uid': userid,
                                            'img': plan.image},
                           self._release_image, plan.image, instance)
                self._client.call('guest_delete_disks', userid, [ROOT_VDEV])
                steps.push('restore the original root disk from image %s' %
                           plan.image, self._root_from_image, context,
                           instance, userid, plan.image, plan.old,
                           network_info, replace=True)
                self._root_from_image(context, instance, userid, plan.image,
                                      plan.new, network_info)
            swap_moves = self._swap.moves(plan.swap_now, plan.swap_new,
                                          len(plan.eph_now),
                                          len(plan.eph_new))
            if swap_moves:
                # Out of the way first: it follows the ephemeral disks.
                self._swap.remove_for_move(userid, plan.swap_now,
                                           len(plan.eph_now), steps)
            if plan.eph_now != plan.eph_new:
                self._replace_ephemerals(userid, plan.eph_now, plan.eph_new,
                                         steps)
            if swap_moves:
                self._swap.add_for_move(userid, plan.swap_new,
                                        len(plan.eph_new), steps)
        except Exception as err:
            raise self._fail(steps, err, _('Resize')) from err
        LOG.info("Resized guest %(uid)s on this host to flavor %(flavor)s%("
                 "root)s", {'uid': userid, 'flavor': plan.new.name,
                            'root': ' (root disk kept as image %s until '
                                    'confirm)' % plan.image
                            if plan.root_grows else ''},
                 instance=instance)
        return {'zvm_migration': DISK_INFO_VERSION, 'mode': MODE_SAME_HOST,
                'image': plan.image if plan.root_grows else None}

    def _send(self, instance, userid, plan, dest, timeout, retry_interval):
        os_distro = instance_facts.os_distro(instance)
        try:
            shared = transfer.shares_tmp_path_with(dest)
        except Exception as err:
            raise _refusal(_(
                "the destination host %(dest)s cannot be reached over ssh "
                "to hand over the guest's disk (see [zvm] "
                "image_tmp_path_shared and remote_copy_transport): "
                "%(err)s") % {'dest': dest, 'err': err})
        steps = zvm_undo.UndoStack(
            'migration', instance,
            self._where(plan.migration, plan.migration.source_compute))
        try:
            self._stop(instance, userid, steps, timeout, retry_interval)
            self._capture(userid, plan.image, steps)
            # A copy: the source guest keeps its disk until confirm.
            steps.push('delete image %s' % plan.image, self._delete_image,
                       plan.image)
            # The connector writes the file: group-writable for it.
            path = tmpfiles.new_tmp_file(FILE_KIND, suffix='.img',
                                         writable=True)
            steps.push('remove the exported file %s' % path,
                       tmpfiles.remove_tmp_file, path)
            exported = self._client.call(
                'image_export', plan.image, 'file://' + path,
                **connector_files.remote_kwargs('image_export')) or {}
            # The file carries the disk now; the destination imports it
            # into its own repository.
            self._delete_image(plan.image)
            self._forget_kept_image(instance)
            if not shared:
                steps.push('remove the copy on %s' % dest,
                           transfer.remove_from, dest, path)
                transfer.copy_to(dest, path)
                tmpfiles.remove_tmp_file(path)
        except Exception as err:
            raise self._fail(steps, err, _('Migration')) from err
        LOG.info("Guest %(uid)s stopped and its root disk exported for "
                 "%(dest)s (%(how)s)",
                 {'uid': userid, 'dest': dest,
                  'how': 'shared file system' if shared else 'copied'},
                 instance=instance)
        md5sum = exported.get('md5sum')
        return {'zvm_migration': DISK_INFO_VERSION, 'mode': MODE_MOVE,
                'image': plan.image, 'path': path,
                'os_distro': exported.get('os_version') or os_distro,
                'md5sum': md5sum if md5sum and tmpfiles.MD5_RE.match(md5sum)
                else None,
                'root_gb': plan.new.root_gb, 'ephemerals': plan.eph_new,
                'swap_mb': plan.swap_new}

    # -- steps ---------------------------------------------------------------

    def _stop(self, instance, userid, steps, timeout, retry_interval):
        if self._guest.power_state(instance) != power_state.RUNNING:
            return
        self._guest.power_off(instance, timeout, retry_interval)
        steps.push('start the guest again', self._client.call, 'guest_start',
                   userid)

    def _resize_cpu_memory(self, userid, old, new, steps=None):
        if new.vcpus != old.vcpus:
            self._client.call('guest_resize_cpus', userid, new.vcpus)
            if steps is not None:
                steps.push('set %d CPUs again' % old.vcpus, self._client.call,
                           'guest_resize_cpus', userid, old.vcpus)
        if new.memory_mb != old.memory_mb:
            self._client.call('guest_resize_mem', userid,
                              memory_size(new.memory_mb))
            if steps is not None:
                steps.push('set %d MB of memory again' % old.memory_mb,
                           self._client.call, 'guest_resize_mem', userid,
                           memory_size(old.memory_mb))

    def _capture(self, userid, name, steps):
        # A failed capture may leave a partial image while the disk is
        # intact: deleting it is an undo call until the capture succeeds.
        steps.push('delete the partial image %s' % name, self._delete_image,
                   name)
        # Its owner, should everything else fail (saved with the instance):
        # destroy and delete_instance_files delete it.
        steps.instance.system_metadata[KEPT_IMAGE_KEY] = name
        with self._image.deploy_capture_slot():
            self._client.call('guest_capture', userid, name,
                              capture_type='rootonly')
        steps.pop()

    def _delete_image(self, name):
        image.delete_image(self._client, name)

    def _delete_image_quietly(self, name, instance):
        try:
            self._delete_image(name)
        except Exception as err:
            LOG.warning("Could not delete migration image %(name)s from the "
                        "connector's repository; delete it by hand: %(err)s",
                        {'name': name, 'err': err}, instance=instance)
            return False
        return True

    def _release_image(self, name, instance):
        self._delete_image(name)
        self._forget_kept_image(instance)

    @staticmethod
    def _forget_kept_image(instance):
        (instance.system_metadata or {}).pop(KEPT_IMAGE_KEY, None)

    def delete_kept_image(self, instance):
        """Delete the migration image a failed operation left, if any.

        For destroy and delete_instance_files: the server is being deleted,
        so its root disk image goes too (a retry finds it gone). One
        connector call, only for servers that have such an image.

        :returns: False when it could not be deleted (logged)
        """
        name = (instance.system_metadata or {}).get(KEPT_IMAGE_KEY)
        if not name:
            return True
        if self._delete_image_quietly(name, instance):
            self._forget_kept_image(instance)
            return True
        return False

    def _image_exists(self, name):
        try:
            return bool(self._client.call('image_query', imagename=name))
        except zvm_exc.ImageNotFound:
            return False

    def _root_size(self, root_gb, name):
        if root_gb:
            return '%dg' % root_gb
        # A flavor without a root size keeps the image's own size.
        return self._image.root_disk_size(name)

    def _deploy(self, context, instance, userid, name, network_info):
        with configdrive.transport_file(context, instance, [], network_info,
                                        None) as path:
            with self._image.deploy_capture_slot():
                self._client.call(
                    'guest_deploy', userid, name, transportfiles=path,
                    vdev=ROOT_VDEV,
                    **connector_files.remote_kwargs('guest_deploy'))

    def _root_from_image(self, context, instance, userid, name, flavor,
                         network_info, replace=False):
        """Make the root minidisk for flavor and deploy image name on it."""
        if replace:
            self._client.call('guest_delete_disks', userid, [ROOT_VDEV])
        self._client.call('guest_create_disks', userid, [minidisks.minidisk(
            self._root_size(flavor.root_gb, name), vdev=ROOT_VDEV,
            format='none')])
        self._deploy(context, instance, userid, name, network_info)

    def _add_ephemerals(self, userid, layout):
        disks = [minidisks.minidisk('%dg' % eph['size'], format=eph['format'],
                                    vdev=ephemeral_vdev(i))
                 for i, eph in enumerate(layout)]
        created = self._client.call('guest_create_disks', userid, disks)
        self._client.call('guest_config_minidisks', userid,
                          minidisks.ephemeral_config(created or disks))

    def _replace_ephemerals(self, userid, now, new, steps):
        if now:
            self._client.call('guest_delete_disks', userid,
                              [ephemeral_vdev(i) for i in range(len(now))])
            steps.push('create the original ephemeral disks again (empty)',
                       self._add_ephemerals, userid, now)
        if new:
            # Before the call: a failed guest_create_disks may have made
            # some of them.
            steps.push('delete the new ephemeral disks', self._client.call,
                       'guest_delete_disks', userid,
                       [ephemeral_vdev(i) for i in range(len(new))])
            self._add_ephemerals(userid, new)

    # -- destination: finish_migration -------------------------------------

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         block_device_info=None, power_on=True):
        """Make the guest on this host from what the source prepared."""
        info = _load_disk_info(disk_info)
        userid = names.userid(instance)
        if info['mode'] == MODE_MOVE:
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
        elif power_on:
            # Same host: migrate_disk_and_power_off changed the guest.
            self._client.call('guest_start', userid)

    def _checked_path(self, path):
        """The file the source handed over, refused unless it is ours."""
        if (not isinstance(path, str) or
                not os.path.basename(path).startswith(FILE_PREFIX) or
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

    def _receive(self, context, instance, userid, info, network_info,
                 power_on):
        name = info['image']
        os_distro = info.get('os_distro') or instance_facts.os_distro(
            instance)
        if not os_distro:
            raise exception.InvalidInput(reason=_(
                "The operating system of the migrated guest is unknown: "
                "neither the exported image nor the instance names it."))
        path = self._checked_path(info.get('path'))
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
            steps.push('delete image %s' % name, self._delete_image, name)
            self._import(name, path, os_distro, info.get('md5sum'))
            disks = [minidisks.minidisk(
                self._root_size(info['root_gb'], name), is_boot_disk=True)]
            disks.extend(minidisks.minidisk('%dg' % eph['size'],
                                            format=eph['format'])
                         for eph in info.get('ephemerals') or [])
            # As spawn: the swap disk after the ephemeral disks.
            disks.extend(moveswap.fit_entries(swap_mb))
            created = self._create(instance, userid, disks, steps)
            self._deploy(context, instance, userid, name, network_info)
            # The guest's disk holds the image now.
            self._delete_image(name)
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
                if not self._rolled_back(steps, err):
                    ctxt.reraise = False
            raise steps.incomplete(err) from err
        finally:
            tmpfiles.remove_tmp_file(path)
        LOG.info("Guest %(uid)s created from image %(name)s", {
            'uid': userid, 'name': name}, instance=instance)

    def _import(self, name, path, os_distro, md5sum):
        # Hashing GBs must not stall eventlet's hub.
        meta = image.import_meta(os_distro, md5sum or (
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

    # -- source: confirm_migration -------------------------------------------

    def confirm_migration(self, context, migration, instance, network_info):
        """Delete what the source kept for a revert."""
        if _same_host(migration):
            if self._delete_image_quietly(image_name(migration), instance):
                self._forget_kept_image(instance)
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
        migration = self._find_migration(context, instance, 'reverting')
        if migration is None:
            # Deleting could lose the only copy of the server's disk.
            raise exception.NovaException(message=_(
                "Cannot find the migration being reverted; the guest is "
                "kept."))
        if _same_host(migration):
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
        if _same_host(migration):
            if running:
                self._guest.power_off(instance, CONF.shutdown_timeout,
                                      CONF.zvm.softstop_poll_interval)
                running = False
            self._revert_here(context, instance, userid, migration,
                              network_info, block_device_info)
        if power_on and not running:
            self._client.call('guest_start', userid)
        LOG.info("Reverted the resize or migration of guest %s", userid,
                 instance=instance)

    def _revert_here(self, context, instance, userid, migration,
                     network_info, block_device_info):
        old = instance.flavor
        new = (instance.new_flavor if instance.obj_attr_is_set('new_flavor')
               and instance.new_flavor else old)
        self._resize_cpu_memory(userid, new, old)
        name = image_name(migration)
        if self._image_exists(name):
            self._root_from_image(context, instance, userid, name, old,
                                  network_info, replace=True)
            # Only now: until here the image is the original root disk.
            self._delete_image(name)
        self._forget_kept_image(instance)
        original, resized = ephemeral_layout(old, new, block_device_info)
        swap_old, swap_resized = self._revert_swap_sizes(old, new,
                                                         block_device_info)
        swap_moves = self._swap.moves(swap_resized, swap_old, len(resized),
                                      len(original))
        if swap_moves and swap_resized:
            self._swap.delete(userid, moveswap.vdev(len(resized)))
        if resized != original:
            if resized:
                self._client.call('guest_delete_disks', userid, [
                    ephemeral_vdev(i) for i in range(len(resized))])
            if original:
                self._add_ephemerals(userid, original)
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

    # -- clean-up of failed migrations -------------------------------------

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
