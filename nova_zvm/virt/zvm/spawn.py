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

"""Spawn: a new guest on z/VM, built step by step and rolled back.

Refusals that need nothing created come first (an unsupported distro, a
network z/VM cannot configure, a disk no pool volume can hold); then the
image is imported once (image.py), the guest created with its minidisks
(guest.py), its volumes connected (volume/spawn.py), the image and
the config drive deployed (configdrive.py, one transport file removed
whatever happens), the ephemeral and swap disks configured, the NICs made
and Neutron's network-vif-plugged awaited, and the guest started. Each
step that changes something records its undo in one undo.UndoStack; a
failure undoes them newest first. Like every operation on one guest, a
spawn costs a fixed number of connector calls, whatever the number of
guests on the host.
"""

import time

from oslo_log import log as logging
from oslo_utils import excutils

from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import configdrive
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import imagecheck
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import unanswered
from nova_zvm.virt.zvm import undo as zvm_undo
from nova_zvm.virt.zvm.volume import mappings
from nova_zvm.virt.zvm.volume import spawn as spawn_volumes

LOG = logging.getLogger(__name__)


def unsupported_distro(os_distro):
    """Why the driver cannot deploy this os_distro, or None."""
    if (os_distro or '').lower().startswith('rhcos'):
        # zvmsdk deploys RHCOS from an Ignition file given as the transport
        # file, with the NICs (and MTU) defined before the deploy; this
        # driver delivers a config drive, which RHCOS does not read.
        return _("os_distro %s: Red Hat CoreOS images are not supported by "
                 "this driver (they need an Ignition file instead of a "
                 "config drive)") % os_distro
    return None


class SpawnOps(object):

    def __init__(self, client, guest_ops, image_ops, volume_ops=None):
        self._client = client
        # guest.GuestOps: creates and deletes the guest, knows whether a
        # guest with the instance's name is its own, plugs its NICs.
        self._guest = guest_ops
        self._image = image_ops
        # FCP volumes (volume/ops.VolumeOps): attached at spawn, boot volume.
        self._volume = volume_ops

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, network_info, block_device_info,
              power_on=True):
        userid = names.userid(instance)
        os_distro = imagecheck.required_os_distro(image_meta)
        # Refusals that need nothing created come first.
        reason = (unsupported_distro(os_distro) or
                  network.check_network_info(userid, os_distro,
                                             network_info))
        if reason:
            raise exception.BuildAbortException(instance_uuid=instance.uuid,
                                                reason=reason)
        started = time.monotonic()
        self._guest.expect_create(instance)
        # Each step that changes something records its undo (undo.py): a
        # failure undoes them newest first; an undo that fails stops the
        # rollback, and the fault names what is left and where.
        steps = zvm_undo.UndoStack(
            'spawn', instance,
            _('z/VM guest %s of this compute host') % userid)
        # -- volumes hook (volume/spawn.py) ----------------------------------
        # Every connection is checked before any call. A guest booted from a
        # volume has no image to deploy and no root minidisk; the connector's
        # volume records and FCP reservations are undone if the spawn fails.
        volumes = self._spawn_volumes(instance, userid, os_distro,
                                      block_device_info)
        steps.push('release the connector\'s volume records and FCP '
                   'device reservations', volumes.release)
        # -- end of volumes hook ---------------------------------------------
        try:
            self._spawn(context, instance, image_meta, injected_files,
                        admin_password, network_info, block_device_info,
                        power_on, userid, os_distro, volumes, steps)
        except Exception as err:
            with excutils.save_and_reraise_exception() as ctxt:
                LOG.error("Spawn of guest %(uid)s failed: %(err)s; rolling "
                          "back %(n)d step(s)", {'uid': userid, 'err': err,
                                                 'n': len(steps)},
                          instance=instance)
                if not steps.rollback():
                    ctxt.reraise = False
            raise steps.incomplete(err) from err
        LOG.info("Spawned guest %(uid)s in %(secs).1f seconds",
                 {'uid': userid, 'secs': time.monotonic() - started},
                 instance=instance)

    def _spawn_volumes(self, instance, userid, os_distro, block_device_info):
        if self._volume is None or not mappings.volume_mappings(
                block_device_info):
            return spawn_volumes.NoVolumes()
        return spawn_volumes.SpawnVolumes(self._volume, instance, userid,
                                          os_distro, block_device_info)

    def _spawn(self, context, instance, image_meta, injected_files,
               admin_password, network_info, block_device_info, power_on,
               userid, os_distro, volumes, steps):
        image_name = None
        disks_ops = self._guest.disks
        # Disks no volume can hold are refused before the image import;
        # a root disk of the image's size once it is known.
        sized = [minidisks.minidisk('%dg' % instance.flavor.root_gb,
                                    is_boot_disk=True)] if (
            instance.flavor.root_gb and not volumes.boot) else []
        disks_ops.check_disks_fit(instance, sized + minidisks.extra_disks(
            block_device_info))
        if not volumes.boot:
            image_name = self._image.ensure_image(
                context, image_meta, trusted_certs=instance.trusted_certs,
                root_gb=instance.flavor.root_gb)
        disks = disks_ops.disk_list(instance, image_name, block_device_info)
        disks_ops.check_disks_fit(instance, disks)
        # Every z/VM guest gets one (see configdrive): say so in Nova.
        instance.config_drive = True
        # The transport file is removed whatever happens (its own folder).
        with configdrive.transport_file(context, instance, injected_files,
                                        network_info, admin_password) as path:
            try:
                created = self._guest.create_guest(instance, userid, disks,
                                                   **volumes.create_options())
            finally:
                # Also when guest_create failed, unless refused as a
                # duplicate (never roll back a guest this spawn did not
                # create): it may have defined the guest (guest_delete
                # succeeds when it did not). Its NICs and minidisks, the
                # deploy and the start go with it.
                if self._guest.owns_guest(instance):
                    steps.push('delete guest %s with its disks and NICs' %
                               userid, self._guest.delete_guest, userid,
                               instance)
            self._build(instance, userid, os_distro, image_name, path,
                        created or disks, network_info, power_on, volumes,
                        steps)

    def _build(self, instance, userid, os_distro, image_name,
               transport_path, disks, network_info, power_on, volumes=None,
               steps=None):
        try:
            self._deploy(userid, os_distro, image_name, transport_path)
        except zvm_exc.ConnectorError as err:
            if not unanswered.outcome_unknown(err):
                raise
            # No connector call tells what a minidisk holds: starting the
            # guest would be a guess, so the spawn fails (rolled back).
            raise unanswered.unanswered(err, 'guest_deploy', _(
                "whether guest %s received its image and configuration "
                "cannot be read from z/VM") % userid) from err
        ephemerals = minidisks.ephemeral_config(disks)
        if ephemerals:
            self._client.call('guest_config_minidisks', userid, ephemerals)
        if volumes is not None:
            # After the deploy, which empties the guest's reader: the
            # volume scripts the connector punches run at first boot.
            volumes.connect(steps)
        if network_info:
            self._guest.plug_and_wait(instance, userid, os_distro,
                                      network_info)
        if power_on:
            self._client.call('guest_start', userid)

    def _deploy(self, userid, os_distro, image_name, transport_path):
        with self._image.deploy_capture_slot():
            if image_name is None:
                # Boot from volume: the config drive only; the connector
                # takes the OS name where it would take an image.
                self._client.call(
                    'guest_deploy', userid, os_distro,
                    transportfiles=transport_path, skipdiskcopy=True,
                    **connector_files.remote_kwargs('guest_deploy'))
            else:
                self._client.call(
                    'guest_deploy', userid, image_name,
                    transportfiles=transport_path, vdev=minidisks.ROOT_VDEV,
                    **connector_files.remote_kwargs('guest_deploy'))
