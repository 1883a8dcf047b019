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

"""What the fake z/VM remembers: directory, logons, spool, DASD, devices.

Two roots, because an SSI cluster shares some things and not others::

    <shared>/                 one per SSI cluster (or per system)
        lock                  fcntl lock: one writer at a time, all members
        users/<USERID>.json   the user's directory entry (statement lines),
                              where it is logged on, its reader spool files
        pools.json            DASD volumes of the disk pools and their
                              extents (who owns which cylinders/blocks)
        disks/<USERID>.<VDEV> minidisk content (real bytes)
        spool/<SPOOLID>       content of spool files
        console/<USERID>.log  console spool of each guest
    <system>/                 one per z/VM system (SSI member)
        system.json           name, CPUs, memory, IPL time, vswitches,
                              FCP devices, spool id counter

Everything is read from disk on use, under the shared lock when changed:
SSI members are separate processes and must see each other's changes at
once (a guest logged on on one member cannot log on on another).
"""

import contextlib
import fcntl
import os
import re
import threading
import time

from nova_zvm.simulator.zvm import store

USERID_RE = re.compile(r'^[A-Z0-9@#$_]{1,8}$')


class ZVMState(object):
    """Persistent state of one z/VM system (optionally an SSI member)."""

    def __init__(self, system_dir, shared_dir=None, system='ZVMHOST1',
                 zcc_userid='ZCCUSER', cpus=16, memory_mb=65536,
                 ssi_name=None):
        self.system_dir = os.path.abspath(system_dir)
        self.shared_dir = os.path.abspath(shared_dir or system_dir)
        self.system = system.upper()
        self.zcc_userid = zcc_userid.upper()
        self.ssi_name = ssi_name.upper() if ssi_name else None
        self._tlock = threading.RLock()
        self._lock_path = os.path.join(self.shared_dir, 'lock')
        store.makedirs(self.system_dir, self.users_dir, self.disks_dir,
                       self.spool_dir, self.console_dir)
        self._system_path = os.path.join(self.system_dir, 'system.json')
        if not os.path.exists(self._system_path):
            store.write_json(self._system_path, {
                'name': self.system, 'zcc_userid': self.zcc_userid,
                'cpus': int(cpus), 'memory_mb': int(memory_mb),
                'ipl_time': time.time(), 'vswitches': {}, 'fcp': {},
                'next_spoolid': 1})
        self._depth = threading.local()

    # -- paths ----------------------------------------------------------------

    @property
    def users_dir(self):
        return os.path.join(self.shared_dir, 'users')

    @property
    def disks_dir(self):
        return os.path.join(self.shared_dir, 'disks')

    @property
    def spool_dir(self):
        return os.path.join(self.shared_dir, 'spool')

    @property
    def console_dir(self):
        return os.path.join(self.shared_dir, 'console')

    def disk_path(self, userid, vdev):
        return os.path.join(self.disks_dir,
                            '%s.%s' % (userid.upper(), vdev.upper()))

    def console_path(self, userid):
        return os.path.join(self.console_dir, userid.upper() + '.log')

    def _user_path(self, userid):
        return os.path.join(self.users_dir, userid.upper() + '.json')

    # -- locking --------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self):
        """Exclusive access to the whole state, across SSI members.

        Re-entrant within a thread; the thread lock is taken first so the
        process never blocks inside flock for a sibling thread.
        """
        with self._tlock:
            depth = getattr(self._depth, 'n', 0)
            if depth:
                self._depth.n = depth + 1
                try:
                    yield
                finally:
                    self._depth.n -= 1
                return
            with open(self._lock_path, 'a') as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                self._depth.n = 1
                try:
                    yield
                finally:
                    self._depth.n = 0
                    fcntl.flock(f, fcntl.LOCK_UN)

    # -- users (directory entries, logon state, reader) ---------------------

    def user(self, userid):
        """The user's record, or None when the directory has no entry."""
        return store.read_json(self._user_path(userid))

    def userids(self):
        return sorted(name[:-5] for name in os.listdir(self.users_dir)
                      if name.endswith('.json'))

    def put_user(self, record):
        store.write_json(self._user_path(record['userid']), record)

    def delete_user(self, userid):
        store.remove(self._user_path(userid))
        store.remove(self.console_path(userid))

    @contextlib.contextmanager
    def update_user(self, userid):
        """Read-modify-write of one record under the lock (None if absent)."""
        with self.locked():
            record = self.user(userid)
            yield record
            if record is not None:
                self.put_user(record)

    @staticmethod
    def new_user(userid, lines):
        return {'userid': userid.upper(), 'lines': list(lines),
                'logged_on': None, 'paused': False, 'reader': [],
                'logon_time': None, 'locked': False}

    # -- the system (per member) ---------------------------------------------

    def system_info(self):
        return store.read_json(self._system_path)

    @contextlib.contextmanager
    def update_system(self):
        with self.locked():
            info = self.system_info()
            yield info
            store.write_json(self._system_path, info)

    def next_spoolid(self):
        with self.update_system() as info:
            spoolid = info['next_spoolid']
            info['next_spoolid'] = spoolid % 9999 + 1
        return spoolid

    # -- disk pools -----------------------------------------------------------

    def pools(self):
        return store.read_json(os.path.join(self.shared_dir, 'pools.json'),
                               {})

    @contextlib.contextmanager
    def update_pools(self):
        with self.locked():
            pools = self.pools()
            yield pools
            store.write_json(os.path.join(self.shared_dir, 'pools.json'),
                             pools)
