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

r"""z/VM userids: the names guests have on z/VM.

A guest's userid is its instance name in upper case. z/VM userids are 1 to 8
characters; the connector's REST schema accepts \w characters only, so
the usable alphabet is A-Z, 0-9 and underscore.
"""

import re

from nova import exception
from nova.i18n import _

USERID_RE = re.compile(r'^[A-Z0-9_]{1,8}$')

# Instance ids at which the template is tried at start-up: the first
# instance and the millionth, so a template that overflows 8 characters
# early (e.g. 'instance-%08x') is refused before any guest exists.
TEMPLATE_PROBE_IDS = (1, 999999)


def is_valid_userid(name):
    return bool(name) and bool(USERID_RE.match(name.upper()))


def userid(instance):
    """The z/VM userid of an instance, refused when z/VM cannot hold it."""
    name = instance.name
    if not is_valid_userid(name):
        raise exception.InvalidInput(reason=_(
            "Instance name %(name)r is not a valid z/VM userid (1-8 "
            "characters of A-Z, 0-9 and _); check "
            "[DEFAULT] instance_name_template.") % {'name': name})
    return name.upper()


def check_name_template(template):
    """Return None if every probed name is a valid userid, else the reason."""
    for instance_id in TEMPLATE_PROBE_IDS:
        try:
            name = template % instance_id
        except (TypeError, ValueError, KeyError):
            return _("it must format the instance id (like 'OS%%06x'); "
                     "%(tpl)r cannot") % {'tpl': template}
        if not is_valid_userid(name):
            return _("it gives %(name)r for instance id %(id)d, which is "
                     "not 1-8 characters of A-Z, 0-9 and _") % {
                         'name': name, 'id': instance_id}
    return None


# The one integer directive of an instance_name_template ('%06x', '%d'...).
_DIRECTIVE_RE = re.compile(r'%(0?\d*)([dixX])')


def instance_name(guest_userid, template):
    """The instance name whose userid this is, or None for another guest.

    z/VM keeps userids in upper case while Nova compares instance names
    as the template makes them (``os%06x`` gives ``os00000a``): a guest
    is one of this service's when the template, given the number read
    back from the userid, makes a name whose userid it is.
    """
    parts = _DIRECTIVE_RE.split(template.replace('%%', '\0'))
    if len(parts) != 4:
        return None
    prefix = parts[0].replace('\0', '%')
    kind = parts[2]
    suffix = parts[3].replace('\0', '%')
    uid = guest_userid.upper()
    if not (uid.startswith(prefix.upper()) and uid.endswith(suffix.upper())
            and len(uid) > len(prefix) + len(suffix)):
        return None
    digits = uid[len(prefix):len(uid) - len(suffix)]
    try:
        number = int(digits, 16 if kind in 'xX' else 10)
        name = template % number
    except (TypeError, ValueError):
        return None
    return name if name.upper() == uid else None
