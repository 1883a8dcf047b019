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

"""Importing a Glance image into the connector's image repository.

:func:`import_image` is the import flow of :class:`image.ImageOps`: the
download from Glance to a file of :mod:`tmpfiles` (removed once imported or
on failure), the header and size checks of :mod:`imagecheck`, the md5 the
connector verifies its copy against, ``image_import``, the partial image
rolled back on failure, an image imported meanwhile by another compute
service used, and a lost ``image_import`` answer decided by looking at the
repository's record. :func:`import_meta` is the one way this driver
describes an image it imports (spawn, migration). Locking and the queries
stay :mod:`image`'s.
"""

import os
import time

from oslo_log import log as logging
from oslo_utils import excutils

from nova.i18n import _
from nova.virt import images

from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import imagecheck
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import unanswered
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)

# The connector's answer to image_import of a name it already holds:
# overallRC 300, modID 40 (image), rs 13.
IMAGE_MODID = 40
RS_IMAGE_EXISTS = 13


def import_meta(os_distro, md5sum):
    """The ``image_meta`` of ``image_import`` for an image of ``os_distro``.

    :param md5sum: the file's MD5 hex digest, checked by the connector
        after its copy
    :raises: InvalidInput (an RHCOS image without ``[zvm] disk_pool``)
    """
    meta = {'os_version': os_distro, 'md5sum': md5sum}
    disk_type = imagecheck.disk_type_of(os_distro)
    if disk_type:
        meta['disk_type'] = disk_type
    return meta


def _glance_md5(image_meta):
    checksum = (image_meta.checksum if image_meta.obj_attr_is_set('checksum')
                else None)
    if checksum and tmpfiles.MD5_RE.match(checksum):
        return checksum.lower()
    return None


def _image_exists_error(err):
    return (getattr(err, 'modID', None) == IMAGE_MODID and
            getattr(err, 'rs', None) == RS_IMAGE_EXISTS)


def import_image(client, context, image_meta, image_id, os_distro, disk_type,
                 trusted_certs, root_gb, remove_image):
    """Download an image from Glance and import it into the repository.

    :param remove_image: ``remove_image(image_id)``, the undo of a partial
        import (raises on failure other than a missing image)
    :returns: the image's disk_size_units read from its header ('3339:CYL'),
        or None (an RHCOS image, sized by the connector)
    :raises: ImageUnacceptable, FlavorDiskSmallerThanImage, nova
        ImageNotFound, ConnectorError (the partial image rolled back, or
        what was left said)
    """
    started = time.monotonic()
    path = tmpfiles.new_tmp_file('image')
    try:
        images.fetch(context, image_id, path, trusted_certs=trusted_certs)
        downloaded = time.monotonic()
        # The connector would read the header only after copying the
        # whole file into its repository. RHCOS images are plain disk
        # dumps without one (the connector sizes them with fdisk).
        units = None
        if not disk_type:
            units = imagecheck.read_header(path, image_meta, image_id)
            imagecheck.check_fits(image_id, units, root_gb)
        size = os.path.getsize(path)
        # Glance's checksum makes the connector verify the whole way
        # from Glance; without one, at least its own copy is verified.
        md5sum = (_glance_md5(image_meta) or
                  # Hashing GBs must not stall eventlet's hub.
                  compat.run_in_native_thread(tmpfiles.file_md5, path))
        meta = import_meta(os_distro, md5sum)
        LOG.info("Importing image %(id)s (%(size)d bytes, os_distro "
                 "%(distro)s) into the connector; downloaded from Glance "
                 "in %(secs).1f seconds",
                 {'id': image_id, 'size': size, 'distro': os_distro,
                  'secs': downloaded - started})
        # The connector may register part of an image before failing.
        steps = zvm_undo.UndoStack(
            'image import', None, _("the connector's image repository"))
        steps.push('delete the partial image %s' % image_id,
                   remove_image, image_id)
        try:
            _import_call(client, image_id, path, meta)
        except Exception as err:
            if _image_exists_error(err):
                # Another compute service sharing this connector
                # imported it meanwhile: theirs is as good as ours.
                LOG.info("Image %s was imported by someone else "
                         "meanwhile; using it", image_id)
                return units
            with excutils.save_and_reraise_exception() as ctxt:
                LOG.error("Import of image %(id)s failed: %(err)s",
                          {'id': image_id, 'err': err})
                if not steps.rollback():
                    ctxt.reraise = False
            raise steps.incomplete(err) from err
    finally:
        tmpfiles.remove_tmp_file(path)
    LOG.info("Imported image %(id)s in %(secs).1f seconds (download and "
             "import)", {'id': image_id,
                         'secs': time.monotonic() - started})
    return units


def _import_call(client, image_id, path, meta):
    try:
        client.call(
            'image_import', image_id, 'file://' + path, meta,
            **connector_files.remote_kwargs('image_import'))
    except zvm_exc.ConnectorError as err:
        if not unanswered.outcome_unknown(err):
            raise
        # The import may have run: the repository's record tells
        # (zvmsdk writes it last, once the copy is verified).
        info = unanswered.complete_image(client, image_id)
        if info is None or info.get('md5sum') != meta['md5sum']:
            raise unanswered.unanswered(err, 'image_import', _(
                "the connector's repository has no complete image "
                "%s") % image_id) from err
        LOG.warning("image_import of %s gave no answer, but the "
                    "connector has the complete image: using it",
                    image_id)
