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

"""Single System Image clusters and Live Guest Relocation.

Simulator processes started with the same ``ssi_name`` and ``ssi_dir`` and
different ``ssi_member`` names form a cluster. They share, in ``ssi_dir``::

    cluster.json             the cluster's name (a second name is refused)
    cluster.lock             fcntl lock serialising changes across processes
    members/<MEMBER>.json    slot, pid, zCC userid, vswitches of a member
    directory/<USERID>       the member where the userid is defined: an SSI
                             shares one user directory, so a userid exists
                             once in the cluster (created with O_EXCL)
    inbox/<MEMBER>/          guests relocated to that member:
        <USERID>.json        the guest's record (definition, NICs, volumes,
                             what it saw in its config drive, console)
        <USERID>.<id>.blobs/ the content of its minidisks (hard links)

A relocation (``guest_live_migrate(..., 'move')``) on the source checks
what VMRELOCATE checks, then, under the cluster lock, writes the package
(blobs first, then the record, renamed into place: the destination never
sees half a package), points the directory entry at the destination and
drops the guest locally, keeping only the connector's database row, now
``migrated``. The destination takes its inbox at the start of each call:
the guest appears there logged on, with its disks, NICs and volumes, and,
as on z/VM, unknown to that connector's database until ``guest_register``.
A member is alive while its process is (pid check): relocating to a member
that is down fails, as it does on z/VM.
"""

import contextlib
import copy
import fcntl
import os
import shutil
import threading
import time
import uuid

from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store

MAX_MEMBERS = 4

_PROCESS_LOCKS = {}
_PROCESS_LOCKS_MUTEX = threading.Lock()


def _process_lock(path):
    """One lock per cluster per process: threads (or green threads, under
    eventlet) of one process queue here, so only one of them ever waits in
    flock, which would otherwise block the whole process.
    """
    key = os.path.realpath(path)
    with _PROCESS_LOCKS_MUTEX:
        return _PROCESS_LOCKS.setdefault(key, threading.RLock())


def _alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SSIMember(object):
    """This member's view of the shared ``ssi_dir``."""

    def __init__(self, ssi_dir, ssi_name, member, zcc_userid):
        self.dir = ssi_dir
        self.name = ssi_name.upper()
        self.member = member.upper()
        self.zcc_userid = zcc_userid
        self._members = os.path.join(ssi_dir, 'members')
        self._directory = os.path.join(ssi_dir, 'directory')
        self._inbox_root = os.path.join(ssi_dir, 'inbox')
        self.inbox = os.path.join(self._inbox_root, self.member)
        store.makedirs(self._members, self._directory, self.inbox)
        self._lock_path = os.path.join(ssi_dir, 'cluster.lock')
        self._plock = _process_lock(self._lock_path)
        self.slot = None
        with self.locked():
            cluster = os.path.join(ssi_dir, 'cluster.json')
            info = store.read_json(cluster)
            if info is None:
                store.write_json(cluster, {'ssi_name': self.name})
            elif info['ssi_name'] != self.name:
                raise ValueError('%s holds SSI cluster %s, not %s' %
                                 (ssi_dir, info['ssi_name'], self.name))
            self._join()

    @contextlib.contextmanager
    def locked(self):
        with self._plock:
            with open(self._lock_path, 'a') as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)

    def _member_path(self, member):
        return os.path.join(self._members, '%s.json' % member)

    def _join(self):
        members = self.members()
        mine = members.get(self.member)
        if mine is not None:
            self.slot = mine['slot']
        else:
            used = set(m['slot'] for m in members.values())
            free = [s for s in range(1, MAX_MEMBERS + 1) if s not in used]
            if not free:
                raise ValueError('SSI cluster %s already has %d members' %
                                 (self.name, MAX_MEMBERS))
            self.slot = free[0]
        self.publish(mine.get('vswitches', []) if mine else [])

    def publish(self, vswitches):
        """Record this member as up, with the vswitches it defines (a
        relocation needs them on the destination).
        """
        store.write_json(self._member_path(self.member), {
            'member': self.member, 'slot': self.slot, 'pid': os.getpid(),
            'zcc_userid': self.zcc_userid, 'vswitches': sorted(vswitches),
            'heartbeat': time.time()})

    def leave(self):
        info = store.read_json(self._member_path(self.member))
        if info:
            info['pid'] = None
            store.write_json(self._member_path(self.member), info)

    def members(self):
        result = {}
        for name in os.listdir(self._members):
            if name.endswith('.json'):
                info = store.read_json(os.path.join(self._members, name))
                if info:
                    info['alive'] = _alive(info.get('pid'))
                    result[info['member']] = info
        return result

    # -- the shared user directory -----------------------------------------

    def _entry(self, userid):
        return os.path.join(self._directory, userid)

    def owner(self, userid):
        try:
            with open(self._entry(userid)) as f:
                return f.read().strip() or None
        except FileNotFoundError:
            return None

    def claim(self, userid):
        """Define the userid for this member unless the cluster has it."""
        try:
            fd = os.open(self._entry(userid),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, 'w') as f:
            f.write(self.member)
        return True

    def set_owner(self, userid, member):
        tmp = '%s.%s.tmp' % (self._entry(userid), uuid.uuid4().hex)
        with open(tmp, 'w') as f:
            f.write(member)
        os.replace(tmp, self._entry(userid))

    def release(self, userid):
        if self.owner(userid) == self.member:
            store.remove(self._entry(userid))

    # -- handover ----------------------------------------------------------

    def send(self, dest, package, blob_paths):
        """Put a relocated guest in ``dest``'s inbox (blobs first)."""
        inbox = os.path.join(self._inbox_root, dest)
        store.makedirs(inbox)
        userid = package['guest']['userid']
        blob_dir = '%s.%s.blobs' % (userid, uuid.uuid4().hex)
        full = os.path.join(inbox, blob_dir)
        store.makedirs(full)
        for digest, path in blob_paths.items():
            target = os.path.join(full, digest)
            try:
                os.link(path, target)
            except OSError:
                shutil.copyfile(path, target)
        package['blob_dir'] = blob_dir
        store.write_json(os.path.join(inbox, '%s.json' % userid), package)

    def pending(self):
        """Paths of the packages waiting in this member's inbox."""
        try:
            with os.scandir(self.inbox) as entries:
                return sorted(e.path for e in entries
                              if e.name.endswith('.json'))
        except FileNotFoundError:
            return []

    def blob_path(self, package, digest):
        return os.path.join(self.inbox, package['blob_dir'], digest)

    def done(self, path, package):
        store.remove(path)
        shutil.rmtree(os.path.join(self.inbox, package['blob_dir']),
                      ignore_errors=True)


class SSIAPI(object):
    """SSI calls and the hooks other calls use. Mixed into the model."""

    # -- hooks (no-ops without a cluster) ------------------------------------

    def _ssi_claim(self, userid):
        return self._ssi is None or self._ssi.claim(userid)

    def _ssi_release(self, userid):
        if self._ssi is not None:
            self._ssi.release(userid)

    def _ssi_publish(self):
        if self._ssi is not None:
            with self._net_lock:
                names = list(self._vswitches)
            self._ssi.publish(names)

    def _ssi_poll(self):
        """Take the guests relocated to this member."""
        if self._ssi is None:
            return
        pending = self._ssi.pending()
        if not pending:
            return
        with self._adopt_lock:
            for path in self._ssi.pending():
                package = store.read_json(path)
                if package:
                    self._adopt(package)
                    self._ssi.done(path, package)

    def _adopt(self, package):
        rec = package['guest']
        userid = rec['userid']
        now = time.time()
        with self._guests.lock(userid):
            old = self._guests.get(userid)
            rows = {}
            if old is not None:
                rows = {k: n for k, n in old['nics'].items()
                        if n.get('in_db')}
                if old['directory']:
                    self._release_all_disks(old)
            for disk in rec['disks'].values():
                self._blobs.link(self._ssi.blob_path(package,
                                                     disk['digest']),
                                 disk['digest'])
                if self._pool is not None and disk['pool'] == self._pool.name:
                    self._pool.force_allocate(disk['units'])
            rec.update({'directory': True, 'location': None,
                        'db': old['db'] if old is not None else None,
                        'power': 'on', 'started_at': now,
                        'iucv_client': package.get('dest_zcc_userid') or
                        rec.get('iucv_client')})
            for key, nic in rec['nics'].items():
                row = rows.get(key) or {}
                nic.update({'in_db': bool(row.get('in_db')),
                            'port': row.get('port'), 'live': True})
            with self._fcp.lock:
                for key in rec['dedicates']:
                    dev = self._fcp.devices.get(key.lower())
                    if dev is not None:
                        dev.update({'state': 'active', 'owner': userid})
                self._fcp.save()
            self._guests.put(rec)
            self._console(rec, (package.get('console') or '').splitlines())
            self._console(rec, ['%s HCPRLH1937I %s relocated from %s to %s' %
                                (time.strftime('%H:%M:%S', time.gmtime(now)),
                                 userid, package['source'], self.zvm_host)])

    def _relocation_refused(self, request, detail):
        return errors.smt(*errors.SMT_RELOCATE_FAILED, request=request,
                          detail='VMRELOCATE failed. Details: %s' % detail)

    def _check_relocation(self, g, dest, request):
        if self._ssi is None:
            raise self._relocation_refused(
                request, 'HCPRLH1940E %s is not a member of an SSI '
                         'cluster' % self.zvm_host)
        if dest == self._ssi.member:
            raise self._relocation_refused(
                request, 'HCPRLH1941E %s is already on %s' % (
                    g['userid'], dest))
        member = self._ssi.members().get(dest)
        if member is None or not member['alive']:
            raise self._relocation_refused(
                request, 'HCPRLH1944E %s is not a joined member of SSI '
                         'cluster %s' % (dest, self._ssi.name))
        wanted = set(n['vswitch'].upper() for n in g['nics'].values()
                     if n.get('vswitch'))
        missing = wanted - set(member.get('vswitches') or [])
        if missing:
            raise self._relocation_refused(
                request, 'HCPRLE1951I virtual switch %s is not defined on '
                         '%s' % (', '.join(sorted(missing)), dest))
        owner = self._ssi.owner(g['userid'])
        if owner not in (None, self._ssi.member):
            raise self._relocation_refused(
                request, 'HCPRLH1945E %s is defined on %s' % (
                    g['userid'], owner))
        return member

    def _console_tail(self, userid):
        path = os.path.join(self._console_dir, '%s.log' % userid)
        try:
            with open(path, 'rb') as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(f.tell() - 100 * 1024, 0))
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    # -- SDKAPI --------------------------------------------------------------

    def guest_live_migrate(self, userid, dest_zcc_userid, destination,
                           parms, lgr_action):
        """Relocate a running guest to another member ('move'), or check
        that it could be ('test').
        """
        userid = self._checked(userid)
        action = lgr_action.lower()
        if action not in ('move', 'test'):
            # zvmsdk acts on neither and answers success.
            return None
        dest = str(destination).upper()
        request = 'migratevm %s %s --destination %s' % (userid, action,
                                                        destination)
        with self._edit(userid) as g:
            if self._power_state(g) != 'on':
                raise errors.conflict('guest', 1, userid=userid)
            self._check_relocation(g, dest, request)
            if action == 'test':
                return None
            with self._ssi.locked():
                # Checked again under the cluster lock: the destination
                # may have left meanwhile.
                self._check_relocation(g, dest, request)
                package = {'source': self.zvm_host, 'dest': dest,
                           'dest_zcc_userid': dest_zcc_userid,
                           'parms': parms or {},
                           'console': self._console_tail(userid),
                           'guest': copy.deepcopy(g)}
                blobs = {d['digest']: self._blobs.path(d['digest'])
                         for d in g['disks'].values()}
                self._ssi.send(dest, package, blobs)
                self._ssi.set_owner(userid, dest)
                # The guest now runs on the destination: only the
                # connector's database row stays here, marked migrated.
                self._console(g, ['%s HCPRLH1937I %s relocated to %s' % (
                    time.strftime('%H:%M:%S', time.gmtime()), userid,
                    dest)])
                g['cpu_time_us'] = self._cpu_time_us(g)
                self._release_all_disks(g)
                self._fcp_undedicate_all(g)
                g['nics'] = {k: n for k, n in g['nics'].items()
                             if n.get('in_db')}
                for nic in g['nics'].values():
                    nic['live'] = False
                g.update({'directory': False, 'location': dest,
                          'power': 'off', 'paused': False,
                          'started_at': None, 'active_cpus': 0,
                          'active_memory_mb': 0})
                g['db']['comments']['migrated'] = 1
        return None

    def host_get_ssi_info(self):
        """SSI_Query output lines, or [] when not an SSI member."""
        if self._ssi is None:
            return []
        stamp = time.strftime('%m/%d/%Y_%H:%M:%S', time.gmtime())
        lines = ['ssi_name = %s' % self._ssi.name, 'ssi_mode = Stable',
                 'ssi_pdr = %s_PDR' % self._ssi.name,
                 'cross_system_timeouts = Enabled',
                 'output.ssiInfoCount = %d' % MAX_MEMBERS, '']
        by_slot = {m['slot']: m for m in self._ssi.members().values()}
        for slot in range(1, MAX_MEMBERS + 1):
            member = by_slot.get(slot)
            if member is None:
                state, name = 'Available', ''
            else:
                state = 'Joined' if member['alive'] else 'Down'
                name = member['member']
            lines.extend(['member_slot = %d' % slot,
                          'member_system_id = %s' % name,
                          'member_state = %s' % state,
                          'member_pdr_heartbeat = %s' % stamp,
                          'member_received_heartbeat = %s' % stamp, ''])
        return lines
