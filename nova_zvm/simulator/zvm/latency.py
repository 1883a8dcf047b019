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

"""What each z/VM operation roughly costs: the fake z/VM's default latency.

Seconds of z/VM time per SMAPI API or z/VM program, the order of magnitude
an operator sees on a z/VM 7 system with SMAPI and DirMaint (DirMaint is a
single server: its calls are the slow ones; CP commands are milliseconds;
writing an image onto a minidisk is a copy of gigabytes). They are rough
figures, not measurements: enough for timeouts, concurrency and retries to
be exercised as on a real system. ``nova-zvm-simulator --zvm-latency``
overrides single names, ``'*=SECONDS'`` replaces the whole table, and
``--time-scale`` compresses them like every other z/VM wait (system.py).
"""

#: Any SMAPI API or program not listed below.
OTHER = 0.05

_QUERY = 0.1           # an SMAPI query answered by CP
_DIRMAINT_READ = 0.3   # DirMaint reads the directory
_DIRMAINT_CHANGE = 1.0  # DirMaint changes (and locks) a directory entry
_ACTIVE_CHANGE = 0.2   # CP changes the running guest (no directory)

DEFAULT_COSTS = {
    '*': OTHER,
    # SMAPI queries answered by CP.
    'Image_Console_Get': _QUERY,
    'Image_Performance_Query': _QUERY,
    'Name_List_Query': _QUERY,
    'SSI_Query': _QUERY,
    'System_Image_Performance_Query': _QUERY,
    'System_Information_Query': _QUERY,
    'System_Performance_Information_Query': _QUERY,
    'System_Processor_Query': _QUERY,
    'System_WWPN_Query': _QUERY,
    'VMRELOCATE_Status': _QUERY,
    'Virtual_Network_Adapter_Query_Extended': _QUERY,
    'Virtual_Network_Vswitch_Query': _QUERY,
    'Virtual_Network_Vswitch_Query_Byte_Stats': _QUERY,
    'Virtual_Network_Vswitch_Query_Extended': _QUERY,
    # DirMaint reads.
    'Image_Lock_DM': _DIRMAINT_READ,
    'Image_Name_Query_DM': _DIRMAINT_READ,
    'Image_Query_DM': _DIRMAINT_READ,
    'Image_Unlock_DM': _DIRMAINT_READ,
    'Image_Volume_Space_Query_DM': _DIRMAINT_READ,
    # DirMaint changes; a new user and its minidisks cost the most.
    'Image_Create_DM': 2.0,
    'Image_Delete_DM': 2.0,
    'Image_Disk_Create_DM': 1.5,
    'Image_Disk_Delete_DM': _DIRMAINT_CHANGE,
    'Image_Replace_DM': _DIRMAINT_CHANGE,
    'Image_Definition_Delete_DM': _DIRMAINT_CHANGE,
    'Image_Definition_Update_DM': _DIRMAINT_CHANGE,
    'Image_Device_Dedicate_DM': _DIRMAINT_CHANGE,
    'Image_Device_Undedicate_DM': _DIRMAINT_CHANGE,
    'Virtual_Network_Adapter_Create_Extended_DM': _DIRMAINT_CHANGE,
    'Virtual_Network_Adapter_Delete_DM': _DIRMAINT_CHANGE,
    'Virtual_Network_Adapter_Disconnect_DM': _DIRMAINT_CHANGE,
    # CP changes of the running system.
    'Image_Activate': 1.0,          # a logon
    'Image_Deactivate': 0.5,
    'Image_Pause': _ACTIVE_CHANGE,
    'Image_Device_Dedicate': _ACTIVE_CHANGE,
    'Image_Device_Undedicate': _ACTIVE_CHANGE,
    'Image_Disk_Create': _ACTIVE_CHANGE,
    'Name_List_Add': _QUERY,
    'Name_List_Destroy': _QUERY,
    'Name_List_Remove': _QUERY,
    'System_RDR_File_Manage': _QUERY,
    'Virtual_Network_Adapter_Connect_Vswitch': _ACTIVE_CHANGE,
    'Virtual_Network_Adapter_Create_Extended': _ACTIVE_CHANGE,
    'Virtual_Network_Adapter_Delete': _ACTIVE_CHANGE,
    'Virtual_Network_Adapter_Disconnect': _ACTIVE_CHANGE,
    'Virtual_Network_Vswitch_Create_Extended': 0.5,
    'Virtual_Network_Vswitch_Delete_Extended': 0.5,
    'Virtual_Network_Vswitch_Set_Extended': 0.5,
    # A live relocation moves the guest's memory between members.
    'VMRELOCATE': 10.0,
    'VMRELOCATE_Modify': _ACTIVE_CHANGE,
    # Programs of the connector's Linux guest.
    'vmcp': 0.01,                   # one CP command
    'vmur': 0.2,                    # punch / receive / list a spool file
    'iucvclnt': 0.3,                # a command run in the guest over IUCV
    'blockdev': 0.01,
    'udevadm': 0.2,
    'udevsettle': 0.2,
    'linkdiskandbringonline': 1.0,
    'offlinediskanddetach': 0.5,
    'fdasd': 0.2,
    'fdisk': 0.2,
    'mkswap': 0.5,
    'mkfs': 2.0,
    'mkfs.ext2': 2.0,
    'mkfs.ext3': 2.0,
    'mkfs.ext4': 2.0,
    'mkfs.xfs': 2.0,
    'dasdfmt': 10.0,                # low-level format of a minidisk
    'unpackdiskimage': 30.0,        # an image written onto the root disk
    'creatediskimage': 30.0,        # a root disk captured into an image
    'refresh_bootmap': 5.0,
}


def table(overrides=None):
    """The costs in effect: the defaults, then ``overrides``.

    An override of ``'*'`` replaces the whole table ('*=0': no latency).
    """
    overrides = dict(overrides or {})
    costs = {} if '*' in overrides else dict(DEFAULT_COSTS)
    costs.update(overrides)
    return costs
