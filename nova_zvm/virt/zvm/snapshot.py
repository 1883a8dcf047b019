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

"""Snapshots: a guest's root disk captured and uploaded to Glance.

Steps, each with its undo (:mod:`undo`): ``guest_capture`` into the
connector image ``nova-zvm-snapshot-<Glance id>`` (undo: delete it),
``image_export`` to a file in ``image_tmp_path`` (undo: remove it), the
Glance upload. The image and the file are intermediate: deleted on success
too. Connector requests: ``guest_capture``, ``image_export``,
``image_delete`` (one ``image_query`` more when the capture gave no answer).

A capture without an answer (read timeout, lost connection) is not a
guess: ``image_query`` tells whether the image is complete; then the
snapshot goes on, else it fails and the image, should the capture still
run and make it, is removed by the image cache manager
(:mod:`imagecache`), like any capture this process could not delete.

The Glance image is not deleted here on failure: Nova's compute manager
does that (``delete_image_on_error`` on snapshot and backup, and for a
guest that disappeared), so doing it here too would delete it twice.
"""

import os
import time

from oslo_log import log as logging
from oslo_utils import excutils

from nova.compute import task_states
from nova import exception
from nova.i18n import _
from nova.image import glance
from nova.objects import fields as obj_fields

from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import imagecache
from nova_zvm.virt.zvm import names
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import unanswered
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)


class SnapshotOps(object):
    """Snapshots of this host's guests.

    :param client: the ``ConnectorClient`` of this host
    :param image_ops: ``image.ImageOps`` (deploy/capture slots)
    :param leftovers: ``imagecache.Leftovers``
    """

    def __init__(self, client, image_ops, leftovers):
        self._client = client
        self._image = image_ops
        self._leftovers = leftovers

    def snapshot(self, context, instance, image_id, update_task_state):
        """Capture a guest and upload it to the Glance image ``image_id``."""
        userid = names.userid(instance)
        image_service, image_id = glance.get_remote_image_service(
            context, image_id)
        name = imagecache.snapshot_image_name(image_id)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        started = time.monotonic()
        steps = zvm_undo.UndoStack(
            'snapshot', instance,
            _("the connector's image repository and [zvm] image_tmp_path "
              "of this compute host"))
        with self._leftovers.using(name):
            try:
                path = self._take(context, instance, userid,
                                  image_service, image_id, name,
                                  update_task_state, steps)
            except Exception as err:
                with excutils.save_and_reraise_exception() as ctxt:
                    LOG.error("Snapshot of guest %(uid)s to image %(id)s "
                              "failed: %(err)s",
                              {'uid': userid, 'id': image_id, 'err': err},
                              instance=instance)
                    if not steps.rollback():
                        self._leftovers.abandon(name)
                        ctxt.reraise = False
                raise steps.incomplete(err) from err
            # The image and the file were intermediate: gone on success too.
            # Neither is user data, so a failure here fails nothing.
            tmpfiles.remove_tmp_file(path)
            try:
                self._image.remove_image(name)
            except Exception as err:
                LOG.warning("Could not delete the captured image %(name)s; "
                            "the image cache manager removes it: %(err)s",
                            {'name': name, 'err': err}, instance=instance)
                self._leftovers.abandon(name)
        LOG.info("Snapshot of guest %(uid)s to image %(id)s took %(secs).1f "
                 "seconds", {'uid': userid, 'id': image_id,
                             'secs': time.monotonic() - started},
                 instance=instance)

    def _take(self, context, instance, userid, image_service, image_id,
              name, update_task_state, steps):
        # Before the call: a failed capture may leave a partial image.
        steps.push('delete the captured image %s' % name,
                   self._image.remove_image, name)
        with self._image.deploy_capture_slot():
            self._capture(userid, name)
        # The connector writes the file: group-writable for it.
        path = tmpfiles.new_tmp_file('snapshot', writable=True)
        steps.push('remove the exported file %s' % path,
                   tmpfiles.remove_tmp_file, path)
        exported = _step('image_export', name, self._client.call,
                         'image_export', name, 'file://' + path,
                         **connector_files.remote_kwargs('image_export'))
        update_task_state(task_state=task_states.IMAGE_UPLOADING,
                          expected_state=task_states.IMAGE_PENDING_UPLOAD)
        meta = snapshot_meta(instance, exported or {})
        size = os.path.getsize(path)
        # Binary and streamed: the image is a disk, possibly many GB.
        with open(path, 'rb') as data:
            image_service.update(context, image_id, meta, data,
                                 purge_props=False)
        LOG.info("Uploaded snapshot %(id)s (%(size)d bytes) to Glance",
                 {'id': image_id, 'size': size}, instance=instance)
        return path

    def _capture(self, userid, name):
        try:
            _step('guest_capture', name, self._client.call, 'guest_capture',
                  userid, name)
        except zvm_exc.ConnectorError as err:
            if not unanswered.outcome_unknown(err):
                raise
            # The capture may have run, or may still run: the repository
            # has its image once it is complete.
            if unanswered.complete_image(self._client, name) is None:
                # If it appears later, the image cache manager removes it.
                self._leftovers.abandon(name)
                raise unanswered.unanswered(err, 'guest_capture', _(
                    "the connector's repository has no complete image %s "
                    "(a capture still running makes it later; the image "
                    "cache manager removes it)") % name) from err
            LOG.warning("guest_capture of %(uid)s gave no answer, but the "
                        "connector has the complete image %(name)s: "
                        "continuing", {'uid': userid, 'name': name})


def _step(api, name, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except zvm_exc.ImageNotFound as err:
        # Nova's manager takes ImageNotFound from snapshot() for "the
        # Glance image is gone" and then leaves the Glance image alone;
        # this one is the connector's, so fail like any other error.
        raise exception.NovaException(
            _("%(api)s failed: the connector has no image %(name)s: "
              "%(err)s") % {'api': api, 'name': name, 'err': err})


def snapshot_meta(instance, exported):
    """The Glance metadata of a snapshot."""
    os_distro = (exported.get('os_version') or
                 (instance.system_metadata or {}).get('image_os_distro'))
    properties = {
        'image_location': 'snapshot',
        'image_state': 'available',
        'owner_id': instance.project_id,
        'architecture': obj_fields.Architecture.S390X,
        'hypervisor_type': obj_fields.HVType.ZVM,
    }
    if os_distro:
        properties['os_distro'] = os_distro
    # No 'status': it is read-only in Glance v2 (Nova drops it anyway).
    return {'disk_format': 'raw',
            'container_format': 'bare',
            'properties': properties}
