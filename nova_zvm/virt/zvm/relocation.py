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

"""Relocation parameters: how long z/VM may take to relocate a guest.

``guest_live_migrate``'s parms come from the ``[zvm]`` options
``live_migration_max_total``, ``live_migration_max_quiesce`` and
``live_migration_immediate``. MAXTOTAL is always bounded
(:func:`relocation_limit`), so a relocation whose answer was lost ends
within a known time, after which z/VM can say where the guest runs.
"""

import nova.conf

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])

CONF = nova.conf.CONF


def relocation_limit():
    """Seconds z/VM may take to relocate a guest (``VMRELOCATE MAXTOTAL``).

    Always bounded: z/VM's "no limit" (-1) would let a relocation outlive
    the driver's wait (``[zvm] long_read_timeout``) and leave Nova to guess
    where the guest runs. Without a limit of its own, or with a longer one,
    a relocation gets ``long_read_timeout``.
    """
    wait = int(CONF.zvm.long_read_timeout)
    configured = CONF.zvm.live_migration_max_total
    if 0 < configured <= wait:
        return configured
    return max(wait, 1)


def relocation_parms():
    """``guest_live_migrate`` parms from the [zvm] options."""
    parms = {'maxtotal': relocation_limit(),
             'maxquiesce': CONF.zvm.live_migration_max_quiesce}
    if CONF.zvm.live_migration_immediate:
        # zvmsdk adds --immediate when the key is present at all.
        parms['immediate'] = 'YES'
    return parms
