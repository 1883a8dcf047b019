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

"""The transport file: the config drive a z/VM guest configures itself from.

``guest_deploy`` punches this file to the new guest's virtual reader; at
first boot zvmguestconfigure reads it from there and hands it to cloud-init
as a config drive (volume label ``config-2``), from which the guest takes its
hostname, network configuration, SSH keys, user data, injected files and
admin password. It is Nova's own config drive, built with
``nova.virt.configdrive.ConfigDriveBuilder`` from
``nova.api.metadata.base.InstanceMetadata`` as the libvirt driver does.

Always built
    A z/VM guest has no other way to learn its hostname and network at
    first boot, so the file is built for every spawn, whatever
    ``[DEFAULT] force_config_drive`` and the server's ``config_drive``
    request say. (Nova's in-tree driver builds it only when Nova asks for a
    config drive and otherwise deploys with ``transportfiles=None``, which
    the connector's REST schema rejects: such boots always fail.)

ISO9660 only, built in this process
    zvmguestconfigure and the connector handle an ISO9660 image.
    ``[DEFAULT] config_drive_format = vfat`` is refused at start-up
    (``startup.py``) and again here, with a clear error, rather than making a
    vfat image (which also needs root to mount) that the guest cannot read.
    The image is written with pycdlib in this process, as
    ``genisoimage -J -r -V config-2`` lays it out (Nova's arguments): Joliet
    (level 3) and Rock Ridge 1.09 names, which are what the guest reads,
    8.3 ISO9660 names besides, volume label ``config-2``, Nova's publisher
    string. ``[DEFAULT] mkisofs_cmd`` is not used: a ``genisoimage``
    process per boot cost about half a second of CPU (a Python one, more),
    which serialised concurrent boots on the compute host's cores.

Files and secrets
    The file is ``cfgdrive.iso`` (the only name z/VM's spool and the
    guest's zvmguestconfigure both accept) in a folder of its own under
    ``[zvm] image_tmp_path``, open to the connector as
    ``connector_files`` says and to nobody else, and removed with its
    folder after the deploy, on every path: use :func:`transport_file`.
    It holds the admin password, which is how Nova delivers it; neither
    the password nor the file's content is ever logged.

Cost: no connector request.
"""

import contextlib
import io
import os
import time

from oslo_log import log as logging
from oslo_utils import excutils
import pycdlib
from pycdlib import utils as pycdlib_utils

from nova.api.metadata import base as instance_metadata
import nova.conf
from nova import exception
from nova import version

from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import tmpfiles

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

FORMAT = 'iso9660'
LABEL = 'config-2'
# genisoimage's defaults for -J and -r.
JOLIET_LEVEL = 3
ROCK_RIDGE = '1.09'
# ISO9660 names: interchange level 1 (8.3, upper case), as genisoimage
# without -iso-level; the guest reads the Rock Ridge names.
ISO_LEVEL = 1


def make_transport_file(path, context, instance, injected_files,
                        network_info, admin_password, extra_md=None):
    """Build the instance's config drive as an ISO9660 file at ``path``.

    :param context: the request context (InstanceMetadata uses its own admin
        context for its look-ups)
    :param injected_files: ``[(path, contents)]`` files to inject
    :param network_info: the instance's ``NetworkInfo``
    :param admin_password: the admin password, or None
    :param extra_md: more keys for ``meta_data.json``
    :returns: ``path``; the caller removes it (use :func:`transport_file`)
    :raises: ConfigDriveUnsupportedFormat when config_drive_format is not
        iso9660; OSError (e.g. no space left) or PyCdlibException when
        the image cannot be written
    """
    if CONF.config_drive_format != FORMAT:
        raise exception.ConfigDriveUnsupportedFormat(
            format=CONF.config_drive_format)
    started = time.monotonic()
    md = dict(extra_md or {})
    if admin_password:
        md['admin_pass'] = admin_password
    inst_md = instance_metadata.InstanceMetadata(
        instance, content=injected_files, extra_md=md,
        network_info=network_info)
    try:
        # Never log inst_md or the files: they hold the password.
        write_iso(path, inst_md.metadata_for_config_drive())
    except Exception as err:
        with excutils.save_and_reraise_exception():
            # The type only: the files hold the password.
            LOG.error("Building the config drive failed: %s",
                      type(err).__name__, instance=instance)
            remove(path)
    connector_files.share(path)
    LOG.info("Built config drive %(path)s in %(secs).2f seconds",
             {'path': path, 'secs': time.monotonic() - started},
             instance=instance)
    return path


def _iso_name(used, name, is_dir):
    """A unique ISO9660 name in a folder, as genisoimage mangles them.

    ``used`` holds the folder's names so far; a clash keeps the first five
    characters and numbers the rest (000-999).
    """
    if is_dir:
        mangled = pycdlib_utils.mangle_dir_for_iso9660(name, ISO_LEVEL)
        ext = ''
    else:
        base, ext = pycdlib_utils.mangle_file_for_iso9660(name, ISO_LEVEL)
        mangled = '.'.join((base, ext)) if ext else base
    if mangled in used:
        for num in range(1000):
            tmp = '%s%03d' % (mangled[:5], num)
            if ext:
                tmp = '%s.%s' % (tmp, ext)
            if tmp not in used:
                mangled = tmp
                break
        else:
            raise ValueError('too many similar names in a folder')
    used.add(mangled)
    return mangled


def write_iso(path, files):
    """Write ``files`` (``[(relative path, str or bytes)]``) as an ISO9660.

    What ``genisoimage -J -r -V config-2`` makes of a folder holding these
    files: Rock Ridge names and modes (files 0444, folders 0555), Joliet
    names, ISO9660 level 1 names, in memory (a config drive is small).
    """
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=ISO_LEVEL, vol_ident=LABEL, vol_set_ident='',
            pub_ident_str='%s %s' % (
                version.product_string(),
                version.version_string_with_package()),
            joliet=JOLIET_LEVEL, rock_ridge=ROCK_RIDGE)
    # Relative folder -> (its ISO path, the ISO names used in it).
    folders = {'': ('', set())}

    def folder(rel):
        if rel in folders:
            return folders[rel][0]
        parent_rel, name = os.path.split(rel)
        parent = folder(parent_rel)
        name_used = folders[parent_rel][1]
        iso_path = '%s/%s' % (parent, _iso_name(name_used, name, True))
        iso.add_directory(iso_path, rr_name=name, joliet_path='/' + rel)
        folders[rel] = (iso_path, set())
        return iso_path

    try:
        for rel, data in sorted(files):
            if isinstance(data, str):
                data = data.encode('utf-8')
            rel = os.path.normpath(rel).strip('/')
            parent_rel, name = os.path.split(rel)
            iso_path = '%s/%s' % (folder(parent_rel), _iso_name(
                folders[parent_rel][1], name, False))
            iso.add_fp(io.BytesIO(data), len(data), iso_path, rr_name=name,
                       joliet_path='/' + rel)
        # Built in memory, written in one go: pycdlib writing to the file
        # makes about 500 small seeks and writes, each a system call that
        # lets another thread take the interpreter, which stretched
        # concurrent spawns; in memory it also costs half the CPU.
        image = io.BytesIO()
        iso.write_fp(image)
    finally:
        iso.close()
    with open(path, 'wb') as f:
        f.write(image.getbuffer())
    return path


def remove(path):
    """Remove a transport file; a missing one is not an error."""
    tmpfiles.remove_tmp_file(path)


@contextlib.contextmanager
def transport_file(context, instance, injected_files, network_info,
                   admin_password, extra_md=None):
    """Context manager: the path of a new transport file, always removed.

    Usage::

        with configdrive.transport_file(ctx, inst, files, nw_info,
                                        password) as path:
            client.call('guest_deploy', userid, image_name,
                        transportfiles=path,
                        **connector_files.remote_kwargs('guest_deploy'))
    """
    with connector_files.private_dir('cfgdrive') as folder:
        path = os.path.join(folder, connector_files.TRANSPORT_FILE_NAME)
        yield make_transport_file(path, context, instance, injected_files,
                                  network_info, admin_password,
                                  extra_md=extra_md)
