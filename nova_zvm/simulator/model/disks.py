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

"""Minidisks and the disk pool (a DirMaint group of ECKD or FBA volumes).

Sizes follow smtLayer: ``'1g'``/``'512M'`` are converted to cylinders
(737280 bytes each, as ``cvtToCyl`` counts them) or 512-byte blocks,
rounded up; a plain number is already cylinders or blocks. The pool is
finite: allocating past its end fails like DirMaint does, deleting a disk
(or its guest) gives the space back.
"""

import math
import threading

from zvmsdk import dist

from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store

ROOT_VDEV = '0100'
BYTES_PER_CYL = 737280
BYTES_PER_BLK = 512
#: Default pool sizes: about 200 GB either way.
DEFAULT_ECKD_CYLINDERS = 300000
DEFAULT_FBA_BLOCKS = 200 * 1024 ** 3 // BYTES_PER_BLK
#: Volumes making up a pool: 3390 model 54 for ECKD, 16 GiB 9336 for FBA.
ECKD_VOLUME_CYLINDERS = 65520
FBA_VOLUME_BLOCKS = 16 * 1024 ** 3 // BYTES_PER_BLK
FORMATS = ('ext2', 'ext3', 'ext4', 'swap', 'xfs', 'none')


def canonical_vdev(vdev):
    """'0100' style key of a virtual device number (any case/width)."""
    return '%04X' % int(str(vdev), 16)


def units_of(size, disk_type):
    """Cylinders (ECKD) or blocks (FBA) of a size as smtLayer parses it.

    :raises SDKSMTRequestFailed: with smtLayer's reason for a bad size.
    """
    text = str(size).strip().upper()
    unit_bytes = BYTES_PER_CYL if disk_type == 'ECKD' else BYTES_PER_BLK
    request = 'changevm add disk size %s' % size
    if not text or text in ('G', 'M'):
        raise errors.smt(*errors.SMT_EMPTY_DISK_SIZE, request=request,
                         detail='ULTGUT0200E The size of the disk is not '
                                'valid: %s' % size)
    if text[-1] in ('G', 'M'):
        try:
            amount = float(text[:-1]) * (1024 ** 3 if text[-1] == 'G'
                                         else 1024 ** 2)
        except ValueError:
            rs = 203 if disk_type == 'ECKD' else 201
            raise errors.smt(4, 4, rs, request=request,
                             detail='Failed to convert %s to a number of '
                                    'cylinders or blocks.' % size)
        units = int(math.ceil(amount / unit_bytes))
    elif text.strip('1234567890'):
        raise errors.smt(*errors.SMT_BAD_DISK_SIZE, request=request,
                         detail='%s is not an integer size of cylinders or '
                                'blocks.' % size)
    else:
        units = int(text)
    if units <= 0:
        raise errors.smt(*errors.SMT_BAD_DISK_SIZE, request=request,
                         detail='%s is not a valid disk size.' % size)
    return units


def display_size(units, disk_type):
    """The size zvmsdk returns for a disk given in cylinders or blocks."""
    unit_bytes = BYTES_PER_CYL if disk_type == 'ECKD' else BYTES_PER_BLK
    mb = float(units * unit_bytes / 1024) / 1024
    if mb > 1024:
        return '%.1fG' % (mb / 1024)
    return '%.1fM' % mb


def gb_rounded(nbytes):
    """Whole GB as zvmsdk's ``diskpool_get_info`` rounds 'x.yG' strings."""
    whole, tenth = ('%.1f' % (nbytes / 1024.0 ** 3)).split('.')
    return int(whole) + (1 if int(tenth) >= 5 else 0)


def check_os_version(os_version):
    """Refuse an OS zvmsdk cannot configure, as ``LinuxDistManager`` does
    (its ZVMException carries no results: the sdkserver answers 500).
    """
    dist.LinuxDistManager().parse_dist(os_version)


class DiskPool(object):
    """One DirMaint group: ``TYPE:NAME`` with a finite size in units."""

    def __init__(self, spec, size=None):
        dtype, name = spec.split(':', 1)
        self.type = dtype.upper()
        if self.type not in ('ECKD', 'FBA'):
            raise ValueError('disk pool type must be ECKD or FBA: %s' %
                             spec)
        self.name = name.upper()
        self.unit = 'CYL' if self.type == 'ECKD' else 'BLK'
        self.unit_bytes = (BYTES_PER_CYL if self.type == 'ECKD'
                           else BYTES_PER_BLK)
        self.device_type = '3390' if self.type == 'ECKD' else '9336'
        self.total = int(size or (DEFAULT_ECKD_CYLINDERS
                                  if self.type == 'ECKD'
                                  else DEFAULT_FBA_BLOCKS))
        self.used = 0
        self._lock = threading.Lock()

    @property
    def spec(self):
        return '%s:%s' % (self.type, self.name)

    @property
    def free(self):
        return max(self.total - self.used, 0)

    def matches(self, dtype, name):
        return dtype.upper() == self.type and name.upper() == self.name

    def allocate(self, units, request):
        with self._lock:
            if units > self.total - self.used:
                raise errors.smt(
                    *errors.SMT_POOL_FULL, request=request,
                    detail='DirMaint: not enough free space in group %s '
                           'for %d %s (%d free)' %
                           (self.name, units, self.unit, self.free))
            self.used += units

    def force_allocate(self, units):
        """Account disks that arrive already allocated (SSI relocation)."""
        with self._lock:
            self.used += units

    def release(self, units):
        with self._lock:
            self.used = max(self.used - units, 0)

    def volumes(self):
        """[(volser, device type, size)] of the volumes in the group."""
        per = (ECKD_VOLUME_CYLINDERS if self.type == 'ECKD'
               else FBA_VOLUME_BLOCKS)
        model = '3390-54' if self.type == 'ECKD' else '9336-10'
        prefix = (''.join(c for c in self.name if c.isalnum())[:3] or
                  'VOL').upper()
        vols = []
        left = self.total
        index = 1
        while left > 0:
            size = min(per, left)
            vols.append(('%s%03d' % (prefix, index), model, size))
            left -= size
            index += 1
        return vols

    def info(self):
        return {'disk_total': gb_rounded(self.total * self.unit_bytes),
                'disk_used': gb_rounded(self.used * self.unit_bytes),
                'disk_available': gb_rounded(self.free * self.unit_bytes)}


class DiskAPI(object):
    """SDKAPI calls on minidisks and the disk pool.

    Mixed into HypervisorModel; uses its ``_pool``, ``_blobs`` and guest
    helpers.
    """

    # -- helpers used by guest_create as well ------------------------------

    def _generate_disk_vdev(self, start_vdev, offset):
        base = start_vdev or ROOT_VDEV
        vdev = hex(int(base, 16) + offset)[2:].rjust(4, '0')
        if 0 <= offset < 254:
            return vdev
        raise errors.guest_op(
            rs=2, msg='Failed to generate disk vdev, invalid virtual device'
                      'number for disk:%s' % vdev)

    def _vdev_in_use(self, g, vdev):
        key = canonical_vdev(vdev)
        if key in g['disks'] or key in g['dedicates']:
            return True
        value = int(key, 16)
        return any(int(n, 16) <= value <= int(n, 16) + 2
                   for n in g['nics'])

    def _add_mdisks(self, g, disk_list, start_vdev=None):
        """smtclient.add_mdisks: add each disk, fill vdev/disk_pool."""
        for disk in disk_list:
            pool = disk.get('disk_pool') or self._default_pool_spec
            disk['disk_pool'] = pool
            if pool is None:
                raise errors.guest_op(
                    rs=2, msg='disk_pool not configured for sdkserver.')
        for idx, disk in enumerate(disk_list):
            if 'vdev' in disk:
                vdev = disk['vdev']
            else:
                vdev = self._generate_disk_vdev(start_vdev, idx)
            self._add_mdisk(g, disk, vdev)
            disk['vdev'] = vdev
            size = disk.get('size').strip().upper()
            if size[-1] not in ('G', 'M'):
                dtype = disk['disk_pool'].split(':')[0].upper()
                disk['size'] = display_size(int(size), dtype)
        return disk_list

    def _add_mdisk(self, g, disk, vdev):
        userid = g['userid']
        size = disk['size']
        fmt = disk.get('format', 'ext4')
        dtype, _sep, pname = disk['disk_pool'].partition(':')
        dtype = dtype.upper()
        action = 'add3390' if dtype == 'ECKD' else 'add9336'
        request = ' '.join(['changevm', userid, action, pname, vdev,
                            str(size), '--mode MR'])
        pool = self._pool
        if pool is None or not pool.matches(dtype, pname):
            raise errors.smt(*errors.SMT_NO_POOL, request=request,
                             detail='Disk pool %s:%s is not defined' %
                                    (dtype, pname))
        units = units_of(size, pool.type)
        if self._vdev_in_use(g, vdev):
            raise errors.smt(*errors.SMT_VDEV_IN_USE, request=request,
                             detail='Image device %s is already defined '
                                    'for %s' % (vdev, userid))
        pool.allocate(units, request)
        self._blobs.incref(store.EMPTY_DIGEST)
        key = canonical_vdev(vdev)
        g['disks'][key] = {
            'vdev': key, 'type': pool.type, 'pool': pool.name,
            'units': units, 'unit': pool.unit, 'size': str(size),
            'format': (fmt or 'none').lower(), 'digest': store.EMPTY_DIGEST,
            'gzip': 0, 'volser': pool.volumes()[0][0]}

    def _remove_mdisk(self, g, key):
        disk = g['disks'].pop(key, None)
        if disk is None:
            return
        if self._pool is not None and disk['pool'] == self._pool.name:
            self._pool.release(disk['units'])
        self._blobs.decref(disk['digest'])

    def _release_all_disks(self, g):
        for key in list(g['disks']):
            self._remove_mdisk(g, key)

    @staticmethod
    def _check_disk_list(disk_list, default_pool, swap_only=False):
        """Argument checks of SDKAPI.guest_create / guest_create_disks."""
        for disk in disk_list:
            if not isinstance(disk, dict):
                raise errors.invalid('Invalid "disk_list" input, it should '
                                     'be a dictionary. Details could be '
                                     'found in doc.')
            if 'size' not in disk:
                raise errors.invalid('Invalid "disk_list" input, "size" is '
                                     'required for each disk.')
            pool = disk.get('disk_pool') or default_pool
            if not swap_only:
                if pool is None:
                    raise errors.invalid('Invalid disk_pool input, '
                                         'disk_pool should be configured '
                                         'for sdkserver.')
                if ':' not in pool or (pool.split(':')[0].upper() not in
                                       ('ECKD', 'FBA')):
                    raise errors.invalid('Invalid disk_pool input, its '
                                         'format must be ECKD:eckdpoolname '
                                         'or FBA:fbapoolname')
            if 'format' in disk and disk['format'].lower() not in FORMATS:
                raise errors.invalid("Invalid disk_pool input, supported "
                                     "'format' includes 'ext2', 'ext3', "
                                     "'ext4', 'xfs', 'swap', 'none'")

    # -- SDKAPI ------------------------------------------------------------

    def guest_create_disks(self, userid, disk_list):
        """Add minidisks to a guest; returns the disk list, vdevs filled."""
        userid = self._checked(userid)
        if disk_list == [] or disk_list is None:
            return None
        for disk in disk_list:
            if not isinstance(disk, dict):
                raise errors.invalid('Invalid "disk_list" input, it should '
                                     'be a dictionary. Details could be '
                                     'found in doc.')
            if (disk.get('disk_pool') or self._default_pool_spec) is None:
                raise errors.invalid('Invalid disk_pool input, it should be '
                                     'configured for sdkserver.')
        with self._edit(userid) as g:
            self._require_directory(g, 'getvm %s directory' % userid)
            start = None
            if g['disks']:
                start = hex(int(max(g['disks']), 16) + 1)[2:].rjust(4, '0')
            try:
                return self._add_mdisks(g, disk_list, start)
            finally:
                self._guests.save(g)

    def guest_delete_disks(self, userid, disk_vdev_list):
        """Remove minidisks (refused while the guest runs, as zvmsdk)."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if self._power_state(g) == 'on':
                raise errors.not_implemented(
                    'delete disks when guest is active')
            for vdev in disk_vdev_list:
                self._require_directory(
                    g, 'changevm %s removedisk %s' % (userid, vdev))
                # DirMaint answers "disk does not exist" for an unknown
                # vdev; smtLayer ignores that.
                self._remove_mdisk(g, canonical_vdev(vdev))

    def guest_config_minidisks(self, userid, disk_info):
        """Punch the script that formats and mounts additional disks."""
        userid = self._checked(userid)
        if disk_info == []:
            return
        with self._edit(userid) as g:
            self._require_directory(g, 'changevm %s punchfile' % userid)
            configs = []
            for idx, disk in enumerate(disk_info):
                vdev = disk.get('vdev') or self._generate_disk_vdev(
                    ROOT_VDEV, idx + 1)
                configs.append({
                    'vdev': canonical_vdev(vdev),
                    'format': disk['format'],
                    'mntdir': disk.get('mntdir') or '/mnt/ephemeral%d' % idx,
                })
            g['minidisk_config'].extend(configs)
            g['reader'].append({'file': 'aemod.doscript', 'class': 'X',
                                'kind': 'minidisks'})

    def guest_grow_root_volume(self, userid, os_version):
        """Punch the script that grows the root partition at next boot."""
        userid = self._checked(userid)
        check_os_version(os_version)
        with self._edit(userid) as g:
            self._require_directory(g, 'changevm %s punchfile' % userid)
            g['grow_root'] = True
            g['reader'].append({'file': 'gpartvol.sh', 'class': 'X',
                                'kind': 'grow_root'})

    def _pool_name_of(self, disk_pool):
        """Validation of the host disk-pool calls; None when unset."""
        disk_pool = disk_pool or self._default_pool_spec
        if disk_pool is None:
            return None
        if ':' not in disk_pool:
            raise errors.invalid('Invalid input parameter disk_pool, '
                                 'expect ":" indisk_pool, eg. ECKD:eckdpool')
        if disk_pool.split(':')[0].upper() not in ('ECKD', 'FBA'):
            raise errors.invalid('Invalid disk pool type found in '
                                 'disk_pool, expectdisk_pool like '
                                 'ECKD:eckdpool or FBA:fbapool')
        return disk_pool.split(':')[1]

    def _pool_named(self, name, request):
        if self._pool is None or self._pool.name != name.upper():
            raise errors.smt(*errors.SMT_NO_POOL, request=request,
                             detail='Disk pool %s does not exist' % name)
        return self._pool

    def host_diskpool_get_info(self, disk_pool=None):
        """{'disk_total', 'disk_used', 'disk_available'} in whole GB."""
        name = self._pool_name_of(disk_pool)
        if name is None:
            return {'disk_total': 0, 'disk_used': 0, 'disk_available': 0}
        # zvmsdk passes only the name: the type before ':' is not checked.
        return self._pool_named(
            name, 'getHost diskpoolspace %s' % name).info()

    def host_get_diskpool_volumes(self, disk_pool=None):
        name = self._pool_name_of(disk_pool)
        if name is None:
            return {}
        pool = self._pool_named(name.upper(),
                                'gethost diskpoolvolumes %s' % name)
        return {'diskpool_volumes': ' '.join(v[0] for v in pool.volumes())}

    def host_get_volume_info(self, volume=None):
        if volume is None:
            raise errors.invalid('Invalid volume input None, volume must be '
                                 'specified.')
        if self._pool is not None:
            for volser, model, size in self._pool.volumes():
                if volser == volume.upper():
                    return {'volume_type': model, 'volume_size': str(size)}
        raise errors.zvm_not_found(
            'Not found the volume info for the volume %(volume)s: make sure '
            'the volume is in the disk_pool configured for sdkserver.' %
            {'volume': volume.upper()})
