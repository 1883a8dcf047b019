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

"""Revertible steps: what to undo when an operation fails half way.

An operation made of several connector calls records, after each step that
changed something, the call that reverses it. When a later step fails,
:meth:`UndoStack.rollback` runs those undo calls newest first, so that the
guest, the image repository and the temporary files are as they were before
the operation. This is the role taskflow's task ``revert`` played in
nova-powervm, without the engine: the operations here are short and linear.

An undo call that fails is logged and the others still run (leaving less
behind is always better); :meth:`rollback` then answers False, and the caller
reports the original failure as one the server is not recovered from.
"""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class UndoStack(object):
    """The undo calls of the completed steps of one operation.

    :param operation: what the steps do, for the log (``'resize'``)
    :param instance: the instance, for the log's instance prefix
    """

    def __init__(self, operation, instance=None):
        self.operation = operation
        self.instance = instance
        self._undo = []
        self.failed = []

    def push(self, description, func, *args, **kwargs):
        """Record the call that undoes the step just completed.

        :param description: the undo action, for the log
            (``'start the guest again'``)
        """
        self._undo.append((description, func, args, kwargs))

    def __len__(self):
        return len(self._undo)

    def descriptions(self):
        """The pending undo actions, newest first."""
        return [entry[0] for entry in reversed(self._undo)]

    def rollback(self):
        """Run every undo call, newest first, each exactly once.

        :returns: True when all of them succeeded; the descriptions of those
            that failed are in :attr:`failed`
        """
        self.failed = []
        while self._undo:
            description, func, args, kwargs = self._undo.pop()
            LOG.info("Rolling back %(op)s: %(what)s",
                     {'op': self.operation, 'what': description},
                     instance=self.instance)
            try:
                func(*args, **kwargs)
            except Exception as err:
                LOG.error("Rolling back %(op)s: could not %(what)s: "
                          "%(err)s", {'op': self.operation,
                                      'what': description, 'err': err},
                          instance=self.instance)
                self.failed.append(description)
        return not self.failed
