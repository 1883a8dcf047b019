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

"""Config drive ISOs as Nova makes them, for the fake z/VM's guests."""

import io
import json

import pycdlib


META_DATA = {
    'uuid': '1b1e5f4e-0000-4000-8000-00000000abcd',
    'hostname': 'web-1',
    'name': 'web-1',
    'availability_zone': 'nova',
    'launch_index': 0,
    'meta': {'role': 'web'},
    'public_keys': {'mykey': 'ssh-ed25519 AAAAC3Nza test@example'},
    'files': [{'path': '/etc/motd', 'content_path': '/content/0000'}],
    'admin_pass': 'Secr3t-Pass',
}
NETWORK_DATA = {
    'links': [{'id': 'tap1', 'type': 'ovs',
               'ethernet_mac_address': 'fa:16:3e:11:22:33', 'mtu': 1500}],
    'networks': [{'id': 'network0', 'link': 'tap1', 'type': 'ipv4',
                  'ip_address': '192.168.10.5', 'netmask': '255.255.255.0',
                  'routes': [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                              'gateway': '192.168.10.1'}]}],
    'services': [{'type': 'dns', 'address': '8.8.8.8'}],
}


def build_config_drive(path, meta_data=None, network_data=None,
                       user_data=b'#cloud-config\n', contents=None,
                       label='config-2', rock_ridge=True, joliet=True,
                       raw_meta=None):
    """Write a config drive ISO the way Nova's genisoimage flags make it
    (``-J -r -V config-2``): ISO9660 names plus Rock Ridge and Joliet.
    """
    if meta_data is None:
        meta_data = META_DATA
    files = {}
    files['openstack/latest/meta_data.json'] = (
        raw_meta if raw_meta is not None else json.dumps(meta_data).encode())
    if network_data is not None:
        files['openstack/latest/network_data.json'] = json.dumps(
            network_data).encode()
    if user_data is not None:
        files['openstack/latest/user_data'] = user_data
    if contents is None:
        contents = {'0000': b'Welcome to web-1\n'}
    for name, data in contents.items():
        files['openstack/content/%s' % name] = data
    kwargs = {'interchange_level': 3, 'vol_ident': label,
              'pub_ident_str': 'OpenStack Compute 34.0.0'}
    if joliet:
        kwargs['joliet'] = 3
    if rock_ridge:
        kwargs['rock_ridge'] = '1.09'
    iso = pycdlib.PyCdlib()
    iso.new(**kwargs)
    iso_names = {'': ''}
    counter = [0]

    def names(rel, leaf, is_dir):
        counter[0] += 1
        parent = rel.rpartition('/')[0]
        iso_path = '%s/%s%d%s' % (iso_names[parent], 'D' if is_dir else 'F',
                                  counter[0], '' if is_dir else '.;1')
        iso_names[rel] = iso_path
        extra = {}
        if rock_ridge:
            extra['rr_name'] = leaf
        if joliet:
            extra['joliet_path'] = '/' + rel
        return iso_path, extra

    for rel in sorted(files):
        parts = rel.split('/')
        for depth in range(1, len(parts)):
            directory = '/'.join(parts[:depth])
            if directory not in iso_names:
                iso_path, extra = names(directory, parts[depth - 1], True)
                iso.add_directory(iso_path, **extra)
        iso_path, extra = names(rel, parts[-1], False)
        iso.add_fp(io.BytesIO(files[rel]), len(files[rel]), iso_path,
                   **extra)
    iso.write(path)
    iso.close()
    return path
