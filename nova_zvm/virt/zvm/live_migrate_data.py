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

"""The migrate data of a live migration: z/VM facts in a Nova object.

The migrate data travels from the destination to the source and back
through the conductor, so every Nova service must deserialize it, including
ones where this package is not installed. A new ``LiveMigrateData``
subclass would be unknown there (``UnsupportedObjectError``), and
``LiveMigrateData`` itself is not registered (``register_if(False)``), so
it does not round-trip either. The driver therefore uses Nova's own
``VMwareLiveMigrateData``, the least surprising existing class: vMotion
inside a vCenter cluster over shared datastores is the nearest analogue of
relocation inside an SSI cluster over shared DASD, its two fields are plain
strings, and Nova's compute manager gives it no special treatment (unlike
the libvirt and Hyper-V classes, whose fields drive cleanup decisions).
Its fields carry z/VM facts:

* ``cluster_name``: the destination's SSI cluster name;
* ``datastore_regex``: NOT a regular expression here but a JSON object of
  z/VM facts, ``{"zvm_lgr": 1, "member": <destination z/VM system id>,
  "zcc_userid": <destination connector's userid>, "source": <source system
  id>, "fcp": [<FCP devices of the guest's volumes>]}``.

The generic ``LiveMigrateData`` fields (``is_volume_backed``, ``vifs``,
``migration``, ``wait_for_vif_plugged``, ...) are Nova's and used as Nova
uses them.
"""

from oslo_serialization import jsonutils

from nova import exception
from nova.i18n import _
from nova.objects import migrate_data as migrate_data_obj

FACTS_KEY = 'zvm_lgr'
FACTS_VERSION = 1


def new(cluster_name, facts):
    """Migrate data for SSI cluster cluster_name carrying facts."""
    data = migrate_data_obj.VMwareLiveMigrateData(cluster_name=cluster_name)
    set_facts(data, facts)
    return data


def facts_of(migrate_data, error=exception.MigrationPreCheckError):
    """The z/VM facts carried by the migrate data (see the module doc)."""
    text = None
    if (isinstance(migrate_data, migrate_data_obj.VMwareLiveMigrateData)
            and migrate_data.obj_attr_is_set('datastore_regex')):
        text = migrate_data.datastore_regex
    try:
        facts = jsonutils.loads(text) if text else None
    except ValueError:
        facts = None
    if not isinstance(facts, dict) or facts.get(FACTS_KEY) != \
            FACTS_VERSION or not facts.get('member'):
        raise error(reason=_(
            "the migrate data does not come from a z/VM compute host of "
            "this driver (%s); live migration needs z/VM on both sides") %
            type(migrate_data).__name__)
    return facts


def set_facts(migrate_data, facts):
    data = dict(facts)
    data[FACTS_KEY] = FACTS_VERSION
    migrate_data.datastore_regex = jsonutils.dumps(data, sort_keys=True)
