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

"""Which instances this compute service has, as Nova asks for them.

``list_instances`` gives the names of this service's guests (those of
``[DEFAULT] instance_name_template``, not every guest of the z/VM) and
starts the power-state view of Nova's sync (powerstate.py);
``list_instance_uuids`` adds the instances evacuated from here, for Nova's
clean-up of them, and answers nothing while the connector cannot answer.
"""

from oslo_log import log as logging

import nova.conf

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF


class Listing(object):
    """The instance lists of ``ComputeDriver``.

    :param power: the ``powerstate.PowerStates`` of the driver
    :param guest_ops: the ``guest.GuestOps`` of the driver
    :param evacuate_ops: the ``evacuate.EvacuateOps`` of the driver
    """

    def __init__(self, power, guest_ops, evacuate_ops):
        self._power = power
        self._guest = guest_ops
        self._evacuate = evacuate_ops

    def instance_names(self, hostname):
        """Names of this service's guests, as Nova names its instances."""
        # Also starts the power-state view of Nova's sync, which calls
        # get_num_instances (this) before get_info for each instance.
        guests = self._power.list_guests(hostname)
        # Names Nova can compare with instance.name, of this service's
        # guests only (the template's), not every guest of the z/VM.
        template = CONF.instance_name_template
        found = (names.instance_name(uid, template) for uid in guests)
        return [name for name in found if name]

    def instance_uuids(self, hostname):
        """UUIDs of the instances here, and of those evacuated from here."""
        try:
            # With those evacuated from here, for Nova's clean-up of them.
            return (self._guest.list_instance_uuids(hostname) +
                    self._evacuate.evacuated_uuids(hostname))
        except (zvm_exc.ConnectorUnreachable,
                zvm_exc.ConnectorConfigError) as err:
            # Nova calls this when the service record is new (before
            # init_host reports the configuration problem) and in a
            # periodic task: a connector that cannot answer must not stop
            # the service from starting, nor make Nova act.
            LOG.warning("Cannot list guests, the connector does not "
                        "answer: %s", err)
            return []
