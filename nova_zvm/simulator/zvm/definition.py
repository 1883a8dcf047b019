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

"""DirMaint's edits of a directory entry: the Image_Definition_* APIs.

zvmsdk resizes a guest by editing its directory entry (effective at the
next logon):

* CPUs: Image_Definition_Update_DM ``-k CPU=CPUADDR=nn`` adds a ``CPU nn``
  statement, Image_Definition_Delete_DM removes one; ``-k
  SHARE=RELATIVE=n`` sets the ``SHARE`` statement. A CPU address must be
  below the ``MACHINE ESA <max>`` count and not already defined.
* Memory: Image_Lock_DM, then Image_Replace_DM with the whole new entry
  (which unlocks it); Image_Unlock_DM. A replacement needs the lock, keeps
  the userid and the minidisks (DirMaint does not move extents on a
  replace).

What a guest gets at logon is both its ``CPU`` statements and the CPUs
its ``COMMAND DEFINE CPU`` statements define (smtLayer creates guests
with the latter): :func:`logon_cpus`.
"""

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli

RC_LOCK = 400
RS_ALREADY_LOCKED = 12
RS_NOT_LOCKED = 24
# DirMaint answers for a statement it cannot add or remove (most
# plausible message numbers; the real ones are not known here).
RS_STATEMENT_EXISTS = 3203
RS_STATEMENT_MISSING = 3204
RS_BAD_OPERAND = 3205
RS_REPLACE_CHANGES = 3206


def max_cpus(record):
    for line in directory.statements(record, 'MACHINE'):
        words = line.split()
        if len(words) > 2 and words[2].isdigit():
            return int(words[2])
    return 1


def logon_cpus(record):
    """Sorted CPU addresses a guest has after its next logon."""
    cpus = set()
    for line in record['lines']:
        words = line.upper().split()
        if words[:1] == ['CPU'] and len(words) > 1:
            cpus.add(words[1].rjust(2, '0'))
        elif words[:3] == ['COMMAND', 'DEFINE', 'CPU'] and len(words) > 3:
            cpus.add(words[3].rjust(2, '0'))
    return sorted(cpus)


def _operands(req, name):
    return [value for key, value in req.key_list if key == name]


def _cpu_addr(value):
    sub, _, addr = value.partition('=')
    if sub.upper() != 'CPUADDR' or not addr:
        raise smcli.SMAPIError(smcli.RC_DIRMAINT, RS_BAD_OPERAND,
                               'bad CPU operand %s' % value)
    return addr.upper().rjust(2, '0')


def _cpu_line(record, addr):
    for line in directory.statements(record, 'CPU'):
        if line.split()[1].upper().rjust(2, '0') == addr:
            return line
    return None


@smcli.api('Image_Definition_Update_DM')
def definition_update(zvm, req):
    with directory.editing(zvm, req.target) as record:
        for value in _operands(req, 'CPU'):
            addr = _cpu_addr(value)
            if _cpu_line(record, addr):
                raise smcli.SMAPIError(smcli.RC_DIRMAINT, RS_STATEMENT_EXISTS,
                                       'CPU %s already defined' % addr)
            if int(addr, 16) >= max_cpus(record):
                raise smcli.SMAPIError(smcli.RC_DIRMAINT, RS_BAD_OPERAND,
                                       'CPU %s beyond MACHINE maximum' % addr)
            record['lines'].append('CPU %s' % addr)
        for value in _operands(req, 'SHARE'):
            kind, _, amount = value.partition('=')
            share = 'SHARE %s %s' % (kind.upper(), amount)
            old = directory.statements(record, 'SHARE')
            if old:
                record['lines'][record['lines'].index(old[0])] = share
            else:
                record['lines'].append(share)
    return ''


@smcli.api('Image_Definition_Delete_DM')
def definition_delete(zvm, req):
    with directory.editing(zvm, req.target) as record:
        for value in _operands(req, 'CPU'):
            addr = _cpu_addr(value)
            line = _cpu_line(record, addr)
            if line is None:
                raise smcli.SMAPIError(smcli.RC_DIRMAINT,
                                       RS_STATEMENT_MISSING,
                                       'CPU %s not defined' % addr)
            record['lines'].remove(line)
    return ''


@smcli.api('Image_Lock_DM')
def image_lock(zvm, req):
    with directory.editing(zvm, req.target) as record:
        if record.get('locked'):
            raise smcli.SMAPIError(RC_LOCK, RS_ALREADY_LOCKED,
                                   'Image definition is already locked')
        record['locked'] = True
    return ''


@smcli.api('Image_Unlock_DM')
def image_unlock(zvm, req):
    with directory.editing(zvm, req.target) as record:
        if not record.get('locked'):
            raise smcli.SMAPIError(RC_LOCK, RS_NOT_LOCKED,
                                   'Image definition is not locked')
        record['locked'] = False
    return ''


def _mdisks(lines):
    return sorted(' '.join(line.split()) for line in lines
                  if line.split()[:1] == ['MDISK'])


@smcli.api('Image_Replace_DM')
def image_replace(zvm, req):
    with open(req.opt('f')) as f:
        # DirMaint regenerates its own *DVHOPT line.
        lines = [line.rstrip() for line in f
                 if line.strip() and not line.startswith('*DVHOPT')]
    with directory.editing(zvm, req.target) as record:
        if not record.get('locked'):
            raise smcli.SMAPIError(RC_LOCK, RS_NOT_LOCKED,
                                   'Image definition is not locked')
        first = lines[0].split() if lines else []
        if first[:2] != ['USER', req.target]:
            raise smcli.SMAPIError(smcli.RC_DIRMAINT, RS_BAD_OPERAND,
                                   'entry is not USER %s' % req.target)
        if _mdisks(lines) != _mdisks(record['lines']):
            raise smcli.SMAPIError(smcli.RC_DIRMAINT, RS_REPLACE_CHANGES,
                                   'replacement changes minidisks')
        record['lines'] = lines
        record['locked'] = False
    return ''
