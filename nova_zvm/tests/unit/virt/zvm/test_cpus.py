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

"""A guest's directory CPUs and what guest_resize_cpus makes of them."""

from nova import exception
from nova import test
from zvmsdk import smtclient

from nova_zvm.tests.unit.virt.zvm.migration import base as test_migration
from nova_zvm.virt.zvm import cpus

USERID = test_migration.USERID


def created(vcpus, max_cpus=8):
    """A directory entry as smtLayer's makeVM writes it."""
    return (['USER %s LBYONLY 1G 2G G' % USERID,
             'MACHINE ESA %d' % max_cpus] +
            ['COMMAND DEFINE CPU %02X TYPE IFL' % i for i in range(vcpus)] +
            ['IPL 0100', 'MDISK 0100 3390 1 1000 POOL01 MR'])


def zvmsdk_resize(lines, count):
    """The directory after zvmsdk 1.6.3's own resize_cpus (its real code,
    with its SMAPI requests applied to the lines as DirMaint would).
    """
    lines = list(lines)
    requests = []
    client = smtclient.SMTClient.__new__(smtclient.SMTClient)
    client.get_user_direct = lambda userid: list(lines)
    client._request = requests.append
    client.resize_cpus(USERID, count)
    for request in requests:
        words = request.split()
        addrs = [w.split('=')[-1] for w in words if w.startswith('CPU=')]
        if 'Image_Definition_Update_DM' in words:
            lines += ['CPU %s' % addr for addr in addrs]
        elif 'Image_Definition_Delete_DM' in words:
            lines = [line for line in lines
                     if line.split()[:1] != ['CPU'] or
                     line.split()[1] not in addrs]
    return lines


class DirectoryTestCase(test.NoDBTestCase):

    def test_both_statements_of_one_address_are_one_cpu(self):
        lines = created(2) + ['CPU 00', 'CPU 01', 'CPU 02']
        self.assertEqual((8, ['00', '01', '02'], {'00', '01'}),
                         cpus.definition(lines))
        self.assertEqual(3, cpus.logon_cpus(lines))

    def test_prediction_matches_zvmsdk(self):
        # From a fresh guest and from one resized before, to every count
        # up to its MACHINE maximum.
        starts = [created(1), created(2), created(3, max_cpus=4),
                  zvmsdk_resize(created(1), 3),
                  zvmsdk_resize(created(2), 4)]
        for lines in starts:
            for count in range(1, cpus.definition(lines)[0] + 1):
                after = zvmsdk_resize(lines, count)
                self.assertEqual(cpus.logon_cpus(after),
                                 cpus.after_resize(lines, count),
                                 (lines, count))

    def test_zvmsdk_does_not_shrink_a_new_guest(self):
        # The defect the driver guards against, as zvmsdk 1.6.3 has it.
        self.assertEqual(2, cpus.logon_cpus(zvmsdk_resize(created(2), 1)))

    def test_growing_is_never_refused(self):
        for vcpus in (1, 2, 3):
            for count in range(vcpus, 9):
                self.assertIsNone(cpus.resize_refusal(created(vcpus), USERID,
                                                      count))

    def test_shrinking_below_the_defined_cpus_is_refused(self):
        reason = cpus.resize_refusal(created(3), USERID, 2)
        self.assertIn('cannot set %s to 2 virtual CPUs' % USERID, reason)
        self.assertIn('it would keep 3', reason)
        self.assertIn('3 CPUs with COMMAND DEFINE CPU', reason)
        self.assertIn('at least 3 vCPUs', reason)

    def test_cpus_added_by_a_resize_can_be_removed(self):
        grown = zvmsdk_resize(created(1), 3)
        self.assertIsNone(cpus.resize_refusal(grown, USERID, 1))
        self.assertIsNone(cpus.resize_refusal(grown, USERID, 2))


class SameHostShrinkTestCase(test_migration.MigrationTestBase):
    """MigrationOps asks the directory before lowering CPUs."""

    def setUp(self):
        super(SameHostShrinkTestCase, self).setUp()
        self.same_host()
        self.instance.flavor = test_migration.make_flavor(vcpus=2)

    def test_refused_before_anything_changes(self):
        self.src.answers['guest_get_definition_info'] = {
            'user_direct': created(2)}
        err = self.assertRaises(exception.InstanceFaultRollback,
                                self.migrate,
                                test_migration.make_flavor('one', vcpus=1))
        self.assertIsInstance(err.inner_exception, exception.ResizeError)
        self.assertIn('COMMAND DEFINE CPU', str(err.inner_exception))
        # Only the directory was read.
        self.assertTrue(self.src.made('guest_get_definition_info', USERID))
        self.assertEqual(1, self.src.count())

    def test_cpus_added_before_are_removed(self):
        self.src.answers['guest_get_definition_info'] = {
            'user_direct': zvmsdk_resize(created(1), 2)}
        self.migrate(test_migration.make_flavor('one', vcpus=1))
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 1))

    def test_growing_does_not_read_the_directory(self):
        self.migrate(test_migration.make_flavor('four', vcpus=4))
        self.assertEqual(0, self.src.count('guest_get_definition_info'))
        self.assertTrue(self.src.made('guest_resize_cpus', USERID, 4))
