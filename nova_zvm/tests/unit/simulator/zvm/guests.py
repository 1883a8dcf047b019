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

"""Test helpers: guests on a fake z/VM, as deploys and punches leave them.

``put_reader`` queues a spool file the way spool.py keeps one (entry in
``record['reader']``, content in ``<spool_dir>/<spoolid:04d>``);
``install_os`` writes a root file system's os-release on the IPL minidisk,
as a deploy leaves it.
"""

import os

from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import system

UBUNTU22 = b'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'
RHEL9 = b'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.2"\n'


def fake_zvm(path, **kwargs):
    st = zvm_state.ZVMState(path, **kwargs)
    zvm = system.FakeZVM(st)
    zvm.setup(disk_pool='ECKD:POOL1', user_profile='OSDFLT')
    return zvm


def define_guest(zvm, userid, cpus=2, storage='2048M', extra=()):
    lines = ['USER %s LBYONLY %s 64G G' % (userid, storage),
             'INCLUDE OSDFLT']
    lines += ['COMMAND DEFINE CPU %02X TYPE IFL' % i for i in range(cpus)]
    lines += ['IPL 0100', 'MDISK 0100 3390 1 3338 VOL001 MR']
    lines += list(extra)
    with zvm.state.locked():
        zvm.state.put_user(zvm.state.new_user(userid, lines))


def install_os(zvm, userid, release=RHEL9, vdev='0100'):
    with open(zvm.state.disk_path(userid, vdev), 'wb') as f:
        f.write(release + b'\0' * 512)


def put_reader(state, userid, name, ftype, data, spool_class='X'):
    spoolid = state.next_spoolid()
    with open(os.path.join(state.spool_dir, '%04d' % spoolid), 'wb') as f:
        f.write(data)
    with state.update_user(userid) as record:
        record.setdefault('reader', []).append(
            {'spoolid': spoolid, 'origin': state.zcc_userid, 'name': name,
             'type': ftype, 'class': spool_class, 'devtype': 'PUN',
             'records': 1, 'time': 0})
    return spoolid


def smcli(zvm, api, *args):
    return zvm.run(['/opt/zthin/bin/smcli', api, '--addRCheader'] +
                   list(args))
