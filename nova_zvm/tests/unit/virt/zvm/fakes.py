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

from nova_zvm.virt.zvm import exception


class Seq(list):
    """Answers given one per call, in order."""


class FakeClient(object):
    """Records calls; answers from per-API results or callables.

    ``answers[api]`` is a value returned as the call's output, an
    exception instance raised, a callable taking the call's arguments, or a
    :class:`Seq` of those, consumed one item per call.
    """

    def __init__(self, **answers):
        self.answers = dict(answers)
        self.calls = []

    def call(self, api_name, *args, **kwargs):
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
