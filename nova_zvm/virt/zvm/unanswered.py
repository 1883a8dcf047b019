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

"""Calls whose answer never came: z/VM is asked what they did.

The client (:mod:`client`) never sends a long call twice: after a read
timeout or a connection lost once the request was sent it raises
``ConnectorUnreachable`` without ``not_executed``, and the call may have
run, may still run, or may never have run. The driver does not guess from
the error: it asks z/VM where things stand, then completes, rolls back or
fails. What each call leaves that can be seen through the connector:

``guest_create``
    the guest's directory entry (``guest_get_definition_info``): defined
    with every minidisk asked for, the call completed (zvmsdk adds the
    minidisks last, one by one, each formatted by the same request).
``image_import``, ``guest_capture``
    the image's record in the repository (``image_query``): zvmsdk writes
    it last, once the file is complete; a record whose file is missing
    (``last_access_time`` -1) is not a complete image.
``guest_deploy``
    nothing: no connector call reports what a minidisk holds. A deploy
    whose answer was lost is failed, and its guest deleted by the caller's
    rollback, rather than started with a root disk that may be empty.

A call still running when the driver decides may finish later; what it
then makes has an owner all the same: a guest of a deleted instance is
found by Nova's ``running_deleted_instance_action`` (``list_instance_uuids``
reports the guests on z/VM), a snapshot's image by the image cache manager
(:mod:`imagecache`).
"""

from oslo_log import log as logging

from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm import exception as zvm_exc

LOG = logging.getLogger(__name__)

# SMAPI's "no such guest" in the directory, as smtLayer answers it
# (overallRC 8; rc 400 or 200, rs 4).
NOT_IN_DIRECTORY = ((400, 4), (200, 4))


def outcome_unknown(err):
    """Whether the call may have run although no answer came back."""
    return (isinstance(err, zvm_exc.ConnectorUnreachable) and
            not getattr(err, 'not_executed', False))


def unanswered(err, api, what):
    """The exception for a call that got no answer, after z/VM was asked.

    :param what: what z/VM was found with, as a sentence
    """
    return exception.NovaException(message=_(
        "%(api)s gave no answer (%(err)s); %(what)s") % {
            'api': api, 'err': err, 'what': what})


def defined_minidisks(client, userid):
    """vdevs of the guest's minidisks in its directory entry, in order.

    :returns: a list of vdevs (upper case), or None when z/VM has no such
        guest
    :raises: ConnectorError when the connector cannot tell
    """
    try:
        info = client.call('guest_get_definition_info', userid)
    except exception.InstanceNotFound:
        return None
    except zvm_exc.ConnectorError as err:
        if (err.rc, err.rs) in NOT_IN_DIRECTORY:
            return None
        raise
    vdevs = []
    for line in (info or {}).get('user_direct') or []:
        words = str(line).split()
        if len(words) > 1 and words[0].upper() == 'MDISK':
            vdevs.append(words[1].upper())
    return sorted(vdevs, key=lambda vdev: int(vdev, 16))


def created_disks(client, userid, disks):
    """What ``guest_create`` answers, read from z/VM's directory.

    :param disks: the disk list ``guest_create`` was given
    :returns: the disk list with each disk's vdev when the guest is defined
        with all of them, else None (not defined, or only partly)
    """
    vdevs = defined_minidisks(client, userid)
    if vdevs is None:
        LOG.warning("guest_create of %s gave no answer and z/VM has no "
                    "such guest", userid)
        return None
    if len(vdevs) != len(disks):
        LOG.warning("guest_create of %(uid)s gave no answer and z/VM has "
                    "the guest with %(n)d of its %(m)d minidisks",
                    {'uid': userid, 'n': len(vdevs), 'm': len(disks)})
        return None
    # zvmsdk numbers a new guest's minidisks in the order given.
    return [dict(disk, vdev=vdev) for disk, vdev in zip(disks, vdevs)]


def complete_image(client, name):
    """The repository's record of a complete image, or None."""
    try:
        answer = client.call('image_query', imagename=name)
    except exception.ImageNotFound:
        return None
    info = (answer or [None])[0]
    if not info or info.get('last_access_time') == -1:
        return None
    return info
