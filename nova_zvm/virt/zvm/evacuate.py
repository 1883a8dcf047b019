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

"""Evacuation: a server of a failed compute host started elsewhere.

Inside an SSI cluster every member shares the z/VM directory and the DASD:
the guest of a failed member is the same guest on any other member, its
directory entry and minidisks intact. Nova's shared-storage path applies
(``instance_on_disk`` True): the new member's connector registers the
existing guest (``guest_register``, which reads its NICs from z/VM) and
starts it. No image is deployed, nothing is copied.

A guest may never run on two members. z/VM refuses a second logon anyway;
the driver asks z/VM first (``guest_get_power_state_real`` answers "on"
for a guest logged on anywhere in the cluster) and refuses, before
registering anything, while the guest still runs on another member.

Outside an SSI cluster (or for a guest the directory here does not have)
``instance_on_disk`` is False and Nova rebuilds the server from its image
with its volumes re-attached (Nova's default rebuild: ``spawn``).

When the failed host comes back, Nova's clean-up of evacuated instances
(of the instances the driver lists, evacuated ones included) calls
``destroy`` there. Outside an SSI cluster that deletes the stale guest.
Inside one it is the guest now running on another member, so the old
member's connector only forgets it (``guest_deregister``); the directory
entry and disks stay.
"""

from oslo_log import log as logging
from oslo_utils import excutils

from nova.compute import task_states
from nova import context as nova_context
from nova import exception
from nova.i18n import _
from nova import objects
from nova.objects import fields

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import ssi as zvm_ssi

LOG = logging.getLogger(__name__)
# SMAPI Image_Query_DM's (rc, rs) for a user the directory does not have.
NOT_DEFINED = (400, 4)
# SMAPI's (rc, rs) for a query that needs the guest logged on.
NOT_ACTIVE = (200, 12)


class GuestRunsElsewhere(exception.NovaException):
    msg_fmt = _("Cannot evacuate: z/VM guest %(userid)s is still logged on "
                "on another member of SSI cluster %(ssi)s, and z/VM lets a "
                "guest run on one member only. Make sure the failed member "
                "is down (or log the guest off there), then evacuate again.")


class VolumesNotEvacuable(exception.NovaException):
    msg_fmt = _("Cannot evacuate z/VM guest %(userid)s inside SSI cluster "
                "%(ssi)s: it has volumes attached, whose FCP devices belong "
                "to the failed member. Detach the volumes, then evacuate "
                "again.")


class EvacuateOps(object):

    def __init__(self, client, network_ops):
        self._client = client
        self._network = network_ops

    # -- queries -------------------------------------------------------------

    def ssi_name(self):
        """The SSI cluster this z/VM system is a member of, or None."""
        ssi = zvm_ssi.parse_ssi(self._client.call('host_get_ssi_info'))
        return ssi['name'] if ssi else None

    def _in_directory(self, userid):
        """Whether the z/VM directory (shared in an SSI) has the guest."""
        try:
            # Not limited to the guests this connector knows.
            self._client.call('guest_get_user_direct', userid)
        except zvm_exc.ConnectorError as err:
            if (err.rc, err.rs) == NOT_DEFINED:
                return False
            raise
        return True

    def _power_state(self, userid):
        """'on' when logged on on any member of the cluster, else 'off'.

        CP's QUERY USER answers for the whole cluster, and the call is
        not limited to the guests this connector knows.
        """
        return self._client.call('guest_get_power_state_real', userid)

    def _registered(self, userid):
        """Whether this connector knows the guest (its database)."""
        try:
            # One fixed-size answer; 404 when not in this connector's DB.
            self._client.call('guest_get_definition_info', userid)
        except exception.InstanceNotFound:
            return False
        return True

    def instance_on_disk(self, instance):
        """The guest's directory entry and disks are reachable here.

        True only inside an SSI cluster, whose members share them: outside
        one, a guest of that name here would be another z/VM's guest.
        """
        if not self.ssi_name():
            return False
        return self._in_directory(names.userid(instance))

    def instance_exists(self, instance):
        """The guest is this host's: registered with this connector.

        Nova asks this before an evacuation; inside an SSI cluster the
        directory has the guest of the failed member too, which is not yet
        this host's.
        """
        return self._registered(names.userid(instance))

    # -- rebuild on this host ------------------------------------------------

    def recreate_on_shared(self, instance, network_info,
                           block_device_info):
        """Take over the guest of a failed SSI member and start it here."""
        userid = names.userid(instance)
        ssi = self.ssi_name()
        if (block_device_info or {}).get('block_device_mapping'):
            raise VolumesNotEvacuable(userid=userid, ssi=ssi)
        registered = self._registered(userid)
        state = self._power_state(userid)
        if state == 'on' and not registered:
            # Logged on, and not by this member's connector: the failed
            # member still runs it.
            raise GuestRunsElsewhere(userid=userid, ssi=ssi)

        instance.task_state = task_states.REBUILD_SPAWNING
        instance.save(expected_task_state=[task_states.REBUILDING])
        started = False
        try:
            if state != 'on':
                if not registered:
                    # guest_start needs the connector's record, which
                    # guest_register writes before it reads the NICs.
                    self._register(instance, userid, network_info,
                                   logged_off=True)
                self._client.call('guest_start', userid)
                started = True
            # guest_register reads the NICs of a logged-on guest only
            # (SMAPI's adapter query): now it matches them to the ports.
            self._client.call('guest_deregister', userid)
            self._register(instance, userid, network_info)
            if network_info:
                # A NIC missing from the directory entry is re-created.
                self._network.plug_vifs(userid,
                                        instance_facts.os_distro(instance),
                                        network_info)
        except Exception:
            with excutils.save_and_reraise_exception():
                self._roll_back(instance, userid, started)
        LOG.info("Guest %s taken over from a failed SSI member and started",
                 userid, instance=instance)

    def _roll_back(self, instance, userid, started):
        """Leave the guest as the failed member left it: logged off, and
        unknown to this connector; a later evacuation starts again.
        """
        if started:
            try:
                self._register(instance, userid, [])
                self._client.call('guest_stop', userid)
            except Exception as err:
                LOG.error("Could not log off %(uid)s after a failed "
                          "evacuation; log it off by hand: %(err)s",
                          {'uid': userid, 'err': err}, instance=instance)
        self.forget(instance)

    def _register(self, instance, userid, network_info, logged_off=False):
        distro = instance_facts.os_distro(instance)
        try:
            self._client.call('guest_register', userid,
                              'os_version=%s' % (distro or ''),
                              '1' if network_info else '0',
                              zvm_ssi.port_macs(network_info))
        except zvm_exc.ConnectorError as err:
            # zvmsdk 1.6.3 records the guest, then lists its NICs: that
            # fails for a guest without NICs (guest module, rs 5) and for
            # a logged-off one (SMAPI "image not active"). It is recorded.
            no_nic = (not network_info and err.modID == zvm_exc.MODID_GUEST
                      and err.rs == zvm_ssi.NO_NIC_RS)
            not_active = logged_off and (err.rc, err.rs) == NOT_ACTIVE
            if not (no_nic or not_active):
                raise

    # -- the failed host, back -----------------------------------------------

    def moved_away(self, instance, hostname):
        """Whether destroy here is Nova's clean-up of an evacuated guest
        that, inside an SSI cluster, is the one now running elsewhere.
        """
        return bool(instance.host and instance.host != hostname and
                    self.ssi_name())

    def evacuated_uuids(self, host):
        """Instances evacuated from host whose guests this connector lists.

        Nova's start-up clean-up of evacuated instances acts on the
        instances the driver reports; those now belong to another host, so
        the by-host match of ``list_instance_uuids`` misses them. Nova's
        own filter of the evacuations still to clean up (one query); the
        connector is asked only when there are some.
        """
        context = nova_context.get_admin_context(read_deleted='yes')
        migrations = objects.MigrationList.get_by_filters(context, {
            'source_compute': host,
            'status': ['accepted', 'pre-migrating', 'done'],
            'migration_type': fields.MigrationType.EVACUATION})
        uuids = set(mig.instance_uuid for mig in migrations)
        if not uuids:
            return []
        guests = set(self._client.call('guest_list'))
        instances = objects.InstanceList.get_by_filters(
            context, {'uuid': list(uuids)}, expected_attrs=[])
        return [inst.uuid for inst in instances
                if inst.name.upper() in guests]

    def forget(self, instance):
        """This connector forgets the guest; z/VM keeps it untouched."""
        userid = names.userid(instance)
        try:
            self._client.call('guest_deregister', userid)
        except exception.NovaException as err:
            LOG.error("The z/VM Cloud Connector here keeps a record of "
                      "%(uid)s, which runs on another SSI member: %(err)s",
                      {'uid': userid, 'err': err}, instance=instance)
            return
        LOG.info("Guest %s runs on another SSI member; only deregistered "
                 "it here", userid, instance=instance)
