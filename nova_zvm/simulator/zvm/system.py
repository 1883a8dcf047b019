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

"""FakeZVM: one modelled z/VM system and the programs that act on it.

The programs (smcli, vmcp, vmur, zthin's scripts, the IUCV client) are
registered in :mod:`programs` by the modules that implement them; this
class runs them (with latency and fault rules) and holds what several of
them share: setting the system up, what a user's deletion releases, what
happens when a guest is IPLed.
"""

import logging
import os
import threading
import time

from nova_zvm.simulator import faults
from nova_zvm.simulator.zvm import dasd
from nova_zvm.simulator.zvm import fcp
from nova_zvm.simulator.zvm import guestos
from nova_zvm.simulator.zvm import network
from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import spool
from nova_zvm.simulator.zvm import ssi

LOG = logging.getLogger(__name__)


class FakeZVM(object):
    """The modelled z/VM system: state plus the programs that act on it."""

    def __init__(self, state, latency=None, sleep=time.sleep):
        self.state = state
        # Seconds a program costs, by program or SMAPI API name ('*' for
        # any): what the z/VM operation roughly costs (latency.py).
        self.latency = dict(latency or {})
        # z/VM's own waits (a reboot's outage...) at this fraction of real
        # time, as zvmsdk's and smtLayer's sleeps are (clock.py).
        self.time_scale = 1.0
        self._sleep = sleep
        self._faults = []
        self._faults_lock = threading.Lock()
        # The simulator's fault rules (faults.FaultRegistry): its
        # zvm_error rules fail a named SMAPI API or program.
        self.rules = None
        self.calls = {}

    # -- faults and counters --------------------------------------------------

    def add_fault(self, fault):
        with self._faults_lock:
            self._faults.append(fault)

    def clear_faults(self):
        with self._faults_lock:
            self._faults = []

    def faults(self):
        with self._faults_lock:
            return [f.to_dict() for f in self._faults]

    def take_fault(self, name):
        """The fault rule that fires for ``name`` now, if any."""
        with self._faults_lock:
            for fault in self._faults:
                if fault.match == name:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        if self.rules is not None:
            rule = self.rules.decide(name, faults.ZVM)
            if rule is not None:
                return programs.ProgramFault(name, rule.get('rc'),
                                             rule.get('rs', 0),
                                             rule.get('output', ''))
        return None

    def _count(self, name):
        with self._faults_lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def delay(self, name):
        # Seconds of z/VM time, compressed like z/VM's other waits.
        seconds = self.latency.get(name, self.latency.get('*', 0))
        if seconds:
            self._sleep(seconds * self.time_scale)

    # -- what several programs share ------------------------------------------

    def setup(self, disk_pool=None, pool_volumes=None, user_profile=None,
              fcp_devices=None):
        """Define what a new z/VM has (kept across restarts)."""
        if disk_pool:
            dasd.setup_pool(self.state, disk_pool, pool_volumes)
        if user_profile:
            dasd.setup_profile(self.state, user_profile)
        if fcp_devices:
            with self.state.update_system() as info:
                info.setdefault('fcp_spec', fcp_devices)
        ssi.join(self.state)

    def release_user(self, record):
        """A user's directory entry goes: its minidisks, reader go too."""
        dasd.release_all(self.state, record['userid'])
        spool.purge_reader(self.state, record['userid'])

    def ipl(self, userid):
        """A guest was logged on: its operating system boots."""
        fcp.attach_dedicated(self, userid)
        # CP defines the directory's NICs and couples them at logon.
        network.logon(self, userid)
        guestos.boot(self, userid)

    def signal_shutdown(self, record):
        """CP's SIGNAL SHUTDOWN to a guest: True if it goes now."""
        return guestos.signal_shutdown(self, record)

    # -- running a program ----------------------------------------------------

    def run(self, argv):
        """Run ``argv`` (what followed ``sudo``); returns (rc, output)."""
        if not argv:
            return 1, 'usage: sudo command\n'
        name = os.path.basename(argv[0])
        handler = programs.handler_for(name)
        if handler is None:
            LOG.error('The fake z/VM has no program %s: %s', name, argv)
            return 1, 'sudo: %s: command not found\n' % argv[0]
        self._count(name)
        if name != 'smcli':
            # smcli applies its own per-API latency and faults.
            self.delay(name)
            fault = self.take_fault(name)
            if fault is not None:
                return fault.rc, fault.output
        try:
            return handler(self, list(argv[1:]))
        except Exception:
            LOG.exception('Program %s failed', argv)
            return 99, 'internal error of the fake z/VM running %s\n' % name
