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

"""Evacuation through Nova's API.

A member failure is simulated as an operator sees it: its nova-compute is
stopped and forced down, and (z/VM side) its guests are no longer logged
on (the simulator's "power off behind Nova's back", as the member's end
logs its guests off).
"""

from nova_zvm.tests.functional import base
from nova_zvm.tests.functional import test_live_migration
from nova_zvm.tests.functional import test_volumes


class EvacuateMixin(object):

    def fail_host(self, host='compute1', log_off=None):
        """nova-compute of host stops and is forced down."""
        api = getattr(self, 'admin_api', self.api)
        service = api.get_services(host=host, binary='nova-compute')[0]
        self.computes[host].stop()
        api.put_service_force_down(service['id'], True)
        for userid in log_off or []:
            # The failed member's guests are no longer logged on.
            self.admin(host).power_off(userid)
        return service

    def recover_host(self, service, host='compute1'):
        """The failed host comes back: restarted, forced down cleared.

        (Nova refuses the latter until the restart has cleaned up.)
        """
        api = getattr(self, 'admin_api', self.api)
        compute = self.restart_compute(host)
        api.put_service_force_down(service['id'], False)
        return compute

    def evacuate(self, server, expected_state='SHUTOFF',
                 expected_migration_status='done', host='compute2'):
        # Since microversion 2.95 an evacuated server is stopped at its
        # new host; the test starts it.
        return self._evacuate_server(
            server, expected_host=host if expected_state != 'ERROR' else None,
            expected_state=expected_state,
            expected_migration_status=expected_migration_status)


class SSIEvacuateTestCase(EvacuateMixin,
                          test_live_migration.LiveMigrationTestBase):
    """compute1 and compute2 are members of one SSI cluster."""

    def test_evacuate_keeps_the_disks_and_old_host_restart_keeps_guest(self):
        server = self.boot(host='compute1')
        userid = self.userid(server)
        digest = base.root_digest(self.guest(server, 'compute1'))
        service = self.fail_host(log_off=[userid])

        server = self.evacuate(server)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        server = self._start_server(server)
        moved = self.guest(server, 'compute2')
        # The same guest, logged on at the new member, disks untouched.
        self.assertEqual('on', moved['power_state'])
        self.assertEqual('COMPUTE2', moved['location'])
        self.assertEqual(digest, base.root_digest(moved))
        self.assertEqual(1, len(moved['nics']))
        self.assertTrue(self.known_to_connector(server, 'compute2'))

        # The failed host comes back: its start-up clean-up of evacuated
        # instances must not delete the guest (the same directory entry).
        self.recover_host(service)
        after = self.guest(server, 'compute2')
        self.assertTrue(after['in_directory'])
        self.assertEqual('on', after['power_state'])
        self.assertEqual(digest, base.root_digest(after))
        server = self.api.get_server(server['id'])
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        # The server lives on at its new host.
        self._reboot_server(server, hard=True)
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        self._delete_server(server)

    def test_refused_while_the_guest_runs_on_the_failed_member(self):
        server = self.boot(host='compute1')
        userid = self.userid(server)
        # nova-compute is down, but the member (and the guest) still runs.
        service = self.fail_host()
        server = self.evacuate(server, expected_state='ERROR',
                               expected_migration_status='failed')
        fault = self.api.get_server(server['id'])['fault']['message']
        self.assertIn('still logged on', fault)
        guest = self.guest(server, 'compute1')
        self.assertEqual('on', guest['power_state'])
        self.assertEqual('COMPUTE1', guest['location'])
        # Nothing registered with the new member's connector.
        self.assertFalse(self.known_to_connector(server, 'compute2'))
        # Once the member is down, the evacuation succeeds.
        self.admin('compute1').power_off(userid)
        # (An evacuated server in ERROR is not stopped at its new host.)
        server = self.evacuate(server, expected_state='ACTIVE')
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        self.recover_host(service)
        self._delete_server(server)


class RebuildEvacuateTestCase(EvacuateMixin, base.ZVMFunctionalTestCase):
    """compute1 and compute2 are separate z/VM systems (no SSI)."""

    COMPUTE_HOSTS = ('compute1', 'compute2')
    SIMULATOR_OPTIONS = {'fcp_devices': test_volumes.FCP_DEVICES}

    def test_evacuate_rebuilds_from_the_image(self):
        server = self.boot(host='compute1')
        userid = self.userid(server)
        original = self.guest(server, 'compute1')
        service = self.fail_host(log_off=[userid])

        server = self.evacuate(server)
        server = self._start_server(server)
        rebuilt = self.guest(server, 'compute2')
        self.assertEqual('on', rebuilt['power_state'])
        self.assertTrue(rebuilt['in_connector'])
        # Deployed from the image: the image's root disk content.
        self.assertEqual(base.root_digest(original),
                         base.root_digest(rebuilt))

        # The old host comes back and deletes its stale copy.
        self.recover_host(service)
        self.assertNotIn(userid,
                         self.admin('compute1').inventory()['guests'])
        self.assertEqual('on', self.guest(server, 'compute2')['power_state'])
        self._delete_server(server)

    def test_volume_is_attached_again_after_the_rebuild(self):
        server = self.boot(host='compute1')
        userid = self.userid(server)
        self.api.post_server_volume(
            server['id'], {'volumeAttachment': {
                'volumeId': test_volumes.VOLUME}})
        self._wait_for_volume_attach(server['id'], test_volumes.VOLUME)
        self.assertEqual(1, len(self.guest(server, 'compute1')['volumes']))
        service = self.fail_host(log_off=[userid])

        server = self._start_server(self.evacuate(server))
        rebuilt = self.guest(server, 'compute2')
        # Nova's rebuild attached the volume again on the new host.
        self.assertEqual(1, len(rebuilt['volumes']))
        self.assertEqual(
            sorted('0x' + w for w in
                   base.FibreChannelCinderFixture.TARGET_WWPNS),
            sorted(rebuilt['volumes'][0]['wwpns']))
        # The old host's stale copy goes, and with it its FCP devices.
        self.recover_host(service)
        self.assertNotIn(userid,
                         self.admin('compute1').inventory()['guests'])
        in_use = [dev for dev, d in
                  self.admin('compute1').inventory()['fcp'].items()
                  if d['reserved'] or d['connections']]
        self.assertEqual([], in_use)
        self._delete_server(server)
