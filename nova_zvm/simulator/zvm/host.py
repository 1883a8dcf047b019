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

"""The LPAR z/VM runs in: processors, storage, what the host reports.

Owns the SMAPI system queries smtLayer's ``getHost general`` issues
(System_Processor_Query, System_Information_Query,
System_Performance_Information_Query) and ``/proc/sysinfo`` of the
connector's own guest, which the s390x kernel fills from the machine and
the LPAR and which getHost reads with ``open()``. There is no such file
off s390x: the texts of such kernel files are registered here with
:func:`proc_file` (also the reader's ``online`` file getVM opens) and
zccguest.py serves them to the smtLayer modules that read them.

The LPAR's processors and storage come from ``state.system_info()``
(``cpus``, ``memory_mb``; optional ``cpus_standby``, ``cec_type``).
"""

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli

ZVM_VERSION = '7.3.0'
CEC_TYPE = '8561'           # an IBM z15 T01
PAGE = 4096
# Storage CP itself keeps resident (nucleus, frames tables...): 2 GB.
CP_RESIDENT_MB = 2048

_PROC_FILES = {}


def proc_file(path):
    """Register ``fn(zvm) -> text`` as the content of a kernel file."""
    def register(fn):
        _PROC_FILES[path] = fn
        return fn
    return register


def proc_file_text(zvm, path):
    """The text of a registered kernel file, or None for any other path."""
    fn = _PROC_FILES.get(path)
    return None if fn is None else fn(zvm)


def lpar(zvm):
    info = zvm.state.system_info()
    cpus = int(info.get('cpus', 16))
    return {'cpus': cpus,
            'standby': int(info.get('cpus_standby', 0)),
            'memory_mb': int(info.get('memory_mb', 65536)),
            'cec_type': info.get('cec_type', CEC_TYPE)}


@proc_file('/proc/sysinfo')
def sysinfo(zvm):
    """/proc/sysinfo of a z/VM guest (the fields getHost reads)."""
    p = lpar(zvm)
    total = p['cpus'] + p['standby']
    return ('Manufacturer:         IBM\n'
            'Type:                 %(type)s\n'
            'Model:                716              T01\n'
            'Sequence Code:        00000000000AB123\n'
            'Plant:                02\n'
            '\n'
            'LPAR Number:          1\n'
            'LPAR Name:            %(system)s\n'
            'LPAR CPUs Total:      %(total)d\n'
            'LPAR CPUs Configured: %(cpus)d\n'
            'LPAR CPUs Standby:    %(standby)d\n'
            '\n'
            'VM00 Name:            %(system)s\n'
            'VM00 Control Program: z/VM    %(version)s\n'
            'VM00 CPUs Total:      2\n'
            'VM00 CPUs Configured: 2\n' %
            {'type': p['cec_type'], 'system': zvm.state.system,
             'total': total, 'cpus': p['cpus'], 'standby': p['standby'],
             'version': ZVM_VERSION})


@smcli.api('System_Processor_Query')
def system_processor_query(zvm, req):
    p = lpar(zvm)
    lines = ['Partition mode: Z/VM', '', 'ADDRESS STATUS TYPE CORE_ID']
    for i in range(p['cpus'] + p['standby']):
        if i == 0:
            status = 'MASTER-PROCESSOR'
        elif i < p['cpus']:
            status = 'ALTERNATE'
        else:
            status = 'STANDBY'
        lines.append('%04X %s IFL %04X' % (i, status, i // 2))
    return '\n'.join(lines)


def _size(mb):
    return '%dG' % (mb // 1024) if mb % 1024 == 0 else '%dM' % mb


@smcli.api('System_Information_Query')
def system_information_query(zvm, req):
    p = lpar(zvm)
    # The STORAGE record's layout is a plausible guess: smtLayer takes the
    # online size from 'STORAGE=ONLINE=<size>' (token 1) and the standby
    # size from token 5.
    return ('STORAGE=ONLINE=%s PARTITION=%s CONFIGURED=%s INC=256M '
            'STANDBY=0M RESERVED=0M' %
            (_size(p['memory_mb']), _size(p['memory_mb']),
             _size(p['memory_mb'])))


def guest_storage_mb(record):
    """The storage a guest logs on with: its USER statement's size."""
    words = (directory.statements(record, 'USER') or [''])[0].split()
    if len(words) > 3:
        return to_mb(words[3])
    return 0


def guest_max_storage_mb(record):
    words = (directory.statements(record, 'USER') or [''])[0].split()
    if len(words) > 4:
        return to_mb(words[4])
    return guest_storage_mb(record)


def to_mb(text):
    text = text.upper()
    factor = {'K': 1.0 / 1024, 'M': 1, 'G': 1024, 'T': 1024 * 1024}
    if text and text[-1] in factor:
        return int(float(text[:-1]) * factor[text[-1]])
    return int(text) // (1024 * 1024)


def logged_on_records(zvm):
    """Directory records of the guests logged on on this system."""
    records = []
    for userid in zvm.state.userids():
        record = zvm.state.user(userid)
        if record and directory.logged_on_here(zvm, record):
            records.append(record)
    return records


@smcli.api('System_Performance_Information_Query')
def system_performance_information_query(zvm, req):
    used_mb = CP_RESIDENT_MB + sum(guest_storage_mb(r)
                                   for r in logged_on_records(zvm))
    pages = used_mb * 1024 * 1024 // PAGE
    return '\n'.join(['SYSTEM_NAME=%s' % zvm.state.system,
                      'MEMORY_IN_USE=%d' % pages,
                      'PAGING_SPACE_IN_USE=0'])


@proc_file('/sys/bus/ccw/drivers/vmur/0.0.000c/online')
def reader_online(zvm):
    """The connector's virtual reader (000C) is online (getVM console)."""
    return '1\n'
