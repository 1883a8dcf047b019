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

"""Minidisks that fit on one volume of the disk pool.

A z/VM minidisk is one extent on ONE volume (DASD) of its disk pool:
DirMaint refuses a minidisk that no single volume can hold, whatever the
pool's total free space. The driver refuses such a root, ephemeral or swap
disk before it creates anything, with the sizes in the message, instead of
failing half-way in ``guest_create``.

What the connector (1.6.3) tells
    ``host_get_diskpool_volumes`` lists the volumes of the pool (one call);
    ``host_get_volume_info`` gives one volume's type and size, in
    cylinders (3390, ECKD) or 512-byte blocks (FBA). No call tells a
    volume's free extents, so the driver knows each volume's capacity, not
    what is left on it: a disk that fits the largest volume can still be
    refused by DirMaint when that volume is full (the spawn then rolls
    back as for any failure).

Cost
    One ``host_get_diskpool_volumes`` per resource update (:meth:`refresh`,
    from ``update_provider_tree``); one ``host_get_volume_info`` per volume
    the first time it is seen (a volume's size does not change). Checking
    a spawn's disks costs no call. Nothing grows with the number of guests.

Placement
    ``DISK_GB`` ``total`` stays the pool's size. A server's ``DISK_GB``
    allocation is the sum of its disks (root, ephemeral, swap), each on a
    volume of its own if need be, and Nova gives a server at most
    ``[DEFAULT] max_local_block_devices`` local disks: ``max_unit`` is that
    many times the largest volume's capacity in whole GB (rounded down),
    never more than ``total``. A flavor whose disks add up to more is
    refused by the scheduler; one whose sum fits but one disk of which
    does not is refused by the driver, naming the disk. (``max_unit`` equal
    to one volume would refuse flavors that fit, e.g. a 20 GB root and a
    20 GB ephemeral disk on 22 GB volumes.)
"""

import collections
import math

from oslo_log import log as logging

import nova.conf
from nova.i18n import _

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import health

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

GIB = 1024 ** 3
MIB = 1024 ** 2
# Bytes per unit as the connector converts sizes (smtLayer's cvtToCyl and
# cvtToBlocks): a 3390 cylinder, an FBA block.
UNIT_BYTES = {'ECKD': 737280, 'FBA': 512}
UNIT_NAMES = {'ECKD': 'cylinders', 'FBA': 'blocks'}
# Cylinder 0 of a 3390 volume holds its label: no minidisk starts there.
RESERVED_UNITS = {'ECKD': 1, 'FBA': 0}
# What a swap minidisk is formatted as (minidisks.SWAP_FORMAT).
SWAP_FORMAT = 'swap'


class Volume(collections.namedtuple('Volume', 'volser vtype disk_type '
                                              'size')):
    """A volume of the pool: its device type and size in its units."""

    @property
    def capacity(self):
        """Units the largest minidisk on this volume can have."""
        return max(self.size - RESERVED_UNITS[self.disk_type], 0)

    @property
    def capacity_bytes(self):
        return self.capacity * UNIT_BYTES[self.disk_type]


def disk_units(size, disk_type):
    """Units the connector makes for a disk ``size``: '20g', '512m', '3339'.

    Sizes in G or M are rounded up to whole cylinders or blocks, as the
    connector does; a bare number is already in the pool's units.
    """
    text = str(size).strip().upper()
    if text[-1:] in ('G', 'M'):
        nbytes = float(text[:-1]) * (GIB if text[-1] == 'G' else MIB)
        return int(math.ceil(nbytes / UNIT_BYTES[disk_type]))
    return int(text)


def _gb(nbytes):
    """One decimal, rounded down: never more than there is."""
    return '%.1f GB' % (math.floor(nbytes * 10.0 / GIB) / 10.0)


def _size_text(size, disk_type):
    text = str(size).strip().upper()
    if text[-1:] == 'G':
        return '%s GB' % text[:-1]
    if text[-1:] == 'M':
        return '%s MB' % text[:-1]
    return '%s %s' % (text, UNIT_NAMES[disk_type])


def disk_names(disks):
    """What to call each disk of a guest_create disk list, in order."""
    names = []
    ephemeral = 0
    for disk in disks:
        if disk.get('is_boot_disk'):
            names.append(_('Root disk'))
        elif disk.get('format') == SWAP_FORMAT:
            names.append(_('Swap disk'))
        else:
            names.append(_('Ephemeral disk %d') % ephemeral)
            ephemeral += 1
    return names


class PoolVolumes(object):
    """The volumes of this host's disk pool, as last read from the connector.

    ``volumes`` is None while unknown (never read, or the last read
    failed): nothing is refused then, and Placement is told the pool's
    total, as before this check existed.
    """

    def __init__(self, client):
        self._client = client
        # Every volume ever sized, by volser: sizes do not change.
        self._known = {}
        self.volumes = None

    @staticmethod
    def _pool():
        return CONF.zvm.disk_pool

    def pool_name(self):
        pool = self._pool()
        if pool:
            return _('disk pool %s') % pool
        return _("the connector's default disk pool")

    def refresh(self):
        """Read the pool's volumes again; keep what was known on failure."""
        pool = self._pool()
        kwargs = {'disk_pool': pool} if pool else {}
        try:
            answer = self._client.call('host_get_diskpool_volumes', **kwargs)
            volsers = str((answer or {}).get('diskpool_volumes') or
                          '').split()
            volumes = [self._volume(volser) for volser in volsers]
        except zvm_exc.ConnectorError as err:
            LOG.warning("Cannot read the volumes of %(pool)s; disk sizes "
                        "are checked again when it answers: %(err)s",
                        {'pool': self.pool_name(), 'err': err})
            return
        if not volumes or None in volumes:
            # An unknown volume type or size: guessing could refuse disks
            # that fit, so nothing is checked.
            self.volumes = None
            return
        self.volumes = volumes

    def _volume(self, volser):
        if volser not in self._known:
            info = self._client.call('host_get_volume_info',
                                     volume=volser) or {}
            vtype = info.get('volume_type')
            disk_type = (health.volume_disk_type(vtype) or
                         (self._pool() or ':').split(':')[0].upper() or None)
            try:
                size = int(info.get('volume_size'))
            except (TypeError, ValueError):
                size = None
            if disk_type not in UNIT_BYTES or not size:
                LOG.warning("The connector gives volume %(vol)s no usable "
                            "type and size (%(info)s)", {'vol': volser,
                                                         'info': info})
                return None
            self._known[volser] = Volume(volser, vtype, disk_type, size)
        return self._known[volser]

    def largest(self):
        """The volume that can hold the largest minidisk, or None."""
        if not self.volumes:
            return None
        return max(self.volumes, key=lambda v: v.capacity_bytes)

    def max_unit(self, total_gb):
        """The largest DISK_GB allocation one server can get."""
        largest = self.largest()
        disks = CONF.max_local_block_devices
        if largest is None or disks < 0:
            return total_gb
        per_disk = largest.capacity_bytes // GIB
        return max(1, min(total_gb, per_disk * max(disks, 1)))

    def check(self, disks):
        """Why a disk of ``disks`` (guest_create entries) cannot be made.

        :returns: the reason for the first disk no volume can hold, or None
        """
        largest = self.largest()
        if largest is None:
            return None
        for disk, name in zip(disks, disk_names(disks)):
            units = disk_units(disk['size'], largest.disk_type)
            if units <= largest.capacity:
                continue
            unit = UNIT_BYTES[largest.disk_type]
            total = sum(v.capacity_bytes for v in self.volumes)
            # The essentials first: Nova keeps 255 characters of a fault.
            return _(
                "%(disk)s of %(size)s (%(units)d %(uname)s) does not fit on "
                "one volume of %(pool)s: the largest, %(vol)s "
                "(%(vtype)s), holds %(cap)s (%(cap_units)d %(uname)s); the "
                "pool's %(n)d volumes hold %(total)s. A z/VM minidisk lives "
                "on one volume: use a flavor with smaller disks, or add "
                "larger volumes to the pool.") % {
                'disk': name,
                'size': _size_text(disk['size'], largest.disk_type),
                'units': units, 'uname': UNIT_NAMES[largest.disk_type],
                'pool': self.pool_name(), 'vol': largest.volser,
                'vtype': largest.vtype, 'cap': _gb(largest.capacity * unit),
                'cap_units': largest.capacity, 'n': len(self.volumes),
                'total': _gb(total)}
        return None
