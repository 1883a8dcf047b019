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

"""The guests' operating systems: boot, zvmguestconfigure, shutdown.

A logged-on guest IPLs its IPL device (``IPL`` statement, else 0100): a
minidisk with content boots Linux; an empty one does not (CP console
only). The Linux a disk holds is told by an os-release text found in its
first bytes (deployed images carry their root file system), else it is a
RHEL 9.2 (a plausible default for opaque test payloads).

At every boot ``zvmguestconfigure`` (feilong tools/share) pulls the
class X files of the reader, in order, and receiving purges them: ``sh``
files run, ``doscript`` tars are unpacked and their ``invokeScript.sh``
run, ``iso`` files are received; then only ``cfgdrive.iso`` becomes the
loop device cloud-init reads (label ``config-2``). What the guest saw is
kept in ``record['guest']`` (``seen``: the config drive; ``files``: files
the scripts wrote; ``iucv_authorized``) and its console lines go to
``state.console_path``.

The guest's state lives in ``record['guest']``; its OS is up while the
guest is logged on here since the boot recorded in ``booted_at`` (the
logon time) and it has not halted. ``ignores_shutdown`` (set by a test or
an operator) makes the OS ignore CP's shutdown signal and ``shutdown``.
Commands run inside the guest over IUCV are answered in guestcmd.py.
"""

import gzip
import io
import os
import re
import shlex
import tarfile
import time

from nova_zvm.simulator.zvm import configdrive
from nova_zvm.simulator.zvm import definition
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import guestvol
from nova_zvm.simulator.zvm import store

CONFIG_DRIVE = 'cfgdrive.iso'
DEFAULT_OS = {'ID': 'rhel', 'VERSION_ID': '9.2',
              'NAME': 'Red Hat Enterprise Linux'}
KERNELS = {'rhel': '5.14.0-362.8.1.el9_3.s390x',
           'sles': '5.14.21-150500.53-default',
           'ubuntu': '5.15.0-91-generic'}
# Seconds a rebooting Linux is unreachable.
REBOOT_SECONDS = 2
_PROBE = 1024 * 1024


def _guest(record):
    return record.setdefault('guest', {})


def os_up(zvm, record):
    """True while the guest's Linux runs (logged on here and booted)."""
    if record is None or not directory.logged_on_here(zvm, record):
        return False
    guest = record.get('guest') or {}
    if guest.get('booted_at') != record.get('logon_time'):
        return False
    if guest.get('halted'):
        return False
    up_at = guest.get('up_at')
    if up_at and time.time() < up_at:
        return False
    return True


def console(zvm, userid, lines):
    """Lines the guest writes on its console (the console spool)."""
    with open(zvm.state.console_path(userid), 'a') as f:
        for line in lines:
            f.write(line + '\n')


def ipl_device(record):
    for line in directory.statements(record, 'IPL'):
        words = line.split()
        if len(words) > 1 and re.match(r'^[0-9A-Fa-f]{1,4}$', words[1]):
            return words[1].upper().zfill(4)
    return '0100'


def _field(data, key):
    """The value of the first ``KEY=value`` line of data, unquoted.

    Looked for with bytes.find, not a multi-line regular expression: the
    probe is a megabyte of mostly binary disk, read at every boot, and a
    regex tries to match at each of its positions (about 20 ms a key).
    """
    needle = key + b'='
    start = 0
    while True:
        at = data.find(needle, start)
        if at < 0:
            return None
        start = at + 1
        if at and data[at - 1:at] != b'\n':
            continue
        end = data.find(b'\n', at)
        value = data[at + len(needle):end if end >= 0 else len(data)]
        if value[:1] == b'"':
            value = value[1:]
        if value[-1:] == b'"':
            value = value[:-1]
        if b'"' not in value:
            return value


def os_release(path):
    """The os-release fields a root disk's content shows, or None."""
    try:
        with open(path, 'rb') as f:
            data = f.read(_PROBE)
    except OSError:
        return None
    if not data.strip(b'\0'):
        return None
    if data[:2] == b'\x1f\x8b':
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(_PROBE)
        except (OSError, EOFError):
            pass
    fields = {}
    for key in ('ID', 'VERSION_ID', 'NAME', 'PRETTY_NAME'):
        value = _field(data, key.encode())
        if value is not None:
            fields[key] = value.decode('ascii', 'replace')
    if 'ID' in fields and 'VERSION_ID' in fields:
        return fields
    return dict(DEFAULT_OS)


def kernel(guest):
    distro = guest.get('os', DEFAULT_OS).get('ID', 'rhel')
    return KERNELS.get(distro, KERNELS['rhel'])


def boot(zvm, userid):
    """A guest was IPLed (logged on): its Linux boots, if it has one."""
    with zvm.state.update_user(userid) as record:
        if record is None:
            return
        guest = _guest(record)
        guest.pop('halted', None)
        # Any boot completes a pending reboot (both flags go together).
        guest.pop('reboot_pending', None)
        guest.pop('up_at', None)
        guest.pop('shutdown_signalled', None)
        vdev = ipl_device(record)
        release = os_release(zvm.state.disk_path(userid, vdev))
        lines = ['HCPLGA2475I LOGON %s ON %s' % (userid, zvm.state.system)]
        if release is None:
            guest['booted_at'] = None
            lines.append('HCPGIR450W CP entered; disabled wait PSW '
                         '00020000 80000000 00000000 00000000')
            zvm.state.put_user(record)
            console(zvm, userid, lines)
            return
        guest['booted_at'] = record.get('logon_time')
        guest['boots'] = guest.get('boots', 0) + 1
        guest['os'] = release
        if guest.get('cpus_logon') != record.get('logon_time'):
            # A re-IPL (reboot) keeps the CPUs of the logon.
            guest['cpus'] = definition.logon_cpus(record) or ['00']
            guest['cpus_logon'] = record.get('logon_time')
        lines.append('Linux version %s (s390x)' % kernel(guest))
        lines += zvmguestconfigure(zvm, record)
        lines.append('%s login:' % hostname(record))
        zvm.state.put_user(record)
    console(zvm, userid, lines)


def hostname(record):
    seen = _guest(record).get('seen') or {}
    return seen.get('hostname') or record['userid'].lower()


# -- zvmguestconfigure --------------------------------------------------------

def spool_path(state, entry):
    """Where spool.py keeps a spool file's content."""
    return os.path.join(state.spool_dir, '%04d' % int(entry['spoolid']))


def reader_content(state, entry):
    """The bytes of a reader spool file."""
    path = spool_path(state, entry)
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return None


_SCRIPT_HANDLERS = []


def script_handler(handles, run):
    """Let another model run some reader shell scripts in the guest.

    ``handles(file_name)`` says whether it runs that ``name.sh``;
    ``run(zvm, userid, file_name, text)`` runs it (it may update the
    stored user record) and returns the script's exit code.
    """
    _SCRIPT_HANDLERS.append((handles, run))


def _run_sh(zvm, record, fname, text):
    for handles, run in _SCRIPT_HANDLERS:
        if handles(fname):
            # The handler reads and writes the stored record itself.
            userid = record['userid']
            zvm.state.put_user(record)
            code = run(zvm, userid, fname, text)
            fresh = zvm.state.user(userid)
            record.clear()
            record.update(fresh)
            return code
    run_script(_guest(record), text, {})
    return 0


def zvmguestconfigure(zvm, record):
    """Pull the class X reader files; set up the config drive.

    The exit code of the last shell script is zvmguestconfigure's (kept as
    ``configure_exit`` for ``systemctl status``).
    """
    lines = ['zvmguestconfigure is starting']
    transport = {}
    kept = []
    exit_code = 0
    for entry in list(record.get('reader', [])):
        if str(entry.get('class', '')).upper() != 'X':
            kept.append(entry)
            continue
        name = entry.get('name', '')
        ftype = entry.get('type', '')
        fname = '%s.%s' % (name, ftype) if ftype else name
        lines.append('Downloading record %s: %s' % (entry.get('spoolid'),
                                                    fname))
        data = reader_content(zvm.state, entry)
        # vmur receive purges the spool file.
        store.remove(spool_path(zvm.state, entry))
        if data is None:
            continue
        if ftype.lower() == 'sh':
            exit_code = _run_sh(zvm, record, fname,
                                data.decode('utf-8', 'replace'))
        elif ftype.lower() == 'doscript':
            run_doscript(_guest(record), data)
        elif ftype.lower() == 'iso':
            transport[fname] = data
    record['reader'] = kept
    _guest(record)['configure_exit'] = exit_code
    lines.append('zvmguestconfigure has successfully processed the reader '
                 'files with exit code: %d.' % exit_code)
    if CONFIG_DRIVE in transport:
        lines += setup_iso(zvm, record, transport[CONFIG_DRIVE])
    return lines


def setup_iso(zvm, record, data):
    """The loop device cloud-init reads: what the guest sees in it."""
    guest = _guest(record)
    path = os.path.join(zvm.state.system_dir, 'guest-%s-%s' %
                        (record['userid'], CONFIG_DRIVE))
    with open(path, 'wb') as f:
        f.write(data)
    try:
        seen = configdrive.read(path)
    except configdrive.ConfigDriveError as err:
        guest['config_drive_error'] = str(err)
        return ['cloud-init: no usable config drive: %s' % err]
    finally:
        store.remove(path)
    guest['seen'] = seen
    guest.pop('config_drive_error', None)
    out = ['cloud-init: datasource ConfigDrive [%s]' % seen.get('uuid')]
    for net in seen.get('addresses', []):
        if net.get('address'):
            out.append('cloud-init: %s %s/%s' % (net.get('link'),
                                                 net['address'],
                                                 net.get('prefix')))
    return out


def run_doscript(guest, data):
    """zvmguestconfigure: untar into the transport dir, run invokeScript."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data))
    except tarfile.TarError:
        return
    members = {}
    for member in tar.getmembers():
        f = tar.extractfile(member)
        if f is not None:
            members[member.name] = f.read().decode('utf-8', 'replace')
    script = members.get('invokeScript.sh')
    if script is not None:
        run_script(guest, script, members)


def run_script(guest, text, transport):
    """The effects of a configuration script on the guest's files.

    Only what the connector's scripts do is understood: ``cat SRC > DST``
    from the transport directory, ``rm -f``/``rm -rf``, ``echo -n X >
    FILE``, ``/bin/bash /tmp/znetconfig.sh`` (runs that file); the rest
    (znetconf, udevadm, netplan apply...) has no lasting state here.
    """
    files = guest.setdefault('files', {})
    for raw in text.splitlines():
        line = raw.strip()
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if not words:
            continue
        if words[0] == 'cat' and len(words) == 4 and words[2] == '>':
            if words[1] in transport:
                files[words[3]] = transport[words[1]]
            elif words[1] in files:
                files[words[3]] = files[words[1]]
        elif words[0] == 'echo' and '>' in words:
            target = words[words.index('>') + 1]
            value = ' '.join(w for w in words[1:words.index('>')]
                             if w != '-n')
            files[target] = value
            if target.endswith('iucv_authorized_userid'):
                guest['iucv_authorized'] = value.strip().upper()
        elif words[0] == 'rm':
            for target in words[1:]:
                if not target.startswith('-'):
                    for path in list(files):
                        if path == target or (target.endswith('*') and
                                              path.startswith(target[:-1])):
                            del files[path]
        elif words[:2] == ['/bin/bash', '/tmp/znetconfig.sh']:
            script = files.pop('/tmp/znetconfig.sh', None)
            if script:
                run_script(guest, script, transport)


# -- shutdown -----------------------------------------------------------------

def signal_shutdown(zvm, record):
    """CP's SIGNAL SHUTDOWN: True when the guest goes (logs off) now."""
    guest = _guest(record)
    if os_up(zvm, record) and guest.get('ignores_shutdown'):
        guest['shutdown_signalled'] = time.time()
        return False
    guest['halted'] = True
    return True


INHIBITED = ('Operation inhibited by "appd" (PID 812 "appd", user root), '
             'reason is "flushing".\n')


def halt(zvm, record, reboot=False):
    """``shutdown -h``/``-r`` inside the guest (record saved by caller).

    Returns the error text when the guest refuses (None when it goes).
    """
    guest = _guest(record)
    if guest.get('ignores_shutdown'):
        # A shutdown inhibitor holds: systemd refuses, the system runs on.
        return INHIBITED
    if reboot:
        # Down for a moment, then Linux comes back (re-IPL by itself).
        guest['up_at'] = time.time() + REBOOT_SECONDS * zvm.time_scale
        guest['reboot_pending'] = True
    else:
        # Linux stops the CPUs; the user stays logged on (CP: stopped).
        guest['halted'] = True
    console(zvm, record['userid'], ['System is going down'])
    return None


def settle(zvm, userid):
    """Finish a reboot whose time has come: the guest boots again."""
    record = zvm.state.user(userid)
    guest = (record or {}).get('guest') or {}
    # A pending reboot without its time of return is due now.
    if (guest.get('reboot_pending') and
            time.time() >= (guest.get('up_at') or 0) and
            directory.logged_on_here(zvm, record)):
        with zvm.state.update_user(userid) as record:
            record['guest'].pop('reboot_pending', None)
        boot(zvm, userid)


# The FCP volume model runs the connector's atvol.sh/devol.sh.
script_handler(guestvol.handles, guestvol.run_script)
