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

"""The remote host of ``remotehost``/``remote_host``: a fake ``scp``.

With a remote host (``user@address``), zvmsdk copies the transport file,
an image to import or an exported image with ``/usr/bin/scp`` through
``zvmsdk.utils.execute``: the third seam. Commands that start with
``/usr/bin/scp`` are answered here; every other command runs for real.

The copy is made as the named user of the remote host would make it, on
this machine (the remote host must be an address of this machine: any
other is "Connection refused"): the remote side reads or writes the file as
that user, so a file that user cannot read fails as it would on a real
compute host. When the simulator started as root, a helper process that
stays root (as sshd does) switches to that user for the remote side; a
simulator that is not root can only be the remote user it runs as (any
other gets scp's "Permission denied").
"""

import json
import logging
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import threading

LOG = logging.getLogger(__name__)

LOOPBACK = ('127.0.0.1', 'localhost', '::1')

_original_execute = None
_helper = None
_local_names = set(LOOPBACK)


class _RootHelper(object):
    """A child process that keeps root to act as any user (like sshd)."""

    def __init__(self):
        parent, child = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            parent.close()
            self._serve(child)
            os._exit(0)
        child.close()
        self._sock = parent
        self._file = parent.makefile('rwb')
        self._lock = threading.Lock()
        self.pid = pid

    @staticmethod
    def _serve(sock):
        f = sock.makefile('rwb')
        for line in f:
            req = json.loads(line.decode())
            rc, out = _copy_as(req['user'], req['src'], req['dst'],
                               req['remote_is_source'])
            f.write(json.dumps({'rc': rc, 'out': out}).encode() + b'\n')
            f.flush()

    def copy(self, user, src, dst, remote_is_source):
        with self._lock:
            self._file.write(json.dumps({
                'user': user, 'src': src, 'dst': dst,
                'remote_is_source': remote_is_source}).encode() + b'\n')
            self._file.flush()
            answer = json.loads(self._file.readline().decode())
        return answer['rc'], answer['out']


def _copy_as(user, src, dst, remote_is_source):
    """Copy src to dst, the remote side acting as ``user`` (run as root)."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return 1, 'Permission denied (publickey,password).\r\n'
    ids = {'user': entry.pw_uid, 'group': entry.pw_gid,
           'extra_groups': os.getgrouplist(user, entry.pw_gid)}
    try:
        if remote_is_source:
            with open(dst, 'wb') as out:
                proc = subprocess.run(['cat', '--', src], stdout=out,
                                      stderr=subprocess.PIPE, **ids)
        else:
            with open(src, 'rb') as data:
                proc = subprocess.run(['sh', '-c', 'cat > "$1"', 'scp',
                                       dst], stdin=data,
                                      stderr=subprocess.PIPE, **ids)
    except OSError as e:
        return 1, 'scp: %s\n' % e
    if proc.returncode:
        return 1, 'scp: %s' % proc.stderr.decode(errors='replace')
    return 0, ''


def _copy_as_self(user, src, dst):
    if user != pwd.getpwuid(os.geteuid()).pw_name:
        return 1, 'Permission denied (publickey,password).\r\n'
    try:
        shutil.copyfile(src, dst)
    except OSError as e:
        return 1, 'scp: %s\n' % e
    return 0, ''


def scp(args):
    """``/usr/bin/scp [options] SRC DST`` with one side ``user@host:path``.

    Returns ``(rc, output)`` as zvmsdk's execute does.
    """
    operands = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ('-P', '-o', '-i', '-F', '-l', '-S'):
            i += 2
            continue
        if arg.startswith('-'):
            i += 1
            continue
        operands.append(arg)
        i += 1
    if len(operands) != 2:
        return 1, 'usage: scp [-r] source target\n'
    src, dst = operands
    remote_is_source = ':' in src and '@' in src.split(':', 1)[0]
    remote = src if remote_is_source else dst
    if ':' not in remote or '@' not in remote.split(':', 1)[0]:
        return 1, 'scp: no remote side in %s %s\n' % (src, dst)
    login, _, path = remote.partition(':')
    user, _, host = login.rpartition('@')
    if not is_local(host):
        return 1, ('ssh: connect to host %s port 22: Connection refused\r\n'
                   % host)
    if remote_is_source:
        src = path
    else:
        dst = path
    if _helper is not None:
        return _helper.copy(user, src, dst, remote_is_source)
    return _copy_as_self(user, src, dst)


def is_local(host):
    """Whether ``host`` is this machine (it can bind an address of it)."""
    if host in _local_names:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for family, _, _, _, addr in infos:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.bind((addr[0], 0))
        except OSError:
            continue
        _local_names.add(host)
        return True
    return False


def _execute(cmd, timeout=None):
    argv = cmd if isinstance(cmd, list) else shlex.split(cmd)
    if argv and argv[0] == '/usr/bin/scp':
        LOG.info('remote copy: %s', ' '.join(argv))
        return scp(argv[1:])
    return _original_execute(cmd, timeout=timeout)


def install():
    """Answer zvmsdk's scp commands; call before dropping root, if any."""
    global _original_execute, _helper
    from zvmsdk import utils
    if _original_execute is None:
        _original_execute = utils.execute
        utils.execute = _execute
    if os.geteuid() == 0 and _helper is None:
        _helper = _RootHelper()
