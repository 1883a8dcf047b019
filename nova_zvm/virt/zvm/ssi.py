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

"""SSI facts: a z/VM system's Single System Image cluster and its members.

The members of one SSI cluster share the user directory and the DASD the
guests' minidisks live on. ``host_get_ssi_info`` answers the cluster name
and each member's system id and state (``[]`` when the system is in no
cluster). Live migration (relocation between joined members), cold
migration (refused between members: one directory cannot define the guest
twice) and evacuation (a member takes over a failed member's guest) all
read them here. A guest that reaches another member is registered with that
member's connector (``guest_register``), whose NIC map and answers for a
guest without NICs are here too.
"""

JOINED = 'joined'
# guest_register's answer for a guest without NICs (it is registered).
NO_NIC_RS = 5


def parse_ssi(lines):
    """``host_get_ssi_info`` lines as {'name', 'members': {id: state}}.

    :returns: None when the z/VM system is not an SSI member ([] answered)
    """
    name = None
    members = {}
    member = None
    for line in lines or []:
        key, sep, value = str(line).partition('=')
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == 'ssi_name':
            name = value.upper()
        elif key == 'member_slot':
            member = None
        elif key == 'member_system_id':
            member = value.upper() or None
        elif key == 'member_state' and member:
            members[member] = value
    if not name:
        return None
    return {'name': name, 'members': members}


def is_joined(cluster, system):
    """Whether system is a joined member of cluster (parse_ssi's)."""
    return (cluster['members'].get(system) or '').lower() == JOINED


def port_macs(network_info):
    """{last 6 hex digits of the MAC, upper case: port id}, as zvmsdk's
    guest_register matches a NIC's MAC (z/VM keeps the MAC's last 3 bytes
    as its MACID).
    """
    result = {}
    for vif in network_info or []:
        mac = (vif.get('address') or '').replace(':', '').upper()
        if len(mac) == 12 and vif.get('id'):
            result[mac[-6:]] = vif['id']
    return result
