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

"""NICs (NICDEF statements), vswitches and the connector's switch table.

A NIC occupies three virtual devices (vdev, vdev+1, vdev+2). zvmsdk picks
the next one from its switch table: 1000 first, then the highest known
vdev + 3 (so 1000, 1003, 1006...), in lower-case hex without padding, as
``hex()`` writes it. Like z/VM, a NIC's MAC address is the system MAC
prefix plus its 6-digit MACID: only the last three bytes of a requested
address survive.

Each NIC in a guest record carries both its directory definition (vdev,
MACID, coupled vswitch, VLAN) and whether the connector's switch table has
a row for it (``in_db``, with ``port``, the nic_id/Neutron port), because
zvmsdk's answers depend on that table and not only on z/VM.
"""

import time
import uuid

import netaddr
from zvmsdk import constants as zvm_constants
from zvmsdk import utils as zvmutils

from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import errors

DEFAULT_NIC_VDEV = '1000'
#: z/VM's system MAC prefix (the first three bytes of every NIC address).
MAC_PREFIX = '02:55:36'


def mac_address(mac_id):
    return '%s:%s:%s:%s' % (MAC_PREFIX, mac_id[0:2].lower(),
                            mac_id[2:4].lower(), mac_id[4:6].lower())


def _vswitch_info(vsw, guests):
    """vswitch_query's answer, keys as zvmsdk parses SMAPI's output."""
    info = {
        'switch_name': vsw['name'],
        'transport_type': vsw['network_type'].upper(),
        'port_type': vsw['port_type'].upper(),
        'queue_memory_limit': str(vsw['queue_mem']),
        'routing_value': (vsw['router'] or 'NA').upper(),
        'vlan_awareness': ('UNAWARE' if str(vsw['vid']).upper() == 'UNAWARE'
                           else 'AWARE'),
        'vlan_id': ('0000' if str(vsw['vid']).upper() in ('UNAWARE', 'AWARE')
                    else '%04d' % int(vsw['vid'])),
        'native_vlan_id': '%04d' % (vsw['native_vid'] or 0),
        'mac_address': '02-00-00-00-00-01',
        'gvrp_request_attribute': vsw['gvrp'].upper(),
        'gvrp_enabled_attribute': vsw['gvrp'].upper(),
        'switch_status': zvm_constants.SWITCH_STATUS[
            '8' if vsw['rdev'] else '1'],
        'link_ag': 'NO',
        'lag_interval': '0',
        'lag_group': '(NOGRP)',
        'IP_timeout': '5',
        'switch_type': 'QDIO',
        'isolation_status': 'OFF',
        'MAC_protect': 'UNSPECIFIED',
        'user_port_based': 'USERBASED',
        'VLAN_counters': 'OFF',
        'real_devices': {},
        'authorized_users': {},
        'adapters': {},
    }
    for rdev in (vsw['rdev'] or '').replace(',', ' ').split():
        info['real_devices'][rdev.upper()] = {
            'vdev': rdev.upper(), 'controller': 'DTCVSW1',
            'port_name': 'NONE', 'dev_status': zvm_constants.DEV_STATUS['1'],
            'dev_err': zvm_constants.DEV_ERROR['0']}
    unaware = info['vlan_awareness'] == 'UNAWARE'
    for port, (userid, grant) in enumerate(sorted(
            vsw['authorized'].items())):
        info['authorized_users'][userid] = {
            'port_num': '%04d' % port, 'prom_mode': 'NOPROM',
            'osd_sim': 'NOOSDSIM',
            'vlan_count': 0 if unaware else len(grant['vlan_ids']),
            'vlan_ids': [] if unaware else list(grant['vlan_ids'])}
    for g in guests:
        if not g['directory'] or g['power'] != 'on':
            continue
        for nic in g['nics'].values():
            if nic.get('live') and nic.get('vswitch', '') and (
                    nic['vswitch'].upper() == vsw['name']):
                info['adapters']['%s_%s' % (g['userid'], nic['vdev'])] = {
                    'mac': mac_address(nic['mac_id']).replace(':', '-')
                    .upper(), 'type': 'QDIO'}
    return info


class NetworkAPI(object):
    """SDKAPI calls on NICs and vswitches. Mixed into HypervisorModel."""

    # -- NIC helpers ---------------------------------------------------------

    @staticmethod
    def _nicdef(nic):
        line = 'NICDEF %s TYPE QDIO' % nic['vdev'].upper()
        if nic.get('vswitch'):
            line += ' LAN SYSTEM %s' % nic['vswitch']
            if nic.get('vlan') is not None:
                line += ' VLAN %s PORTTYPE ACCESS' % nic['vlan']
        return line + ' MACID %s' % nic['mac_id']

    def _adapters(self, g):
        """Virtual_Network_Adapter_Query_Extended, as zvmsdk parses it."""
        adapters = []
        for key in sorted(g['nics']):
            nic = g['nics'][key]
            adapter = {'adapter_address': key,
                       'adapter_status': '02' if nic.get('vswitch') else '00',
                       'lan_owner': 'SYSTEM' if nic.get('vswitch') else '',
                       'lan_name': nic.get('vswitch') or '',
                       'mac_address': mac_address(nic['mac_id']),
                       'mac_ip_version': '4'}
            conf = g['network_config'].get(key) or {}
            if conf.get('ip_addr'):
                adapter['mac_ip_address'] = conf['ip_addr']
            adapters.append(adapter)
        if not adapters or not g['directory']:
            raise errors.guest_op(rs=5, userid=g['userid'],
                                  msg='get_network_info:No NIC found on '
                                      'userid %s' % g['userid'])
        return adapters

    def _available_vdev(self, g, vdev):
        """smtclient._get_available_vdev over the guest's switch rows."""
        userid = g['userid']
        used = [n['vdev'] for n in g['nics'].values() if n.get('in_db')]
        if not used:
            nic_vdev = vdev if vdev is not None else DEFAULT_NIC_VDEV
        elif vdev is None:
            nic_vdev = str(hex(int(max(used), 16) + 3))[2:]
        else:
            value = int(vdev, 16)
            for u in used:
                if int(u, 16) - 2 <= value <= int(u, 16) + 2:
                    raise errors.conflict(
                        'network', 6, vdev=vdev, userid=userid,
                        msg='The specified virtual device number %s has '
                            'already been used.' % vdev)
            nic_vdev = vdev
        if len(nic_vdev) > 4 or len(hex(int(nic_vdev, 16) + 2)[2:]) > 4:
            raise errors.invalid('Virtual device number %s is not valid' %
                                 nic_vdev)
        return nic_vdev

    def _require_on(self, g):
        if self._power_state(g) == 'off':
            raise errors.conflict('network', 1, userid=g['userid'])

    def _create_nic(self, g, vdev=None, nic_id=None, mac_addr=None,
                    active=False):
        userid = g['userid']
        nic_vdev = self._available_vdev(g, vdev)
        if active:
            self._require_on(g)
        self._require_directory(
            g, 'SMAPI %s API Virtual_Network_Adapter_Create_Extended_DM' %
            userid)
        value = int(nic_vdev, 16)
        for dev in list(g['disks']) + list(g['dedicates']) + list(
                g['nics']):
            # A NIC spans three devices; the others one.
            width = 2 if dev in g['nics'] else 0
            if value <= int(dev, 16) + width and int(dev, 16) <= value + 2:
                raise errors.conflict(
                    'network', 6, vdev=nic_vdev, userid=userid,
                    msg='Image device %s is already defined' % dev)
        if mac_addr is not None:
            mac_id = ''.join(mac_addr.split(':'))[6:].upper()
        else:
            mac_id = uuid.uuid4().hex[:6].upper()
        g['nics'][disks.canonical_vdev(nic_vdev)] = {
            'vdev': nic_vdev, 'mac_id': mac_id, 'vswitch': None,
            'vlan': None, 'port': nic_id, 'in_db': True,
            'live': bool(active)}
        return nic_vdev

    def _delete_nic(self, g, vdev, active=False):
        if active:
            self._require_on(g)
        key = disks.canonical_vdev(vdev)
        nic = g['nics'].get(key)
        if nic is None or not nic.get('in_db'):
            # Not in the switch table: zvmsdk leaves the directory alone.
            return
        g['nics'].pop(key, None)

    def _revoke(self, vswitch, userid):
        with self._net_lock:
            vsw = self._vswitches.get(vswitch.upper())
            if vsw is not None and vsw['authorized'].pop(userid, None):
                self._save_host_state()

    # -- SDKAPI: NICs --------------------------------------------------------

    def guest_create_nic(self, userid, vdev=None, nic_id=None,
                         mac_addr=None, active=False):
        userid = self._checked(userid)
        if mac_addr is not None and not zvmutils.valid_mac_addr(mac_addr):
            raise errors.invalid('Invalid mac address, format should be '
                                 'xx:xx:xx:xx:xx:xx, and x is a hexadecimal '
                                 'digit')
        with self._edit(userid) as g:
            return self._create_nic(g, vdev, nic_id, mac_addr, active)

    def guest_delete_nic(self, userid, vdev, active=False):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._delete_nic(g, vdev, active)

    def guest_create_network_interface(self, userid, os_version,
                                       guest_networks, active=False):
        """Create one NIC per network and punch its configuration; returns
        ``guest_networks`` with ``nic_vdev`` filled (1000, 1003...).
        """
        userid = self._checked(userid)
        if len(guest_networks) == 0:
            raise errors.invalid('API guest_create_network_interface: '
                                 'Network information is required but not '
                                 'provided')
        api = 'API guest_create_network_interface: '
        with self._edit(userid) as g:
            for network in guest_networks:
                mac = network.get('mac_addr')
                if mac is not None and not zvmutils.valid_mac_addr(mac):
                    raise errors.invalid(
                        api + 'Invalid mac address, format should be '
                        'xx:xx:xx:xx:xx:xx, and x is a hexadecimal digit')
                ip = network.get('ip_addr')
                if ip is not None and not netaddr.valid_ipv4(ip):
                    raise errors.invalid(
                        api + 'Invalid management IP address, it should be '
                        'the value between 0.0.0.0 and 255.255.255.255')
                dns = network.get('dns_addr')
                if dns is not None:
                    if not isinstance(dns, list):
                        raise errors.invalid_types(
                            'guest_config_network', str(list),
                            str(type(dns)))
                    for addr in dns:
                        if not netaddr.valid_ipv4(addr):
                            raise errors.invalid(
                                api + 'Invalid dns IP address, it should be '
                                'the value between 0.0.0.0 and '
                                '255.255.255.255')
                gateway = network.get('gateway_addr')
                if gateway is not None and not netaddr.valid_ipv4(gateway):
                    raise errors.invalid(
                        api + 'Invalid gateway IP address, it should be the '
                        'value between 0.0.0.0 and 255.255.255.255')
                cidr = network.get('cidr')
                if cidr is not None and not zvmutils.valid_cidr(cidr):
                    raise errors.invalid(
                        api + 'Invalid CIDR, format should be a.b.c.d/n, and '
                        'a.b.c.d is IP address, n is the value between 0-32')
                if network.get('osa_device') is not None:
                    raise errors.not_implemented(
                        'dedicate OSA device %s' % network['osa_device'],
                        mod='network')
                network['nic_vdev'] = self._create_nic(
                    g, network.get('nic_vdev'), network.get('nic_id'), mac,
                    active)
            # The configuration is punched after all NICs exist, and fails
            # for an OS zvmsdk cannot configure (NICs stay, as in zvmsdk).
            disks.check_os_version(os_version)
            for network in guest_networks:
                key = disks.canonical_vdev(network['nic_vdev'])
                g['network_config'][key] = {
                    k: network.get(k) for k in (
                        'ip_addr', 'dns_addr', 'gateway_addr', 'cidr',
                        'mac_addr', 'hostname', 'nic_id')}
            g['reader'].append({'file': 'network.doscript', 'class': 'X',
                                'kind': 'network'})
            if g['db']['net_set'] in ('0', 0):
                g['db']['net_set'] = '1'
            if active:
                self._iucv(g, 'systemctl restart zvmguestconfigure.service')
        return guest_networks

    def guest_delete_network_interface(self, userid, os_version, vdev,
                                       active=False):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            self._delete_nic(g, vdev, active)
            disks.check_os_version(os_version)
            g['network_config'].pop(disks.canonical_vdev(vdev), None)
            g['reader'].append({'file': 'DEL%s.sh' % str(vdev).zfill(4),
                                'class': 'X', 'kind': 'network'})
            if active:
                self._iucv(g, 'systemctl restart zvmguestconfigure.service')

    def guest_nic_couple_to_vswitch(self, userid, nic_vdev, vswitch_name,
                                    active=False, vlan_id=-1):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            nic = g['nics'].get(disks.canonical_vdev(nic_vdev))
            if nic is not None and nic.get('vswitch') == vswitch_name:
                return
            if nic is None or not nic.get('in_db'):
                raise errors.not_found('User %s with nic %s' %
                                       (userid, nic_vdev), 'network')
            if active:
                self._require_on(g)
                vsw = self._vswitches.get(vswitch_name.upper())
                if vsw is None:
                    raise errors.not_found('Vswitch %s' % vswitch_name,
                                           'network')
                if userid not in vsw['authorized']:
                    raise errors.conflict(
                        'network', 10, vdev=nic_vdev, userid=userid,
                        vsw=vswitch_name,
                        msg='HCPNDF6011E %s is not authorized to couple '
                            'to %s' % (userid, vswitch_name))
                nic['live'] = True
            nic['vswitch'] = vswitch_name
            nic['vlan'] = vlan_id if vlan_id is not None and \
                vlan_id >= 0 else None

    def guest_nic_uncouple_from_vswitch(self, userid, nic_vdev,
                                        active=False):
        userid = self._checked(userid)
        with self._edit(userid) as g:
            if active:
                self._require_on(g)
            nic = g['nics'].get(disks.canonical_vdev(nic_vdev))
            if nic is None:
                raise errors.not_found('Guest device %s' % nic_vdev,
                                       'network')
            nic['vswitch'] = None
            nic['vlan'] = None
            if not nic.get('in_db'):
                raise errors.not_found('User %s with nic %s' %
                                       (userid, nic_vdev), 'network')

    def guests_get_nic_info(self, userid=None, nic_id=None, vswitch=None):
        """Rows of the switch table: dicts with userid, interface,
        switch, port and comments (matched case-insensitively).
        """
        self._ssi_poll()
        if userid is not None:
            g = self._guests.get(userid.upper())
            candidates = [g] if g is not None else []
        else:
            candidates = self._guests.values()
        rows = []
        for g in candidates:
            for key in sorted(g['nics']):
                nic = g['nics'][key]
                if not nic.get('in_db'):
                    continue
                if nic_id is not None and (nic.get('port') or '').lower() \
                        != nic_id.lower():
                    continue
                if vswitch is not None and (nic.get('vswitch') or '') \
                        .lower() != vswitch.lower():
                    continue
                rows.append({'userid': g['userid'], 'interface': nic['vdev'],
                             'switch': nic.get('vswitch'),
                             'port': nic.get('port'), 'comments': None})
        return rows

    def guest_get_adapters_info(self, userid):
        self._ssi_poll()
        userid = userid.upper()
        g = self._guests.get(userid)
        if g is None or not g['directory']:
            raise errors.smt(*errors.SMT_NO_USER,
                             request='SMAPI %s API Virtual_Network_Adapter_'
                                     'Query_Extended' % userid,
                             detail='Image %s not found' % userid)
        with self._guests.lock(userid):
            return {'adapters': self._adapters(g)}

    def guest_inspect_vnics(self, userid_list):
        """Counters of the coupled NICs of running guests."""
        if not isinstance(userid_list, list):
            userid_list = [userid_list]
        userids = self._checked(userid_list)
        now = time.time()
        result = {}
        for userid in userids:
            g = self._guests.get(userid)
            if g is None or self._power_state(g) != 'on':
                continue
            seconds = int(now - (g['started_at'] or now))
            nics = []
            for key in sorted(g['nics']):
                nic = g['nics'][key]
                if not (nic.get('live') and nic.get('vswitch')):
                    continue
                nics.append({'vswitch_name': nic['vswitch'],
                             'nic_vdev': key,
                             'nic_fr_rx': seconds * 12,
                             'nic_fr_tx': seconds * 9,
                             'nic_fr_rx_dsc': 0, 'nic_fr_tx_dsc': 0,
                             'nic_fr_rx_err': 0, 'nic_fr_tx_err': 0,
                             'nic_rx': seconds * 12 * 900,
                             'nic_tx': seconds * 9 * 700})
            if nics:
                result[userid] = nics
        return result

    # -- SDKAPI: vswitches ---------------------------------------------------

    def vswitch_get_list(self):
        with self._net_lock:
            return sorted(v['name'] for v in self._vswitches.values())

    def vswitch_create(self, name, rdev=None, controller='*',
                       connection='CONNECT', network_type='ETHERNET',
                       router="NONROUTER", vid='UNAWARE', port_type='ACCESS',
                       gvrp='GVRP', queue_mem=8, native_vid=1,
                       persist=True):
        if queue_mem < 1 or queue_mem > 8:
            raise errors.invalid('API vswitch_create: Invalid "queue_mem" '
                                 'input, it should be 1-8')
        if isinstance(vid, int) or vid.upper() != 'UNAWARE':
            if native_vid is not None and not 1 <= native_vid <= 4094:
                raise errors.invalid('API vswitch_create: Invalid '
                                     '"native_vid" input, it should be '
                                     '1-4094 or None')
        if network_type.upper() == 'ETHERNET':
            router = None
        key = name.upper()
        with self._net_lock:
            if key in self._vswitches:
                raise errors.smt(
                    *errors.SMT_VSWITCH_EXISTS,
                    request='SMAPI %s API Virtual_Network_Vswitch_Create_'
                            'Extended --operands -k switch_name=%s' %
                            (self.zcc_userid, name),
                    detail='Vswitch %s already exists' % name)
            self._vswitches[key] = {
                'name': key, 'rdev': rdev, 'controller': controller,
                'connection': connection, 'network_type': network_type,
                'router': router, 'vid': vid, 'port_type': port_type,
                'gvrp': gvrp, 'queue_mem': queue_mem,
                'native_vid': native_vid, 'persist': persist,
                'authorized': {}, 'settings': {}}
            self._save_host_state()
        self._ssi_publish()

    def _vswitch(self, name):
        vsw = self._vswitches.get(str(name).upper())
        if vsw is None:
            raise errors.not_found('Vswitch %s' % name, 'network')
        return vsw

    def vswitch_query(self, vswitch_name):
        self._ssi_poll()
        with self._net_lock:
            vsw = self._vswitch(vswitch_name)
            return _vswitch_info(vsw, self._guests.values())

    def vswitch_grant_user(self, vswitch_name, userid):
        userid = self._checked(userid)
        with self._net_lock:
            vsw = self._vswitch(vswitch_name)
            vsw['authorized'].setdefault(userid, {'vlan_ids': []})
            self._save_host_state()

    def vswitch_revoke_user(self, vswitch_name, userid):
        # zvmsdk ignores every error of a revoke.
        self._revoke(str(vswitch_name), str(userid).upper())

    def vswitch_set_vlan_id_for_user(self, vswitch_name, userid, vlan_id):
        userid = self._checked(userid)
        with self._net_lock:
            vsw = self._vswitch(vswitch_name)
            if str(vsw['vid']).upper() == 'UNAWARE':
                raise errors.conflict('network', 5, vsw=vswitch_name,
                                      msg='Operation is not allowed for a '
                                          'VLAN UNAWARE vswitch')
            grant = vsw['authorized'].setdefault(userid, {'vlan_ids': []})
            if str(vlan_id) not in grant['vlan_ids']:
                grant['vlan_ids'].append(str(vlan_id))
            self._save_host_state()

    def vswitch_set(self, vswitch_name, **kwargs):
        for key in kwargs:
            if key not in zvm_constants.SET_VSWITCH_KEYWORDS:
                raise errors.invalid('API vswitch_set: Invalid keyword %s' %
                                     key)
        with self._net_lock:
            vsw = self._vswitch(vswitch_name)
            for key, value in kwargs.items():
                if key == 'grant_userid':
                    vsw['authorized'].setdefault(str(value).upper(),
                                                 {'vlan_ids': []})
                elif key == 'revoke_userid':
                    vsw['authorized'].pop(str(value).upper(), None)
                else:
                    vsw['settings'][key] = value
            self._save_host_state()

    def vswitch_delete(self, vswitch_name, persist=True):
        with self._net_lock:
            if self._vswitches.pop(str(vswitch_name).upper(), None):
                self._save_host_state()
        self._ssi_publish()
