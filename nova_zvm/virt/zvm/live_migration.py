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

"""Live migration: z/VM Live Guest Relocation inside an SSI cluster.

z/VM relocates a running guest (``VMRELOCATE``) between the members of one
Single System Image cluster. The members share the user directory and the
DASD the guests' minidisks live on, so nothing is copied but memory: block
migration is refused. Each member has its own z/VM Cloud Connector, hence
its own nova-compute; the connector call is
``guest_live_migrate(userid, dest_zcc_userid, destination, parms,
lgr_action)``, ``'test'`` to ask z/VM whether it would, ``'move'`` to do it.

Calls per host, in Nova's order (S source, D destination):

1. D ``check_can_live_migrate_destination``: ``host_get_info`` (cached by
   the resource tracker's update) and ``host_get_ssi_info``: this z/VM system
   and its SSI cluster. Refused when the host is in no SSI or is not a
   joined member, or for a block migration.
2. S ``check_can_live_migrate_source``: ``host_get_ssi_info`` (same
   cluster, destination joined, not this system), ``guest_get_power_state``
   (z/VM relocates running guests only) and ``guest_live_migrate(...,
   'test')``; z/VM's refusal becomes ``MigrationPreCheckError``.
3. D ``check_source_migrate_data_at_dest``: for a guest with FCP volumes,
   ``get_fcp_usage`` of each of its FCP devices: the device must exist on
   the destination and be free there (a relocated guest keeps its device
   numbers).
4. D Nova's ``get_volume_connector`` (volume/ops.py) reserves those very FCP
   devices for the guest on the destination's connector, and
   ``pre_live_migration`` counts the volume connections there (database
   only: the guest is not there yet). Nothing else is needed: NICs and
   dedicated devices travel in the guest's directory entry.
5. S ``live_migration``: ``guest_live_migrate(..., 'move')`` with
   MAXTOTAL from :func:`relocation.relocation_limit` (always bounded),
   ``live_migration_max_quiesce`` and ``live_migration_immediate``. Then
   Nova's ``post_method``. On failure, ``guest_get_power_state`` tells where
   the guest is (:mod:`relocation_outcome`): still here, Nova's
   ``recover_method`` (the server stays ACTIVE on the source; the
   connector's reason becomes an instance fault and a failed
   ``compute_zvm_relocation`` action event); gone (the move
   completed although its answer was lost), ``post_method``; unknown, the
   error is raised (Nova sets the server to ERROR). Without an answer (read
   timeout, lost connection) the relocation may still run: z/VM is asked
   again every few seconds until the guest has left or z/VM's limit plus a
   grace period has passed.
6. S ``post_live_migration`` (volume connections and FCP reservations of
   the source's connector: ``volume_detach`` with
   ``update_connections_only`` and ``get_volume_connector(reserve=False)``)
   and ``post_live_migration_at_source`` (``guest_deregister``: the source's
   connector forgets the guest). Failures there are logged, not raised: the
   guest already runs on the destination.
7. D ``post_live_migration_at_destination``: ``guest_register`` with the
   guest's OS (``os_version=<distro>``), whether it has networks, and its
   NICs' MAC suffixes mapped to Neutron port ids, so that the destination's
   connector (and the z/VM Neutron agent reading it) knows the NICs.

On a failed relocation Nova's rollback removes the volume connections on
the destination (``remove_volume_connection``, our ``detach_volume`` with
connector records only, as the guest does not run there).
``live_migration_abort`` and ``live_migration_force_complete`` are refused:
the connector has no API to cancel (``VMRELOCATE CANCEL``) or to change a
running relocation.

The migrate data is Nova's own ``VMwareLiveMigrateData`` carrying z/VM
facts (:mod:`live_migrate_data` says why and what); the SSI facts are read
by :mod:`ssi`; the relocation's parameters come from :mod:`relocation`.
"""

import time

from oslo_log import log as logging

from nova.compute import task_states
from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import host
from nova_zvm.virt.zvm import live_migrate_data
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import relocation
from nova_zvm.virt.zvm import relocation_outcome
from nova_zvm.virt.zvm import ssi as zvm_ssi

LOG = logging.getLogger(__name__)

BLOCK_MIGRATION_REFUSED = _(
    "block migration is not supported: z/VM Live Guest Relocation moves a "
    "running guest between members of one SSI cluster, whose minidisks are "
    "on DASD all members share, so there are no disks to copy. Live "
    "migrate without --block-migration.")


class LiveMigrationOps(object):

    def __init__(self, client, host_ops, volume_ops):
        self._client = client
        self._host = host_ops
        self._volume = volume_ops
        # Destination side: FCP devices of guests about to relocate here,
        # by instance uuid, for Nova's get_volume_connector call.
        self._incoming = {}
        self._sleep = time.sleep  # between polls; tests replace it

    # -- helpers -------------------------------------------------------------

    def _this_system(self):
        info = self._host.host_info(max_age=host.HOST_INFO_MAX_AGE)
        system = info.get('zvm_host') or info.get('hypervisor_hostname')
        return str(system).upper(), info.get('zcc_userid')

    def _ssi(self):
        return zvm_ssi.parse_ssi(self._client.call('host_get_ssi_info'))

    def incoming_fcp_devices(self, instance, hostname):
        """FCP devices a guest relocating to this host keeps, or None."""
        if (instance.task_state != task_states.MIGRATING or
                instance.host == hostname):
            return None
        return self._incoming.get(instance.uuid)

    # -- checks --------------------------------------------------------------

    def check_can_live_migrate_destination(self, context, instance,
                                           src_compute_info,
                                           dst_compute_info,
                                           block_migration=False,
                                           disk_over_commit=False):
        if block_migration:
            raise exception.MigrationPreCheckError(
                reason=BLOCK_MIGRATION_REFUSED)
        system, zcc_userid = self._this_system()
        ssi = self._ssi()
        if ssi is None:
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM system %s is not a member of an SSI cluster: Live "
                "Guest Relocation moves guests between members of one SSI "
                "cluster only") % system)
        state = ssi['members'].get(system)
        if not zvm_ssi.is_joined(ssi, system):
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM system %(sys)s is not a joined member of SSI cluster "
                "%(ssi)s (state %(state)s)") % {
                    'sys': system, 'ssi': ssi['name'], 'state': state})
        return live_migrate_data.new(
            ssi['name'], {'member': system, 'zcc_userid': zcc_userid})

    def check_can_live_migrate_source(self, context, instance,
                                      dest_check_data,
                                      block_device_info=None):
        facts = live_migrate_data.facts_of(dest_check_data)
        dest = facts['member']
        userid = names.userid(instance)
        system, _zcc = self._this_system()
        if dest == system:
            raise exception.MigrationPreCheckError(reason=_(
                "%(uid)s already runs on z/VM system %(sys)s") % {
                    'uid': userid, 'sys': system})
        ssi = self._ssi()
        cluster = dest_check_data.cluster_name
        if ssi is None or ssi['name'] != cluster:
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM system %(sys)s is in SSI cluster %(here)s, the "
                "destination %(dest)s in %(there)s: z/VM relocates guests "
                "inside one SSI cluster only") % {
                    'sys': system, 'here': ssi['name'] if ssi else _('none'),
                    'dest': dest, 'there': cluster})
        if not zvm_ssi.is_joined(ssi, dest):
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM system %(dest)s is not a joined member of SSI cluster "
                "%(ssi)s as seen from %(sys)s (state %(state)s)") % {
                    'dest': dest, 'ssi': ssi['name'], 'sys': system,
                    'state': ssi['members'].get(dest)})
        power = self._client.call('guest_get_power_state', userid)
        if power != 'on':
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM relocates running guests only; %(uid)s is %(state)s")
                % {'uid': userid, 'state': power})
        fcps = self._volume.guest_fcp_devices(instance, block_device_info)
        try:
            self._client.call('guest_live_migrate', userid,
                              facts.get('zcc_userid'), dest, {}, 'test')
        except zvm_exc.ConnectorError as err:
            raise exception.MigrationPreCheckError(reason=_(
                "z/VM would not relocate %(uid)s to %(dest)s: %(err)s") % {
                    'uid': userid, 'dest': dest,
                    'err': err.errmsg or err})
        facts.update(source=system, fcp=fcps)
        live_migrate_data.set_facts(dest_check_data, facts)
        return dest_check_data

    def check_source_migrate_data_at_dest(self, context, instance,
                                          migrate_data):
        """The guest's FCP devices must exist and be free here."""
        facts = live_migrate_data.facts_of(migrate_data)
        userid = names.userid(instance)
        fcps = facts.get('fcp') or []
        for fcp in fcps:
            try:
                usage = self._client.call('get_fcp_usage', fcp)
            except zvm_exc.ConnectorError as err:
                raise exception.MigrationPreCheckError(reason=_(
                    "FCP device %(fcp)s, which %(uid)s uses for its "
                    "volumes, is not usable on z/VM system %(sys)s: "
                    "%(err)s") % {'fcp': fcp, 'uid': userid,
                                  'sys': facts['member'],
                                  'err': err.errmsg or err})
            usage = list(usage or []) + [None] * 3
            assigner, reserved, connections = usage[:3]
            if (reserved or connections) and \
                    str(assigner or '').upper() != userid:
                raise exception.MigrationPreCheckError(reason=_(
                    "FCP device %(fcp)s, which %(uid)s uses for its "
                    "volumes, is in use by %(other)s on z/VM system "
                    "%(sys)s") % {'fcp': fcp, 'uid': userid,
                                  'other': assigner, 'sys': facts['member']})
        if fcps:
            self._incoming[instance.uuid] = list(fcps)
        else:
            self._incoming.pop(instance.uuid, None)
        return migrate_data

    def cleanup_live_migration_destination_check(self, context,
                                                 dest_check_data):
        # The checks reserve nothing and leave nothing behind.
        pass

    # -- the relocation ------------------------------------------------------

    def pre_live_migration(self, context, instance, block_device_info,
                           network_info, disk_info, migrate_data):
        facts = live_migrate_data.facts_of(migrate_data,
                                           error=exception.MigrationError)
        # NICs and dedicated FCP devices travel in the guest's directory
        # entry; only this connector's volume records are prepared.
        self._volume.record_incoming(instance, block_device_info,
                                     facts.get('fcp'))
        return migrate_data

    def live_migration(self, context, instance, dest, post_method,
                       recover_method, block_migration=False,
                       migrate_data=None):
        if block_migration:
            raise exception.MigrationError(reason=BLOCK_MIGRATION_REFUSED)
        facts = live_migrate_data.facts_of(migrate_data,
                                           error=exception.MigrationError)
        userid = names.userid(instance)
        parms = relocation.relocation_parms()
        LOG.info("Relocating %(uid)s to z/VM system %(dest)s (host "
                 "%(host)s) with %(parms)s", {
                     'uid': userid, 'dest': facts['member'], 'host': dest,
                     'parms': parms}, instance=instance)
        started = time.monotonic()
        try:
            self._client.call('guest_live_migrate', userid,
                              facts.get('zcc_userid'), facts['member'],
                              parms, 'move')
        except Exception as err:
            left = relocation_outcome.after_failed_move(
                self._client, userid, err, started, self._sleep)
            if left is None:
                LOG.error("Relocation of %(uid)s failed and where it runs "
                          "is unknown: %(err)s", {'uid': userid,
                                                  'err': err},
                          instance=instance)
                raise
            if not left:
                LOG.error("Relocation of %(uid)s to %(dest)s failed; it "
                          "keeps running here: %(err)s", {
                              'uid': userid, 'dest': facts['member'],
                              'err': err}, instance=instance)
                recover_method(context, instance, dest, migrate_data)
                # Nova's rollback records no reason: the connector's is
                # kept as an instance fault and a failed action event.
                relocation_outcome.record_failure(context, instance, err)
                return
            LOG.warning("Relocation of %(uid)s reported %(err)s, but the "
                        "guest has left this z/VM system: completing the "
                        "migration", {'uid': userid, 'err': err},
                        instance=instance)
        LOG.info("Relocated %(uid)s to %(dest)s", {
            'uid': userid, 'dest': facts['member']}, instance=instance)
        post_method(context, instance, dest, block_migration, migrate_data)

    # -- after the relocation ------------------------------------------------

    def post_live_migration(self, context, instance, block_device_info,
                            migrate_data=None):
        """Source: forget the volume connections and FCP reservations."""
        self._volume.forget_volumes(instance, block_device_info,
                                    tolerate=True)

    def post_live_migration_at_source(self, context, instance,
                                      network_info):
        """Source: the connector forgets the guest (now elsewhere)."""
        userid = names.userid(instance)
        try:
            self._client.call('guest_deregister', userid)
        except exception.NovaException as err:
            LOG.error("The z/VM Cloud Connector here keeps a record of "
                      "%(uid)s, which now runs elsewhere: %(err)s", {
                          'uid': userid, 'err': err}, instance=instance)

    def post_live_migration_at_destination(self, context, instance,
                                           network_info,
                                           block_migration=False,
                                           block_device_info=None):
        """Destination: the connector takes the guest and its NICs.

        One call changes z/VM here (``guest_register``), so there is no
        undo stack: if it fails, Nova's own rollback
        (``rollback_live_migration_at_destination`` and the source's
        ``_rollback_live_migration``) is what runs, not this driver's.
        """
        self._incoming.pop(instance.uuid, None)
        userid = names.userid(instance)
        distro = (instance.system_metadata or {}).get('image_os_distro')
        try:
            self._client.call('guest_register', userid,
                              'os_version=%s' % (distro or ''),
                              '1' if network_info else '0',
                              zvm_ssi.port_macs(network_info))
        except zvm_exc.ConnectorError as err:
            # zvmsdk 1.6.3 records the guest, then fails listing its NICs
            # when it has none (guest module, rs 5): registered all the same.
            if network_info or not (err.modID == zvm_exc.MODID_GUEST and
                                    err.rs == zvm_ssi.NO_NIC_RS):
                raise
            LOG.debug("guest_register of %(uid)s, which has no NIC: "
                      "%(err)s", {'uid': userid, 'err': err})
        LOG.info("Registered %s with this z/VM Cloud Connector", userid,
                 instance=instance)

    def rollback_live_migration_at_destination(self, context, instance,
                                               network_info,
                                               block_device_info,
                                               destroy_disks=True,
                                               migrate_data=None):
        """Destination, after a failed relocation: the guest still runs on
        its source (a relocation is all or nothing) and Nova removes the
        volume connections itself; only the driver's memory is cleared and
        FCP devices left reserved without connections are released.
        """
        if self._incoming.pop(instance.uuid, None):
            self._volume.release(names.userid(instance), None)
