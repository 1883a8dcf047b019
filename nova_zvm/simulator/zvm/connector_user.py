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

"""The connector's own user: the real sdkserver runs as ``zvmsdk``.

zvmsdk's ``sdkserver.service`` runs the connector as an unprivileged
user, so every file the connector reads (a transport file, an image to
import) or writes (an export target) must be open to that user, or come
through the remote host (scp). Started as root with ``--connector-user``,
the simulator becomes that user (creating it if missing, as a system user
without a login shell) once the connector is built, before it serves, and
gives it its state directory: a file the real connector could not read
fails here too.
"""

import encodings
import grp
import importlib
import os
import pkgutil
import pwd
import subprocess

# Modules imported lazily, at the first call that needs them: loaded
# before the drop, in case this Python's files are not readable by the
# connector's user (a tox environment under /root). A real connector's
# Python is installed for its user; this list only matters for tests.
PRELOAD = ('_strptime', 'zvmsdk.dist')


def _preload():
    # Every codec too: the guest's config drive names are UTF-16 (Joliet).
    names = list(PRELOAD) + ['encodings.' + m.name for m in
                             pkgutil.iter_modules(encodings.__path__)]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a codec of another platform (mbcs...)


class ConnectorUserError(Exception):
    pass


def ensure_user(name):
    """The passwd entry of name, created as a system user if missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    if os.geteuid() != 0:
        raise ConnectorUserError('user %s does not exist' % name)
    try:
        subprocess.run(['useradd', '--system', '--no-create-home',
                        '--shell', '/usr/sbin/nologin', name],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise ConnectorUserError('cannot create user %s: %s' % (name, e))
    return pwd.getpwnam(name)


def check(name):
    """The user exists (created if missing) and this process can become
    it; raises ConnectorUserError otherwise.
    """
    entry = ensure_user(name)
    if os.geteuid() not in (0, entry.pw_uid):
        raise ConnectorUserError('--connector-user needs root to become %s'
                                 % name)
    return entry


def become(name, state_dir):
    """Drop from root to name; the state directory becomes its own."""
    entry = ensure_user(name)
    if os.geteuid() != 0:
        if os.geteuid() == entry.pw_uid:
            return entry
        raise ConnectorUserError('--connector-user needs root to become %s'
                                 % name)
    _preload()
    for root, dirs, files in os.walk(state_dir):
        for item in [root] + [os.path.join(root, f) for f in files]:
            os.lchown(item, entry.pw_uid, entry.pw_gid)
    groups = [g.gr_gid for g in grp.getgrall() if name in g.gr_mem]
    os.setgroups(sorted(set(groups + [entry.pw_gid])))
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ['HOME'] = entry.pw_dir
    os.environ['USER'] = os.environ['LOGNAME'] = name
    return entry
