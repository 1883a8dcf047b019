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

"""Files of the connector's Linux guest that zvmsdk reads at fixed paths.

Two code paths of the real connector read files no program answers for:

* smtLayer's getVM.getConsole opens
  ``/sys/bus/ccw/drivers/vmur/0.0.000c/online`` (the connector's virtual
  reader must be online) before listing the console files;
* smtclient.process_additional_minidisks punches
  ``/var/lib/zvmsdk/setupDisk``, a file the zVMCloudConnector package
  installs there (pip puts it under ``site-packages/var/lib/zvmsdk``).

:func:`command_prefix` runs the connector's child process in a private
mount namespace (``unshare``) where both exist, without touching the
machine's own /sys or /var/lib. None when namespaces are not available.
"""

import importlib.util
import os
import shutil
import subprocess

READER_ONLINE = '/sys/bus/ccw/drivers/vmur/0.0.000c'

_SCRIPT = ('mount -t tmpfs tmpfs /sys/bus && mkdir -p %(rdr)s && '
           'echo 1 > %(rdr)s/online && mount -t tmpfs tmpfs /var/lib && '
           'mkdir -p /var/lib/zvmsdk && cp -r "$ZVMSDK_DATA"/. '
           '/var/lib/zvmsdk/ && exec "$@"' % {'rdr': READER_ONLINE})


def zvmsdk_data_dir():
    """Where pip installed zvmsdk's /var/lib/zvmsdk files."""
    spec = importlib.util.find_spec('zvmsdk')
    site = os.path.dirname(os.path.dirname(spec.origin))
    return os.path.join(site, 'var', 'lib', 'zvmsdk')


def command_prefix():
    unshare = shutil.which('unshare')
    if not unshare or not os.path.isdir(zvmsdk_data_dir()):
        return None
    base = [unshare, '-rm', '--propagation', 'private']
    try:
        subprocess.run(base + ['true'], check=True, capture_output=True,
                       timeout=30)
    except (subprocess.SubprocessError, OSError):
        return None
    return base + ['env', 'ZVMSDK_DATA=%s' % zvmsdk_data_dir(),
                   'sh', '-c', _SCRIPT, 'sh']
