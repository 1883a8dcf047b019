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

"""What differs in Nova's functional harness between Nova 32, 33 and 34.

The functional tests are written against Nova 34's harness
(``nova.tests.functional.integrated_helpers``); each difference of an
older release that they depend on is made up for here (or, for the
harness's own waits, in ``nova_zvm.cloud.HarnessMixin``), with the release
that introduced it. Detected by what the harness has, not by version.

Checked and equal in 32.2.1, 33.0.2 and 34.0.0: the fixtures of
``nova.tests.fixtures`` the tests use (Glance, Cinder, Neutron), the
``_start_compute`` / ``restart_compute_service`` helpers and
``nova.virt.node.get_local_node_uuid``.
"""


def syncs_in_progress(manager):
    """The uuids of the compute manager's power-state syncs still running.

    Nova 33 added ``ComputeManager.syncs_in_progress()`` (a context
    manager over a locked set); Nova 32 keeps a plain dict,
    ``_syncs_in_progress``, read here as it is, without a lock.
    """
    if hasattr(manager, 'syncs_in_progress'):
        with manager.syncs_in_progress() as syncs:
            return set(syncs)
    return set(manager._syncs_in_progress)
