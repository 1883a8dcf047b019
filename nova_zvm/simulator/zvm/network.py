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

"""Virtual networking: vswitches, guest NICs, their coupling.

z/VM's rules modelled here:

* A vswitch belongs to the system (``system.json`` ``vswitches``); who may
  couple to it is its access list (GRANT/REVOKE).
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

MAC_PREFIX = '02:00:00'
NIC_DEVICES = 3

# SMAPI return/reason codes zvmsdk checks (smtclient's *_exception maps).
VSWITCH_NOT_FOUND = (212, 40)
NOT_CONNECTED_DM = (212, 32)
NOT_AUTHORIZED = (212, 8)    # plausible: zvmsdk maps 212/8 to a conflict
VSWITCH_EXISTS = (212, 36)   # plausible code for "already defined"
DEVICE_IN_USE_DM = (404, 12)
NIC_NOT_FOUND_DM = (404, 8)
DEVICE_IN_USE = (204, 4)
DEVICE_NOT_FOUND = (204, 8)
ALREADY_CONNECTED = (204, 20)
NOT_CONNECTED = (204, 48)
NOT_ACTIVE = (200, 12)


def _error(code, text):
    return smcli.SMAPIError(code[0], code[1], text)


def vswitches(zvm):
    return zvm.state.system_info().get('vswitches', {})


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


def _mac(macid):
    macid = macid.upper().zfill(6)
    return '%s:%s:%s:%s' % (MAC_PREFIX, macid[0:2], macid[2:4], macid[4:6])


def _new_macid(zvm):
    with zvm.state.update_system() as info:
        n = info.get('next_macid', 1)
        info['next_macid'] = n + 1
    return '%06X' % n


def granted(zvm, vswitch, userid):
    vsw = vswitches(zvm).get(vswitch.upper())
    return bool(vsw) and userid.upper() in vsw.get('grants', {})


def logon(zvm, userid):
    """CP at logon: define the NICs of the directory, couple them."""
    with zvm.state.update_user(userid) as record:
        if record is None:
            return
        active = {}
        for vdev, nic in sorted(nicdefs(record).items()):
            vsw = nic['vswitch']
            if vsw and not granted(zvm, vsw, userid):
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


# -- vswitches ----------------------------------------------------------------

@smcli.api('Virtual_Network_Vswitch_Create_Extended')
def vswitch_create(zvm, req):
    name = req.keys['SWITCH_NAME'].upper()
    with zvm.state.update_system() as info:
        switches = info.setdefault('vswitches', {})
        if name in switches:
            raise _error(VSWITCH_EXISTS, 'vswitch %s exists' % name)
        rdev = req.keys.get('REAL_DEVICE_ADDRESS', '').strip("'")
        switches[name] = {
            'rdev': rdev.upper().split(),
            'controller': req.keys.get('CONTROLLER_NAME', '*'),
            'connection': req.keys.get('CONNECTION_VALUE', 'CONNECT'),
            'queue_mem': req.keys.get('QUEUE_MEMORY_LIMIT', '8'),
            'transport': req.keys.get('TRANSPORT_TYPE', 'ETHERNET'),
            'vlan': req.keys.get('VLAN_ID', 'UNAWARE').upper(),
            'port_type': req.keys.get('PORT_TYPE', 'ACCESS'),
            'native_vid': req.keys.get('NATIVE_VLANID', '1'),
            'gvrp': req.keys.get('GVRP_VALUE', 'GVRP'),
            'routing': req.keys.get('ROUTING_VALUE', 'NONROUTER'),
            'grants': {}}
    return ''


@smcli.api('Virtual_Network_Vswitch_Delete_Extended')
def vswitch_delete(zvm, req):
    name = req.keys['SWITCH_NAME'].upper()
    with zvm.state.update_system() as info:
        if info.setdefault('vswitches', {}).pop(name, None) is None:
            raise _error(VSWITCH_NOT_FOUND, 'vswitch %s not found' % name)
    return ''


@smcli.api('Virtual_Network_Vswitch_Set_Extended')
def vswitch_set(zvm, req):
    name = req.keys['SWITCH_NAME'].upper()
    with zvm.state.update_system() as info:
        vsw = info.setdefault('vswitches', {}).get(name)
        if vsw is None:
            raise _error(VSWITCH_NOT_FOUND, 'vswitch %s not found' % name)
        grants = vsw.setdefault('grants', {})
        for key, value in req.key_list:
            if key == 'GRANT_USERID':
                grants.setdefault(value.upper(), {'vlans': []})
            elif key == 'REVOKE_USERID':
                grants.pop(value.upper(), None)
            elif key == 'USER_VLAN_ID':
                if vsw['vlan'] == 'UNAWARE':
                    # CP: VLAN IDs on a VLAN UNAWARE vswitch.
                    raise smcli.SMAPIError(396, 2846, 'vswitch %s is VLAN '
                                                      'UNAWARE' % name)
                user = req.keys.get('GRANT_USERID', '').upper()
                grants.setdefault(user, {'vlans': []})['vlans'] = [value]
            elif key != 'SWITCH_NAME' and key != 'PERSIST':
                vsw[key.lower()] = value.strip("'")
    return ''


def adapters(zvm, vswitch):
    """(owner, vdev, macid) of the NICs coupled to ``vswitch`` now."""
    found = []
    for userid in zvm.state.userids():
        record = zvm.state.user(userid)
        if record is None or not directory.logged_on_here(zvm, record):
            continue
        for vdev, nic in sorted(record.get('active_nics', {}).items()):
            if nic.get('vswitch') == vswitch:
                found.append((userid, vdev, nic['macid']))
    return found


@smcli.api('Virtual_Network_Vswitch_Query')
def vswitch_query(zvm, req):
    wanted = req.opt('s', '*').upper()
    switches = vswitches(zvm)
    names = sorted(switches) if wanted == '*' else [wanted]
    if not names or any(n not in switches for n in names):
        raise _error(VSWITCH_NOT_FOUND, 'no vswitch %s' % wanted)
    out = []
    for name in names:
        vsw = switches[name]
        out.append('VSWITCH:  Name: %s\n'
                   '  Transport type: %s\n'
                   '  Port type: %s\n'
                   '  Queue memory limit: %s\n'
                   '  Routing value: %s\n'
                   '  VLAN ID: %s\n'
                   '  Native VLAN ID: %s\n'
                   '  MAC ID: 000000000000\n'
                   '  GVRP request attributes: %s\n'
                   '  GVRP enabled attributes: %s\n'
                   '  Switch status: Virtual switch defined\n'
                   '  Devices:' %
                   (name, vsw['transport'], vsw['port_type'],
                    vsw['queue_mem'], vsw['routing'], vsw['vlan'],
                    vsw['native_vid'], vsw['gvrp'], vsw['gvrp']))
        for rdev in vsw['rdev']:
            out.append('    Real device: %s' % rdev)
    return '\n'.join(out)


@smcli.api('Virtual_Network_Vswitch_Query_Extended')
def vswitch_query_extended(zvm, req):
    name = req.keys.get('SWITCH_NAME', '').upper()
    vsw = vswitches(zvm).get(name)
    if vsw is None:
        raise _error(VSWITCH_NOT_FOUND, 'vswitch %s not found' % name)
    basic = [('switch_name', name), ('transport_type', vsw['transport']),
             ('port_type', vsw['port_type']),
             ('queue_memory_limit', vsw['queue_mem']),
             ('routing_value', vsw['routing']),
             ('vlan_awareness',
              'UNAWARE' if vsw['vlan'] == 'UNAWARE' else 'AWARE'),
             ('vlan_id', vsw['vlan'] if vsw['vlan'] != 'UNAWARE' else '0'),
             ('native_vlan_id', vsw['native_vid']),
             ('mac_address', '02-00-00-00-00-00'),
             ('gvrp_request_attribute', vsw['gvrp']),
             ('gvrp_enabled_attribute', vsw['gvrp']),
             ('switch_status', '8' if vsw['rdev'] else '1'),
             ('link_ag', 'NO'), ('lag_interval', '0'), ('lag_group', '(NONE)'),
             ('IP_timeout', '5'), ('switch_type', 'QDIO'),
             ('isolation_status', 'OFF'), ('MAC_protect', 'UNSPECIFIED'),
             ('user_port_based', 'USERBASED'), ('VLAN_counters', 'E'),
             ('vepa_status', 'OFF'), ('spg_scope', 'NONE')]
    lines = [' %s: %s' % kv for kv in basic]
    for rdev in vsw['rdev']:
        lines += ['real_device_address: %s' % rdev,
                  'virtual_device_address: 0600',
                  'controller_name: DTCVSW1', 'port_name: (NONE)',
                  'device_status: 1', 'device_error_status 0']
    for port, (user, grant) in enumerate(sorted(vsw['grants'].items())):
        vlans = grant.get('vlans') or ['1']
        lines += ['port_num: %04d' % (port + 1), 'grant_userid: %s' % user,
                  'promiscuous_mode: NOPROM', 'osd_sim: NOOSDSIM',
                  'vlan_count: %d' % len(vlans)]
        lines += ['user_vlan_id: %s' % v for v in vlans]
    for owner, vdev, macid in adapters(zvm, name):
        lines += ['adapter_owner: %s' % owner, 'adapter_vdev: %s' % vdev,
                  'adapter_macaddr: %s' % _mac(macid).replace(':', '-'),
                  'adapter_type: QDIO']
    return '\n'.join(lines)


# -- NICs in the directory ----------------------------------------------------

@smcli.api('Virtual_Network_Adapter_Create_Extended_DM')
def adapter_create_dm(zvm, req):
    vdev = req.keys['IMAGE_DEVICE_NUMBER'].upper().zfill(4)
    with zvm.state.locked():
        record = directory.get_guest(zvm, req.target)
        if _devices(vdev) & _used_devices(record):
            raise _error(DEVICE_IN_USE_DM, 'device %s in use' % vdev)
        line = 'NICDEF %s TYPE QDIO DEVICES %d' % (vdev, NIC_DEVICES)
        if req.keys.get('MAC_ID'):
            line += ' MACID %s' % req.keys['MAC_ID'].upper()
        record['lines'].append(line)
        zvm.state.put_user(record)
    return ''


@smcli.api('Virtual_Network_Adapter_Delete_DM')
def adapter_delete_dm(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with zvm.state.locked():
        record = directory.get_guest(zvm, req.target)
        if vdev not in nicdefs(record):
            raise _error(NIC_NOT_FOUND_DM, 'NIC %s not defined' % vdev)
        record['lines'] = [
            line for line in record['lines']
            if not (line.upper().split()[:1] == ['NICDEF'] and
                    line.split()[1].upper().zfill(4) == vdev)]
        zvm.state.put_user(record)
    return ''


@smcli.api('Virtual_Network_Adapter_Disconnect_DM')
def adapter_disconnect_dm(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with zvm.state.locked():
        record = directory.get_guest(zvm, req.target)
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
        zvm.state.put_user(record)
    return ''


# -- NICs of the running guest ------------------------------------------------

@smcli.api('Virtual_Network_Adapter_Create_Extended')
def adapter_create(zvm, req):
    vdev = req.keys['IMAGE_DEVICE_NUMBER'].upper().zfill(4)
    with zvm.state.locked():
        record = _active_guest(zvm, req.target)
        active = record.setdefault('active_nics', {})
        for other in active:
            if _devices(vdev) & _devices(other):
                raise _error(DEVICE_IN_USE, 'device %s in use' % vdev)
        active[vdev] = {'macid': _new_macid(zvm), 'vswitch': None}
        zvm.state.put_user(record)
    return ''


@smcli.api('Virtual_Network_Adapter_Delete')
def adapter_delete(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with zvm.state.locked():
        record = _active_guest(zvm, req.target)
        if record.get('active_nics', {}).pop(vdev, None) is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
        zvm.state.put_user(record)
    return ''


@smcli.api('Virtual_Network_Adapter_Connect_Vswitch')
def adapter_connect(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    name = req.opt('n').upper()
    with zvm.state.locked():
        record = _active_guest(zvm, req.target)
        nic = record.get('active_nics', {}).get(vdev)
        if nic is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
        if name not in vswitches(zvm):
            raise _error(VSWITCH_NOT_FOUND, 'vswitch %s not found' % name)
        if nic.get('vswitch'):
            raise _error(ALREADY_CONNECTED, 'device %s connected' % vdev)
        if not granted(zvm, name, req.target):
            raise _error(NOT_AUTHORIZED, '%s not authorized for %s' %
                         (req.target, name))
        nic['vswitch'] = name
        zvm.state.put_user(record)
    return ''


@smcli.api('Virtual_Network_Adapter_Disconnect')
def adapter_disconnect(zvm, req):
    vdev = req.opt('v').upper().zfill(4)
    with zvm.state.locked():
        record = _active_guest(zvm, req.target)
        nic = record.get('active_nics', {}).get(vdev)
        if nic is None:
            raise _error(DEVICE_NOT_FOUND, 'device %s not found' % vdev)
        if not nic.get('vswitch'):
            raise _error(NOT_CONNECTED, 'device %s not connected' % vdev)
        nic['vswitch'] = None
        zvm.state.put_user(record)
    return ''


def active_nic_text(record, vdev):
    """What ``vmcp q <vdev>`` answers inside the guest, or None."""
    vdev = vdev.upper().zfill(4)
    nic = record.get('active_nics', {}).get(vdev)
    if nic is None:
        return None
    lan = ('SYSTEM %s' % nic['vswitch']) if nic['vswitch'] else '* NONE'
    return ('NIC  %s ON NIC  %s  UNIT 000 SUBCHANNEL = 0000\n'
            '     %s QDIO ACTIVE  LAN %s\n' % (vdev, vdev, vdev, lan))
