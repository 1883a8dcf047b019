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

"""The user directory (DirMaint) and logon state: SMAPI image APIs.

A directory entry is kept as its statement lines, as DirMaint keeps it;
smtLayer writes them (makeVM.createVM) and parses them back, and zvmsdk
reads them with ``getvm <uid> directory``. Profiles are entries whose
first statement is ``PROFILE``; ``INCLUDE <profile>`` must name one.
"""

import contextlib
import time

from nova_zvm.simulator.zvm import smcli


def statements(record, keyword):
    """The lines of ``record`` whose first word is ``keyword``."""
    keyword = keyword.upper()
    return [line for line in record['lines']
            if line.split()[:1] == [keyword]]


def is_profile(record):
    return bool(record) and record['lines'][0].split()[0] == 'PROFILE'


def get_guest(zvm, userid):
    """The directory record of a user (not a profile); SMAPI 400/4 if none."""
    record = zvm.state.user(userid)
    if record is None or is_profile(record):
        raise smcli.SMAPIError(400, 4, 'Image %s not defined' % userid)
    return record


@contextlib.contextmanager
def editing(zvm, userid, find=get_guest):
    """Edit a user's entry under the directory lock; saved if no error.

    ``find(zvm, userid)`` reads the record and checks it (SMAPI errors);
    an error raised by the edit leaves the entry as it was, as DirMaint
    does.
    """
    with zvm.state.locked():
        record = find(zvm, userid)
        yield record
        zvm.state.put_user(record)


def logged_on_here(zvm, record):
    return record.get('logged_on') == zvm.state.system


@smcli.api('Image_Create_DM')
def image_create(zvm, req):
    with open(req.opt('f')) as f:
        lines = [line.rstrip() for line in f if line.strip()]
    userid = req.target
    with zvm.state.locked():
        if zvm.state.user(userid) is not None:
            # DirMaint: the userid is already defined.
            raise smcli.SMAPIError(400, 8, 'Image %s already defined' %
                                   userid)
        for line in lines:
            words = line.split()
            if words[0] == 'INCLUDE':
                profile = zvm.state.user(words[1])
                if not is_profile(profile):
                    # DirMaint refuses an INCLUDE of no PROFILE entry.
                    raise smcli.SMAPIError(436, 4, 'Profile %s not found' %
                                           words[1])
        record = zvm.state.new_user(userid, lines)
        zvm.state.put_user(record)
    return ''


@smcli.api('Image_Query_DM')
def image_query(zvm, req):
    record = get_guest(zvm, req.target)
    return '\n'.join(record['lines']) + '\n*DVHOPT LNK0 LOG1 RCM1 SMR0 NPW1'


@smcli.api('Image_Name_Query_DM')
def image_name_query(zvm, req):
    return '\n'.join(u for u in zvm.state.userids()
                     if not is_profile(zvm.state.user(u)))


@smcli.api('Image_Delete_DM')
def image_delete(zvm, req):
    with zvm.state.locked():
        record = get_guest(zvm, req.target)
        if record.get('logged_on'):
            # DirMaint will not delete a logged-on user.
            raise smcli.SMAPIError(596, 3210, 'user is logged on')
        zvm.release_user(record)
        zvm.state.delete_user(req.target)
    return ''


# -- logon state -------------------------------------------------------------

@smcli.api('Image_Activate')
def image_activate(zvm, req):
    with editing(zvm, req.target) as record:
        if record.get('logged_on'):
            if not logged_on_here(zvm, record):
                # Logged on on another SSI member: CP refuses a 2nd logon.
                raise smcli.SMAPIError(200, 20, 'logged on elsewhere')
            raise smcli.SMAPIError(200, 8, 'Image already active')
        record['logged_on'] = zvm.state.system
        record['paused'] = False
        record['logon_time'] = time.time()
    zvm.ipl(req.target)
    return ''


@smcli.api('Image_Deactivate')
def image_deactivate(zvm, req):
    with editing(zvm, req.target) as record:
        if not logged_on_here(zvm, record):
            raise smcli.SMAPIError(200, 12, 'Image not active')
        force = (req.opt('f') or '').upper() == 'IMMED'
        if not force and not zvm.signal_shutdown(record):
            # Without a force time CP signals shutdown: a guest that
            # ignores it stays logged on (for now).
            return ''
        record['logged_on'] = None
        record['paused'] = False
        record['logon_time'] = None
    return ''


@smcli.api('Image_Pause')
def image_pause(zvm, req):
    pause = req.keys.get('PAUSE', 'YES').upper() == 'YES'
    with zvm.state.update_user(req.target) as record:
        if record is None or not logged_on_here(zvm, record):
            raise smcli.SMAPIError(200, 12, 'Image not active')
        record['paused'] = pause
    return ''
