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

"""zthin's disk scripts on the connector's guest (/opt/zthin/bin/...).

* ``unpackdiskimage <userid> <vdev> <image file>`` writes an image's
  payload onto a minidisk; ``creatediskimage <userid> <vdev> <image file>
  --compression N`` captures one into an image file (header written by
  :mod:`nova_zvm.simulator.images`, the project's writer of the format).
* ``linkdiskandbringonline <userid> <vdev> <mode>`` links a guest's
  minidisk to the connector's guest and brings it online as a Linux
  ``/dev/dasdX``; ``offlinediskanddetach <userid> <vdev>`` gives it back.
  The links live in ``system.json`` (``links``: device name -> owner,
  vdev, alias): the Linux tools of disktools.py act on the linked disk.

The scripts' rules, as feilong's zthin scripts have them: a guest that is
logged on (anywhere in the SSI) is neither deployed to nor captured; the
image's disk type must match the minidisk's; the image's size (its
header) must fit the minidisk. Errors are ``ERROR: ...`` lines (zvmsdk
keeps those) with exit code 3 (1 for bad operands). A minidisk's content
is ``state.disk_path(userid, vdev)``: the image payload as is (the
simulator never compresses or decompresses payloads).
"""

import os

from nova_zvm.simulator import images
from nova_zvm.simulator.zvm import dasd
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import programs

RC_OPERANDS = 1
RC_FAILED = 3
FIRST_ALIAS = 0x1000


def _error(rc, text):
    return rc, 'ERROR: %s\n' % text


def minidisk(zvm, userid, vdev):
    """(record, dtype '3390'|'FBA', size) of a guest's minidisk, or None."""
    record = zvm.state.user(userid)
    if record is None or directory.is_profile(record):
        return None
    line = dasd.find_mdisk(record, vdev)
    if line is None:
        return None
    words = line.split()
    dtype = '3390' if words[2] == '3390' else 'FBA'
    return record, dtype, int(words[4])


def _link(zvm, userid, vdev, mode):
    """Link a minidisk to the connector's guest; returns (devname, alias)."""
    with zvm.state.update_system() as info:
        links = info.setdefault('links', {})
        for devname, link in links.items():
            if link['userid'] == userid and link['vdev'] == vdev:
                return devname, link['alias']
        used = set(link['alias'] for link in links.values())
        alias = FIRST_ALIAS
        while alias in used:
            alias += 1
        index = alias - FIRST_ALIAS + 1   # dasda is the connector's root
        name = ''
        while True:
            name = chr(ord('a') + index % 26) + name
            index = index // 26 - 1
            if index < 0:
                break
        devname = 'dasd' + name
        links[devname] = {'userid': userid, 'vdev': vdev, 'alias': alias,
                          'mode': mode}
    return devname, alias


def _unlink(zvm, userid, vdev):
    with zvm.state.update_system() as info:
        links = info.setdefault('links', {})
        for devname in [d for d, link in links.items()
                        if link['userid'] == userid and link['vdev'] == vdev]:
            del links[devname]


def linked_disk(zvm, device):
    """The link of ``/dev/dasdX`` or ``/dev/dasdX1``: dict or None."""
    name = os.path.basename(device).rstrip('0123456789')
    link = zvm.state.system_info().get('links', {}).get(name)
    return link


def _target(zvm, args, names):
    if len(args) < len(names):
        return None, _error(RC_OPERANDS, 'Missing required parameter.')
    userid, vdev = args[0].upper(), args[1].upper().rjust(4, '0')
    return (userid, vdev), None


@programs.program('linkdiskandbringonline')
def linkdiskandbringonline(zvm, args):
    target, err = _target(zvm, args, ('userid', 'vdev', 'mode'))
    if err:
        return err
    userid, vdev = target
    if minidisk(zvm, userid, vdev) is None:
        # CP's LINK of a minidisk the directory does not have.
        return _error(RC_FAILED, 'HCPLNM040E %s %s not linked; device %s '
                      'does not exist' % (userid, vdev, vdev))
    devname, alias = _link(zvm, userid, vdev, args[2])
    return 0, ('linkdiskandbringonline %s start\n'
               'Success: Userid %s vdev %s linked at %x device name %s\n'
               'linkdiskandbringonline exit\n' % (
                   userid, userid, vdev, alias, devname))


@programs.program('offlinediskanddetach')
def offlinediskanddetach(zvm, args):
    target, err = _target(zvm, args, ('userid', 'vdev'))
    if err:
        return err
    _unlink(zvm, *target)
    return 0, 'Success: Userid %s vdev %s detached\n' % target


def _check_logged_off(zvm, record, what):
    if record.get('logged_on'):
        return _error(RC_FAILED, 'The specified %s system is currently '
                      'running.' % what)
    return None


@programs.program('unpackdiskimage')
def unpackdiskimage(zvm, args):
    if len(args) != 3:
        # The RHCOS and FCP forms (more operands) are not modelled.
        return _error(RC_OPERANDS, 'Missing required parameter.'
                      if len(args) < 3 else
                      'Only the minidisk form is modelled: %s' % args)
    userid, vdev, image_file = args[0].upper(), args[1].upper(), args[2]
    if not os.path.isfile(image_file):
        return _error(RC_FAILED, 'The specified image file was not found: '
                      '%s.' % image_file)
    try:
        head = images.read_header(image_file)
    except images.InvalidImage:
        return _error(RC_FAILED, 'Disk image type not recognized')
    with zvm.state.locked():
        disk = minidisk(zvm, userid, vdev)
        record = zvm.state.user(userid)
        if record is not None:
            err = _check_logged_off(zvm, record, 'target')
            if err:
                return err
        if disk is None:
            return _error(RC_FAILED, 'Failed to connect disk: %s:%s' % (
                userid, vdev))
        _record, dtype, target_size = disk
        if head.size == 0:
            return _error(RC_FAILED, '%s does not contain cylinder/record '
                          'information.  This appears to be a dummy image '
                          'file.' % image_file)
        if head.disk_type == 'ECKD':
            if dtype != '3390':
                return _error(RC_FAILED, 'Specified image is of a '
                              'Count-Key-Data volume, but specified disk is '
                              'not a Count-Key-Data volume.')
            if head.size > target_size:
                return _error(RC_FAILED, 'Target disk is too small for '
                              'specified image, deploy to target disk:%d '
                              'cylinders, image need minimum:%d cylinders' %
                              (target_size, head.size))
        else:
            if dtype != 'FBA':
                return _error(RC_FAILED, 'Specified image is of a fixed-block'
                              ' volume, but specified disk is not a '
                              'fixed-block volume.')
            if head.size > target_size:
                return _error(RC_FAILED, 'Target disk is too small for '
                              'specified image. The image has %d blocks in '
                              'the header, deploy to a disk with %d blocks, '
                              'either deploy to a bigger size target disk '
                              'or create a smaller image.' %
                              (head.size, target_size))
        with open(zvm.state.disk_path(userid, vdev), 'wb') as out:
            for chunk in images.read_payload(image_file):
                out.write(chunk)
    return 0, ('unpackdiskimage: Image file compression level: %s\n'
               'Image %s deployed to %s %s.\n' % (
                   head.gzip, os.path.basename(image_file), userid, vdev))


@programs.program('creatediskimage')
def creatediskimage(zvm, args):
    words = [a for a in args if not a.startswith('--')]
    compression = '6'
    if '--compression' in args:
        index = args.index('--compression')
        compression = args[index + 1] if index + 1 < len(args) else ''
        words = [a for i, a in enumerate(args)
                 if i not in (index, index + 1) and not a.startswith('--')]
    if len(words) != 3:
        return _error(RC_OPERANDS, 'Missing required parameter.')
    if not compression.isdigit() or not 0 <= int(compression) <= 9:
        return _error(RC_OPERANDS, 'Compression operand is not between 0 '
                      'and 9, inclusive: %s' % compression)
    userid, vdev, image_file = words[0].upper(), words[1].upper(), words[2]
    if os.path.exists(image_file):
        return _error(RC_FAILED, 'The specified image file already exists.')
    with zvm.state.locked():
        record = zvm.state.user(userid)
        if record is not None:
            err = _check_logged_off(zvm, record, 'source')
            if err:
                return err
        disk = minidisk(zvm, userid, vdev)
        if disk is None:
            return _error(RC_FAILED, 'Specified disk does not exist or is of '
                          'an unknown type.')
        _record, dtype, size = disk
        path = zvm.state.disk_path(userid, vdev)
        payload = open(path, 'rb') if os.path.exists(path) else b''
        try:
            images.write_image(image_file,
                               'ECKD' if dtype == '3390' else 'FBA',
                               size, payload=payload,
                               gzip=int(compression))
        finally:
            if not isinstance(payload, bytes):
                payload.close()
    return 0, ('creatediskimage start\nCreating %s image file for %s\'s disk '
               'at channel %s with disk size %d %s.\n'
               'Image creation successful.\n' % (
                   os.path.basename(image_file), userid, vdev, size,
                   'CYL' if dtype == '3390' else 'BLK'))
