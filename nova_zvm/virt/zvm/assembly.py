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

"""The driver's parts: one object per concern, built and connected once.

``Parts`` makes the connector client (from the options, unless one is
given), wraps it for the power-state view, and builds each concern's object
with the others it needs. No connector call here: nova-compute must start
while the connector is down, and recover when it answers.
"""

from nova.virt import node

from nova_zvm.virt.zvm import client as zvm_client
from nova_zvm.virt.zvm import evacuate
from nova_zvm.virt.zvm import guest
from nova_zvm.virt.zvm import host
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm import interface
from nova_zvm.virt.zvm import listing
from nova_zvm.virt.zvm import live_migration
from nova_zvm.virt.zvm.migration import ops as migration_ops
from nova_zvm.virt.zvm import network
from nova_zvm.virt.zvm import powerstate
from nova_zvm.virt.zvm import snapshot
from nova_zvm.virt.zvm import spawn
from nova_zvm.virt.zvm import teardown
from nova_zvm.virt.zvm.volume import ops as volume_ops


class Parts(object):
    """The objects ``ZVMDriver`` delegates to.

    :param conf: the service's configuration (``[zvm]`` for the client)
    :param virtapi: Nova's VirtAPI (events, instance updates)
    :param client: a connector client to use instead of one from ``conf``
    """

    def __init__(self, conf, virtapi, client=None):
        client = client or zvm_client.ConnectorClient.from_conf(conf)
        # Power-state sync in a few requests (powerstate.py); it learns of
        # every guest change made through the tracking client.
        self.power = powerstate.PowerStates(client)
        self.client = self.power.tracked(client)
        # Read once, as Nova's libvirt driver does: this service's compute
        # node identity (the compute_id file in [DEFAULT] state_path).
        self.host = host.HostOps(self.client,
                                 node_uuid=node.get_local_node_uuid())
        # Images failed operations leave: removed by the cache ageing.
        self.leftovers = imagecache.Leftovers(self.client)
        self.image = image.ImageOps(self.client)
        self.image_cache = imagecache.ImageCache(self.client, self.image,
                                                 self.leftovers)
        self.snapshot = snapshot.SnapshotOps(self.client, self.image,
                                             self.leftovers)
        self.network = network.NetworkOps(self.client)
        self.volume = volume_ops.VolumeOps(self.client)
        self.guest = guest.GuestOps(self.client, self.image,
                                    self.network, virtapi,
                                    pool_volumes=self.host.pool_volumes)
        self.spawn = spawn.SpawnOps(self.client, self.guest, self.image,
                                    volume_ops=self.volume)
        self.interface = interface.InterfaceOps(self.client,
                                                self.network, virtapi)
        self.live_migration = live_migration.LiveMigrationOps(
            self.client, self.host, self.volume)
        self.migration = migration_ops.MigrationOps(
            self.client, self.guest, self.image)
        self.evacuate = evacuate.EvacuateOps(self.client, self.network)
        self.listing = listing.Listing(self.power, self.guest,
                                       self.evacuate)
        self.teardown = teardown.Teardown(self.guest, self.migration,
                                          self.evacuate, self.volume)
