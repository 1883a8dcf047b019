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

"""Where a guest is after a failed or unanswered Live Guest Relocation.

When ``guest_live_migrate(..., 'move')`` fails, :func:`left_this_system`
asks z/VM (``guest_get_power_state``) whether the guest is still on this
system (the relocation failed: Nova's ``recover_method``), gone (the move
completed although its answer was lost: ``post_method``) or unknown (the
error is raised). Without an answer (read timeout, lost connection) the
relocation may still run: :func:`wait_for_relocation` asks z/VM again every
:data:`RELOCATION_POLL_INTERVAL` seconds until the guest has left or z/VM's
limit (:func:`relocation.relocation_limit`, always bounded) plus
:data:`RELOCATION_GRACE` has passed. :func:`record_failure` keeps the
connector's reason of a failed relocation, which Nova's rollback does not
record, as an instance fault and a failed :data:`FAILED_MOVE_EVENT` action
event. The relocation itself is :mod:`live_migration`'s.
"""

import time

from oslo_log import log as logging

from nova.compute import utils as compute_utils
from nova import exception
from nova import objects

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import relocation

LOG = logging.getLogger(__name__)

# After z/VM's relocation limit, how long an unanswered relocation may still
# take to end, and how often z/VM is asked where the guest is meanwhile.
RELOCATION_GRACE = 60
RELOCATION_POLL_INTERVAL = 2
# The instance action event that carries a failed relocation's reason.
FAILED_MOVE_EVENT = 'compute_zvm_relocation'


def after_failed_move(client, userid, err, started, sleep=time.sleep):
    """Where the guest is after ``guest_live_migrate`` raised ``err``.

    :param started: ``time.monotonic()`` when the relocation was asked for
    :param sleep: called between polls (tests replace it)
    :returns: as :func:`left_this_system`
    """
    if isinstance(err, zvm_exc.ConnectorUnreachable):
        # No answer (read timeout, lost connection): the relocation
        # may still run. Wait for z/VM to finish or cancel it.
        return wait_for_relocation(client, userid, started, sleep)
    return left_this_system(client, userid)


def wait_for_relocation(client, userid, started, sleep=time.sleep):
    """Where the guest is once z/VM has finished or cancelled.

    z/VM cancels a relocation after its MAXTOTAL (:mod:`relocation`,
    always set): until then plus a grace period, a guest still here may
    yet leave. :returns: as :func:`left_this_system`
    """
    deadline = (started + relocation.relocation_limit() +
                RELOCATION_GRACE)
    while True:
        left = left_this_system(client, userid)
        if left or time.monotonic() >= deadline:
            return left
        LOG.info("No answer to the relocation of %s yet; it is still "
                 "on this z/VM system, waiting", userid)
        sleep(RELOCATION_POLL_INTERVAL)


def left_this_system(client, userid):
    """True when the guest is gone from here, False when it is still
    here, None when the connector cannot tell.
    """
    try:
        client.call('guest_get_power_state', userid)
    except exception.InstanceNotFound:
        return True
    except Exception as err:
        LOG.warning("Cannot tell whether %(uid)s is still here: "
                    "%(err)s", {'uid': userid, 'err': err})
        return None
    return False


def record_failure(context, instance, err):
    """Keep a failed relocation's reason: an instance fault and a failed
    action event. Failures to record are logged, never raised.
    """
    try:
        compute_utils.add_instance_fault_from_exc(context, instance, err)
        objects.InstanceActionEvent.event_start(
            context, instance.uuid, FAILED_MOVE_EVENT, want_result=False,
            host=instance.host)
        objects.InstanceActionEvent.event_finish_with_failure(
            context, instance.uuid, FAILED_MOVE_EVENT, exc_val=err,
            exc_tb=err.__traceback__, want_result=False)
    except Exception as record_err:
        LOG.warning("Could not record the failed relocation: %s",
                    record_err, instance=instance)
