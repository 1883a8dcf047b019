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

"""Resize and cold migration through Nova's API, on one or two z/VM hosts.

Each compute host has its own simulator (its own connector and z/VM); the
guest's disk moves with it and its content is compared on z/VM.
"""

from nova_zvm.tests.functional import base


class MigrationTestBase(base.ZVMFunctionalTestCase):

    # A source refusing a resize answers through prep_resize; with casts
    # turned into calls the refusal would become an error of the API call.
    CAST_AS_CALL = False

    def setUp(self):
        super(MigrationTestBase, self).setUp()
        self.small = self._create_flavor(name='zvm.small', memory_mb=512,
                                         vcpu=1, disk=1, ephemeral=0)
        self.large = self._create_flavor(name='zvm.large', memory_mb=1024,
                                         vcpu=2, disk=2, ephemeral=0)
        self.image_id = self.create_zvm_image(payload=b'migrating root fs')

    def boot_on(self, host, flavor=None):
        server = self.boot(self.image_id, flavor_id=flavor or self.small,
                           host=host)
        self.assertEqual(host, server['OS-EXT-SRV-ATTR:host'])
        return server

    def resize(self, server, flavor):
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': flavor}})
        return self._wait_for_state_change(server, 'VERIFY_RESIZE')

    def confirm(self, server, status='ACTIVE'):
        self.api.post_server_action(server['id'], {'confirmResize': None})
        return self._wait_for_state_change(server, status)

    def revert(self, server):
        self.api.post_server_action(server['id'], {'revertResize': None})
        return self._wait_for_state_change(server, 'ACTIVE')

    def guests(self, host):
        return self.admin(host).inventory()['guests']

    def assert_refused(self, server, reason, action='resize'):
        """The resize failed cleanly: ACTIVE, same host, reason recorded."""
        event = self._wait_for_instance_action_event(
            server, action, 'compute_resize_instance', 'Error')
        server = self._wait_for_state_change(server, 'ACTIVE')
        text = '\n'.join([event.get('details') or '',
                          event.get('traceback') or ''])
        self.assertIn(reason, text)
        migration = self.api.get_migrations()[-1]
        self.assertEqual('error', migration['status'])
        return server


class TwoHostMigrationTestCase(MigrationTestBase):

    COMPUTE_HOSTS = ('compute1', 'compute2')

    def test_cold_migrate_and_confirm(self):
        server = self.boot_on('compute1')
        digest = base.root_digest(self.guest(server, 'compute1'))
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        moved = self.guest(server, 'compute2')
        self.assertEqual('on', moved['power_state'])
        self.assertEqual(digest, base.root_digest(moved))
        self.assertEqual(1, len(moved['nics']))
        self.assertEqual('config-2', moved['config_drive']['label'])
        # The source keeps its guest, stopped, until confirm.
        self.assertEqual('off', self.guest(server, 'compute1')['power_state'])
        server = self.confirm(server)
        self.assertNotIn(self.userid(server), self.guests('compute1'))
        self.assertEqual({'compute2'}, self.allocation_hosts(server))
        self._delete_server(server)

    def test_cold_migrate_and_revert(self):
        server = self.boot_on('compute1')
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        server = self.revert(server)
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertEqual({}, self.guests('compute2'))
        self.assertEqual({'compute1'}, self.allocation_hosts(server))
        self._delete_server(server)

    def test_resize_to_another_host_and_confirm(self):
        server = self.boot_on('compute1')
        digest = base.root_digest(self.guest(server, 'compute1'))
        server = self.resize(server, self.large)
        self.assertEqual('compute2', server['OS-EXT-SRV-ATTR:host'])
        moved = self.guest(server, 'compute2')
        self.assertEqual(2, moved['vcpus'])
        self.assertEqual(1024, moved['memory_mb'])
        self.assertEqual(digest, base.root_digest(moved))
        # Both hosts hold an allocation until the resize is confirmed.
        self.assertEqual({'compute1', 'compute2'},
                         self.allocation_hosts(server, migration=True))
        server = self.confirm(server)
        self.assertEqual('zvm.large', server['flavor']['original_name'])
        self.assertEqual({}, self.guests('compute1'))
        self._delete_server(server)

    def test_resize_to_another_host_and_revert(self):
        server = self.boot_on('compute1')
        server = self.resize(server, self.large)
        server = self.revert(server)
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        original = self.guest(server, 'compute1')
        self.assertEqual(1, original['vcpus'])
        self.assertEqual('on', original['power_state'])
        self.assertEqual({}, self.guests('compute2'))
        self._delete_server(server)

    def test_stopped_server_migrates_stopped(self):
        server = self.boot_on('compute1')
        server = self._stop_server(server)
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self._wait_for_state_change(server, 'VERIFY_RESIZE')
        self.assertEqual('off', self.guest(server, 'compute2')['power_state'])
        server = self.confirm(server, status='SHUTOFF')
        self.assertEqual('off', self.guest(server, 'compute2')['power_state'])
        self._delete_server(server)

    def test_failure_on_the_source_rolls_back(self):
        server = self.boot_on('compute1')
        self.admin('compute1').add_fault(
            'image_export:sdk_error,times=1,overallRC=300,modID=40,rc=300,'
            'rs=21,errmsg=simulated export failure')
        self.api.post_server_action(server['id'], {'migrate': None})
        server = self.assert_refused(server, 'simulated export failure',
                                     action='migrate')
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual('on', self.guest(server, 'compute1')['power_state'])
        self.assertEqual({}, self.admin('compute1').inventory()['images'].get(
            'nova-zvm-migration-%s' % server['id'], {}))
        self.assertEqual({}, self.guests('compute2'))
        self._delete_server(server)

    def allocation_hosts(self, server, migration=False):
        """Hosts holding the server's allocations in placement.

        With migration, the allocations of its migrations count too.
        """
        hosts = set()
        consumers = [server['id']]
        if migration:
            consumers += [m['uuid'] for m in self.api.get_migrations()
                          if m['instance_uuid'] == server['id']]
        for consumer in consumers:
            allocs = self.placement.get(
                '/allocations/%s' % consumer).body['allocations']
            for rp_uuid in allocs:
                for host in self.computes:
                    if self._get_provider_uuid_by_host(host) == rp_uuid:
                        hosts.add(host)
        return hosts


class SameHostResizeTestCase(MigrationTestBase):

    def setUp(self):
        self.flags(allow_resize_to_same_host=True)
        super(SameHostResizeTestCase, self).setUp()

    def test_resize_same_host_and_confirm(self):
        server = self.boot_on('compute1')
        digest = base.root_digest(self.guest(server))
        units = self.guest(server)['disks']['0100']['units']
        server = self.resize(server, self.large)
        self.assertEqual('compute1', server['OS-EXT-SRV-ATTR:host'])
        guest = self.guest(server)
        self.assertEqual(2, guest['vcpus'])
        self.assertEqual(1024, guest['memory_mb'])
        self.assertGreater(guest['disks']['0100']['units'], units)
        self.assertEqual(digest, base.root_digest(guest))
        server = self.confirm(server)
        self.assertEqual('on', self.guest(server)['power_state'])
        self.assertEqual([], [i for i in self.admin().inventory()['images']
                              if i.startswith('nova-zvm-migration')])
        self._delete_server(server)

    def test_resize_same_host_and_revert(self):
        server = self.boot_on('compute1')
        before = self.guest(server)
        server = self.resize(server, self.large)
        server = self.revert(server)
        after = self.guest(server)
        self.assertEqual(1, after['vcpus'])
        self.assertEqual(512, after['memory_mb'])
        self.assertEqual(before['disks']['0100']['units'],
                         after['disks']['0100']['units'])
        self.assertEqual(base.root_digest(before), base.root_digest(after))
        self.assertEqual('on', after['power_state'])
        self._delete_server(server)

    def test_fewer_vcpus_than_defined_are_refused_before_anything_changes(
            self):
        # The guest is defined with two COMMAND DEFINE CPU statements, which
        # the connector's guest_resize_cpus does not remove.
        server = self.boot_on('compute1', flavor=self.large)
        before = self.guest(server)
        self.assertEqual(2, before['vcpus'])
        one_cpu = self._create_flavor(name='zvm.large1', memory_mb=1024,
                                      vcpu=1, disk=2, ephemeral=0)
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': one_cpu}})
        server = self.assert_refused(server, 'COMMAND DEFINE CPU')
        after = self.guest(server)
        self.assertEqual(2, after['vcpus'])
        self.assertEqual(before['boots'], after['boots'])
        self.assertEqual('on', after['power_state'])
        self.assertEqual('zvm.large', server['flavor']['original_name'])
        self._delete_server(server)

    def test_vcpus_added_by_a_resize_can_be_removed(self):
        server = self.boot_on('compute1')
        server = self.confirm(self.resize(server, self.large))
        self.assertEqual(2, self.guest(server)['vcpus'])
        one_cpu = self._create_flavor(name='zvm.large1', memory_mb=1024,
                                      vcpu=1, disk=2, ephemeral=0)
        server = self.confirm(self.resize(server, one_cpu))
        guest = self.guest(server)
        self.assertEqual(1, guest['vcpus'])
        self.assertEqual('on', guest['power_state'])
        self._delete_server(server)

    def test_smaller_ephemeral_disk_is_refused_before_anything_changes(self):
        # Nova's API refuses a smaller root disk itself; a smaller ephemeral
        # disk reaches the driver, which refuses before touching the guest.
        with_eph = self._create_flavor(name='zvm.eph', memory_mb=512,
                                       vcpu=1, disk=1, ephemeral=1)
        server = self.boot_on('compute1', flavor=with_eph)
        before = self.guest(server)
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': self.large}})
        server = self.assert_refused(server, 'ephemeral')
        after = self.guest(server)
        self.assertEqual(before['vcpus'], after['vcpus'])
        self.assertEqual(sorted(before['disks']), sorted(after['disks']))
        self.assertEqual('on', after['power_state'])
        self.assertEqual('zvm.eph', server['flavor']['original_name'])
        self._delete_server(server)


class SameHostResizeFailureTestCase(MigrationTestBase):
    """A same-host resize whose deploy and restore both fail."""

    def setUp(self):
        self.flags(allow_resize_to_same_host=True)
        super(SameHostResizeFailureTestCase, self).setUp()

    def test_root_disk_survives_a_failed_deploy_and_restore(self):
        server = self.boot_on('compute1')
        userid = self.userid(server)
        original = self.guest(server)
        digest = base.root_digest(original)
        # An SMAPI outage: the forward deploy and the restore both fail;
        # the connector's own image repository still works.
        self.admin().add_fault(
            'guest_deploy:sdk_error,times=2,overallRC=300,modID=10,rc=300,'
            'rs=5,errmsg=simulated SMAPI outage')
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': self.large}})
        server = self._wait_for_state_change(server, 'ERROR')
        migration = [m for m in self.api.get_migrations()
                     if m['instance_uuid'] == server['id']][-1]
        image = 'nova-zvm-migration-%s' % migration['uuid']
        # The fault names what is kept first; its details (for admins)
        # have the cause too.
        self.assertIn(image, server['fault']['message'])
        self.assertIn('simulated SMAPI outage', server['fault']['details'])
        # The root disk's content is in the image, nowhere else.
        images = self.admin().inventory()['images']
        self.assertEqual(digest, images[image]['payload_digest'])

        # The troubleshooting guide's procedure ("what is left after a
        # failure"), with the connector's own REST client.
        conn = self.connector()
        guest = self.guest(server)
        if '0100' not in guest['disks']:
            self._ok(conn.call('guest_create_disks', userid, [
                {'size': original['disks']['0100']['size'], 'vdev': '0100',
                 'format': 'none'}]))
        self._ok(conn.call('guest_deploy', userid, image, vdev='0100'))
        self._ok(conn.call('guest_resize_cpus', userid, original['vcpus']))
        self._ok(conn.call('guest_resize_mem', userid,
                           '%dm' % original['memory_mb']))
        self._ok(conn.call('guest_start', userid))
        self.api.post_server_action(server['id'],
                                    {'os-resetState': {'state': 'active'}})
        server = self._wait_for_state_change(server, 'ACTIVE')
        restored = self.guest(server)
        self.assertEqual(digest, base.root_digest(restored))
        self.assertEqual(original['vcpus'], restored['vcpus'])
        self.assertEqual('on', restored['power_state'])
        self._ok(conn.call('image_delete', image))
        self._delete_server(server)
        self.assertEqual({}, self.guests('compute1'))

    def test_deleting_the_failed_server_removes_the_kept_image(self):
        server = self.boot_on('compute1')
        self.admin().add_fault(
            'guest_deploy:sdk_error,times=2,overallRC=300,modID=10,rc=300,'
            'rs=5,errmsg=simulated SMAPI outage')
        self.api.post_server_action(server['id'],
                                    {'resize': {'flavorRef': self.large}})
        server = self._wait_for_state_change(server, 'ERROR')
        self.assertEqual(1, len([i for i in self.admin().inventory()[
            'images'] if i.startswith('nova-zvm-migration-')]))
        # The image's owner is the instance: deleting it removes both.
        self._delete_server(server)
        self.assertEqual({}, self.guests('compute1'))
        self.assertEqual([], [i for i in self.admin().inventory()['images']
                              if i.startswith('nova-zvm-migration-')])

    def _ok(self, result):
        self.assertEqual(0, result['overallRC'], result)
        return result
