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

"""A flavor's swap disk through resize and cold migration (issue 11 item 4).

The swap minidisk a guest is left with is read from the simulator's
inventory: its vdev, its format (the connector's mkswap) and its size in
cylinders, compared with the size the flavor asks for.
"""

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_migration
from nova_zvm.virt.zvm import diskfit


def cylinders(mb):
    return diskfit.disk_units('%dm' % mb, 'ECKD')


class SwapMixin(object):

    def make_swap_flavors(self):
        self.swap256 = self._create_flavor(name='zvm.swap256', memory_mb=512,
                                           vcpu=1, disk=1, ephemeral=0,
                                           swap=256)
        self.swap512 = self._create_flavor(name='zvm.swap512', memory_mb=512,
                                           vcpu=1, disk=1, ephemeral=0,
                                           swap=512)

    def assert_swap(self, guest, mb, vdev='0101'):
        disk = guest['disks'][vdev]
        self.assertEqual('swap', disk['format'])
        self.assertEqual(cylinders(mb), disk['units'])


class SameHostSwapTestCase(SwapMixin, test_migration.MigrationTestBase):

    def setUp(self):
        self.flags(allow_resize_to_same_host=True)
        super(SameHostSwapTestCase, self).setUp()
        self.make_swap_flavors()

    def test_resize_gives_the_new_swap_size_and_revert_the_old(self):
        server = self.boot_on('compute1', flavor=self.swap256)
        before = self.guest(server)
        self.assert_swap(before, 256)
        server = self.resize(server, self.swap512)
        resized = self.guest(server)
        self.assertEqual(['0100', '0101'], sorted(resized['disks']))
        self.assert_swap(resized, 512)
        self.assertEqual(base.root_digest(before), base.root_digest(resized))
        server = self.revert(server)
        reverted = self.guest(server)
        self.assertEqual(['0100', '0101'], sorted(reverted['disks']))
        self.assert_swap(reverted, 256)
        self.assertEqual('on', reverted['power_state'])
        self._delete_server(server)

    def test_resize_that_adds_swap(self):
        server = self.boot_on('compute1')
        self.assertEqual(['0100'], sorted(self.guest(server)['disks']))
        server = self.resize(server, self.swap512)
        self.assert_swap(self.guest(server), 512)
        server = self.confirm(server)
        self.assert_swap(self.guest(server), 512)
        self._delete_server(server)


class TwoHostSwapTestCase(SwapMixin,
                          test_migration.MigrationTestBase):

    COMPUTE_HOSTS = ('compute1', 'compute2')

    def setUp(self):
        super(TwoHostSwapTestCase, self).setUp()
        self.make_swap_flavors()

    def test_resize_to_another_host_makes_the_new_swap(self):
        server = self.boot_on('compute1', flavor=self.swap256)
        server = self.resize(server, self.swap512)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        self.assert_swap(self.guest(server, 'compute2'), 512)
        # The source guest keeps its own swap until confirm.
        self.assert_swap(self.guest(server, 'compute1'), 256)
        server = self.confirm(server)
        self.assertEqual({}, self.guests('compute1'))
        self._delete_server(server)

    def test_cold_migration_keeps_the_swap(self):
        server = self.boot_on('compute1', flavor=self.swap256)
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.assert_swap(self.guest(server, 'compute2'), 256)
        server = self.confirm(server)
        self._delete_server(server)
