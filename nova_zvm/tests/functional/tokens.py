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

"""Token authentication between nova-compute and the simulator."""

import os

import fixtures

ADMIN_TOKEN = 'zcc-admin-token-for-tests'


class TokenAuthMixin(object):
    """The connector asks for tokens; nova-compute has the admin token.

    ``sim_token_file`` is the connector's admin token file and
    ``token_file`` nova-compute's copy of it (``[zvm]
    connector_token_file``); both hold :data:`ADMIN_TOKEN`. Mix in before
    ``base.ZVMFunctionalTestCase``.
    """

    def setUp(self):
        token_dir = self.useFixture(fixtures.TempDir()).path
        self.sim_token_file = os.path.join(token_dir, 'zcc-admin-token')
        self.token_file = os.path.join(token_dir, 'nova-admin-token')
        for path in (self.sim_token_file, self.token_file):
            with open(path, 'w') as f:
                f.write(ADMIN_TOKEN)
        self.SIMULATOR_OPTIONS = {'auth': 'token',
                                  'token_file': self.sim_token_file}
        super(TokenAuthMixin, self).setUp()

    def _setup_services(self):
        self.flags(connector_token_file=self.token_file, group='zvm')
        super(TokenAuthMixin, self)._setup_services()
