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

"""The z/VM host as Nova sees it: resources, provider inventory, node name.

One resource update costs one ``host_get_info`` (plus one
``host_diskpool_get_info`` when ``[zvm] disk_pool`` names the pool this
driver allocates from): Nova's resource tracker calls
``get_available_resource`` and then ``update_provider_tree`` in the same
update, and the second reuses what the first fetched. The first successful
fetch of a service also checks the pool's type (two queries, see
:mod:`health`). ``update_provider_tree`` also reads the pool's volumes
(one ``host_get_diskpool_volumes``, see :mod:`diskfit`): ``DISK_GB``
``max_unit`` promises no disk that no volume can hold.

A configuration problem the connector reveals (an unknown disk pool, one of
the wrong type, a certificate or admin token it refuses) keeps the node
"not ready" (Nova schedules nothing to it) and is told once per change by
:class:`health.ConfigProblem`; the next resource updates check again.
"""

import threading
import time

import os_resource_classes as orc
from oslo_log import log as logging
from oslo_serialization import jsonutils

import nova.conf
from nova import exception
from nova.objects import fields as obj_fields

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import diskfit
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import health

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# How long host data fetched by get_available_resource serves the
# update_provider_tree call of the same resource update.
HOST_INFO_MAX_AGE = 30.0
INTEGER_KEYS = ('vcpus', 'vcpus_used', 'memory_mb', 'memory_mb_used',
                'disk_total', 'disk_used', 'disk_available')


class HostOps(object):

    def __init__(self, client, node_uuid=None, clock=time.monotonic):
        self._client = client
        self._node_uuid = node_uuid
        self._clock = clock
        self._lock = threading.Lock()
        self._info = None
        self._fetched_at = None
        self._nodename = None
        self._pool_checked = False
        self.problem = health.ConfigProblem()
        # The last host data fetched, for resource updates during a
        # configuration problem (the service is disabled meanwhile).
        self._last_good = None
        # The disk pool's volumes (diskfit.py), read at each resource
        # update; spawn and resize check their disks against them.
        self.pool_volumes = diskfit.PoolVolumes(client)

    def host_info(self, max_age=0.0):
        """Host data, fetched again when older than max_age seconds."""
        with self._lock:
            now = self._clock()
            if (self._info is not None and
                    now - self._fetched_at <= max_age):
                return self._info
        try:
            info = self._fetch()
        except zvm_exc.ConnectorConfigError as err:
            with self._lock:
                self._info = None
            self.problem.report(err)
            raise
        self.problem.clear()
        self._last_good = info
        # The connector reports memory as a float (its convert_to_mb);
        # Nova and placement count in whole units.
        for key in INTEGER_KEYS:
            if info.get(key) is not None:
                info[key] = int(info[key])
        with self._lock:
            self._info = info
            self._fetched_at = self._clock()
            self._nodename = info.get('hypervisor_hostname') or CONF.host
        return info

    def first_contact(self):
        """The first host query of the service, at init_host.

        Nothing it finds stops the service: it starts, and the periodic
        resource updates ask again.
        """
        try:
            self.host_info()
        except zvm_exc.ConnectorConfigError:
            # Logged by host_info, in one line naming the option; the
            # service stays up, not ready, and checks again periodically.
            pass
        except zvm_exc.ConnectorUnreachable as err:
            LOG.warning("The z/VM Cloud Connector is not reachable yet; "
                        "the service starts and retries: %s", err)
        except zvm_exc.ConnectorError as err:
            # E.g. a rejected token: the service stays up, so the operator
            # can fix the connector side; every operation reports it too.
            LOG.error("The z/VM Cloud Connector refused the first request; "
                      "operations will fail until this is fixed: %s", err)

    def _fetch(self):
        info = dict(self._client.call('host_get_info'))
        pool = CONF.zvm.disk_pool
        if pool:
            try:
                info.update(self._client.call('host_diskpool_get_info',
                                              disk_pool=pool))
            except zvm_exc.ConnectorError as err:
                raise health.pool_missing(err, pool)
            if not self._pool_checked:
                health.check_disk_pool(self._client, pool)
                self._pool_checked = True
        return info

    def get_available_nodes(self, refresh=False):
        """The one node of this compute service: the z/VM system's name.

        The name comes from the connector, as with Nova's in-tree driver,
        so that instances it managed keep their node. While the connector
        has never answered, Nova is told the driver is not ready, which
        lets nova-compute start and retry at its next resource update.
        """
        if refresh or self._nodename is None or self.problem.message:
            try:
                self.host_info(max_age=HOST_INFO_MAX_AGE)
            except zvm_exc.ConnectorConfigError:
                # Logged once by host_info; Nova logs "not ready".
                raise exception.VirtDriverNotReady()
            except zvm_exc.ConnectorError as err:
                if self._nodename is not None:
                    return [self._nodename]
                if isinstance(err, zvm_exc.ConnectorUnreachable):
                    LOG.warning("The z/VM Cloud Connector is not reachable "
                                "yet: %s", err)
                else:
                    LOG.error("The z/VM Cloud Connector refused to describe "
                              "its host: %s", err)
                raise exception.VirtDriverNotReady()
        return [self._nodename]

    def get_nodenames_by_uuid(self, refresh=False):
        return {self._node_uuid: self.get_available_nodes(refresh)[0]}

    def _resource_info(self, max_age=0.0):
        """Host data for a resource update, despite a configuration problem.

        The problem was told by host_info, and the next updates stop at
        get_available_nodes ("not ready"): the update in progress keeps the
        last data instead of Nova logging the error again with a traceback.
        """
        try:
            return self.host_info(max_age=max_age)
        except zvm_exc.ConnectorConfigError as err:
            if self._last_good is None:
                # Nova logs it in one line, without a traceback.
                raise exception.InvalidConfiguration(str(err))
            return self._last_good

    def get_available_resource(self, nodename=None):
        info = self._resource_info()
        return {
            'uuid': self._node_uuid,
            'vcpus': info.get('vcpus', 0),
            'memory_mb': info.get('memory_mb', 0),
            'local_gb': info.get('disk_total', 0),
            'vcpus_used': info.get('vcpus_used', 0),
            'memory_mb_used': info.get('memory_mb_used', 0),
            'local_gb_used': info.get('disk_used', 0),
            'hypervisor_type': obj_fields.HVType.ZVM,
            'hypervisor_version': info.get('hypervisor_version', 0),
            'hypervisor_hostname': self._nodename,
            'cpu_info': jsonutils.dumps(info.get('cpu_info', {})),
            'disk_available_least': info.get('disk_available', 0),
            'supported_instances': [(obj_fields.Architecture.S390X,
                                     obj_fields.HVType.ZVM,
                                     obj_fields.VMMode.HVM)],
            'numa_topology': None,
            'stats': {'ipl_time': info.get('ipl_time', '')},
        }

    def update_provider_tree(self, provider_tree, nodename, ratios,
                             reserved_disk_gb):
        info = self._resource_info(max_age=HOST_INFO_MAX_AGE)
        self.pool_volumes.refresh()
        totals = {orc.VCPU: (info.get('vcpus', 0), CONF.reserved_host_cpus),
                  orc.MEMORY_MB: (info.get('memory_mb', 0),
                                  CONF.reserved_host_memory_mb),
                  orc.DISK_GB: (info.get('disk_total', 0), reserved_disk_gb)}
        inventory = {}
        current = provider_tree.data(nodename).inventory or {}
        for rc, (total, reserved) in totals.items():
            if total <= 0:
                # Placement refuses an inventory with total 0 (e.g. no
                # disk pool known), and refuses to drop a class that
                # allocations use (409 InventoryInUse on every update). A
                # class reported before keeps its total, all reserved:
                # nothing new lands on it until the connector reports it.
                if rc in current and current[rc].get('total', 0) > 0:
                    kept = current[rc]['total']
                    LOG.warning("The z/VM Cloud Connector reports no %s; "
                                "keeping it in the inventory, all "
                                "reserved", rc)
                    inventory[rc] = dict(current[rc], total=kept,
                                         max_unit=kept, reserved=kept)
                continue
            max_unit = total
            if rc == orc.DISK_GB:
                # A server's disks each live on one volume (diskfit.py).
                max_unit = self.pool_volumes.max_unit(total)
            inventory[rc] = {'total': total, 'min_unit': 1,
                             'max_unit': max_unit, 'step_size': 1,
                             'allocation_ratio': ratios[rc],
                             'reserved': reserved}
        provider_tree.update_inventory(nodename, inventory)

    def get_host_uptime(self):
        return self.host_info(max_age=HOST_INFO_MAX_AGE).get('ipl_time', '')
