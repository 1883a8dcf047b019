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

"""Source guests a confirmed move could not delete, until they are gone.

Confirming a cold migration or a resize to another host deletes the
stopped source guest. When that fails the server keeps running on the
destination (an error would put it in ERROR for a guest it no longer
uses), so the source guest needs another owner: this ledger. The source
host records the guest in a small JSON file of its own in ``[zvm]
image_tmp_path`` (``zvm-leftover-guests-<host>.json``, one per compute
host, removed once empty) and retries the deletion from Nova's periodic
resource update (``get_available_resource``, every minute by default).
Nothing is asked of the connector while the ledger is empty.

Before deleting, the instance is looked up: a guest whose server is back on
this host (the leftover was removed by hand and the server moved here
again) is the server's own and only leaves the ledger; while the server is
in a task (a move may be under way) the entry waits for the next round.
"""

from oslo_log import log as logging

from nova import exception
from nova import objects

from nova_zvm.virt.zvm import ledger

LOG = logging.getLogger(__name__)

LEDGER = ledger.HostLedger('zvm-leftover-guests-%s.json', 'leftover guests')


def ledger_path(host):
    return LEDGER.path(host)


def pending(host):
    """The leftover guests recorded on host: {userid: instance uuid}."""
    return LEDGER.entries(host)


def record(host, userid, instance_uuid):
    """Remember a guest of this host to delete later.

    :returns: False when it could not be written (logged)
    """
    try:
        LEDGER.put(host, userid, instance_uuid)
    except OSError as err:
        LOG.error("Cannot record leftover guest %(uid)s in %(path)s; "
                  "delete it by hand: %(err)s",
                  {'uid': userid, 'path': ledger_path(host), 'err': err})
        return False
    return True


def _forget(host, userid):
    LEDGER.forget(host, userid)


def _decision(context, host, instance_uuid):
    """'delete', 'forget' or 'wait' for the guest of this instance."""
    try:
        instance = objects.Instance.get_by_uuid(context, instance_uuid)
    except exception.InstanceNotFound:
        # Deleted (and not reaped yet): its guest is garbage too.
        return 'delete'
    if instance.host == host:
        return 'forget'
    if instance.task_state is not None:
        return 'wait'
    return 'delete'


def retry(context, host, guest_ops):
    """Delete the recorded leftover guests of host; never raises.

    :returns: the userids deleted
    """
    deleted = []
    for userid, instance_uuid in sorted(pending(host).items()):
        try:
            decision = _decision(context, host, instance_uuid)
            if decision == 'wait':
                continue
            if decision == 'delete':
                guest_ops.delete_guest(userid)
                LOG.info("Deleted leftover guest %(uid)s of instance "
                         "%(inst)s", {'uid': userid, 'inst': instance_uuid})
                deleted.append(userid)
            else:
                LOG.info("Leftover guest %(uid)s is the guest of instance "
                         "%(inst)s again, on this host: keeping it",
                         {'uid': userid, 'inst': instance_uuid})
            _forget(host, userid)
        except Exception as err:
            LOG.warning("Leftover guest %(uid)s of instance %(inst)s is "
                        "still there, retrying later: %(err)s",
                        {'uid': userid, 'inst': instance_uuid, 'err': err})
    return deleted
