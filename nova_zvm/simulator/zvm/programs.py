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

"""The z/VM-side programs the connector runs, by name.

The real connector reaches z/VM only by running programs as root:
``sudo /opt/zthin/bin/smcli <SMAPI API> ...`` (smtLayer's SMAPI calls),
``sudo /sbin/vmcp ...`` (CP commands), ``sudo /usr/sbin/vmur ...`` (the
spool), zthin's scripts (``unpackdiskimage``, ``creatediskimage``,
``refresh_bootmap``...), ``sudo /opt/zthin/bin/IUCV/iucvclnt`` (commands
inside a guest) and a few Linux tools on the connector's own guest
(``chccwdev``, ``cio_ignore``...). The simulator's ``sudo`` (sudo.py) sends
each such command here; a handler registered for the program's base name
answers with the exit code and output the real program would give.

Each handler is ``handler(zvm, args)`` -> ``(rc, output_text)`` where
``zvm`` is the :class:`FakeZVM` and ``args`` the arguments after the
program name.
"""

import os

_HANDLERS = {}


def program(*names):
    """Register a handler for programs with these base names."""
    def register(fn):
        for name in names:
            _HANDLERS[name] = fn
        return fn
    return register


def names():
    """The programs the fake z/VM runs."""
    return sorted(_HANDLERS)


def handler_for(name):
    return _HANDLERS.get(os.path.basename(name))


class ProgramFault(object):
    """A fault rule at the program seam: one SMAPI API or program fails.

    ``match`` is a program base name (``vmur``), an SMAPI API name
    (``Image_Activate``) or ``smcli`` for every SMAPI call. ``rc``/``rs``
    are the SMAPI return and reason codes (for smcli, answered with the
    ``8 rc rs`` header) or the exit code of another program.
    """

    def __init__(self, match, rc, rs=0, output='', times=None):
        self.match = match
        self.rc = int(rc)
        self.rs = int(rs)
        self.output = output
        self.times = times

    def to_dict(self):
        return {'match': self.match, 'rc': self.rc, 'rs': self.rs,
                'output': self.output, 'times': self.times}
