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

"""The image cache manager's pass: ageing out and leftovers.

:class:`ImageCache` is ``manage_image_cache`` (every ``[image_cache]
manager_interval``): it removes the Glance images the driver caches in the
connector's repository (:mod:`image`) once no instance uses them, and
:class:`Leftovers`, what failed operations left there. It also sweeps the
driver's leftover temporary files (:mod:`tmpfiles`). Only images named by a
Glance id are considered as cache; of the others, only the driver's own
below are deleted, never images imported by hand or by other tools.

Besides the Glance images it caches, the driver makes two
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

Cost: nothing per guest. In connector requests, 1 (``image_query`` for
all images; 0 when ``[image_cache] remove_unused_base_images`` is off and
no :class:`Leftovers` is given) plus one ``image_delete`` per image
removed; for each leftover found, at most two database reads (its
migration, then its instance).
"""

import contextlib
import re
import threading
import time

from oslo_log import log as logging

import nova.conf
from nova import exception
from nova import objects

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import image
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm import tmpfiles

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# Images this driver imports are named by their Glance id; Glance ids are
# canonical lower-case UUIDs.
GLANCE_ID_RE = re.compile(
    r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')

SNAPSHOT_PREFIX = 'nova-zvm-snapshot-'
# Migration statuses in which a driver call may still use an image that no
# instance names (a cross-host migration's copy on either host).
IN_FLIGHT = ('pre-migrating', 'migrating', 'post-migrating', 'reverting',
             'confirming')


def snapshot_image_name(image_id):
    """The connector image a snapshot to Glance image ``image_id`` makes."""
    return SNAPSHOT_PREFIX + image_id


class ImageCache(object):
    """Ages out the cached Glance images no instance uses.

    :param client: the ``ConnectorClient`` of this host
    :param image_ops: the ``image.ImageOps`` whose spawns use the images
    :param leftovers: :class:`Leftovers`, removed on each pass too
    """

    def __init__(self, client, image_ops, leftovers=None):
        self._client = client
        self._image = image_ops
        self._leftovers = leftovers

    def manage_image_cache(self, context, all_instances):
        """Remove images no instance uses from the connector's repository.

        Honours ``[image_cache] remove_unused_base_images`` and
        ``remove_unused_original_minimum_age_seconds`` (measured from the
        image's last access in the repository, as the connector reports it).
        Only images named by a Glance id are considered as cache; what
        failed operations left (snapshot captures, migration root disks) is
        removed by :class:`Leftovers`. Also sweeps this driver's leftover
        temporary files.

        :param all_instances: the instances of the hosts sharing this cache
            (Nova's compute manager passes them)
        :returns: the names of the images deleted
        """
        tmpfiles.sweep_tmp_files()
        images = None
        deleted = []
        if self._leftovers is not None:
            # Not a cache: removed whatever remove_unused_base_images says.
            images = self._client.call('image_query') or []
            deleted = self._leftovers.remove(context, images)
        if not CONF.image_cache.remove_unused_base_images:
            LOG.debug("[image_cache] remove_unused_base_images is off; "
                      "keeping all images")
            return deleted
        in_use = {_ref_to_id(inst.image_ref) for inst in all_instances
                  if inst.image_ref}
        min_age = CONF.image_cache.remove_unused_original_minimum_age_seconds
        now = time.time()
        if images is None:
            images = self._client.call('image_query') or []
        for info in images:
            name = info.get('imagename')
            if not name or not GLANCE_ID_RE.match(name) or name in in_use:
                continue
            if not self._old_enough(info, now, min_age):
                continue
            if self._image.age_out(name, min_age):
                deleted.append(name)
        return deleted

    def _old_enough(self, info, now, min_age):
        name = info['imagename']
        if self._image.used_within(name, min_age):
            # A spawn in this process found or imported it: its instance
            # may not have been in all_instances yet.
            return False
        atime = info.get('last_access_time')
        if atime == -1:
            # Record without a file: no spawn can use it as it is.
            return True
        try:
            atime = float(atime)
        except (TypeError, ValueError):
            LOG.debug("Image %(name)s has no usable last access time "
                      "(%(atime)r); keeping it", {'name': name,
                                                  'atime': atime})
            return False
        return now - atime >= min_age


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
            image.delete_image(self._client, name)
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


def _ref_to_id(image_ref):
    # image_ref is normally an id; old instances may hold a Glance URL.
    return str(image_ref).rstrip('/').rsplit('/', 1)[-1]


def _older_than(info, now, age):
    atime = info.get('last_access_time')
    if atime == -1:
        # A record without a file: of no use to anyone.
        return True
    try:
        return now - float(atime) >= age
    except (TypeError, ValueError):
        return False
