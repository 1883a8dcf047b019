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

"""Deploy an image to a guest's root disk; capture a root disk as an image.

Content is addressed, not copied: a deployed root disk references the
digest of the image payload, and a capture makes an image whose payload is
the disk's content (same digest), so an image survives capture, export,
import and deploy bit for bit, and tests can compare digests.

Deploy follows ``SMTClient.guest_deploy``: unpack the image to the disk
(``unpackdiskimage``: the disk must exist, be free of a running guest's
write link, be of the image's type and at least its size), purge the
reader, punch the transport file, record ``os_version`` in the guest's
metadata. The model also reads the transport file as the guest would at
first boot: a file that is not a ``config-2`` drive fails the deploy.
"""

import hashlib
import os
import time

from nova_zvm.simulator import images as image_format
from nova_zvm.simulator.model import configdrive
from nova_zvm.simulator.model import console
from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import errors


def _unpack_error(userid, err):
    return errors.guest_op(rs=3, userid=userid, unpack_rc=3,
                           err='\\nERROR: %s' % err)


class DeployAPI(object):
    """guest_deploy and guest_capture. Mixed into HypervisorModel."""

    def _unpack(self, g, image_name, vdev):
        """unpackdiskimage: write the image to the disk at ``vdev``."""
        userid = g['userid']
        key = disks.canonical_vdev(vdev)
        disk = g['disks'].get(key)
        if not g['directory'] or disk is None:
            raise _unpack_error(userid, 'HCPLNM053E %s %s not linked; not in '
                                        'CP directory' % (userid, key))
        if self._power_state(g) == 'on':
            raise _unpack_error(userid, 'Unable to link %s disk %s in write '
                                        'mode: HCPLNM104E %s %s not linked; '
                                        'R/W by %s' % (userid, key, userid,
                                                       key, userid))
        with self._images.lock(image_name):
            rec = self._image(image_name)
            dtype = 'FBA' if disk['type'] == 'VDISK' else disk['type']
            if rec['disk_type'] != dtype:
                raise _unpack_error(
                    userid, 'Image %s is a %s disk image, disk %s is %s' %
                    (image_name, 'CKD' if rec['disk_type'] == 'ECKD'
                     else 'FBA', key, dtype))
            if rec['units'] > disk['units']:
                raise _unpack_error(
                    userid, 'Image %s needs %d %s, disk %s has %d' %
                    (image_name, rec['units'], rec['unit'], key,
                     disk['units']))
            self._blobs.incref(rec['payload'])
            rec['last_access_time'] = time.time()
            self._images.save(rec)
        self._blobs.decref(disk['digest'])
        disk['digest'] = rec['payload']
        disk['gzip'] = rec['gzip']

    def guest_deploy(self, userid, image_name, transportfiles=None,
                     remotehost=None, vdev=None, hostname=None,
                     skipdiskcopy=False):
        """Deploy the image to the root disk and give the guest its config
        drive (read at its first boot).
        """
        userid = self._checked(userid)
        if skipdiskcopy:
            os_version = image_name
        else:
            os_version = self._image(image_name)['os_version']
        if os_version.lower().startswith('rhcos') and transportfiles is None:
            raise errors.guest_op(rs=13, userid=userid)
        with self._edit(userid) as g:
            target = vdev or disks.ROOT_VDEV
            if not skipdiskcopy:
                self._unpack(g, image_name, target)
            self._require_directory(g, 'changevm %s purgerdr' % userid)
            g['reader'] = []
            g['config_drive'] = None
            if transportfiles:
                if not os.path.isfile(transportfiles):
                    raise errors.guest_op(
                        rs=4, userid=userid,
                        err_info="copy config drive with command ['/usr/bin/"
                                 "cp', '%s'] failed with output: cp: cannot "
                                 "stat '%s': No such file or directory" %
                                 (transportfiles, transportfiles))
                try:
                    drive = configdrive.read(transportfiles)
                except configdrive.ConfigDriveError as err:
                    raise errors.guest_op(
                        rs=14, userid=userid,
                        msg='the guest cannot configure itself from the '
                            'transport file %s: %s' % (
                                os.path.basename(transportfiles), err))
                g['config_drive'] = drive
                g['reader'].append({'file': os.path.basename(transportfiles),
                                    'class': 'X', 'kind': 'config_drive'})
            elif hostname:
                # zvmsdk punches a script setting the hostname instead.
                disks.check_os_version(os_version)
                g['hostname'] = hostname
                g['reader'].append({'file': 'hostname.sh', 'class': 'X',
                                    'kind': 'hostname'})
            g['iucv_client'] = self.zcc_userid
            g['db']['metadata'] = 'os_version=%s' % os_version
            g['os_version'] = os_version
            g['deployed'] = {'image': None if skipdiskcopy else image_name,
                             'vdev': disks.canonical_vdev(target),
                             'os_version': os_version, 'at': time.time()}
            g['booted'] = False

    def _md5_of(self, header_data, payload):
        md5 = hashlib.md5(header_data)
        for chunk in self._blobs.chunks(payload):
            md5.update(chunk)
        return md5.hexdigest()

    def guest_capture(self, userid, image_name, capture_type='rootonly',
                      compress_level=6):
        """Make an image of the guest's root disk (stopping the guest for
        the copy and starting it again, as zvmsdk does).
        """
        userid = self._checked(userid)
        if capture_type == 'alldisks':
            raise errors.not_implemented('Capture guest with type: %s' %
                                         capture_type)
        with self._edit(userid) as g:
            try:
                self._iucv(g, 'pwd')
                reachable = True
            except Exception:
                reachable = False
            if reachable:
                # The root device found through /proc/cmdline.
                os_version = g['os_version']
                devices = [g['ipl'] or disks.ROOT_VDEV]
            else:
                self._require_directory(g, 'getvm %s directory' % userid)
                meta = g['db']['metadata'] or ''
                os_version = 'UNKNOWN'
                if 'OS_VERSION=' in meta.upper():
                    os_version = meta.upper().strip().split('=')[1]
                devices = sorted(g['disks'])
            if not devices or disks.canonical_vdev(devices[0]) not in \
                    g['disks']:
                raise errors.guest_op(
                    rs=5, userid=userid,
                    msg='Error happened when getting the devices for get vm '
                        'disk information on source vm %s ' % userid)
            was_on = self._power_state(g) == 'on'
            if was_on:
                now = time.time()
                self._logoff(g, now, console.shutdown(g, now, reachable))
            disk = g['disks'][disks.canonical_vdev(devices[0])]
            dtype = 'FBA' if disk['type'] == 'VDISK' else disk['type']
            with self._images.lock(image_name):
                if self._images.get(image_name) is not None:
                    # zvmsdk inserts the row last: the unique name fails
                    # there, after the copy, and the guest stays stopped.
                    raise errors.database('UNIQUE constraint failed: '
                                          'image.imagename')
                head = image_format.header(dtype, disk['units'],
                                           disk.get('gzip') or 0)
                header = self._blobs.put_bytes(head)
                self._blobs.incref(disk['digest'])
                parsed = image_format.parse_header(head)
                self._images.add({
                    'name': image_name, 'os_version': os_version,
                    'md5sum': self._md5_of(head, disk['digest']),
                    'disk_size_units': image_format.connector_disk_size_units(
                        head),
                    'size_bytes': len(head) + self._blobs.size(
                        disk['digest']),
                    'type': capture_type, 'comments': None,
                    'header': header, 'payload': disk['digest'],
                    'disk_type': parsed.disk_type, 'units': parsed.size,
                    'unit': parsed.units, 'gzip': parsed.gzip or 0,
                    'last_access_time': time.time()})
            if was_on:
                self._boot(g, time.time())
