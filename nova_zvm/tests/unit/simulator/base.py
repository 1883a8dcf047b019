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

"""Simulator processes for the tests: one per test class.

Nova's test processes are eventlet monkey-patched, so the simulator runs in
its own process (control.SimulatorProcess) and the tests talk HTTP to it
with the real zvmconnector RESTClient.
"""

import os
import shutil
import subprocess
import tempfile
import urllib.parse

from nova import test
from zvmconnector import restclient

from nova_zvm.simulator import control


#: The root disk every guest_create gets, as Nova's spawn gives one: zvmsdk
#: 1.6.3's guest_create fails without a disk_list (len(None) in smtclient).
ROOT_DISK = [{'size': '1g', 'is_boot_disk': True}]


def rest_client(url, **kwargs):
    """The real zvmconnector RESTClient for a simulator URL."""
    parsed = urllib.parse.urlparse(url)
    return restclient.RESTClient(parsed.hostname, parsed.port,
                                 ssl_enabled=parsed.scheme == 'https',
                                 **kwargs)


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1: (cert, key) paths."""
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
         '-addext', 'subjectAltName=IP:127.0.0.1'],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


class SimulatorTestCase(test.NoDBTestCase):
    """One simulator per class; every test starts with clean counters,
    no fault rules and no latency.
    """

    # Options for SimulatorProcess (class attribute, per test class).
    options = {}

    @classmethod
    def setUpClass(cls):
        super(SimulatorTestCase, cls).setUpClass()
        cls.tmpdir = tempfile.mkdtemp(prefix='nova-zvm-sim-')
        cls.state_dir = os.path.join(cls.tmpdir, 'state')
        options = cls.class_options()
        # z/VM operations cost nothing here (the default is what they
        # roughly cost on a real z/VM: zvm/latency.py).
        options.setdefault('zvm_latency', '*=0')
        cls.sim = control.SimulatorProcess(cls.state_dir, **options)
        try:
            cls.sim.start()
        except Exception:
            shutil.rmtree(cls.tmpdir, ignore_errors=True)
            raise
        cls.admin = control.SimulatorAdmin(cls.sim.url,
                                           **cls.admin_options())

    @classmethod
    def class_options(cls):
        return dict(cls.options)

    @classmethod
    def admin_options(cls):
        return {}

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.tmpdir, ignore_errors=True)
        super(SimulatorTestCase, cls).tearDownClass()

    def setUp(self):
        super(SimulatorTestCase, self).setUp()
        self.admin.reset(faults=True, latency=True)
        self.client = rest_client(self.sim.url)

    def call(self, api, *args, **kwargs):
        return self.client.call(api, *args, **kwargs)

    def assertAnswer(self, answer, overall_rc, mod_id=None, rs=None):
        self.assertEqual(overall_rc, answer['overallRC'], answer)
        if mod_id is not None:
            self.assertEqual(mod_id, answer['modID'], answer)
        if rs is not None:
            self.assertEqual(rs, answer['rs'], answer)
