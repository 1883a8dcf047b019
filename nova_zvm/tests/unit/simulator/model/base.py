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

"""Helpers of the model's tests: a model in a temporary state directory,
image files, config drive ISOs and checks of the connector's error codes.

The model needs nothing of Nova, so these tests use testtools with fixtures
rather than Nova's test base classes.
"""

import io
import json
import os

import fixtures
import pycdlib
import testtools
from zvmsdk import exception

from nova_zvm.simulator import images
from nova_zvm.simulator.model import HypervisorModel

#: (overallRC, modID, rc, rs) of the answers the tests expect.
GUEST_NOT_FOUND = (404, 10, 404, 1)
GUEST_NOT_IN_DIRECTORY = (404, 10, 404, 3)
GUEST_EXISTS = (8, 1, 400, 8)
IMAGE_NOT_FOUND = (404, 40, 404, 1)
INVALID = (100, 400, 100, 3)

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


class ModelTestCase(testtools.TestCase):

    model_options = {}

    def setUp(self):
        super(ModelTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.state_dir = os.path.join(self.tmp, 'state')
        self.model = self.make_model()

    def make_model(self, state_dir=None, **kwargs):
        options = dict(self.model_options)
        options.update(kwargs)
        model = HypervisorModel(state_dir or self.state_dir, **options)
        self.addCleanup(model.close)
        return model

    def assertSDKError(self, codes, func, *args, **kwargs):
        """func raises a zvmsdk exception with (overallRC, modID, rc, rs)
        (None in ``codes`` matches anything); returns the exception.
        """
        exc = self.assertRaises(exception.SDKBaseException, func, *args,
                                **kwargs)
        self.assertIsNotNone(exc.results, exc)
        got = tuple(exc.results.get(k) for k in ('overallRC', 'modID', 'rc',
                                                 'rs'))
        wanted = tuple(g if c is None else c for c, g in zip(codes, got))
        self.assertEqual(wanted, got, exc.format_message())
        return exc

    def create_guest(self, userid='VM1', vcpus=2, memory=2048, root='3338',
                     more=(), **kwargs):
        disk_list = []
        if root:
            disk_list.append({'size': root, 'is_boot_disk': True})
        disk_list.extend(dict(d) for d in more)
        return self.model.guest_create(userid, vcpus, memory,
                                       disk_list=disk_list or None, **kwargs)

    def image_file(self, name='image', disk_type='ECKD', size=3338,
                   payload=b'rhel root file system ' * 200, gzip=0):
        path = os.path.join(self.tmp, name)
        info = images.write_image(path, disk_type, size, payload, gzip)
        info['path'] = path
        return info

    def import_image(self, name='img1', os_version='rhel8.4', **kwargs):
        info = self.image_file(name + '.img', **kwargs)
        self.model.image_import(name, 'file://' + info['path'],
                                {'os_version': os_version,
                                 'md5sum': info['md5sum']})
        return info

    def config_drive(self, name='cfgdrive.iso', **kwargs):
        kwargs.setdefault('network_data', NETWORK_DATA)
        return build_config_drive(os.path.join(self.tmp, name), **kwargs)

    def deployed_guest(self, userid='VM1', image='img1', start=False,
                       networks=True, drive=True):
        """A guest created, with an image deployed and a NIC, like a spawn
        leaves it (not started unless asked).
        """
        if self.model._images.get(image) is None:
            self.import_image(image)
        self.create_guest(userid)
        self.model.guest_deploy(
            userid, image, transportfiles=self.config_drive() if drive
            else None, vdev='0100')
        if networks:
            self.model.guest_create_network_interface(
                userid, 'rhel8.4', [{'ip_addr': '192.168.10.5',
                                     'cidr': '192.168.10.0/24',
                                     'gateway_addr': '192.168.10.1',
                                     'mac_addr': 'fa:16:3e:11:22:33',
                                     'nic_id': 'port-1'}])
        if start:
            self.model.guest_start(userid)
        return self.model.guest_record(userid)
