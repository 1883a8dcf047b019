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

"""Interface hotplug: a Neutron port added to or removed from a server.

The NIC is made as spawn makes them (network.py): one
``guest_create_network_interface`` call, after which the z/VM Neutron agent
grants the guest the vswitch, couples the NIC and reports the port up
(``network-vif-plugged``, waited for as spawn does). On a running guest the
call has ``active=True``: z/VM defines the NIC in the directory AND in the
running guest, and zvmsdk runs ``zvmguestconfigure`` in the guest (over
IUCV) to apply the network configuration it punched. On a stopped guest only
the directory changes; the punched configuration is applied at the next
boot.

What zvmsdk cannot configure is refused before anything is created
(:func:`check_attach`): Ubuntu 20.04 and later (zvmsdk's ubuntu20 class
raises for any NIC added after the first network configuration: it writes
one netplan file, at deploy only), a port without IPv4, a request over the
connector's size limit.

A failing attach leaves no NIC and no vswitch grant that no other NIC of
the guest uses (the rollback, :mod:`undo`); Nova then unbinds the port.
Detaching a NIC that is already gone succeeds.
"""

from oslo_log import log as logging

from nova.compute import vm_states
import nova.conf
from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import undo

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


class InterfaceAttachRefused(exception.Invalid):
    msg_fmt = _("Cannot attach port %(port)s to %(userid)s: %(reason)s")


class InterfaceDetachRefused(exception.Invalid):
    msg_fmt = _("Cannot detach port %(port)s from %(userid)s: %(reason)s")


# The connector configures a running guest's network over IUCV, which a
# paused guest (its CPUs stopped) does not answer: the NIC would be made
# and its configuration fail half-way.
PAUSED = _("the server is paused: unpause it first (the z/VM Cloud "
           "Connector configures the running guest's network through it)")


def check_attach(userid, os_distro, vif, vm_state=None):
    """The reason z/VM cannot take this port now, or None."""
    if vm_state == vm_states.PAUSED:
        return PAUSED
    if network.is_netplan_distro(os_distro):
        return _("%s guests get their network configuration at deploy only: "
                 "the z/VM Cloud Connector writes their netplan file once "
                 "and refuses a NIC added later (zvmsdk dist.py ubuntu20); "
                 "rebuild the server with the port instead") % os_distro
    if not os_distro:
        return _("the server's image has no os_distro property: the z/VM "
                 "Cloud Connector writes the network configuration in the "
                 "format of the guest's distribution")
    return network.check_network_info(userid, os_distro, [vif])


class InterfaceOps(object):

    def __init__(self, client, network_ops, virtapi):
        self._client = client
        self._network = network_ops
        self._virtapi = virtapi

    # -- attach --------------------------------------------------------------

    def attach_interface(self, instance, vif):
        userid = names.userid(instance)
        os_distro = instance_facts.os_distro(instance)
        reason = check_attach(userid, os_distro, vif, instance.vm_state)
        if reason:
            raise InterfaceAttachRefused(port=vif['id'], userid=userid,
                                         reason=reason)
        if vif['id'] in self._network.nics_by_port(userid):
            # A retried attach whose first attempt made the NIC.
            LOG.info("Port %(port)s already has a NIC on %(uid)s",
                     {'port': vif['id'], 'uid': userid}, instance=instance)
            return
        active = self._running(userid)
        steps = undo.UndoStack('attach interface', instance,
                               where=_('guest %s') % userid)
        try:
            self._plug_and_wait(instance, userid, os_distro, vif, active,
                                steps)
        except Exception as err:
            self._roll_back(steps, userid, os_distro, vif, active, err)
            raise
        LOG.info("Attached port %(port)s to %(uid)s (%(how)s)",
                 {'port': vif['id'], 'uid': userid,
                  'how': 'running guest' if active else 'directory only'},
                 instance=instance)

    def _running(self, userid):
        return self._client.call('guest_get_power_state', userid) == 'on'

    def _plug_and_wait(self, instance, userid, os_distro, vif, active,
                       steps):
        events = network.vif_plugged_events([vif])
        try:
            with compat.wait_for_instance_event(
                    self._virtapi, instance, events,
                    CONF.vif_plugging_timeout,
                    self._network.vif_failed_callback):
                self._network.create_nics(userid, os_distro, [vif],
                                          active=active)
                steps.push(_('remove the NIC of port %s') % vif['id'],
                           self.remove_nic, userid, os_distro, vif['id'],
                           active)
        except exception.InstanceEventTimeout:
            LOG.warning("Timed out waiting for network-vif-plugged for port "
                        "%s", vif['id'], instance=instance)
            if CONF.vif_plugging_is_fatal:
                raise exception.VirtualInterfaceCreateException()

    def _roll_back(self, steps, userid, os_distro, vif, active, err):
        if not len(steps):
            # The create call failed, or its answer was lost: z/VM may
            # have the NIC anyway (zvmsdk records it before it writes the
            # network configuration). Look before giving up.
            try:
                made = vif['id'] in self._network.nics_by_port(userid)
            except Exception as look_err:
                LOG.error("Cannot tell whether the NIC of port %(port)s was "
                          "made on %(uid)s; if it was, it is left: %(err)s",
                          {'port': vif['id'], 'uid': userid,
                           'err': look_err}, instance=steps.instance)
                return
            if made:
                steps.push(_('remove the NIC of port %s') % vif['id'],
                           self.remove_nic, userid, os_distro, vif['id'],
                           active)
        if not steps.rollback():
            raise steps.incomplete(err) from err

    # -- detach and rollback -------------------------------------------------

    def detach_interface(self, instance, vif):
        userid = names.userid(instance)
        if instance.vm_state == vm_states.PAUSED:
            raise InterfaceDetachRefused(port=vif['id'], userid=userid,
                                         reason=PAUSED)
        if not self.remove_nic(userid, instance_facts.os_distro(instance),
                               vif['id']):
            LOG.info("Port %(port)s has no NIC on %(uid)s: already detached",
                     {'port': vif['id'], 'uid': userid}, instance=instance)

    def remove_nic(self, userid, os_distro, port_id, active=None):
        """Delete the port's NIC and the grant nothing else needs.

        The vswitch grant (made by the Neutron agent) is revoked when no
        other NIC of the guest is coupled to that vswitch.

        :param active: whether the guest runs; asked when None
        :returns: False when the port has no NIC (nothing to do)
        """
        rows = self._client.call('guests_get_nic_info', userid=userid)
        mine = [row for row in rows if row.get('port') == port_id]
        if not mine:
            return False
        vdev, vswitch = mine[0]['interface'], mine[0].get('switch')
        if active is None:
            active = self._running(userid)
        self._client.call('guest_delete_network_interface', userid,
                          os_distro or '', vdev, active=active)
        others = [row for row in rows if row.get('port') != port_id and
                  row.get('switch') == vswitch]
        if vswitch and not others:
            self._client.call('vswitch_revoke_user', vswitch, userid)
        return True
