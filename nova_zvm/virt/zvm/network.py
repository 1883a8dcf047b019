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

"""Neutron VIFs as z/VM NICs.

Each VIF becomes one virtual NIC in the guest's directory entry, created with
its own connector call: the connector's sdkserver reads a request in one
4096-byte read, and a call carrying several NICs can exceed it. The z/VM
Neutron agent couples the NIC to its vswitch and reports the port active,
which is the network-vif-plugged event spawn waits for. IPv4 addresses are
given to the connector, which writes the guest's interface configuration;
IPv6 reaches the guest through the config drive's network_data.json.
"""

from oslo_log import log as logging

import nova.conf
from nova import exception

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


def _ipv4_subnet(vif):
    for subnet in vif.get('network', {}).get('subnets', []):
        if subnet.get('version') == 4 and subnet.get('ips'):
            return subnet
    return None


def nic_definition(vif):
    """The connector's guest_networks entry for one VIF."""
    net = {'nic_id': vif['id'], 'mac_addr': vif['address']}
    subnet = _ipv4_subnet(vif)
    if subnet is not None:
        net['ip_addr'] = subnet['ips'][0]['address']
        net['cidr'] = subnet['cidr']
        gateway = (subnet.get('gateway') or {}).get('address')
        if gateway:
            net['gateway_addr'] = gateway
        dns = [d['address'] for d in subnet.get('dns', []) if
               d.get('version', 4) == 4 and d.get('address')]
        if dns:
            net['dns_addr'] = dns
    return net


def vif_plugged_events(network_info):
    """Events to wait for: VIFs Neutron has not reported active yet."""
    if not CONF.vif_plugging_timeout:
        return []
    return [('network-vif-plugged', vif['id'])
            for vif in network_info if vif.get('active') is False]


class NetworkOps(object):

    def __init__(self, client):
        self._client = client

    def create_nics(self, userid, os_distro, network_info, active=False):
        """Create one NIC per VIF; returns the vdevs created, in order."""
        vdevs = []
        for vif in network_info:
            result = self._client.call(
                'guest_create_network_interface', userid, os_distro,
                [nic_definition(vif)], active=active)
            vdev = result[0].get('nic_vdev') if result else None
            vdevs.append(vdev)
            LOG.debug("Created NIC %(vdev)s for port %(port)s of %(uid)s",
                      {'vdev': vdev, 'port': vif['id'], 'uid': userid})
        return vdevs

    def nics_by_port(self, userid):
        """{port id: vdev} of the guest's NICs, from one connector call."""
        nics = self._client.call('guests_get_nic_info', userid=userid)
        # Rows of the connector's switch table: userid, interface (the
        # vdev), switch, port (the Neutron port id), comments.
        return {row['port']: row['interface'] for row in nics
                if row.get('port')}

    def plug_vifs(self, userid, os_distro, network_info):
        """Create the NICs of VIFs that have none.

        NICs live in the guest's directory entry and survive restarts; this
        repairs a guest whose NIC was removed by hand.
        """
        present = self.nics_by_port(userid)
        missing = [vif for vif in network_info if vif['id'] not in present]
        if missing:
            LOG.info("Re-creating NICs for ports %s of %s",
                     [vif['id'] for vif in missing], userid)
            self.create_nics(userid, os_distro, missing)

    def unplug_vifs(self, userid, os_distro, network_info):
        present = self.nics_by_port(userid)
        for vif in network_info:
            vdev = present.get(vif['id'])
            if vdev:
                self._client.call('guest_delete_network_interface', userid,
                                  os_distro, vdev)

    @staticmethod
    def vif_failed_callback(event_name, instance):
        LOG.error("Neutron reported failure on event %s", event_name,
                  instance=instance)
        if CONF.vif_plugging_is_fatal:
            raise exception.VirtualInterfaceCreateException()
