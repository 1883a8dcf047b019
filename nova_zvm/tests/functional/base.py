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

"""The functional tests' base: the z/VM cloud with a leak check.

The cloud itself (Nova's services with this driver on nova-zvm-simulator
processes, the images, servers and connector helpers) is
``nova_zvm.cloud``, which the tour runs too. What is only for tests is
here: every test ends with a check that z/VM and the compute host's
temporary folder were left with nothing.
"""

from nova_zvm import cloud
from nova_zvm import cloud_services

# The cloud's names the tests use, under their usual module.
COMPUTE_DRIVER = cloud.COMPUTE_DRIVER
OS_DISTRO = cloud.OS_DISTRO
IMAGE_CYLINDERS = cloud.IMAGE_CYLINDERS
FibreChannelCinderFixture = cloud_services.FibreChannelCinderFixture
StoringGlanceFixture = cloud_services.StoringGlanceFixture
node_uuid = cloud.node_uuid
total_requests = cloud.total_requests
root_digest = cloud.root_digest


class ZVMFunctionalTestCase(cloud.ZVMCloud):
    """One z/VM compute host (``compute1``) on its own simulator."""

    def setUp(self):
        super(ZVMFunctionalTestCase, self).setUp()
        self.addCleanup(self.check_no_leaks)

    def check_no_leaks(self):
        """No guest, NIC, disk-pool usage or temporary file left behind."""
        problems = self.leftovers()
        if problems:
            self.fail('Leak check failed:\n' + '\n'.join(problems))
