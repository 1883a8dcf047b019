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

"""FCP volumes as a guest's Linux sees them.

Owns what running zvmsdk's volume scripts does inside a guest. To attach
or detach a volume, zvmsdk punches ``atvol.sh`` or ``devol.sh`` (rendered
from its ``volumeops/templates``) to the guest's reader, class X, then
restarts zvmguestconfigure over IUCV, which runs the reader's scripts; a
failure shows in ``systemctl status zvmguestconfigure.service`` as
``Main PID: <pid> (code=exited, status=<exit code>/FAILURE)``.

The guest OS (guestos.py) dispatches to this module: for a reader file
whose name :func:`handles`, it calls :func:`run_script` with the file's
text and answers the script's exit code (see :func:`status_line`).

What the guest sees is kept in its user record::

    record['luns'] = {"<lun, hex, no 0x>": {"paths": ["1a00:5005...", ...],
                                "device": "/dev/sdb"}}

A LUN is reachable through an FCP device only while that device is in the
guest's active configuration (``record['attached']``, fcp.py); the SAN
fabric is not modelled, so every target WWPN answers on every device.
"""

import re

from nova_zvm.simulator.zvm import directory

ATTACH_SCRIPT = 'atvol.sh'
DETACH_SCRIPT = 'devol.sh'

# The scripts' exit codes (zvmsdk's volumeop.config_attach/config_detach).
OK = 0
INVALID_PARAMETERS = 2
INVALID_WWPNS = 3
DEVICE_PATH_NOT_FOUND = 4

_ASSIGN = re.compile(r'^([a-z_]+)="(.*)"$')


def handles(name):
    """Whether a reader file of this name is a volume script."""
    return name.lower() in (ATTACH_SCRIPT, DETACH_SCRIPT)


def script_parameters(text):
    """The ``name="value"`` assignments at the top of a volume script."""
    params = {}
    for line in text.splitlines():
        match = _ASSIGN.match(line.strip())
        if match:
            params.setdefault(match.group(1), match.group(2))
    return params


def _online_fcps(record, fcps):
    """The FCP devices of ``fcps`` the guest has (lszfcp's answer)."""
    attached = set(v.upper() for v in (record.get('attached') or {}))
    return [f for f in fcps if ('%04X' % int(f, 16)) in attached]


def run_script(zvm, userid, name, text):
    """Run a punched volume script in the guest; returns its exit code."""
    params = script_parameters(text)
    fcps = params.get('fcp_list', '').split()
    wwpns = params.get('input_wwpns', '').lower().split()
    lun = params.get('lun', '').lower()
    if lun.startswith('0x'):
        lun = lun[2:]
    if not fcps or not wwpns or not lun:
        return INVALID_PARAMETERS
    with zvm.state.update_user(userid) as record:
        if record is None or not directory.logged_on_here(zvm, record):
            return INVALID_PARAMETERS
        luns = record.setdefault('luns', {})
        if name.lower() == DETACH_SCRIPT:
            if lun not in luns:
                return DEVICE_PATH_NOT_FOUND
            del luns[lun]
            return OK
        online = _online_fcps(record, fcps)
        if not online:
            # lszfcp lists none of the devices: no valid target port.
            return INVALID_WWPNS
        target = params.get('target_filename')
        device = '/dev/%s' % target if target else (
            '/dev/disk/by-id/scsi-%s' % lun)
        luns[lun] = {'paths': ['%s:%s' % (f.lower(), w) for f in online
                               for w in wwpns],
                     'device': device}
    return OK


def _wwpns(values):
    return ['0x' + (w[2:] if w.startswith('0x') else w) for w in values]


def volumes(record, pending=()):
    """The LUNs of a guest, as the admin inventory reports them.

    Those its Linux sees (``configured``) and, for the scripts still in
    its reader (``pending``: ``(file name, text)`` in reader order, run at
    its next boot), what it will see then (``configured`` False): a
    stopped guest gets its volumes at its next boot.
    """
    result = {}
    for lun, seen in sorted(((record or {}).get('luns') or {}).items()):
        paths = [p.split(':', 1) for p in seen.get('paths', [])]
        result[lun] = {
            'lun': lun, 'fcps': sorted(set(f for f, _w in paths)),
            'wwpns': sorted(set(_wwpns(w for _f, w in paths))),
            'mount_point': seen.get('device'), 'configured': True}
    for name, text in pending:
        params = script_parameters(text)
        lun = params.get('lun', '').lower()
        lun = lun[2:] if lun.startswith('0x') else lun
        if name.lower() == DETACH_SCRIPT:
            result.pop(lun, None)
            continue
        target = params.get('target_filename')
        result[lun] = {
            'lun': lun, 'fcps': sorted(params.get('fcp_list', '').split()),
            'wwpns': sorted(set(_wwpns(
                params.get('input_wwpns', '').lower().split()))),
            'mount_point': '/dev/%s' % target if target else None,
            'configured': False}
    return [result[k] for k in sorted(result)]


def status_line(exit_code, pid=1234):
    """systemctl's Main PID line for zvmguestconfigure's last run."""
    return 'Main PID: %d (code=exited, status=%d/%s)' % (
        pid, exit_code, 'SUCCESS' if exit_code == 0 else 'FAILURE')
