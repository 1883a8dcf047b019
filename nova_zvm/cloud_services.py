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

"""The z/VM cloud's Glance and Cinder: Nova's fixtures, adapted.

Used by ``nova_zvm.cloud`` in place of Nova's own (``nova.tests.fixtures``):
Glance keeps the data a snapshot uploads, Cinder serves Fibre Channel
volumes.
"""

from nova.tests import fixtures as nova_fixtures

# os_distro of the images and the bootable volume (z/VM needs it).
OS_DISTRO = 'rhel9.2'


class FibreChannelCinderFixture(nova_fixtures.CinderFixture):
    """Nova's Cinder fixture, serving Fibre Channel volumes.

    Every volume's connection_info is ``fibre_channel`` as a Cinder FC
    backend gives it (target WWPNs and an integer LUN); the bootable
    volume carries the image metadata z/VM needs (os_distro).
    """

    TARGET_WWPNS = ['500507680b21a1f0', '500507680b22a1f0']
    # Connection info of the volumes that are not Fibre Channel.
    OTHER_TYPES = {nova_fixtures.CinderFixture.ISCSI_BACKED_VOL: 'iscsi'}

    def _find_connection_info(self, volume_id, attachment_id):
        driver_type = self.OTHER_TYPES.get(volume_id, 'fibre_channel')
        lun = int(volume_id.replace('-', '')[:4], 16) % 255 + 1
        return {'driver_volume_type': driver_type,
                'data': {'target_wwn': list(self.TARGET_WWPNS),
                         'target_lun': lun, 'target_discovered': False,
                         'volume_id': volume_id,
                         'attachment_id': attachment_id}}

    def fake_get(self, context, volume_id, microversion=None):
        volume = super(FibreChannelCinderFixture, self).fake_get(
            context, volume_id, microversion=microversion)
        if volume_id == self.IMAGE_BACKED_VOL:
            volume['volume_image_metadata'].update(
                {'os_distro': OS_DISTRO, 'architecture': 's390x'})
        return volume


class StoringGlanceFixture(nova_fixtures.GlanceFixture):
    """Nova's Glance fixture, keeping the data an update uploads.

    Nova's fixture drops the data of ``update`` (a snapshot upload); the
    tests boot servers from snapshots and compare disk content, so the data
    is kept, read in chunks as Glance would stream it. A download without a
    destination returns the data in chunks, as Glance does (Nova's fixture
    returns nothing).
    """

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        image = super(StoringGlanceFixture, self).update(
            context, image_id, metadata, data=None, purge_props=purge_props)
        if data is not None:
            chunks = []
            for chunk in iter(lambda: data.read(65536), b''):
                chunks.append(chunk)
            self._imagedata[image_id] = b''.join(chunks)
            image['size'] = len(self._imagedata[image_id])
        return image

    def download(self, context, image_id, data=None, dst_path=None,
                 trusted_certs=None):
        if data is None and dst_path is None:
            # As Glance: the data as an iterator of chunks.
            self.show(context, image_id)
            stored = self._imagedata.get(image_id, b'')
            return iter([stored[i:i + 65536]
                         for i in range(0, len(stored), 65536)])
        return super(StoringGlanceFixture, self).download(
            context, image_id, data=data, dst_path=dst_path,
            trusted_certs=trusted_certs)

    def image_data(self, image_id):
        return self._imagedata.get(image_id)
