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

"""Files to another compute host: the disk image of a migrating guest.

A guest migrating to another z/VM leaves its source as a disk image file in
``[zvm] image_tmp_path`` (the connector's export); the destination's
connector imports it from its own ``image_tmp_path``. The file reaches the
destination in one of two ways:

Shared
    The destination sees the same file, at the same path: it is this
    machine (its migration address is ``[DEFAULT] my_ip``), the operator
    declared ``[zvm] image_tmp_path_shared``, or a marker file made on the
    destination over ssh shows up here (the test Nova's libvirt driver uses
    for a shared instance path). Nothing is copied.

Copied
    ``scp`` or ``rsync`` over ssh (``[zvm] remote_copy_transport``), the
    commands of Nova's libvirt remote file system drivers, with ssh in batch
    mode (never a password prompt). The file is streamed by those tools:
    nova-compute never reads it. nova-compute's user needs key-based ssh to
    the destination, as for libvirt's cold migration.

``image_tmp_path`` must be the same path on all compute hosts that migrate
to each other: the file keeps its path on the destination.
"""

import os

from oslo_concurrency import processutils
from oslo_log import log as logging
from oslo_utils import uuidutils

import nova.conf
from nova import utils as nova_utils

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import tmpfiles

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

SSH_OPTIONS = ('-o', 'BatchMode=yes')
# Kind of the temporary file holding an exported migration image.
FILE_KIND = 'migration'
FILE_PREFIX = tmpfiles.TMP_PREFIX + FILE_KIND + '-'


def _ssh(host, *cmd):
    """Run a command on host over ssh (never prompting)."""
    return processutils.execute('ssh', *(SSH_OPTIONS + (host,) + cmd))


def remote_path(host, path):
    """``host:path`` as scp and rsync take it (IPv6 in brackets)."""
    return nova_utils.format_remote_path(host, path)


def is_local(host):
    """True when host is this machine's migration address."""
    return bool(host) and host == CONF.my_ip


def shares_tmp_path_with(host):
    """Whether host sees this host's ``image_tmp_path`` as its own.

    Makes (and removes) a marker file on host over ssh unless the answer is
    known from the configuration. Touches neither guest nor image.

    :raises: ProcessExecutionError when host cannot be reached over ssh
    """
    if CONF.zvm.image_tmp_path_shared or is_local(host):
        return True
    directory = tmpfiles.tmp_dir()
    marker = os.path.join(directory, '%smarker-%s.tmp' % (
        tmpfiles.TMP_PREFIX, uuidutils.generate_uuid(dashed=False)))
    # The destination may never have made its image_tmp_path yet.
    _ssh(host, 'mkdir', '-p', directory)
    _ssh(host, 'touch', marker)
    if os.path.exists(marker):
        tmpfiles.remove_tmp_file(marker)
        LOG.debug("%s shares %s with this host", host, directory)
        return True
    _ssh(host, 'rm', '-f', marker)
    return False


def copy_to(host, path):
    """Copy the file at path to the same path on host (streamed).

    :raises: ProcessExecutionError
    """
    target = remote_path(host, path)
    if CONF.zvm.remote_copy_transport == 'rsync':
        cmd = ('rsync', '--sparse', '-e', 'ssh ' + ' '.join(SSH_OPTIONS),
               path, target)
    else:
        cmd = ('scp',) + SSH_OPTIONS + (path, target)
    LOG.info("Copying %(path)s to %(host)s with %(tool)s",
             {'path': path, 'host': host, 'tool': cmd[0]})
    processutils.execute(*cmd)


def remove_from(host, path):
    """Remove the file at path on host; a missing file is not an error.

    :raises: ProcessExecutionError when host cannot be reached
    """
    _ssh(host, 'rm', '-f', path)
