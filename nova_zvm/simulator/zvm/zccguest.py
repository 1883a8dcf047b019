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

"""The connector's own Linux guest: files smtLayer reads without a program.

smtLayer reads a few files of the machine it runs on directly, and one
fact from ``os.uname()``:

* getHost: ``/proc/sysinfo`` (the LPAR's CPUs, CEC type and maker, z/VM
  level) and ``os.uname()``'s machine (``s390x`` on a real connector);
* getVM: ``/sys/bus/ccw/drivers/vmur/0.0.000c/online`` (is the
  connector's reader online, before it reads a guest's console);
* changeVM: ``/var/lib/zvmsdk/setupDisk`` (zvmsdk's disk set-up script,
  installed there by a connector's package; pip puts it under
  site-packages), checked with ``os.path.isfile`` and copied with
  ``shutil.copyfile``.

They are the simulator's second seam: each of those three modules gets an
``open`` (and changeVM an ``os``/``shutil``, getHost an ``os``) that
answers exactly these paths: the kernel files with the text host.py
writes for them, setupDisk from a copy under the state directory; every
other path and function is the real one.
"""

import builtins
import io
import os
import shutil
import types

from nova_zvm.simulator.zvm import host

SETUP_DISK = '/var/lib/zvmsdk/setupDisk'


def _uname():
    real = os.uname()
    return os.uname_result((real.sysname, real.nodename, real.release,
                            real.version, 's390x'))


class GuestFiles(object):
    """The connector guest's files, mapped to real files in ``root``."""

    def __init__(self, zvm, root):
        import zvmsdk
        os.makedirs(root, exist_ok=True)
        self.zvm = zvm
        self.paths = {SETUP_DISK: os.path.join(root, 'setupDisk')}
        shipped = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(zvmsdk.__file__))), 'var', 'lib', 'zvmsdk',
            'setupDisk')
        shutil.copyfile(shipped, self.paths[SETUP_DISK])

    def map(self, path):
        return self.paths.get(path, path)

    def open(self, file, *args, **kwargs):
        # Kernel files (host.py) are written by the fake z/VM when read.
        text = host.proc_file_text(self.zvm, file)
        if text is not None:
            return io.StringIO(text)
        return builtins.open(self.map(file), *args, **kwargs)

    def os_module(self, uname=False):
        """``os`` with ``path.isfile``/``exists`` (and uname) mapped."""
        guest_os = types.ModuleType('os')
        guest_os.__dict__.update(os.__dict__)
        guest_path = types.ModuleType('os.path')
        guest_path.__dict__.update(os.path.__dict__)
        guest_path.isfile = lambda p: os.path.isfile(self.map(p))
        guest_path.exists = lambda p: os.path.exists(self.map(p))
        guest_os.path = guest_path
        if uname:
            guest_os.uname = _uname
        return guest_os

    def shutil_module(self):
        guest_shutil = types.ModuleType('shutil')
        guest_shutil.__dict__.update(shutil.__dict__)
        guest_shutil.copyfile = (
            lambda src, dst, **kw: shutil.copyfile(self.map(src), dst, **kw))
        return guest_shutil


def install(zvm, system_dir):
    """Give getHost, getVM and changeVM the connector guest's files."""
    from smtLayer import changeVM
    from smtLayer import getHost
    from smtLayer import getVM
    files = GuestFiles(zvm, os.path.join(system_dir, 'zccguest'))
    getHost.open = files.open
    getHost.os = files.os_module(uname=True)
    getVM.open = files.open
    changeVM.open = files.open
    changeVM.os = files.os_module()
    changeVM.shutil = files.shutil_module()
    return files
