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

"""Linux disk tools on the connector's guest, acting on linked minidisks.

smtLayer's vmUtils.installFS (``changevm add3390|add9336 ... --filesystem
<fs>``) links the new minidisk (zthin.py), then runs as root ``dasdfmt``
(3390), ``fdasd -a`` (3390) or ``fdisk`` (FBA), ``udevadm settle``,
``mkfs``/``mkfs.xfs``/``mkswap`` on partition 1 and ``blockdev
--flushbufs`` before giving the disk back. These tools only reach a disk
the connector's guest has linked (``/dev/dasdX`` from zthin.py); each
leaves its mark on the minidisk's content:

* ``dasdfmt`` low-level formats: the content is emptied and the disk
  loses any partition or filesystem;
* ``fdasd -a`` / ``fdisk`` write one partition over the whole disk;
* ``mkfs -t <fs>``, ``mkfs.xfs``, ``mkswap`` write a filesystem (or swap)
  on partition 1, which must exist.

The marks are kept in the content's first line (``FORMAT`` below), so
what a guest's disk holds can be read back with :func:`disk_layout`.
"""

import os

from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import zthin

FORMAT = b'#zvmsim-disk '
RC_FAILED = 1


def disk_layout(state, userid, vdev):
    """What the minidisk holds: {'formatted', 'partition', 'filesystem'}.

    ``{}`` for a disk never formatted by these tools (e.g. an image).
    """
    path = state.disk_path(userid, vdev)
    if not os.path.exists(path):
        return {}
    with open(path, 'rb') as f:
        line = f.readline()
    if not line.startswith(FORMAT):
        return {}
    layout = {'formatted': True, 'partition': False, 'filesystem': None}
    for word in line[len(FORMAT):].decode().split():
        key, _, value = word.partition('=')
        if key == 'partition':
            layout['partition'] = value == 'yes'
        elif key == 'fs':
            layout['filesystem'] = value
    return layout


def _write_layout(state, userid, vdev, partition, filesystem):
    line = FORMAT + ('partition=%s fs=%s\n' % (
        'yes' if partition else 'no', filesystem or '-')).encode()
    with open(state.disk_path(userid, vdev), 'wb') as f:
        f.write(line)


def _device(zvm, args):
    """(link, device, partition number) of the one /dev/ operand."""
    devices = [a for a in args if a.startswith('/dev/')]
    if not devices:
        return None, None, None
    device = devices[-1]
    link = zthin.linked_disk(zvm, device)
    base = os.path.basename(device)
    part = base[len(base.rstrip('0123456789')):]
    return link, device, int(part) if part else 0


def _no_device(name, device):
    return RC_FAILED, '%s: %s: No such device or address\n' % (name,
                                                               device)


@programs.program('dasdfmt')
def dasdfmt(zvm, args):
    link, device, part = _device(zvm, args)
    if link is None or part:
        return _no_device('dasdfmt', device)
    disk = zthin.minidisk(zvm, link['userid'], link['vdev'])
    if disk is None or disk[1] != '3390':
        return RC_FAILED, 'dasdfmt: %s is not an ECKD disk\n' % device
    _write_layout(zvm.state, link['userid'], link['vdev'], False, None)
    return 0, 'Finished formatting the device.\n'


@programs.program('fdasd', 'fdisk')
def partition(zvm, args):
    link, device, part = _device(zvm, args)
    if link is None or part:
        return _no_device('fdasd', device)
    disk = zthin.minidisk(zvm, link['userid'], link['vdev'])
    layout = disk_layout(zvm.state, link['userid'], link['vdev'])
    if disk is None:
        return _no_device('fdasd', device)
    if disk[1] == '3390' and not layout.get('formatted'):
        # fdasd needs a disk dasdfmt formatted with the cdl layout.
        return RC_FAILED, ('fdasd: %s is not formatted with z/OS '
                           'compatible disk layout\n' % device)
    _write_layout(zvm.state, link['userid'], link['vdev'], True, None)
    return 0, 'writing VTOC...\nrereading partition table...\n'


def _mkfs(zvm, args, filesystem, name):
    link, device, part = _device(zvm, args)
    if link is None:
        return _no_device(name, device)
    layout = disk_layout(zvm.state, link['userid'], link['vdev'])
    if part != 1 or not layout.get('partition'):
        return _no_device(name, device)
    _write_layout(zvm.state, link['userid'], link['vdev'], True, filesystem)
    return 0, 'Creating filesystem %s on %s\n' % (filesystem, device)


@programs.program('mkfs')
def mkfs(zvm, args):
    fstype = 'ext2'
    if '-t' in args and args.index('-t') + 1 < len(args):
        fstype = args[args.index('-t') + 1]
    return _mkfs(zvm, args, fstype, 'mkfs')


def _mkfs_named(filesystem):
    def handler(zvm, args):
        return _mkfs(zvm, args, filesystem, 'mkfs.' + filesystem)
    return handler


for _fs in ('xfs', 'ext2', 'ext3', 'ext4'):
    programs.program('mkfs.' + _fs)(_mkfs_named(_fs))


@programs.program('mkswap')
def mkswap(zvm, args):
    return _mkfs(zvm, args, 'swap', 'mkswap')


@programs.program('blockdev')
def blockdev(zvm, args):
    link, device, _part = _device(zvm, args)
    if link is None:
        return _no_device('blockdev', device)
    return 0, ''


@programs.program('udevadm', 'udevsettle')
def udevadm(zvm, args):
    # 'udevadm settle': nothing is pending on the connector's guest.
    return 0, ''
