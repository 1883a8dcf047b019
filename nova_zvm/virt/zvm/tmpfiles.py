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

"""The driver's temporary files under ``[zvm] image_tmp_path``, and their md5.

The connector and nova-compute share the file system (see
``doc/source/contributor/architecture.rst``): images to import, exported
snapshots and config drives are exchanged as ``file://`` paths under
``[zvm] image_tmp_path``, created if absent. Every file has a unique name
(``mkstemp``, starting with :data:`TMP_PREFIX`; a config drive is
``cfgdrive.iso`` in a folder of its own) and is removed by the operation
that made it, on success and on failure; leftovers of a crashed
nova-compute are swept by :func:`sweep_tmp_files` (from the image cache
manager's pass, :mod:`imagecache`). Who may read or write them, and how
the connector reaches them (scp from ``remote_host``, or directly through
``connector_group``), is ``connector_files``' business. :func:`file_md5`
is the digest the connector checks after its copy of such a file.
"""

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time

from oslo_log import log as logging

import nova.conf

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import connector_files

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# Every temporary file of this driver starts with this prefix, so that the
# sweep of leftovers never touches anything else in image_tmp_path.
TMP_PREFIX = 'nova-zvm-'
# A file of ours left in image_tmp_path is only swept once this old and not
# in use in this process: the age protects the files of another process
# sharing the directory, whose longest operation is bounded by the
# connector's long_read_timeout (an hour by default).
TMP_SWEEP_AGE = 24 * 3600

# The connector's REST schema accepts only an MD5 hex digest as md5sum.
MD5_RE = re.compile(r'^[0-9a-fA-F]{32}$')

CHUNK = 1024 * 1024

# Paths of the temporary files in use in this process (the sweep skips them).
_live_files = set()
_live_files_lock = threading.Lock()


def tmp_dir():
    """``[zvm] image_tmp_path``, created if absent (mode 0750 at most).

    Nova's in-tree driver never creates it, so its first download fails on a
    new host.
    """
    return connector_files.base_dir()


def new_tmp_file(kind, suffix='', writable=False):
    """Create an empty file with a unique name in image_tmp_path.

    :param kind: short word in the name (``image``, ``snapshot``, ...)
    :param writable: whether the connector writes it (an export target);
        who may read it is connector_files' choice
    :returns: the file's absolute path
    """
    fd, path = tempfile.mkstemp(prefix='%s%s-' % (TMP_PREFIX, kind),
                                suffix=suffix, dir=tmp_dir())
    os.close(fd)
    connector_files.share(path, writable=writable)
    path = os.path.abspath(path)
    with _live_files_lock:
        _live_files.add(path)
    return path


def remove_tmp_file(path):
    """Remove a file; a missing one is not an error, nor is any failure.

    Called on cleanup paths, where raising would hide the original error.
    """
    if not path:
        return
    with _live_files_lock:
        _live_files.discard(os.path.abspath(path))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as err:
        LOG.warning("Could not remove temporary file %(path)s: %(err)s",
                    {'path': path, 'err': err})


def sweep_tmp_files(now=None):
    """Remove this driver's leftover temporary files (crash leftovers).

    :returns: the paths removed
    """
    path = CONF.zvm.image_tmp_path
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return removed
    with _live_files_lock:
        live = set(_live_files)
    for entry in entries:
        if not entry.name.startswith(TMP_PREFIX):
            continue
        full = os.path.abspath(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            if ((not is_dir and not entry.is_file(follow_symlinks=False)) or
                    full in live or
                    now - entry.stat(follow_symlinks=False).st_mtime <
                    TMP_SWEEP_AGE):
                continue
        except FileNotFoundError:
            continue
        LOG.info("Removing leftover temporary file %s", full)
        if is_dir:
            # A transport file's own folder (connector_files.private_dir).
            shutil.rmtree(full, ignore_errors=True)
        else:
            remove_tmp_file(full)
        removed.append(full)
    return removed


def file_md5(path):
    """MD5 hex digest of a file, read in chunks."""
    # Not a security use: the connector compares it after its copy. FIPS
    # systems refuse md5() unless told so.
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()
