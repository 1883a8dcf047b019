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

"""The spool: readers, ``vmur`` and the CP spool commands.

Owns every reader file: a guest's reader (``record['reader']``) and the
connector's own reader (``system.json`` ``zcc_reader``: the connector's
virtual machine lives on one member). A reader file is a dict ``spoolid,
origin, name, type, class, devtype, records, time`` whose content is
``<spool_dir>/<spoolid>``.

How smtLayer moves a file into a guest's reader (vmUtils.punch2reader):
``vmur punch -r <file>`` (punch, then transfer to the connector's own
reader; the spool name comes from the file's base name and must be a CP
8.8 name, or vmur fails), ``vmcp change rdr <id> class <c>``, ``vmcp
transfer * rdr <id> to <userid> rdr``. The reader is emptied with
System_RDR_File_Manage (``changevm purgerdr``), and the console files the
connector gets (Image_Console_Get) are read with ``vmur list`` / ``vmur
re -t -O <id>``.
"""

import os
import shutil
import time

from nova_zvm.simulator.zvm import cp
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import programs
from nova_zvm.simulator.zvm import smcli
from nova_zvm.simulator.zvm import store

VMUR_ERROR = 1
LIST_HEADER = ('ORIGINID FILE CLASS RECORDS  CPY HOLD DATE  TIME     NAME'
               '      TYPE     DIST\n')


# -- reader files ------------------------------------------------------------

def content_path(state, spoolid):
    return os.path.join(state.spool_dir, '%04d' % int(spoolid))


def _records(content, devtype):
    if devtype == 'CON':
        return content.count(b'\n')
    # Punched files are 80-byte card images.
    return (len(content) + 79) // 80


def new_file(state, origin, name, ftype, content, spool_class='A',
             devtype='PUN'):
    """A closed spool file holding ``content`` (bytes); not yet queued."""
    spoolid = state.next_spoolid()
    with open(content_path(state, spoolid), 'wb') as f:
        f.write(content)
    return {'spoolid': spoolid, 'origin': origin.upper(), 'name': name,
            'type': ftype, 'class': spool_class.upper(), 'devtype': devtype,
            'records': _records(content, devtype),
            'time': time.time()}


def _is_zcc(state, userid):
    return userid.upper() == state.zcc_userid


def reader(state, userid):
    """The files in a user's reader (the connector's own included)."""
    if _is_zcc(state, userid):
        return list(state.system_info().get('zcc_reader', []))
    record = state.user(userid)
    return list(record.get('reader', [])) if record else []


def queue(state, userid, spool_file):
    """Put a spool file in a user's reader; False if no such user."""
    if _is_zcc(state, userid):
        with state.update_system() as info:
            info.setdefault('zcc_reader', []).append(spool_file)
        return True
    with state.update_user(userid) as record:
        if record is None or directory.is_profile(record):
            return False
        record.setdefault('reader', []).append(spool_file)
    return True


def unqueue(state, userid, spoolid):
    """Take file ``spoolid`` out of a user's reader (None if absent)."""
    spoolid = int(spoolid)
    with state.locked():
        if _is_zcc(state, userid):
            with state.update_system() as info:
                files = info.setdefault('zcc_reader', [])
                found = [f for f in files if f['spoolid'] == spoolid]
                info['zcc_reader'] = [f for f in files
                                      if f['spoolid'] != spoolid]
        else:
            with state.update_user(userid) as record:
                if record is None:
                    return None
                files = record.get('reader', [])
                found = [f for f in files if f['spoolid'] == spoolid]
                record['reader'] = [f for f in files
                                    if f['spoolid'] != spoolid]
    return found[0] if found else None


def read_content(state, spool_file):
    with open(content_path(state, spool_file['spoolid']), 'rb') as f:
        return f.read()


def purge(state, spool_file):
    store.remove(content_path(state, spool_file['spoolid']))


def purge_reader(state, userid):
    """Purge every file of a user's reader (also when the user goes)."""
    with state.locked():
        for spool_file in reader(state, userid):
            unqueue(state, userid, spool_file['spoolid'])
            purge(state, spool_file)


@smcli.api('System_RDR_File_Manage')
def rdr_file_manage(zvm, req):
    directory.get_guest(zvm, req.target)
    spoolids = req.keys.get('SPOOLIDS', 'all')
    if spoolids.lower() == 'all':
        purge_reader(zvm.state, req.target)
        return ''
    for spoolid in spoolids.split():
        spool_file = unqueue(zvm.state, req.target, spoolid)
        if spool_file is None:
            # Most plausible SMAPI answer for a missing reader file.
            raise smcli.SMAPIError(400, 28, 'no reader file %s' % spoolid)
        purge(zvm.state, spool_file)
    return ''


# -- CP spool commands (the connector's own files) ---------------------------

def _find(state, userid, spoolid):
    try:
        spoolid = int(spoolid)
    except ValueError:
        return None
    for spool_file in reader(state, userid):
        if spool_file['spoolid'] == spoolid:
            return spool_file
    return None


def _no_file(spoolid):
    return cp.VMCP_CP_ERROR, 'HCPCSP007E Invalid spoolid - %s\n' % spoolid


@cp.command('CHANGE RDR', 'CHANGE READER', 'CHANGE * RDR', 'CHANGE * READER')
def change_rdr(zvm, words):
    state = zvm.state
    if not words or _find(state, state.zcc_userid, words[0]) is None:
        return _no_file(words[0] if words else '')
    upper = [w.upper() for w in words]
    if 'CLASS' in upper and upper.index('CLASS') + 1 < len(upper):
        new_class = upper[upper.index('CLASS') + 1]
        with state.update_system() as info:
            for spool_file in info.get('zcc_reader', []):
                if spool_file['spoolid'] == int(words[0]):
                    spool_file['class'] = new_class
    return 0, '0001 FILE CHANGED\n'


@cp.command('TRANSFER * RDR', 'TRANSFER * READER')
def transfer_rdr(zvm, words):
    # TRANSFER * RDR <spoolid> TO <userid> RDR
    state = zvm.state
    if len(words) < 3 or words[1].upper() != 'TO':
        return cp.VMCP_CP_ERROR, 'HCPCFC026E Operand missing or invalid\n'
    target = words[2].upper()
    record = state.user(target)
    if record is None or directory.is_profile(record):
        return cp.VMCP_CP_ERROR, 'HCPCSU053E %s not in CP directory\n' % (
            target)
    spool_file = unqueue(state, state.zcc_userid, words[0])
    if spool_file is None:
        return _no_file(words[0])
    queue(state, target, spool_file)
    return 0, 'RDR FILE %04d SENT TO %s RDR AS %04d\n' % (
        spool_file['spoolid'], target, spool_file['spoolid'])


@cp.command('PURGE RDR', 'PURGE READER', 'PURGE * RDR', 'PURGE * READER')
def purge_rdr(zvm, words):
    state = zvm.state
    spool_file = unqueue(state, state.zcc_userid, words[0] if words else '')
    if spool_file is None:
        return _no_file(words[0] if words else '')
    purge(state, spool_file)
    return 0, '0001 FILE PURGED\n'


# -- vmur (on the connector's own virtual reader and punch) -----------------

def valid_cp_name(word):
    """CP's rule for a spool file name or type: 1-8 printable, no blank."""
    return 0 < len(word) <= 8 and all(c.isprintable() and not c.isspace()
                                      for c in word)


def split_spool_name(name):
    """vmur's split of a file name into spool name and type (last dot)."""
    dot = name.rfind('.')
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot + 1:]
    return name, ''


def _err(text):
    return VMUR_ERROR, 'vmur: %s\n' % text


def _operands(args, with_value):
    """The positional arguments, skipping options and their values."""
    words = []
    it = iter(args)
    for arg in it:
        if arg in with_value:
            next(it, None)
        elif not arg.startswith('-'):
            words.append(arg)
    return words


def _punch(zvm, args):
    state = zvm.state
    to_rdr = False
    spool_class = 'A'
    name = None
    force = False
    files = []
    it = iter(args)
    for arg in it:
        if arg in ('-r', '--rdr'):
            to_rdr = True
        elif arg in ('-N', '--name'):
            name = next(it, '')
        elif arg in ('-C', '--class'):
            spool_class = next(it, 'A')
        elif arg in ('-f', '--force'):
            force = True
        elif arg in ('-t', '--text'):
            continue
        elif arg.startswith('-'):
            return _err('Unsupported option %s' % arg)
        else:
            files.append(arg)
    if len(files) != 1:
        return _err('More than one file specified.' if files else
                    'No name for spool file specified!')
    path = files[0]
    spool_name, spool_type = split_spool_name(name or os.path.basename(path))
    if force:
        # --force: cut to 8 characters, blanks and unprintables to '_'.
        spool_name, spool_type = [
            ''.join(c if c.isprintable() and not c.isspace() else '_'
                    for c in word[:8]) for word in (spool_name, spool_type)]
    if not valid_cp_name(spool_name) or (spool_type and
                                         not valid_cp_name(spool_type)):
        return VMUR_ERROR, (
            'vmur: Malformed spool file name: %s\nSpecify --force, if the '
            'name should be converted automatically.\n' % (
                name or os.path.basename(path)))
    try:
        with open(path, 'rb') as f:
            content = f.read()
    except OSError as e:
        return _err('Could not open file %s\n%s' % (path, e.strerror))
    spool_file = new_file(state, state.zcc_userid, spool_name, spool_type,
                          content, spool_class=spool_class)
    if not to_rdr:
        purge(state, spool_file)
        return 0, 'Punch file with spoolid %04d created.\n' % (
            spool_file['spoolid'])
    queue(state, state.zcc_userid, spool_file)
    return 0, 'Reader file with spoolid %04d created.\n' % (
        spool_file['spoolid'])


def list_line(spool_file):
    when = time.gmtime(spool_file['time'])
    return '%-8s %04d %s %s %08d 001 NONE %s %-8s  %-8s %s\n' % (
        spool_file['origin'], spool_file['spoolid'], spool_file['class'],
        spool_file['devtype'], spool_file['records'],
        time.strftime('%m/%d %H:%M:%S', when), spool_file['name'] or '',
        spool_file['type'] or '', spool_file['origin'])


def _list(zvm, args):
    files = reader(zvm.state, zvm.state.zcc_userid)
    if not files:
        # CP's answer to QUERY RDR on an empty reader, as vmur prints it.
        return 0, 'NO RDR FILES\n'
    return 0, LIST_HEADER + ''.join(list_line(f) for f in files)


def _receive(zvm, args):
    state = zvm.state
    to_stdout = '-O' in args or '--stdout' in args
    words = _operands(args, ('-d', '--device', '-C', '--class', '-b',
                             '--blocked'))
    if not words:
        return _err('No spool id specified.')
    spoolid = words[0]
    if not spoolid.isdigit() or len(spoolid) > 4:
        return _err('Spoolid must be a decimal number in range 0-9999')
    spool_file = _find(state, state.zcc_userid, spoolid)
    if spool_file is None:
        # CP's ORDER answer for a file not in the reader, as vmur shows it.
        return _err('No reader file %s found' % spoolid)
    content = read_content(state, spool_file)
    hold = '-H' in args or '--hold' in args
    if not hold:
        unqueue(state, state.zcc_userid, spoolid)
        purge(state, spool_file)
    if to_stdout:
        return 0, content.decode('utf-8', 'replace')
    target = words[1] if len(words) > 1 else (
        spool_file['name'] + ('.' + spool_file['type']
                              if spool_file['type'] else ''))
    with open(target, 'wb') as f:
        f.write(content)
    return 0, ''


def _purge(zvm, args):
    words = _operands(args, ('-q', '--queue', '-C', '--class'))
    state = zvm.state
    if not words:
        purge_reader(state, state.zcc_userid)
        return 0, ''
    spool_file = unqueue(state, state.zcc_userid, words[0])
    if spool_file is None:
        return _err('No reader file %s found' % words[0])
    purge(state, spool_file)
    return 0, ''


_VMUR_COMMANDS = (('receive', 2, _receive), ('punch', 3, _punch),
                  ('list', 2, _list), ('purge', 3, _purge))


@programs.program('vmur')
def vmur(zvm, args):
    if not args:
        return _err('Missing command')
    word = args[0].lower()
    for command, prefix, handler in _VMUR_COMMANDS:
        # vmur accepts any abbreviation down to its minimum (RE, PUN, LI).
        if len(word) >= prefix and command.startswith(word):
            return handler(zvm, list(args[1:]))
    return VMUR_ERROR, ("vmur: Unknown command '%s'\nTry 'vmur --help' for "
                        "more information.\n" % args[0])


def copy_out(state, spool_file, path):
    """Copy the content of a reader file to ``path`` (tests, guest OS)."""
    shutil.copyfile(content_path(state, spool_file['spoolid']), path)
