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

"""The connector's own Linux guest: what smtLayer reads from its kernel.

smtLayer.getHost reads two facts of the machine it runs on without
running a program: the file ``/proc/sysinfo`` (the LPAR's CPUs, the CEC
type and manufacturer, the z/VM level) and ``os.uname()``'s machine
(``s390x`` on a real connector). They are the simulator's second seam:
getHost's module gets an ``open`` that serves that one path from the
fake z/VM's state, and an ``os`` whose ``uname()`` says s390x. Every
other file and every other function of ``os`` are the real ones.
"""

import builtins
import os
import types

SYSINFO = '/proc/sysinfo'

SYSINFO_TEXT = """Manufacturer:         IBM
Type:                 3931
Model:                704              A01
Sequence Code:        00000000000A1B2C
Plant:                02
LPAR Number:          1
LPAR Characteristics: Shared
LPAR Name:            %(lpar)s
LPAR CPUs Total:      %(cpus)d
LPAR CPUs Configured: %(cpus)d
LPAR CPUs Standby:    0
LPAR CPUs Reserved:   0
LPAR CPUs Dedicated:  0
LPAR CPUs Shared:     %(cpus)d

VM00 Name:            %(zcc)s
VM00 Control Program: z/VM    7.3.0
VM00 Adjustment:      1000
VM00 CPUs Total:      4
VM00 CPUs Configured: 4
"""


def write_sysinfo(zvm, path):
    info = zvm.state.system_info()
    with open(path, 'w') as f:
        f.write(SYSINFO_TEXT % {'lpar': info['name'], 'cpus': info['cpus'],
                                'zcc': info['zcc_userid']})


def _uname():
    real = os.uname()
    return os.uname_result((real.sysname, real.nodename, real.release,
                            real.version, 's390x'))


def install(zvm, system_dir):
    """Give smtLayer.getHost the connector guest's /proc/sysinfo and uname."""
    from smtLayer import getHost
    path = os.path.join(system_dir, 'sysinfo')
    write_sysinfo(zvm, path)

    def guest_open(file, *args, **kwargs):
        if file == SYSINFO:
            file = path
        return builtins.open(file, *args, **kwargs)

    guest_os = types.ModuleType('os')
    guest_os.__dict__.update(os.__dict__)
    guest_os.uname = _uname
    getHost.open = guest_open
    getHost.os = guest_os
