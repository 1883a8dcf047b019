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

"""What a guest sees in its config drive (the deploy's transport file).

On real z/VM the transport file is punched to the guest's reader and read at
first boot (zvmguestconfigure, then cloud-init as a ``config-2`` drive). The
fake guest OS (guestos.py) reads it at first IPL with pycdlib and keeps a
summary of what the guest applies: hostname, uuid, network configuration,
public keys, injected files (path, size and digest, never the content),
whether there is user data and whether an admin password was set (a
boolean only: the password itself is never kept or logged).
"""

import hashlib
import ipaddress
import json
import os

import pycdlib
from pycdlib import pycdlibexception

LABEL = 'config-2'
META_DATA = '/openstack/latest/meta_data.json'
NETWORK_DATA = '/openstack/latest/network_data.json'
USER_DATA = '/openstack/latest/user_data'
VENDOR_DATA = '/openstack/latest/vendor_data.json'
#: Nova refuses config drives above 64 MB; so does the fake guest.
MAX_SIZE = 64 * 1024 * 1024
#: JSON documents read into memory are bounded.
MAX_JSON = 4 * 1024 * 1024


class ConfigDriveError(Exception):
    """The transport file is not a config drive the guest can use."""


class _Sink(object):
    """File-like target of pycdlib that hashes and counts, keeping at most
    ``keep`` bytes (so injected files are never held in memory).
    """

    def __init__(self, keep=0):
        self.sha = hashlib.sha256()
        self.size = 0
        self._keep = keep
        self._data = []

    def write(self, data):
        self.sha.update(data)
        if self.size < self._keep:
            self._data.append(bytes(data[:self._keep - self.size]))
        self.size += len(data)
        return len(data)

    @property
    def data(self):
        return b''.join(self._data)


class _Reader(object):
    def __init__(self, iso):
        self._iso = iso
        if iso.has_rock_ridge():
            self.kind = 'rr_path'
        elif iso.has_joliet():
            self.kind = 'joliet_path'
        else:
            # Without Rock Ridge or Joliet, names are 8.3 upper case and
            # cloud-init cannot find openstack/latest either.
            raise ConfigDriveError('it has neither Rock Ridge nor Joliet '
                                   'names, openstack/latest/ is unreadable')

    def read(self, path, keep=0):
        sink = _Sink(keep)
        try:
            self._iso.get_file_from_iso_fp(sink, **{self.kind: path})
        except pycdlibexception.PyCdlibException:
            return None
        return sink

    def json(self, path, required=False):
        sink = self.read(path, keep=MAX_JSON)
        if sink is None:
            if required:
                raise ConfigDriveError('%s is missing' % path.lstrip('/'))
            return None
        if sink.size > MAX_JSON:
            raise ConfigDriveError('%s is larger than %d bytes' %
                                   (path.lstrip('/'), MAX_JSON))
        try:
            doc = json.loads(sink.data.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as err:
            raise ConfigDriveError('%s is not valid JSON: %s' %
                                   (path.lstrip('/'), err))
        if not isinstance(doc, dict):
            raise ConfigDriveError('%s is not a JSON object' %
                                   path.lstrip('/'))
        return doc


def _prefix(network):
    netmask = network.get('netmask')
    if not netmask:
        return None
    try:
        return ipaddress.ip_network('0.0.0.0/%s' % netmask).prefixlen
    except ValueError:
        try:
            return ipaddress.ip_network('::/%s' % netmask).prefixlen
        except ValueError:
            return None


def summarize_network(network_data):
    """Addresses the guest configures, from network_data.json."""
    if not network_data:
        return []
    macs = {link.get('id'): link.get('ethernet_mac_address')
            for link in network_data.get('links', []) or []
            if isinstance(link, dict)}
    result = []
    for net in network_data.get('networks', []) or []:
        if not isinstance(net, dict):
            continue
        gateway = None
        for route in net.get('routes', []) or []:
            if isinstance(route, dict) and route.get('network') in (
                    '0.0.0.0', '::'):
                gateway = route.get('gateway')
        result.append({'link': net.get('link'),
                       'mac': macs.get(net.get('link')),
                       'type': net.get('type'),
                       'address': net.get('ip_address'),
                       'prefix': _prefix(net),
                       'gateway': gateway})
    return result


def read(path):
    """Summary of the config drive at ``path`` (see module docstring).

    :raises ConfigDriveError: when the file cannot serve as the guest's
        config drive (not ISO9660, wrong label, no meta_data.json...).
    """
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise ConfigDriveError('cannot read it: %s' % err.strerror)
    if size > MAX_SIZE:
        raise ConfigDriveError('it is %d bytes, more than a config drive '
                               'may hold (%d)' % (size, MAX_SIZE))
    iso = pycdlib.PyCdlib()
    try:
        iso.open(path)
    except (pycdlibexception.PyCdlibException, OSError, ValueError) as err:
        raise ConfigDriveError('it is not an ISO9660 image (%s)' % err)
    try:
        label = iso.pvd.volume_identifier.decode('ascii', 'replace').strip()
        if label != LABEL:
            raise ConfigDriveError('its volume label is %r, cloud-init '
                                   'looks for %r' % (label, LABEL))
        reader = _Reader(iso)
        meta = reader.json(META_DATA, required=True)
        network_data = reader.json(NETWORK_DATA)
        files = []
        for entry in meta.get('files', []) or []:
            if not isinstance(entry, dict):
                continue
            content = reader.read('/openstack' + str(
                entry.get('content_path', '')))
            if content is None:
                raise ConfigDriveError('injected file %s has no content at '
                                       'openstack%s' %
                                       (entry.get('path'),
                                        entry.get('content_path')))
            files.append({'path': entry.get('path'), 'size': content.size,
                          'sha256': content.sha.hexdigest()})
        user_data = reader.read(USER_DATA)
        keys = meta.get('public_keys') or {}
        if not isinstance(keys, dict):
            keys = {}
        return {
            'label': label,
            'names': 'rock_ridge' if reader.kind == 'rr_path' else 'joliet',
            'uuid': meta.get('uuid'),
            'hostname': meta.get('hostname'),
            'name': meta.get('name'),
            # The server's metadata key/value pairs (Nova's 'meta').
            'meta': dict(meta.get('meta') or {}),
            'availability_zone': meta.get('availability_zone'),
            'launch_index': meta.get('launch_index'),
            'public_keys': dict(keys),
            'files': files,
            'network_data': network_data,
            'addresses': summarize_network(network_data),
            'user_data': user_data is not None,
            'user_data_bytes': user_data.size if user_data else 0,
            'vendor_data': reader.read(VENDOR_DATA) is not None,
            # Presence only: the password never leaves the ISO.
            'admin_pass': bool(meta.get('admin_pass')),
        }
    finally:
        iso.close()
