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

"""HypervisorModel: a modelled z/VM behind the real connector's API.

The class has the method names and signatures of ``zvmsdk.api.SDKAPI`` (the
sdkserver calls it by name) and raises ``zvmsdk.exception`` classes, so the
REST answers carry the real codes. Each concern lives in its own module as
a mixin (guests, disks, network, images, deploy, volumes, ssi, host,
inventory); this module builds the shared state and loads it from the
state directory.

Every public attribute is callable by API name through the sdkserver, so
the admin helpers (inventory, vanish_guest...) are reachable there too: the
REST layer only ever sends SDKAPI names.
"""

import os
import threading
import time

from nova_zvm.simulator.model import deploy
from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import guests
from nova_zvm.simulator.model import host
from nova_zvm.simulator.model import images
from nova_zvm.simulator.model import inventory
from nova_zvm.simulator.model import network
from nova_zvm.simulator.model import ssi
from nova_zvm.simulator.model import store
from nova_zvm.simulator.model import volumes


class HypervisorModel(guests.GuestAPI, disks.DiskAPI, network.NetworkAPI,
                      images.ImageAPI, deploy.DeployAPI, volumes.VolumeAPI,
                      ssi.SSIAPI, host.HostAPI, inventory.AdminAPI):
    """A z/VM system (one LPAR, optionally an SSI member) and its zCC.

    :param state_dir: where the whole state lives (created if missing); a
        new model on the same directory sees the same guests and images.
    :param zvm_host: the z/VM system name (also the LPAR name).
    :param zcc_userid: userid of the connector's own guest.
    :param cpus: logical CPUs of the LPAR.
    :param memory_mb: memory of the LPAR.
    :param disk_pool: ``'ECKD:NAME'`` or ``'FBA:NAME'`` (zvmsdk's
        ``[zvm] disk_pool``), or None for none.
    :param disk_pool_size: pool size in cylinders (ECKD) or 512-byte blocks
        (FBA); default about 200 GB (300000 cylinders).
    :param fcp_devices: FCP devices as zvmsdk's template syntax, paths
        separated by ';' (``'1a00-1a0f;1b00-1b0f'``) or a list of paths.
    :param ssi_name: SSI cluster name; with ``ssi_dir`` makes this model a
        member (``ssi_member``, default ``zvm_host``).
    """

    def __init__(self, state_dir, zvm_host='ZVMHOST1', zcc_userid='ZCCUSER',
                 cpus=16, memory_mb=65536, disk_pool='ECKD:POOL1',
                 disk_pool_size=None, fcp_devices=None, ssi_name=None,
                 ssi_member=None, ssi_dir=None):
        self.state_dir = os.path.abspath(state_dir)
        self.zvm_host = zvm_host.upper()
        self.zcc_userid = zcc_userid.upper()
        self.cpus = int(cpus)
        self.memory_mb = int(memory_mb)
        self._pool = (disks.DiskPool(disk_pool, disk_pool_size)
                      if disk_pool else None)
        self._default_pool_spec = self._pool.spec if self._pool else None
        self._console_dir = os.path.join(self.state_dir, 'console')
        self._host_path = os.path.join(self.state_dir, 'model.json')
        store.makedirs(self.state_dir, self._console_dir)
        self._blobs = store.BlobStore(os.path.join(self.state_dir, 'blobs'),
                                      os.path.join(self.state_dir, 'tmp'))
        self._guests = guests.GuestTable(os.path.join(self.state_dir,
                                                      'guests'))
        self._images = images.ImageRepository(os.path.join(self.state_dir,
                                                           'images'))
        self._fcp = volumes.FCPTable(os.path.join(self.state_dir,
                                                  'fcp.json'),
                                     self.zvm_host, fcp_devices)
        self._net_lock = threading.RLock()
        self._adopt_lock = threading.Lock()
        self._vswitches = {}
        self._ipl_time = None
        self._ssi = None
        self._load()
        if ssi_name or ssi_dir or ssi_member:
            if not (ssi_name and ssi_dir):
                raise ValueError('an SSI member needs ssi_name and ssi_dir')
            self._ssi = ssi.SSIMember(ssi_dir, ssi_name,
                                      ssi_member or self.zvm_host,
                                      self.zcc_userid)
            self._ssi_publish()

    def _load(self):
        state = store.read_json(self._host_path, {}) or {}
        self._ipl_time = state.get('ipl_time') or time.strftime(
            'IPL at %m/%d/%y %H:%M:%S UTC', time.gmtime())
        self._vswitches = state.get('vswitches', {})
        self._guests.load()
        self._images.load()
        refs = {}
        used = 0
        for g in self._guests.values():
            for disk in g['disks'].values():
                refs[disk['digest']] = refs.get(disk['digest'], 0) + 1
                if self._pool is not None and disk['pool'] == \
                        self._pool.name:
                    used += disk['units']
        for rec in self._images.values():
            for digest in (rec['header'], rec['payload']):
                refs[digest] = refs.get(digest, 0) + 1
        if self._pool is not None:
            self._pool.used = used
        self._blobs.reset_refs(refs)
        self._save_host_state()

    def _save_host_state(self):
        with self._net_lock:
            store.write_json(self._host_path,
                             {'ipl_time': self._ipl_time,
                              'vswitches': self._vswitches})

    def close(self):
        """Leave the SSI cluster (other members then see this one down)."""
        if self._ssi is not None:
            self._ssi.leave()
