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

from nova import exception
from nova import test

from nova_zvm.virt.zvm import undo


class Recorder(object):
    """Undo calls that record themselves; one of them may fail."""

    def __init__(self, failing=None):
        self.done = []
        self.failing = failing

    def __call__(self, name):
        if name == self.failing:
            raise RuntimeError('%s failed' % name)
        self.done.append(name)


DESCRIPTIONS = {'start': 'start the guest again', 'cpus': 'set 1 CPU again',
                'restore': 'restore the root disk from image MIG',
                'ephemeral': 'delete the new ephemeral disk'}


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

    def test_empty_stack_rolls_back_cleanly(self):
        steps = undo.UndoStack('resize')
        self.assertTrue(steps.rollback())
        self.assertIsNone(steps.failed)
        self.assertEqual([], steps.left)

    def _stack(self, rec, images):
        steps = undo.UndoStack('resize', where='z/VM ZVMHOST1')
        steps.push(DESCRIPTIONS['start'], rec, 'start')
        steps.push(DESCRIPTIONS['cpus'], rec, 'cpus')
        steps.keep('the original root disk, as image MIG', images.remove,
                   'MIG')
        steps.push(DESCRIPTIONS['restore'], rec, 'restore')
        steps.push(DESCRIPTIONS['ephemeral'], rec, 'ephemeral')
        return steps

    def test_each_undo_failing_in_turn_keeps_every_older_artifact(self):
        order = ['ephemeral', 'restore', 'cpus', 'start']
        for index, failing in enumerate(order):
            rec = Recorder(failing)
            images = ['MIG']
            steps = self._stack(rec, images)
            self.assertFalse(steps.rollback(), failing)
            # Only the newer undo calls ran; the rollback stopped there.
            self.assertEqual(order[:index], rec.done)
            self.assertEqual(DESCRIPTIONS[failing], steps.failed)
            # The image is the only copy of the disk: kept, and listed.
            self.assertEqual(['MIG'], images)
            left = steps.left
            self.assertIn('the original root disk, as image MIG '
                          '(z/VM ZVMHOST1)', left)
            not_done = [item for item in left if item.startswith(
                'not done')]
            self.assertEqual(len(order) - index, len(not_done))
            self.assertIn(steps.failed, not_done[0])
            err = steps.incomplete(RuntimeError('deploy failed'))
            self.assertIsInstance(err, undo.RollbackIncomplete)
            self.assertIsInstance(err, exception.NovaException)
            self.assertEqual(left, err.left)
            self.assertIn('deploy failed', str(err))
            self.assertIn('%s failed' % failing, str(err))
            self.assertIn('image MIG', str(err))

    def test_complete_rollback_releases_the_artifacts_last(self):
        rec = Recorder()
        images = ['MIG']
        steps = self._stack(rec, images)
        self.assertTrue(steps.rollback())
        self.assertEqual(['ephemeral', 'restore', 'cpus', 'start'], rec.done)
        self.assertEqual([], images)
        self.assertEqual([], steps.left)

    def test_artifact_release_failure_keeps_it_listed(self):
        def broken():
            raise RuntimeError('repository unreachable')
        steps = undo.UndoStack('resize')
        kept = steps.keep('image MIG', broken)
        self.assertFalse(steps.release(kept))
        self.assertEqual(['image MIG'], steps.left)
        self.assertEqual([kept], steps.artifacts)

    def test_release_after_forward_success(self):
        images = ['MIG']
        steps = undo.UndoStack('resize')
        kept = steps.keep('image MIG', images.remove, 'MIG')
        self.assertTrue(steps.release(kept))
        self.assertEqual([], images)
        self.assertEqual([], steps.artifacts)

    def test_pop_forgets_a_superseded_undo(self):
        rec = Recorder()
        steps = undo.UndoStack('resize')
        steps.push('delete the partial image', rec, 'partial')
        self.assertEqual('delete the partial image', steps.pop())
        self.assertTrue(steps.rollback())
        self.assertEqual([], rec.done)
