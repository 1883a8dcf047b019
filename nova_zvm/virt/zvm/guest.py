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

"""A guest's life on z/VM outside spawn: power, console, info, destroy.

Also the building blocks spawn.py and the migrations share: guest_create
with this host's options (a duplicate userid refused, a lost answer
decided from z/VM's directory), the NICs and the wait for Neutron's
network-vif-plugged, guest_delete (with the guest registered first when
the connector does not know it), and which guests are an instance's own
(a guest that spawn did not create is never deleted by destroy). Every
operation here addresses one guest by its userid and costs a fixed number
of connector calls, whatever the number of guests on the host: "does the
guest exist" is asked of the guest itself, never by listing all guests.
"""

import cachetools
from oslo_log import log as logging
from oslo_utils import excutils

from nova.compute import power_state
import nova.conf
from nova import context as nova_context
from nova import exception
from nova.i18n import _
from nova import objects
from nova.objects import diagnostics

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm import minidisks
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import unanswered

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# guest_delete's 404: the z/VM directory has the guest, the connector's
# database does not (zvmsdk's SDKObjectNotExistError, rs 1).
RS_UNKNOWN_TO_CONNECTOR = 1
# guest_register of a guest said to have no NIC (recorded all the same).
RS_REGISTERED_NO_NIC = 5
POWER_STATES = {'on': power_state.RUNNING, 'off': power_state.SHUTDOWN}
# Nova tails what it shows; keep the answer bounded like other drivers do.
MAX_CONSOLE_BYTES = 100 * 1024
# Guests whose last console log is kept (at most MAX_CONSOLE_BYTES each).
CONSOLE_LOGS_KEPT = 64


def is_duplicate_guest(err):
    """guest_create refused because the userid is already defined.

    SMAPI's "image already defined" comes back as overallRC 8, rc 400,
    rs 8 (the REST layer maps it to HTTP 409).
    """
    return err.overallRC == 409 or (err.overallRC, err.rc, err.rs) == (
        8, 400, 8)


class GuestOps(object):

    def __init__(self, client, image_ops, network_ops, virtapi,
                 pool_volumes=None):
        self._client = client
        # The guest's disk list and the pool fit checks, for spawn and
        # migrations (minidisks.GuestDisks).
        self.disks = minidisks.GuestDisks(image_ops, pool_volumes)
        self._network = network_ops
        self._virtapi = virtapi
        # Instances whose spawn has not (yet) created their guest: a guest
        # with their name is someone else's (e.g. a name clash that made
        # guest_create fail) and destroy must not delete it.
        self._not_created = set()
        # Last console log read per guest, for when it is stopped; bounded.
        self._console_logs = cachetools.LRUCache(maxsize=CONSOLE_LOGS_KEPT)

    # -- queries -----------------------------------------------------------

    def power_state(self, instance):
        state = self._client.call('guest_get_power_state',
                                  names.userid(instance))
        return POWER_STATES.get(state, power_state.NOSTATE)

    def exists(self, instance):
        try:
            self.power_state(instance)
        except exception.InstanceNotFound:
            return False
        return True

    def list_instances(self):
        return self._client.call('guest_list')

    def list_instance_uuids(self, host):
        """UUIDs of the Nova instances whose guests are on this z/VM.

        From the hypervisor: the guests the connector lists (one
        guest_list), matched by name with the instances Nova's database
        has ever placed on this compute host, deleted ones included (one
        query), so that Nova finds a guest that outlived its instance
        (``running_deleted_instance_action``). The connector keeps no
        instance UUID for a guest, hence the match by name.
        """
        guests = set(self.list_instances())
        if not guests:
            return []
        context = nova_context.get_admin_context(read_deleted='yes')
        instances = objects.InstanceList.get_by_filters(
            context, {'host': host}, expected_attrs=[])
        return [inst.uuid for inst in instances
                if inst.name.upper() in guests]

    def console_output(self, instance):
        """The guest's console log; a stopped guest's last one we read.

        z/VM spools a guest's console only while it is logged on: for a
        stopped guest Image_Console_Get fails (8/1/8/8). The log read last
        (kept per guest in this service) is returned then, or nothing.
        """
        userid = names.userid(instance)
        try:
            output = self._client.call('guest_get_console_output',
                                       userid) or ''
        except zvm_exc.ConnectorError as err:
            if (err.rc, err.rs) != (8, 8):
                raise
            return self._console_logs.get(userid, b'')
        data = output.encode('utf-8', 'replace')[-MAX_CONSOLE_BYTES:]
        self._console_logs[userid] = data
        return data

    def diagnostics(self, instance):
        userid = names.userid(instance)
        info = self._client.call('guest_get_info', userid)
        diags = diagnostics.Diagnostics(
            state=POWER_STATES.get(info.get('power_state'),
                                   power_state.NOSTATE),
            hypervisor='zvm', hypervisor_os='z/VM', config_drive=True)
        stats = {}
        vnics = {}
        if info.get('power_state') == 'on':
            # Stopped guests have no monitor data: the connector omits them.
            stats = self._client.call('guest_inspect_stats',
                                      userid).get(userid, {})
            vnics = self._client.call('guest_inspect_vnics',
                                      userid).get(userid, [])
        cpus = stats.get('guest_cpus', info.get('num_cpu', 0)) or 0
        used_us = stats.get('used_cpu_time_us', info.get('cpu_time_us'))
        for cpu in range(cpus):
            # z/VM reports CPU time for the guest as a whole.
            diags.add_cpu(id=cpu, time=(used_us * 1000 // cpus)
                          if used_us is not None else None)
        max_kb = stats.get('max_mem_kb', info.get('max_mem_kb'))
        used_kb = stats.get('used_mem_kb', info.get('mem_kb'))
        diags.memory_details = objects.MemoryDiagnostics(
            maximum=max_kb // 1024 if max_kb is not None else None,
            used=used_kb // 1024 if used_kb is not None else None)
        for nic in vnics:
            diags.add_nic(rx_octets=nic.get('nic_rx'),
                          tx_octets=nic.get('nic_tx'),
                          rx_packets=nic.get('nic_fr_rx'),
                          tx_packets=nic.get('nic_fr_tx'),
                          rx_drop=nic.get('nic_fr_rx_dsc'),
                          tx_drop=nic.get('nic_fr_tx_dsc'),
                          rx_errors=nic.get('nic_fr_rx_err'),
                          tx_errors=nic.get('nic_fr_tx_err'))
        return diags

    # -- building blocks shared by spawn.py and migration.py -------------

    def _create_options(self):
        opts = {}
        if CONF.zvm.user_profile:
            opts['user_profile'] = CONF.zvm.user_profile
        if CONF.zvm.guest_max_cpus:
            opts['max_cpu'] = CONF.zvm.guest_max_cpus
        if CONF.zvm.guest_max_memory:
            opts['max_mem'] = CONF.zvm.guest_max_memory
        return opts

    def _create(self, instance, userid, disks, **extra):
        options = self._create_options()
        # Boot from volume (volume/spawn.SpawnVolumes): IPL from an FCP device.
        options.update(extra)
        try:
            return self._client.call('guest_create', userid, instance.vcpus,
                                     instance.memory_mb, disk_list=disks,
                                     **options)
        except exception.InstanceNotFound as err:
            # guest_create's only "not found" is the directory profile
            # (404/10/404/1); Nova would read InstanceNotFound as "deleted
            # during the build".
            raise exception.BuildAbortException(
                instance_uuid=instance.uuid,
                reason=_("[zvm] user_profile: z/VM has no directory profile "
                         "%(profile)s (guest_create: %(err)s)") % {
                    'profile': options.get('user_profile'), 'err': err})
        except zvm_exc.ConnectorError as err:
            if is_duplicate_guest(err):
                # Never roll back a guest this spawn did not create.
                raise exception.InstanceExists(name=instance.name)
            if not unanswered.outcome_unknown(err):
                raise
            # The call may have run: z/VM's directory tells.
            created = unanswered.created_disks(self._client, userid, disks)
            if created is None:
                raise unanswered.unanswered(err, 'guest_create', _(
                    "z/VM has no complete guest %s") % userid) from err
            LOG.warning("guest_create of %(uid)s gave no answer, but z/VM "
                        "has the guest with its minidisks: continuing",
                        {'uid': userid}, instance=instance)
            return created

    def plug_and_wait(self, instance, userid, os_distro, network_info):
        """Create the NICs and wait for Neutron's network-vif-plugged."""
        events = network.vif_plugged_events(network_info)
        try:
            with compat.wait_for_instance_event(
                    self._virtapi, instance, events,
                    CONF.vif_plugging_timeout,
                    self._network.vif_failed_callback):
                self._network.create_nics(userid, os_distro, network_info)
        except exception.InstanceEventTimeout:
            LOG.warning("Timed out waiting for network-vif-plugged events "
                        "for %s", userid, instance=instance)
            if CONF.vif_plugging_is_fatal:
                raise exception.VirtualInterfaceCreateException()

    def create_guest(self, instance, userid, disks, **extra):
        """guest_create with this host's options; returns the disk list.

        :raises: InstanceExists when the userid is taken (the caller must
            never delete that guest: it is not its own; destroy leaves it
            alone too, as after a spawn that found it)
        """
        try:
            created = self._create(instance, userid, disks, **extra)
        except exception.InstanceExists:
            self._not_created.add(instance.uuid)
            raise
        except exception.BuildAbortException:
            # Refused (no such directory profile): nothing was created.
            raise
        except Exception:
            # Not refused as a duplicate: whatever z/VM now has under the
            # userid (a lost answer or a read timeout of a call that ran, a
            # failure after the directory entry was made) is this
            # instance's, and destroy deletes it; guest_delete asks z/VM and
            # succeeds when nothing was created. (A duplicate refusal whose
            # answer was lost cannot be told apart: guests named by this
            # cloud's instance_name_template are taken to be its own.)
            self._not_created.discard(instance.uuid)
            raise
        self._not_created.discard(instance.uuid)
        return created

    def expect_create(self, instance):
        """Until create_guest makes it, a guest of this name is not ours.

        Spawn says so before anything else: destroy (Nova's clean-up of a
        failed build) then leaves alone a guest the spawn did not create.
        """
        self._not_created.add(instance.uuid)

    def owns_guest(self, instance):
        """Whether a guest named for instance may be its own to delete."""
        return instance.uuid not in self._not_created

    # -- power ---------------------------------------------------------------

    def power_on(self, instance):
        self._client.call('guest_start', names.userid(instance))

    def power_off(self, instance, timeout=0, retry_interval=0):
        """Nova's contract: a clean stop within timeout, then a hard one."""
        userid = names.userid(instance)
        if timeout and timeout > 0:
            # Clean shutdown: signal the OS and wait up to timeout seconds.
            try:
                self._client.call(
                    'guest_softstop', userid, timeout=int(timeout),
                    poll_interval=int(retry_interval or
                                      CONF.zvm.softstop_poll_interval))
                return
            except exception.InstanceNotFound:
                raise
            except zvm_exc.ConnectorError as err:
                # e.g. 99/1/99/414: the guest did not stop in time (its OS
                # ignored the signal); z/VM logs it off below.
                LOG.warning("Clean shutdown of %(uid)s failed (%(err)s); "
                            "stopping it", {'uid': userid, 'err': err},
                            instance=instance)
        self._client.call('guest_stop', userid)

    def reboot(self, instance, reboot_type):
        userid = names.userid(instance)
        if reboot_type == 'SOFT':
            try:
                self._client.call('guest_reboot', userid)
            except zvm_exc.ConnectorError:
                # A guest stopped behind Nova's back cannot be signalled
                # (an IUCV error): z/VM says whether it is off, and then a
                # reboot means starting it.
                with excutils.save_and_reraise_exception() as ctxt:
                    if self._client.call('guest_get_power_state',
                                         userid) == 'off':
                        ctxt.reraise = False
                LOG.info("Guest %s was off; starting it", userid,
                         instance=instance)
                self._client.call('guest_start', userid)
        else:
            # A reset logs the guest off and on again; it also starts a
            # stopped guest, which is what a hard reboot must do.
            self._client.call('guest_reset', userid)

    def pause(self, instance):
        self._client.call('guest_pause', names.userid(instance))

    def unpause(self, instance):
        self._client.call('guest_unpause', names.userid(instance))

    # -- destroy -------------------------------------------------------------

    def delete_guest(self, userid, instance=None):
        """Delete a guest with its disks and NICs; a missing one is fine.

        "Already gone" means gone from z/VM: ``guest_delete`` succeeds for
        a guest in neither the connector's database nor the z/VM directory.
        Its 404 rs 1 says the directory has the guest but this connector
        does not know it (e.g. a relocation that ended here without
        ``guest_register``): the guest is registered, then deleted.
        """
        try:
            self._client.call('guest_delete', userid)
        except zvm_exc.GuestNotFound as err:
            if err.rs != RS_UNKNOWN_TO_CONNECTOR:
                LOG.info("Guest %s was already gone", userid,
                         instance=instance)
                return
            LOG.warning("Guest %s is on z/VM but unknown to the connector; "
                        "registering it to delete it", userid,
                        instance=instance)
            self._register(userid, instance)
            self._client.call('guest_delete', userid)
        except exception.InstanceNotFound:
            LOG.info("Guest %s was already gone", userid, instance=instance)

    def _register(self, userid, instance):
        distro = instance_facts.os_distro(instance) if instance else None
        try:
            self._client.call('guest_register', userid,
                              'os_version=%s' % (distro or ''), '0')
        except zvm_exc.GuestNotFound:
            # Gone from the directory meanwhile: guest_delete says so.
            pass
        except zvm_exc.ConnectorError as err:
            # zvmsdk 1.6.3 records the guest, then fails listing its NICs
            # when told it has none (guest module, rs 5): registered.
            if not (err.modID == zvm_exc.MODID_GUEST and
                    err.rs == RS_REGISTERED_NO_NIC):
                raise

    def destroy(self, instance):
        userid = names.userid(instance)
        if instance.uuid in self._not_created:
            # Nova cleans up after a failed spawn with destroy; this spawn
            # never created the guest, so one with this name is not ours.
            self._not_created.discard(instance.uuid)
            LOG.warning("Not deleting guest %s: this instance's spawn did "
                        "not create it", userid, instance=instance)
            return
        self.delete_guest(userid, instance)
