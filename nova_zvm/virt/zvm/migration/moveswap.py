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

"""The swap disk of a server that is resized or migrated.

Spawn makes the flavor's swap a minidisk of format ``swap`` after the
ephemeral disks (root 0100, ephemerals 0101..., then swap). A move makes it
again with the size Nova gives the server afterwards: Nova changes the swap
block device mapping to the new flavor's swap only when the two flavors'
swap differ (``_update_bdm_for_swap_to_finish_resize``), otherwise the size
the server has is kept. A swap disk holds no data worth keeping across a
guest stop, so it is replaced (deleted, then made again), never copied.
"""

from nova.virt import driver as virt_driver

from nova_zvm.virt.zvm import minidisks

ROOT_VDEV = minidisks.ROOT_VDEV


def vdev(n_ephemerals):
    """vdev of the swap disk of a guest with n ephemeral disks (spawn's)."""
    return '%04x' % (int(ROOT_VDEV, 16) + 1 + n_ephemerals)


def current_mb(block_device_info):
    """The swap size (MB) the server has now, 0 for none."""
    swap = virt_driver.block_device_info_get_swap(block_device_info)
    return (swap or {}).get('swap_size') or 0


def layout(old_flavor, new_flavor, block_device_info):
    """The swap size (MB) now and after a move to new_flavor."""
    now = current_mb(block_device_info)
    if old_flavor.swap != new_flavor.swap:
        return now, new_flavor.swap or 0
    return now, now


def minidisk(size_mb, **extra):
    """A guest_create/guest_create_disks entry for a swap disk."""
    return minidisks.minidisk('%dm' % size_mb, format=minidisks.SWAP_FORMAT,
                              **extra)


def fit_entries(size_mb):
    """The swap disk to check with diskfit (none for no swap)."""
    return [minidisk(size_mb)] if size_mb else []


class SwapDisks(object):
    """Replaces the swap minidisk of a stopped guest on this host.

    :param client: the ``ConnectorClient`` of this host
    """

    def __init__(self, client):
        self._client = client

    def add(self, userid, size_mb, at):
        """Make a swap minidisk at vdev ``at`` and have the guest use it."""
        disks = [minidisk(size_mb, vdev=at)]
        created = self._client.call('guest_create_disks', userid, disks)
        self._client.call('guest_config_minidisks', userid,
                          minidisks.ephemeral_config(created or disks))

    def delete(self, userid, at):
        self._client.call('guest_delete_disks', userid, [at])

    @staticmethod
    def moves(now_mb, new_mb, n_eph_now, n_eph_new):
        """Whether the swap disk must be replaced (size or vdev changes)."""
        if now_mb != new_mb:
            return True
        return bool(now_mb) and n_eph_now != n_eph_new

    def remove_for_move(self, userid, now_mb, n_eph_now, steps):
        """Delete the swap disk before the ephemerals change (undoable)."""
        if not now_mb:
            return
        at = vdev(n_eph_now)
        self.delete(userid, at)
        steps.push('create the original swap disk %s again' % at,
                   self.add, userid, now_mb, at)

    def add_for_move(self, userid, new_mb, n_eph_new, steps):
        """Make the new swap disk after the ephemerals (undoable)."""
        if not new_mb:
            return
        at = vdev(n_eph_new)
        # Before the call: a failed guest_create_disks may have made it.
        steps.push('delete the new swap disk %s' % at, self.delete, userid,
                   at)
        self.add(userid, new_mb, at)
