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

"""Volume test data: Cinder's connection info, the connector's answers.

Shared by the volume tests and by those of the modules that hand volumes
to the volume package (live migration, spawn).
"""

from nova import context
from nova import test
from nova.tests.unit import fake_instance

from nova_zvm.tests.unit.virt.zvm import fakes
from nova_zvm.virt.zvm.volume import ops as volume_ops

VOL = '6f3a2c2e-6a57-4a3f-9d4b-5f1f0c7d0a11'
VOL2 = '0c6a8d55-0b55-4a55-8e4c-44c1b1f1a0b2'
TMPL = '7a6f1e9c-2f0d-5c55-9b3c-6a1b2c3d4e5f'
TMPL2 = '0b6a1e9c-2f0d-5c55-9b3c-6a1b2c3d4e60'
TARGET = '500507680B21AC50'
TARGET2 = '500507680B22AC50'
USERID = 'OS000001'


def connector_answer(fcps=('1A00', '1B00'), template=TMPL):
    return {'zvm_fcp': list(fcps),
            'wwpns': ['C05076DE3E00%s' % f for f in fcps],
            'phy_to_virt_initiators': {
                'C05076DE3E00%s' % f: 'c05076de3e00ffff' for f in fcps},
            'host': 'ZVMHOST1_OS000001' if fcps else '',
            'fcp_paths': len(fcps), 'fcp_template_id': template}


def fc_info(volume_id=VOL, **data):
    base = {'target_discovered': False, 'target_wwn': TARGET,
            'target_lun': 1, 'volume_id': volume_id}
    base.update(data)
    return {'driver_volume_type': 'fibre_channel', 'serial': volume_id,
            'data': base}


def stashed_info(volume_id=VOL, fcps=('1a00', '1b00'), **data):
    info = fc_info(volume_id, **data)
    info['data']['zvm'] = {'fcp': list(fcps), 'fcp_template_id': TMPL,
                           'os_version': 'rhel9.2'}
    return info


def bdm(info, device='/dev/vdb', boot_index=None):
    return {'connection_info': info, 'mount_device': device,
            'boot_index': boot_index, 'delete_on_termination': False}


class FakeBDM(dict):
    """A DriverVolumeBlockDevice stand-in: a dict that can be saved."""

    saved = 0

    def save(self):
        self.saved += 1


def templates(*ids):
    """A ``get_fcp_templates`` answer naming these template ids."""
    return {'fcp_templates': [{'id': i, 'name': 'n', 'host_default': False}
                              for i in ids]}


class FCPDatabase(object):
    """The connector's FCP table as get_fcp_usage/set_fcp_usage see it."""

    def __init__(self, **rows):
        # fcp -> [assigner, reserved, connections, template]
        self.rows = {k: list(v) for k, v in rows.items()}

    def get_fcp_usage(self, fcp_id):
        return list(self.rows[fcp_id])

    def set_fcp_usage(self, fcp_id, userid, reserved, connections, tmpl):
        self.rows[fcp_id] = [userid, reserved, connections, tmpl]

    def answers(self):
        return {'get_fcp_usage': self.get_fcp_usage,
                'set_fcp_usage': self.set_fcp_usage}


def reserved(client, template=None, userid=USERID):
    """Whether the guest's devices were asked for (reserve=True)."""
    return client.made('get_volume_connector', userid, reserve=True,
                       fcp_template_id=template, storage_provider=None)


def released(client, template=TMPL, userid=USERID):
    """Whether the guest's devices were released in ``template``."""
    return client.made('get_volume_connector', userid, reserve=False,
                       fcp_template_id=template)


def releases(client):
    """The calls releasing FCP devices (reserve=False), in order."""
    return [c for c in client.calls if c[0] == 'get_volume_connector' and
            c[2].get('reserve') is False]


def release_positions(client):
    """Indexes in ``client.calls`` of the releases (reserve=False)."""
    return [i for i, c in enumerate(client.calls)
            if c[0] == 'get_volume_connector' and
            c[2].get('reserve') is False]


def kwargs_of(client, api):
    """The keyword arguments of each call of one API, in order."""
    return [kw for name, _args, kw in client.calls if name == api]


def position(client, api, last=False):
    """Index of the first (or last) call of an API, for order checks."""
    names = client.api_names()
    if last:
        return len(names) - 1 - names[::-1].index(api)
    return names.index(api)


class VolumeOpsTestBase(test.NoDBTestCase):
    """A VolumeOps on a fake connector, and a guest OS000001."""

    def setUp(self):
        super(VolumeOpsTestBase, self).setUp()
        self.flags(instance_name_template='OS%06x')
        self.client = fakes.FakeClient(
            get_volume_connector=connector_answer())
        self.ops = volume_ops.VolumeOps(self.client)
        self.ctxt = context.get_admin_context()
        self.instance = fake_instance.fake_instance_obj(self.ctxt, id=1)
        self.instance.system_metadata = {'image_os_distro': 'rhel9.2'}

    def requests(self, api):
        """The connection_info sent with each call of a volume API."""
        return [args[0] for args in self.client.args_of(api)]

    def assertReserved(self, template=None):
        self.assertTrue(reserved(self.client, template),
                        self.client.calls)

    def assertReleased(self, template=TMPL):
        self.assertTrue(released(self.client, template), self.client.calls)

    def assertReleasedAfter(self, api):
        # A release leaves the devices that still count a connection
        # reserved: it must come after the call that counts down.
        self.assertReleased()
        self.assertGreater(release_positions(self.client)[-1],
                           position(self.client, api, last=True))
