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

"""The virtual CPUs of a guest's z/VM directory entry, and what the
connector's ``guest_resize_cpus`` makes of them.

A guest gets at logon one CPU per address its directory entry defines,
with a ``CPU nn`` statement or a ``COMMAND DEFINE CPU nn`` statement
(both for one address define one CPU). The connector creates guests with
``COMMAND DEFINE CPU`` statements (smtLayer makeVM), but
``guest_resize_cpus`` (zvmsdk 1.6.3 ``smtclient.resize_cpus``) counts and
edits ``CPU`` statements only: it adds the lowest free addresses to grow
and removes the highest ``CPU`` statements to shrink. Growing therefore
always takes effect, while shrinking below the CPUs the guest was created
with changes nothing at logon although the call succeeds. The driver
predicts the outcome from the directory and refuses such a resize before
anything changes (:func:`resize_refusal`).
"""

from nova.i18n import _

CPU = 'CPU'
DEFINE_CPU = ('COMMAND', 'DEFINE', 'CPU')


def _addr(word):
    return word.upper().rjust(2, '0')


def definition(user_direct):
    """(max CPUs, CPU statement addresses, COMMAND DEFINE CPU addresses)
    of directory statements as ``guest_get_definition_info`` lists them.
    """
    max_cpus = 0
    statements = []
    commands = set()
    for line in user_direct or ():
        words = line.upper().split()
        if words[:1] == [CPU] and len(words) > 1:
            statements.append(_addr(words[1]))
        elif tuple(words[:3]) == DEFINE_CPU and len(words) > 3:
            commands.add(_addr(words[3]))
        elif words[:2] == ['MACHINE', 'ESA'] and len(words) > 2:
            if words[2].isdigit():
                max_cpus = int(words[2])
    return max_cpus, statements, commands


def logon_cpus(user_direct):
    """How many CPUs the guest gets at its next logon."""
    _max, statements, commands = definition(user_direct)
    return len(set(statements) | commands)


def after_resize(user_direct, count):
    """CPUs at the next logon after ``guest_resize_cpus(userid, count)``,
    as zvmsdk 1.6.3 edits the directory (``smtclient.resize_cpus``).
    """
    max_cpus, statements, commands = definition(user_direct)
    kept = sorted(set(statements))
    if len(kept) < count:
        free = sorted(set('%02X' % i for i in range(max_cpus)) - set(kept))
        kept += free[:count - len(kept)]
    elif len(kept) > count:
        kept = kept[:count]
    return len(set(kept) | commands)


def resize_refusal(user_direct, userid, count):
    """Why resizing the guest to ``count`` CPUs cannot work, or None."""
    now = logon_cpus(user_direct)
    result = after_resize(user_direct, count)
    if result == count:
        return None
    _max, _statements, commands = definition(user_direct)
    return _(
        "the z/VM Cloud Connector cannot set %(uid)s to %(new)d virtual "
        "CPUs: it would keep %(result)d (now %(now)d). The guest's "
        "directory entry defines %(cmd)d CPUs with COMMAND DEFINE CPU "
        "statements, which guest_resize_cpus does not remove: a server "
        "cannot get fewer vCPUs than its guest was defined with. Choose a "
        "flavor with at least %(cmd)d vCPUs") % {
            'uid': userid, 'new': count, 'result': result, 'now': now,
            'cmd': len(commands)}
