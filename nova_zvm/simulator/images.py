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

"""Disk image files in the format the z/VM Cloud Connector imports.

The connector deploys images captured by zthin's ``creatediskimage``: a
512-byte header of blank-padded ASCII followed by the disk payload
(``ckdencode`` output for ECKD disks, the partition for FBA disks, gzip
compressed unless the level is 0)::

    xCAT CKD Disk Image:        3338 CYL HLen: 0055 GZIP: 6
    <------ 20 bytes --><--- 16 bytes ---><- 11 -><-- 8 ->   then blanks
                                                             up to byte 512

The 16-byte field is the disk size and its unit (``CYL`` for ECKD, ``BLK``
for FBA) right-justified. The connector reads it back by running
``hexdump -C -n 48`` on the file and slicing that text (characters 144-156
for the size, 220-223 for the unit, i.e. bytes 20-31 and 33-35 of the
file), and refuses a file whose dump shows neither ``CKD`` nor ``FBA``.
:func:`connector_disk_size_units` reproduces that parser, blind spots
included, so a file the real connector refuses is refused by the simulator
too (``SDKImageOperationError`` rs 6 or 7).

Payload bytes are opaque to the simulator: it never decompresses them.
"""

import collections
import hashlib
import re

#: Size of the header block written by ``creatediskimage``.
HEADER_SIZE = 512
#: Length of the header text (the ``HLen`` field).
HEADER_LEN = 55
#: How many bytes of the file the connector's ``hexdump -n`` looks at.
PROBE_SIZE = 48

CHUNK_SIZE = 1024 * 1024

_MAGIC = {
    'ECKD': 'xCAT CKD Disk Image:',
    'FBA': 'xCAT FBA Part Image:',
    # Captures of SCSI disks; the connector's import refuses them (rs 7).
    'FCP': 'xCAT FCP Disk Image:',
}
_UNITS = {'ECKD': 'CYL', 'FBA': 'BLK', 'FCP': 'BLK'}
_ALIASES = {'ECKD': 'ECKD', 'CKD': 'ECKD', 'DASD': 'ECKD', '3390': 'ECKD',
            'FBA': 'FBA', '9336': 'FBA', 'FCP': 'FCP', 'SCSI': 'FCP'}

ImageHeader = collections.namedtuple(
    'ImageHeader', ['disk_type', 'size', 'units', 'header_length', 'gzip'])


class InvalidImage(ValueError):
    """The file is not a disk image the connector would import.

    ``rs`` is the reason code ``zvmsdk`` uses for the same refusal
    (``SDKImageOperationError``): 6 for a header without a readable disk
    size, 7 for a disk type other than CKD or FBA.
    """

    def __init__(self, rs, reason):
        super(InvalidImage, self).__init__(reason)
        self.rs = rs
        self.reason = reason


def disk_type_of(name):
    """Normalise 'ECKD'/'CKD'/'FBA'/'FCP' (any case) to ECKD, FBA or FCP."""
    try:
        return _ALIASES[str(name).upper()]
    except KeyError:
        raise ValueError('unknown disk type %r: use ECKD, FBA or FCP' %
                         (name,))


def header(disk_type='ECKD', size='3338', gzip=0):
    """The 512-byte header ``creatediskimage`` writes for such a disk.

    :param disk_type: ECKD (cylinders) or FBA (512-byte blocks); FCP writes
        the header of a SCSI capture, which imports refuse.
    :param size: disk size in cylinders (ECKD) or blocks (FBA).
    :param gzip: the compression level recorded in the header (0-9).
    """
    dtype = disk_type_of(disk_type)
    size = str(size).strip()
    if not size.isdigit():
        raise ValueError('size must be a number of cylinders or blocks, '
                         'not %r' % (size,))
    gzip = int(gzip)
    if not 0 <= gzip <= 9:
        raise ValueError('gzip level must be 0-9, not %d' % gzip)
    # creatediskimage keeps the last 16 characters of "<size> <unit>"
    # right-justified (sed 's/^/    .../;s/.*\(.\{16\}\)$/\1/').
    field = ('%s %s' % (size, _UNITS[dtype])).rjust(16)[-16:]
    text = '%s%s HLen: %04d GZIP: %d' % (_MAGIC[dtype], field, HEADER_LEN,
                                         gzip)
    return text.ljust(HEADER_SIZE).encode('ascii')


def _chunks(payload):
    """Yield the payload as bytes chunks: bytes, a file object or chunks."""
    if payload is None:
        return
    if isinstance(payload, (bytes, bytearray, memoryview)):
        view = memoryview(payload)
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start:start + CHUNK_SIZE])
    elif hasattr(payload, 'read'):
        while True:
            chunk = payload.read(CHUNK_SIZE)
            if not chunk:
                break
            yield chunk
    else:
        for chunk in payload:
            yield bytes(chunk)


def pattern_payload(size, seed=b'nova-zvm'):
    """Deterministic pseudo-random payload chunks totalling ``size`` bytes.

    For tests and tours that need a large image without holding it in
    memory: each chunk is derived from the seed and its index.
    """
    produced = 0
    index = 0
    while produced < size:
        block = hashlib.sha256(seed + str(index).encode()).digest()
        want = min(CHUNK_SIZE, size - produced)
        chunk = (block * (want // len(block) + 1))[:want]
        produced += want
        index += 1
        yield chunk


def write_image(path, disk_type='ECKD', size='3338', payload=b'', gzip=0):
    """Write a disk image file the connector imports.

    :param path: file to create (overwritten).
    :param disk_type: ECKD, FBA (or FCP, which the connector refuses).
    :param size: the disk size in the header: cylinders or blocks.
    :param payload: the disk content: bytes, a binary file object or an
        iterable of bytes chunks (see :func:`pattern_payload`); streamed.
    :param gzip: compression level recorded in the header; the payload is
        written as given, never compressed here.
    :returns: dict with ``md5sum`` (of the whole file, as the connector
        reports it), ``size`` (bytes) and ``payload_sha256`` (the digest
        the simulator uses for the content of a disk deployed from it).
    """
    md5 = hashlib.md5()
    sha = hashlib.sha256()
    head = header(disk_type, size, gzip)
    total = len(head)
    md5.update(head)
    with open(path, 'wb') as f:
        f.write(head)
        for chunk in _chunks(payload):
            f.write(chunk)
            md5.update(chunk)
            sha.update(chunk)
            total += len(chunk)
    return {'md5sum': md5.hexdigest(), 'size': total,
            'payload_sha256': sha.hexdigest()}


def hexdump_c(data):
    """The text ``hexdump -C`` prints for ``data`` (util-linux format).

    Identical full lines after the first are squeezed into one ``*`` line,
    as hexdump does; the connector's parser is blind to that, and so is
    :func:`connector_disk_size_units`.
    """
    lines = []
    previous = None
    squeezing = False
    for offset in range(0, len(data), 16):
        line = data[offset:offset + 16]
        if line == previous and len(line) == 16:
            if not squeezing:
                lines.append('*\n')
                squeezing = True
            continue
        squeezing = False
        previous = line
        hexpart = ''
        for i in range(16):
            hexpart += ('%02x ' % line[i]) if i < len(line) else '   '
            if i == 7:
                hexpart += ' '
        text = ''.join(chr(b) if 0x20 <= b < 0x7f else '.' for b in line)
        lines.append('%08x  %s |%s|\n' % (offset, hexpart, text))
    if data:
        lines.append('%08x\n' % len(data))
    return ''.join(lines)


def connector_disk_size_units(data):
    """'3338:CYL' from the first bytes of an image, as zvmsdk computes it.

    Mirrors ``zvmsdk.smtclient.SMTClient._get_disk_size_units``: the size
    is ``int()`` of characters 144-156 of ``hexdump -C -n 48`` output and
    the unit characters 220-223; the dump must contain CKD or FBA.

    :raises InvalidImage: rs 6 (no built-in disk size) or rs 7 (disk type
        neither CKD nor FBA).
    """
    output = hexdump_c(bytes(data[:PROBE_SIZE]))
    try:
        size = int(output[144:156])
        units = output[220:223]
    except ValueError:
        raise InvalidImage(6, 'the header of the image does not contain '
                              'built-in disk size units')
    if 'FBA' not in output and 'CKD' not in output:
        raise InvalidImage(7, "the image's disk type is neither FBA nor "
                              "CKD")
    return '%d:%s' % (size, units)


def parse_header(data):
    """:class:`ImageHeader` of an image from its first bytes.

    Size and unit come from :func:`connector_disk_size_units`, so what this
    accepts is exactly what the connector accepts; HLen and GZIP are read
    leniently (None when absent).

    :raises InvalidImage: as :func:`connector_disk_size_units`.
    """
    size_units = connector_disk_size_units(data)
    size, units = size_units.split(':')
    probe = hexdump_c(bytes(data[:PROBE_SIZE]))
    disk_type = 'ECKD' if 'CKD' in probe else 'FBA'
    text = bytes(data[:HEADER_SIZE]).decode('ascii', 'replace')
    hlen = re.search(r'HLen: (\d+)', text)
    gzip = re.search(r'GZIP: (\d)', text)
    return ImageHeader(disk_type=disk_type, size=int(size), units=units,
                       header_length=int(hlen.group(1)) if hlen else None,
                       gzip=int(gzip.group(1)) if gzip else None)


def read_header(path):
    """:class:`ImageHeader` of the image file at ``path``.

    :raises InvalidImage: when the connector would refuse the file.
    """
    with open(path, 'rb') as f:
        return parse_header(f.read(HEADER_SIZE))


def read_payload(path):
    """Yield the payload of the image file at ``path`` in chunks."""
    with open(path, 'rb') as f:
        f.seek(HEADER_SIZE)
        for chunk in _chunks(f):
            yield chunk
