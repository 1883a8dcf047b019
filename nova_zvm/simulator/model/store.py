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

"""Persistence: atomic JSON files, per-key locks, content-addressed blobs.

Layout of a state directory::

    model.json              host-wide state (vswitches, IPL time)
    fcp.json                FCP devices and their reservations
    guests/<USERID>.json    one file per guest: a call rewrites one small
                            file, never the whole inventory
    images/<sha1>.json      one file per image (sha1 of the lower-case name:
                            names are arbitrary strings)
    console/<USERID>.log    console spool of each guest
    blobs/ab/<sha256>       content: disk contents, image headers/payloads
    tmp/                    files being written

JSON files are replaced atomically (write to a temporary file, rename), so
a reader or a crash never sees half a file. They are not fsync'ed: the
simulator survives restarts of itself, not power failures of its host.
"""

import hashlib
import json
import os
import shutil
import threading
import uuid

CHUNK_SIZE = 1024 * 1024

#: sha256 of no bytes: the content of a blank minidisk.
EMPTY_DIGEST = hashlib.sha256(b'').hexdigest()


def write_json(path, data):
    """Replace ``path`` with ``data`` as JSON, atomically."""
    # json.dumps uses the C encoder; json.dump would stream in Python.
    text = json.dumps(data, sort_keys=True, separators=(',', ':'))
    tmp = '%s.%s.tmp' % (path, uuid.uuid4().hex)
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def makedirs(*paths):
    for path in paths:
        os.makedirs(path, exist_ok=True)


class KeyedLocks(object):
    """One re-entrant lock per key (a guest, an image name...).

    Locks are never dropped: a lock that is about to be dropped could be
    in a waiting thread's hands. One small lock per userid ever seen is
    cheap next to the records themselves.
    """

    def __init__(self):
        self._mutex = threading.Lock()
        self._locks = {}

    def get(self, key):
        lock = self._locks.get(key)
        if lock is None:
            with self._mutex:
                lock = self._locks.setdefault(key, threading.RLock())
        return lock


class BlobStore(object):
    """Content-addressed storage with reference counts.

    A blob is named by the sha256 of its bytes and written once. Whoever
    records a digest (a minidisk, an image) holds one reference; a blob
    whose last reference goes is deleted. :meth:`put_chunks` and
    :meth:`link` *return* a reference, so a blob can never be collected
    between being stored and being recorded.
    """

    def __init__(self, root, tmp_dir):
        self._root = root
        self._tmp = tmp_dir
        self._lock = threading.Lock()
        self._refs = {}
        makedirs(root, tmp_dir)
        self._ensure_empty()

    def _ensure_empty(self):
        path = self.path(EMPTY_DIGEST)
        if not os.path.exists(path):
            makedirs(os.path.dirname(path))
            open(path, 'wb').close()

    def path(self, digest):
        return os.path.join(self._root, digest[:2], digest)

    def exists(self, digest):
        return os.path.exists(self.path(digest))

    def size(self, digest):
        return os.path.getsize(self.path(digest))

    def _adopt(self, tmp, digest):
        """Move a finished temporary file into place and take a ref."""
        final = self.path(digest)
        with self._lock:
            if os.path.exists(final):
                os.remove(tmp)
            else:
                makedirs(os.path.dirname(final))
                os.replace(tmp, final)
            self._refs[digest] = self._refs.get(digest, 0) + 1
        return digest

    def put_chunks(self, chunks, observers=()):
        """Store a stream of bytes; returns (digest, size) and one ref.

        :param observers: hash objects (``update``) that also see every
            chunk, e.g. the md5 of a whole image file.
        """
        sha = hashlib.sha256()
        size = 0
        tmp = os.path.join(self._tmp, 'blob-%s' % uuid.uuid4().hex)
        try:
            with open(tmp, 'wb') as f:
                for chunk in chunks:
                    f.write(chunk)
                    sha.update(chunk)
                    for obs in observers:
                        obs.update(chunk)
                    size += len(chunk)
        except BaseException:
            remove(tmp)
            raise
        return self._adopt(tmp, sha.hexdigest()), size

    def put_bytes(self, data):
        return self.put_chunks([data])[0]

    def link(self, path, digest):
        """Take a blob from another store (SSI handover): hard link when
        both are on one file system, else a streamed copy. Returns a ref.
        """
        with self._lock:
            if os.path.exists(self.path(digest)):
                self._refs[digest] = self._refs.get(digest, 0) + 1
                return digest
        tmp = os.path.join(self._tmp, 'blob-%s' % uuid.uuid4().hex)
        try:
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
        return self._adopt(tmp, digest)

    def chunks(self, digest, chunk_size=CHUNK_SIZE):
        with open(self.path(digest), 'rb') as f:
            while True:
                chunk = f.read(chunk_size)
                if not chunk:
                    break
                yield chunk

    def incref(self, digest):
        with self._lock:
            if not os.path.exists(self.path(digest)):
                raise KeyError('no blob %s' % digest)
            self._refs[digest] = self._refs.get(digest, 0) + 1

    def decref(self, digest):
        with self._lock:
            count = self._refs.get(digest, 0) - 1
            if count > 0:
                self._refs[digest] = count
                return
            self._refs.pop(digest, None)
            if digest != EMPTY_DIGEST:
                remove(self.path(digest))

    def refs(self, digest):
        return self._refs.get(digest, 0)

    def reset_refs(self, counts):
        """Set all reference counts (after loading the records) and delete
        blobs nobody references: leftovers of a crash between steps.
        """
        with self._lock:
            self._refs = dict(counts)
            for sub in os.listdir(self._root):
                subdir = os.path.join(self._root, sub)
                if not os.path.isdir(subdir):
                    continue
                for name in os.listdir(subdir):
                    if name not in self._refs and name != EMPTY_DIGEST:
                        remove(os.path.join(subdir, name))
            for name in os.listdir(self._tmp):
                remove(os.path.join(self._tmp, name))
        self._ensure_empty()
