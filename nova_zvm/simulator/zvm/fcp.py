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

"""FCP devices of a z/VM system and the dedication of real devices.

Owns: the system's FCP subchannels (system.json ``fcp``: NPIV WWPN,
physical WWPN, CHPID, online), System_WWPN_Query, DEDICATE statements in
the directory (Image_Device_Dedicate_DM / Undedicate_DM) and dedicated
devices in a logged-on guest's active configuration (Image_Device_Dedicate
/ Undedicate, and CP attaching the directory's DEDICATEs at logon), and
zthin's ``refresh_bootmap``.

A guest's active configuration of dedicated devices is kept in its user
record, ``record['attached'] = {vdev: rdev}``; it counts only while the
guest is logged on, and only on the member it is logged on to (real
devices belong to one z/VM system). A device is ``Active`` with its owner
while attached to a logged-on guest, ``Free`` otherwise.

zvmsdk's FCP database (templates, reservations, connections) is zvmsdk's
own and runs unmodified; it learns the devices from System_WWPN_Query.
"""

import hashlib
import re

from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import smcli

# SMAPI return/reason codes (RCERR_IMAGEDEVD 404, RCERR_IMAGEDEVU 204).
RC_DEVD = 404
RS_DEV_DEFINED = 4
RS_DEV_NOT_DEFINED = 8
RC_DEVU = 204
RS_DEV_EXISTS = 4
RS_DEV_NOT_EXIST = 8
RS_DEV_NOT_AVAILABLE = 16
RC_NOT_ACTIVE = 200
RS_NOT_ACTIVE = 12
# CP's HCP040E "Device does not exist" seen through SMAPI as an internal
# CP error (396, CP rc 40): the most plausible code, not documented.
RS_CP_NO_DEVICE = 40

# Statements that define a virtual device number in a directory entry.
_DEVICE_STATEMENTS = ('MDISK', 'DEDICATE', 'NICDEF', 'LINK', 'SPOOL',
                      'CONSOLE')

# refresh_bootmap's exit codes (zthin): bad option, missing lun or FCP,
# dedicating an FCP device failed, no valid path, more than 8 FCPs.
BOOTMAP_BAD_OPTION = 3
BOOTMAP_MISSING = 4
BOOTMAP_DEDICATE_FAILED = 3
BOOTMAP_NO_PATH = 10
BOOTMAP_TOO_MANY = 12


def expand_spec(spec):
    """'1a00-1a01;1b00' -> [['1A00', '1A01'], ['1B00']] (one per path)."""
    paths = []
    for group in (spec or '').split(';'):
        devices = []
        for part in group.split(','):
            part = part.strip()
            if not part:
                continue
            first, _, last = part.partition('-')
            last = last or first
            for n in range(int(first, 16), int(last, 16) + 1):
                devices.append('%04X' % n)
        if devices:
            paths.append(devices)
    return paths


def _wwpn(system, kind, number):
    # IBM's NPIV WWPNs start c05076; the rest is unique per system.
    digest = hashlib.md5(system.encode()).hexdigest()[:4].upper()
    return 'C05076%s%s%05X' % (digest, kind, number & 0xFFFFF)


def devices(state):
    """{rdev: {'npiv_wwpn', 'phy_wwpn', 'chpid', 'online'}} of the system.

    ``fcp`` in system.json when set there (e.g. a device varied offline),
    else derived from the ``fcp_spec`` the system was set up with: one
    CHPID and physical port per ``;``-separated path. Never written here:
    another member's devices are read while this member holds the lock.
    """
    info = state.system_info()
    if info.get('fcp'):
        return info['fcp']
    table = {}
    for index, path in enumerate(expand_spec(info.get('fcp_spec'))):
        chpid = '%02X' % (0x27 + index)
        phy = _wwpn(state.system, '0', 0xF0000 + index)
        for rdev in path:
            table[rdev] = {'npiv_wwpn': _wwpn(state.system, '1',
                                              int(rdev, 16)),
                           'phy_wwpn': phy, 'chpid': chpid, 'online': True}
    return table


def set_online(state, rdevs, online):
    """Vary real FCP devices offline or online (an operator's VARY)."""
    table = devices(state)
    with state.update_system() as info:
        for rdev in rdevs:
            table[_norm(rdev)]['online'] = bool(online)
        info['fcp'] = table


def owners(state):
    """{rdev: userid} of real devices attached to guests on this system."""
    result = {}
    for userid in state.userids():
        record = state.user(userid)
        if not record or record.get('logged_on') != state.system:
            continue
        for rdev in (record.get('attached') or {}).values():
            result[rdev.upper()] = userid
    return result


def _norm(dev):
    return ('%04X' % int(dev, 16)) if dev else dev


def _vdev_in_use(record, vdev):
    for line in record['lines']:
        words = line.split()
        if (len(words) > 1 and words[0] in _DEVICE_STATEMENTS and
                re.match(r'^[0-9A-Fa-f]{1,4}$', words[1]) and
                _norm(words[1]) == vdev):
            return True
    return False


def attach_dedicated(zvm, userid):
    """CP at logon: attach the directory's DEDICATEs that are available.

    An unavailable device (in use by another guest, or not a device of
    this system) is left out; the guest logs on without it, as on z/VM.
    """
    st = zvm.state
    with st.locked():
        with st.update_user(userid) as record:
            if record is None:
                return
            dedicates = [line.split() for line in
                         directory.statements(record, 'DEDICATE')]
            dedicates = [(_norm(w[1]), _norm(w[2])) for w in dedicates
                         if len(w) >= 3]
            attached = {}
            if dedicates:
                # Only then: owners() reads every guest's record, which
                # made each logon cost 0.6 s of CPU with 5,000 guests.
                fcps = devices(st)
                used = owners(st)
                for vdev, rdev in dedicates:
                    if rdev in fcps and used.get(rdev) in (None, userid):
                        attached[vdev] = rdev
            record['attached'] = attached


# -- SMAPI ------------------------------------------------------------------

@smcli.api('System_WWPN_Query')
def system_wwpn_query(zvm, req):
    st = zvm.state
    with st.locked():
        fcps = devices(st)
        used = owners(st)
    out = []
    for rdev in sorted(fcps):
        dev = fcps[rdev]
        owner = used.get(rdev)
        status = ('Offline' if not dev.get('online') else
                  'Active' if owner else 'Free')
        out.extend(['FCP device number: %s' % rdev,
                    'Status: %s' % status,
                    'NPIV world wide port number: %s' % dev['npiv_wwpn'],
                    'Channel path ID: %s' % dev['chpid'],
                    'Physical world wide port number: %s' % dev['phy_wwpn'],
                    'Owner: %s' % (owner or 'NONE')])
    return '\n'.join(out)


@smcli.api('Image_Device_Dedicate_DM')
def image_device_dedicate_dm(zvm, req):
    vdev, rdev = _norm(req.opt('v')), _norm(req.opt('r'))
    readonly = req.opt('R', '0') == '1'
    with directory.editing(zvm, req.target) as record:
        if _vdev_in_use(record, vdev):
            raise smcli.SMAPIError(RC_DEVD, RS_DEV_DEFINED,
                                   'Image device already defined')
        # DirMaint does not check the real device: several entries may
        # DEDICATE one; only one logged-on guest can have it at a time.
        line = 'DEDICATE %s %s' % (vdev, rdev)
        record['lines'].append(line + (' R/O' if readonly else ''))
    return ''


@smcli.api('Image_Device_Undedicate_DM')
def image_device_undedicate_dm(zvm, req):
    vdev = _norm(req.opt('v'))
    with directory.editing(zvm, req.target) as record:
        keep = [line for line in record['lines']
                if not (line.split()[:1] == ['DEDICATE'] and
                        _norm(line.split()[1]) == vdev)]
        if len(keep) == len(record['lines']):
            raise smcli.SMAPIError(RC_DEVD, RS_DEV_NOT_DEFINED,
                                   'ULGSMC5404E Image device not defined')
        record['lines'] = keep
    return ''


@smcli.api('Image_Device_Dedicate')
def image_device_dedicate(zvm, req):
    st = zvm.state
    vdev, rdev = _norm(req.opt('v')), _norm(req.opt('r'))
    with st.locked():
        fcps = devices(st)
        used = owners(st)
        with st.update_user(req.target) as record:
            if record is None or not directory.logged_on_here(zvm, record):
                raise smcli.SMAPIError(RC_NOT_ACTIVE, RS_NOT_ACTIVE,
                                       'Image not active')
            attached = record.setdefault('attached', {})
            if vdev in attached:
                raise smcli.SMAPIError(RC_DEVU, RS_DEV_EXISTS,
                                       'Image device already exists')
            if rdev not in fcps:
                raise smcli.SMAPIError(
                    smcli.RC_CP, RS_CP_NO_DEVICE,
                    'HCPATR040E Device %s does not exist' % rdev)
            owner = used.get(rdev)
            if owner and owner != record['userid']:
                # CP attaches a real device to one guest at a time.
                raise smcli.SMAPIError(
                    RC_DEVU, RS_DEV_NOT_AVAILABLE,
                    'HCPATR136E Device %s is attached to %s' % (rdev, owner))
            attached[vdev] = rdev
    return ''


@smcli.api('Image_Device_Undedicate')
def image_device_undedicate(zvm, req):
    vdev = _norm(req.opt('v'))
    with zvm.state.update_user(req.target) as record:
        if record is None or not directory.logged_on_here(zvm, record):
            raise smcli.SMAPIError(RC_NOT_ACTIVE, RS_NOT_ACTIVE,
                                   'Image not active')
        attached = record.setdefault('attached', {})
        if vdev not in attached:
            raise smcli.SMAPIError(RC_DEVU, RS_DEV_NOT_EXIST,
                                   'Image device does not exist')
        del attached[vdev]
    return ''


# -- zthin's refresh_bootmap --------------------------------------------------

def _bootmap_error(rc, text):
    # smtclient keeps the lines holding "Exit MSG:" as the error detail.
    return rc, 'ERROR: Exit MSG: %s\n' % text


@programs.program('refresh_bootmap')
def refresh_bootmap(zvm, args):
    """Boot from volume: connect the LUN through the FCP devices (on the
    connector's own guest) and rewrite its zipl bootmap.

    Answers ``RESULT PATHS: FCP1:W1 W2,FCP2:W3 W4`` (the paths found).
    """
    opts = {}
    for arg in args:
        name, sep, value = arg.partition('=')
        if not sep or name not in ('--fcpchannel', '--wwpn', '--lun',
                                   '--wwid', '--minfcp', '--ignitionurl',
                                   '--nicid', '--ipconfig', '--type'):
            return _bootmap_error(BOOTMAP_BAD_OPTION,
                                  'Unknow option: %s.' % arg)
        opts[name] = value
    fcps = [f.strip().lower() for f in opts.get('--fcpchannel', '').split(',')
            if f.strip()]
    wwpns = [w.strip().lower() for w in opts.get('--wwpn', '').split(',')
             if w.strip()]
    if not fcps or not opts.get('--lun'):
        return _bootmap_error(BOOTMAP_MISSING,
                              'Please specify lun and fcpchannel.')
    if len(fcps) > 8:
        return _bootmap_error(BOOTMAP_TOO_MANY,
                              'The FCP channel count %d is greater than 8.'
                              % len(fcps))
    st = zvm.state
    with st.locked():
        table = devices(st)
        used = owners(st)
    for fcp in fcps:
        rdev = _norm(fcp)
        if rdev not in table or used.get(rdev) or \
                not table[rdev].get('online'):
            # The script dedicates each device to the connector's guest.
            return _bootmap_error(
                BOOTMAP_DEDICATE_FAILED,
                'Failed to dedicate or online FCP: %s.' % fcp)
    if not wwpns:
        return _bootmap_error(BOOTMAP_NO_PATH,
                              'No valid paths found between FCP devices: '
                              '%s and wwpns: ' % ' '.join(fcps))
    # The fabric is not modelled: every target port is reachable from
    # every FCP device, so each (FCP, WWPN) pair is a path.
    paths = ','.join('%s:%s' % (fcp, ' '.join(wwpns)) for fcp in fcps)
    return 0, ('RefreshFCPBootmap begins. FCP: %s, LUN: 0x%s.\n'
               'RESULT PATHS: %s\n' % (' '.join(fcps),
                                       opts['--lun'].lower(), paths))
