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

"""Tests of the transport file: real ISO9660 images, read back."""

import contextlib
import errno
import io
import logging
import os
import stat
from unittest import mock

import fixtures
from oslo_concurrency import processutils
from oslo_serialization import base64
from oslo_serialization import jsonutils
import pycdlib

from nova import context
from nova import exception
from nova.network import model as network_model
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import configdrive

PASSWORD = 'Sup3r-s3cret-pw'
HOSTNAME = 'web-01'


def make_network_info():
    subnet = network_model.Subnet(
        cidr='10.0.0.0/24',
        gateway=network_model.IP(address='10.0.0.1', type='gateway'),
        ips=[network_model.FixedIP(address='10.0.0.5')],
        dns=[network_model.IP(address='10.0.0.2')])
    network = network_model.Network(id='net-1', bridge='br0',
                                    label='private', subnets=[subnet])
    vif = network_model.VIF(id='port-1', address='fa:16:3e:00:00:01',
                            network=network, type='ovs', active=True)
    return network_model.NetworkInfo([vif])


def read_iso(path):
    """{path: bytes} of every file of an ISO9660 image, and its label."""
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        files = {}
        for dirname, _dirs, names in iso.walk(rr_path='/'):
            for name in names:
                full = os.path.join(dirname, name)
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, rr_path=full)
                files[full] = out.getvalue()
        label = iso.pvd.volume_identifier.decode().strip()
    finally:
        iso.close()
    return label, files


class _WrappedFile(object):
    """A real file, as configdrive's ``open`` gives it.

    A test watches or breaks its writes.
    """

    def __init__(self, path, mode):
        self._file = open(path, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()


class ConfigDriveTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ConfigDriveTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.tmp_path = os.path.join(self.tmp, 'images')
        self.flags(image_tmp_path=self.tmp_path, group='zvm')
        self.flags(config_drive_format='iso9660')
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.instance.system_metadata = {}
        self.useFixture(fakes.ConfigDriveFixture(self, self.instance,
                                                 hostname=HOSTNAME))
        self.nw_info = make_network_info()

    def _make(self, injected_files=None, password=PASSWORD, **kw):
        """A transport file that lives until the end of the test."""
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        return stack.enter_context(configdrive.transport_file(
            self.ctxt, self.instance, injected_files or [], self.nw_info,
            password, **kw))

    def _meta_data(self, files):
        return jsonutils.loads(files['/openstack/latest/meta_data.json'])

    def test_builds_real_config_drive(self):
        path = self._make()
        # The one name z/VM's spool (8.8) and zvmguestconfigure accept, in
        # a folder of its own under image_tmp_path.
        self.assertEqual('cfgdrive.iso', os.path.basename(path))
        self.assertEqual(self.tmp_path,
                         os.path.dirname(os.path.dirname(path)))
        label, files = read_iso(path)
        self.assertEqual('config-2', label)
        md = self._meta_data(files)
        self.assertEqual(self.instance.uuid, md['uuid'])
        # Nova appends [api] dhcp_domain.
        self.assertEqual(HOSTNAME + '.novalocal', md['hostname'])
        self.assertIn('/openstack/latest/network_data.json', files)
        self.assertNotIn('/openstack/latest/user_data', files)

    def test_admin_password_is_delivered_in_the_drive(self):
        _label, files = read_iso(self._make())
        self.assertEqual(PASSWORD, self._meta_data(files)['admin_pass'])

    def test_no_password_no_admin_pass(self):
        _label, files = read_iso(self._make(password=None))
        self.assertNotIn('admin_pass', self._meta_data(files))

    def test_user_data_when_given(self):
        self.instance.user_data = base64.encode_as_text(b'#cloud-config\n')
        _label, files = read_iso(self._make())
        self.assertEqual(b'#cloud-config\n',
                         files['/openstack/latest/user_data'])

    def test_network_data_describes_the_port(self):
        _label, files = read_iso(self._make())
        nd = jsonutils.loads(files['/openstack/latest/network_data.json'])
        self.assertEqual('fa:16:3e:00:00:01',
                         nd['links'][0]['ethernet_mac_address'])
        self.assertEqual('10.0.0.5', nd['networks'][0]['ip_address'])

    def test_injected_files_and_extra_md(self):
        path = self._make(injected_files=[('/etc/motd', b'hello z\n')],
                          extra_md={'zvm': 'yes'})
        _label, files = read_iso(path)
        md = self._meta_data(files)
        self.assertEqual('yes', md['zvm'])
        self.assertEqual('/etc/motd', md['files'][0]['path'])
        content = '/openstack' + md['files'][0]['content_path']
        self.assertEqual(b'hello z\n', files[content])

    def test_built_without_config_drive_request(self):
        # z/VM guests configure themselves from it at first boot: built
        # although neither Nova's option nor the server asks for one.
        self.flags(force_config_drive=False)
        self.instance.config_drive = False
        self.assertTrue(os.path.isfile(self._make()))

    def test_creates_missing_tmp_dir_private(self):
        self.assertFalse(os.path.exists(self.tmp_path))
        path = self._make()
        mode = stat.S_IMODE(os.stat(self.tmp_path).st_mode)
        self.assertEqual(0, mode & stat.S_IRWXO)
        # The connector copies it with scp as nova-compute's user: nobody
        # else may read the admin password in it.
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(0o700, stat.S_IMODE(
            os.stat(os.path.dirname(path)).st_mode))

    def test_shared_with_the_connector_group_only(self):
        self.flags(connector_file_access='shared', group='zvm')
        path = self._make()
        self.assertEqual(0o640, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(0o750, stat.S_IMODE(
            os.stat(os.path.dirname(path)).st_mode))

    def test_unique_paths(self):
        paths = {self._make() for _i in range(3)}
        self.assertEqual(3, len(paths))
        self.assertEqual(3, len(os.listdir(self.tmp_path)))
        self.assertEqual({'cfgdrive.iso'},
                         {os.path.basename(p) for p in paths})

    def test_vfat_refused(self):
        self.flags(config_drive_format='vfat')
        self.assertRaises(exception.ConfigDriveUnsupportedFormat, self._make)
        self.assertFalse(os.path.exists(self.tmp_path) and
                         os.listdir(self.tmp_path))

    def _disk_full(self):
        """Writing the image fails half-way: the disk is full."""
        class FullDisk(_WrappedFile):
            def write(self, data):
                self._file.write(bytes(data[:2048]))
                self._file.flush()
                raise OSError(errno.ENOSPC, 'No space left on device')

        return mock.patch.object(configdrive, 'open', FullDisk, create=True)

    def test_image_written_in_one_write(self):
        # Built in memory: hundreds of small seeks and writes to the file,
        # each a system call releasing the interpreter lock, stretched
        # concurrent spawns.
        writes = []

        class Counting(_WrappedFile):
            def write(self, data):
                writes.append(len(data))
                return self._file.write(data)

            def __getattr__(self, name):
                writes.append(name)
                return getattr(self._file, name)

        with mock.patch.object(configdrive, 'open', Counting, create=True):
            path = self._make()
        self.assertEqual([os.path.getsize(path)], writes)
        self.assertEqual('config-2', read_iso(path)[0])

    def test_write_failure_leaves_no_file(self):
        with self._disk_full():
            err = self.assertRaises(OSError, self._make)
        self.assertEqual(errno.ENOSPC, err.errno)
        # Neither the half-written file nor its folder.
        self.assertEqual([], os.listdir(self.tmp_path))

    def test_mkisofs_cmd_not_run(self):
        # Built in this process: a broken mkisofs_cmd does not matter.
        self.flags(mkisofs_cmd='false')
        with mock.patch.object(processutils, 'execute') as execute:
            label, _files = read_iso(self._make())
        self.assertEqual('config-2', label)
        self.assertEqual([], execute.call_args_list)

    def test_password_never_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        with configdrive.transport_file(self.ctxt, self.instance, [],
                                        self.nw_info, PASSWORD):
            pass
        self.assertIn('Built config drive', logger.output)
        self.assertIn(self.tmp_path, logger.output)
        self.assertNotIn(PASSWORD, logger.output)

    def test_password_not_logged_on_failure(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        with self._disk_full():
            self.assertRaises(OSError, self._make)
        self.assertIn('Building the config drive', logger.output)
        self.assertNotIn(PASSWORD, logger.output)

    def test_remove_ignores_missing(self):
        path = self._make()
        configdrive.remove(path)
        self.assertFalse(os.path.exists(path))
        configdrive.remove(path)
        configdrive.remove(None)

    def test_transport_file_removed_after_use(self):
        with configdrive.transport_file(self.ctxt, self.instance, [],
                                        self.nw_info, PASSWORD) as path:
            self.assertTrue(os.path.isfile(path))
        self.assertFalse(os.path.exists(path))
        self.assertEqual([], os.listdir(self.tmp_path))

    def test_transport_file_removed_on_error(self):
        paths = []

        def deploy():
            with configdrive.transport_file(self.ctxt, self.instance, [],
                                            self.nw_info, PASSWORD) as path:
                paths.append(path)
                raise exception.NovaException('deploy failed')

        self.assertRaises(exception.NovaException, deploy)
        self.assertFalse(os.path.exists(paths[0]))
        self.assertFalse(os.path.exists(os.path.dirname(paths[0])))
        self.assertEqual([], os.listdir(self.tmp_path))


def iso_tree(path):
    """What a reader of the image sees: label, publisher, names, modes."""
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        seen = {'label': iso.pvd.volume_identifier.decode().strip(),
                'publisher': iso.pvd.publisher_identifier.text.decode(
                    ).strip(),
                'rock_ridge': iso.has_rock_ridge(),
                'joliet': iso.has_joliet()}
        for kind in ('rr_path', 'joliet_path', 'iso_path'):
            tree = {}
            for dirname, dirs, names in iso.walk(**{kind: '/'}):
                for name in dirs:
                    full = os.path.join(dirname, name)
                    rec = iso.get_record(**{kind: full})
                    tree[full] = ('dir', rec.rock_ridge.get_file_mode()
                                  if kind == 'rr_path' else None)
                for name in names:
                    full = os.path.join(dirname, name)
                    out = io.BytesIO()
                    iso.get_file_from_iso_fp(out, **{kind: full})
                    rec = iso.get_record(**{kind: full})
                    tree[full] = (out.getvalue(),
                                  rec.rock_ridge.get_file_mode()
                                  if kind == 'rr_path' else None)
            seen[kind] = tree
    finally:
        iso.close()
    return seen


class GenisoimageCompatTestCase(test.NoDBTestCase):
    """The in-process image reads as genisoimage's does."""

    FILES = [
        ('openstack/latest/meta_data.json', '{"uuid": "x"}'),
        ('openstack/latest/network_data.json', '{}'),
        ('openstack/latest/vendor_data.json', '{}'),
        ('openstack/latest/vendor_data2.json', '{}'),
        ('openstack/latest/user_data', b'#cloud-config\n\xff'),
        ('openstack/2012-08-10/meta_data.json', '{"uuid": "x"}'),
        ('openstack/2013-04-04/meta_data.json', '{"uuid": "x"}'),
        ('openstack/content/0000', b'hello z\n'),
        ('ec2/latest/meta-data.json', '{}'),
        ('ec2/2009-04-04/meta-data.json', '{}'),
    ]

    def setUp(self):
        super(GenisoimageCompatTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        if not os.path.exists(fakes.mkisofs_cmd()):
            self.skipTest('pycdlib-genisoimage is not installed')

    def _genisoimage(self):
        """Nova's ConfigDriveBuilder with pycdlib-genisoimage."""
        from nova.virt import configdrive as nova_configdrive
        self.flags(mkisofs_cmd=fakes.mkisofs_cmd(),
                   config_drive_format='iso9660')
        path = os.path.join(self.tmp, 'nova.iso')
        with nova_configdrive.ConfigDriveBuilder() as cdb:
            cdb.mdfiles = list(self.FILES)
            cdb.make_drive(path)
        return path

    def test_same_names_content_modes_label(self):
        ours = iso_tree(configdrive.write_iso(
            os.path.join(self.tmp, 'ours.iso'), self.FILES))
        nova = iso_tree(self._genisoimage())
        self.assertEqual('config-2', ours['label'])
        self.assertTrue(ours['rock_ridge'])
        self.assertTrue(ours['joliet'])
        self.assertIn('/openstack/latest/vendor_data2.json',
                      ours['rr_path'])
        self.assertEqual(b'#cloud-config\n\xff',
                         ours['rr_path']['/openstack/latest/user_data'][0])
        self.assertEqual(0o100444, ours['rr_path'][
            '/openstack/latest/user_data'][1])
        self.assertEqual(nova, ours)
