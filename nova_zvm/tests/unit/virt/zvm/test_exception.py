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

import logging

import fixtures
from nova import exception
from nova import test

from nova_zvm.virt.zvm import exception as zvm_exc


def answer(overall, mod, rc=None, rs=1, errmsg='boom'):
    return {'overallRC': overall, 'modID': mod,
            'rc': overall if rc is None else rc, 'rs': rs,
            'errmsg': errmsg, 'output': ''}


class ExceptionClassesTestCase(test.NoDBTestCase):

    def test_connector_error_message_and_codes(self):
        err = zvm_exc.ConnectorError('guest_start', answer(404, 10))
        self.assertEqual(
            "z/VM Cloud Connector call guest_start failed: boom "
            "(overallRC 404, modID 10, rc 404, rs 1)", str(err))
        self.assertEqual(('guest_start', 404, 10, 404, 1, 'boom'),
                         (err.api, err.overallRC, err.modID, err.rc, err.rs,
                          err.errmsg))

    def test_connector_error_is_a_nova_zvm_connector_error(self):
        err = zvm_exc.ConnectorError('version', answer(500, 100))
        self.assertIsInstance(err, exception.ZVMConnectorError)
        self.assertEqual(err.format_message(), str(err))

    def test_subclasses(self):
        for cls in (zvm_exc.ConnectorUnreachable, zvm_exc.ConnectorBusy,
                    zvm_exc.RequestTooLarge):
            err = cls('guest_list', answer(101, 110, rs=1))
            self.assertIsInstance(err, zvm_exc.ConnectorError)
            self.assertEqual(101, err.overallRC)

    def test_format_characters_from_the_connector_survive(self):
        # NovaException would try msg_fmt % kwargs; nothing may be lost.
        text = "bad %(name)s {0} 100% done %s"
        err = zvm_exc.ConnectorError('guest_create', answer(400, 120,
                                                            errmsg=text))
        self.assertIn(text, str(err))
        self.assertEqual(text, err.errmsg)

    def test_explicit_message(self):
        err = zvm_exc.ConnectorError('x', answer(101, 110), message='hi %s')
        self.assertEqual('hi %s', str(err))

    def test_missing_codes_are_none(self):
        err = zvm_exc.ConnectorError('guest_list', {})
        self.assertIsNone(err.overallRC)
        self.assertIsNone(err.modID)
        self.assertIn('guest_list', str(err))


class FromResultTestCase(test.NoDBTestCase):

    def test_guest_not_found(self):
        err = zvm_exc.from_result('guest_start', answer(404, 10), ('OSV1',))
        self.assertIsInstance(err, zvm_exc.GuestNotFound)
        self.assertIsInstance(err, exception.InstanceNotFound)
        self.assertEqual('OSV1', err.kwargs['instance_id'])
        self.assertEqual((404, 10, 1), (err.overallRC, err.modID, err.rs))
        self.assertEqual('guest_start', err.api)
        self.assertIn('OSV1', str(err))
        self.assertIn('overallRC 404, modID 10', str(err))

    def test_guest_gone_from_directory_is_not_found_too(self):
        err = zvm_exc.from_result('guest_get_power_state',
                                  answer(404, 10, rs=3), ('OSV1',))
        self.assertIsInstance(err, zvm_exc.GuestNotFound)
        self.assertEqual(3, err.rs)

    def test_guest_named_by_keyword(self):
        err = zvm_exc.from_result('guests_get_nic_info', answer(404, 10), (),
                                  {'userid': 'OSV2'})
        self.assertEqual('OSV2', err.kwargs['instance_id'])

    def test_guest_never_named_by_a_dict_argument(self):
        conn = {'assigner_id': 'OSV3', 'password': 'secret'}
        err = zvm_exc.from_result('volume_attach', answer(404, 10), (conn,))
        self.assertIsInstance(err, zvm_exc.GuestNotFound)
        self.assertNotIn('secret', str(err))

    def test_image_not_found(self):
        err = zvm_exc.from_result('image_get_root_disk_size',
                                  answer(404, 40), ('img-1',))
        self.assertIsInstance(err, zvm_exc.ImageNotFound)
        self.assertIsInstance(err, exception.ImageNotFound)
        self.assertEqual('img-1', err.kwargs['image_id'])
        self.assertEqual((404, 40), (err.overallRC, err.modID))
        self.assertIn('img-1', str(err))

    def test_image_of_a_deploy_is_its_second_argument(self):
        err = zvm_exc.from_result('guest_deploy', answer(404, 40),
                                  ('OSV1', 'img-2'))
        self.assertEqual('img-2', err.kwargs['image_id'])

    def test_image_named_by_keyword(self):
        err = zvm_exc.from_result('image_query', answer(404, 40), (),
                                  {'imagename': 'img-3'})
        self.assertEqual('img-3', err.kwargs['image_id'])

    def test_not_found_of_other_modules_is_a_connector_error(self):
        err = zvm_exc.from_result('guest_delete_nic', answer(404, 20),
                                  ('OSV1', '1000'))
        self.assertIs(zvm_exc.ConnectorError, type(err))
        self.assertNotIsInstance(err, exception.NotFound)

    def test_busy(self):
        err = zvm_exc.from_result('guest_deploy', answer(503, 120),
                                  ('OSV1', 'img'))
        self.assertIsInstance(err, zvm_exc.ConnectorBusy)

    def test_other_failures_keep_their_codes(self):
        err = zvm_exc.from_result('guest_create', answer(409, 10, rs=2),
                                  ('OSV1', 1, 512))
        self.assertIs(zvm_exc.ConnectorError, type(err))
        self.assertEqual((409, 10, 409, 2), (err.overallRC, err.modID,
                                             err.rc, err.rs))


class TranslateTestCase(test.NoDBTestCase):

    def _raising(self, exc):
        @zvm_exc.translate
        def driver_method(*args, **kwargs):
            """Docstring."""
            raise exc
        return driver_method

    def test_return_value_and_wrapping(self):
        @zvm_exc.translate
        def driver_method(a, b=2):
            """Docstring."""
            return a + b
        self.assertEqual(5, driver_method(1, b=4))
        self.assertEqual('driver_method', driver_method.__name__)
        self.assertEqual('Docstring.', driver_method.__doc__)

    def test_nova_exceptions_pass_unchanged(self):
        for exc in (exception.InstanceNotFound(instance_id='x'),
                    zvm_exc.ConnectorError('guest_list', answer(500, 100)),
                    zvm_exc.GuestNotFound('OSV1'),
                    zvm_exc.ImageNotFound('img')):
            raised = self.assertRaises(type(exc), self._raising(exc))
            self.assertIs(exc, raised)

    def test_not_implemented_passes_unchanged(self):
        exc = NotImplementedError('nope')
        raised = self.assertRaises(NotImplementedError, self._raising(exc))
        self.assertIs(exc, raised)

    def test_other_errors_become_nova_exceptions(self):
        exc = ValueError('bad value')
        raised = self.assertRaises(exception.NovaException,
                                   self._raising(exc))
        self.assertIs(exception.NovaException, type(raised))
        self.assertEqual('bad value', str(raised))
        self.assertIs(exc, raised.__cause__)

    def test_format_characters_survive(self):
        text = "50% of %(x)s {y} %s"
        raised = self.assertRaises(exception.NovaException,
                                   self._raising(KeyError(text)))
        self.assertIn(text, str(raised))
        raised = self.assertRaises(exception.NovaException,
                                   self._raising(RuntimeError(text)))
        self.assertEqual(text, str(raised))

    def test_empty_message_names_the_class(self):
        raised = self.assertRaises(exception.NovaException,
                                   self._raising(RuntimeError()))
        self.assertEqual('RuntimeError', str(raised))

    def test_logged_once_with_traceback(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.assertRaises(exception.NovaException,
                          self._raising(TypeError('oops')))
        self.assertEqual(1, logger.output.count('Traceback'))
        self.assertIn('driver_method', logger.output)
        self.assertIn('oops', logger.output)

    def test_nova_exceptions_are_not_logged(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        self.assertRaises(zvm_exc.ConnectorError, self._raising(
            zvm_exc.ConnectorError('guest_list', answer(500, 100))))
        self.assertNotIn('Traceback', logger.output)
