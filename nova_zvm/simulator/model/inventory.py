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

"""Helpers for the simulator's admin endpoint and for tests.

None of these is an SDKAPI call: they let a test look at the model as a
z/VM operator would (inventory, a guest's full record), change it behind
the connector's back (a guest deleted or logged off by hand), load it with
many existing guests quickly, or empty it.
"""

import copy
import os
import time

from nova_zvm.simulator.model import console
from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import guests as guests_mod
from nova_zvm.simulator.model import network
from nova_zvm.simulator.model import store


class AdminAPI(object):
    """Admin helpers. Mixed into HypervisorModel."""

    def inventory(self):
        """Everything, summarised: guests, images, pool, FCP, vswitches."""
        self._ssi_poll()
        guests = {}
        for g in self._guests.values():
            guests[g['userid']] = {
                'power_state': self._power_state(g),
                'paused': g['paused'],
                'in_directory': g['directory'],
                'in_connector': guests_mod.in_db(g),
                'location': g['location'],
                'vcpus': g['vcpus'],
                'memory_mb': g['memory_mb'],
                'os_version': g['os_version'],
                'disks': [{'vdev': d['vdev'], 'size': d['size'],
                           'units': d['units'], 'unit': d['unit'],
                           'type': d['type'], 'digest': d['digest']}
                          for _k, d in sorted(g['disks'].items())],
                'nics': [{'vdev': n['vdev'],
                          'mac': network.mac_address(n['mac_id']),
                          'vswitch': n.get('vswitch'),
                          'nic_id': n.get('port')}
                         for _k, n in sorted(g['nics'].items())],
                'volumes': [{'lun': v['lun'], 'wwpns': v['wwpns'],
                             'fcps': v['fcps'],
                             'mount_point': v['mount_point']}
                            for v in g['volumes']],
            }
        images = {}
        for rec in self._images.values():
            images[rec['name']] = {
                'os_version': rec['os_version'],
                'disk_size_units': rec['disk_size_units'],
                'md5sum': rec['md5sum'], 'size_bytes': rec['size_bytes'],
                'payload_digest': rec['payload'],
                'disk_type': rec['disk_type']}
        pool = None
        if self._pool is not None:
            pool = {'name': self._pool.spec, 'unit': self._pool.unit,
                    'total': self._pool.total, 'used': self._pool.used,
                    'free': self._pool.free}
        with self._fcp.lock:
            fcp = {f: {k: d[k] for k in ('assigner_id', 'reserved',
                                         'connections', 'tmpl_id', 'state',
                                         'owner', 'wwpn_npiv', 'wwpn_phy')}
                   for f, d in sorted(self._fcp.devices.items())}
        with self._net_lock:
            vswitches = {name: sorted(v['authorized'])
                         for name, v in self._vswitches.items()}
        return {'zvm_host': self.zvm_host, 'zcc_userid': self.zcc_userid,
                'ssi': (None if self._ssi is None else
                        {'name': self._ssi.name,
                         'member': self._ssi.member}),
                'guests': guests, 'images': images, 'disk_pool': pool,
                'fcp': fcp, 'vswitches': vswitches}

    def guest_record(self, userid):
        """A deep copy of the guest's full record: definition, disks with
        digests, NICs, volumes, what it read in its config drive.
        """
        self._ssi_poll()
        userid = userid.upper()
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None:
                raise errors.guest_not_found(userid)
            record = copy.deepcopy(g)
        record['power_state'] = self._power_state(record)
        record['cpu_time_us'] = self._cpu_time_us(g)
        return record

    def vanish_guest(self, userid, keep_db=True):
        """Delete the guest from z/VM behind the connector's back.

        With ``keep_db`` (the usual case: someone ran DirMaint by hand) the
        connector still lists it and answers 404 rs 3 for its power state;
        without, it is gone from both.
        """
        userid = userid.upper()
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None:
                raise errors.guest_not_found(userid)
            if g['directory']:
                self._drop_directory_entry(g)
            if keep_db and g['db'] is not None:
                self._guests.save(g)
            else:
                self._guests.remove(userid)

    def power_off_behind(self, userid):
        """Log the guest off as an operator's FORCE would."""
        userid = userid.upper()
        with self._guests.lock(userid):
            g = self._guests.get(userid)
            if g is None:
                raise errors.guest_not_found(userid)
            if g['directory'] and g['power'] == 'on':
                now = time.time()
                self._logoff(g, now, console.forced(g, now))
                self._guests.save(g)

    def preload_guests(self, n, prefix='SIM', vcpus=1, memory_mb=1024,
                       disk_size=None, power_state='off'):
        """Define ``n`` existing guests quickly (known to the connector).

        Userids are ``prefix`` plus a number filling 8 characters; numbers
        already taken are skipped. ``disk_size`` (e.g. '1g' or cylinders)
        gives each a blank root minidisk from the pool.
        :returns: the new userids.
        """
        prefix = prefix.upper()
        width = 8 - len(prefix)
        if width < 1 or n > 10 ** width - 1:
            raise ValueError('prefix %s leaves room for fewer than %d '
                             'guests' % (prefix, n))
        created = []
        number = 0
        now = time.time()
        while len(created) < n:
            number += 1
            if number >= 10 ** width:
                raise ValueError('no free userids left for prefix %s' %
                                 prefix)
            userid = '%s%0*d' % (prefix, width, number)
            g = guests_mod.new_record(userid, vcpus, memory_mb, now=now)
            g['db'] = guests_mod.new_db_row()
            with self._guests.lock(userid):
                if not self._guests.reserve(g):
                    continue
                if not self._ssi_claim(userid):
                    self._guests.remove(userid)
                    continue
                if disk_size:
                    g['ipl'] = disks.ROOT_VDEV
                    self._add_mdisks(g, [{'size': str(disk_size),
                                          'is_boot_disk': True,
                                          'format': 'none'}])
                if power_state == 'on':
                    self._boot(g, now)
                self._guests.save(g)
            created.append(userid)
        return created

    def reset_state(self):
        """Empty the model: no guests, images, vswitches, reservations.
        Meant for an idle simulator (between tests).
        """
        for g in self._guests.values():
            self._ssi_release(g['userid'])
        self._guests.clear()
        self._images.clear()
        for name in os.listdir(self._console_dir):
            store.remove(os.path.join(self._console_dir, name))
        with self._net_lock:
            self._vswitches.clear()
            self._save_host_state()
        self._fcp.reset()
        if self._pool is not None:
            self._pool.used = 0
        self._blobs.reset_refs({})
        self._ssi_publish()
