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

"""Images the driver's operations leave in the connector's repository.

Besides the Glance images it caches (:mod:`image`), the driver makes two
kinds of images, each named by a prefix of its own and deleted by the
operation that made it. What a failure leaves, the image cache manager's
pass (``manage_image_cache``, every ``[image_cache] manager_interval``)
removes, whatever ``remove_unused_base_images`` says, as they are not a
cache:

``nova-zvm-snapshot-<Glance image id>``
    the capture of a snapshot, deleted once exported. A capture that gave
    no answer may still run and make its image later: such a name is
    remembered and deleted as soon as it is seen; any other one once it is
    older than ``[zvm] long_read_timeout`` (the longest a capture's export
    can take on another compute service sharing the connector).
``nova-zvm-migration-<migration uuid>`` (:mod:`migration.rootimage`)
    a resize's or cold migration's root disk. The instance whose
    ``system_metadata`` names it owns it (it may be the only copy of its
    root disk): kept while the instance lives (its ``destroy`` and
    ``delete_instance_files`` delete it). Without an owner, it is removed
    when its migration is over (or unknown), or its instance is deleted, or
    it is older than ``[image_cache]
    remove_unused_original_minimum_age_seconds``.

Cost: nothing per guest; for each such image found, at most two database
reads (its migration, then its instance).
"""

import contextlib
import threading
import time

from oslo_log import log as logging

import nova.conf
from nova import exception
from nova import objects

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm.migration import rootimage

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

SNAPSHOT_PREFIX = 'nova-zvm-snapshot-'
# Migration statuses in which a driver call may still use an image that no
# instance names (a cross-host migration's copy on either host).
IN_FLIGHT = ('pre-migrating', 'migrating', 'post-migrating', 'reverting',
             'confirming')


def snapshot_image_name(image_id):
    """The connector image a snapshot to Glance image ``image_id`` makes."""
    return SNAPSHOT_PREFIX + image_id


class Leftovers(object):
    """Finds and removes what failed operations left in the repository.

    :param client: the ``ConnectorClient`` of this host
    """

    def __init__(self, client):
        self._client = client
        self._lock = threading.Lock()
        # Snapshot images a capture of this process is making or exporting.
        self._in_use = set()
        # Snapshot images whose capture gave no answer: delete on sight.
        # name -> time abandoned; forgotten once the age rule covers them.
        self._abandoned = {}

    @contextlib.contextmanager
    def using(self, name):
        """Mark a snapshot image as in use by this process."""
        with self._lock:
            self._in_use.add(name)
        try:
            yield
        finally:
            with self._lock:
                self._in_use.discard(name)

    def abandon(self, name):
        """A snapshot image that may exist, or appear, and has no use."""
        with self._lock:
            self._abandoned[name] = time.time()

    def remove(self, context, images, now=None):
        """Remove the leftovers among ``images`` (``image_query``'s list).

        :returns: the names of the images deleted
        """
        now = time.time() if now is None else now
        deleted = []
        for info in images:
            name = info.get('imagename') or ''
            if name.startswith(SNAPSHOT_PREFIX):
                leftover = self._snapshot_leftover(info, now)
            elif name.startswith(rootimage.IMAGE_PREFIX):
                leftover = self._migration_leftover(context, info, now)
            else:
                continue
            if leftover and self._delete(name):
                deleted.append(name)
        self._forget_old_abandoned(now)
        return deleted

    def _snapshot_leftover(self, info, now):
        name = info['imagename']
        with self._lock:
            if name in self._in_use:
                return False
            if name in self._abandoned:
                return True
        return _older_than(info, now, CONF.zvm.long_read_timeout)

    def _migration_leftover(self, context, info, now):
        name = info['imagename']
        mig_uuid = name[len(rootimage.IMAGE_PREFIX):]
        try:
            mig = objects.Migration.get_by_uuid(context, mig_uuid)
        except exception.NotFound:
            LOG.info("Migration image %s: its migration is unknown",
                     name)
            return True
        try:
            inst = objects.Instance.get_by_uuid(
                context.elevated(read_deleted='yes'), mig.instance_uuid,
                expected_attrs=['system_metadata'])
        except exception.InstanceNotFound:
            return True
        if inst.deleted:
            return True
        if (inst.system_metadata or {}).get(
                rootimage.KEPT_IMAGE_KEY) == name:
            # Possibly the only copy of the root disk: the instance's.
            return False
        if mig.status not in IN_FLIGHT:
            return True
        return _older_than(
            info, now,
            CONF.image_cache.remove_unused_original_minimum_age_seconds)

    def _delete(self, name):
        LOG.info("Removing image %s, left by a failed operation, from the "
                 "connector's repository", name)
        try:
            self._client.call('image_delete', name)
        except zvm_exc.ImageNotFound:
            pass
        except Exception as err:
            LOG.warning("Could not delete image %(name)s; the next pass "
                        "tries again: %(err)s", {'name': name, 'err': err})
            return False
        with self._lock:
            self._abandoned.pop(name, None)
        return True

    def _forget_old_abandoned(self, now):
        # Past this age the age rule removes them anyway.
        limit = 2 * CONF.zvm.long_read_timeout
        with self._lock:
            for name, when in list(self._abandoned.items()):
                if now - when > limit:
                    del self._abandoned[name]


def _older_than(info, now, age):
    atime = info.get('last_access_time')
    if atime == -1:
        # A record without a file: of no use to anyone.
        return True
    try:
        return now - float(atime) >= age
    except (TypeError, ValueError):
        return False
