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

"""Files the connector reads and writes: who may, and how it reaches them.

The z/VM Cloud Connector runs as its own user (``zvmsdk``). It reads the
config drive of a new guest (``guest_deploy``) and an image to import, and
writes an exported image. ``[zvm] connector_file_access`` says how it
reaches them:

``remote`` (default, as Nova's in-tree driver)
    Every such call carries ``remotehost``/``remote_host`` = ``[zvm]
    remote_host`` (default: nova-compute's user at ``[DEFAULT] my_ip``):
    the connector copies with scp, logging in as that user, so the files
    stay 0600 (0700 folders).
``shared``
    The connector reads and writes ``image_tmp_path`` directly: files are
    given ``[zvm] connector_group``, 0640 to read, 0660 to be written,
    folders 0750 (0770 where the connector writes).

The config drive is punched to the guest's reader under the basename of
its file: z/VM's spool takes 8.8 names and the guest's
``zvmguestconfigure`` uses only ``cfgdrive.iso``. So every transport file
is ``cfgdrive.iso`` in a folder of its own (:func:`private_dir`).
"""

import contextlib
import getpass
import grp
import os
import shutil
import tempfile

from oslo_log import log as logging

import nova.conf

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# The one name both z/VM's spool and zvmguestconfigure accept.
TRANSPORT_FILE_NAME = 'cfgdrive.iso'
PREFIX = 'nova-zvm-'

# The argument that names the remote host, per connector API.
REMOTE_ARG = {'guest_deploy': 'remotehost', 'image_import': 'remote_host',
              'image_export': 'remote_host'}


def shared():
    return CONF.zvm.connector_file_access == 'shared'


def remote_host():
    """``<user>@<address>`` the connector copies from, or None (shared)."""
    if shared():
        return None
    return CONF.zvm.remote_host or '%s@%s' % (getpass.getuser(), CONF.my_ip)


def remote_kwargs(api_name):
    """The remote host argument of ``api_name``, as call keyword args."""
    host = remote_host()
    if host is None:
        return {}
    return {REMOTE_ARG[api_name]: host}


def _group_id():
    name = CONF.zvm.connector_group
    if not name:
        return None
    return grp.getgrnam(name).gr_gid


def share(path, writable=False, is_dir=False):
    """Give ``path`` the modes (and group) the connector needs, no more."""
    if shared():
        gid = _group_id()
        if gid is not None:
            os.chown(path, -1, gid)
        if is_dir:
            mode = 0o770 if writable else 0o750
        else:
            mode = 0o660 if writable else 0o640
    else:
        mode = 0o700 if is_dir else 0o600
    os.chmod(path, mode)


def base_dir():
    """``[zvm] image_tmp_path``, created if absent, never open to others."""
    path = CONF.zvm.image_tmp_path
    os.makedirs(path, mode=0o750, exist_ok=True)
    if shared() and CONF.zvm.connector_group:
        # The connector's user crosses it to reach the files.
        share(path, is_dir=True)
    return path


@contextlib.contextmanager
def private_dir(kind, writable=False):
    """A new folder of its own under image_tmp_path, removed afterwards.

    :param writable: whether the connector writes in it (an export)
    """
    path = tempfile.mkdtemp(prefix='%s%s-' % (PREFIX, kind),
                            dir=base_dir())
    try:
        share(path, writable=writable, is_dir=True)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def check_config():
    """Start-up check of the options above; returns a problem or None."""
    if not shared():
        host = CONF.zvm.remote_host
        if host is not None and (host.count('@') != 1 or
                                 not all(host.split('@'))):
            return ('[zvm] remote_host must be <user>@<address>, not %r'
                    % host)
        return None
    name = CONF.zvm.connector_group
    if not name:
        return None
    try:
        group = grp.getgrnam(name)
    except KeyError:
        return ('[zvm] connector_group %r is not a group of this machine'
                % name)
    if os.geteuid() != 0 and group.gr_gid not in os.getgroups():
        return ("[zvm] connector_group %r: nova-compute's user is not a "
                "member, so it cannot give files that group" % name)
    return None
