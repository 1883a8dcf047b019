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

"""``vmcp``: CP commands issued from the connector's own guest.

vmcp exits 0 with CP's response, or 2 when CP answered a non-zero return
code (the response, e.g. ``HCPCQU045E ... not logged on``, is still
printed). zvmsdk and smtLayer read the HCP message numbers.

Commands are matched on their upper-cased words; CP accepts the usual
abbreviations (``Q`` for ``QUERY``).
"""

import time

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import programs

VMCP_CP_ERROR = 2

_COMMANDS = []


def command(*prefixes):
    """Register a handler for CP commands starting with these words."""
    def register(fn):
        for prefix in prefixes:
            _COMMANDS.append((tuple(prefix.upper().split()), fn))
        # Longest prefixes first, so 'Q USER' wins over 'Q'.
        _COMMANDS.sort(key=lambda item: -len(item[0]))
        return fn
    return register


@programs.program('vmcp')
def vmcp(zvm, args):
    words = ' '.join(args).split()
    upper = [w.upper() for w in words]
    for prefix, fn in _COMMANDS:
        if tuple(upper[:len(prefix)]) == prefix:
            return fn(zvm, words[len(prefix):])
    return VMCP_CP_ERROR, 'HCPCMD001E Unknown CP command: %s\n' % (
        words[0] if words else '')


def query_user_line(zvm, userid):
    """CP's answer to ``QUERY <userid>``: (rc, text)."""
    userid = userid.upper()
    record = zvm.state.user(userid)
    if record is None or directory.is_profile(record):
        return VMCP_CP_ERROR, 'HCPCQV003E Invalid option - %s\n' % userid
    member = record.get('logged_on')
    if not member:
        return VMCP_CP_ERROR, 'HCPCQU045E %s not logged on\n' % userid
    if member != zvm.state.system:
        return 0, '%-8s - SSI\n' % userid
    return 0, '%-8s - DSC\n' % userid


@command('QUERY USERID', 'Q USERID')
def query_userid(zvm, words):
    if words:
        return query_user_line(zvm, words[0])
    return 0, '%-8s AT %s\n' % (zvm.state.zcc_userid, zvm.state.system)


@command('QUERY USER', 'Q USER')
def query_user(zvm, words):
    if not words:
        return VMCP_CP_ERROR, 'HCPCFC026E Operand missing or invalid\n'
    return query_user_line(zvm, words[0])


@command('QUERY CPLEVEL', 'Q CPLEVEL')
def query_cplevel(zvm, words):
    ipl = time.strftime('%m/%d/%y %H:%M:%S UTC',
                        time.gmtime(zvm.state.system_info()['ipl_time']))
    return 0, ('z/VM Version 7 Release 3.0, service level 2301 (64-bit)\n'
               'Generated at 01/01/23 00:00:00 UTC\n'
               'IPL at %s\n' % ipl)


@command('SPOOL')
def spool(zvm, words):
    # 'spool reader class *' on the connector's own reader: accepted.
    return 0, ''


@command('QUERY', 'Q')
def query_other(zvm, words):
    if not words:
        return VMCP_CP_ERROR, 'HCPCFC026E Operand missing or invalid\n'
    return query_user_line(zvm, words[0])
