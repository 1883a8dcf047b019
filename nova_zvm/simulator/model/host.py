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

"""The z/VM host (the LPAR) as ``host_get_info`` describes it.

Usage is computed from the model: a logged-off guest holds no real memory
and dispatches no CPU on z/VM, so ``memory_mb_used`` is the memory of the
logged-on guests and ``vcpus_used`` their virtual CPUs, both capped at the
LPAR's size. (The real connector reports the LPAR's configured CPUs and
CP's pages in use, which follow the same guests.) Disk figures are those
of the disk pool, in whole GB rounded as zvmsdk rounds them.
"""

from nova_zvm.simulator.model import guests as guests_mod

ARCHITECTURE = 's390x'
HYPERVISOR_TYPE = 'zvm'
#: 'z/VM 7.3.0' as zvmsdk turns it into an int.
HYPERVISOR_VERSION = 730
CEC_MODEL = '3931'


class HostAPI(object):
    """Host-wide SDKAPI calls. Mixed into HypervisorModel."""

    def _usage(self):
        cpus = 0
        memory = 0
        for g in self._guests.values():
            if g['directory'] and g['power'] == 'on':
                cpus += g['active_cpus']
                memory += g['active_memory_mb']
        return min(cpus, self.cpus), min(memory, self.memory_mb)

    def host_get_info(self):
        """zvmsdk's host_get_info keys, computed from the model."""
        self._ssi_poll()
        cpus_used, memory_used = self._usage()
        info = {
            'zcc_userid': self.zcc_userid,
            'zvm_host': self.zvm_host,
            'vcpus': self.cpus,
            'vcpus_used': cpus_used,
            'cpu_info': {'architecture': ARCHITECTURE,
                         'cec_model': CEC_MODEL},
            # zvmsdk's convert_to_mb answers floats.
            'memory_mb': float(self.memory_mb),
            'memory_mb_used': float(memory_used),
            'hypervisor_type': HYPERVISOR_TYPE,
            'hypervisor_version': HYPERVISOR_VERSION,
            'hypervisor_hostname': self.zvm_host,
            'ipl_time': self._ipl_time,
        }
        if self._pool is None:
            info.update({'disk_total': 0, 'disk_used': 0,
                         'disk_available': 0})
        else:
            info.update(self._pool.info())
        return info

    def host_get_guest_list(self):
        """Every userid in this z/VM's directory (not only the connector's
        guests): system userids, the zCC itself, guests onboarded or not.
        Guests relocated to another SSI member are not listed.
        """
        self._ssi_poll()
        users = set(guests_mod.SYSTEM_USERIDS)
        users.add(self.zcc_userid)
        users.update(g['userid'] for g in self._guests.values()
                     if g['directory'])
        return sorted(users)
