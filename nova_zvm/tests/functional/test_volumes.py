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

"""FCP volumes through Nova's API: attach, detach, boot from volume.

Nova's Cinder fixture serves fibre_channel connection info; the simulator
has FCP devices that the connector reserves for a guest, and records each
LUN it attaches. The leak check includes FCP reservations.
"""

from nova import exception
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client as api_client
from nova.volume import cinder

from nova_zvm.tests.functional import base

VOLUME = nova_fixtures.CinderFixture.SWAP_OLD_VOL
BOOT_VOLUME = nova_fixtures.CinderFixture.IMAGE_BACKED_VOL
ISCSI_VOLUME = nova_fixtures.CinderFixture.ISCSI_BACKED_VOL
FCP_DEVICES = '1a00-1a07'


class VolumeTestCase(base.ZVMFunctionalTestCase):

    SIMULATOR_OPTIONS = {'fcp_devices': FCP_DEVICES}

    def fcp_in_use(self, host='compute1'):
        fcp = self.admin(host).inventory()['fcp']
        return {dev: d for dev, d in fcp.items()
                if d['reserved'] or d['connections']}

    def attach_failing(self, server, volume_id):
        """Ask for an attach that fails on the compute host.

        The harness turns Nova's cast into a call, so the compute host's
        error also comes back from the API request.
        """
        try:
            self.api.post_server_volume(
                server['id'], {'volumeAttachment': {'volumeId': volume_id}})
        except api_client.OpenStackApiException:
            pass
        return self._wait_for_instance_action_event(
            server, 'attach_volume', 'compute_attach_volume', 'Error')

    @staticmethod
    def event_text(event):
        return '%s\n%s' % (event.get('details') or '',
                           event.get("traceback") or "")

    def attach(self, server, volume_id=VOLUME):
        self.api.post_server_volume(
            server['id'], {'volumeAttachment': {'volumeId': volume_id}})
        self._wait_for_volume_attach(server['id'], volume_id)

    def detach(self, server, volume_id=VOLUME):
        self.api.delete_server_volume(server['id'], volume_id)
        self._wait_for_volume_detach(server['id'], volume_id)

    def _attach_detach(self, server):
        userid = self.userid(server)
        self.attach(server)
        volumes = self.guest(server)['volumes']
        self.assertEqual(1, len(volumes))
        self.assertEqual(sorted('0x' + w for w in
                                base.FibreChannelCinderFixture.TARGET_WWPNS),
                         sorted(volumes[0]['wwpns']))
        self.assertEqual('/dev/sdb', volumes[0]['mount_point'])
        in_use = self.fcp_in_use()
        self.assertTrue(in_use)
        for dev in in_use.values():
            self.assertEqual(userid, dev['assigner_id'])
        self.detach(server)
        self.assertEqual([], self.guest(server)['volumes'])
        self.assertEqual({}, self.fcp_in_use())

    def test_attach_and_detach_on_a_running_server(self):
        server = self.boot()
        self._attach_detach(server)
        self.assertEqual('on', self.guest(server)['power_state'])
        self._delete_server(server)

    def test_attach_and_detach_on_a_stopped_server(self):
        server = self._stop_server(self.boot())
        self._attach_detach(server)
        self.assertEqual('off', self.guest(server)['power_state'])
        self._delete_server(server)

    def test_delete_with_a_volume_attached(self):
        server = self.boot()
        self.attach(server)
        self._delete_server(server)
        self.assertEqual({}, self.fcp_in_use())
        self.assertEqual({}, self.admin().inventory()['guests'])

    def test_failed_attach_leaves_nothing_attached(self):
        server = self.boot()
        self.admin().add_fault(
            'volume_attach:sdk_error,times=1,overallRC=300,modID=30,rc=300,'
            'rs=1,errmsg=simulated volume_attach failure')
        event = self.attach_failing(server, VOLUME)
        self.assertIn('simulated volume_attach failure',
                      self.event_text(event))
        self.assertEqual([], self.guest(server)['volumes'])
        self.assertEqual({}, self.fcp_in_use())
        self._delete_server(server)

    def test_non_fibre_channel_volume_is_refused_before_any_call(self):
        server = self.boot()
        before = self.admin().counters()['api_calls']
        event = self.attach_failing(server, ISCSI_VOLUME)
        self.assertIn('fibre_channel', self.event_text(event))
        after = self.admin().counters()['api_calls']
        self.assertEqual(before.get('volume_attach'),
                         after.get('volume_attach'))
        self.assertEqual({}, self.fcp_in_use())
        self._delete_server(server)

    def test_boot_from_volume(self):
        server = self.api.post_server({'server': {
            'name': 'bfv', 'imageRef': '',
            'flavorRef': self._create_flavor(disk=0, ephemeral=0),
            'networks': 'none',
            'block_device_mapping_v2': [{
                'boot_index': 0, 'uuid': BOOT_VOLUME,
                'source_type': 'volume', 'destination_type': 'volume'}]}})
        server = self._wait_for_state_change(server, 'ACTIVE')
        guest = self.guest(server)
        self.assertEqual('on', guest['power_state'])
        # No root minidisk and no image: the guest IPLs from the LUN.
        self.assertNotIn('0100', guest['disks'])
        # The root LUN is the guest's IPL device, reached through a
        # dedicated FCP device (zvmsdk lists only data volumes).
        in_use = self.fcp_in_use()
        self.assertEqual([guest['ipl'].upper()], [d.upper() for d in in_use])
        self.assertIn(guest['ipl'].upper(), guest['dedicates'])
        self.assertEqual(
            base.FibreChannelCinderFixture.TARGET_WWPNS[0],
            guest['loaddev']['portname'])
        self.assertTrue(guest['loaddev']['lun'])
        self.assertNotIn('image_import',
                         self.admin().counters()['api_calls'])
        self.assertIn('volume_refresh_bootmap',
                      self.admin().counters()['api_calls'])
        self._delete_server(server)
        self.assertEqual({}, self.fcp_in_use())

    def test_failed_volume_undo_at_spawn_names_the_volume(self):
        self.admin().add_fault('guest_start:sdk_error,times=1,overallRC=300,'
                               'modID=10,rc=300,rs=5,errmsg=simulated')
        self.admin().add_fault('volume_detach:sdk_error,times=1,'
                               'overallRC=300,modID=30,rc=300,rs=9,'
                               'errmsg=simulated count-down failure')
        server = self.api.post_server({'server': {
            'name': 'bfv-data', 'imageRef': '',
            'flavorRef': self._create_flavor(disk=0, ephemeral=0),
            'networks': 'none',
            'block_device_mapping_v2': [
                {'boot_index': 0, 'uuid': BOOT_VOLUME,
                 'source_type': 'volume', 'destination_type': 'volume'},
                {'boot_index': 1, 'uuid': VOLUME,
                 'source_type': 'volume', 'destination_type': 'volume'}]}})
        server = self._wait_for_state_change(server, 'ERROR')
        fault = server.get('fault') or {}
        text = '%s\n%s' % (fault.get('message'), fault.get('details'))
        # The data volume's count-down failed (newest step, first undone):
        # it is named, with the root volume and guest left after it.
        self.assertIn('unable to count down volume %s' % VOLUME, text)
        self.assertIn('count down volume %s' % BOOT_VOLUME, text)
        self._delete_server(server)
        self.assertEqual({}, self.fcp_in_use())


class FCPLeakTestCase(base.ZVMFunctionalTestCase):
    """FCP devices the connector holds for a guest never outlive it."""

    SIMULATOR_OPTIONS = {'fcp_devices': FCP_DEVICES}
    fcp_in_use = VolumeTestCase.fcp_in_use
    attach_failing = VolumeTestCase.attach_failing
    attach = VolumeTestCase.attach
    detach = VolumeTestCase.detach

    def reserved_for(self, server):
        userid = self.userid(server)
        return {dev: d for dev, d in self.fcp_in_use().items()
                if (d['assigner_id'] or '').upper() == userid}

    def attach_refused_by_cinder(self, server):
        # Nova reserves the devices (get_volume_connector), then Cinder
        # fails: the driver is never asked to attach.
        # (The Cinder fixture's mock of attachment_update, made to fail.)
        update = cinder.API.attachment_update
        fixture_answer = update.side_effect
        update.side_effect = exception.InvalidInput(
            reason='simulated Cinder failure')
        try:
            self.attach_failing(server, VOLUME)
        finally:
            update.side_effect = fixture_answer

    def test_reservation_cinder_refused_is_released_at_delete(self):
        server = self.boot()
        self.attach_refused_by_cinder(server)
        held = self.reserved_for(server)
        self.assertTrue(held)
        self.assertEqual([0] * len(held),
                         [d['connections'] for d in held.values()])
        self._delete_server(server)
        self.assertEqual({}, self.fcp_in_use())

    def test_failed_release_at_delete_is_retried(self):
        server = self.boot()
        self.attach_refused_by_cinder(server)
        self.admin().add_fault(
            'get_fcp_templates:sdk_error,times=1,overallRC=500,modID=30,'
            'rc=500,rs=1,errmsg=simulated FCP database failure')
        self._delete_server(server)
        # The server is gone; the reservation waits for the next try.
        self.assertTrue(self.fcp_in_use())
        self._run_periodics()
        self.assertEqual({}, self.fcp_in_use())

    def test_failed_release_is_retried_after_a_compute_restart(self):
        server = self.boot()
        self.attach_refused_by_cinder(server)
        self.admin().add_fault(
            'get_fcp_templates:sdk_error,times=1,overallRC=500,modID=30,'
            'rc=500,rs=1,errmsg=simulated FCP database failure')
        self._delete_server(server)
        self.assertTrue(self.fcp_in_use())
        # The list of releases to retry is on disk, not in the old driver.
        self.restart_compute()
        self._run_periodics()
        self.assertEqual({}, self.fcp_in_use())

    def test_attach_whose_answer_is_lost_after_it_ran(self):
        server = self.boot()
        self.admin().add_fault('volume_attach:drop,times=1,execute=true')
        self.attach(server)
        # Nova knows the volume z/VM has: attached once, detachable.
        volumes = self.guest(server)['volumes']
        self.assertEqual(1, len(volumes))
        self.assertEqual(1, self.admin().counters()['api_calls'][
            'volume_attach'])
        self.assertEqual(
            [1] * len(self.reserved_for(server)),
            [d['connections'] for d in self.reserved_for(server).values()])
        self.detach(server)
        self.assertEqual([], self.guest(server)['volumes'])
        self.assertEqual({}, self.fcp_in_use())
        self._delete_server(server)

    def test_attach_whose_answer_is_lost_before_it_ran(self):
        server = self.boot()
        self.admin().add_fault('volume_attach:drop,times=1')
        self.attach_failing(server, VOLUME)
        self.assertEqual([], self.guest(server)['volumes'])
        self.assertEqual({}, self.fcp_in_use())
        self._delete_server(server)

    def test_delete_leaves_nothing_when_counting_down_fails(self):
        server = self.boot()
        self.attach(server)
        # The count-down of Nova's mappings fails at delete: the
        # connections the deleted guest's devices still count are cleared.
        self.admin().add_fault('volume_detach:sdk_error,overallRC=300,'
                               'modID=30,rc=300,rs=5,errmsg=simulated')
        self._delete_server(server)
        self.assertEqual({}, self.fcp_in_use())

    def test_detach_whose_answer_is_lost_after_it_ran(self):
        other = nova_fixtures.CinderFixture.SWAP_NEW_VOL
        server = self.boot()
        self.attach(server)
        self.attach(server, other)
        self.admin().add_fault('volume_detach:drop,times=1,execute=true')
        # Decided on z/VM's connection counts: detached, once.
        self.detach(server)
        self.assertEqual(1, self.admin().counters()['api_calls'][
            'volume_detach'])
        held = self.reserved_for(server)
        self.assertEqual([1] * len(held),
                         [d['connections'] for d in held.values()])
        self.assertEqual(1, len(self.guest(server)['volumes']))
        # The other volume still has its connection to count down.
        self.detach(server, other)
        self.assertEqual([], self.guest(server)['volumes'])
        self.assertEqual({}, self.fcp_in_use())
        self._delete_server(server)
