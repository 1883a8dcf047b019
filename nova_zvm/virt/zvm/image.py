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

"""Images on z/VM: the connector's image repository as Nova's image cache.

:class:`ImageOps` ensures the images spawns deploy are in the connector's
repository (importing them from Glance on first use), knows their root disk
sizes and holds the deploy/capture slots: the per-image lock and the
queries. :func:`delete_image` is the one way this driver deletes an image
from the repository (spawn, migration, the image cache manager,
snapshots). The import flow (download, ``image_import``, a lost answer) is
:mod:`image_import`'s; the cache ageing is :mod:`imagecache`'s; the files
exchanged with the connector are :mod:`tmpfiles`'.

Naming
    An image deployed by this driver is imported into the connector's image
    repository under its Glance image id, once, on first use; later spawns
    deploy it from there. Images with other names (imported by hand, by other
    tools) are never changed or deleted here; the driver's own snapshot and
    migration images, left by failed operations, are :mod:`imagecache`'s.

Cost in connector requests
    * :meth:`ImageOps.ensure_image`: 1 (``image_query``) when the image is
      in the repository; 2 on first use (``image_query``, ``image_import``)
      plus the Glance download; one ``image_delete`` more when an import
      fails or the repository holds a record whose file is gone. No result
      is cached across calls: an image deleted from the repository behind
      Nova's back is imported again by the next spawn instead of failing its
      deploy.
    * :meth:`ImageOps.root_disk_size`: 0 after :meth:`ensure_image` found
      the image in this process (the size came with ``image_query``; the
      data of a Glance image never changes), 1 otherwise.
    * Snapshots (:mod:`snapshot`) hold one of the ``[zvm]
      max_concurrent_deploy_capture`` slots per capture
      (:meth:`ImageOps.deploy_capture_slot`, for deploys too).
    * The cache ageing: see :mod:`imagecache`.

Locking
    Import is serialised per image (an in-process lock whose name holds the
    image id), never globally: two spawns of one image import it once, the
    second waits and reuses it; spawns of different images download and
    import in parallel.

Files
    Images to import are downloaded to a file of :mod:`tmpfiles`, removed
    once imported or on failure (:mod:`image_import`).
"""

import contextlib
import itertools
import threading
import time

from oslo_concurrency import lockutils
from oslo_log import log as logging

import nova.conf
from nova import exception
from nova import objects
from nova.virt import images

from nova_zvm import conf as zvm_conf  # noqa: F401 (registers [zvm])
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image_import
from nova_zvm.virt.zvm import imagecheck

LOG = logging.getLogger(__name__)
CONF = nova.conf.CONF

# Names of the per-image locks; the image id is appended.
LOCK_PREFIX = 'nova-zvm-image-'

# Tokens of the holders of an image's lock (ImageOps._epochs); a
# sentinel for "not asked".
_EPOCHS = itertools.count()
_NOT_ASKED = object()


def delete_image(client, name):
    """Delete an image from the connector's repository.

    The one way this driver deletes an image. A missing image is fine (a
    retry, or a deletion behind Nova's back); any other failure is raised,
    for the caller to say what it means to its operation.
    """
    try:
        client.call('image_delete', name)
    except zvm_exc.ImageNotFound:
        pass


def _image_id(image_meta):
    if not image_meta.obj_attr_is_set('id') or not image_meta.id:
        # A server booted from a volume has no image to deploy.
        raise exception.InvalidImageRef(image_href=None)
    return image_meta.id


class ImageOps(object):
    """The connector's image repository used as Nova's image cache.

    :param client: a ``ConnectorClient`` (``call(api_name, *args,
        **kwargs)``)
    """

    def __init__(self, client):
        self._client = client
        # image name -> the connector's disk_size_units ('3339:CYL'), from
        # image_query. The data of a Glance image never changes, so neither
        # does its size, even if the image is deleted and imported again.
        self._disk_units = {}
        # image name -> time.monotonic() of the last ensure_image: the cache
        # ageing never removes an image a spawn here may be deploying.
        self._last_used = {}
        # Images age_out is removing; image name -> the last holder of its
        # lock (see _query_unlocked).
        self._removing = set()
        self._epochs = {}
        self._deploy_capture = threading.BoundedSemaphore(
            CONF.zvm.max_concurrent_deploy_capture)

    @contextlib.contextmanager
    def deploy_capture_slot(self):
        """Hold one of ``[zvm] max_concurrent_deploy_capture`` slots.

        Wrap each ``guest_deploy`` and ``guest_capture`` in it: the
        connector refuses more at once than its own limit with "busy"
        (the client retries those, ``[zvm] busy_retry_timeout``).
        """
        with self._deploy_capture:
            yield

    # -- deploy images --------------------------------------------------------

    def ensure_image(self, context, image_meta, trusted_certs=None,
                     root_gb=None):
        """Make sure the image is in the connector's repository.

        Imports it from Glance on first use. Refuses an image without
        ``os_distro`` or of another disk format than raw before any
        request, a file not in the connector's format before its import,
        and an image larger than ``root_gb`` or of another disk type than
        the disk pool before the caller creates anything
        (:mod:`imagecheck`).

        :param image_meta: ``nova.objects.ImageMeta`` of the image to deploy
        :param trusted_certs: the instance's ``trusted_certs``, checked
            against the image's signature during the download
        :param root_gb: the flavor's root disk size (0: the image's size)
        :returns: the image's name in the repository (its Glance id)
        :raises: InvalidInput (no os_distro), InvalidImageRef (no image id),
            ImageUnacceptable, FlavorDiskSmallerThanImage, nova
            ImageNotFound (not in Glance), ConnectorError
        """
        return self._ensure(context, image_meta, trusted_certs, root_gb)[0]

    def cache_image(self, context, image_id):
        """Pre-cache an image (ComputeDriver.cache_image).

        :returns: True if it was imported, False if it was there already
        """
        image_meta = objects.ImageMeta.from_dict(
            images.get_info(context, image_id))
        return self._ensure(context, image_meta, None)[1]

    def _ensure(self, context, image_meta, trusted_certs, root_gb=None):
        image_id = _image_id(image_meta)
        imagecheck.check_metadata(image_meta, image_id)
        os_distro = imagecheck.required_os_distro(image_meta)
        disk_type = imagecheck.disk_type_of(os_distro)
        epoch = self._epochs.get(image_id)
        info = self._query_unlocked(image_id)
        if (info is not _NOT_ASKED and info and
                info.get('last_access_time') != -1):
            imagecheck.check_fits(image_id, self._disk_units.get(image_id),
                                  root_gb)
            return image_id, False
        with lockutils.lock(LOCK_PREFIX + image_id):
            # Held by another spawn or the ageing meanwhile: asked again.
            if info is _NOT_ASKED or self._epochs.get(image_id) != epoch:
                info = self._query(image_id)
            self._last_used[image_id] = time.monotonic()
            if info is not None and self._usable(info):
                imagecheck.check_fits(image_id,
                                      self._disk_units.get(image_id),
                                      root_gb)
                return image_id, False
            if not disk_type:
                # Refused before the download when the header says so.
                imagecheck.check_fits(
                    image_id, imagecheck.peek_header(context, image_meta,
                                                     image_id), root_gb)
            try:
                self._import(context, image_meta, image_id, os_distro,
                             disk_type, trusted_certs, root_gb)
            finally:
                self._epochs[image_id] = next(_EPOCHS)
            self._last_used[image_id] = time.monotonic()
            return image_id, True

    def _query_unlocked(self, image_id):
        """The image's ``image_query`` answer, without the image's lock.

        Concurrent spawns of one image must not queue for the image's lock
        just to see that it was imported. Safe against the cache ageing:
        the use is recorded first and :meth:`age_out` marks an image before it
        reads that record; a removal that read it before this use is
        either still marked here (the locked path, which waits for it and
        imports again) or finished before the query (which finds nothing).
        A later removal sees this use and keeps the image. The answer is
        reused under the lock when nobody held it meanwhile (``_epochs``):
        a first use costs one query, as before.

        :returns: the answer (None: not there), or ``_NOT_ASKED``
        """
        self._last_used[image_id] = time.monotonic()
        if image_id in self._removing:
            return _NOT_ASKED
        return self._query(image_id)

    def _query(self, image_id):
        try:
            answer = self._client.call('image_query', imagename=image_id)
        except zvm_exc.ImageNotFound:
            return None
        if not answer:
            return None
        info = answer[0]
        if info.get('disk_size_units'):
            self._disk_units[image_id] = info['disk_size_units']
        return info

    def _usable(self, info):
        # The connector answers -1 when the image's record exists but its
        # file is gone from the repository: deploying it would fail.
        if info.get('last_access_time') == -1:
            LOG.warning("Image %s is registered in the connector but its "
                        "disk file is missing; importing it again",
                        info.get('imagename'))
            self._delete(info.get('imagename'))
            return False
        return True

    def _import(self, context, image_meta, image_id, os_distro, disk_type,
                trusted_certs, root_gb=None):
        units = image_import.import_image(
            self._client, context, image_meta, image_id, os_distro,
            disk_type, trusted_certs, root_gb, self.remove_image)
        if units:
            self._disk_units[image_id] = units

    def root_disk_size(self, image_name):
        """Root disk size of an image, in its own units (cylinders/blocks).

        What ``guest_create`` takes for a flavor with ``root_gb`` 0.

        :returns: the size as a string of digits, e.g. ``'3339'``
        """
        units = self._disk_units.get(image_name)
        if units:
            return units.split(':')[0]
        return str(self._client.call('image_get_root_disk_size', image_name))

    def remove_image(self, image_name):
        """Delete an image from the repository; a missing one is fine.

        For undo calls: any other failure is raised.
        """
        delete_image(self._client, image_name)
        self._disk_units.pop(image_name, None)

    def _delete(self, image_name):
        """Delete an image from the repository; never raises.

        Used on cleanup paths, where raising would hide the original error.
        :returns: True if the image is gone
        """
        try:
            self.remove_image(image_name)
        except Exception as err:
            LOG.warning("Could not delete image %(name)s from the connector's "
                        "repository: %(err)s", {'name': image_name,
                                                'err': err})
            return False
        return True

    # -- for the cache ageing (imagecache.ImageCache) -------------------------

    def used_within(self, name, age):
        """Whether a spawn here used the image in the last ``age`` seconds.

        Used: found or imported it in :meth:`ensure_image`.
        """
        used_here = self._last_used.get(name)
        return (used_here is not None and
                time.monotonic() - used_here < age)

    def age_out(self, name, min_age):
        """Delete an image unused here for ``min_age`` seconds.

        Under the image's lock: not while a spawn here imports it.

        :returns: True if it was deleted
        """
        with lockutils.lock(LOCK_PREFIX + name):
            # Marked before the use is read: _query_unlocked.
            self._removing.add(name)
            try:
                if self.used_within(name, min_age):
                    return False
                LOG.info("Removing image %s, unused on this host, from the "
                         "connector's repository", name)
                if not self._delete(name):
                    return False
                self._last_used.pop(name, None)
                return True
            finally:
                self._epochs[name] = next(_EPOCHS)
                self._removing.discard(name)
