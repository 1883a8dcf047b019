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

"""The power-state view of Nova's sync: few requests, truthful states."""

import json
from unittest import mock

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
from nova import context
from nova import exception
from nova import objects
from nova import test
from nova.tests.unit import fake_instance
from nova.virt import fake as fake_virt

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm import client_request
from nova_zvm.virt.zvm import driver
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import powerstate

HOST = 'compute1'


class FakeZVM(object):
    """Guests and their power, answering the connector's queries."""

    def __init__(self):
        self.power = {}  # userid -> 'on' | 'off'

    def guest_list(self):
        return sorted(self.power)

    def guest_inspect_stats(self, userid_list):
        size = len(json.dumps(['guest_inspect_stats', [userid_list], {}]))
        if size > client_request.MAX_REQUEST_BYTES:
            raise AssertionError('request of %d bytes' % size)
        # Stopped and unknown guests are omitted, as by zvmsdk's monitor.
        return {u: {'guest_cpus': 1} for u in userid_list
                if self.power.get(u) == 'on'}

    def guest_get_power_state(self, userid):
        if userid not in self.power:
            raise fakes.guest_not_found('guest_get_power_state', userid)
        return self.power[userid]

    def guest_stop(self, userid):
        self.power[userid] = 'off'

    def client(self):
        return fakes.FakeClient(
            guest_list=self.guest_list,
            guest_inspect_stats=self.guest_inspect_stats,
            guest_get_power_state=self.guest_get_power_state,
            guest_stop=self.guest_stop,
            host_get_info=dict(fakes.HOST_INFO))


class Clock(object):

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class PowerStateTestBase(test.NoDBTestCase):

    def setUp(self):
        super(PowerStateTestBase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.zvm = FakeZVM()
        self.client = self.zvm.client()
        self.ctxt = context.get_admin_context()
        self.instances = []
        self.useFixture(test.fixtures.MockPatchObject(
            objects.InstanceList, 'get_by_host',
            side_effect=lambda ctxt, host, expected_attrs=None:
            objects.InstanceList(objects=[
                i for i in self.instances if i.host == host])))

    def add(self, n, power='on', record=None, **fields):
        """n instances on HOST with guests in ``power``; returns them."""
        added = []
        for _ in range(n):
            i = len(self.instances) + 1
            inst = fake_instance.fake_instance_obj(
                self.ctxt, id=i, host=HOST, vm_state=vm_states.ACTIVE,
                task_state=None, **fields)
            inst.power_state = record if record is not None else (
                power_state.RUNNING if power == 'on'
                else power_state.SHUTDOWN)
            if power is not None:
                self.zvm.power[inst.name.upper()] = power
            self.instances.append(inst)
            added.append(inst)
        return added


class StatsBatchesTestCase(test.NoDBTestCase):

    def test_batches_fit_the_request_limit_and_keep_every_userid(self):
        userids = ['OS%06x' % i for i in range(1000)]
        batches = powerstate.stats_batches(userids)
        self.assertEqual(userids, [u for b in batches for u in b])
        for batch in batches:
            self.assertLessEqual(
                len(json.dumps(['guest_inspect_stats', [batch], {}])),
                client_request.MAX_REQUEST_BYTES)
        # Full batches: 338 userids of 8 characters in 4096 bytes.
        self.assertEqual([338, 338, 324], [len(b) for b in batches])

    def test_no_userids_no_batch(self):
        self.assertEqual([], powerstate.stats_batches([]))


class SyncTestCase(PowerStateTestBase):
    """What Nova's _sync_power_states asks of the driver."""

    def setUp(self):
        super(SyncTestCase, self).setUp()
        self.flags(cloud_connector_url='http://zcc.example.com', group='zvm')
        self.driver = driver.ZVMDriver(fake_virt.FakeVirtAPI(),
                                       client=self.client)
        self.driver.init_host(HOST)
        self.client.calls = []

    def sync(self):
        """get_num_instances, then get_info of each instance: the states."""
        self.driver.get_num_instances()
        states = {}
        for inst in self.instances:
            try:
                states[inst.name] = self.driver.get_info(inst).state
            except exception.InstanceNotFound:
                states[inst.name] = 'not found'
        return states

    def test_requests_per_sync_do_not_grow_with_instances(self):
        counts = {}
        for n in (10, 100, 1000):
            self.instances = []
            self.zvm.power = {}
            running = self.add(n // 2)
            stopped = self.add(n - n // 2, power='off')
            self.client.calls = []
            states = self.sync()
            counts[n] = self.client.count()
            self.assertEqual(
                {i.name: power_state.RUNNING for i in running},
                {k: v for k, v in states.items()
                 if k in {i.name for i in running}})
            self.assertEqual(
                {i.name: power_state.SHUTDOWN for i in stopped},
                {k: v for k, v in states.items()
                 if k in {i.name for i in stopped}})
            self.assertEqual(0, self.client.count('guest_get_power_state'))
        self.assertEqual({10: 2, 100: 2, 1000: 4}, counts)
        self.assertLessEqual(max(counts.values()), 5)

    def test_guests_of_other_hosts_are_not_asked(self):
        self.add(3)
        # 5,000 other guests on the z/VM: the batches hold ours only.
        self.zvm.power.update({'SIM%05d' % i: 'on' for i in range(5000)})
        self.sync()
        self.assertEqual(2, self.client.count())
        (batch,) = self.client.args_of('guest_inspect_stats')
        self.assertEqual(3, len(batch[0]))
        self.assertEqual(1, self.client.count('guest_list'))

    def test_never_more_than_one_request_per_instance_plus_one(self):
        (inst,) = self.add(1)
        self.sync()
        # One instance: asked by itself, no bulk read.
        self.assertEqual(1, self.client.count('guest_list'))
        self.assertEqual(1, self.client.count('guest_get_power_state'))
        self.assertEqual(2, self.client.count())
        self.client.calls = []
        self.zvm.power[inst.name.upper()] = 'off'
        self.assertEqual({inst.name: power_state.SHUTDOWN}, self.sync())
        self.assertEqual(2, self.client.count())
        self.instances = []
        self.client.calls = []
        self.sync()
        self.assertEqual(1, self.client.count('guest_list'))
        self.assertEqual(1, self.client.count())

    def test_guest_stopped_by_driver_after_the_bulk_read(self):
        a, b, _c = self.add(3)
        self.driver.get_num_instances()
        self.assertEqual(power_state.RUNNING,
                         self.driver.get_info(a).state)
        # Nova stops B between the view's read and B's get_info; the
        # instance object of the sync still records RUNNING.
        self.driver.power_off(b)
        self.assertEqual(power_state.SHUTDOWN,
                         self.driver.get_info(b).state)
        self.assertEqual(1, self.client.count('guest_get_power_state'))

    def test_stale_running_is_confirmed_with_the_guest(self):
        # The connector's monitor cache still lists a guest Nova stopped:
        # the view says on, Nova's record says shut down.
        self.add(1)
        (inst,) = self.add(1, power='off', record=power_state.SHUTDOWN)
        self.zvm.guest_inspect_stats = lambda userids: {
            u: {} for u in userids}
        self.client.answers['guest_inspect_stats'] = (
            self.zvm.guest_inspect_stats)
        self.assertEqual(power_state.SHUTDOWN, self.sync()[inst.name])
        self.assertEqual(1, self.client.count('guest_inspect_stats'))
        self.assertEqual(1, self.client.count('guest_get_power_state'))

    def test_guest_stopped_outside_nova_is_reported_at_next_sync(self):
        (inst, _other) = self.add(2)
        self.assertEqual(power_state.RUNNING, self.sync()[inst.name])
        self.zvm.power[inst.name.upper()] = 'off'
        self.assertEqual(power_state.SHUTDOWN, self.sync()[inst.name])
        self.assertEqual(2, self.client.count('guest_inspect_stats'))

    def test_removed_guest_is_not_found(self):
        (inst, _other) = self.add(2)
        del self.zvm.power[inst.name.upper()]
        self.assertEqual('not found', self.sync()[inst.name])
        # Confirmed with the guest itself: Nova recorded it running.
        self.assertEqual(1, self.client.count('guest_get_power_state'))

    def test_removed_guest_already_recorded_gone_costs_nothing(self):
        self.add(2)
        (inst,) = self.add(1, power=None, record=power_state.NOSTATE)
        states = self.sync()
        self.assertEqual('not found', states[inst.name])
        # The list and one bulk read: the gone guest is not asked.
        self.assertEqual(0, self.client.count('guest_get_power_state'))
        self.assertEqual(1, self.client.count('guest_inspect_stats'))
        self.assertEqual(2, self.client.count())

    def test_failed_bulk_read_asks_each_guest(self):
        self.add(2)
        self.client.answers['guest_inspect_stats'] = fakes.connector_error(
            'guest_inspect_stats', 500, 1, modid=50)
        states = self.sync()
        self.assertEqual([power_state.RUNNING] * 2, list(states.values()))
        self.assertEqual(2, self.client.count('guest_get_power_state'))
        self.assertEqual(1, self.client.count('guest_inspect_stats'))

    def test_get_info_outside_a_sync_asks_the_guest(self):
        (inst,) = self.add(1)
        self.assertEqual(power_state.RUNNING,
                         self.driver.get_info(inst).state)
        self.assertTrue(self.client.made('guest_get_power_state',
                                         inst.name.upper()))
        self.assertEqual(1, self.client.count())

    def test_get_info_without_cache_asks_the_guest(self):
        (inst,) = self.add(1)
        self.driver.get_num_instances()
        self.driver.get_info(inst, use_cache=False)
        self.assertEqual(1, self.client.count('guest_get_power_state'))
        self.assertEqual(2, self.client.count())

    def test_view_expires(self):
        (inst,) = self.add(1)
        clock = Clock()
        self.driver._power._clock = clock
        self.driver.get_num_instances()
        clock.now += powerstate.VIEW_SECONDS + 1
        self.driver.get_info(inst)
        self.assertEqual(1, self.client.count('guest_get_power_state'))
        self.assertEqual(2, self.client.count())

    def test_paused_instance_outside_a_sync(self):
        (inst,) = self.add(1, record=power_state.RUNNING)
        inst.vm_state = vm_states.PAUSED
        self.assertEqual(power_state.PAUSED,
                         self.driver.get_info(inst, use_cache=False).state)

    def test_paused_instance_in_a_sync(self):
        self.add(1)
        (inst,) = self.add(1, record=power_state.PAUSED)
        inst.vm_state = vm_states.PAUSED
        self.assertEqual(power_state.PAUSED, self.sync()[inst.name])
        self.assertEqual(0, self.client.count('guest_get_power_state'))


class PausedTestCase(test.NoDBTestCase):
    """A guest with stopped CPUs is 'on' for the connector."""

    def state(self, raw, vm_state, task_state=None):
        inst = fake_instance.fake_instance_obj(
            context.get_admin_context(), vm_state=vm_state,
            task_state=task_state)
        return powerstate.nova_state(raw, inst)

    def test_paused_by_nova(self):
        self.assertEqual(power_state.PAUSED,
                         self.state('on', vm_states.PAUSED))

    def test_being_paused(self):
        # pause_instance asks for the state before setting vm_state.
        self.assertEqual(power_state.PAUSED, self.state(
            'on', vm_states.ACTIVE, task_states.PAUSING))

    def test_being_unpaused(self):
        self.assertEqual(power_state.RUNNING, self.state(
            'on', vm_states.PAUSED, task_states.UNPAUSING))

    def test_paused_guest_stopped_is_shut_down(self):
        self.assertEqual(power_state.SHUTDOWN,
                         self.state('off', vm_states.PAUSED))

    def test_active_guest_on_is_running(self):
        self.assertEqual(power_state.RUNNING,
                         self.state('on', vm_states.ACTIVE))


class TrackingClientTestCase(test.NoDBTestCase):

    def test_changes_are_reported_and_the_rest_forwarded(self):
        inner = fakes.FakeClient(guest_start=None, guest_list=['A'])
        states = mock.Mock()
        tracked = powerstate.TrackingClient(inner, states)
        tracked.call('guest_start', 'OS000001')
        tracked.call('guest_list')
        self.assertEqual([mock.call('OS000001')] * 2,
                         states.changed.call_args_list)
        self.assertEqual(2, tracked.count())

    def test_failed_change_is_reported_too(self):
        inner = fakes.FakeClient(guest_stop=fakes.unreachable('guest_stop'))
        states = mock.Mock()
        tracked = powerstate.TrackingClient(inner, states)
        self.assertRaises(zvm_exc.ConnectorUnreachable, tracked.call,
                          'guest_stop', 'OS000001')
        self.assertEqual(2, states.changed.call_count)
