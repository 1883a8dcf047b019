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

"""z/VM's waits, optionally compressed: the simulator's fourth seam.

The real connector waits as z/VM makes it wait: smtLayer sleeps 15
seconds after signalling a guest to shut down, then polls its state every
``--poll`` seconds; zvmsdk polls a guest until it answers over IUCV;
punch and link retries back off. Those waits are part of what the
simulator shows (a soft stop or a capture of a running guest takes what
it takes on z/VM), so by default they run in full.

Tests that want speed start the simulator with ``--time-scale 0.01``:
the modules that sleep (smtLayer.powerVM and vmUtils, zvmsdk.smtclient
and utils) then get a ``time`` whose ``sleep(s)`` sleeps ``s * scale``;
every other function of ``time`` is the real one, and nothing else of
those modules changes.
"""

import time
import types

SLEEPING_MODULES = ('smtLayer.powerVM', 'smtLayer.vmUtils',
                    'zvmsdk.smtclient', 'zvmsdk.utils')


def scaled_time(scale):
    scaled = types.ModuleType('time')
    scaled.__dict__.update(time.__dict__)
    scaled.sleep = lambda seconds: time.sleep(max(0.0, seconds) * scale)
    return scaled


def install(scale):
    """Compress z/VM's waits by ``scale`` (1.0: as on z/VM, no change)."""
    if scale == 1.0:
        return
    import importlib
    clock = scaled_time(scale)
    for name in SLEEPING_MODULES:
        importlib.import_module(name).time = clock
