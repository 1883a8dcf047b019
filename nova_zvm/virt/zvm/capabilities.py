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

"""What the z/VM driver tells Nova it can do: ``ZVMDriver.capabilities``.

Every key of ``ComputeDriver.capabilities`` is stated on purpose, with the
reason where it is not obvious; a capability that changes changes the
support matrix (``doc/source/support-matrix.ini``) in the same commit.
"""

# Every key of ComputeDriver.capabilities, stated on purpose.
CAPABILITIES = {
    "has_imagecache": True,
    # Inside an SSI cluster the guest itself is taken over; outside
    # one Nova rebuilds it from its image (evacuate.py).
    "supports_evacuate": True,
    # Resize on the same host ([DEFAULT] allow_resize_to_same_host).
    "supports_migrate_to_same_host": True,
    # Interface hotplug (interface.py) on running and stopped guests.
    "supports_attach_interface": True,
    "supports_device_tagging": False,
    # A tag reaches the guest only in its config drive, read at first
    # boot: a NIC attached later could not be told by its tag.
    "supports_tagged_attach_interface": False,
    # Volumes (volume/): FCP attach/detach, boot from volume, live
    # migration with volumes. A device tag reaches the guest in its
    # config drive, which z/VM guests read at first boot only.
    "supports_tagged_attach_volume": False,
    # No connector API makes the guest rescan a resized LUN.
    "supports_extend_volume": False,
    # The connector attaches a LUN read-write to one guest, with no
    # shareable mode; one LUN on several guests is not supported.
    "supports_multiattach": False,
    "supports_trusted_certs": False,
    "supports_pcpus": False,
    "supports_accelerators": False,
    # Rescue is not supported at all (rescue.py, unsupported.py).
    "supports_bfv_rescue": False,
    "supports_vtpm": False,
    "supports_secure_boot": False,
    "supports_socket_pci_numa_affinity": False,
    "supports_remote_managed_ports": False,
    "supports_address_space_passthrough": False,
    "supports_address_space_emulated": False,
    "supports_virtio_fs": False,
    "supports_mem_backing_file": False,
    "supports_ephemeral_encryption": False,
    "supports_ephemeral_encryption_luks": False,
    "supports_ephemeral_encryption_plain": False,
    # z/VM images are raw disk dumps (the connector's disk image format).
    "supports_image_type_aki": False,
    "supports_image_type_ami": False,
    "supports_image_type_ari": False,
    "supports_image_type_iso": False,
    "supports_image_type_qcow2": False,
    "supports_image_type_raw": True,
    "supports_image_type_vdi": False,
    "supports_image_type_vhd": False,
    "supports_image_type_vhdx": False,
    "supports_image_type_vmdk": False,
    "supports_image_type_ploop": False,
}
