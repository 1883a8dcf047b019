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

"""Building the simulator from checked options (options.py).

The connector's seams are prepared before any thread starts (the remote
host's scp, the connector's user), then the fake z/VM and the real
connector over it are built (zvm/connector.py), with the preloaded guests
of ``--guests``, the token auth and the HTTP(S) server (server.py); the
process drops to the connector's user last. The modules these steps use
(zvmsdk under them) are imported when a step runs, so that parsing and
checking the options loads none of them.
"""

from nova_zvm.simulator import options

PRELOAD_PREFIX = 'SIM'


def _preload(hypervisor, n):
    # A restart with the same options must not add another N guests.
    existing = sum(1 for userid in hypervisor.guest_list()
                   if userid.startswith(PRELOAD_PREFIX) and
                   userid[len(PRELOAD_PREFIX):].isdigit())
    if n > existing:
        hypervisor.preload_guests(n - existing, prefix=PRELOAD_PREFIX)


def prepare_connector(args):
    """The remote host's scp; the connector's user exists (or is made).

    Before any thread starts: the scp helper is a forked process that
    keeps root.
    """
    from nova_zvm.simulator.zvm import connector_user
    from nova_zvm.simulator.zvm import remote
    remote.install()
    if args.connector_user:
        try:
            connector_user.check(args.connector_user)
        except connector_user.ConnectorUserError as e:
            raise options.UsageError(str(e))


def become_connector_user(args):
    """Drop to the connector's user once everything is imported and built.

    After, not before, the build: the simulator's Python and its packages
    may live where that user cannot read (a tox environment under /root);
    a real connector's are installed for it. From here on, every file the
    connector (and the fake z/VM under it) opens is opened as that user.
    """
    from nova_zvm.simulator.zvm import connector_user
    if args.connector_user:
        try:
            connector_user.become(args.connector_user, args.state_dir)
        except connector_user.ConnectorUserError as e:
            raise options.UsageError(str(e))


def _build_zvm_backend(args):
    from nova_zvm.simulator.zvm import connector
    from nova_zvm.simulator.zvm import inventory
    built = connector.build(
        args.state_dir, system=args.zvm_host, zcc_userid=args.zcc_userid,
        cpus=args.cpus, memory_mb=args.memory_mb, disk_pool=args.disk_pool,
        pool_volumes=options.pool_volumes(args),
        user_profile=args.user_profile,
        fcp_devices=args.fcp_devices, ssi_name=args.ssi_name,
        ssi_member=args.ssi_member, ssi_dir=args.ssi_dir,
        latency=options.zvm_latency(args), time_scale=args.time_scale,
        max_concurrent_deploy_capture=args.max_concurrent_deploy_capture)
    backend = inventory.Inventory(built)
    _preload(backend, args.guests)
    return backend


def build_simulator(args, rules, latency, context):
    """The Simulator for parsed, checked args (not started yet)."""
    from nova_zvm.simulator import auth
    from nova_zvm.simulator import server

    try:
        auth.configure(args.auth, args.token_file,
                       args.token_validation_period)
    except (ValueError, OSError) as e:
        raise options.UsageError(str(e))
    hypervisor = _build_zvm_backend(args)
    try:
        sim = server.Simulator(hypervisor, args.host, args.port, context,
                               rules, latency, args.keepalive_timeout)
    except OSError as e:
        raise options.UsageError('cannot listen on %s:%s: %s'
                                 % (args.host, args.port, e))
    # One set of rules: zvm_error rules fire in the fake z/VM.
    hypervisor.connector.zvm.rules = sim.faults
    return sim
