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

"""The volumes among Nova's block device mappings of a guest.

Nova hands the driver ``block_device_info``; the mappings with a
``connection_info`` are volumes. The root volume of a guest booted from
volume is the one with ``boot_index`` 0 or mounted at the root device
name. A mapping Nova passes as a ``DriverVolumeBlockDevice`` is saved
after the driver records in its ``connection_info`` what it attached
through (``connection.stash``).
"""

from nova.virt import driver as virt_driver


def volume_mappings(block_device_info):
    """The volume block device mappings (those with connection_info)."""
    return [bdm for bdm in virt_driver.block_device_info_get_mapping(
        block_device_info) if bdm.get('connection_info')]


def is_root(bdm, block_device_info):
    root = virt_driver.block_device_info_get_root_device(block_device_info)
    return bdm.get('boot_index') == 0 or (
        root is not None and bdm.get('mount_device') == root)


def save(bdm):
    """Save a mapping Nova gave as an object (a plain dict is not saved)."""
    method = getattr(bdm, 'save', None)
    if callable(method):
        method()
