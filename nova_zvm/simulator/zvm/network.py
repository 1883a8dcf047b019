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

"""Guests' NICs: in the directory, in the running guest, their coupling.

z/VM's rules modelled here (vswitches and their access lists: vswitch.py):

* A guest's NIC is a ``NICDEF <vdev> TYPE QDIO DEVICES 3`` directory
  statement (it takes three device numbers); ``NICDEF <vdev> LAN SYSTEM
  <vswitch>`` couples it at logon. Directory changes take effect at the
  next logon; the ``_DM``-less APIs change the running guest (its active
  configuration, ``record['active_nics']``, rebuilt at each logon).
* A NIC couples only to an existing vswitch that granted its owner.
* MAC addresses are the system's MAC prefix and a 3-byte MACID (from
  ``mac_id=`` or assigned by CP at logon).

Answers follow smcli's printing (smcliVirtual.c) where zvmsdk parses them.
"""

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import vswitch

NIC_DEVICES = 3

# SMAPI return/reason codes zvmsdk checks (smtclient's *_exception maps).
NOT_CONNECTED_DM = (212, 32)
NOT_AUTHORIZED = (212, 8)    # plausible: zvmsdk maps 212/8 to a conflict
DEVICE_IN_USE_DM = (404, 12)
NIC_NOT_FOUND_DM = (404, 8)
DEVICE_IN_USE = (204, 4)
DEVICE_NOT_FOUND = (204, 8)
ALREADY_CONNECTED = (204, 20)
NOT_CONNECTED = (204, 48)
NOT_ACTIVE = (200, 12)


def _error(code, text):
    return smcli.SMAPIError(code[0], code[1], text)


def nicdefs(record):
    """{vdev: {'macid', 'vswitch', 'vlan'}} from the NICDEF statements."""
    nics = {}
    for line in directory.statements(record, 'NICDEF'):
        words = line.upper().split()
        vdev = words[1].zfill(4)
        nic = nics.setdefault(vdev, {'macid': None, 'vswitch': None,
                                     'vlan': None})
        if 'MACID' in words:
            nic['macid'] = words[words.index('MACID') + 1]
        if words[2:4] == ['LAN', 'SYSTEM'] and len(words) > 4:
            nic['vswitch'] = words[4]
            if 'VLAN' in words:
                nic['vlan'] = words[words.index('VLAN') + 1]
    return nics


def _devices(vdev):
    base = int(vdev, 16)
    return set(range(base, base + NIC_DEVICES))


def _used_devices(record):
    """Device numbers the directory entry uses (minidisks, NICs...)."""
    used = set()
    for line in record['lines']:
        words = line.upper().split()
        if words[:1] in (['MDISK'], ['DEDICATE'], ['LINK']) and \
                len(words) > 1:
            try:
                used.add(int(words[1 if words[0] != 'LINK' else 2], 16))
            except (ValueError, IndexError):
                pass
    for vdev in nicdefs(record):
        used |= _devices(vdev)
    return used


def _new_macid(zvm):
    with zvm.state.update_system() as info:
        n = info.get('next_macid', 1)
        info['next_macid'] = n + 1
    return '%06X' % n


def logon(zvm, userid):
    """CP at logon: define the NICs of the directory, couple them."""
    with zvm.state.update_user(userid) as record:
        if record is None:
            return
        active = {}
        for vdev, nic in sorted(nicdefs(record).items()):
            vsw = nic['vswitch']
            if vsw and not vswitch.granted(zvm, vsw, userid):
                # CP leaves the NIC uncoupled (not authorized).
                vsw = None
            active[vdev] = {'macid': nic['macid'] or _new_macid(zvm),
                            'vswitch': vsw}
        record['active_nics'] = active


def _active_guest(zvm, userid):
    record = directory.get_guest(zvm, userid)
    if not directory.logged_on_here(zvm, record):
        raise _error(NOT_ACTIVE, 'Image %s not active' % userid)
    return record


# -- NICs in the directory ----------------------------------------------------

@smcli.api('Virtual_Network_Adapter_Create_Extended_DM')
def adapter_create_dm(zvm, req):
    vdev = req.keys['IMAGE_DEVICE_NUMBER'].upper().zfill(4)
    with directory.editing(zvm, req.target) as record:
        if _devices(vdev) & _used_devices(record):
            raise _error(DEVICE_IN_USE_DM, 'device %s in use' % vdev)
        line = 'NICDEF %s TYPE QDIO DEVICES %d' % (vdev, NIC_DEVICES)
        if req.keys.get('MAC_ID'):
            line += ' MACID %s' % req.keys['MAC_ID'].upper()
        record['lines'].append(line)
    return ''


@smcli.api('Virtual_Network_Adapter_Delete_DM')
def adapter_delete_dm(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with directory.editing(zvm, req.target) as record:
        if vdev not in nicdefs(record):
            raise _error(NIC_NOT_FOUND_DM, 'NIC %s not defined' % vdev)
        record['lines'] = [
            line for line in record['lines']
            if not (line.upper().split()[:1] == ['NICDEF'] and
                    line.split()[1].upper().zfill(4) == vdev)]
    return ''


@smcli.api('Virtual_Network_Adapter_Disconnect_DM')
def adapter_disconnect_dm(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with directory.editing(zvm, req.target) as record:
        nic = nicdefs(record).get(vdev)
        if nic is None:
            raise _error(NIC_NOT_FOUND_DM, 'NIC %s not defined' % vdev)
        if not nic['vswitch']:
            raise _error(NOT_CONNECTED_DM, 'NIC %s not connected' % vdev)
        record['lines'] = [
            line for line in record['lines']
            if not (line.upper().split()[:1] == ['NICDEF'] and
                    line.split()[1].upper().zfill(4) == vdev and
                    line.upper().split()[2:4] == ['LAN', 'SYSTEM'])]
    return ''


# -- NICs of the running guest ------------------------------------------------

@smcli.api('Virtual_Network_Adapter_Create_Extended')
def adapter_create(zvm, req):
    vdev = req.keys['IMAGE_DEVICE_NUMBER'].upper().zfill(4)
    with directory.editing(zvm, req.target, _active_guest) as record:
        active = record.setdefault('active_nics', {})
        for other in active:
            if _devices(vdev) & _devices(other):
                raise _error(DEVICE_IN_USE, 'device %s in use' % vdev)
        active[vdev] = {'macid': _new_macid(zvm), 'vswitch': None}
    return ''


@smcli.api('Virtual_Network_Adapter_Delete')
def adapter_delete(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with directory.editing(zvm, req.target, _active_guest) as record:
        if record.get('active_nics', {}).pop(vdev, None) is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
    return ''


@smcli.api('Virtual_Network_Adapter_Connect_Vswitch')
def adapter_connect(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    name = req.opt('n').upper()
    with directory.editing(zvm, req.target, _active_guest) as record:
        nic = record.get('active_nics', {}).get(vdev)
        if nic is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
        if name not in vswitch.vswitches(zvm):
            raise _error(vswitch.VSWITCH_NOT_FOUND,
                         'vswitch %s not found' % name)
        if nic.get('vswitch'):
            raise _error(ALREADY_CONNECTED, 'device %s connected' % vdev)
        if not vswitch.granted(zvm, name, req.target):
            raise _error(NOT_AUTHORIZED, '%s not authorized for %s' %
                         (req.target, name))
        nic['vswitch'] = name
    return ''


@smcli.api('Virtual_Network_Adapter_Disconnect')
def adapter_disconnect(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with directory.editing(zvm, req.target, _active_guest) as record:
        nic = record.get('active_nics', {}).get(vdev)
        if nic is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
        if not nic.get('vswitch'):
            raise _error(NOT_CONNECTED, 'device %s not connected' % vdev)
        nic['vswitch'] = None
    return ''


@smcli.api('Virtual_Network_Adapter_Query_Extended')
def adapter_query_extended(zvm, req):
    """The running guest's NICs (zvmsdk: get_adapters_info, register)."""
    record = _active_guest(zvm, req.target)
    wanted = req.keys.get('IMAGE_DEVICE_NUMBER', '*').strip("'").upper()
    nics = sorted(record.get('active_nics', {}).items())
    if wanted != '*':
        nics = [(v, n) for v, n in nics if v == wanted.zfill(4)]
    lines = ['adapter_count=%d' % len(nics)]
    for vdev, nic in nics:
        lines += ['adapter_address=%s' % vdev, 'port_type=QDIO',
                  'adapter_devices=%d' % NIC_DEVICES,
                  # Status codes are a plausible reading: 02 coupled and
                  # active, 01 defined but not coupled.
                  'adapter_status=%s' % ('02' if nic['vswitch'] else '01')]
        if nic['vswitch']:
            # An uncoupled NIC has no LAN: no owner, no name.
            lines += ['lan_owner=SYSTEM', 'lan_name=%s' % nic['vswitch']]
        macaddr = vswitch.mac(nic['macid']).replace(':', '')
        lines += ['mac_address=%s' % macaddr, 'adapter_info_end']
    return '\n'.join(lines)


def active_nic_text(record, vdev):
    """What ``vmcp q <vdev>`` answers inside the guest, or None."""
    vdev = vdev.upper().zfill(4)
    nic = record.get('active_nics', {}).get(vdev)
    if nic is None:
        return None
    lan = ('SYSTEM %s' % nic['vswitch']) if nic['vswitch'] else '* NONE'
    return ('NIC  %s ON NIC  %s  UNIT 000 SUBCHANNEL = 0000\n'
            '     %s QDIO ACTIVE  LAN %s\n' % (vdev, vdev, vdev, lan))
