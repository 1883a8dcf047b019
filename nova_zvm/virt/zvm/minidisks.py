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

"""A guest's minidisks: root, one per ephemeral, then swap.

The guest_create entries of a guest's disks (``[zvm] disk_pool``), the
root disk's size (the flavor's, or the image's own), the swap disk the
flavor asks for, the mount points the guest gives its ephemeral and swap
disks at first boot, and the calling side of diskfit.py: a disk no volume
of the pool can hold is refused before anything is created. Spawn, resize
and cold migration build their disks here; no connector call but the
image's root disk size.
"""

import nova.conf
from nova import exception
from nova.virt import driver as virt_driver

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import instance_facts

CONF = nova.conf.CONF

ROOT_VDEV = '0100'
# zvmsdk's disk format of a swap minidisk (mkswap, enabled at boot).
SWAP_FORMAT = 'swap'


def minidisk(size, **extra):
    """A guest_create/guest_create_disks entry, from [zvm] disk_pool."""
    disk = {'size': size}
    if CONF.zvm.disk_pool:
        disk['disk_pool'] = CONF.zvm.disk_pool
    disk.update(extra)
    return disk


def ephemeral_config(disks):
    """guest_config_minidisks entries for the non-root disks of a guest.

    The guest mounts its ephemeral disks at first boot, /mnt/ephemeral0
    first, and enables its swap disk (zvmsdk gives a swap disk the mount
    point 'swap' whatever it is told).
    """
    extra = [d for d in disks if not d.get('is_boot_disk') and d.get('vdev')]
    config = []
    for d in extra:
        if d['format'] == SWAP_FORMAT:
            mntdir = 'swap'
        else:
            mntdir = '/mnt/ephemeral%d' % sum(
                1 for c in config if c['mntdir'] != 'swap')
        config.append({'vdev': d['vdev'], 'format': d['format'],
                       'mntdir': mntdir})
    return config


def extra_disks(block_device_info):
    """The ephemeral disks, then the swap disk."""
    disks = []
    for eph in virt_driver.block_device_info_get_ephemerals(
            block_device_info):
        disks.append(minidisk('%dg' % eph['size'],
                              format=instance_facts.ephemeral_format(eph)))
    swap = virt_driver.block_device_info_get_swap(block_device_info)
    if swap and swap.get('swap_size'):
        disks.append(minidisk('%dm' % swap['swap_size'],
                              format=SWAP_FORMAT))
    return disks


class GuestDisks(object):
    """A guest's disk list, checked against this host's disk pool."""

    def __init__(self, image_ops, pool_volumes=None):
        self._image = image_ops
        # The disk pool's volumes (diskfit.PoolVolumes): every minidisk
        # must fit on one of them.
        self._pool_volumes = pool_volumes

    def disk_fit_reason(self, disks):
        """Why one of disks cannot be made on this host's pool, or None.

        No connector call: the pool's volumes are read at each resource
        update (diskfit.py).
        """
        if self._pool_volumes is None:
            return None
        return self._pool_volumes.check(disks)

    def check_disks_fit(self, instance, disks):
        """Refuse disks no volume of the pool can hold.

        :raises: BuildAbortException naming the disk and the sizes
        """
        reason = self.disk_fit_reason(disks)
        if reason:
            raise exception.BuildAbortException(instance_uuid=instance.uuid,
                                                reason=reason)

    def disk_list(self, instance, image_name, block_device_info):
        """The guest's minidisks: root, one per ephemeral, then swap.

        A guest booted from a volume (``image_name`` None) has no root
        minidisk. The flavor's swap (which Placement counts in DISK_GB)
        is a minidisk the connector formats as swap.
        """
        disks = []
        if image_name is not None:
            disks.append(self._root_disk(instance, image_name))
        return disks + extra_disks(block_device_info)

    def _root_disk(self, instance, image_name):
        if instance.flavor.root_gb:
            root_size = '%dg' % instance.flavor.root_gb
        else:
            # Flavors with root_gb 0 take the image's own disk size
            # (cylinders or blocks, as the image was captured).
            root_size = str(self._image.root_disk_size(image_name))
        return minidisk(root_size, is_boot_disk=True)
