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

from nova import test

from nova_zvm.virt.zvm import undo


class UndoStackTestCase(test.NoDBTestCase):

    def test_rollback_runs_newest_first_once(self):
        done = []
        steps = undo.UndoStack('resize')
        steps.push('one', done.append, 1)
        steps.push('two', done.append, 2)
        steps.push('three', lambda **kw: done.append(kw), x=3)
        self.assertEqual(['three', 'two', 'one'], steps.descriptions())
        self.assertTrue(steps.rollback())
        self.assertEqual([{'x': 3}, 2, 1], done)
        self.assertEqual(0, len(steps))
        # A second rollback has nothing left to run.
        self.assertTrue(steps.rollback())
        self.assertEqual(3, len(done))

    def test_failed_undo_does_not_stop_the_others(self):
        done = []

        def boom():
            raise RuntimeError('connector down')
        steps = undo.UndoStack('migration')
        steps.push('first', done.append, 'first')
        steps.push('broken', boom)
        steps.push('last', done.append, 'last')
        self.assertFalse(steps.rollback())
        self.assertEqual(['last', 'first'], done)
        self.assertEqual(['broken'], steps.failed)

    def test_empty_stack_rolls_back_cleanly(self):
        steps = undo.UndoStack('resize')
        self.assertTrue(steps.rollback())
        self.assertEqual([], steps.failed)
