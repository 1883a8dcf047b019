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

"""The connector's image repository.

An image is a header blob (the 512 bytes written by ``creatediskimage``)
and a payload blob (the rest of the file), both content-addressed, plus
the record zvmsdk keeps in its image database: ``imageosdistro``,
``md5sum`` of the whole file, ``disk_size_units`` read from the header the
way zvmsdk reads it, ``image_size_in_bytes`` (a string: zvmsdk takes it
from ``du -b``), ``type`` and ``comments``. Names are unique regardless of
case (the database column is ``COLLATE NOCASE``).

Imports and exports stream in 1 MB chunks: images are never held in memory.
URLs: ``file:///path`` (read on this machine; ``remote_host`` names the
same machine, since nova-compute and the connector share it here) and
``http://``; zvmsdk 1.6.3 has no backend for ``https://`` (rs 2).
"""

import hashlib
import math
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from nova_zvm.simulator import images as image_format
from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store

CHUNK_SIZE = 1024 * 1024


def _is_rhcos(os_version):
    return os_version.lower().startswith('rhcos')


class ImageRepository(object):
    """Image records, one JSON file each (named by a hash of the name)."""

    def __init__(self, directory):
        self._dir = directory
        self._records = {}
        self._mutex = threading.Lock()
        self.locks = store.KeyedLocks()
        store.makedirs(directory)

    def _path(self, name):
        digest = hashlib.sha1(name.lower().encode('utf-8')).hexdigest()
        return os.path.join(self._dir, '%s.json' % digest)

    def load(self):
        records = {}
        for fname in os.listdir(self._dir):
            path = os.path.join(self._dir, fname)
            if fname.endswith('.json'):
                rec = store.read_json(path)
                if rec:
                    records[rec['name'].lower()] = rec
            else:
                store.remove(path)
        with self._mutex:
            self._records = records

    def lock(self, name):
        return self.locks.get(name.lower())

    def get(self, name):
        return self._records.get(name.lower())

    def add(self, record):
        store.write_json(self._path(record['name']), record)
        with self._mutex:
            self._records[record['name'].lower()] = record

    def save(self, record):
        store.write_json(self._path(record['name']), record)

    def remove(self, name):
        with self._mutex:
            record = self._records.pop(name.lower(), None)
        store.remove(self._path(name))
        return record

    def values(self):
        with self._mutex:
            return sorted(self._records.values(), key=lambda r: r['name'])

    def clear(self):
        with self._mutex:
            names = [r['name'] for r in self._records.values()]
            self._records = {}
        for name in names:
            store.remove(self._path(name))


def _file_chunks(path):
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(CHUNK_SIZE)
            if not chunk:
                break
            yield chunk


def _split_header(chunks, sink):
    """Append the first HEADER_SIZE bytes to ``sink`` (a list) and yield
    the rest: the payload.
    """
    pending = b''
    done = False
    for chunk in chunks:
        if done:
            yield chunk
            continue
        pending += chunk
        if len(pending) >= image_format.HEADER_SIZE:
            sink.append(pending[:image_format.HEADER_SIZE])
            done = True
            if len(pending) > image_format.HEADER_SIZE:
                yield pending[image_format.HEADER_SIZE:]
    if not done:
        sink.append(pending)


def _observed(chunks, digest):
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


class ImageAPI(object):
    """SDKAPI image calls. Mixed into HypervisorModel."""

    def _image_info(self, rec):
        return {'imagename': rec['name'],
                'imageosdistro': rec['os_version'],
                'md5sum': rec['md5sum'],
                'disk_size_units': rec['disk_size_units'],
                'image_size_in_bytes': str(rec['size_bytes']),
                'type': rec['type'],
                'comments': rec['comments'],
                'last_access_time': rec['last_access_time']}

    def _image(self, image_name):
        rec = self._images.get(image_name)
        if rec is None:
            raise errors.not_found('Image with name: %s' % image_name,
                                   'image')
        return rec

    def _image_source(self, image_name, url, remote_host):
        """Chunks of the file to import, or the zvmsdk error."""
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme == 'file':
            if remote_host and '@' not in remote_host:
                raise errors.image_op(rs=11, rh=remote_host)
            # With a remote_host zvmsdk scp's the file from there: in the
            # simulator's deployment that host is this machine.
            try:
                open(parsed.path, 'rb').close()
            except OSError as err:
                if remote_host:
                    raise errors.image_op(rs=10, err=str(err))
                raise errors.image_op(rs=12, err=str(err))
            return _file_chunks(parsed.path)
        if parsed.scheme == 'http':
            try:
                response = urllib.request.urlopen(url, timeout=60)
            except (urllib.error.URLError, OSError, ValueError) as err:
                raise errors.image_op(rs=9, err=str(err))

            def chunks():
                with response:
                    while True:
                        try:
                            chunk = response.read(CHUNK_SIZE)
                        except OSError as err:
                            raise errors.image_op(rs=9, err=str(err))
                        if not chunk:
                            break
                        yield chunk
            return chunks()
        raise errors.image_op(rs=2, schema=parsed.scheme)

    def image_import(self, image_name, url, image_meta, remote_host=None):
        """Copy an image file into the repository and record it."""
        with self._images.lock(image_name):
            if self._images.get(image_name) is not None:
                raise errors.image_op(rs=13, img=image_name)
            try:
                os_version = image_meta['os_version'].lower()
            except Exception as err:
                raise errors.image_op(
                    rs=14, msg='Failed to create repository to store image '
                               '%s with error: %s' % (image_name, err))
            comments = None
            if _is_rhcos(os_version):
                disk_type = image_meta.get('disk_type')
                if not disk_type or disk_type.upper() not in ('DASD',
                                                              'SCSI'):
                    raise errors.image_op(
                        rs=14, msg='Disk type is required for RHCOS image '
                                   'import, the value should be DASD or '
                                   'SCSI')
                comments = str({'disk_type': disk_type.upper()})
            chunks = self._image_source(image_name, url, remote_host)
            md5 = hashlib.md5()
            head = []
            try:
                payload, size = self._blobs.put_chunks(
                    _split_header(_observed(chunks, md5), head))
            except OSError as err:
                raise errors.image_op(rs=12, err=str(err))
            header_data = head[0]
            whole_md5 = md5.hexdigest()
            header = self._blobs.put_bytes(header_data)
            try:
                expect = image_meta.get('md5sum')
                if expect and expect != whole_md5:
                    raise errors.image_op(rs=4)
                if _is_rhcos(os_version):
                    total = len(header_data) + size
                    units = int(math.ceil(total / 737280.0))
                    size_units = '%d:CYL' % units
                    parsed = image_format.ImageHeader(
                        'ECKD', units, 'CYL', None, 0)
                else:
                    try:
                        size_units = image_format.connector_disk_size_units(
                            header_data)
                        parsed = image_format.parse_header(header_data)
                    except image_format.InvalidImage as err:
                        raise errors.image_op(rs=err.rs)
                record = {
                    'name': image_name, 'os_version': os_version,
                    'md5sum': whole_md5, 'disk_size_units': size_units,
                    'size_bytes': len(header_data) + size,
                    'type': 'rootonly', 'comments': comments,
                    'header': header, 'payload': payload,
                    'disk_type': parsed.disk_type, 'units': parsed.size,
                    'unit': parsed.units, 'gzip': parsed.gzip or 0,
                    'last_access_time': time.time()}
                self._images.add(record)
            except BaseException:
                self._blobs.decref(header)
                self._blobs.decref(payload)
                raise

    def image_query(self, imagename=None):
        """[image info] for one image (404 if unknown) or for all."""
        if imagename:
            return [self._image_info(self._image(imagename))]
        return [self._image_info(rec) for rec in self._images.values()]

    def image_get_root_disk_size(self, image_name):
        """The root disk size of the image, in its units ('3338')."""
        info = self.image_query(image_name)
        return info[0]['disk_size_units'].split(':')[0]

    def image_export(self, image_name, dest_url, remote_host=None):
        """Write the image file (header and payload) to ``dest_url``."""
        with self._images.lock(image_name):
            rec = self._image(image_name)
            parsed = urllib.parse.urlparse(dest_url)
            if parsed.scheme != 'file':
                raise errors.image_op(rs=2, schema=parsed.scheme)
            dest = parsed.path
            # Blobs stay referenced while the lock is held: the image
            # cannot be deleted under the copy.
            tmp = '%s.part' % dest
            try:
                with open(tmp, 'wb') as f:
                    for digest in (rec['header'], rec['payload']):
                        for chunk in self._blobs.chunks(digest):
                            f.write(chunk)
                os.replace(tmp, dest)
            except OSError as err:
                store.remove(tmp)
                if remote_host:
                    raise errors.image_op(rs=21, msg=str(err))
                raise errors.image_op(rs=22, err=str(err))
            rec['last_access_time'] = time.time()
            self._images.save(rec)
            return {'image_name': rec['name'], 'image_path': dest_url,
                    'os_version': rec['os_version'],
                    'md5sum': rec['md5sum'], 'comments': rec['comments']}

    def image_delete(self, image_name):
        """Remove the image; success when it does not exist."""
        with self._images.lock(image_name):
            rec = self._images.remove(image_name)
            if rec is not None:
                self._blobs.decref(rec['header'])
                self._blobs.decref(rec['payload'])
