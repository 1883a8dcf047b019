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
  ``ERROR connecting socket:`` and the errno;
* the guest's IUCV server does not trust this client: exit 1
  (UNAUTHORIZED_ERROR).

Which errno AF_IUCV gives is a plausible choice: ENETUNREACH when the
user is not logged on, ECONNREFUSED when it is but no Linux (with its
IUCV server) runs. Commands are answered from the guest's state; only
the commands the connector runs are known, others are 'not found' (127).
"""

import errno
import os
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
    for prefix, fn in _COMMANDS:
        if tuple(words[:len(prefix)]) == prefix:
            rc, out = fn(zvm, record, words[len(prefix):])
            break
    else:
        rc, out = NOT_FOUND, 'sh: %s: command not found\n' % (
            words[0] if words else '')
    if rc:
        return CMD_EXEC_ERROR, ('ERROR: %s\nReturn code %d, Reason code '
                                '%d.\n' % (out.rstrip('\n'),
                                           CMD_EXEC_ERROR, rc))
    return 0, out


def _os(record):
    return (record.get('guest') or {}).get('os') or guestos.DEFAULT_OS


@command('echo')
def echo(zvm, record, words):
    return 0, ' '.join(words) + '\n'


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
         'service zvmguestconfigure start')
def zvmguestconfigure(zvm, record, words):
    with zvm.state.update_user(record['userid']) as rec:
        lines = guestos.zvmguestconfigure(zvm, rec)
    guestos.console(zvm, record['userid'], lines)
    return 0, '\n'.join(lines) + '\n'


@command('cat')
def cat(zvm, record, words):
    files = (record.get('guest') or {}).get('files', {})
    out = []
    for path in words:
        if path not in files:
            return 1, 'cat: %s: No such file or directory\n' % path
        out.append(files[path])
    return 0, ''.join(out)
