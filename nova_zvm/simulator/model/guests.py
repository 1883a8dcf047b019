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

"""Guests: the z/VM user directory, the connector's guest database, power.

A guest record (one JSON file per userid) holds two things the real system
keeps apart, because the connector's answers depend on both:

* its z/VM side (``directory`` True while the userid is defined here):
  CPUs, memory, minidisks, NICs, dedicated devices, power state;
* its connector database row (``db``, None when the connector does not
  know it): metadata (``os_version=...``), ``net_set``, comments
  (``migrated``).

So a guest removed behind the connector's back answers 404 rs 3, one the
connector never created answers 404 rs 1, and ``guest_delete`` of a guest
gone from both succeeds, all as zvmsdk does.

Each record has its own lock; calls on different guests never wait on each
other. Power states follow SMAPI: starting a running guest or stopping a
stopped one is tolerated, pausing or unpausing a stopped one is refused
(zvmsdk checks first), a reset starts a stopped guest, a reboot goes
through IUCV and so needs a running Linux.
"""

import contextlib
import os
import re
import threading
import time
import uuid

from zvmsdk import utils as zvmutils

from nova_zvm.simulator.model import console
from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store

#: zvmsdk defaults (CONF.zvm.user_default_max_cpu / _max_memory).
DEFAULT_MAX_CPU = 32
DEFAULT_MAX_MEM = '64G'
#: CONF.zvm.user_default_max_reserved_memory, in MB.
MAX_STOR_RESERVED_MB = 64 * 1024
#: CONF.zvm.user_default_share_unit.
SHARE_UNIT = 100
#: CONF.guest.console_log_size (KB): guest_get_console_output's tail.
CONSOLE_LOG_KB = 100
#: Userids defined on every z/VM: they exist for CP, not for the connector.
SYSTEM_USERIDS = ('MAINT', 'OPERATOR')
#: Share of its CPUs a running guest uses, for the CPU-time counters.
CPU_LOAD = 0.05

_USERID = re.compile(r'^[A-Z0-9@#$_]{1,8}$')


def new_db_row(metadata='', net_set='0', comments=None):
    return {'id': str(uuid.uuid4()), 'metadata': metadata,
            'net_set': net_set, 'comments': comments or {}}


def new_record(userid, vcpus, memory_mb, max_cpu=DEFAULT_MAX_CPU,
               max_mem=DEFAULT_MAX_MEM, now=None):
    max_mb = int(zvmutils.convert_to_mb(max_mem))
    return {
        'userid': userid,
        'directory': True,
        'location': None,
        'db': None,
        'power': 'off',
        'paused': False,
        'vcpus': vcpus,
        'max_cpu': max_cpu,
        'memory_mb': memory_mb,
        'max_mem': max_mem.upper(),
        'max_mem_mb': max_mb,
        'reserved_mb': min(max_mb - memory_mb, MAX_STOR_RESERVED_MB),
        'active_cpus': 0,
        'active_memory_mb': 0,
        'profile': None,
        'ipl': None,
        'ipl_param': '',
        'ipl_loadparam': '',
        'account': '',
        'comments': [],
        'loaddev': {},
        'cschedule': '',
        'cshare': '',
        'rdomain': '',
        'pcif': '',
        'disks': {},
        'nics': {},
        'dedicates': {},
        'volumes': [],
        'deployed': None,
        'os_version': None,
        'hostname': None,
        'reader': [],
        'config_drive': None,
        'network_config': {},
        'minidisk_config': [],
        'grow_root': False,
        'booted': False,
        'boots': 0,
        'cpu_time_us': 0,
        'started_at': None,
        'created_at': now or time.time(),
        'iucv_client': None,
    }


def in_db(g):
    """True when the connector's guest list has the guest (not migrated)."""
    return (g is not None and g['db'] is not None and
            not g['db']['comments'].get('migrated'))


class GuestTable(object):
    """Guest records in memory, one JSON file each in ``guests/``."""

    def __init__(self, directory):
        self._dir = directory
        self._records = {}
        self._mutex = threading.Lock()
        self.locks = store.KeyedLocks()
        store.makedirs(directory)

    def _path(self, userid):
        return os.path.join(self._dir, '%s.json' % userid)

    def load(self):
        records = {}
        for name in os.listdir(self._dir):
            if name.endswith('.json'):
                rec = store.read_json(os.path.join(self._dir, name))
                if rec:
                    records[rec['userid']] = rec
            else:
                # A temporary file left by a crash mid-write.
                store.remove(os.path.join(self._dir, name))
        with self._mutex:
            self._records = records

    def get(self, userid):
        return self._records.get(userid)

    def lock(self, userid):
        return self.locks.get(userid)

    def reserve(self, record):
        """Insert a new record unless the userid is taken; True if done."""
        with self._mutex:
            if record['userid'] in self._records:
                return False
            self._records[record['userid']] = record
            return True

    def put(self, record):
        with self._mutex:
            self._records[record['userid']] = record
        self.save(record)

    def save(self, record):
        store.write_json(self._path(record['userid']), record)

    def remove(self, userid):
        with self._mutex:
            self._records.pop(userid, None)
        store.remove(self._path(userid))

    def values(self):
        with self._mutex:
            return list(self._records.values())

    def clear(self):
        with self._mutex:
            userids = list(self._records)
            self._records = {}
        for userid in userids:
            store.remove(self._path(userid))


class GuestAPI(object):
    """SDKAPI calls on guests. Mixed into HypervisorModel."""

    # -- plumbing shared by all API mixins ---------------------------------

    def _checked(self, userid):
        """zvmsdk's ``check_guest_exist``: upper-case, known, not migrated.

        :returns: the upper-case userid.
        """
        if isinstance(userid, list):
            return [self._checked(u) for u in userid]
        self._ssi_poll()
        userid = userid.upper()
        g = self._guests.get(userid)
        if not in_db(g):
            if g is not None and g['db'] is not None:
                raise errors.not_found("Guest(s) '%s'" % userid, 'guest')
            raise errors.guest_not_found(userid)
        return userid

    @contextlib.contextmanager
    def _view(self, userid):
        """The record of a guest the connector knows, under its lock."""
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if not in_db(g):
                raise errors.guest_not_found(userid)
            yield g

    @contextlib.contextmanager
    def _edit(self, userid):
        """As :meth:`_view`, saving the record afterwards (even after an
        error: partial changes, like a disk added before the next one
        failed, stay, as on z/VM).
        """
        with self._view(userid) as g:
            try:
                yield g
            finally:
                if self._guests.get(userid) is g:
                    self._guests.save(g)

    @staticmethod
    def _require_directory(g, request):
        if not g['directory']:
            raise errors.smt(*errors.SMT_NO_USER, request=request,
                             detail='Image definition %s not found' %
                                    g['userid'])

    def _exists_in_directory(self, userid):
        """``vmcp q <userid>`` finds it: defined here, on another SSI
        member, or a system userid.
        """
        g = self._guests.get(userid)
        if g is not None and g['directory']:
            return True
        if userid in SYSTEM_USERIDS or userid == self.zcc_userid:
            return True
        return self._ssi is not None and self._ssi.owner(userid) is not None

    @staticmethod
    def _power_state(g):
        return 'on' if g['directory'] and g['power'] == 'on' else 'off'

    def _iucv(self, g, command):
        """Run a command in the guest's Linux over IUCV (or fail as
        smtLayer does when nothing answers).
        """
        if (self._power_state(g) != 'on' or g['paused'] or
                not g['deployed']):
            raise errors.smt(*errors.SMT_IUCV_FAILED,
                             request="cmdVM %s CMD '%s'" % (
                                 g['userid'], command),
                             detail='ULTSMP0315E IUCV socket error sending '
                                    'command to %s' % g['userid'])

    def _console(self, g, lines):
        path = os.path.join(self._console_dir, '%s.log' % g['userid'])
        with open(path, 'a') as f:
            for line in lines:
                f.write(line + '\n')

    def _cpu_time_us(self, g, now=None):
        used = g['cpu_time_us']
        if g['power'] == 'on' and g['started_at']:
            now = now or time.time()
            used += int((now - g['started_at']) * 1e6 * CPU_LOAD *
                        max(g['active_cpus'], 1))
        return used

    # -- power -------------------------------------------------------------

    def _boot(self, g, now):
        """Log the guest on and IPL it."""
        g['power'] = 'on'
        g['paused'] = False
        g['active_cpus'] = g['vcpus']
        g['active_memory_mb'] = g['memory_mb']
        g['started_at'] = now
        g['boots'] += 1
        for nic in g['nics'].values():
            nic['live'] = True
        first = bool(g['deployed']) and not g['booted']
        lines = console.logon(g, self.zvm_host, now)
        lines.extend(console.boot(g, now, first))
        if g['deployed']:
            g['booted'] = True
            g['grow_root'] = False
            g['reader'] = []
        self._console(g, lines)

    def _logoff(self, g, now, lines):
        g['cpu_time_us'] = self._cpu_time_us(g, now)
        g['power'] = 'off'
        g['paused'] = False
        g['started_at'] = None
        g['active_cpus'] = 0
        g['active_memory_mb'] = 0
        for nic in g['nics'].values():
            nic['live'] = False
        self._console(g, lines)

    def guest_start(self, userid, timeout=0):
        """Log the guest on (tolerated when it already runs)."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if not g['directory']:
                raise errors.smt(*errors.SMT_NOT_ACTIVATABLE,
                                 request='PowerVM %s on' % userid,
                                 detail='Image %s not found' % userid)
            if g['power'] != 'on':
                self._boot(g, time.time())
            if timeout and timeout > 0 and not g['deployed']:
                # Nothing in the guest ever answers IUCV: zvmsdk would wait
                # for `timeout` seconds first; the model answers at once.
                raise errors.guest_op(
                    rs=16, userid=userid,
                    msg='compute node is not able to connect to the '
                        'virtual machine in %d seconds' % timeout)

    def _stop(self, userid, soft, kwargs):
        verb = 'softoff' if soft else 'off'
        with self._edit(userid) as g:
            if not g['directory']:
                raise errors.smt(*errors.SMT_NOT_ACTIVATABLE,
                                 request='PowerVM %s %s' % (userid, verb),
                                 detail='Image %s not found' % userid)
            if g['power'] == 'on':
                now = time.time()
                self._logoff(g, now, console.shutdown(g, now, soft))

    def guest_stop(self, userid, **kwargs):
        """Log the guest off (tolerated when it is off)."""
        self._stop(self._checked(userid), False, kwargs)

    def guest_softstop(self, userid, **kwargs):
        """Shut Linux down, then log off (tolerated when off)."""
        self._stop(self._checked(userid), True, kwargs)

    def guest_reboot(self, userid):
        """``shutdown -r now`` through IUCV: needs a running Linux."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._iucv(g, 'shutdown -r now')
            now = time.time()
            lines = console.reboot(g, now)
            lines.extend(console.boot(g, now, first=False))
            g['boots'] += 1
            self._console(g, lines)

    def guest_reset(self, userid):
        """Log off (tolerated when off) and log on again."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if not g['directory']:
                raise errors.smt(*errors.SMT_NOT_ACTIVATABLE,
                                 request='PowerVM %s reset' % userid,
                                 detail='Image %s not found' % userid)
            now = time.time()
            if g['power'] == 'on':
                self._logoff(g, now, console.shutdown(g, now, False))
            self._boot(g, now)

    def _check_on(self, g, action):
        if self._power_state(g) == 'off':
            raise errors.guest_op(
                rs=5, userid=g['userid'],
                msg='The vm %s is powered off, please start up it before '
                    '%s' % (g['userid'], action))

    def guest_pause(self, userid):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._check_on(g, 'pause')
            g['paused'] = True

    def guest_unpause(self, userid):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._check_on(g, 'unpause')
            g['paused'] = False

    def guest_get_power_state(self, userid):
        """'on' or 'off'; a paused guest is logged on, so 'on'."""
        userid = self._checked(userid)
        with self._view(userid) as g:
            if not g['directory']:
                raise errors.guest_not_found(userid, rs=3)
            return self._power_state(g)

    def guest_get_power_state_real(self, userid):
        """CP's view, without the connector's database: a userid that is
        not logged on, defined or not, is 'off'.
        """
        self._ssi_poll()
        userid = userid.upper()
        if userid in SYSTEM_USERIDS or userid == self.zcc_userid:
            return 'on'
        g = self._guests.get(userid)
        return 'off' if g is None else self._power_state(g)

    # -- information -------------------------------------------------------

    def guest_get_info(self, userid):
        userid = self._checked(userid)
        with self._view(userid) as g:
            state = self._power_state(g)
            reachable = True
            try:
                self._iucv(g, 'lscpu --parse=ADDRESS')
            except Exception:
                reachable = False
            info = {'power_state': state,
                    'online_cpu_num': g['active_cpus'] if reachable else 0,
                    'os_distro': (g['os_version'] or '') if reachable
                    else '',
                    'kernel_info': (console.kernel_info(g['os_version'])
                                    if reachable else '')}
            if state == 'on':
                info.update({'max_mem_kb': g['max_mem_mb'] * 1024,
                             'mem_kb': g['active_memory_mb'] * 1024,
                             'num_cpu': g['active_cpus'],
                             'cpu_time_us': self._cpu_time_us(g)})
            else:
                self._require_directory(g, 'getvm %s directory' % userid)
                info.update({'max_mem_kb': g['max_mem_mb'] * 1024,
                             'mem_kb': 0, 'num_cpu': g['vcpus'],
                             'cpu_time_us': 0})
            return info

    def _user_direct(self, g):
        """The directory entry as ``getvm <userid> directory`` lists it."""
        lines = ['USER %s LBYONLY %dM %s G' % (g['userid'], g['memory_mb'],
                                               g['max_mem'])]
        if g['profile']:
            lines.append('INCLUDE %s' % g['profile'].upper())
        lines.append('MACHINE ESA %d' % g['max_cpu'])
        if g['account']:
            lines.append('ACCOUNT %s' % g['account'].upper())
        lines.append('COMMAND SET VCONFIG MODE LINUX')
        for cpu in range(g['vcpus']):
            lines.append('COMMAND DEFINE CPU %0.2X TYPE IFL' % cpu)
        if g['cschedule']:
            lines.append('COMMAND SCHEDULE * WITHIN POOL %s' %
                         g['cschedule'])
        lines.append('SHARE %s' % (g['cshare'] or 'RELATIVE %d' % (
            SHARE_UNIT * g['vcpus'])))
        if g['rdomain']:
            lines.append('COMMAND SET VMRELOCATE * DOMAIN %s' % g['rdomain'])
        if g['ipl']:
            ipl = 'IPL %s ' % g['ipl']
            if g['ipl_param']:
                ipl += 'PARM %s ' % g['ipl_param']
            if g['ipl_loadparam']:
                ipl += 'LOADPARM %s ' % g['ipl_loadparam']
            lines.append(ipl)
        lines.append('COMMAND DEF STOR RESERVED %dM' % g['reserved_mb'])
        if g['loaddev'].get('portname'):
            lines.append('LOADDEV PORTname %s' % g['loaddev']['portname'])
        if g['loaddev'].get('lun'):
            lines.append('LOADDEV LUN %s' % g['loaddev']['lun'])
        for vdev in sorted(g['dedicates']):
            lines.append('DEDICATE %s %s' % (vdev, g['dedicates'][vdev]))
        for vdev in sorted(g['nics']):
            lines.append(self._nicdef(g['nics'][vdev]))
        for vdev in sorted(g['disks']):
            d = g['disks'][vdev]
            if d['type'] == 'VDISK':
                lines.append('MDISK %s FB-512 V-DISK %d MWV' %
                             (vdev, d['units']))
            else:
                lines.append('MDISK %s %s 0001 %d %s MR' % (
                    vdev, '3390' if d['type'] == 'ECKD' else '9336',
                    d['units'], d['volser']))
        for comment in g['comments']:
            lines.append('* %s' % comment.upper())
        return lines

    def guest_get_definition_info(self, userid, **kwargs):
        userid = self._checked(userid)
        with self._view(userid) as g:
            self._require_directory(g, 'getvm %s directory' % userid)
            direct = self._user_direct(g)
        info = {'user_direct': direct}
        for key, value in kwargs.items():
            if key != 'nic_coupled':
                raise errors.invalid('invalid check option for user '
                                     'direct: %s' % key)
            wanted = 'NICDEF %s TYPE QDIO LAN SYSTEM' % value
            info['nic_coupled'] = any(wanted in line for line in direct)
        return info

    def guest_get_user_direct(self, userid):
        """The directory entry with the password masked (no DB check)."""
        self._ssi_poll()
        userid = userid.upper()
        g = self._guests.get(userid)
        if g is None or not g['directory']:
            raise errors.smt(*errors.SMT_NO_USER,
                             request='getvm %s directory' % userid,
                             detail='Image definition %s not found' %
                                    userid)
        with self._guests.lock(userid):
            direct = self._user_direct(g)
        for idx, line in enumerate(direct):
            if line.startswith('USER') or line.startswith('IDENTITY'):
                fields = line.split()
                direct[idx] = ''.join(
                    (f if i != 2 else '******') + ' '
                    for i, f in enumerate(fields))
                break
        return {'user_direct': direct}

    def guest_list(self):
        """Userids the connector manages (upper case, not migrated)."""
        self._ssi_poll()
        return sorted(g['userid'] for g in self._guests.values()
                      if in_db(g))

    def guest_get_console_output(self, userid):
        """The tail (100 KB) of the guest's console spool."""
        userid = self._checked(userid)
        path = os.path.join(self._console_dir, '%s.log' % userid)
        with self._guests.lock(userid):
            try:
                with open(path, 'rb') as f:
                    f.seek(0, os.SEEK_END)
                    size = f.tell()
                    f.seek(max(size - CONSOLE_LOG_KB * 1024, 0))
                    return f.read().decode('utf-8', 'replace')
            except FileNotFoundError:
                return ''

    def guest_inspect_stats(self, userid_list):
        """CPU and memory counters of the running guests among those."""
        if not isinstance(userid_list, list):
            userid_list = [userid_list]
        userids = self._checked(userid_list)
        now = time.time()
        stats = {}
        for userid in userids:
            g = self._guests.get(userid)
            if g is None or self._power_state(g) != 'on':
                continue
            elapsed = int((now - (g['started_at'] or now)) * 1e6)
            used = self._cpu_time_us(g, now)
            stats[userid] = {
                'guest_cpus': g['active_cpus'],
                'used_cpu_time_us': used,
                'elapsed_cpu_time_us': elapsed * max(g['active_cpus'], 1),
                'min_cpu_count': g['active_cpus'],
                'max_cpu_limit': 10000,
                'samples_cpu_in_use': int(elapsed / 1e6),
                'samples_cpu_delay': 0,
                'used_mem_kb': g['active_memory_mb'] * 1024,
                'max_mem_kb': g['max_mem_mb'] * 1024,
                'min_mem_kb': 0,
                'shared_mem_kb': 0,
            }
        return stats

    # -- create / delete ---------------------------------------------------

    def guest_create(self, userid, vcpus, memory, disk_list=None,
                     user_profile='', max_cpu=DEFAULT_MAX_CPU,
                     max_mem=DEFAULT_MAX_MEM, ipl_from='', ipl_param='',
                     ipl_loadparam='', dedicate_vdevs=None, loaddev={},
                     account='', comment_list=None, cschedule='', cshare='',
                     rdomain='', pcif=''):
        """Define a guest and its minidisks; returns the disk list with
        ``vdev`` (root 0100, then 0101...) and ``disk_pool`` filled.
        """
        dedicate_vdevs = dedicate_vdevs or []
        userid = userid.upper()
        swap_only = bool(disk_list) and len(disk_list) == 1 and (
            isinstance(disk_list[0], dict) and
            str(disk_list[0].get('format', '')).lower() == 'swap')
        if disk_list:
            self._check_disk_list(disk_list, self._default_pool_spec,
                                  swap_only)
        if dedicate_vdevs and not isinstance(dedicate_vdevs, list):
            raise errors.invalid('Invalid "dedicate_vdevs" input, it should '
                                 'be a list. Details could be found in '
                                 'doc.')
        if loaddev and not isinstance(loaddev, dict):
            raise errors.invalid('Invalid "loaddev" input, it should be a '
                                 'dictionary. Details could be found in '
                                 'doc.')
        # The request zvmsdk builds: formatting it fails exactly where
        # zvmsdk fails for arguments of the wrong type (a 500).
        request = ('makevm %(uid)s directory LBYONLY %(mem)im G --cpus '
                   '%(cpu)i --profile %(prof)s --maxCPU %(max_cpu)i '
                   '--maxMemSize %(max_mem)s --setReservedMem' %
                   {'uid': userid, 'mem': memory, 'cpu': vcpus,
                    'prof': user_profile or None, 'max_cpu': max_cpu,
                    'max_mem': max_mem})
        if not _USERID.match(userid):
            raise errors.invalid('Invalid userid %r: z/VM userids are 1-8 '
                                 'characters' % userid)
        if pcif and len(pcif.split(':')) != 2:
            raise errors.invalid('pcif input %s is invalid, must be format '
                                 'like <dev>:<dev>' % pcif)
        if str(max_mem)[-1:].upper() not in ('M', 'G'):
            raise errors.smt(4, 4, 205, request=request,
                             detail="memory size did not end with suffix "
                                    "'G' or 'M'.")
        if int(zvmutils.convert_to_mb(max_mem)) < memory:
            raise errors.smt(*errors.SMT_MAX_MEM_TOO_SMALL, request=request,
                             detail='Max memory size %s specified is less '
                                    'than initial memory size %sm.' %
                                    (max_mem, memory))
        self._ssi_poll()
        g = new_record(userid, vcpus, memory, max_cpu, str(max_mem))
        g.update({'profile': user_profile or None, 'ipl_param': ipl_param,
                  'ipl_loadparam': ipl_loadparam, 'account': account,
                  'comments': list(comment_list or []),
                  'loaddev': dict(loaddev or {}), 'cschedule': cschedule,
                  'cshare': cshare, 'rdomain': rdomain, 'pcif': pcif})
        for vdev in dedicate_vdevs:
            g['dedicates'][disks.canonical_vdev(vdev)] = (
                disks.canonical_vdev(vdev))
        if (disk_list and disk_list[0].get('is_boot_disk')) or ipl_from:
            g['ipl'] = ipl_from or disks.ROOT_VDEV
        with self._guests.lock(userid):
            exists = (userid in SYSTEM_USERIDS or userid == self.zcc_userid
                      or not self._guests.reserve(g))
            if not exists and not self._ssi_claim(userid):
                self._guests.remove(userid)
                exists = True
            if exists:
                raise errors.smt(*errors.SMT_USER_EXISTS, request=request,
                                 detail='Image definition %s already '
                                        'exists' % userid)
            # Like zvmsdk: the database row right after the directory
            # entry, then the disks (a failing disk leaves the guest).
            g['db'] = new_db_row()
            try:
                if not disk_list:
                    return disk_list
                if swap_only and (disk_list[0].get('disk_pool') or
                                  self._default_pool_spec) is None:
                    return self._add_vdisk(g, disk_list)
                if disk_list[0].get('is_boot_disk'):
                    disk_list[0].update({'format': 'none'})
                return self._add_mdisks(g, disk_list)
            finally:
                self._guests.save(g)

    def _add_vdisk(self, g, disk_list):
        """A swap-only guest without a disk pool gets a VDISK."""
        disk = disk_list[0]
        vdev = disk.get('vdev') or self._generate_disk_vdev(None, 0)
        disk['vdev'] = vdev
        size = disk['size'].strip().upper()
        if size[-1] not in ('M', 'G'):
            raise errors.invalid("%s must has 'M' or 'G' suffix" % size)
        if (size[-1] == 'M' and int(size[:-1]) > 2048) or (
                size[-1] == 'G' and int(size[:-1]) > 2):
            raise errors.invalid('%s is great than 2G' % size)
        mb = int(size[:-1]) * (1024 if size[-1] == 'G' else 1)
        self._blobs.incref(store.EMPTY_DIGEST)
        key = disks.canonical_vdev(vdev)
        g['disks'][key] = {
            'vdev': key, 'type': 'VDISK', 'pool': None, 'units': mb * 2048,
            'unit': 'BLK', 'size': disk['size'], 'format': 'swap',
            'digest': store.EMPTY_DIGEST, 'gzip': 0, 'volser': 'V-DISK'}
        return disk_list

    def _drop_directory_entry(self, g):
        """Remove the z/VM side of a guest: its minidisks go back to the
        pool, its dedicated FCP devices become free.
        """
        self._release_all_disks(g)
        self._fcp_undedicate_all(g)
        # NICDEFs go with the entry; the connector's switch table keeps
        # its rows until the guest is deleted or deregistered.
        g['nics'] = {k: n for k, n in g['nics'].items() if n.get('in_db')}
        for nic in g['nics'].values():
            nic['live'] = False
        g['directory'] = False
        g['power'] = 'off'
        g['paused'] = False
        g['started_at'] = None
        self._ssi_release(g['userid'])

    def guest_delete(self, userid):
        """Delete the guest; success when it is already gone."""
        userid = userid.upper()
        self._ssi_poll()
        g = self._guests.get(userid)
        if not in_db(g):
            if self._exists_in_directory(userid):
                raise errors.guest_not_found(userid)
            return None
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None:
                return None
            switches = set(n.get('vswitch') for n in g['nics'].values()
                           if n.get('in_db') and n.get('vswitch'))
            if g['directory']:
                if g['power'] == 'on':
                    now = time.time()
                    self._logoff(g, now, console.shutdown(g, now, False))
                self._drop_directory_entry(g)
            for name in switches:
                self._revoke(name, userid)
            self._guests.remove(userid)
            store.remove(os.path.join(self._console_dir, '%s.log' % userid))
        return None

    # -- resize --------------------------------------------------------------

    def guest_resize_cpus(self, userid, cpu_cnt):
        """Define ``cpu_cnt`` CPUs in the directory (next logon)."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._require_directory(g, 'getvm %s directory' % userid)
            if cpu_cnt > g['max_cpu']:
                raise errors.conflict('guest', 4, userid=userid,
                                      req=cpu_cnt, max=g['max_cpu'])
            g['vcpus'] = cpu_cnt

    def guest_live_resize_cpus(self, userid, cpu_cnt):
        """Add CPUs to the running guest and to its directory entry."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if self._power_state(g) != 'on':
                raise errors.conflict('guest', 1, userid=userid)
            self._iucv(g, 'lscpu --parse=ADDRESS')
            if g['active_cpus'] > cpu_cnt:
                raise errors.conflict('guest', 2, userid=userid,
                                      active=g['active_cpus'], req=cpu_cnt)
            if cpu_cnt > g['max_cpu']:
                raise errors.conflict('guest', 4, userid=userid,
                                      req=cpu_cnt, max=g['max_cpu'])
            g['vcpus'] = cpu_cnt
            g['active_cpus'] = cpu_cnt

    def _static_resize_mem(self, g, size):
        mb = int(zvmutils.convert_to_mb(size))
        if mb > g['max_mem_mb']:
            raise errors.conflict('guest', 20, userid=g['userid'], req=mb,
                                  max=g['max_mem_mb'])
        g['memory_mb'] = mb
        g['reserved_mb'] = min(g['max_mem_mb'] - mb, MAX_STOR_RESERVED_MB)
        return mb

    def guest_resize_mem(self, userid, size):
        """Define ``size`` ('4g', '2048M') of memory (next logon)."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._require_directory(g, 'getvm %s directory' % userid)
            self._static_resize_mem(g, size)

    def guest_live_resize_mem(self, userid, size):
        """Add memory to the running guest and to its directory entry."""
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if self._power_state(g) != 'on':
                raise errors.conflict('guest', 1, userid=userid)
            self._iucv(g, 'lsmem')
            mb = int(zvmutils.convert_to_mb(size))
            active = g['active_memory_mb']
            if active > mb:
                raise errors.conflict('guest', 18, userid=userid,
                                      active=active, req=mb)
            if mb - active > MAX_STOR_RESERVED_MB:
                raise errors.conflict('guest', 21, userid=userid,
                                      inc=mb - active,
                                      max=MAX_STOR_RESERVED_MB)
            self._static_resize_mem(g, size)
            g['active_memory_mb'] = mb

    # -- connector database --------------------------------------------------

    def guest_register(self, userid, meta, net_set, port_macs=None):
        """Add a guest defined on z/VM to the connector's database (after
        a relocation or to onboard it); clears ``migrated`` when known.
        """
        if port_macs is not None and not isinstance(port_macs, dict):
            raise errors.invalid('Invalid input parameter port_macs, '
                                 'expect dict')
        userid = userid.upper()
        self._ssi_poll()
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None or not g['directory']:
                raise errors.guest_not_found(userid)
            if g['db'] is not None:
                if g['db']['comments'].get('migrated'):
                    g['db']['comments']['migrated'] = 0
                    self._guests.save(g)
                return None
            g['db'] = new_db_row(meta, net_set)
            self._guests.save(g)
            adapters = self._adapters(g)
            for adapter in adapters:
                nic = g['nics'][disks.canonical_vdev(
                    adapter['adapter_address'])]
                mac = adapter['mac_address'].replace(':', '')[6:].upper()
                nic['port'] = (port_macs or {}).get(mac)
                nic['in_db'] = True
            self._guests.save(g)
        return None

    def guest_deregister(self, userid):
        """Forget a guest in the connector's database; z/VM keeps it."""
        userid = userid.upper()
        self._ssi_poll()
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None:
                return None
            for nic in g['nics'].values():
                nic['in_db'] = False
                nic['port'] = None
            g['db'] = None
            if g['directory']:
                self._guests.save(g)
            else:
                self._guests.remove(userid)
        return None
