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

"""The real z/VM Cloud Connector, unmodified, over the fake z/VM.

:func:`build` does what a connector's installation and ``sdkserver``
start do, inside this process and under a state directory:

* zvmsdk's ``CONF`` is set in memory (never read from ``/etc/zvmsdk``)
  BEFORE ``zvmsdk.api`` is imported: some modules bind values at import;
* the two paths zvmsdk keeps in ``zvmsdk.constants`` (``SDK_DATA_PATH``
  and ``IUCV_AUTH_USERID_PATH``) are moved under the state directory: the
  only assignments to zvmsdk attributes the simulator makes;
* the fake z/VM's ``sudo`` goes first on PATH (the seam: sudo.py);
* smtLayer reads the connector guest's own files (/proc/sysinfo...)
  from the fake (zccguest.py);
* zvmsdk's scp of a remote host is answered by remote.py (installed by
  the simulator's start, before it drops root);
* z/VM's waits can be compressed for tests (clock.py).
* ``zvmsdk.api.SDKAPI()`` is built, which builds smtclient, vmops,
  imageops, networkops, volumeop (it syncs the FCP database with z/VM),
  monitor and the sqlite databases, as on a real connector;
* with FCP devices, the operator's one-time setup of the connector's FCP
  database is done through zvmsdk's own API: a host default FCP Multipath
  Template holding them (:func:`default_fcp_template`).

zvmsdk keeps module-level singletons, so there is one connector per
process (SSI members are separate processes).
"""

import os

from nova_zvm.simulator.zvm import clock
from nova_zvm.simulator.zvm import state as zvm_state
from nova_zvm.simulator.zvm import sudo
from nova_zvm.simulator.zvm import system as zvm_system
from nova_zvm.simulator.zvm import zccguest

# The programs' handlers register themselves on import.
from nova_zvm.simulator.zvm import console  # noqa: F401
from nova_zvm.simulator.zvm import cp  # noqa: F401
from nova_zvm.simulator.zvm import dasd  # noqa: F401
from nova_zvm.simulator.zvm import definition  # noqa: F401
from nova_zvm.simulator.zvm import directory  # noqa: F401
from nova_zvm.simulator.zvm import disktools  # noqa: F401
from nova_zvm.simulator.zvm import fcp  # noqa: F401
from nova_zvm.simulator.zvm import guestcmd  # noqa: F401
from nova_zvm.simulator.zvm import guestos  # noqa: F401
from nova_zvm.simulator.zvm import host  # noqa: F401
from nova_zvm.simulator.zvm import monitor  # noqa: F401
from nova_zvm.simulator.zvm import network  # noqa: F401
from nova_zvm.simulator.zvm import smcli  # noqa: F401
from nova_zvm.simulator.zvm import spool  # noqa: F401
from nova_zvm.simulator.zvm import ssi  # noqa: F401
from nova_zvm.simulator.zvm import zthin  # noqa: F401

_BUILT = None


def configure(conf, state_dir, disk_pool=None, user_profile='OSDFLT',
              max_concurrent_deploy_capture=20, my_ip='127.0.0.1'):
    """Set zvmsdk's options for a connector living under ``state_dir``."""
    connector_dir = os.path.join(state_dir, 'connector')
    conf.logging.log_dir = os.path.join(connector_dir, 'logs')
    conf.file.file_repository = os.path.join(connector_dir, 'files')
    conf.image.sdk_image_repository = os.path.join(connector_dir, 'images')
    conf.database.dir = os.path.join(connector_dir, 'databases')
    conf.guest.temp_path = os.path.join(connector_dir, 'tmp')
    conf.sdkserver.bind_addr = '127.0.0.1'
    conf.network.my_ip = my_ip
    conf.zvm.user_profile = user_profile
    conf.wsgi.max_concurrent_deploy_capture = max_concurrent_deploy_capture
    if disk_pool:
        conf.zvm.disk_pool = disk_pool
    _typed_defaults(conf)
    for path in (conf.logging.log_dir, conf.file.file_repository,
                 conf.image.sdk_image_repository, conf.database.dir,
                 conf.guest.temp_path):
        os.makedirs(path, exist_ok=True)
    return connector_dir


def _typed_defaults(conf):
    """Convert int options as zvmsdk's config loading does.

    ``load_config()`` (run by a real sdkserver) turns the defaults of
    int options into ints; in memory, ``[volume]
    get_fcp_pair_with_same_index`` stays the string '0', which is true
    and would select the other FCP allocation algorithm.
    """
    from zvmsdk import config
    for group, opts in config.CONFOPTS.dicts.items():
        for name, opt in opts.items():
            value = conf[group][name]
            if opt.get('type') == 'int' and isinstance(value, str):
                conf[group][name] = int(value)


class Connector(object):
    """One built connector: the SDKAPI and the fake z/VM under it."""

    def __init__(self, api, zvm, sudo_server, connector_dir):
        self.api = api
        self.zvm = zvm
        self.sudo_server = sudo_server
        self.connector_dir = connector_dir

    def stop(self):
        self.sudo_server.stop()


def build(state_dir, system='ZVMHOST1', zcc_userid='ZCCUSER', cpus=16,
          memory_mb=65536, disk_pool='ECKD:POOL1', pool_volumes=None,
          user_profile='OSDFLT', fcp_devices=None, ssi_name=None,
          ssi_member=None, ssi_dir=None, latency=None,
          max_concurrent_deploy_capture=20, time_scale=1.0):
    """Build the connector of this process; returns a :class:`Connector`."""
    global _BUILT
    if _BUILT is not None:
        raise RuntimeError('one connector per process')
    state_dir = os.path.abspath(state_dir)
    system = (ssi_member or system).upper()
    system_dir = os.path.join(state_dir, 'zvm')
    shared_dir = (os.path.join(os.path.abspath(ssi_dir), 'shared')
                  if ssi_name and ssi_dir else system_dir)
    st = zvm_state.ZVMState(system_dir, shared_dir, system=system,
                            zcc_userid=zcc_userid, cpus=cpus,
                            memory_mb=memory_mb, ssi_name=ssi_name)
    zvm = zvm_system.FakeZVM(st, latency=latency)
    zvm.time_scale = time_scale
    zvm.setup(disk_pool=disk_pool, pool_volumes=pool_volumes,
              user_profile=user_profile, fcp_devices=fcp_devices)

    server = sudo.SudoServer(zvm)
    server.start()
    bin_dir = os.path.join(system_dir, 'bin')
    sudo.install_program(bin_dir, server.port)
    # installFS runs 'udevadm settle' without sudo (a shell command line).
    sudo.install_program(bin_dir, server.port, name='udevadm')
    os.environ['PATH'] = bin_dir + os.pathsep + os.environ.get('PATH', '')

    from zvmsdk import config
    connector_dir = configure(
        config.CONF, state_dir, disk_pool=disk_pool,
        user_profile=user_profile,
        max_concurrent_deploy_capture=max_concurrent_deploy_capture)
    from zvmsdk import constants
    constants.SDK_DATA_PATH = os.path.join(connector_dir, 'data') + '/'
    constants.IUCV_AUTH_USERID_PATH = os.path.join(
        connector_dir, 'iucv_authorized_userid')
    zccguest.install(zvm, system_dir)
    clock.install(time_scale)
    from zvmsdk import api
    _BUILT = Connector(api.SDKAPI(), zvm, server, connector_dir)
    if fcp_devices:
        default_fcp_template(_BUILT.api, fcp_devices)
    return _BUILT


def default_fcp_template(sdkapi, fcp_devices, name='default'):
    """The host default FCP Multipath Template an operator creates.

    zvmsdk 1.6.3 reserves FCP devices only from a template
    (``get_volume_connector`` without one answers 300/30/300/11); a real
    installation creates it once with ``POST /volumes/fcptemplates``. Kept
    across restarts: made only when the connector has no template yet.
    """
    if sdkapi.get_fcp_templates()['fcp_templates']:
        return None
    return sdkapi.create_fcp_template(
        name, description='host default (nova-zvm-simulator --fcp-devices)',
        fcp_devices=fcp_devices, host_default=True)['fcp_template']
