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

"""DASD: disk pool volumes and minidisks (DirMaint's AUTOG allocation).

A disk pool (DirMaint group) is a set of volumes of one type: 3390 (ECKD,
sizes in cylinders) or FBA (9336, sizes in 512-byte blocks). A minidisk is
one extent on ONE volume: DirMaint's AUTOG picks a volume of the group
with a free extent large enough, and refuses when no single volume has
one, whatever the pool's total free space.

pools.json::

    {"POOL1": {"type": "3390",
               "volumes": {"VOL001": {"size": 32760,
                                       "extents": [{"userid": "X",
                                                    "vdev": "0100",
                                                    "start": 1,
                                                    "size": 3338}]}}}}
"""

import os

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import store

# A 3390 model 27 holds 32760 cylinders (about 23 GB); an FBA volume of
# the same capacity, in 512-byte blocks. Ten of them: about 230 GB.
DEFAULT_VOLUME_SIZE = {'3390': 32760, 'FBA': 45000000}
DEFAULT_VOLUMES = 10
# Cylinder 0 of a 3390 holds the volume label: extents start at 1.
FIRST_UNIT = {'3390': 1, 'FBA': 0}

# DirMaint's answer when no volume of the group has a free extent large
# enough for the request (AUTOG allocation failed).
RS_NO_SPACE = 2119
# SMAPI "image disk" errors: rs 36 the minidisk is not defined.
RC_IMAGE_DISK = 208
RS_DISK_NOT_DEFINED = 36
# Device models by size: what DirMaint reports as the volume's type.
MODELS_3390 = {1113: '3390-01', 2226: '3390-02', 3339: '3390-03',
               10017: '3390-09', 32760: '3390-27', 65520: '3390-54'}


def pool_type(spec_type):
    return '3390' if spec_type.upper() in ('ECKD', '3390') else 'FBA'


def setup_pool(state, spec, volumes=None):
    """Create the pool ``TYPE:NAME`` unless it exists.

    ``volumes`` is a list of sizes (cylinders or blocks), one per volume.
    """
    spec_type, _, name = spec.partition(':')
    name = name.upper()
    dtype = pool_type(spec_type)
    with state.update_pools() as pools:
        if name in pools:
            return
        sizes = volumes or [DEFAULT_VOLUME_SIZE[dtype]] * DEFAULT_VOLUMES
        prefix = name[:3] if dtype == '3390' else 'F' + name[:2]
        pools[name] = {'type': dtype, 'volumes': {
            '%s%03d' % (prefix, i + 1): {'size': int(size), 'extents': []}
            for i, size in enumerate(sizes)}}


def setup_profile(state, name):
    """A directory PROFILE entry the guests INCLUDE (zvmsdk user_profile)."""
    name = name.upper()
    with state.locked():
        if state.user(name) is None:
            record = state.new_user(name, ['PROFILE %s' % name,
                                           'CPU 00 BASE',
                                           'IPL CMS',
                                           'CONSOLE 0009 3215 T',
                                           'SPOOL 000C 2540 READER *',
                                           'SPOOL 000D 2540 PUNCH A',
                                           'SPOOL 000E 1403 A'])
            state.put_user(record)


def free_extent(volume, size, dtype):
    """The first unit of a free extent of ``size`` on ``volume``, or None."""
    start = FIRST_UNIT[dtype]
    for ext in sorted(volume['extents'], key=lambda e: e['start']):
        if ext['start'] - start >= size:
            return start
        start = max(start, ext['start'] + ext['size'])
    if volume['size'] - start >= size:
        return start
    return None


def allocate(state, userid, vdev, pool_name, size):
    """Place a minidisk of ``size`` units on one volume of the pool.

    Returns ``(volser, start, dtype)``; SMAPIError when the pool does not
    exist or no volume has room for the whole minidisk.
    """
    with state.update_pools() as pools:
        pool = pools.get(pool_name.upper())
        if pool is None:
            # DirMaint: the group (pool) is not defined.
            raise smcli.SMAPIError(596, 3613,
                                   'group %s not defined' % pool_name)
        dtype = pool['type']
        for volser in sorted(pool['volumes']):
            volume = pool['volumes'][volser]
            start = free_extent(volume, size, dtype)
            if start is not None:
                volume['extents'].append({'userid': userid.upper(),
                                          'vdev': vdev.upper(),
                                          'start': start, 'size': size})
                return volser, start, dtype
    raise smcli.SMAPIError(596, RS_NO_SPACE,
                           'no volume in group %s has %d free units' %
                           (pool_name, size))


def release(state, userid, vdev=None):
    """Free the extents of a user's minidisks (one vdev, or all)."""
    userid = userid.upper()
    with state.update_pools() as pools:
        for pool in pools.values():
            for volume in pool['volumes'].values():
                volume['extents'] = [
                    e for e in volume['extents']
                    if not (e['userid'] == userid and
                            (vdev is None or e['vdev'] == vdev.upper()))]
    if vdev is None:
        prefix = userid + '.'
        for name in os.listdir(state.disks_dir):
            if name.startswith(prefix):
                store.remove(os.path.join(state.disks_dir, name))
    else:
        store.remove(state.disk_path(userid, vdev))


def release_all(state, userid):
    release(state, userid)


def mdisk_line(vdev, dtype, start, size, volser, mode):
    if dtype == '3390':
        return 'MDISK %s 3390 %d %d %s %s' % (vdev, start, size, volser, mode)
    return 'MDISK %s FB-512 %d %d %s %s' % (vdev, start, size, volser, mode)


def find_mdisk(record, vdev):
    for line in directory.statements(record, 'MDISK'):
        if line.split()[1].upper() == vdev.upper():
            return line
    return None


@smcli.api('Image_Disk_Create_DM')
def image_disk_create(zvm, req):
    userid = req.target
    vdev = req.opt('v').upper()
    size = int(req.opt('z'))
    mode = req.opt('m', 'W')
    with zvm.state.locked():
        record = directory.get_guest(zvm, userid)
        if find_mdisk(record, vdev):
            # DirMaint: the virtual address is already defined.
            raise smcli.SMAPIError(596, 2111, 'vdev %s exists' % vdev)
        volser, start, dtype = allocate(zvm.state, userid, vdev,
                                        req.opt('r'), size)
        record['lines'].append(mdisk_line(vdev, dtype, start, size, volser,
                                          mode))
        zvm.state.put_user(record)
    # A new minidisk holds nothing (zeros); its content file is made on
    # first write.
    return ''


@smcli.api('Image_Disk_Delete_DM')
def image_disk_delete(zvm, req):
    userid = req.target
    vdev = req.opt('v').upper()
    with zvm.state.locked():
        record = directory.get_guest(zvm, userid)
        line = find_mdisk(record, vdev)
        if line is None:
            # SMAPI: image disk does not exist (smtLayer's removeDisk
            # ignores exactly this answer).
            raise smcli.SMAPIError(RC_IMAGE_DISK, RS_DISK_NOT_DEFINED,
                                   'vdev %s not defined' % vdev)
        record['lines'].remove(line)
        zvm.state.put_user(record)
        release(zvm.state, userid, vdev)
    return ''


@smcli.api('Image_Disk_Create')
def image_disk_create_active(zvm, req):
    """Add a directory minidisk to the running guest's configuration."""
    with zvm.state.locked():
        record = directory.get_guest(zvm, req.target)
        if not directory.logged_on_here(zvm, record):
            raise smcli.SMAPIError(smcli.RC_ACTIVE, 12, 'Image not active')
        if find_mdisk(record, req.opt('v')) is None:
            raise smcli.SMAPIError(RC_IMAGE_DISK, RS_DISK_NOT_DEFINED,
                                   'vdev %s not defined' % req.opt('v'))
    return ''


# -- Image_Volume_Space_Query_DM: pools, volumes, free and used extents ------

def volume_type(dtype, size):
    if dtype == '3390':
        # Extended address volumes (beyond 65520 cylinders) are 3390-A.
        return MODELS_3390.get(size, '3390-A')
    return '9336-10'


def _selected(pools, names):
    names = [n.upper() for n in names if n]
    if not names or '*' in names:
        return sorted(pools)
    return [n for n in names if n in pools]


def free_extents(volume, dtype):
    """(start, size) of the free extents of a volume, in order."""
    start = FIRST_UNIT[dtype]
    free = []
    for ext in sorted(volume['extents'], key=lambda e: e['start']):
        if ext['start'] > start:
            free.append((start, ext['start'] - start))
        start = max(start, ext['start'] + ext['size'])
    if volume['size'] > start:
        free.append((start, volume['size'] - start))
    return free


@smcli.api('Image_Volume_Space_Query_DM')
def volume_space_query(zvm, req):
    """Query 1 (definition), 2 (free) or 3 (used) of groups or volumes.

    Formats as smtLayer's getHost parses them: ``-q 1 -e 3`` one line per
    group, ``<group> <volser>...``; ``-q 1 -e 1`` one line per volume,
    ``<volser> <type> <size>``; ``-q 2`` free extents ``<volser> <type>
    <start> <size> <group> <region>``; ``-q 3`` used extents ``<volser>
    <type> <start> <size> <userid> <vdev> <mode> <group> <region>`` (the
    order of the used-extent fields before the group is the most
    plausible one; getHost reads only the type, size and group).
    """
    query = req.opt('q', '1')
    entry = req.opt('e', '3')
    names = ' '.join(req.opts.get('n', [])).split()
    pools = zvm.state.pools()
    lines = []
    if entry == '1':
        # Volumes by volser, whichever group holds them.
        for name in sorted(pools):
            pool = pools[name]
            for volser in sorted(pool['volumes']):
                if names and '*' not in names and volser not in names:
                    continue
                volume = pool['volumes'][volser]
                lines.append('%s %s %d' % (
                    volser, volume_type(pool['type'], volume['size']),
                    volume['size']))
        return '\n'.join(lines)
    for name in _selected(pools, names):
        pool = pools[name]
        dtype = pool['type']
        if query == '1':
            lines.append(' '.join([name] + sorted(pool['volumes'])))
            continue
        for volser in sorted(pool['volumes']):
            volume = pool['volumes'][volser]
            vtype = volume_type(dtype, volume['size'])
            if query == '2':
                for start, size in free_extents(volume, dtype):
                    lines.append('%s %s %d %d %s %s' % (
                        volser, vtype, start, size, name, volser))
            else:
                for ext in sorted(volume['extents'],
                                  key=lambda e: e['start']):
                    lines.append('%s %s %d %d %s %s MR %s %s' % (
                        volser, vtype, ext['start'], ext['size'],
                        ext['userid'], ext['vdev'], name, volser))
    return '\n'.join(lines)
