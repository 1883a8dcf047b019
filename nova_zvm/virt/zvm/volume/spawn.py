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

"""The volumes of a guest being spawned: ``SpawnVolumes``, ``NoVolumes``.

Every volume connection is checked before any connector call. For a guest
booted from a volume, the guest's FCP devices are reserved and the boot
record of the root LUN written (``volume_refresh_bootmap``) before
``guest_create``, which IPLs from the first device that reaches the LUN;
each volume is then connected to the defined (not started) guest, each
one its own undo step of the spawn, and a failure counts them down in the
connector's records and releases the devices (the guest itself is deleted
by the spawn's rollback).
"""

from oslo_log import log as logging

from nova import exception
from nova.i18n import _

from nova_zvm.virt.zvm.volume import connection
from nova_zvm.virt.zvm.volume import mappings

LOG = logging.getLogger(__name__)


class SpawnVolumes(object):
    """The volumes of a guest being spawned.

    Built (and every connection checked) before any connector call. In
    order: :meth:`create_options` (boot from volume: reserve, write the
    boot record, answer ``guest_create``'s IPL options), :meth:`connect`
    (after the guest is defined and deployed, before it starts) and, on any
    failure, :meth:`release`.
    """

    def __init__(self, ops, instance, userid, os_distro, block_device_info):
        self._ops = ops
        self._userid = userid
        self._os_distro = os_distro
        self._conn = None
        self._attached = []
        self.volumes = []
        self.root = None
        for bdm in mappings.volume_mappings(block_device_info):
            targets, lun = connection.targets_and_lun(bdm['connection_info'])
            item = (bdm, targets, lun)
            if mappings.is_root(bdm, block_device_info):
                self.root = item
            else:
                self.volumes.append(item)
        if self.root is not None:
            self.volumes.insert(0, self.root)
            if os_distro.lower().startswith('rhcos'):
                raise exception.InvalidVolume(reason=_(
                    "booting RHCOS from a volume needs an Ignition file "
                    "for the boot record; the z/VM driver boots RHCOS "
                    "from images only"))

    @property
    def boot(self):
        return self.root is not None

    def _connector(self):
        if self._conn is None:
            self._conn = self._ops.reserve(self._userid)
        return self._conn

    def create_options(self):
        """Extra ``guest_create`` arguments: IPL from the root volume."""
        if self.root is None:
            return {}
        conn = self._connector()
        fcps = [f.lower() for f in conn['zvm_fcp']]
        _bdm, targets, lun = self.root
        paths = self._ops.client.call(
            'volume_refresh_bootmap', fcpchannels=fcps, wwpn=targets,
            lun=lun, fcp_template_id=conn.get('fcp_template_id')) or {}
        by_fcp = {str(k).lower(): v for k, v in paths.items()}
        for fcp in fcps:
            reached = [w for w in (connection.wwpn(t) for t in
                                   connection.as_list(by_fcp.get(fcp))) if w]
            if reached:
                return {'ipl_from': fcp, 'dedicate_vdevs': fcps,
                        'loaddev': {'portname': reached[0][2:],
                                    'lun': lun[2:]}}
        raise exception.InvalidVolume(reason=_(
            "volume %(id)s: no FCP device of %(uid)s (%(fcps)s) reaches "
            "the root LUN %(lun)s through targets %(wwpns)s") % {
                'id': connection.volume_id(self.root[0]['connection_info']),
                'uid': self._userid, 'fcps': fcps, 'lun': lun,
                'wwpns': targets})

    def connect(self, steps=None):
        """Connect every volume to the defined (not started) guest.

        :param steps: the spawn's ``UndoStack``: each volume connected is
            its own undo step, so a rollback that stops names exactly the
            volume and LUN left
        """
        for bdm, targets, lun in self.volumes:
            self._ops.attach_lun(self._userid, self._connector(),
                                 bdm['connection_info'], targets, lun,
                                 self._os_distro, bdm.get('mount_device'),
                                 is_root_volume=self._is_root(bdm))
            item = (bdm, targets, lun)
            self._attached.append(item)
            mappings.save(bdm)
            if steps is not None:
                steps.push(_("count down volume %(vol)s (LUN %(lun)s, "
                             "targets %(wwpns)s) of %(uid)s in the "
                             "connector's FCP records") % {
                                 'vol': connection.volume_id(
                                     bdm['connection_info']),
                                 'lun': lun, 'wwpns': targets,
                                 'uid': self._userid},
                           self._disconnect, item)

    def _disconnect(self, item):
        """Count one connected volume down (records only); may raise."""
        bdm, targets, lun = item
        request = connection.connection(
            self._userid, self._conn['zvm_fcp'], targets, lun,
            self._os_distro, bdm.get('mount_device'),
            is_root_volume=self._is_root(bdm),
            update_connections_only=True)
        self._ops.client.call('volume_detach', request)
        self._attached.remove(item)

    def _is_root(self, bdm):
        return self.root is not None and bdm is self.root[0]

    def release(self):
        """Undo :meth:`create_options` and :meth:`connect` in the
        connector's database (the guest itself is deleted by the caller).
        """
        # Volumes not counted down by their own undo steps already.
        for item in list(reversed(self._attached)):
            try:
                self._disconnect(item)
            except exception.NovaException as err:
                LOG.warning("Could not count down volume %(vol)s of "
                            "%(uid)s: %(err)s",
                            {'vol': connection.volume_id(
                                item[0]['connection_info']),
                             'uid': self._userid, 'err': err})
        self._attached = []
        if self._conn is not None:
            self._ops.release(self._userid,
                              self._conn.get('fcp_template_id'))


class NoVolumes(object):
    """A guest spawned without volumes (or without a VolumeOps)."""

    boot = False

    def create_options(self):
        return {}

    def connect(self, steps=None):
        pass

    def release(self):
        pass
