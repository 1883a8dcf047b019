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

"""What differs between the Nova releases this driver supports: 32, 33, 34.

The driver is written against Nova 34's interface; each difference an older
release makes is handled here, and only here, with the release that
introduced it. Differences are detected by what Nova has, never by its
version number, so a backport needs no change here.

Checked and found equal in 32.2.1, 33.0.2 and 34.0.0 (nothing to handle):
``ComputeDriver.capabilities`` keys, ``nova.virt.node``, the provider tree
methods the driver uses, ``VMwareLiveMigrateData`` (live_migration.py; only
``LibvirtLiveMigrateData`` changed, in 33, with vTPM fields) and the
``[DEFAULT]``/``[compute]`` options the driver reads. Nova's in-tree z/VM
driver differs only in its call of ``wait_for_instance_event`` (below).

Eventlet or native threads: all three releases run either way (Nova 34
adds the ``[DEFAULT] concurrency_backend`` option to the environment
variable ``OS_NOVA_DISABLE_EVENTLET_PATCHING`` of 32 and 33); the driver
uses ``threading`` locks, which work in both, and reads neither setting.
"""

import inspect

from nova import utils as nova_utils
from nova.virt import driver as virt_driver

# Nova 34 added these ComputeDriver methods (virtiofs share checks and a
# start-up hook). Nova 32 and 33 neither have nor call them, so the driver
# adds a method of this list only where ComputeDriver has it.
DRIVER_METHODS_ADDED = {
    'is_share_mounted': 34,
    'process_instances_at_startup': 34,
}

# Nova 34 added share_info to finish_migration and finish_revert_migration
# (Manila shares follow a resize). The driver always accepts it; Nova 32 and
# 33 call these methods without it.
DRIVER_PARAMETERS_ADDED = {
    ('finish_migration', 'share_info'): 34,
    ('finish_revert_migration', 'share_info'): 34,
}


def base_has(name):
    """True when this Nova's ComputeDriver has the method ``name``."""
    return callable(getattr(virt_driver.ComputeDriver, name, None))


def driver_signature(name):
    """ComputeDriver.name's signature as of Nova 34, on this Nova.

    That is the signature of this Nova's ComputeDriver plus the parameters
    a later release added (with their default, None); the driver's methods
    have it on every supported release.
    """
    sig = inspect.signature(getattr(virt_driver.ComputeDriver, name))
    params = list(sig.parameters.values())
    for (method, param), _release in sorted(DRIVER_PARAMETERS_ADDED.items()):
        if method == name and param not in sig.parameters:
            params.append(inspect.Parameter(
                param, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None))
    return sig.replace(parameters=params)


def wait_for_instance_event(virtapi, instance, event_names, timeout,
                            error_callback):
    """ComputeVirtAPI.wait_for_instance_event on every release.

    Nova 33 renamed its ``deadline`` parameter to ``timeout``; both sit in
    the same position, so they are passed by position.
    """
    return virtapi.wait_for_instance_event(instance, event_names, timeout,
                                           error_callback)


def run_in_native_thread(func, *args):
    """Run a blocking function without blocking Nova's other green threads.

    Nova 33 added ``utils.tpool_wrap``, which wraps only in eventlet mode.
    Nova 32 has ``utils.tpool_execute`` instead, which always goes through
    eventlet's thread pool, so its native threading mode (environment
    ``OS_NOVA_DISABLE_EVENTLET_PATCHING``) calls the function directly.
    """
    wrap = getattr(nova_utils, 'tpool_wrap', None)
    if wrap is not None:
        return wrap(func)(*args)
    if nova_utils.concurrency_mode_threading():
        return func(*args)
    return nova_utils.tpool_execute(func, *args)
