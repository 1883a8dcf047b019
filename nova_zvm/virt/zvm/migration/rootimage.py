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

"""The migration image: a guest's root disk in the connector's repository.

A resize that grows the root disk on the same host, and a move to another
host, capture the root disk (``guest_capture``, root disk only) into an
image named for the migration (:func:`image_name`). While it may be the
only copy of the root disk, the instance owns it
(``system_metadata['zvm_migration_image']``, :data:`KEPT_IMAGE_KEY`):
``destroy`` and ``delete_instance_files`` delete it, and the image cache's
ageing (``imagecache.py``) never removes an image an instance names.
"""

from oslo_log import log as logging

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import image

LOG = logging.getLogger(__name__)

# Images this module names are named for their migration; the image cache
# ageing removes them only once no instance owns them (imagecache.py).
IMAGE_PREFIX = 'nova-zvm-migration-'
# Instance system_metadata key naming the migration image this driver keeps
# (or may have left) for the instance: its owner until it is deleted.
KEPT_IMAGE_KEY = 'zvm_migration_image'


def image_name(migration):
    """The connector image that carries a guest's root disk."""
    return IMAGE_PREFIX + migration.uuid


def forget_kept_image(instance):
    """The instance no longer owns a migration image."""
    (instance.system_metadata or {}).pop(KEPT_IMAGE_KEY, None)


class RootImages(object):
    """Captures and deletes migration images on this host's connector.

    :param client: the ``ConnectorClient`` of this host
    :param image_ops: ``image.ImageOps`` (deploy/capture slots)
    """

    def __init__(self, client, image_ops):
        self._client = client
        self._image = image_ops

    def capture(self, userid, name, steps):
        """Capture the root disk of userid into image name (undoable)."""
        # A failed capture may leave a partial image while the disk is
        # intact: deleting it is an undo call until the capture succeeds.
        steps.push('delete the partial image %s' % name, self.delete, name)
        # Its owner, should everything else fail (saved with the instance):
        # destroy and delete_instance_files delete it.
        steps.instance.system_metadata[KEPT_IMAGE_KEY] = name
        with self._image.deploy_capture_slot():
            self._client.call('guest_capture', userid, name,
                              capture_type='rootonly')
        steps.pop()

    def delete(self, name):
        """Delete image name; one that is gone is deleted."""
        image.delete_image(self._client, name)

    def delete_quietly(self, name, instance):
        """Delete image name; False (logged) when it could not be."""
        try:
            self.delete(name)
        except Exception as err:
            LOG.warning("Could not delete migration image %(name)s from the "
                        "connector's repository; delete it by hand: %(err)s",
                        {'name': name, 'err': err}, instance=instance)
            return False
        return True

    def release(self, name, instance):
        """Delete the image the instance owns, and forget it."""
        self.delete(name)
        forget_kept_image(instance)

    def delete_kept(self, instance):
        """Delete the migration image a failed operation left, if any.

        For destroy and delete_instance_files: the server is being deleted,
        so its root disk image goes too (a retry finds it gone). One
        connector call, only for servers that have such an image.

        :returns: False when it could not be deleted (logged)
        """
        name = (instance.system_metadata or {}).get(KEPT_IMAGE_KEY)
        if not name:
            return True
        if self.delete_quietly(name, instance):
            forget_kept_image(instance)
            return True
        return False

    def exists(self, name):
        try:
            return bool(self._client.call('image_query', imagename=name))
        except zvm_exc.ImageNotFound:
            return False
