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

"""Rescue is refused, before Nova stops the guest.

Rescue needs the guest to IPL from another device than its root disk (a
rescue disk) and back. zvmsdk 1.6.3 sets a guest's IPL device only when it
creates it (``guest_create`` ``ipl_from``/``ipl_param``/``ipl_loadparam``,
written by DirMaint as the directory's ``IPL`` statement); no REST API
changes it later or starts a guest from another device: ``guest_start``
takes a userid and a timeout, the only ``Image_Definition_Update_DM``
zvmsdk sends sets ``CPU``/``SHARE`` (``guest_resize_cpus``), and
``restclient.DATABASE`` has no other guest-update call. Swapping disk
contents through the image repository (capture, then deploy over the root
disk) would overwrite the only copy of the user's root disk: not done.

Nova's rescue stops the guest first (``_power_off_instance``) and then
calls the driver's ``rescue``; refusing only there would leave the guest
stopped. The refusal therefore comes at that power-off: the guest keeps
running. Nova records the fault (naming the missing API) and sets the
server to ERROR, which it does for any failed rescue; ``openstack server
set --state active`` (or a hard reboot) makes it usable in Nova again.
"""

from nova.compute import task_states

from nova_zvm.virt.zvm import unsupported


def refuse_rescue_power_off(instance):
    """Raise the rescue refusal when this power-off starts a rescue."""
    if instance.task_state == task_states.RESCUING:
        raise unsupported.NotSupported('rescue')
