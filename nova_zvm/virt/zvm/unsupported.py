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

"""What the driver does not do, in one list, with the reason for each.

Every ``ComputeDriver`` method whose base implementation raises
``NotImplementedError`` is in exactly one of three places:

* implemented by :class:`nova_zvm.virt.zvm.driver.ZVMDriver`;
* :data:`NOVA_DEFAULT`: left to the base class on purpose, because Nova reads
  ``NotImplementedError`` from these as "use the generic behaviour" (for
  example device names get Nova's defaults);
* :data:`UNSUPPORTED`: refused with :class:`NotSupported`, whose message
  says why. It is a ``NotImplementedError`` so that Nova's own handling of
  unsupported operations (HTTP 400/409 from the API, skipped periodic tasks)
  applies, and it carries a message an operator can act on.

A unit test keeps the three in step with the code and with the support
matrix.
"""

import functools

from nova.virt import driver as virt_driver

from nova_zvm.virt.zvm import compat

NOVA_DEFAULT = {
    'get_device_name_for_instance': "Nova's default device names",
    'default_root_device_name': "Nova's default device names",
    'default_device_names_for_instance': "Nova's default device names",
    'check_instance_shared_storage_local': "Nova's generic shared-storage "
                                           "check",
    'check_instance_shared_storage_remote': "Nova's generic shared-storage "
                                            "check",
    'get_instance_disk_info': "no local disk files to report",
    'poll_rebooting_instances': "reboots complete synchronously",
    'get_all_volume_usage': "volume usage is not metered",
}

# Implemented by the driver for some cases only, raising
# NotImplementedError for Nova's generic behaviour in the others.
NOVA_FALLBACK = {
    'rebuild': "evacuation inside an SSI cluster takes the guest over "
               "(evacuate.py); any other rebuild is Nova's destroy and "
               "spawn",
}

_NO_CONSOLE = ("z/VM guests have no graphical or serial console proxy; use "
               "the console log (get_console_output)")
_NO_AGENT = "the z/VM Cloud Connector has no in-guest agent for this"
_NO_API = "the z/VM Cloud Connector has no API for this"
# Kept short: Nova's fault keeps 255 characters of the message.
_NO_RESCUE = ("zvmsdk 1.6.3 has no API to IPL a guest from another device "
              "than guest_create's ipl_from")

UNSUPPORTED = {
    # rescue.py: why, and the refusal before Nova stops the guest.
    'rescue': _NO_RESCUE,
    'unrescue': _NO_RESCUE,
    'suspend': "z/VM guests cannot be suspended to disk through the "
               "connector; use pause",
    'resume': "z/VM guests cannot be suspended to disk through the "
              "connector; use unpause",
    'soft_delete': "use [DEFAULT] reclaim_instance_interval 0",
    'restore': "use [DEFAULT] reclaim_instance_interval 0",
    'set_admin_password': _NO_AGENT,
    'quiesce': _NO_AGENT,
    'unquiesce': _NO_AGENT,
    'trigger_crash_dump': _NO_API,
    'get_vnc_console': _NO_CONSOLE,
    'get_spice_console': _NO_CONSOLE,
    'get_serial_console': _NO_CONSOLE,
    'get_mks_console': _NO_CONSOLE,
    'get_diagnostics': "use the v2.48 diagnostics (get_instance_diagnostics)",
    'get_host_cpu_stats': _NO_API,
    'block_stats': _NO_API,
    'host_power_action': "z/VM systems are not powered by Nova",
    'host_maintenance_mode': "use nova-manage or the os-services API",
    'set_host_enabled': "use the os-services API",
    'power_update_event': "only for drivers whose power changes come from "
                          "outside (Ironic)",
    'mount_share': "virtiofs shares do not exist on z/VM",
    'umount_share': "virtiofs shares do not exist on z/VM",
    'is_share_mounted': "virtiofs shares do not exist on z/VM",
    'volume_snapshot_create': "assisted volume snapshots are a libvirt "
                              "feature",
    'volume_snapshot_delete': "assisted volume snapshots are a libvirt "
                              "feature",
    # Volumes (volume/) and live migration (live_migration.py): what
    # z/VM and its connector cannot do.
    'swap_volume': "swapping volumes needs a block copy by the hypervisor "
                   "while the guest runs (libvirt's blockRebase); z/VM has "
                   "none: copy the data inside the guest",
    'extend_volume': "the z/VM Cloud Connector has no API to make a guest "
                     "rescan a resized LUN; rescan it inside the guest",
    'live_migration_abort': "the z/VM Cloud Connector has no API to cancel "
                            "a running relocation (VMRELOCATE CANCEL); "
                            "[zvm] live_migration_max_total bounds it",
    'live_migration_force_complete': "the z/VM Cloud Connector cannot "
                                     "change a running relocation; set "
                                     "[zvm] live_migration_immediate for "
                                     "relocations that go straight to the "
                                     "quiesce phase",
}


class NotSupported(NotImplementedError):
    """An operation the z/VM driver refuses, with the reason."""

    def __init__(self, operation):
        self.operation = operation
        self.reason = UNSUPPORTED[operation]
        super(NotSupported, self).__init__(
            "The z/VM driver does not support %s: %s" %
            (operation, self.reason))


def _refusal(name):
    base = getattr(virt_driver.ComputeDriver, name)

    @functools.wraps(base)
    def refuse(self, *args, **kwargs):
        raise NotSupported(name)
    # Keep the base signature visible (inspect follows __wrapped__), so the
    # signature test covers these methods too.
    refuse.__signature__ = compat.driver_signature(name)
    return refuse


def install(cls):
    """Give cls a refusing method for each unsupported operation.

    Operations cls implements itself are left alone, and so are those this
    Nova's ComputeDriver does not have yet (compat.DRIVER_METHODS_ADDED).
    """
    for name in UNSUPPORTED:
        if name not in cls.__dict__ and compat.base_has(name):
            setattr(cls, name, _refusal(name))
    return cls
