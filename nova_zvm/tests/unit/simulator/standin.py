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

"""A tiny stand-in for the connector under the bridge (test_bridge.py).

The bridge's own logic (latency, fault rules, the socket protocol) is
tested in this process, where the real connector cannot be built (one per
process, and it changes PATH); every other simulator test runs the real
connector in a simulator process. Only what the bridge touches: guests
with a power state, persisted as JSON, and the admin helpers.
"""

import json
import os
import threading

from zvmsdk import exception


class StandInConnector(object):

    def __init__(self, state_dir, zvm_host='ZVMHOST1', zcc_userid='ZCCUSER',
                 cpus=16, memory_mb=65536, disk_pool='ECKD:POOL1', **kwargs):
        self._path = os.path.join(state_dir, 'standin.json')
        self._lock = threading.Lock()
        self.zvm_host = zvm_host
        self.zcc_userid = zcc_userid
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.guests = {}
        if os.path.exists(self._path):
            with open(self._path) as f:
                self.guests = json.load(f)

    def _save(self):
        tmp = self._path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.guests, f)
        os.replace(tmp, self._path)

    def _guest(self, userid):
        guest = self.guests.get(userid.upper())
        if guest is None:
            raise exception.ZVMNotFound('guest %s not found' % userid,
                                        modID='guest')
        return guest

    # SDKAPI methods
    def guest_list(self):
        return sorted(self.guests)

    def guest_create(self, userid, vcpus, memory, disk_list=None, **kwargs):
        with self._lock:
            if userid.upper() in self.guests:
                raise exception.SDKBaseException(
                    message='guest %s exists' % userid,
                    results={'overallRC': 409, 'modID': 10, 'rc': 409,
                             'rs': 1})
            self.guests[userid.upper()] = {'vcpus': vcpus, 'memory': memory,
                                           'power': 'off'}
            self._save()
        return disk_list or []

    def guest_get_power_state(self, userid):
        return self._guest(userid)['power']

    def guest_start(self, userid, timeout=0):
        with self._lock:
            self._guest(userid)['power'] = 'on'
            self._save()

    def guest_stop(self, userid, **kwargs):
        with self._lock:
            self._guest(userid)['power'] = 'off'
            self._save()

    def guest_delete(self, userid):
        with self._lock:
            self.guests.pop(userid.upper(), None)
            self._save()

    def guest_deploy(self, userid, image_name, **kwargs):
        self._guest(userid)

    def host_get_info(self):
        return {'zvm_host': self.zvm_host, 'zcc_userid': self.zcc_userid,
                'vcpus': self.cpus, 'memory_mb': self.memory_mb}

    # admin helpers
    def inventory(self):
        return {'guests': len(self.guests), 'zvm_host': self.zvm_host}

    def guest_record(self, userid):
        return dict(self._guest(userid), userid=userid.upper())

    def vanish_guest(self, userid, keep_db=True):
        with self._lock:
            self._guest(userid)
            del self.guests[userid.upper()]
            self._save()

    def power_off_behind(self, userid):
        self.guest_stop(userid)

    def reset_state(self):
        with self._lock:
            self.guests = {}
            self._save()

    def preload_guests(self, n, prefix='PRE'):
        with self._lock:
            for i in range(n):
                self.guests.setdefault('%s%05d' % (prefix, i), {
                    'vcpus': 1, 'memory': 512, 'power': 'on'})
            self._save()
