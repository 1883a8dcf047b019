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

"""The source of a move to another host: stop, capture, hand over the file.

Another host (resize or cold migration), source,
``migrate_disk_and_power_off``: find out whether the destination shares
``image_tmp_path`` (:mod:`transfer`; before anything is touched), stop the
guest, ``guest_capture`` its root disk into an image named for this
migration, ``image_export`` it to a file in ``image_tmp_path``,
``image_delete`` it from the source's repository, and copy the file to the
destination unless shared. The source guest stays, stopped and unchanged,
until confirm (:mod:`ops`). What the destination does with the file is in
:mod:`receive`.
"""

from oslo_log import log as logging

from nova.i18n import _

from nova_zvm.virt.zvm import connector_files
from nova_zvm.virt.zvm import instance_facts
from nova_zvm.virt.zvm.migration import plan as mig_plan
from nova_zvm.virt.zvm.migration import rootimage
from nova_zvm.virt.zvm.migration import steps as mig_steps
from nova_zvm.virt.zvm.migration import transfer
from nova_zvm.virt.zvm import tmpfiles
from nova_zvm.virt.zvm import undo as zvm_undo

LOG = logging.getLogger(__name__)


class Sender(object):
    """The source side of a move of a guest of this host.

    :param client: the ``ConnectorClient`` of this host
    :param guest_steps: ``steps.GuestSteps`` of this host
    :param root_images: ``rootimage.RootImages`` of this host
    """

    def __init__(self, client, guest_steps, root_images):
        self._client = client
        self._steps = guest_steps
        self._images = root_images

    def send(self, instance, userid, plan, dest, timeout, retry_interval):
        """Stop the guest and export its root disk for dest.

        :returns: the disk_info dict for the destination
        """
        os_distro = instance_facts.os_distro(instance)
        try:
            shared = transfer.shares_tmp_path_with(dest)
        except Exception as err:
            raise mig_plan.refusal(_(
                "the destination host %(dest)s cannot be reached over ssh "
                "to hand over the guest's disk (see [zvm] "
                "image_tmp_path_shared and remote_copy_transport): "
                "%(err)s") % {'dest': dest, 'err': err})
        steps = zvm_undo.UndoStack(
            'migration', instance,
            mig_steps.where(plan.migration, plan.migration.source_compute))
        try:
            self._steps.stop(instance, userid, steps, timeout,
                             retry_interval)
            self._images.capture(userid, plan.image, steps)
            # A copy: the source guest keeps its disk until confirm.
            steps.push('delete image %s' % plan.image, self._images.delete,
                       plan.image)
            # The connector writes the file: group-writable for it.
            path = tmpfiles.new_tmp_file(transfer.FILE_KIND, suffix='.img',
                                         writable=True)
            steps.push('remove the exported file %s' % path,
                       tmpfiles.remove_tmp_file, path)
            exported = self._client.call(
                'image_export', plan.image, 'file://' + path,
                **connector_files.remote_kwargs('image_export')) or {}
            # The file carries the disk now; the destination imports it
            # into its own repository.
            self._images.delete(plan.image)
            rootimage.forget_kept_image(instance)
            if not shared:
                steps.push('remove the copy on %s' % dest,
                           transfer.remove_from, dest, path)
                transfer.copy_to(dest, path)
                tmpfiles.remove_tmp_file(path)
        except Exception as err:
            raise mig_steps.fail(steps, err, _('Migration')) from err
        LOG.info("Guest %(uid)s stopped and its root disk exported for "
                 "%(dest)s (%(how)s)",
                 {'uid': userid, 'dest': dest,
                  'how': 'shared file system' if shared else 'copied'},
                 instance=instance)
        md5sum = exported.get('md5sum')
        return {'zvm_migration': mig_plan.DISK_INFO_VERSION,
                'mode': mig_plan.MODE_MOVE,
                'image': plan.image, 'path': path,
                'os_distro': exported.get('os_version') or os_distro,
                'md5sum': md5sum if md5sum and tmpfiles.MD5_RE.match(md5sum)
                else None,
                'root_gb': plan.new.root_gb, 'ephemerals': plan.eph_new,
                'swap_mb': plan.swap_new}
