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

from nova_zvm.simulator.model import store
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli

# A 3390 model 27 holds 32760 cylinders (about 23 GB); an FBA volume of
# the same capacity, in 512-byte blocks. Ten of them: about 230 GB.
DEFAULT_VOLUME_SIZE = {'3390': 32760, 'FBA': 45000000}
DEFAULT_VOLUMES = 10
# Cylinder 0 of a 3390 holds the volume label: extents start at 1.
FIRST_UNIT = {'3390': 1, 'FBA': 0}

# DirMaint's answer when no volume of the group has a free extent large
# enough for the request (AUTOG allocation failed).
RS_NO_SPACE = 2119


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
            # DirMaint: the minidisk does not exist.
            raise smcli.SMAPIError(596, 2146, 'vdev %s not defined' % vdev)
        record['lines'].remove(line)
        zvm.state.put_user(record)
        release(zvm.state, userid, vdev)
    return ''
