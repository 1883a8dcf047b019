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

"""``iucvclnt``: commands run inside a guest over IUCV.

smtLayer (vmUtils.execCmdThruIUCV) runs ``iucvclnt <userid> <command>``
and reads iucvclnt's conventions (feilong zthin IUCV/iucvclient.c):

* success: exit 0, the command's output as printed by the guest;
* the command failed: exit 8 (CMD_EXEC_ERROR), ``ERROR: <output>``
  then ``Return code 8, Reason code <command's exit code>.``;
* no IUCV connection: exit 4 (SOCKET_ERROR) with
  ``ERROR connecting socket:`` and the errno (ETIMEDOUT for a paused
  guest);
* the guest's IUCV server does not trust this client: exit 1
  (UNAUTHORIZED_ERROR).

Which errno AF_IUCV gives is a plausible choice: ENETUNREACH when the
user is not logged on, ECONNREFUSED when it is but no Linux (with its
IUCV server) runs. Commands are answered from the guest's state; only
the commands the connector runs are known, others are 'not found' (127).
"""

import errno
import os
import re
import shlex

from nova_zvm.simulator.zvm import dasd
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import guestos
from nova_zvm.simulator.zvm import network
from nova_zvm.simulator.zvm import programs

SOCKET_ERROR = 4
CMD_EXEC_ERROR = 8
UNAUTHORIZED_ERROR = 1
NOT_FOUND = 127

_COMMANDS = []


def command(*prefixes):
    """Register the answer to guest commands starting with these words."""
    def register(fn):
        for prefix in prefixes:
            _COMMANDS.append((tuple(prefix.split()), fn))
        _COMMANDS.sort(key=lambda item: -len(item[0]))
        return fn
    return register


def _socket_error(err):
    return SOCKET_ERROR, ('ERROR connecting socket:\n%s\nReturn code %d, '
                          'Reason code %d.\n' %
                          (os.strerror(err), SOCKET_ERROR, err))


@programs.program('iucvclnt')
def iucvclnt(zvm, args):
    if len(args) < 2:
        return 2, 'Usage:\niucvclnt [--version]\n'
    userid = args[0].upper()
    guestos.settle(zvm, userid)
    record = zvm.state.user(userid)
    if record is None or not directory.logged_on_here(zvm, record):
        return _socket_error(errno.ENETUNREACH)
    if not guestos.os_up(zvm, record):
        return _socket_error(errno.ECONNREFUSED)
    if record.get('paused'):
        # Its CPUs are stopped: nothing answers on the IUCV path.
        return _socket_error(errno.ETIMEDOUT)
    authorized = (record.get('guest') or {}).get('iucv_authorized')
    if authorized and authorized != zvm.state.zcc_userid:
        # Images without the file trust the first client; a guest told
        # another userid refuses us.
        return UNAUTHORIZED_ERROR, (
            'ERROR: UNAUTHORIZED_ERROR#1\nReturn code 1, Reason code 0.\n')
    cmd = ' '.join(args[1:])
    try:
        words = shlex.split(cmd)
    except ValueError:
        words = cmd.split()
    pipeline = [[]]
    for word in words:
        if word == '|':
            pipeline.append([])
        else:
            pipeline[-1].append(word)
    rc, out = run(zvm, record, pipeline[0])
    for words in pipeline[1:]:
        if rc:
            break
        rc, out = filter_text(words, out)
    if rc:
        return CMD_EXEC_ERROR, ('ERROR: %s\nReturn code %d, Reason code '
                                '%d.\n' % (out.rstrip('\n'),
                                           CMD_EXEC_ERROR, rc))
    return 0, out


def run(zvm, record, words):
    """One command of the guest: (exit code, output)."""
    for prefix, fn in _COMMANDS:
        if tuple(words[:len(prefix)]) == prefix:
            return fn(zvm, record, words[len(prefix):])
    return NOT_FOUND, 'sh: %s: command not found\n' % (
        words[0] if words else '')


def filter_text(words, text):
    """The filters the connector pipes output through: grep, tr, cut."""
    lines = text.splitlines()
    if words[:1] == ['grep']:
        flags = [w for w in words[1:] if w.startswith('-')]
        pattern = [w for w in words[1:] if not w.startswith('-')][0]
        regex = re.compile(pattern, re.I if '-i' in flags else 0)
        lines = [line for line in lines if regex.search(line)]
        return (0 if lines else 1), ''.join(line + '\n' for line in lines)
    if words[:1] == ['tr'] and len(words) == 3:
        old = words[1].replace('\\n', '\n')
        new = words[2].replace('\\n', '\n')
        return 0, text.replace(old, new)
    if words[:1] == ['cut'] and words[1].startswith('-c'):
        start = int(words[1][2:].rstrip('-')) - 1
        return 0, ''.join(line[start:] + '\n' for line in lines)
    return NOT_FOUND, 'sh: %s: command not found\n' % words[0]


def _os(record):
    return (record.get('guest') or {}).get('os') or guestos.DEFAULT_OS


@command('echo')
def echo(zvm, record, words):
    if '>' in words:
        # echo -n X > FILE (the IUCV authorization after a relocation).
        with zvm.state.update_user(record['userid']) as rec:
            guestos.run_script(rec.setdefault('guest', {}),
                               ' '.join(['echo'] + [shlex.quote(w)
                                                    for w in words]), {})
        return 0, ''
    return 0, ' '.join(w for w in words if w != '-n') + (
        '' if '-n' in words[:1] else '\n')


@command('pwd')
def pwd(zvm, record, words):
    return 0, '/root\n'


@command('ls /etc/*-release')
def ls_release(zvm, record, words):
    files = ['/etc/os-release']
    distro = _os(record).get('ID')
    if distro == 'rhel':
        files.append('/etc/redhat-release')
    elif distro == 'ubuntu':
        files.append('/etc/lsb-release')
    return 0, '\n'.join(sorted(files)) + '\n'


@command('cat /etc/os-release')
def cat_os_release(zvm, record, words):
    fields = _os(record)
    lines = ['NAME="%s"' % fields.get('NAME', fields['ID']),
             'ID="%s"' % fields['ID'],
             'VERSION_ID="%s"' % fields['VERSION_ID']]
    if 'PRETTY_NAME' in fields:
        lines.append('PRETTY_NAME="%s"' % fields['PRETTY_NAME'])
    return 0, '\n'.join(lines) + '\n'


@command('cat /etc/redhat-release')
def cat_redhat_release(zvm, record, words):
    fields = _os(record)
    if fields.get('ID') != 'rhel':
        return 1, 'cat: /etc/redhat-release: No such file or directory\n'
    return 0, 'Red Hat Enterprise Linux release %s (Plow)\n' % (
        fields['VERSION_ID'])


@command('uname -srm')
def uname(zvm, record, words):
    return 0, 'Linux %s s390x\n' % guestos.kernel(record.get('guest') or {})


@command('lscpu --parse=ADDRESS')
def lscpu(zvm, record, words):
    cpus = (record.get('guest') or {}).get('cpus') or ['00']
    lines = ['# The following is the parsable format, which can be fed to '
             'other', '# programs. Each different item in every column has '
             'an unique ID', '# starting from zero.', '# Address']
    lines += ['%d' % int(addr, 16) for addr in cpus]
    return 0, '\n'.join(lines) + '\n'


@command('cat /proc/dasd/devices')
def proc_dasd(zvm, record, words):
    lines = []
    for index, line in enumerate(directory.statements(record, 'MDISK')):
        parts = line.split()
        dtype = 'ECKD' if parts[2] == '3390' else 'FBA '
        disk = 'dasd%s' % chr(ord('a') + index)
        lines.append('0.0.%s(%s) at ( 94: %3d) is %-8s: active at '
                     'blocksize: 4096, %d blocks, %d MB' %
                     (parts[1].lower(), dtype, index * 4, disk,
                      int(parts[4]) * (180 if dtype == 'ECKD' else 1) // 8,
                      _mdisk_mb(parts)))
    return 0, '\n'.join(lines) + '\n'


def _mdisk_mb(parts):
    units = int(parts[4])
    if parts[2] == '3390':
        return units * 737280 // (1024 * 1024)
    return units * 512 // (1024 * 1024)


@command('vmcp q', 'vmcp query', 'vmcp Q', 'vmcp QUERY')
def vmcp_query(zvm, record, words):
    if len(words) == 1 and len(words[0]) <= 4:
        text = network.active_nic_text(record, words[0])
        if text is not None:
            return 0, text
        if dasd.find_mdisk(record, words[0].zfill(4)):
            return 0, 'DASD %s 3390 VOL001 R/W\n' % words[0].upper().zfill(4)
        return 40, 'HCPQVD040E Device %s does not exist\n' % (
            words[0].upper().zfill(4))
    return 1, 'HCPCMD001E Unknown CP command\n'


@command('shutdown -h now', 'shutdown now', 'poweroff')
def shutdown(zvm, record, words):
    with zvm.state.update_user(record['userid']) as rec:
        refused = guestos.halt(zvm, rec)
    return (1, refused) if refused else (0, '')


@command('shutdown -r now', 'reboot')
def reboot(zvm, record, words):
    with zvm.state.update_user(record['userid']) as rec:
        refused = guestos.halt(zvm, rec, reboot=True)
    return (1, refused) if refused else (0, '')


@command('systemctl start zvmguestconfigure.service',
         'systemctl restart zvmguestconfigure.service',
         'service zvmguestconfigure start',
         '/usr/bin/zvmguestconfigure start')
def zvmguestconfigure(zvm, record, words):
    with zvm.state.update_user(record['userid']) as rec:
        lines = guestos.zvmguestconfigure(zvm, rec)
        code = rec['guest']['configure_exit']
    guestos.console(zvm, record['userid'], lines)
    if code:
        return 1, ('Job for zvmguestconfigure.service failed because the '
                   'control process exited with error code.\n')
    return 0, '\n'.join(lines) + '\n'


@command('systemctl status zvmguestconfigure.service')
def zvmguestconfigure_status(zvm, record, words):
    code = (record.get('guest') or {}).get('configure_exit', 0)
    state = 'SUCCESS' if code == 0 else 'FAILURE'
    return (3 if code else 0), (
        '* zvmguestconfigure.service - Activation engine for configuring '
        'z/VM when it starts\n'
        '   Active: %s\n'
        ' Main PID: 1234 (code=exited, status=%d/%s)\n' %
        ('failed (Result: exit-code)' if code else 'inactive (dead)',
         code, state))


def _dasd_names(record):
    """vdev -> dasd name, in /proc/dasd/devices order."""
    return {line.split()[1].upper().zfill(4): 'dasd%s' % chr(ord('a') + i)
            for i, line in enumerate(directory.statements(record, 'MDISK'))}


@command('cat /proc/cmdline')
def proc_cmdline(zvm, record, words):
    vdev = guestos.ipl_device(record).lower()
    return 0, ('root=/dev/disk/by-path/ccw-0.0.%s-part1 rd.dasd=0.0.%s '
               'cio_ignore=all,!condev crashkernel=auto\n' % (vdev, vdev))


@command('readlink -f')
def readlink(zvm, record, words):
    path = words[-1] if words else ''
    match = re.match(r'^/dev/disk/by-path/ccw-0\.0\.([0-9a-f]{4})'
                     r'(-part(\d+))?$', path)
    if match:
        name = _dasd_names(record).get(match.group(1).upper())
        if name:
            return 0, '/dev/%s%s\n' % (name, match.group(3) or '')
    return 0, path + '\n'


@command('/sbin/vmcp detach', 'vmcp detach', 'vmcp det')
def vmcp_detach(zvm, record, words):
    vdev = (words[:1] or [''])[0].upper().zfill(4)
    if dasd.find_mdisk(record, vdev) or \
            network.active_nic_text(record, vdev):
        return 0, 'DASD %s DETACHED\n' % vdev
    return 40, 'HCPDTV040E Device %s does not exist\n' % vdev


@command('cat')
def cat(zvm, record, words):
    files = (record.get('guest') or {}).get('files', {})
    out = []
    for path in words:
        if path not in files:
            return 1, 'cat: %s: No such file or directory\n' % path
        out.append(files[path])
    return 0, ''.join(out)
