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

"""The console spool of a guest: what it prints when it logs on, boots,
configures itself from its config drive, shuts down.

The text is made from the guest's record so that a test (or a person on
the tour) can read in ``guest_get_console_output`` what the guest applied:
hostname, addresses, number of keys and injected files. Secrets never
appear: only whether an admin password or user data was given.
"""

import time


def _stamp(now):
    return time.strftime('%H:%M:%S', time.gmtime(now))


def _kernel(os_version):
    distro = (os_version or 'linux').lower()
    if distro.startswith(('rhel', 'redhat', 'rhcos')):
        return '4.18.0-513.el8.s390x'
    if distro.startswith(('sles', 'suse')):
        return '5.14.21-150500.53-default'
    if distro.startswith('ubuntu'):
        return '5.15.0-91-generic'
    return '5.14.0-362.el9.s390x'


def kernel_info(os_version):
    """What ``uname -srm`` answers in the guest."""
    return 'Linux %s s390x' % _kernel(os_version)


def hostname_of(g):
    drive = g.get('config_drive') or {}
    return (drive.get('hostname') or g.get('hostname') or
            g['userid'].lower())


def logon(g, host, now):
    return ['%s HCPLGA2475I LOGON %s ON %s: z/VM Version 7 Release 3.0' %
            (_stamp(now), g['userid'], host)]


def _addresses(g):
    """(device, address) pairs the guest configures."""
    pairs = []
    for vdev in sorted(g.get('network_config', {})):
        conf = g['network_config'][vdev]
        if conf.get('ip_addr'):
            prefix = (conf.get('cidr') or '/').split('/')[-1]
            line = '%s/%s' % (conf['ip_addr'], prefix)
            if conf.get('gateway_addr'):
                line += ' via %s' % conf['gateway_addr']
            pairs.append(('enc%s' % vdev.lower().lstrip('0'), line))
    drive = g.get('config_drive') or {}
    for net in drive.get('addresses', []):
        if net.get('address'):
            line = '%s/%s' % (net['address'], net.get('prefix'))
            if net.get('gateway'):
                line += ' via %s' % net['gateway']
            pairs.append((net.get('link') or 'eth', line))
        elif net.get('type'):
            pairs.append((net.get('link') or 'eth', net['type']))
    return pairs


def boot(g, now, first):
    """Lines a guest prints when it IPLs its root disk.

    A guest whose root disk holds nothing enters a disabled wait, as a real
    one does; nothing else runs in it.
    """
    root = g['disks'].get(g.get('ipl') or '0100')
    if root is None or not g.get('deployed'):
        return ['%s HCPGIR450W CP entered; disabled wait PSW '
                '00020000 80000000 00000000 00000000' % _stamp(now)]
    os_version = g.get('os_version') or 'linux'
    lines = [
        '[    0.000000] Linux version %s (%s) #1 SMP' % (
            _kernel(os_version), os_version),
        '[    0.210000] setup: Linux is running as a z/VM guest operating '
        'system in 64-bit mode',
        '[    1.120000] dasd-%s 0.0.%s: New DASD with %d %s' % (
            'eckd' if root['type'] == 'ECKD' else 'fba',
            root['vdev'].lower(), root['units'],
            'cylinders' if root['unit'] == 'CYL' else 'blocks'),
    ]
    host = hostname_of(g)
    if g.get('grow_root'):
        lines.append('zvmguestconfigure[402]: growing root partition and '
                     'file system')
    for conf in g.get('minidisk_config', []):
        lines.append('zvmguestconfigure[402]: disk %s formatted %s, mounted '
                     'on %s' % (conf['vdev'], conf['format'],
                                conf['mntdir']))
    for vol in g.get('volumes', []):
        lines.append('zvmguestconfigure[402]: volume %s online at %s' %
                     (vol['lun'], vol.get('mount_point') or '-'))
    drive = g.get('config_drive')
    if first and drive is not None:
        lines.append('zvmguestconfigure[402]: reader file cfgdrive.iso '
                     '(class X): config drive %s' % drive['label'])
        lines.append('cloud-init[811]: Cloud-init v. 23.4 running '
                     "'init' (first boot), instance %s" % drive.get('uuid'))
        lines.append('cloud-init[811]: set hostname to %s' % host)
        for dev, addr in _addresses(g):
            lines.append('cloud-init[811]: %s: %s' % (dev, addr))
        lines.append('cloud-init[811]: ssh authorized keys: %d' %
                     len(drive.get('public_keys') or {}))
        lines.append('cloud-init[811]: injected files: %d' %
                     len(drive.get('files') or []))
        lines.append('cloud-init[811]: user-data: %s' %
                     ('present' if drive.get('user_data') else 'none'))
        lines.append('cloud-init[811]: admin password: %s' %
                     ('set' if drive.get('admin_pass') else 'not set'))
    else:
        for dev, addr in _addresses(g):
            lines.append('NetworkManager[610]: %s: %s' % (dev, addr))
    lines.append('')
    lines.append('%s login: ' % host)
    return lines


def shutdown(g, now, soft):
    lines = []
    if soft and g.get('deployed'):
        lines.append('%s: The system is going down NOW!' % hostname_of(g))
        lines.append('[ 9999.000000] reboot: Power down')
    lines.append('%s HCPLGA2476I LOGOFF %s' % (_stamp(now), g['userid']))
    return lines


def reboot(g, now):
    return ['%s: The system is going down for reboot NOW!' % hostname_of(g),
            '[ 9999.000000] reboot: Restarting system']


def forced(g, now):
    return ['%s HCPFRC6001I %s FORCED BY OPERATOR' % (
        _stamp(now), g['userid'])]
