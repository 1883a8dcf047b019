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

"""Revertible steps and kept artifacts: safe rollback by construction.

An operation made of several connector calls records, after each step that
changed something, the call that reverses it (:meth:`UndoStack.push`).
When a later step fails, :meth:`UndoStack.rollback` runs those undo calls
newest first.

Two rules make a rollback safe whatever fails:

* An undo call that fails **stops** the rollback. The older undo calls
  (whose steps happened before the failed one) are not run: each of them
  may rely on what the failed undo should have restored, e.g. "delete the
  image" must never run when "restore the disk from the image" failed.
  Everything not undone is listed in :attr:`UndoStack.left`.
* The only copy of user data (a captured root disk while the guest has no
  root disk, the source guest of a migration before confirm) is never an
  undo step: it is an artifact (:meth:`UndoStack.keep`). A rollback
  releases artifacts only after every undo call succeeded, i.e. once the
  state that replaces them (the original disk, restored) exists; a forward
  success hands them over to the caller, which releases them once it has
  verified their replacement (:meth:`UndoStack.release`).

When the rollback is incomplete, :meth:`UndoStack.incomplete` builds the
exception to raise: its message (recorded by Nova as the instance fault,
and logged) names the original failure, the undo call that failed and
everything left, with where it is, so that an operator can restore it (see
the troubleshooting guide).

Taskflow (nova-powervm's choice) was judged and not used: see the
architecture guide.
"""

from oslo_log import log as logging

from nova import exception
from nova.i18n import _

LOG = logging.getLogger(__name__)


class RollbackIncomplete(exception.NovaException):
    """An operation failed and its rollback stopped; things were left.

    :attr:`left` lists what is left, each with where it is.
    """

    def __init__(self, message, left=()):
        super(RollbackIncomplete, self).__init__(message=message)
        self.left = list(left)


class Artifact(object):
    """Something an operation keeps: never removed by an undo call."""

    def __init__(self, description, release, args, kwargs):
        self.description = description
        self._release = release
        self._args = args
        self._kwargs = kwargs
        self.released = False

    def release(self):
        if self._release is not None:
            self._release(*self._args, **self._kwargs)
        self.released = True


class UndoStack(object):
    """The undo calls of the completed steps of one operation.

    :param operation: what the steps do, for messages (``'resize'``)
    :param instance: the instance, for the log's instance prefix
    :param where: where the steps act (``'z/VM host ZVMHOST1'``), named in
        the list of what is left
    """

    def __init__(self, operation, instance=None, where=None):
        self.operation = operation
        self.instance = instance
        self.where = where
        self._undo = []
        self._artifacts = []
        # The undo call that failed, and its error.
        self.failed = None
        self.error = None

    def push(self, description, func, *args, **kwargs):
        """Record the call that undoes the step just completed.

        :param description: the undo action, as an imperative
            (``'start the guest again'``)
        """
        self._undo.append((description, func, args, kwargs))

    def pop(self):
        """Forget the newest undo call (its step is superseded)."""
        return self._undo.pop()[0]

    def keep(self, description, release=None, *args, **kwargs):
        """Record an artifact: kept by a rollback until it is complete.

        :param description: what the artifact is (``'the original root
            disk, as image X in the connector's repository'``)
        :param release: the call that removes it once it is not needed
        :returns: the :class:`Artifact`, for :meth:`release`
        """
        artifact = Artifact(description, release, args, kwargs)
        self._artifacts.append(artifact)
        return artifact

    def release(self, artifact):
        """Remove an artifact whose replacement is verified.

        A failure is logged and the artifact stays listed: it is left over,
        but nothing is lost.

        :returns: True when released
        """
        try:
            artifact.release()
        except Exception as err:
            LOG.warning("%(op)s: could not remove %(what)s; it is left for "
                        "clean-up: %(err)s",
                        {'op': self.operation.capitalize(),
                         'what': artifact.description, 'err': err},
                        instance=self.instance)
            return False
        self._artifacts.remove(artifact)
        return True

    def __len__(self):
        return len(self._undo)

    def descriptions(self):
        """The pending undo actions, newest first."""
        return [entry[0] for entry in reversed(self._undo)]

    @property
    def artifacts(self):
        return list(self._artifacts)

    @property
    def left(self):
        """What a stopped rollback leaves: undo calls not done, artifacts."""
        left = [_("not done: %s") % d for d in self.descriptions()]
        left.extend(a.description for a in self._artifacts)
        if self.where:
            left = ['%s (%s)' % (item, self.where) for item in left]
        return left

    def rollback(self):
        """Run the undo calls newest first, each once; stop at a failure.

        When every undo call succeeded, the artifacts are released too:
        the state they stood in for is back.

        :returns: True when the operation is completely undone; otherwise
            :attr:`failed`, :attr:`error` and :attr:`left` tell what stopped
            it and what is left
        """
        self.failed = self.error = None
        while self._undo:
            description, func, args, kwargs = self._undo[-1]
            LOG.info("Rolling back %(op)s: %(what)s",
                     {'op': self.operation, 'what': description},
                     instance=self.instance)
            try:
                func(*args, **kwargs)
            except Exception as err:
                self.failed, self.error = description, err
                LOG.error("Rolling back %(op)s stopped: could not %(what)s: "
                          "%(err)s; left: %(left)s",
                          {'op': self.operation, 'what': description,
                           'err': err, 'left': '; '.join(self.left)},
                          instance=self.instance)
                return False
            self._undo.pop()
        for artifact in reversed(self._artifacts[:]):
            self.release(artifact)
        return True

    def incomplete(self, err):
        """The exception for a failure whose rollback stopped.

        Nova keeps the first 255 characters of the message as the instance
        fault: what is kept comes first, the causes last (the fault's
        details, for administrators, have the whole message).

        :param err: the failure of the forward step
        """
        message = _(
            "%(op)s failed and could not be rolled back. Kept: %(kept)s. "
            "Not done: %(not_done)s. Where: %(where)s. Cause: %(err)s. "
            "The rollback stopped, unable to %(what)s: %(undo_err)s. See "
            "the troubleshooting guide to restore.") % {
                'op': self.operation.capitalize(),
                'kept': '; '.join(a.description for a in self._artifacts)
                or _('nothing'),
                'not_done': '; '.join(self.descriptions()),
                'where': self.where or _('this compute host'),
                'err': err, 'what': self.failed, 'undo_err': self.error}
        return RollbackIncomplete(message, self.left)
