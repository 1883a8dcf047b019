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

"""FCP devices, the connector's FCP database and FC volume attachment.

The FCP devices given to the model form one host-default FCP Multipath
Template; each ``;``-separated group is a path (zvmsdk's template syntax,
``'1a00-1a07;1b00-1b07'``). ``get_volume_connector(reserve=True)`` reserves
one free device per path for the guest (the same ones again on later
calls), ``reserve=False`` releases those without connections. An attach
must use devices reserved for its ``assigner_id`` (zvmsdk increments
connections only for such rows); the first connection dedicates the device
to the guest, the last detach undedicates it. Nothing here unreserves on
detach: that is ``get_volume_connector(reserve=False)``'s job, as in
zvmsdk. Devices are picked deterministically (zvmsdk picks at random).
"""

import hashlib
import threading
import uuid

from zvmsdk import exception
from zvmsdk import utils as zvmutils

from nova_zvm.simulator.model import disks
from nova_zvm.simulator.model import errors
from nova_zvm.simulator.model import store


def _wwpn(*parts):
    digest = hashlib.sha1(':'.join(parts).encode()).hexdigest()
    return 'c05076' + digest[:10]


class FCPTable(object):
    """FCP devices and their usage; persisted in ``fcp.json``."""

    def __init__(self, path, zvm_host, fcp_devices):
        self._path = path
        self.lock = threading.RLock()
        self.devices = {}
        self.templates = {}
        spec = fcp_devices
        if isinstance(spec, (list, tuple)):
            spec = ';'.join(spec)
        paths = zvmutils.expand_fcp_list(spec) if spec else {}
        if not paths:
            return
        tmpl_id = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                 'nova-zvm-simulator:%s:fcp' % zvm_host))
        self.templates[tmpl_id] = {
            'id': tmpl_id, 'name': 'default', 'host_default': True,
            'description': 'FCP devices of %s' % zvm_host,
            'storage_providers': [], 'min_fcp_paths_count': len(paths),
            'paths': {}}
        for index, fcps in sorted(paths.items()):
            ids = sorted(f.lower() for f in fcps)
            self.templates[tmpl_id]['paths'][str(index)] = ids
            for fcp in ids:
                self.devices[fcp] = {
                    'fcp_id': fcp, 'path': index, 'tmpl_ids': [tmpl_id],
                    'wwpn_npiv': _wwpn(zvm_host, fcp),
                    'wwpn_phy': _wwpn(zvm_host, 'path', str(index)),
                    'chpid': '%02X' % (0x27 + index), 'state': 'free',
                    'owner': '', 'assigner_id': '', 'reserved': 0,
                    'connections': 0, 'tmpl_id': ''}
        saved = store.read_json(path, {}) or {}
        for fcp, usage in saved.get('devices', {}).items():
            if fcp in self.devices:
                self.devices[fcp].update(
                    {k: usage[k] for k in ('state', 'owner', 'assigner_id',
                                           'reserved', 'connections',
                                           'tmpl_id') if k in usage})

    def save(self):
        usage = {fcp: {k: d[k] for k in ('state', 'owner', 'assigner_id',
                                         'reserved', 'connections',
                                         'tmpl_id')}
                 for fcp, d in self.devices.items()}
        store.write_json(self._path, {'devices': usage})

    def reset(self):
        with self.lock:
            for dev in self.devices.values():
                dev.update({'state': 'free', 'owner': '', 'assigner_id': '',
                            'reserved': 0, 'connections': 0, 'tmpl_id': ''})
            self.save()

    def host_default(self):
        for tmpl in self.templates.values():
            if tmpl['host_default']:
                return tmpl['id']
        return None

    def in_template(self, tmpl_id):
        tmpl = self.templates.get(tmpl_id) or {'paths': {}}
        return [self.devices[f] for p in sorted(tmpl['paths'], key=int)
                for f in tmpl['paths'][p]]


class VolumeAPI(object):
    """SDKAPI calls on FCP devices and volumes. Mixed into the model."""

    # -- helpers -------------------------------------------------------------

    def _fcp_dedicate(self, g, fcp):
        key = disks.canonical_vdev(fcp)
        g['dedicates'][key] = key
        dev = self._fcp.devices.get(fcp)
        if dev is not None:
            dev['state'] = 'active' if g['power'] == 'on' else 'free'
            dev['owner'] = g['userid']

    def _fcp_undedicate(self, g, fcp):
        g['dedicates'].pop(disks.canonical_vdev(fcp), None)
        dev = self._fcp.devices.get(fcp)
        if dev is not None:
            dev['state'] = 'free'
            dev['owner'] = ''

    def _fcp_undedicate_all(self, g):
        """The guest's directory entry goes: its FCP devices are free on
        z/VM (the connector's reservations stay, as in zvmsdk).
        """
        with self._fcp.lock:
            for key in list(g['dedicates']):
                self._fcp_undedicate(g, key.lower())
            self._fcp.save()

    @staticmethod
    def _connector(host, userid, fcps, tmpl_id):
        return {'zvm_fcp': [d['fcp_id'] for d in fcps],
                'wwpns': [d['wwpn_npiv'] for d in fcps],
                'phy_to_virt_initiators': {d['wwpn_npiv']: d['wwpn_phy']
                                           for d in fcps},
                'host': '%s_%s' % (host, userid) if fcps else '',
                'fcp_paths': len(fcps),
                'fcp_template_id': tmpl_id}

    @staticmethod
    def _connection(connection_info):
        """The fields zvmsdk reads, read the way it reads them."""
        ci = connection_info
        multipath = ci['multipath'].lower() == 'true'
        return ([x.lower() for x in ci['zvm_fcp']],
                [w.lower() for w in ci['target_wwpn']],
                ci['target_lun'], ci['assigner_id'].upper(), multipath,
                ci['os_version'], ci['mount_point'])

    # -- SDKAPI --------------------------------------------------------------

    def get_volume_connector(self, userid, reserve=False,
                             fcp_template_id=None, sp_name=None):
        """Reserve (or release) one FCP device per path for the guest."""
        table = self._fcp
        with table.lock:
            if fcp_template_id and fcp_template_id not in table.templates:
                raise errors.volume_op(
                    rs=11, userid=userid,
                    msg="fcp_template_id %s doesn't exist." % fcp_template_id)
            # zvmsdk tests the flag for truth: the string 'false' reserves.
            if reserve:
                tmpl = fcp_template_id or table.host_default()
                if not tmpl:
                    raise errors.volume_op(
                        rs=11, userid=userid,
                        msg='No FCP Multipath Template is specified and no '
                            'default FCP Multipath Template is found.')
                members = table.in_template(tmpl)
                fcps = [d for d in members
                        if d['assigner_id'].upper() == userid.upper() and
                        (d['connections'] or d['reserved']) and
                        d['tmpl_id'] == tmpl]
                if not fcps:
                    chosen = {}
                    for d in members:
                        if (d['path'] not in chosen and
                                not d['connections'] and not d['reserved']
                                and d['state'] == 'free'):
                            chosen[d['path']] = d
                    paths = len(table.templates[tmpl]['paths'])
                    if len(chosen) < min(
                            paths,
                            table.templates[tmpl]['min_fcp_paths_count']):
                        chosen = {}
                    fcps = [chosen[p] for p in sorted(chosen)]
                    for d in fcps:
                        d.update({'reserved': 1, 'tmpl_id': tmpl,
                                  'assigner_id': userid.upper()})
                    table.save()
            else:
                tmpl = fcp_template_id
                if tmpl is None:
                    raise errors.volume_op(
                        rs=11, userid=userid,
                        msg='Failed to unreserve FCP devices for assigner %s '
                            'by FCP Multipath Template None. Error: '
                            'fcp_template_id is not specified while '
                            'releasing FCP devices.' % userid)
                fcps = [d for d in table.in_template(tmpl)
                        if d['assigner_id'].upper() == userid.upper() and
                        d['reserved'] and d['tmpl_id'] == tmpl]
                for d in fcps:
                    if not d['connections']:
                        d.update({'reserved': 0, 'tmpl_id': ''})
                table.save()
            return self._connector(self.zvm_host, userid, fcps, tmpl)

    def volume_attach(self, connection_info):
        """Connect the volume through the guest's reserved FCP devices."""
        fcps, wwpns, lun, assigner, multipath, os_version, mount = (
            self._connection(connection_info))
        is_root = connection_info.get('is_root_volume', False)
        self._ssi_poll()
        if not is_root and not self._exists_in_directory(assigner):
            raise errors.not_found("Guest '%s'" % assigner, 'volume')
        g = self._guests.get(assigner)
        lock = self._guests.lock(assigner)
        with lock, self._fcp.lock:
            done = []
            try:
                for fcp in fcps:
                    dev = self._fcp.devices.get(fcp)
                    if dev is None or dev['assigner_id'].upper() != assigner:
                        raise errors.not_found('FCP with id: %s' % fcp,
                                               'volume')
                    dev['connections'] += 1
                    done.append(dev)
                if is_root:
                    return
                if g is None or not g['directory']:
                    raise errors.not_found("Guest '%s'" % assigner,
                                           'volume')
                for dev in done:
                    if dev['connections'] == 1:
                        self._fcp_dedicate(g, dev['fcp_id'])
                disks.check_os_version(os_version)
                g['volumes'].append({'fcps': fcps, 'wwpns': wwpns,
                                     'lun': lun, 'mount_point': mount,
                                     'multipath': multipath,
                                     'os_version': os_version})
                g['reader'].append({'file': 'atvol.sh', 'class': 'X',
                                    'kind': 'volume'})
            except Exception:
                # zvmsdk's rollback: undo the connections and dedications of
                # this call, release what is left without connections.
                for dev in done:
                    dev['connections'] -= 1
                    if dev['connections'] == 0:
                        if g is not None:
                            self._fcp_undedicate(g, dev['fcp_id'])
                        dev.update({'reserved': 0, 'tmpl_id': ''})
                raise
            finally:
                self._fcp.save()
                if g is not None and self._guests.get(assigner) is g:
                    self._guests.save(g)

    def volume_detach(self, connection_info):
        """Disconnect the volume; the last detach undedicates the FCPs."""
        fcps, wwpns, lun, assigner, multipath, os_version, mount = (
            self._connection(connection_info))
        is_root = connection_info.get('is_root_volume', False)
        only_db = connection_info.get('update_connections_only', False)
        self._ssi_poll()
        g = self._guests.get(assigner)
        with self._guests.lock(assigner), self._fcp.lock:
            for fcp in fcps:
                dev = self._fcp.devices.get(fcp)
                if dev is not None and dev['connections'] > 0:
                    dev['connections'] -= 1
            self._fcp.save()
            if is_root or only_db:
                return
            if g is None or not g['directory']:
                return
            try:
                disks.check_os_version(os_version)
                g['volumes'] = [
                    v for v in g['volumes']
                    if not (v['lun'].lower() == lun.lower() and
                            set(v['wwpns']) == set(wwpns))]
                g['reader'].append({'file': 'dtvol.sh', 'class': 'X',
                                    'kind': 'volume'})
                for fcp in fcps:
                    dev = self._fcp.devices.get(fcp)
                    if dev is None or dev['connections'] == 0:
                        self._fcp_undedicate(g, fcp)
            finally:
                self._fcp.save()
                if self._guests.get(assigner) is g:
                    self._guests.save(g)

    def volume_refresh_bootmap(self, fcpchannels, wwpns, lun, wwid='',
                               transportfiles=None, guest_networks=None,
                               fcp_template_id=None):
        """Write the boot record of a volume: {fcp: [target wwpns]}."""
        guest_networks = guest_networks or []
        with self._fcp.lock:
            if not fcp_template_id:
                min_paths = len(fcpchannels)
            else:
                tmpl = self._fcp.templates.get(fcp_template_id)
                min_paths = tmpl['min_fcp_paths_count'] if tmpl else 0
                if min_paths == 0:
                    # zvmsdk raises its base class here: no results, a 500.
                    raise exception.SDKBaseException(
                        msg='No FCP devices were found in the FCP Multipath '
                            'Template %s,stop refreshing bootmap.' %
                            fcp_template_id)
            if guest_networks and not transportfiles:
                raise errors.volume_op(rs=10)
            paths = {}
            for fcp in fcpchannels:
                if fcp.lower() not in self._fcp.devices:
                    raise errors.volume_op(
                        rs=5, errcode=1,
                        errmsg='\\nExit MSG: FCP device %s is not defined' %
                               fcp)
                paths[fcp] = [w.lower().replace('0x', '') for w in wwpns]
            if len(paths) < min_paths:
                raise errors.volume_op(
                    rs=5, errcode=2,
                    errmsg='\\nExit MSG: %d FCP paths, %d needed' %
                           (len(paths), min_paths))
            return paths

    def get_fcp_usage(self, fcp):
        """[assigner_id, reserved, connections, fcp_template_id]."""
        dev = self._fcp_device(fcp)
        return [dev['assigner_id'], dev['reserved'], dev['connections'],
                dev['tmpl_id']]

    def set_fcp_usage(self, fcp, userid, reserved, connections,
                      fcp_template_id):
        dev = self._fcp_device(fcp)
        with self._fcp.lock:
            dev.update({'assigner_id': userid, 'reserved': reserved,
                        'connections': connections,
                        'tmpl_id': fcp_template_id or ''})
            self._fcp.save()

    def _fcp_device(self, fcp):
        dev = self._fcp.devices.get(str(fcp).lower())
        if dev is None:
            raise errors.not_found("FCP '%s'" % fcp, 'volume')
        return dev

    def get_fcp_templates(self, template_id_list=None, assigner_id=None,
                          default_sp_list=None, host_default=None):
        with self._fcp.lock:
            result = []
            for tmpl in self._fcp.templates.values():
                if template_id_list and tmpl['id'] not in template_id_list:
                    continue
                if host_default and not tmpl['host_default']:
                    continue
                if assigner_id and not any(
                        d['assigner_id'].upper() == assigner_id.upper()
                        for d in self._fcp.in_template(tmpl['id'])):
                    continue
                result.append({k: tmpl[k] for k in (
                    'id', 'name', 'description', 'host_default',
                    'storage_providers', 'min_fcp_paths_count')})
            return {'fcp_templates': result}

    def get_fcp_templates_details(self, template_id_list=None, raw=False,
                                  statistics=True, sync_with_zvm=False):
        with self._fcp.lock:
            result = []
            for tmpl in self._fcp.templates.values():
                if template_id_list and tmpl['id'] not in template_id_list:
                    continue
                item = {k: tmpl[k] for k in (
                    'id', 'name', 'description', 'host_default',
                    'storage_providers', 'min_fcp_paths_count')}
                if raw:
                    item['raw'] = {
                        path: [[d['fcp_id'], tmpl['id'], d['assigner_id'],
                                d['connections'], d['reserved'],
                                d['wwpn_npiv'], d['wwpn_phy'], d['chpid'],
                                d['state'], d['owner'], d['tmpl_id']]
                               for d in (self._fcp.devices[f]
                                         for f in fcps)]
                        for path, fcps in tmpl['paths'].items()}
                if statistics:
                    item['statistics'] = {
                        path: {'total': ' '.join(f.upper() for f in fcps),
                               'available': ' '.join(
                                   f.upper() for f in fcps
                                   if not self._fcp.devices[f]['reserved']
                                   and not self._fcp.devices[f][
                                       'connections']),
                               'allocated': ' '.join(
                                   f.upper() for f in fcps
                                   if self._fcp.devices[f]['connections'])}
                        for path, fcps in tmpl['paths'].items()}
                result.append(item)
            return {'fcp_templates': result}

    def delete_fcp_template(self, template_id):
        raise errors.not_implemented('delete_fcp_template', mod='volume')

    def create_fcp_template(self, name, description='', fcp_devices='',
                            host_default=False, default_sp_list=[],
                            min_fcp_paths_count=None):
        raise errors.not_implemented('create_fcp_template', mod='volume')

    def edit_fcp_template(self, fcp_template_id, name=None,
                          description=None, fcp_devices=None,
                          host_default=None, default_sp_list=None,
                          min_fcp_paths_count=None):
        raise errors.not_implemented('edit_fcp_template', mod='volume')
