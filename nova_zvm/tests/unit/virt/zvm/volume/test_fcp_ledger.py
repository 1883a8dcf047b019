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

"""Failed FCP releases survive a nova-compute restart (volume/fcp.py,
ledger.py)."""

import os

import fixtures
from nova import test
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.tests.unit.virt.zvm.volume import fakes as vol_fakes
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm.volume import fcp

USERID = vol_fakes.USERID
TMPL = vol_fakes.TMPL
HOST = 'cmp1'


class FCPReleaseLedgerTestCase(test.NoDBTestCase):

    def setUp(self):
        super(FCPReleaseLedgerTestCase, self).setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.flags(image_tmp_path=self.tmp, group='zvm')
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.flags(instance_name_template='OS%06x')
        self.db = vol_fakes.FCPDatabase(**{
            '1a00': [USERID, 1, 1, TMPL], '1b00': [USERID, 1, 1, TMPL]})

    def client(self, down=False):
        answers = dict(self.db.answers(),
                       get_fcp_templates=vol_fakes.templates(TMPL),
                       get_volume_connector=vol_fakes.connector_answer(),
                       host_get_info=dict(fakes.HOST_INFO))
        if down:
            answers['get_fcp_templates'] = fakes.unreachable(
                'get_fcp_templates')
        return fakes.FakeClient(**answers)

    def compute(self, client):
        """A nova-compute start: a new driver object on this host."""
        drv = driver.ZVMDriver(fake_virt.FakeVirtAPI(), client=client)
        drv.init_host(HOST)
        return drv

    def fail_a_release(self):
        res = fcp.FCPReservations(self.client(down=True))
        res.host = HOST
        self.assertFalse(res.release_guest(USERID, gone=True))
        return res

    def test_failed_release_is_written_to_the_host_ledger(self):
        self.fail_a_release()
        self.assertEqual({USERID: True}, fcp.LEDGER.entries(HOST))
        self.assertTrue(os.path.exists(fcp.LEDGER.path(HOST)))
        # Another host's ledger is its own.
        self.assertEqual({}, fcp.LEDGER.entries('cmp2'))

    def test_restarted_compute_retries_the_release(self):
        self.fail_a_release()
        client = self.client()
        drv = self.compute(client)
        drv.get_available_resource(HOST)
        # Released, and the deleted guest's stale connections cleared.
        self.assertEqual([USERID, 0, 0, ''], self.db.rows['1a00'])
        self.assertEqual([USERID, 0, 0, ''], self.db.rows['1b00'])
        self.assertEqual({}, fcp.LEDGER.entries(HOST))
        self.assertFalse(os.path.exists(fcp.LEDGER.path(HOST)))

    def test_release_failing_again_stays_in_the_ledger(self):
        self.fail_a_release()
        drv = self.compute(self.client(down=True))
        drv.get_available_resource(HOST)
        self.assertEqual({USERID: True}, fcp.LEDGER.entries(HOST))

    def test_nothing_recorded_nothing_asked(self):
        client = self.client()
        self.compute(client).get_available_resource(HOST)
        self.assertNotIn('get_fcp_templates', client.api_names())

    def test_unwritable_ledger_keeps_the_release_in_memory(self):
        path = os.path.join(self.tmp, 'file')
        open(path, 'w').close()
        self.flags(image_tmp_path=path, group='zvm')
        res = self.fail_a_release()
        self.assertEqual({USERID: True}, res.pending())
