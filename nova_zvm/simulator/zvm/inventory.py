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

"""What the admin endpoint shows and does: the operator's view of z/VM.

The tests' oracle: every guest of the z/VM (its directory entry read back
as vCPUs, memory, minidisks with a digest of their content, NICs,
dedicated devices), whether the connector knows it (its own database),
the connector's images, the disk pool's use and the FCP devices'
reservations. Also what an operator does behind the connector's back:
delete a guest with DirMaint, FORCE it off.

The members of an SSI cluster share one user directory (and the DASD), so
the directory alone does not say which member a guest belongs to. A
member's ``guests`` are those its connector manages (in its database) and
those logged on to it; a guest logged on to another member, or logged off
and unknown to this member's connector, is another member's business.
``directory`` lists every entry of the (shared) user directory with the
member it is logged on to: a guest left there after its instance is gone
shows on every member, whichever connector forgot it. On a system that is
no SSI member every directory entry is one of its ``guests``.

It reads the connector's state through the connector's own database
classes, never by re-deriving it.
"""

import hashlib
import os

from nova_zvm.simulator import images as sim_images
from nova_zvm.simulator.zvm import definition
from nova_zvm.simulator.zvm import directory
from nova_zvm.simulator.zvm import disktools
from nova_zvm.simulator.zvm import guestos
from nova_zvm.simulator.zvm import guestvol

EMPTY_DIGEST = hashlib.sha256(b'').hexdigest()


def _memory_mb(size):
    size = size.upper()
    factor = {'K': 1.0 / 1024, 'M': 1, 'G': 1024, 'T': 1024 * 1024}
    if size[-1] in factor:
        return int(float(size[:-1]) * factor[size[-1]])
    return int(size) // (1024 * 1024)


def _digest(path):
    if not os.path.exists(path):
        return EMPTY_DIGEST
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b''):
            h.update(chunk)
    return h.hexdigest()


def payload_digest(path):
    """Digest of the disk content deploying an image file writes (its
    payload, as zthin's unpackdiskimage copies it): comparable with a
    minidisk's ``digest``. None when the file is missing or unreadable.
    """
    h = hashlib.sha256()
    try:
        for chunk in sim_images.read_payload(path):
            h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _nic_of(line):
    # NICDEF <vdev> TYPE QDIO [LAN SYSTEM <vswitch>] [MACID <mac>] ...
    words = line.split()
    nic = {'vdev': words[1].upper(), 'vswitch': None, 'mac_id': None}
    for i, word in enumerate(words[:-1]):
        if word.upper() == 'SYSTEM':
            nic['vswitch'] = words[i + 1]
        elif word.upper() == 'MACID':
            nic['mac_id'] = words[i + 1]
    return nic


class Inventory(object):
    """The admin view over one connector (``connector.Connector``).

    Attributes that are not the admin view's are the connector's own
    SDKAPI methods: the simulator's request server calls them by name.
    """

    def __init__(self, connector):
        self.connector = connector
        self.state = connector.zvm.state

    def __getattr__(self, name):
        return getattr(self.connector.api, name)

    def close(self):
        self.connector.stop()

    # -- reading -------------------------------------------------------------

    def _db(self):
        from zvmsdk import database
        return database

    def connector_guests(self):
        """Userids in the connector's database (upper case)."""
        return [row[1].upper()
                for row in self._db().GuestDbOperator().get_guest_list()]

    def _user(self, userid):
        """The user's record, once z/VM has caught up with time.

        A guest's Linux re-IPLs by itself some time after ``shutdown -r``
        (guestos.halt); the fake z/VM settles that lazily, so a reboot
        whose time has come is finished before the record is read.
        """
        record = self.state.user(userid)
        if record and (record.get('guest') or {}).get('reboot_pending'):
            guestos.settle(self.connector.zvm, userid)
            record = self.state.user(userid)
        return record

    def guest_record(self, userid):
        userid = userid.upper()
        record = self._user(userid)
        in_db = userid in self.connector_guests()
        if (record is None or directory.is_profile(record)) and not in_db:
            raise KeyError('guest %s not found' % userid)
        return self._describe(userid, record, in_db)

    def _describe(self, userid, record, in_db):
        g = {'userid': userid, 'in_directory': record is not None,
             'in_connector': in_db, 'power_state': 'off', 'paused': False,
             'location': None, 'vcpus': 0, 'memory_mb': 0, 'disks': {},
             'nics': {}, 'dedicates': [], 'ipl': None, 'loaddev': {},
             'volumes': [], 'reader': [], 'boots': 0, 'config_drive': None,
             'active_nics': {}, 'guest_files': {}}
        if record is None:
            return g
        member = record.get('logged_on')
        g['location'] = member
        g['power_state'] = ('on' if member == self.state.system else 'off')
        g['paused'] = bool(record.get('paused'))
        guest = record.get('guest') or {}
        g['boots'] = guest.get('boots', 0)
        g['config_drive'] = guest.get('seen')
        g['reader'] = [dict(f) for f in record.get('reader', [])]
        g['volumes'] = guestvol.volumes(record, self._pending_scripts(record))
        # The running guest's NICs (CP's view, hotplug included) and the
        # files its configuration scripts wrote (zvmguestconfigure).
        g['active_nics'] = (dict(record.get('active_nics') or {})
                            if g['power_state'] == 'on' else {})
        g['guest_files'] = dict(guest.get('files') or {})
        for line in record['lines']:
            words = line.split()
            key = words[0].upper()
            if key == 'USER':
                g['memory_mb'] = _memory_mb(words[3])
            elif key == 'MDISK':
                vdev = words[1].upper()
                dtype = words[2]
                units = int(words[4])
                layout = disktools.disk_layout(self.state, userid, vdev)
                g['disks'][vdev] = {
                    'vdev': vdev, 'type': dtype, 'units': units,
                    'unit': 'CYL' if dtype == '3390' else 'BLK',
                    'size': units, 'volser': words[5],
                    'format': layout.get('filesystem'),
                    'digest': _digest(self.state.disk_path(userid, vdev))}
            elif key == 'NICDEF':
                nic = _nic_of(line)
                g['nics'][nic['vdev']] = nic
            elif key == 'DEDICATE':
                g['dedicates'].append(words[1].upper())
            elif key == 'IPL':
                g['ipl'] = words[1]
            elif key == 'LOADDEV':
                g['loaddev'][words[1].lower()] = words[2].lower()
        # The CPUs it gets at its next logon: CPU and COMMAND DEFINE CPU
        # statements of one address define one CPU.
        g['vcpus'] = len(definition.logon_cpus(record))
        return g

    def _pending_scripts(self, record):
        """Volume scripts in a guest's reader (run at its next boot)."""
        scripts = []
        for entry in record.get('reader', []):
            name = '%s.%s' % (entry.get('name', ''), entry.get('type', ''))
            if guestvol.handles(name):
                data = guestos.reader_content(self.state, entry)
                if data is not None:
                    scripts.append((name, data.decode('utf-8', 'replace')))
        return scripts

    def directory_guests(self):
        """Userids with a directory entry (profiles excluded)."""
        return [u for u in self.state.userids()
                if not directory.is_profile(self.state.user(u))]

    def _is_ours(self, record, in_db):
        """Whether a directory entry is one of this system's guests."""
        if in_db or not self.state.ssi_name:
            return True
        # In an SSI cluster: logged on here. A guest logged on elsewhere,
        # or logged off and unknown to this connector, may be another
        # member's (its connector's database is not this one).
        return record.get('logged_on') == self.state.system

    def inventory(self):
        in_db = set(self.connector_guests())
        guests = {}
        users = {}
        for userid in sorted(set(self.directory_guests()) | in_db):
            record = self._user(userid)
            if record is not None:
                users[userid] = record.get('logged_on')
                if not self._is_ours(record, userid in in_db):
                    continue
            g = self._describe(userid, record, userid in in_db)
            g['disks'] = [g['disks'][k] for k in sorted(g['disks'])]
            g['nics'] = [g['nics'][k] for k in sorted(g['nics'])]
            guests[userid] = g
        return {'zvm_host': self.state.system,
                'zcc_userid': self.state.zcc_userid,
                'ssi': ({'name': self.state.ssi_name,
                         'member': self.state.system}
                        if self.state.ssi_name else None),
                'guests': guests, 'directory': users,
                'images': self._images(),
                'disk_pool': self._pool(), 'fcp': self._fcp(),
                'vswitches': self._vswitches()}

    def _images(self):
        images = {}
        for row in self._db().ImageDbOperator().image_query_record():
            images[row['imagename']] = {
                'os_version': row['imageosdistro'],
                'disk_size_units': row['disk_size_units'],
                'md5sum': row['md5sum'],
                'size_bytes': row['image_size_in_bytes'],
                'disk_type': row.get('type'),
                'payload_digest': payload_digest(self._image_file(row))}
        return images

    @staticmethod
    def _image_file(row):
        """The file guest_deploy unpacks, where zvmsdk keeps it
        (smtclient.guest_deploy: repository/netboot/<distro>/<name>/<root
        vdev>).
        """
        from zvmsdk import config
        from zvmsdk import constants
        conf = config.CONF
        return os.path.join(conf.image.sdk_image_repository,
                            constants.IMAGE_TYPE['DEPLOY'],
                            row['imageosdistro'], row['imagename'],
                            conf.zvm.user_root_vdev)

    def _pool(self):
        pools = self.state.pools()
        if not pools:
            return None
        name = sorted(pools)[0]
        pool = pools[name]
        total = sum(v['size'] for v in pool['volumes'].values())
        used = sum(e['size'] for v in pool['volumes'].values()
                   for e in v['extents'])
        spec = ('ECKD:' if pool['type'] == '3390' else 'FBA:') + name
        return {'name': spec, 'unit': 'CYL' if pool['type'] == '3390'
                else 'BLK', 'total': total, 'used': used,
                'free': total - used}

    def _fcp(self):
        fcp = {}
        try:
            rows = self._db().FCPDbOperator().get_all()
        except Exception:
            return fcp
        for row in rows:
            row = dict(row)
            fcp[row['fcp_id']] = {
                'assigner_id': row.get('assigner_id'),
                'reserved': row.get('reserved'),
                'connections': row.get('connections'),
                'tmpl_id': row.get('tmpl_id'), 'state': row.get('state'),
                'wwpn_npiv': row.get('wwpn_npiv'),
                'wwpn_phy': row.get('wwpn_phy'),
                'owner': row.get('owner')}
        return fcp

    def _vswitches(self):
        info = self.state.system_info()
        return {name: sorted(v.get('grants', []))
                for name, v in info.get('vswitches', {}).items()}

    # -- behind the connector's back -----------------------------------------

    def vanish_guest(self, userid, keep_db=True):
        """Delete the guest with DirMaint (and FORCE it) by hand."""
        userid = userid.upper()
        with self.state.locked():
            record = self.state.user(userid)
            if record is None and userid not in self.connector_guests():
                raise KeyError('guest %s not found' % userid)
            if record is not None:
                self.connector.zvm.release_user(record)
                self.state.delete_user(userid)
        if not keep_db:
            self._db().GuestDbOperator().delete_guest_by_userid(userid)

    def power_off_behind(self, userid):
        """Log the guest off as an operator's FORCE would."""
        with self.state.update_user(userid) as record:
            if record is None:
                raise KeyError('guest %s not found' % userid)
            record['logged_on'] = None
            record['paused'] = False

    def set_ignores_shutdown(self, userid, ignore=True):
        """Make the guest's OS ignore CP's shutdown signal (or not).

        As a Linux whose shutdown an inhibitor holds: a soft stop times
        out and only a hard stop (logoff) ends the guest.
        """
        with self.state.update_user(userid) as record:
            if record is None:
                raise KeyError('guest %s not found' % userid)
            record.setdefault('guest', {})['ignores_shutdown'] = bool(ignore)
        return bool(ignore)

    def preload_guests(self, n, prefix='SIM'):
        """N stopped guests, in the directory and the connector's DB.

        The connector's own ``add_guest`` adds each to its database, all in
        one sqlite transaction: its connection commits every statement
        (autocommit), and 5,000 commits, each a sync to disk, took over a
        minute on a busy disk.
        """
        db = self._db().GuestDbOperator()
        existing = set(self.state.userids())
        made = 0
        i = 0
        # The connector's connection and lock (re-entrant: add_guest takes
        # them again in this thread).
        with self._db().get_guest_conn() as conn:
            conn.execute('BEGIN')
            try:
                while made < n:
                    i += 1
                    userid = '%s%05d' % (prefix, i)
                    if userid in existing:
                        continue
                    lines = ['USER %s LBYONLY 1024M 64G G' % userid,
                             'COMMAND DEFINE CPU 00 TYPE IFL', 'IPL 0100']
                    self.state.put_user(self.state.new_user(userid, lines))
                    db.add_guest(userid)
                    made += 1
            except BaseException:
                conn.execute('ROLLBACK')
                raise
            conn.execute('COMMIT')

    def reset_state(self):
        """Remove every guest and image (profiles and pools stay)."""
        for userid in self.directory_guests():
            self.vanish_guest(userid, keep_db=False)
        for userid in self.connector_guests():
            self._db().GuestDbOperator().delete_guest_by_userid(userid)
        for name in list(self._images()):
            self.connector.api.image_delete(name)
        with self.state.update_pools() as pools:
            for pool in pools.values():
                for volume in pool['volumes'].values():
                    volume['extents'] = []
        for name in os.listdir(self.state.disks_dir):
            os.remove(os.path.join(self.state.disks_dir, name))
