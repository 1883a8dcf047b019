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

"""The simulator's composition: zvmsdk's validator class built once."""

import fixtures
from nova import test
from zvmsdk import exception
from zvmsdk.sdkwsgi.schemas import guest as guest_schemas
from zvmsdk.sdkwsgi import validation

from nova_zvm.simulator import server


class SchemaValidatorTestCase(test.NoDBTestCase):

    def test_one_class_same_validation(self):
        self.useFixture(fixtures.MonkeyPatch(
            'zvmsdk.sdkwsgi.validation._SchemaValidator.__init__',
            validation._SchemaValidator.__init__))
        server.reuse_schema_validator_class()
        first = validation._SchemaValidator(guest_schemas.create)
        second = validation._SchemaValidator(guest_schemas.create)
        self.assertIs(type(first.validator), type(second.validator))
        first.validate({'guest': {'userid': 'ABC', 'vcpus': 1,
                                  'memory': 512}})
        err = self.assertRaises(
            exception.ValidationError, second.validate,
            {'guest': {'userid': 'ABCDEFGHI', 'vcpus': 1, 'memory': 512}})
        self.assertIn('ABCDEFGHI', err.format_message())
