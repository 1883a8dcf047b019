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

"""Guests' console spool: Image_Console_Get.

A logged-on guest spools its console (``SPOOL CONSOLE START``): what its
operating system writes goes to ``state.console_path(userid)`` (written
by the guest OS model). Image_Console_Get closes the console spool file
and transfers it to the caller's (the connector's) reader as a class T
CON file; the connector then reads it with ``vmur re -t -O <spoolid>``
(spool.py). Each transfer carries what was written since the previous
one (``record['console_sent']`` bytes were already transferred). A guest
that is not logged on has no console spool: SMAPI rc 8 rs 8, which
smtLayer reports as message 0409 and zvmsdk answers 8/1/8/8.
"""

import os

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import spool

RC_NO_CONSOLE = 8
RS_NO_CONSOLE = 8


def write(state, userid, text):
    """Append console lines of a guest (for guest OS models and tests)."""
    with open(state.console_path(userid), 'a') as f:
        f.write(text)


def _unsent(state, record):
    path = state.console_path(record['userid'])
    if not os.path.exists(path):
        return b''
    with open(path, 'rb') as f:
        f.seek(record.get('console_sent', 0))
        return f.read()


@smcli.api('Image_Console_Get')
def image_console_get(zvm, req):
    state = zvm.state
    with state.locked():
        record = directory.get_guest(zvm, req.target)
        if not directory.logged_on_here(zvm, record):
            # The user is not logged on (here): no console spool file.
            raise smcli.SMAPIError(RC_NO_CONSOLE, RS_NO_CONSOLE,
                                   'Image %s not logged on' % req.target)
        content = _unsent(state, record)
        with state.update_user(req.target) as rec:
            rec['console_sent'] = rec.get('console_sent', 0) + len(content)
        spool_file = spool.new_file(state, req.target, req.target,
                                    'CONSOLE', content, spool_class='T',
                                    devtype='CON')
        spool.queue(state, state.zcc_userid, spool_file)
    return ''
