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

"""The leaf shim nova/virt/zvm_ext, as Nova loads drivers."""

import os

from nova import test
from nova.virt import driver as virt_driver
from nova.virt import fake as fake_virt

import nova.virt
from nova_zvm.virt.zvm import driver


class ShimTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ShimTestCase, self).setUp()
        # Nothing listens on this port: the driver must load anyway.
        self.flags(cloud_connector_url='http://127.0.0.1:9', group='zvm')
        self.flags(instance_name_template='OS%06x')

    def test_load_compute_driver_returns_this_driver(self):
        drv = virt_driver.load_compute_driver(fake_virt.FakeVirtAPI(),
                                              'zvm_ext.ZVMDriver')
        self.assertIsInstance(drv, driver.ZVMDriver)

    def test_compute_driver_option_loads_it(self):
        self.flags(compute_driver='zvm_ext.ZVMDriver')
        drv = virt_driver.load_compute_driver(fake_virt.FakeVirtAPI())
        self.assertIsInstance(drv, driver.ZVMDriver)

    def test_shim_is_a_leaf_next_to_novas_own_zvm(self):
        virt_dir = os.path.dirname(nova.virt.__file__)
        shim_dir = os.path.join(virt_dir, 'zvm_ext')
        self.assertEqual(['__init__.py'],
                         sorted(f for f in os.listdir(shim_dir)
                                if not f.startswith('__pycache__')))
        # Nova's in-tree driver is untouched and still importable.
        from nova.virt.zvm import driver as intree
        self.assertIsNot(intree.ZVMDriver, driver.ZVMDriver)

    def test_bad_options_stop_loading_with_the_option_named(self):
        # Nova prints any exception from the constructor with a traceback;
        # the driver logs one line and exits 1 instead, as Nova does for
        # its own start-up configuration errors.
        self.flags(cloud_connector_url=None, group='zvm')
        err = self.assertRaises(SystemExit,
                                virt_driver.load_compute_driver,
                                fake_virt.FakeVirtAPI(),
                                'zvm_ext.ZVMDriver')
        self.assertEqual(1, err.code)
        self.assertIn('[zvm] cloud_connector_url',
                      self.stdlog.logger.output)
        self.assertNotIn('Traceback', self.stdlog.logger.output)
