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

"""Switching a compute host from Nova's in-tree z/VM driver to this one.

Servers booted by ``compute_driver = zvm.ZVMDriver`` keep being managed
after nova.conf says ``zvm_ext.ZVMDriver`` and nova-compute restarts: same
guests, same node, same options.
"""

import os

import fixtures
import urllib3

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_bad_config
from nova_zvm.tests.functional import test_connector

IN_TREE = 'zvm.ZVMDriver'


class FromInTreeDriverTestCase(base.ZVMFunctionalTestCase):

    def _restart_with(self, compute_driver):
        self.flags(compute_driver=compute_driver)
        return self.restart_compute()

    def test_servers_of_the_in_tree_driver_are_managed_after_the_switch(self):
        # Nova's in-tree driver cannot start on a new service record (it
        # lacks list_instance_uuids), so the host was registered before;
        # here by this driver, in real life by an older Nova.
        compute = self._restart_with(IN_TREE)
        self.assertEqual('ZVMDriver', type(compute.manager.driver).__name__)
        self.assertEqual('nova.virt.zvm.driver',
                         type(compute.manager.driver).__module__)
        # The in-tree driver never creates [zvm] image_tmp_path; its
        # operators had to.
        os.makedirs(self.image_tmp)
        image_id = self.create_zvm_image()
        old = self.boot(image_id, name='in-tree-1')
        # ... and it leaves each downloaded image there.
        leftover = os.path.join(self.image_tmp, image_id)
        self.assertTrue(os.path.exists(leftover))
        os.unlink(leftover)
        self.assertEqual('on', self.guest(old)['power_state'])
        node = old['OS-EXT-SRV-ATTR:hypervisor_hostname']

        # force_config_drive, needed by the in-tree driver, is not needed.
        self.flags(force_config_drive=False)
        compute = self._restart_with(base.COMPUTE_DRIVER)
        self.assertEqual('nova_zvm.virt.zvm.driver',
                         type(compute.manager.driver).__module__)
        server = self.api.get_server(old['id'])
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(node, server['OS-EXT-SRV-ATTR:hypervisor_hostname'])
        # The driver knows the old server as one of this host's instances.
        self.assertEqual([old['id']],
                         compute.manager.driver.list_instance_uuids())

        # The image the in-tree driver imported is used as it is, and the
        # same image boots with this driver's config drive.
        same_image = self.boot(image_id, name='same-image')
        self.assertEqual(1, self.admin().counters()['api_calls'][
            'image_import'])
        self.assertEqual(base.root_digest(self.guest(old)),
                         base.root_digest(self.guest(same_image)))
        seen = self.guest(same_image)['config_drive']
        self.assertEqual('config-2', seen['label'])
        self.assertEqual('same-image', seen['name'])
        self._delete_server(same_image)

        server = self._stop_server(server)
        self.assertEqual('off', self.guest(server)['power_state'])
        server = self._start_server(server)
        self._reboot_server(server, hard=True)
        image = self.snapshot(server, 'after-switch')
        copy = self.boot(image['id'], name='after-switch')
        self.assertEqual(base.root_digest(self.guest(server)),
                         base.root_digest(self.guest(copy)))
        self._delete_server(copy)
        self._delete_server(server)
        self.glance.delete(None, image['id'])

    def test_rolling_back_to_the_in_tree_driver(self):
        # Servers this driver booted are managed by the in-tree driver
        # again after compute_driver is set back.
        server = self.boot(name='rollback-1')
        os.makedirs(self.image_tmp, exist_ok=True)
        self._restart_with(IN_TREE)
        server = self._stop_server(server)
        self.assertEqual('off', self.guest(server)['power_state'])
        server = self._start_server(server)
        self.assertEqual('on', self.guest(server)['power_state'])
        self._reboot_server(server, hard=True)
        self._delete_server(server)
        self.assertEqual({}, self.admin().inventory()['guests'])


class UnsetCaFileTestCase(test_bad_config.ConfigErrorMixin,
                          base.ZVMFunctionalTestCase):
    """An https connector and no [zvm] ca_file.

    The in-tree driver then does not verify the connector's certificate
    at all; this driver verifies it against the system's CA certificates,
    and says which option to set when it does not verify.
    """

    COMPUTE_HOSTS = ()

    def test_certificate_is_verified_and_the_option_named(self):
        cert_dir = self.useFixture(fixtures.TempDir()).path
        cert, key = test_connector.make_self_signed(cert_dir)
        # Real TLS for the connector, not Nova's wsgi-intercept.
        self.useFixture(fixtures.MonkeyPatch(
            'urllib3.connectionpool.HTTPSConnectionPool.ConnectionCls',
            urllib3.connection.HTTPSConnection))
        self.start_simulator('compute1', cert=cert, key=key)
        self.flags(ca_file=None, group='zvm')
        test_bad_config.start_unready_compute(self)
        self.assert_told_once('[zvm] ca_file',
                              "the system's CA certificates")
        self.assert_no_valid_host()
