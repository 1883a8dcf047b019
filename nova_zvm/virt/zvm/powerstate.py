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

"""Power states of a host's guests, a few requests for all of them.

Nova's ``_sync_power_states`` periodic task calls ``get_num_instances``
once and then ``get_info(instance)`` for every instance of the host. Asked
one by one, that is one ``guest_get_power_state`` (a SMAPI query on z/VM)
per instance. Instead, like Nova's Ironic driver with its node cache, the
driver keeps a short-lived *view* shared by the calls of one sync:

* ``get_num_instances`` / ``list_instances``: one ``guest_list``, which
  starts a new view;
* the first ``get_info`` of the sync: the instances Nova's database places
  on this host (one database query, as Nova's own sync makes), and one
  ``guest_inspect_stats(userid_list)`` per batch of those that are in the
  guest list. The connector answers it for running guests only (stopped and
  unknown guests are omitted), so presence means "on". Each batch fits the
  sdkserver's 4096-byte request: 338 userids of 8 characters.

A sync of N instances costs 1 + ceil(N / 338) requests: 4 for 1,000 (a
single instance is asked by itself: 2). Each guest whose state differs from
Nova's record costs one request more (see below), so the total stays within
N + 1 unless nearly all guests changed state since the last sync.

Correctness comes first; the view only ever confirms what Nova already
recorded. ``get_info`` asks the guest itself (``guest_get_power_state``) when

* there is no view younger than :data:`VIEW_SECONDS` (``get_info`` outside
  a sync, or with ``use_cache=False``);
* this driver changed the guest (power, create, delete, migration calls,
  seen by :class:`TrackingClient`) since shortly before the view was read:
  a stop between the bulk read and its use is then reported truthfully;
* the view disagrees with the power state Nova recorded for the instance:
  every change Nova records comes from a per-guest answer. The connector's
  monitor caches its data (``[monitor] cache_interval``, 300 s), so a guest
  stopped by this driver may still be listed as running for a while; a
  guest stopped outside Nova shows once that cache expires, at the next
  sync when Nova's ``sync_power_state_interval`` (600 s) is longer.

PAUSED: z/VM has no query for a stopped-CPU guest, the connector reports
it 'on'. A guest that is on is reported PAUSED when Nova paused it (the
instance is PAUSED and not being unpaused, or is being paused).
"""

import json
import threading
import time

from oslo_log import log as logging

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
from nova import context as nova_context
from nova import exception
from nova import objects
from nova.virt import hardware

from nova_zvm.virt.zvm import client_request
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import names

LOG = logging.getLogger(__name__)

RAW_STATES = {'on': power_state.RUNNING, 'off': power_state.SHUTDOWN}

# How long a view serves get_info: Nova's sync calls it for every instance
# right after get_num_instances; each sync starts its own view.
VIEW_SECONDS = 120.0
# A guest changed this long before the view's guest_list is asked
# individually too: Nova loads its instances just before get_num_instances,
# so a change in between is not in the record get_info is given. (Nova
# skips instances whose record was loaded during an operation: their
# task_state is set.)
CHANGE_MARGIN_SECONDS = 10.0

STATS_API = 'guest_inspect_stats'

# Connector calls that change whether a guest exists or runs (first
# positional argument: the userid).
CHANGING_APIS = frozenset([
    'guest_create', 'guest_delete', 'guest_deploy', 'guest_capture',
    'guest_start', 'guest_stop', 'guest_softstop', 'guest_reboot',
    'guest_reset', 'guest_pause', 'guest_unpause', 'guest_live_migrate',
    'guest_register', 'guest_deregister',
])


def nova_state(raw, instance):
    """Nova's power state of a guest the connector says is ``raw``."""
    state = RAW_STATES.get(raw, power_state.NOSTATE)
    if state == power_state.RUNNING and paused_by_nova(instance):
        return power_state.PAUSED
    return state


def paused_by_nova(instance):
    # During pause_instance Nova asks for the state with task_state PAUSING
    # (vm_state still ACTIVE); during unpause with vm_state still PAUSED.
    task = instance.task_state
    return task == task_states.PAUSING or (
        instance.vm_state == vm_states.PAUSED and
        task != task_states.UNPAUSING)


def stats_batches(userids, limit=client_request.MAX_REQUEST_BYTES):
    """Split userids into guest_inspect_stats lists that fit the limit.

    The size is that of the sdkserver request, as the client measures it:
    ``json.dumps([api, [userid_list], {}])``.
    """
    batches = []
    batch = []
    size = len(json.dumps([STATS_API, [[]], {}]))
    for userid in userids:
        item = len(json.dumps(userid)) + (2 if batch else 0)  # ", "
        if batch and size + item > limit:
            batches.append(batch)
            batch = []
            size = len(json.dumps([STATS_API, [[]], {}]))
            item -= 2
        batch.append(userid)
        size += item
    if batch:
        batches.append(batch)
    return batches


class TrackingClient(object):
    """A connector client that tells :class:`PowerStates` of changes.

    Everything else is the wrapped client's (``stats``, ``close``...).
    """

    def __init__(self, client, power_states):
        self.wrapped = client
        self._power_states = power_states

    def call(self, api_name, *args, **kwargs):
        userid = args[0] if api_name in CHANGING_APIS and args else None
        if isinstance(userid, str):
            self._power_states.changed(userid)
        try:
            return self.wrapped.call(api_name, *args, **kwargs)
        finally:
            if isinstance(userid, str):
                self._power_states.changed(userid)

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


class _View(object):
    """One sync's guest list and, once asked, its running guests."""

    def __init__(self, host, guests, read_at):
        self.host = host
        self.guests = frozenset(guests)
        self.read_at = read_at
        self.lock = threading.Lock()
        self.known = None  # userids whose state the view holds
        self.running = None
        self.failed = False


class PowerStates(object):
    """Power states for get_info, from a shared view or the guest itself."""

    def __init__(self, client, clock=time.monotonic):
        self._client = client
        self._clock = clock
        self._view = None
        self._changed = {}  # userid -> clock() of the last change seen
        self._lock = threading.Lock()

    def tracked(self, client):
        """``client`` reporting its guest changes to this object."""
        return TrackingClient(client, self)

    def changed(self, userid):
        now = self._clock()
        with self._lock:
            self._changed[userid.upper()] = now
            # Bounded by the guests changed in the last few minutes.
            horizon = now - VIEW_SECONDS - CHANGE_MARGIN_SECONDS
            stale = [u for u, t in self._changed.items() if t < horizon]
            for u in stale:
                del self._changed[u]

    def list_guests(self, host):
        """guest_list, which also starts the view of a sync."""
        read_at = self._clock()
        guests = self._client.call('guest_list') or []
        with self._lock:
            self._view = _View(host, guests, read_at)
        return guests

    def power_state(self, instance, use_cache=True):
        """Nova's power state of the instance's guest.

        :raises: InstanceNotFound when the guest does not exist
        """
        userid = names.userid(instance)
        if use_cache:
            state = self._from_view(userid, instance)
            if state is not None:
                return state
        raw = self._client.call('guest_get_power_state', userid)
        return nova_state(raw, instance)

    def instance_info(self, instance, use_cache=True):
        """get_info: the power state, or Nova's while z/VM cannot answer."""
        try:
            return hardware.InstanceInfo(
                state=self.power_state(instance, use_cache=use_cache))
        except zvm_exc.ConnectorUnreachable as err:
            # nova-compute must start, and its power-state sync must not
            # act, while the connector is down: the state Nova knows
            # stands until the connector answers again.
            LOG.warning("Power state unknown, the z/VM Cloud Connector is "
                        "not reachable; keeping %(state)s: %(err)s",
                        {'state': instance.power_state, 'err': err},
                        instance=instance)
            return hardware.InstanceInfo(state=instance.power_state)

    # -- the view ------------------------------------------------------------

    def _from_view(self, userid, instance):
        """The state the view gives, or None when the guest must be asked."""
        now = self._clock()
        with self._lock:
            view = self._view
            changed = self._changed.get(userid)
        if view is None or now - view.read_at > VIEW_SECONDS:
            return None
        if changed is not None and (
                changed >= view.read_at - CHANGE_MARGIN_SECONDS):
            return None
        if not self._fetch(view) or userid not in view.known:
            return None
        if userid not in view.guests:
            state = power_state.NOSTATE
        else:
            state = nova_state('on' if userid in view.running else 'off',
                               instance)
        if state != instance.power_state:
            # Only the guest itself may change what Nova recorded.
            return None
        if state == power_state.NOSTATE:
            raise exception.InstanceNotFound(instance_id=instance.uuid)
        return state

    def _fetch(self, view):
        """Fill the view's running guests once; False if that failed."""
        with view.lock:
            if view.known is not None or view.failed:
                return not view.failed
            try:
                userids = self._instance_userids(view)
                batches = stats_batches(sorted(userids & view.guests))
                if len(batches) >= len(userids):
                    # No cheaper than asking each guest (one instance).
                    userids = set()
                    batches = []
                running = set()
                for batch in batches:
                    running.update(
                        u.upper() for u in
                        (self._client.call(STATS_API, batch) or {}))
            except Exception as err:
                # Each instance is then asked by itself, as without a view.
                LOG.warning("Cannot read the power states of this host's "
                            "guests in bulk; asking each guest: %s", err)
                view.failed = True
                return False
            view.known = frozenset(userids)
            view.running = frozenset(running)
            return True

    @staticmethod
    def _instance_userids(view):
        context = nova_context.get_admin_context()
        instances = objects.InstanceList.get_by_host(
            context, view.host, expected_attrs=[])
        return {inst.name.upper() for inst in instances
                if names.is_valid_userid(inst.name)}
