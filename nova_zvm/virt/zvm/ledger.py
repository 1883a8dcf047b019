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

"""Small per-host ledgers of work to retry, kept across restarts.

Work nova-compute must finish later (a leftover guest to delete, FCP
devices to release) outlives the process: each kind is a JSON object in a
file of its own in ``[zvm] image_tmp_path``, one per compute host (the
name carries the host), written whole then renamed (a crash never leaves
half a ledger) and removed once empty, so nothing is read or asked of the
connector while there is nothing to do.
"""

import os
import threading

from oslo_log import log as logging
from oslo_serialization import jsonutils

import nova.conf

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# Several compute services can share one process (Nova's test harness).
_lock = threading.Lock()


class HostLedger(object):
    """A ``{key: value}`` JSON file per compute host.

    :param name: file name pattern with one ``%s`` for the host
    :param what: what the entries are, for log messages
    """

    def __init__(self, name, what):
        self.name = name
        self.what = what

    def path(self, host):
        return os.path.join(CONF.zvm.image_tmp_path, self.name % host)

    def _load(self, host):
        try:
            with open(self.path(host)) as f:
                entries = jsonutils.loads(f.read())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            LOG.warning("Cannot read the ledger of %(what)s %(path)s: "
                        "%(err)s", {'what': self.what,
                                    'path': self.path(host), 'err': err})
            return {}
        return entries if isinstance(entries, dict) else {}

    def _save(self, host, entries):
        path = self.path(host)
        if not entries:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + '.new', 'w') as f:
            f.write(jsonutils.dumps(entries, sort_keys=True))
        os.replace(path + '.new', path)

    def entries(self, host):
        """All entries recorded for host."""
        with _lock:
            return self._load(host)

    def put(self, host, key, value):
        """Record an entry; raises OSError when it cannot be written."""
        with _lock:
            entries = self._load(host)
            entries[key] = value
            self._save(host, entries)

    def forget(self, host, key):
        with _lock:
            entries = self._load(host)
            if entries.pop(key, None) is not None:
                self._save(host, entries)
