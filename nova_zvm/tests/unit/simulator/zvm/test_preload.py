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

"""Preloaded guests on the real connector: in z/VM's directory and in
zvmsdk's database, once each, across restarts."""

import os

import fixtures
from nova import test

from nova_zvm.simulator import control
from nova_zvm.simulator import options
from nova_zvm.tests.unit.simulator import base


def zvmsdk_backend():
    """The option that selects the real connector, where one is needed.

    ``--backend`` is going away once zvmsdk is the only backend.
    """
    try:
        options.build_parser().parse_args(['--state-dir', 'x',
                                           '--backend', 'zvmsdk'])
    except options.UsageError:
        return {}
    return {'backend': 'zvmsdk'}


class PreloadTestCase(test.NoDBTestCase):

    def setUp(self):
        super(PreloadTestCase, self).setUp()
        self.state_dir = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'state')

    def start(self, guests):
        sim = control.SimulatorProcess(self.state_dir, start_timeout=120,
                                       guests=guests, **zvmsdk_backend())
        sim.start()
        self.addCleanup(sim.stop)
        return sim

    def test_preloaded_in_directory_and_connector_db(self):
        sim = self.start(120)
        client = base.rest_client(sim.url)
        listed = client.call('guest_list')['output']
        self.assertEqual(120, len(listed))
        self.assertEqual(120, len(set(listed)))
        inventory = control.SimulatorAdmin(sim.url).inventory()
        self.assertEqual(set(listed), set(inventory['guests']))
        self.assertEqual('off', client.call('guest_get_power_state',
                                            'SIM00120')['output'])
        sim.stop()
        # A restart adds only the missing ones, in the same transaction
        # way; the first ones stay as they were.
        sim = self.start(150)
        listed = base.rest_client(sim.url).call('guest_list')['output']
        self.assertEqual(150, len(listed))
        self.assertEqual(150, len(set(listed)))
        self.assertIn('SIM00150', listed)
