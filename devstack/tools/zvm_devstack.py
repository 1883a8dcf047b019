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

"""What devstack/plugin.sh asks the installed driver (run with its Python).

``options``
    The names of the ``[zvm]`` options, one a line: the plugin writes each
    one whose ``ZVM_<NAME>`` variable is set.
``check-template TEMPLATE``
    Exit 1, printing the reason, when ``instance_name_template``
    TEMPLATE does not give valid z/VM userids (the driver's own check).
``image PATH``
    Write a disk image file in the format the z/VM Cloud Connector imports
    (``nova_zvm.simulator.images``), for simulator mode; prints its md5.
``tempest``
    ``SECTION OPTION VALUE`` lines of tempest feature flags, read from the
    driver's code (``unsupported.UNSUPPORTED``, ``capabilities``), so that
    tempest runs what the driver does and skips what it refuses.
"""

import argparse
import sys


def zvm_option_names():
    from nova_zvm import conf
    names = []
    for _group, opts in conf.list_opts():
        names.extend(opt.dest for opt in opts)
    return names


def check_template(template):
    from nova_zvm.virt.zvm import names
    return names.check_name_template(template)


def write_image(path, disk_type, size, payload_bytes):
    from nova_zvm.simulator import images
    payload = images.pattern_payload(payload_bytes)
    return images.write_image(path, disk_type=disk_type, size=str(size),
                              payload=payload)


# tempest [compute-feature-enabled] flag -> the driver methods it needs.
FLAG_METHODS = {
    'resize': ('migrate_disk_and_power_off', 'finish_migration',
               'confirm_migration', 'finish_revert_migration'),
    'cold_migration': ('migrate_disk_and_power_off', 'finish_migration',
                       'confirm_migration', 'finish_revert_migration'),
    'live_migration': ('check_can_live_migrate_destination',
                       'check_can_live_migrate_source',
                       'pre_live_migration', 'live_migration',
                       'post_live_migration_at_destination',
                       'rollback_live_migration_at_destination'),
    'pause': ('pause', 'unpause'),
    'suspend': ('suspend', 'resume'),
    'rescue': ('rescue', 'unrescue'),
    'snapshot': ('snapshot',),
    'shelve': ('snapshot',),
    'console_output': ('get_console_output',),
    'vnc_console': ('get_vnc_console',),
    'spice_console': ('get_spice_console',),
    'serial_console': ('get_serial_console',),
    'interface_attach': ('attach_interface', 'detach_interface'),
    'change_password': ('set_admin_password',),
    'swap_volume': ('swap_volume',),
    'extend_attached_volume': ('extend_volume',),
}

# tempest flag -> the driver capability it needs.
FLAG_CAPABILITIES = {
    'volume_multiattach': 'supports_multiattach',
}

# Never on this driver, whatever the code: z/VM has no block migration
# (relocation keeps the guest's disks), no host-side volume encryption and
# no stable device rescue.
ALWAYS_OFF = ('block_migration_for_live_migration', 'attach_encrypted_volume',
              'stable_rescue')
ALWAYS_ON = ('config_drive',)


def tempest_flags():
    from nova.virt import driver as virt_driver

    from nova_zvm.virt.zvm import driver
    from nova_zvm.virt.zvm import unsupported

    def supported(name):
        if name in unsupported.UNSUPPORTED:
            return False
        for klass in driver.ZVMDriver.__mro__:
            if klass is virt_driver.ComputeDriver:
                return False
            if name in klass.__dict__:
                return True
        return False

    flags = {}
    for flag, methods in FLAG_METHODS.items():
        flags[flag] = all(supported(m) for m in methods)
    for flag, capability in FLAG_CAPABILITIES.items():
        flags[flag] = bool(driver.ZVMDriver.capabilities.get(capability))
    for flag in ALWAYS_OFF:
        flags[flag] = False
    for flag in ALWAYS_ON:
        flags[flag] = True
    return [('compute-feature-enabled', flag, str(value))
            for flag, value in sorted(flags.items())]


def main(argv=None):
    parser = argparse.ArgumentParser(prog='zvm_devstack.py')
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('options')
    check = sub.add_parser('check-template')
    check.add_argument('template')
    image = sub.add_parser('image')
    image.add_argument('path')
    image.add_argument('--disk-type', default='ECKD')
    image.add_argument('--size', default='1000')
    image.add_argument('--payload-bytes', type=int, default=1024 * 1024)
    sub.add_parser('tempest')
    args = parser.parse_args(argv)
    if args.command == 'options':
        for name in zvm_option_names():
            print(name)
    elif args.command == 'check-template':
        reason = check_template(args.template)
        if reason:
            print(reason)
            return 1
    elif args.command == 'image':
        info = write_image(args.path, args.disk_type, args.size,
                           args.payload_bytes)
        print(info['md5sum'])
    else:
        for line in tempest_flags():
            print(' '.join(line))
    return 0


if __name__ == '__main__':
    sys.exit(main())
