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

"""Images this driver cannot deploy, refused before work is wasted.

:func:`required_os_distro` and :func:`disk_type_of` read the image
properties the connector needs to deploy and import an image (its
``os_distro``; the disk type of an RHCOS image). :func:`check_metadata`
needs only Glance's metadata: it runs before any
download or connector call. :func:`read_header` reads a downloaded file's
header the way the connector does, before the import. :func:`check_fits`
compares the image's root disk (from that header, or from the connector's
``image_query`` for an image already imported) with the flavor and the
host's disk pool, before ``guest_create``; on first use the header is read
from the first bytes Glance sends, before the download.

The connector's image format (see the images guide): a 512-byte ASCII
header written by zthin's ``creatediskimage``, ``xCAT CKD Disk Image:`` or
``xCAT FBA Part Image:`` in bytes 0-19, the disk size right-justified in
bytes 20-31 and its unit (``CYL`` or ``BLK``) in bytes 33-35. The connector
reads those bytes (``hexdump -C -n 48``) and refuses anything else, but only
after copying the whole file into its repository.
"""

import math

import nova.conf
from nova import exception
from nova.i18n import _
from nova.image import glance
from oslo_log import log as logging

from nova_zvm import conf as zvm_conf  # noqa: F401 ([zvm] disk_pool)

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

DISK_FORMAT = 'raw'
# Bytes per unit as smtLayer converts a size in G/M to cylinders or blocks.
UNIT_BYTES = {'CYL': 737280, 'BLK': 512}
UNIT_DISK_TYPE = {'CYL': 'ECKD', 'BLK': 'FBA'}
MAGICS = {b'xCAT CKD Disk Image:': 'CYL', b'xCAT FBA Part Image:': 'BLK'}
HEADER_PROBE = 512
# What other formats start with, to say what a refused file looks like.
OTHER_FORMATS = ((b'QFI\xfb', 'qcow2'), (b'KDMV', 'vmdk'),
                 (b'vhdxfile', 'vhdx'), (b'conectix', 'vhd'),
                 (b'\x1f\x8b', 'gzip'), (b'<<< ', 'vdi'))


def _unacceptable(image_id, reason):
    return exception.ImageUnacceptable(image_id=image_id, reason=reason)


def check_metadata(image_meta, image_id):
    """Refuse from Glance's metadata alone: no download, no connector call.

    :raises: ImageUnacceptable for a disk format other than raw (Glance
        needs one before it takes data; an image without is let through
        to the header check)
    """
    disk_format = (image_meta.disk_format
                   if image_meta.obj_attr_is_set('disk_format') else None)
    if disk_format and disk_format != DISK_FORMAT:
        raise _unacceptable(image_id, _(
            "its disk_format is %(fmt)s; z/VM deploys disk_format raw "
            "images in the z/VM Cloud Connector's disk image format (a "
            "capture of a z/VM guest's root minidisk)") % {
            'fmt': disk_format})


def required_os_distro(image_meta):
    """The image's ``os_distro`` property, refused when absent or blank."""
    distro = image_meta.properties.get('os_distro')
    if not distro or not distro.strip():
        image_id = (image_meta.id if image_meta.obj_attr_is_set('id')
                    else None)
        raise exception.InvalidInput(reason=_(
            "The os_distro image property is required by z/VM to deploy "
            "and configure a guest (for example rhel9.2, sles15.5, "
            "ubuntu22.04); image %s has none.") % image_id)
    return distro.strip()


def disk_type_of(os_distro):
    """The connector's ``disk_type`` for an image, or None if not needed.

    The connector needs it for RHCOS images only; it is the type of the
    disk pool this host deploys to.
    """
    if not os_distro.lower().startswith('rhcos'):
        return None
    pool = CONF.zvm.disk_pool
    if not pool:
        raise exception.InvalidInput(reason=_(
            "RHCOS images need the disk type (DASD or SCSI) of the disk pool "
            "they are deployed to; set [zvm] disk_pool on this host."))
    return 'DASD' if pool.split(':')[0].upper() == 'ECKD' else 'SCSI'


def _looks_like(data):
    for magic, name in OTHER_FORMATS:
        if data.startswith(magic):
            return name
    if len(data) >= 512 and data[510:512] == b'\x55\xaa':
        return _('a PC disk with a partition table (MBR)')
    return None


def parse_header(data):
    """``'<size>:<unit>'`` as the connector reads it; None if unreadable."""
    unit = MAGICS.get(bytes(data[:20]))
    if unit is None or bytes(data[33:36]).decode('ascii', 'replace') != unit:
        return None
    try:
        size = int(bytes(data[20:32]).decode('ascii'))
    except (UnicodeDecodeError, ValueError):
        return None
    if size <= 0:
        return None
    return '%d:%s' % (size, unit)


def read_header(path, image_meta, image_id):
    """The root disk size and unit a downloaded image declares.

    :returns: ``'<size>:<unit>'``, as ``image_query`` reports it
    :raises: ImageUnacceptable, saying what was expected and what the
        image claimed, for a file not in the connector's format
    """
    with open(path, 'rb') as image_file:
        return check_header(image_file.read(HEADER_PROBE), image_meta,
                            image_id)


def check_header(data, image_meta, image_id):
    """As :func:`read_header`, for the image's first bytes."""
    units = parse_header(data)
    if units is not None:
        return units
    looks = _looks_like(data)
    disk_format = (image_meta.disk_format
                   if image_meta.obj_attr_is_set('disk_format') else None)
    # The essentials first: Nova keeps 255 characters of a server's fault.
    raise _unacceptable(image_id, _(
        "its data %(looks)s while its disk_format claims %(fmt)s; expected "
        "the z/VM Cloud Connector's disk image format (a header starting "
        "'xCAT CKD Disk Image:' or 'xCAT FBA Part Image:' with the disk "
        "size, as zthin's creatediskimage writes)") % {
        'looks': (_("looks like %s") % looks) if looks else
        _("starts with %r") % bytes(data[:16]),
        'fmt': disk_format})


def peek_header(context, image_meta, image_id):
    """The root disk an image's first bytes in Glance declare.

    One Glance request, closed after the header: the image is not
    downloaded. The signature (trusted_certs) is verified by the download
    that follows, which reads the header again.

    :returns: ``'<size>:<unit>'``, or None when Glance gave no data
    :raises: ImageUnacceptable for data not in the connector's format
    """
    try:
        chunks = glance.API().download(context, image_id)
    except Exception as err:
        # The download proper reports Glance's failures.
        LOG.debug("Cannot read the header of image %(id)s from Glance: "
                  "%(err)s", {'id': image_id, 'err': err})
        return None
    if chunks is None:
        return None
    data = b''
    try:
        for chunk in chunks:
            data += chunk
            if len(data) >= HEADER_PROBE:
                break
    finally:
        close = getattr(chunks, 'close', None)
        if close is not None:
            close()
    if not data:
        return None
    return check_header(data, image_meta, image_id)


def root_bytes(units):
    """Bytes of a ``'<size>:<unit>'`` root disk."""
    size, unit = units.split(':')
    return int(size) * UNIT_BYTES[unit.upper()]


def check_fits(image_id, units, root_gb):
    """Refuse an image that cannot be deployed to this flavor and host.

    :param units: ``'<size>:<unit>'`` of the image's root disk, or None
        when unknown (nothing is checked then)
    :param root_gb: the flavor's root disk; 0 or None gives the guest the
        image's own size
    :raises: ImageUnacceptable (disk type other than the disk pool's),
        FlavorDiskSmallerThanImage
    """
    if not units:
        return
    size, unit = units.split(':')
    unit = unit.upper()
    if unit not in UNIT_BYTES:
        return
    pool = CONF.zvm.disk_pool
    image_type = UNIT_DISK_TYPE[unit]
    if pool and pool.split(':')[0].upper() != image_type:
        raise _unacceptable(image_id, _(
            "it is an %(image)s disk image; this host deploys to the "
            "%(pool_type)s disk pool %(pool)s ([zvm] disk_pool): boot it "
            "on a host with an %(image)s pool") % {
            'image': image_type, 'pool_type': pool.split(':')[0].upper(),
            'pool': pool})
    if not root_gb:
        return
    # guest_create sizes the root minidisk '<root_gb>g': smtLayer rounds
    # that up to whole cylinders or blocks.
    allocated = int(math.ceil(root_gb * 1024 ** 3 / UNIT_BYTES[unit]))
    if int(size) > allocated:
        raise exception.FlavorDiskSmallerThanImage(
            flavor_size=root_gb * 1024 ** 3, image_size=root_bytes(units))
