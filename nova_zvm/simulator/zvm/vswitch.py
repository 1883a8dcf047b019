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

"""Virtual switches: their definitions, access lists and reports.

A vswitch belongs to the system (``system.json`` ``vswitches``); who may
couple a NIC to it is its access list (GRANT/REVOKE through
Virtual_Network_Vswitch_Set_Extended). Which NICs are coupled is read from
the guests' active configuration (network.py). Answers follow smcli's
printing (smcliVirtual.c) where zvmsdk parses them.
"""

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import smcli

MAC_PREFIX = '02:00:00'

# SMAPI return/reason codes zvmsdk checks (smtclient's *_exception maps).
VSWITCH_NOT_FOUND = (212, 40)
VSWITCH_EXISTS = (212, 36)   # plausible code for "already defined"


def _error(code, text):
    return smcli.SMAPIError(code[0], code[1], text)


def vswitches(zvm):
    return zvm.state.system_info().get('vswitches', {})


def mac(macid):
    macid = macid.upper().zfill(6)
    return '%s:%s:%s:%s' % (MAC_PREFIX, macid[0:2], macid[2:4], macid[4:6])


def granted(zvm, vswitch, userid):
    vsw = vswitches(zvm).get(vswitch.upper())
    return bool(vsw) and userid.upper() in vsw.get('grants', {})


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
                  'adapter_macaddr: %s' % mac(macid).replace(':', '-'),
                  'adapter_type: QDIO']
    return '\n'.join(lines)
