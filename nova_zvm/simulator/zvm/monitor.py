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

"""SMAPI name lists and the guests' performance monitor records.

Name lists are SMAPI's (one file per system, shared by its SMAPI
servers): zvmsdk keeps its guests in one (``[zvm] namelist``) and asks
System_Image_Performance_Query for the whole list. Image_Performance_Query
and System_Image_Performance_Query answer only for guests logged on on
this system: CP has no monitor record of a user that is not logged on, so
stopped and unknown guests are simply absent from the answer.

A guest's counters grow from its logon: CPU time at a steady share of its
virtual CPUs, memory in use a share of the storage it logged on with.
"""

import time

from nova_zvm.simulator.zvm import definition
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import host
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import vswitch

# What a mostly idle Linux guest looks like to the monitor.
CPU_BUSY_SHARE = 0.02
MEMORY_IN_USE_SHARE = 0.5


def _namelists(zvm):
    return zvm.state.system_info().get('namelists', {})


@smcli.api('Name_List_Add')
def name_list_add(zvm, req):
    name = req.opt('n', '').upper()
    with zvm.state.update_system() as info:
        members = info.setdefault('namelists', {}).setdefault(req.target, [])
        if name not in members:
            members.append(name)
    return ''


@smcli.api('Name_List_Remove')
def name_list_remove(zvm, req):
    name = req.opt('n', '').upper()
    with zvm.state.update_system() as info:
        lists = info.setdefault('namelists', {})
        members = lists.get(req.target)
        if members is None:
            # SMAPI: the name list does not exist.
            raise smcli.SMAPIError(4, 16, 'name list %s not found' %
                                   req.target)
        if name not in members:
            # SMAPI: the name is not in the list.
            raise smcli.SMAPIError(4, 28, '%s not in list' % name)
        members.remove(name)
        if not members:
            # SMAPI destroys a list when its last name goes.
            del lists[req.target]
    return ''


@smcli.api('Name_List_Query')
def name_list_query(zvm, req):
    members = _namelists(zvm).get(req.target)
    if members is None:
        raise smcli.SMAPIError(4, 16, 'name list %s not found' % req.target)
    return '\n'.join(members)


@smcli.api('Name_List_Destroy')
def name_list_destroy(zvm, req):
    with zvm.state.update_system() as info:
        if info.setdefault('namelists', {}).pop(req.target, None) is None:
            raise smcli.SMAPIError(4, 16, 'name list %s not found' %
                                   req.target)
    return ''


def guest_cpus(record):
    """The virtual CPUs a guest has: what it logged on with."""
    seen = (record.get('guest') or {}).get('cpus')
    if seen:
        return len(seen)
    return len(definition.logon_cpus(record)) or 1


def record_text(zvm, record, now=None):
    """The monitor record of a logged-on guest, as smcli prints it."""
    now = now or time.time()
    elapsed = int(max(0.0, now - (record.get('logon_time') or now)) * 1e6)
    cpus = guest_cpus(record)
    storage_kb = host.guest_storage_mb(record) * 1024
    max_kb = host.guest_max_storage_mb(record) * 1024
    samples = elapsed // 1000000
    fields = [
        ('Record version', '%d' % 1),
        ('Guest flags', '0'),
        ('Used CPU time', '%d uS' % int(elapsed * cpus * CPU_BUSY_SHARE)),
        ('Elapsed time', '%d uS' % elapsed),
        ('Minimum memory', '0 KB'),
        ('Max memory', '%d KB' % max_kb),
        ('Shared memory', '0 KB'),
        ('Used memory', '%d KB' % int(storage_kb * MEMORY_IN_USE_SHARE)),
        ('Active CPUs in CEC', '%d' % host.lpar(zvm)['cpus']),
        ('Logical CPUs in VM', '%d' % cpus),
        ('Guest CPUs', '%d' % cpus),
        ('Minimum CPU count', '%d' % cpus),
        ('Max CPU limit', '10000'),
        ('Processor share', '100'),
        ('Samples CPU in use', '%d' % int(samples * CPU_BUSY_SHARE)),
        ('Samples CPU delay', '0'),
        ('Samples page wait', '0'),
        ('Samples idle', '%d' % samples),
        ('Samples other', '0'),
        ('Samples total', '%d' % samples),
        ('Guest name', record['userid']),
    ]
    lines = ['Virtual server ID: %s' % record['userid']]
    lines += ['%s: "%s"' % field for field in fields]
    return '\n'.join(lines) + '\n'


def _performance(zvm, userids):
    records = []
    for userid in userids:
        record = zvm.state.user(userid)
        if (record is not None and not directory.is_profile(record) and
                directory.logged_on_here(zvm, record)):
            records.append(record_text(zvm, record))
    return '\n'.join(records)


@smcli.api('Image_Performance_Query')
def image_performance_query(zvm, req):
    # -T "USER1 USER2 ..." with -c the count: the target holds the list.
    return _performance(zvm, (req.target or '').split())


@smcli.api('System_Image_Performance_Query')
def system_image_performance_query(zvm, req):
    members = _namelists(zvm).get(req.target)
    if members is None:
        # -T names one guest rather than a list.
        members = [req.target]
    return _performance(zvm, members)


@smcli.api('Virtual_Network_Vswitch_Query_Byte_Stats')
def vswitch_byte_stats(zvm, req):
    """Traffic counters of each vswitch and of the NICs coupled to it."""
    switches = vswitch.vswitches(zvm)
    lines = ['vswitch count: %d' % len(switches), '']
    for number, name in enumerate(sorted(switches), 1):
        rdevs = switches[name]['rdev']
        lines += ['vswitch number: %d' % number, 'vswitch name: %s' % name,
                  'uplink count: %d' % len(rdevs)]
        for rdev in rdevs:
            lines += ['uplink_conn: %s' % rdev] + [
                '%s: 0' % k for k in ('uplink_fr_rx', 'uplink_fr_rx_dsc',
                                      'uplink_fr_rx_err', 'uplink_fr_tx',
                                      'uplink_fr_tx_dsc', 'uplink_fr_tx_err',
                                      'uplink_rx', 'uplink_tx')]
        lines += ['%s: 0' % k for k in ('bridge_fr_rx', 'bridge_fr_rx_dsc',
                                        'bridge_fr_rx_err', 'bridge_fr_tx',
                                        'bridge_fr_tx_dsc', 'bridge_fr_tx_err',
                                        'bridge_rx', 'bridge_tx')]
        adapters = vswitch.adapters(zvm, name)
        lines.append('nic count: %d' % len(adapters))
        for owner, vdev, macid in adapters:
            record = zvm.state.user(owner)
            secs = max(0, int(time.time() - (record.get('logon_time') or 0)))
            # A quiet guest: a few frames a second each way.
            frames_rx, frames_tx = secs * 3, secs * 2
            lines += ['nic_id: %s %s' % (owner, vdev),
                      'nic_fr_rx: %d' % frames_rx, 'nic_fr_rx_dsc: 0',
                      'nic_fr_rx_err: 0', 'nic_fr_tx: %d' % frames_tx,
                      'nic_fr_tx_dsc: 0', 'nic_fr_tx_err: 0',
                      'nic_rx: %d' % (frames_rx * 512),
                      'nic_tx: %d' % (frames_tx * 512)]
        lines += ['vlan count: 0', '']
    return '\n'.join(lines)
