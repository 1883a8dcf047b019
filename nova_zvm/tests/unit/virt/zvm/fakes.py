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

"""A stand-in for ConnectorClient: the boundary unit tests mock at."""

import collections
import os
import sys

import fixtures
from nova import objects
from zvmconnector import restclient
from zvmsdk.sdkwsgi.schemas import guest as guest_schemas
from zvmsdk.sdkwsgi.schemas import image as image_schemas
from zvmsdk.sdkwsgi.schemas import volume as volume_schemas
from zvmsdk.sdkwsgi import validation

from nova_zvm.virt.zvm import exception


class Seq(list):
    """Answers given one per call, in order."""


# The request body schemas sdkwsgi validates, per API name (the handlers'
# @validation.schema decorators in zvmsdk/sdkwsgi/handlers).
BODY_SCHEMAS = {
    'guest_create': guest_schemas.create,
    'guest_create_nic': guest_schemas.create_nic,
    'guest_create_network_interface': guest_schemas.create_network_interface,
    'guest_delete_network_interface': guest_schemas.delete_network_interface,
    'guest_create_disks': guest_schemas.create_disks,
    'guest_config_minidisks': guest_schemas.config_minidisks,
    'guest_delete_disks': guest_schemas.delete_disks,
    'guest_nic_couple_to_vswitch': guest_schemas.nic_couple_uncouple,
    'guest_nic_uncouple_from_vswitch': guest_schemas.nic_couple_uncouple,
    'guest_start': guest_schemas.start,
    'guest_stop': guest_schemas.stop,
    'guest_softstop': guest_schemas.softstop,
    'guest_register': guest_schemas.register_vm,
    'guest_deregister': guest_schemas.deregister_vm,
    'guest_live_migrate': guest_schemas.live_migrate_vm,
    'guest_resize_cpus': guest_schemas.resize_cpus,
    'guest_live_resize_cpus': guest_schemas.resize_cpus,
    'guest_resize_mem': guest_schemas.resize_mem,
    'guest_live_resize_mem': guest_schemas.resize_mem,
    'guest_grow_root_volume': guest_schemas.grow_root_volume,
    'guest_deploy': guest_schemas.deploy,
    'guest_capture': guest_schemas.capture,
    'image_import': image_schemas.create,
    'image_export': image_schemas.export,
    'volume_attach': volume_schemas.attach,
    'volume_detach': volume_schemas.detach,
    'set_fcp_usage': volume_schemas.set_fcp_usage,
}


class BadConnectorCall(AssertionError):
    """The driver made a call the real REST client or sdkwsgi refuses."""


def check_call(api_name, *args, **kwargs):
    """Check a call as zvmconnector's RESTClient and sdkwsgi would.

    The API name and argument count come from ``restclient.DATABASE`` (what
    the real client checks before sending); the request is built with the
    real client's own request function, and its body is validated against
    the schema sdkwsgi applies. Returns ``(url, body)``.
    """
    spec = restclient.DATABASE.get(api_name)
    if spec is None:
        raise BadConnectorCall('unknown connector API %r' % api_name)
    required = spec['args_required']
    optional = spec.get('args_optional', 0)
    if not required <= len(args) <= required + optional:
        raise BadConnectorCall(
            '%s takes %d to %d positional arguments, got %d: %r'
            % (api_name, required, required + optional, len(args), args))
    try:
        url, body = spec['request'](spec['params_path'], *args, **kwargs)
    except (TypeError, KeyError, IndexError) as e:
        raise BadConnectorCall('%s: the REST client cannot build the '
                               'request: %s' % (api_name, e))
    schema = BODY_SCHEMAS.get(api_name)
    if schema is not None:
        checked = dict(body)
        # sdkwsgi's action routes pop 'action' before the schema check.
        checked.pop('action', None)
        try:
            validation.schema(schema)(lambda body: None)(body=checked)
        except Exception as e:
            raise BadConnectorCall('%s: sdkwsgi refuses the body %r: %s'
                                   % (api_name, body, e))
    return url, body


class FakeClient(object):
    """Records calls checked like the real client's; answers from per-API
    results or callables.

    ``answers[api]`` is a value returned as the call's output, an
    exception instance raised, a callable taking the call's arguments, or a
    :class:`Seq` of those, consumed one item per call.
    """

    def __init__(self, **answers):
        for api_name in answers:
            if api_name not in restclient.DATABASE:
                raise BadConnectorCall('answer for unknown connector API %r'
                                       % api_name)
        self.answers = dict(answers)
        self.calls = []

    def call(self, api_name, *args, **kwargs):
        # A wrong name or argument fails the test here, as it would fail
        # against the real connector.
        check_call(api_name, *args, **kwargs)
        self.calls.append((api_name, args, kwargs))
        answer = self.answers.get(api_name)
        if isinstance(answer, Seq):
            answer = answer.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(*args, **kwargs)
        return answer

    def api_names(self):
        return [c[0] for c in self.calls]

    def args_of(self, api_name):
        """The positional arguments of each call of one API, in order.

        For tests that assert what was asked of the connector without
        pinning the order of unrelated calls.
        """
        return [args for name, args, _kw in self.calls if name == api_name]

    def made(self, api_name, *args, **kwargs):
        """Whether a call with exactly these arguments was made."""
        return (api_name, args, kwargs) in self.calls

    def count(self, api_name=None):
        if api_name is None:
            return len(self.calls)
        return collections.Counter(self.api_names())[api_name]


HOST_INFO = {
    'zcc_userid': 'ZCCUSER', 'zvm_host': 'ZVMHOST1', 'vcpus': 16,
    'vcpus_used': 4, 'cpu_info': {'architecture': 's390x',
                                  'cec_model': '3906'},
    'memory_mb': 65536, 'memory_mb_used': 8192, 'hypervisor_type': 'zvm',
    'hypervisor_version': 720, 'hypervisor_hostname': 'ZVMHOST1',
    'ipl_time': 'IPL at 11/01/26 08:00:00 UTC', 'disk_total': 200,
    'disk_used': 20, 'disk_available': 180,
}


def connector_error(api, overall_rc, rs, modid=10, errmsg=None):
    """The exception the client raises for a failed connector answer."""
    return exception.from_result(api, {
        'overallRC': overall_rc, 'modID': modid, 'rc': overall_rc, 'rs': rs,
        'errmsg': errmsg or 'simulated %s failure' % api, 'output': ''},
        args=('OS000001',))


def guest_not_found(api, userid, rs=1):
    """rs 1: unknown to the connector; rs 3: gone from the directory."""
    return exception.from_result(api, {
        'overallRC': 404, 'modID': 10, 'rc': 404, 'rs': rs,
        'errmsg': 'Guest %s does not exist' % userid, 'output': ''},
        args=(userid,))


def unreachable(api='host_get_info'):
    return exception.ConnectorUnreachable(
        api, {'overallRC': 101, 'modID': 110, 'rc': 101, 'rs': 1,
              'errmsg': 'Connection refused'})


def mkisofs_cmd():
    """pycdlib's genisoimage, installed next to this Python."""
    return os.path.join(os.path.dirname(sys.executable),
                        'pycdlib-genisoimage')


class ConfigDriveFixture(fixtures.Fixture):
    """What building a real config drive needs in a unit test.

    Nova's InstanceMetadata reads security groups from Neutron, block
    device mappings from the database and lazy-loads instance fields;
    these are answered here, and mkisofs_cmd is pycdlib's genisoimage.
    """

    def __init__(self, test, instance, hostname='web-01'):
        super(ConfigDriveFixture, self).__init__()
        self.test = test
        self.instance = instance
        self.hostname = hostname

    def _setUp(self):
        self.test.flags(mkisofs_cmd=mkisofs_cmd())
        self.useFixture(fixtures.MockPatch(
            'nova.network.security_group_api.get_instance_security_groups',
            return_value=[{'name': 'default'}]))
        self.useFixture(fixtures.MockPatch(
            'nova.objects.BlockDeviceMappingList.get_by_instance_uuid',
            return_value=objects.BlockDeviceMappingList(objects=[])))
        inst = self.instance
        inst.update(dict(hostname=self.hostname, config_drive=False,
                         user_data=None, key_name=None, key_data=None,
                         launched_at=None))
        inst.metadata = {}
        inst.ec2_ids = objects.EC2Ids(
            instance_id='i-00000001', ami_id='ami-00000001',
            kernel_id=None, ramdisk_id=None)
        inst.keypairs = objects.KeyPairList(objects=[])
        inst.device_metadata = None
        inst.numa_topology = None
