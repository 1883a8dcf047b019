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

"""Facts the driver reads off a Nova instance, each read in one place.

The instance's z/VM userid is ``names.userid``; this module holds the
others: the ``os_distro`` of the image the server was booted from, and
the filesystem of an ephemeral disk.
"""

import nova.conf

CONF = nova.conf.CONF


def os_distro(instance):
    """The booted image's ``os_distro``, or None if Nova did not record it.

    Nova copies image properties into the instance's system metadata with
    an ``image_`` prefix at boot; spawn refuses an image without the
    property, so every server this driver built has it.
    """
    return (instance.system_metadata or {}).get('image_os_distro')


def ephemeral_format(ephemeral):
    """Filesystem of an ephemeral disk (a block device mapping dict).

    The mapping's own ``guest_format`` first, then Nova's
    ``[DEFAULT] default_ephemeral_format``, then ``[zvm]
    default_ephemeral_format`` (z/VM guests need one: the connector
    formats the minidisk when it creates it).
    """
    return (ephemeral.get('guest_format') or CONF.default_ephemeral_format
            or CONF.zvm.default_ephemeral_format)
