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

"""The z/VM compute driver.

This class only delegates: each concern lives in its own module, and
:func:`exception.translate` on every public method is the one place where
an unexpected error becomes a Nova exception. Operations the driver does not
support are listed, with reasons, in :mod:`unsupported`.
"""

from oslo_log import log as logging

import nova.conf
from nova import context as nova_context
from nova.virt import driver

from nova_zvm import conf as zvm_conf
from nova_zvm.virt.zvm import assembly
from nova_zvm.virt.zvm import capabilities as zvm_capabilities
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import leftover_guests
from nova_zvm.virt.zvm import rescue
from nova_zvm.virt.zvm import startup
from nova_zvm.virt.zvm import unsupported

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF
zvm_conf.register_opts(CONF)


class ZVMDriver(driver.ComputeDriver):
    """z/VM implementation of ComputeDriver."""

    # Every key of ComputeDriver.capabilities, stated on purpose.
    capabilities = zvm_capabilities.CAPABILITIES

    def __init__(self, virtapi, client=None):
        super(ZVMDriver, self).__init__(virtapi)
        startup.check_or_stop(CONF)
        # The objects delegated to, one per concern (assembly.py).
        parts = assembly.Parts(CONF, virtapi, client=client)
        self._power = parts.power
        self._client = parts.client
        self._host = parts.host
        self._image = parts.image
        self._image_cache = parts.image_cache
        self._snapshot = parts.snapshot
        self._network = parts.network
        self._volume = parts.volume
        self._guest = parts.guest
        self._spawn = parts.spawn
        self._interface = parts.interface
        self._live_migration = parts.live_migration
        self._migration = parts.migration
        self._evacuate = parts.evacuate
        self._listing = parts.listing
        self._teardown = parts.teardown
        # The compute service's host name, from init_host: several services
        # can share one process (and CONF.host) in Nova's test harness.
        self._hostname = CONF.host
        LOG.info("z/VM driver initialised for connector %s",
                 CONF.zvm.cloud_connector_url)

    # -- host ----------------------------------------------------------------

    @zvm_exc.translate
    def init_host(self, host):
        self._hostname = host
        # FCP releases to retry are kept in this host's ledger (volume/fcp.py).
        self._volume.reservations.host = host
        self._host.problem.host = host
        self._host.first_contact()

    @zvm_exc.translate
    def get_available_nodes(self, refresh=False):
        return self._host.get_available_nodes(refresh=refresh)

    @zvm_exc.translate
    def get_nodenames_by_uuid(self, refresh=False):
        return self._host.get_nodenames_by_uuid(refresh=refresh)

    @zvm_exc.translate
    def get_available_resource(self, nodename):
        # Periodic: FCP releases that failed are tried again (volume/fcp.py).
        self._volume.reservations.retry_pending()
        # Nova's periodic resource update owns the source guests a confirm
        # could not delete (no connector call while there are none).
        leftover_guests.retry(nova_context.get_admin_context(),
                              self._hostname, self._guest)
        return self._host.get_available_resource(nodename)

    @zvm_exc.translate
    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        inventory = provider_tree.data(nodename).inventory
        self._host.update_provider_tree(
            provider_tree, nodename,
            self._get_allocation_ratios(inventory),
            self._get_reserved_host_disk_gb_from_config())

    @zvm_exc.translate
    def get_host_uptime(self):
        return self._host.get_host_uptime()

    def get_host_ip_addr(self):
        return CONF.my_ip

    # -- inventory of guests -------------------------------------------------

    @zvm_exc.translate
    def list_instances(self):
        return self._listing.instance_names(self._hostname)

    @zvm_exc.translate
    def list_instance_uuids(self):
        return self._listing.instance_uuids(self._hostname)

    @zvm_exc.translate
    def instance_exists(self, instance):
        # Nova asks before an evacuation: inside an SSI cluster the shared
        # directory has the failed member's guest, not yet this host's.
        return self._evacuate.instance_exists(instance)

    @zvm_exc.translate
    def instance_on_disk(self, instance):
        return self._evacuate.instance_on_disk(instance)

    @zvm_exc.translate
    def get_info(self, instance, use_cache=True):
        return self._power.instance_info(instance, use_cache=use_cache)

    @zvm_exc.translate
    def get_console_output(self, context, instance):
        return self._guest.console_output(instance)

    @zvm_exc.translate
    def get_instance_diagnostics(self, instance):
        return self._guest.diagnostics(instance)

    # -- lifecycle -----------------------------------------------------------

    @zvm_exc.translate
    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        self._spawn.spawn(context, instance, image_meta, injected_files,
                          admin_password, network_info or [],
                          block_device_info, power_on=power_on)

    @zvm_exc.translate
    def rebuild(self, context, instance, image_meta, injected_files,
                admin_password, allocations, bdms, detach_block_devices,
                attach_block_devices, network_info=None,
                evacuate=False, block_device_info=None,
                preserve_ephemeral=False, accel_uuids=None,
                reimage_boot_volume=False):
        if not (evacuate and self._evacuate.instance_on_disk(instance)):
            # Nova's default: destroy (not when evacuating) and spawn.
            raise NotImplementedError()
        self._evacuate.recreate_on_shared(instance, network_info or [],
                                          block_device_info)

    @zvm_exc.translate
    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        self._teardown.destroy(context, instance, block_device_info,
                               self._hostname)

    @zvm_exc.translate
    def cleanup(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, migrate_data=None, destroy_vifs=True,
                destroy_secrets=True):
        # The guest, its minidisks and NICs go with guest_delete in destroy;
        # the driver keeps no per-instance files on the compute host
        # between operations, so nothing is left to remove here.
        pass

    @zvm_exc.translate
    def power_off(self, instance, timeout=0, retry_interval=0):
        # Nova stops the guest before it calls rescue: refused here, the
        # guest keeps running (rescue.py).
        rescue.refuse_rescue_power_off(instance)
        self._guest.power_off(instance, timeout, retry_interval)

    @zvm_exc.translate
    def power_on(self, context, instance, network_info,
                 block_device_info=None, accel_info=None, share_info=None):
        self._guest.power_on(instance)

    @zvm_exc.translate
    def resume_state_on_host_boot(self, context, instance, network_info,
                                  share_info, block_device_info=None):
        # A z/VM guest survives a restart of the compute host; start it if
        # z/VM itself was re-IPLed and the guest was not autologged.
        self._guest.power_on(instance)

    @zvm_exc.translate
    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None, bad_volumes_callback=None,
               accel_info=None, share_info=None):
        self._guest.reboot(instance, reboot_type)

    @zvm_exc.translate
    def pause(self, instance):
        self._guest.pause(instance)

    @zvm_exc.translate
    def unpause(self, instance):
        self._guest.unpause(instance)

    @zvm_exc.translate
    def snapshot(self, context, instance, image_id, update_task_state):
        self._snapshot.snapshot(context, instance, image_id,
                                update_task_state)

    @zvm_exc.translate
    def cache_image(self, context, image_id):
        return self._image.cache_image(context, image_id)

    @zvm_exc.translate
    def manage_image_cache(self, context, all_instances):
        self._image_cache.manage_image_cache(context, all_instances)

    # -- resize and cold migration -------------------------------------------

    @zvm_exc.translate
    def migrate_disk_and_power_off(self, context, instance, dest,
                                   flavor, network_info,
                                   block_device_info=None,
                                   timeout=0, retry_interval=0):
        return self._migration.migrate_disk_and_power_off(
            context, instance, dest, flavor, network_info,
            block_device_info, timeout, retry_interval)

    @zvm_exc.translate
    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         allocations, block_device_info=None, power_on=True,
                         share_info=None):
        self._migration.finish_migration(
            context, migration, instance, disk_info, network_info or [],
            image_meta, resize_instance, block_device_info, power_on)

    @zvm_exc.translate
    def confirm_migration(self, context, migration, instance, network_info):
        self._migration.confirm_migration(context, migration, instance,
                                          network_info)

    @zvm_exc.translate
    def finish_revert_migration(self, context, instance, network_info,
                                migration, block_device_info=None,
                                power_on=True, share_info=None):
        self._migration.finish_revert_migration(
            context, instance, network_info or [], migration,
            block_device_info, power_on)

    @zvm_exc.translate
    def delete_instance_files(self, instance):
        return self._migration.delete_instance_files(instance)

    # -- volumes (volume/) ---------------------------------------------------

    @zvm_exc.translate
    def get_volume_connector(self, instance):
        # A guest relocating here keeps its FCP device numbers.
        return self._volume.get_volume_connector(
            instance, fcp_devices=self._live_migration.incoming_fcp_devices(
                instance, self._hostname))

    @zvm_exc.translate
    def attach_volume(self, context, connection_info, instance, mountpoint,
                      disk_bus=None, device_type=None, encryption=None):
        self._volume.attach_volume(instance, connection_info, mountpoint,
                                   encryption=encryption)

    @zvm_exc.translate
    def detach_volume(self, context, connection_info, instance, mountpoint,
                      encryption=None):
        # Nova also detaches on the other side of a live migration (its
        # rollback); the guest runs here only where Nova places it.
        self._volume.detach_volume(instance, connection_info, mountpoint,
                                   local=instance.host == self._hostname)

    # -- live migration (live_migration.py) ----------------------------------

    @zvm_exc.translate
    def check_can_live_migrate_destination(self, context, instance,
                                           src_compute_info, dst_compute_info,
                                           block_migration=False,
                                           disk_over_commit=False):
        return self._live_migration.check_can_live_migrate_destination(
            context, instance, src_compute_info, dst_compute_info,
            block_migration, disk_over_commit)

    @zvm_exc.translate
    def check_source_migrate_data_at_dest(self, ctxt, instance, migrate_data,
                                          migration, limits, allocs):
        return self._live_migration.check_source_migrate_data_at_dest(
            ctxt, instance, migrate_data)

    @zvm_exc.translate
    def cleanup_live_migration_destination_check(self, context,
                                                 dest_check_data):
        self._live_migration.cleanup_live_migration_destination_check(
            context, dest_check_data)

    @zvm_exc.translate
    def check_can_live_migrate_source(self, context, instance,
                                      dest_check_data, block_device_info=None):
        return self._live_migration.check_can_live_migrate_source(
            context, instance, dest_check_data, block_device_info)

    @zvm_exc.translate
    def pre_live_migration(self, context, instance, block_device_info,
                           network_info, disk_info, migrate_data):
        return self._live_migration.pre_live_migration(
            context, instance, block_device_info, network_info, disk_info,
            migrate_data)

    @zvm_exc.translate
    def live_migration(self, context, instance, dest,
                       post_method, recover_method, block_migration=False,
                       migrate_data=None):
        self._live_migration.live_migration(
            context, instance, dest, post_method, recover_method,
            block_migration, migrate_data)

    @zvm_exc.translate
    def post_live_migration(self, context, instance, block_device_info,
                            migrate_data=None):
        self._live_migration.post_live_migration(
            context, instance, block_device_info, migrate_data)

    @zvm_exc.translate
    def post_live_migration_at_source(self, context, instance, network_info):
        self._live_migration.post_live_migration_at_source(
            context, instance, network_info)

    @zvm_exc.translate
    def post_live_migration_at_destination(self, context, instance,
                                           network_info,
                                           block_migration=False,
                                           block_device_info=None):
        self._live_migration.post_live_migration_at_destination(
            context, instance, network_info, block_migration,
            block_device_info)

    @zvm_exc.translate
    def rollback_live_migration_at_destination(self, context, instance,
                                               network_info,
                                               block_device_info,
                                               destroy_disks=True,
                                               migrate_data=None):
        self._live_migration.rollback_live_migration_at_destination(
            context, instance, network_info, block_device_info,
            destroy_disks, migrate_data)

    # -- networking ----------------------------------------------------------

    @zvm_exc.translate
    def plug_vifs(self, instance, network_info):
        self._network.plug_instance_vifs(instance, network_info)

    @zvm_exc.translate
    def attach_interface(self, context, instance, image_meta, vif):
        self._interface.attach_interface(instance, vif)

    @zvm_exc.translate
    def detach_interface(self, context, instance, vif):
        self._interface.detach_interface(instance, vif)

    @zvm_exc.translate
    def unplug_vifs(self, instance, network_info):
        self._network.unplug_instance_vifs(instance, network_info)


unsupported.install(ZVMDriver)
