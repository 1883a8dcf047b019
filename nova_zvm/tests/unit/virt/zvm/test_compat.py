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

"""compat.py against the Nova installed here, and against older shapes.

The tox environments run this module on Nova 32, 33 and 34, so the tables
of compat.py are checked against each real release.
"""

import inspect
from unittest import mock

import fixtures
from nova.compute import manager
from nova import test
from nova import utils as nova_utils
from nova import version as nova_version
from nova.virt import driver as virt_driver
from nova.virt import virtapi

from nova_zvm.virt.zvm import compat


def nova_major():
    return int(nova_version.version_string().split('.')[0])


class _Nova32Driver(object):
    """ComputeDriver's shape before Nova 34."""

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         allocations, block_device_info=None, power_on=True):
        raise NotImplementedError()

    def spawn(self, context, instance):
        raise NotImplementedError()


class ReleaseTablesTestCase(test.NoDBTestCase):
    """The release named for each difference is right for this Nova."""

    def test_methods_exist_from_their_release_on(self):
        for name, release in compat.DRIVER_METHODS_ADDED.items():
            self.assertEqual(nova_major() >= release, compat.base_has(name),
                             name)

    def test_parameters_exist_from_their_release_on(self):
        for (name, param), release in compat.DRIVER_PARAMETERS_ADDED.items():
            base = inspect.signature(getattr(virt_driver.ComputeDriver, name))
            self.assertEqual(nova_major() >= release,
                             param in base.parameters, (name, param))

    def test_virtapi_parameter_name(self):
        for cls in (virtapi.VirtAPI, manager.ComputeVirtAPI):
            params = list(inspect.signature(
                cls.wait_for_instance_event).parameters)
            self.assertEqual(['self', 'instance', 'event_names'],
                             params[:3])
            # Renamed in Nova 33; compat passes it by position, kept.
            self.assertEqual(
                'timeout' if nova_major() >= 33 else 'deadline', params[3])
            self.assertEqual('error_callback', params[4])

    def test_tpool_helper_of_this_release(self):
        self.assertEqual(nova_major() >= 33,
                         hasattr(nova_utils, 'tpool_wrap'))


class DriverSignatureTestCase(test.NoDBTestCase):

    def test_unchanged_method_has_the_base_signature(self):
        self.assertEqual(
            inspect.signature(virt_driver.ComputeDriver.spawn),
            compat.driver_signature('spawn'))

    def test_nova_34_parameter_is_added_on_older_nova(self):
        with mock.patch.object(virt_driver, 'ComputeDriver', _Nova32Driver):
            sig = compat.driver_signature('finish_migration')
        params = list(sig.parameters.values())
        self.assertEqual('share_info', params[-1].name)
        self.assertIsNone(params[-1].default)
        self.assertEqual(['block_device_info', 'power_on', 'share_info'],
                         [p.name for p in params[-3:]])

    def test_parameter_is_not_added_twice(self):
        sig = compat.driver_signature('finish_migration')
        self.assertEqual(1, list(sig.parameters).count('share_info'))

    def test_base_has(self):
        self.assertTrue(compat.base_has('spawn'))
        self.assertFalse(compat.base_has('no_such_method'))
        with mock.patch.object(virt_driver, 'ComputeDriver', _Nova32Driver):
            self.assertFalse(compat.base_has('is_share_mounted'))


class VirtAPITestCase(test.NoDBTestCase):

    def _check(self, virtapi):
        result = compat.wait_for_instance_event(
            virtapi, 'inst', ['event'], 42, 'callback')
        self.assertEqual(('inst', ['event'], 42, 'callback'), result)

    def test_nova_32_deadline(self):
        class VirtAPI(object):
            def wait_for_instance_event(self, instance, event_names,
                                        deadline=300, error_callback=None):
                return instance, event_names, deadline, error_callback
        self._check(VirtAPI())

    def test_nova_33_timeout(self):
        class VirtAPI(object):
            def wait_for_instance_event(self, instance, event_names,
                                        timeout=300, error_callback=None):
                return instance, event_names, timeout, error_callback
        self._check(VirtAPI())


class NativeThreadTestCase(test.NoDBTestCase):

    def test_runs_the_function_on_this_nova(self):
        self.assertEqual(7, compat.run_in_native_thread(lambda a, b: a + b,
                                                        3, 4))

    def test_nova_33_tpool_wrap(self):
        wrapped = mock.Mock(return_value='digest')
        with mock.patch.object(nova_utils, 'tpool_wrap', create=True,
                               return_value=wrapped) as wrap:
            self.assertEqual('digest',
                             compat.run_in_native_thread(len, '/path'))
        wrap.assert_called_once_with(len)
        wrapped.assert_called_once_with('/path')

    def _nova_32(self, threading):
        patcher = mock.patch.object(nova_utils, 'tpool_wrap', None,
                                    create=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.useFixture(fixtures.MockPatchObject(
            nova_utils, 'concurrency_mode_threading',
            return_value=threading))
        return self.useFixture(fixtures.MockPatchObject(
            nova_utils, 'tpool_execute', create=True,
            return_value='digest')).mock

    def test_nova_32_eventlet_tpool_execute(self):
        execute = self._nova_32(threading=False)
        self.assertEqual('digest', compat.run_in_native_thread(len, '/path'))
        execute.assert_called_once_with(len, '/path')

    def test_nova_32_threading_calls_directly(self):
        execute = self._nova_32(threading=True)
        self.assertEqual(5, compat.run_in_native_thread(len, '/path'))
        execute.assert_not_called()
