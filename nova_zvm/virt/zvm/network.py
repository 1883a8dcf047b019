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

Each VIF becomes one virtual NIC in the guest's directory entry. All NICs
of a spawn go to the connector in ONE ``guest_create_network_interface``
call: zvmsdk writes the guest's network configuration per call, and for
Ubuntu 20.04 and later a second call fails (dist.py raises). The call must
fit the sdkserver's one 4096-byte read: :func:`check_network_info` refuses,
before anything is created, what cannot be configured:

* a VIF without an IPv4 address: zvmsdk writes IPv4 configuration only
  (``IPADDR=""`` or a netplan ``addresses: ['/']`` otherwise);
* more than one VIF on Ubuntu 20.04 and later: zvmsdk writes one netplan
  file, the last NIC's, whatever the number of NICs;
* more NICs than fit in one request.

The z/VM Neutron agent couples the NIC to its vswitch and reports the port
active, which is the network-vif-plugged event spawn waits for.
"""

from oslo_log import log as logging

import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import client_request
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


def _ipv4_subnet(vif):
    for subnet in vif.get('network', {}).get('subnets', []):
        if subnet.get('version') == 4 and subnet.get('ips'):
            return subnet
    return None


def is_netplan_distro(os_distro):
    """Ubuntu 20.04 and later: zvmsdk's netplan configuration (dist.py)."""
    distro = (os_distro or '').lower()
    if not distro.startswith('ubuntu'):
        return False
    try:
        return int(distro[len('ubuntu'):].split('.')[0]) >= 20
    except ValueError:
        return False


def check_network_info(userid, os_distro, network_info):
    """The reason z/VM cannot configure these VIFs, or None.

    Asked before anything is created (spawn), so a refusal leaves nothing.
    """
    vifs = list(network_info or [])
    for vif in vifs:
        if _ipv4_subnet(vif) is None:
            return _("port %s has no IPv4 address: the z/VM Cloud Connector "
                     "configures IPv4 interfaces only") % vif['id']
    if len(vifs) > 1 and is_netplan_distro(os_distro):
        return _("%(distro)s guests get one network interface: the z/VM "
                 "Cloud Connector writes the netplan file of one NIC only "
                 "(%(n)d ports requested)") % {'distro': os_distro,
                                               'n': len(vifs)}
    size = client_request.request_size(
        'guest_create_network_interface', userid, os_distro,
        [nic_definition(vif) for vif in vifs], active=False)
    if size > client_request.MAX_REQUEST_BYTES:
        return _("%(n)d ports do not fit in one z/VM Cloud Connector request "
                 "(%(size)d bytes, at most %(max)d)") % {
            'n': len(vifs), 'size': size,
            'max': client_request.MAX_REQUEST_BYTES}
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
        """Create one NIC per VIF, in one call; returns their vdevs."""
        vifs = list(network_info)
        if not vifs:
            return []
        result = self._client.call(
            'guest_create_network_interface', userid, os_distro,
            [nic_definition(vif) for vif in vifs], active=active) or []
        vdevs = [net.get('nic_vdev') for net in result]
        LOG.debug("Created NICs %(vdevs)s for ports %(ports)s of %(uid)s",
                  {'vdevs': vdevs, 'ports': [vif['id'] for vif in vifs],
                   'uid': userid})
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

    def plug_instance_vifs(self, instance, network_info):
        """plug_vifs of an instance; the NICs wait when z/VM cannot answer."""
        if not network_info:
            return
        try:
            self.plug_vifs(names.userid(instance),
                           instance_facts.os_distro(instance), network_info)
        except zvm_exc.ConnectorUnreachable as err:
            # Nova calls this when nova-compute starts. A guest's NICs are
            # in its z/VM directory entry and outlive nova-compute; they
            # are checked again at the next start.
            LOG.warning("Cannot check the NICs of the guest, the z/VM Cloud "
                        "Connector is not reachable: %s", err,
                        instance=instance)

    def unplug_instance_vifs(self, instance, network_info):
        """unplug_vifs of an instance; nothing to do for a gone guest."""
        if not network_info:
            return
        try:
            self.unplug_vifs(names.userid(instance),
                             instance_facts.os_distro(instance),
                             network_info)
        except zvm_exc.GuestNotFound:
            # Nothing to unplug from a guest that is gone.
            pass

    @staticmethod
    def vif_failed_callback(event_name, instance):
        LOG.error("Neutron reported failure on event %s", event_name,
                  instance=instance)
        if CONF.vif_plugging_is_fatal:
            raise exception.VirtualInterfaceCreateException()
