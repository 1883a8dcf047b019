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

"""Leaf shim so that ``compute_driver = zvm_ext.ZVMDriver`` loads this driver.

Nova imports drivers only from ``nova.virt.<compute_driver>``. This folder is
the only thing the distribution installs inside Nova's package; the driver
itself lives in :mod:`nova_zvm.virt.zvm`. The name differs from Nova's own
in-tree ``nova.virt.zvm`` package, which this package never touches.
"""

from nova_zvm.virt.zvm import driver

ZVMDriver = driver.ZVMDriver
