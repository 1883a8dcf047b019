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

ISO9660 only
    zvmguestconfigure and the connector handle an ISO9660 image.
    ``[DEFAULT] config_drive_format = vfat`` is refused at start-up
    (``startup.py``) and again here, with a clear error, rather than making a
    vfat image (which also needs root to mount) that the guest cannot read.
    ``[DEFAULT] mkisofs_cmd`` (genisoimage by default) makes the image;
    pycdlib's ``pycdlib-genisoimage`` accepts the same arguments.

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
import os
import time

from oslo_log import log as logging
from oslo_utils import excutils

from nova.api.metadata import base as instance_metadata
import nova.conf
from nova import exception
from nova.virt import configdrive

from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import image

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

FORMAT = 'iso9660'


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
        iso9660; ProcessExecutionError when mkisofs_cmd fails
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
        # Never log the builder or inst_md: their repr holds the content.
        with configdrive.ConfigDriveBuilder(instance_md=inst_md) as cdb:
            cdb.make_drive(path)
    except Exception:
        with excutils.save_and_reraise_exception():
            LOG.error("Building the config drive with %s failed",
                      CONF.mkisofs_cmd, instance=instance)
            remove(path)
    connector_files.share(path)
    LOG.info("Built config drive %(path)s in %(secs).2f seconds",
             {'path': path, 'secs': time.monotonic() - started},
             instance=instance)
    return path


def remove(path):
    """Remove a transport file; a missing one is not an error."""
    image.remove_tmp_file(path)


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
