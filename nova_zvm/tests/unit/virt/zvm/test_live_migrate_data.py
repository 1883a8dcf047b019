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

"""The migrate data of a live migration: z/VM facts in a Nova object."""

from nova import exception
from nova.objects import base as obj_base
from nova.objects import migrate_data as migrate_data_obj
from nova import test
from oslo_versionedobjects import exception as ovo_exc

from nova_zvm.tests.unit.virt.zvm import test_live_migration
from nova_zvm.virt.zvm import live_migrate_data

dest_data = test_live_migration.dest_data
round_trip = test_live_migration.round_trip


class MigrateDataTestCase(test.NoDBTestCase):

    def test_round_trip_keeps_the_zvm_facts(self):
        data = dest_data(source='ZVMHOST1', fcp=['1a00', '1b00'])
        data.is_volume_backed = True
        back = round_trip(data)
        self.assertIsInstance(back, migrate_data_obj.VMwareLiveMigrateData)
        self.assertEqual('SSI1', back.cluster_name)
        self.assertTrue(back.is_volume_backed)
        self.assertEqual({'zvm_lgr': 1, 'member': 'ZVMHOST2',
                          'zcc_userid': 'ZCCUSER2', 'source': 'ZVMHOST1',
                          'fcp': ['1a00', '1b00']},
                         live_migrate_data.facts_of(back))

    def test_primitive_round_trip(self):
        data = dest_data()
        back = obj_base.NovaObject.obj_from_primitive(
            data.obj_to_primitive())
        self.assertEqual(data.datastore_regex, back.datastore_regex)

    def test_why_not_a_new_class_or_the_base_class(self):
        # The base class is not registered: no Nova service could read it.
        primitive = migrate_data_obj.LiveMigrateData(
            is_volume_backed=False).obj_to_primitive()
        self.assertRaises(ovo_exc.UnsupportedObjectError,
                          obj_base.NovaObject.obj_from_primitive, primitive)

    def test_foreign_migrate_data_refused(self):
        for data in (migrate_data_obj.LibvirtLiveMigrateData(),
                     migrate_data_obj.VMwareLiveMigrateData(
                         cluster_name='c', datastore_regex='ds.*'),
                     migrate_data_obj.VMwareLiveMigrateData(
                         cluster_name='c', datastore_regex='{"zvm_lgr": 2, '
                                                           '"member": "X"}'),
                     None):
            err = self.assertRaises(exception.MigrationPreCheckError,
                                    live_migrate_data.facts_of, data)
            self.assertIn('z/VM on both sides', str(err))

    def test_new_carries_the_cluster_and_the_facts(self):
        data = live_migrate_data.new('SSI1', {'member': 'ZVMHOST2'})
        self.assertEqual('SSI1', data.cluster_name)
        self.assertEqual({'zvm_lgr': 1, 'member': 'ZVMHOST2'},
                         live_migrate_data.facts_of(data))
