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

"""Single System Image clusters and Live Guest Relocation (VMRELOCATE).

Owns: the cluster's member table, ``<shared>/ssi.json``::

    {"name": "SSI1",
     "members": {"MEMBER1": {"slot": 1, "state": "Joined",
                             "system_dir": "...", "zcc_userid": "..."}}}

SSI_Query, VMRELOCATE (TEST, MOVE, CANCEL), VMRELOCATE_Status and
VMRELOCATE_Modify.

The members of a cluster share the user directory, the users' logon state
and the DASD (``<ssi_dir>/shared``); each has its own system.json (CPUs,
vswitches, FCP devices). A member joins when its z/VM system is set up and
stays ``Joined`` until it is shut down (:func:`set_member_state`): a
member is up whether or not its connector is running, as on z/VM.

A relocation is instantaneous here: it moves the guest's logon (and its
active configuration: dedicated devices) to the destination member, so a
relocation is never "in progress" for Status, Modify or Cancel.
"""

import os
import time

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import fcp
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import store

MAX_MEMBERS = 4
JOINED = 'Joined'
DOWN = 'Down'

# SSI_Query on a system that is no SSI member (smtclient answers []).
RC_NOT_SSI, RS_NOT_SSI = 4, 3008
# VMRELOCATE refusals as smtLayer's migrateVM reads them: TEST 4/3000,
# MOVE and CANCEL 8/3000, with the CP message numbers on a "Details:"
# line; Status with nothing in progress 4/3001, Modify 8/3010.
RS_RELOCATE = 3000
RC_TEST, RC_MOVE = 4, 8
RC_STATUS_NONE, RS_STATUS_NONE = 4, 3001
RC_MODIFY, RS_MODIFY = 8, 3010

# CP messages of VMRELOCATE. HCP0045E and HCPRLH1926E are the numbers
# smtLayer looks for; the others are plausible numbers, with CP's wording.
MSG_NOT_LOGGED_ON = 'HCP0045E %(userid)s not logged on'
MSG_NOTHING = 'HCPRLH1926E No relocation in progress for user %(userid)s'
MSG_NOT_SSI = 'HCPRLH1940E %(system)s is not a member of an SSI cluster'
MSG_SAME = ('HCPRLH1941E %(userid)s is already logged on to system '
            '%(dest)s')
MSG_NOT_JOINED = ('HCPRLH1944E System %(dest)s is not a joined member of '
                  'SSI cluster %(ssi)s')
MSG_VSWITCH = ('HCPRLE1951I Virtual switch %(vswitch)s (device %(vdev)s) '
               'is not defined on %(dest)s')
MSG_DEVICE = ('HCPRLI1996I Dedicated device %(vdev)s (real device '
              '%(rdev)s) is not available on %(dest)s')


def _path(st):
    return os.path.join(st.shared_dir, 'ssi.json')


def cluster(st):
    """The member table, or None when the system is no SSI member."""
    if not st.ssi_name:
        return None
    return store.read_json(_path(st))


def join(st):
    """Record this system as a joined member of its cluster (set-up)."""
    if not st.ssi_name:
        return
    with st.locked():
        info = store.read_json(_path(st)) or {'name': st.ssi_name,
                                              'members': {}}
        if info['name'] != st.ssi_name:
            raise ValueError('%s holds SSI cluster %s, not %s' % (
                st.shared_dir, info['name'], st.ssi_name))
        members = info['members']
        mine = members.get(st.system)
        if mine is None:
            used = set(m['slot'] for m in members.values())
            free = [s for s in range(1, MAX_MEMBERS + 1) if s not in used]
            if not free:
                raise ValueError('SSI cluster %s already has %d members' %
                                 (st.ssi_name, MAX_MEMBERS))
            mine = members[st.system] = {'slot': free[0]}
        mine.update({'state': JOINED, 'system_dir': st.system_dir,
                     'zcc_userid': st.zcc_userid,
                     'heartbeat': time.time()})
        store.write_json(_path(st), info)


def set_member_state(st, member, state):
    """A member is shut down (``Down``) or joins again (``Joined``)."""
    with st.locked():
        info = store.read_json(_path(st))
        info['members'][member.upper()]['state'] = state
        store.write_json(_path(st), info)


def member_state(st, member):
    """Another member's ZVMState, to READ only: locking through it while
    this member holds the lock would deadlock (two flocks of one file).
    """
    info = cluster(st)['members'][member]
    return zvm_state.ZVMState(info['system_dir'], st.shared_dir,
                              system=member, zcc_userid=info['zcc_userid'],
                              ssi_name=st.ssi_name)


@smcli.api('SSI_Query')
def ssi_query(zvm, req):
    info = cluster(zvm.state)
    if not info:
        raise smcli.SMAPIError(RC_NOT_SSI, RS_NOT_SSI,
                               'System is not a member of an SSI cluster')
    lines = ['ssi_name = %s' % info['name'], 'ssi_mode = Stable',
             'ssi_pdr = %s_PDR' % info['name'],
             'cross_system_timeouts = Enabled',
             'output.ssiInfoCount = %d' % MAX_MEMBERS, '']
    by_slot = dict((m['slot'], (name, m))
                   for name, m in info['members'].items())
    for slot in range(1, MAX_MEMBERS + 1):
        name, member = by_slot.get(slot, ('', None))
        state = member['state'] if member else 'Available'
        stamp = time.strftime('%m/%d/%Y_%H:%M:%S', time.gmtime(
            member['heartbeat'] if member else 0))
        lines.extend(['member_slot = %d' % slot,
                      'member_system_id = %s' % name,
                      'member_state = %s' % state,
                      'member_pdr_heartbeat = %s' % stamp,
                      'member_received_heartbeat = %s' % stamp, ''])
    return '\n'.join(lines)


# -- VMRELOCATE ---------------------------------------------------------------

def _refused(rc, rs, messages, userid):
    codes = ' '.join(m.split()[0] for m in messages)
    text = ('VMRELOCATE failed for %s\nDetails: %s\n%s' % (
        userid, codes, '\n'.join(messages)))
    return smcli.SMAPIError(rc, rs, text)


def _vswitches(record):
    """(vdev, vswitch) of the NICs defined on a system's virtual switch."""
    result = []
    for line in directory.statements(record, 'NICDEF'):
        words = line.upper().split()
        if 'LAN' in words:
            i = words.index('LAN')
            if words[i + 1:i + 2] == ['SYSTEM'] and i + 2 < len(words):
                result.append((words[1], words[i + 2]))
    return result


def eligibility(zvm, record, dest):
    """The CP messages that forbid relocating ``record`` to ``dest``."""
    st = zvm.state
    userid = record['userid']
    subst = {'userid': userid, 'dest': dest, 'system': st.system,
             'ssi': st.ssi_name}
    info = cluster(st)
    if not info:
        return [MSG_NOT_SSI % subst]
    if record.get('logged_on') != st.system:
        return [MSG_NOT_LOGGED_ON % subst]
    if dest == st.system:
        return [MSG_SAME % subst]
    member = info['members'].get(dest)
    if member is None or member.get('state') != JOINED:
        return [MSG_NOT_JOINED % subst]
    messages = []
    dest_st = member_state(st, dest)
    defined = dest_st.system_info().get('vswitches') or {}
    defined = set(name.upper() for name in defined)
    for vdev, vswitch in _vswitches(record):
        if vswitch not in defined:
            messages.append(MSG_VSWITCH % dict(subst, vswitch=vswitch,
                                               vdev=vdev))
    # A dedicated device needs the same real device, free, on the
    # destination (a relocated guest keeps its device numbers).
    dest_fcps = fcp.devices(dest_st)
    dest_used = fcp.owners(dest_st)
    for vdev, rdev in sorted((record.get('attached') or {}).items()):
        dev = dest_fcps.get(rdev)
        if (dev is None or not dev.get('online') or
                dest_used.get(rdev) not in (None, userid)):
            messages.append(MSG_DEVICE % dict(subst, vdev=vdev, rdev=rdev))
    return messages


def _console(st, userid, text):
    stamp = time.strftime('%H:%M:%S', time.gmtime())
    with open(st.console_path(userid), 'a') as f:
        f.write('%s %s\n' % (stamp, text))


@smcli.api('VMRELOCATE')
def vmrelocate(zvm, req):
    st = zvm.state
    userid = req.target
    action = req.keys.get('ACTION', '').upper()
    dest = req.keys.get('DESTINATION', '').upper()
    if action == 'CANCEL':
        raise _refused(RC_MOVE, RS_RELOCATE,
                       [MSG_NOTHING % {'userid': userid}], userid)
    if action not in ('TEST', 'MOVE'):
        raise smcli.SMAPIError(24, 1919, 'action not valid')
    rc = RC_TEST if action == 'TEST' else RC_MOVE
    with st.locked():
        record = st.user(userid)
        if record is None or directory.is_profile(record):
            raise smcli.SMAPIError(400, 4, 'Image %s not defined' % userid)
        messages = eligibility(zvm, record, dest)
        if messages:
            raise _refused(rc, RS_RELOCATE, messages, userid)
        if action == 'TEST':
            return 'User %s is eligible for relocation to %s' % (userid,
                                                                 dest)
        with st.update_user(userid) as record:
            record['logged_on'] = dest
            record['relocated'] = {'from': st.system, 'to': dest,
                                   'time': time.time()}
        _console(st, userid, 'HCPRLH1937I %s relocated from %s to %s' % (
            userid, st.system, dest))
    return 'Relocation of %s from %s to %s completed' % (userid, st.system,
                                                         dest)


@smcli.api('VMRELOCATE_Status')
def vmrelocate_status(zvm, req):
    # Relocations complete at once: none is ever in progress.
    raise smcli.SMAPIError(RC_STATUS_NONE, RS_STATUS_NONE,
                           'No active relocations found')


@smcli.api('VMRELOCATE_Modify')
def vmrelocate_modify(zvm, req):
    raise _refused(RC_MODIFY, RS_MODIFY,
                   [MSG_NOTHING % {'userid': req.target}], req.target)
