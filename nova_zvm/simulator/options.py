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

"""The options of ``nova-zvm-simulator``, parsed and checked.

Everything here runs before the simulator writes anything: argparse's
types, the cross-option checks argparse cannot express, the fault rules
and latencies of ``--fault``/``--latency``, the disk pool's volumes, the
z/VM latency table and the TLS context of ``--cert``/``--key``. A bad
option raises ``UsageError``: one line on stderr, exit code 2 (cli.py).
"""

import argparse
import os
import ssl

PROG = 'nova-zvm-simulator'


class UsageError(Exception):
    """A bad option: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        # argparse prints the whole usage block; one line is easier to read
        # in a test log and never looks like a crash.
        raise UsageError(message)


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not an integer' % text)
    if value < 1:
        raise argparse.ArgumentTypeError('%r must be at least 1' % text)
    return value


def _non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not an integer' % text)
    if value < 0:
        raise argparse.ArgumentTypeError('%r must not be negative' % text)
    return value


def _port(text):
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError('%r is not a TCP port' % text)
    return value


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a number' % text)
    if value <= 0:
        raise argparse.ArgumentTypeError('%r must be positive' % text)
    return value


def _disk_pool(text):
    kind, sep, name = text.partition(':')
    if not sep or kind.upper() not in ('ECKD', 'FBA') or not name:
        raise argparse.ArgumentTypeError(
            "%r: expected ECKD:NAME or FBA:NAME" % text)
    return '%s:%s' % (kind.upper(), name)


def _userid(text):
    if not 1 <= len(text) <= 8 or not text.replace('_', 'A').isalnum():
        raise argparse.ArgumentTypeError(
            '%r is not a z/VM userid (1-8 letters, digits, _)' % text)
    return text.upper()


def build_parser():
    p = _Parser(prog=PROG, description='z/VM Cloud Connector REST API '
                '(zvmsdk 1.6.3, its real code) over a fake z/VM, for tests.')
    p.add_argument('--host', default='127.0.0.1',
                   help='address to listen on (default 127.0.0.1)')
    p.add_argument('--port', type=_port, default=0,
                   help='TCP port; 0 picks a free one (default)')
    p.add_argument('--state-dir', required=True,
                   help='state of the fake z/VM and of the connector')
    p.add_argument('--auth', choices=('none', 'token'), default='none',
                   help="connector auth mode (default none)")
    p.add_argument('--token-file',
                   help='admin token file (created with a random token if '
                   'missing); needed by --auth token')
    p.add_argument('--token-validation-period', type=_positive_int,
                   default=3600, help='token lifetime in seconds')
    p.add_argument('--cert', help='TLS certificate (PEM); serve HTTPS')
    p.add_argument('--key', help='TLS private key (PEM)')
    p.add_argument('--zvm-host', type=_userid, default='ZVMHOST1',
                   help='z/VM system name')
    p.add_argument('--zcc-userid', type=_userid, default='ZCCUSER',
                   help="the connector's own z/VM userid")
    p.add_argument('--cpus', type=_positive_int, default=16)
    p.add_argument('--memory-mb', type=_positive_int, default=65536)
    p.add_argument('--disk-pool', type=_disk_pool, default='ECKD:POOL1',
                   help="TYPE:NAME, e.g. ECKD:POOL1 or FBA:POOL1")
    p.add_argument('--disk-pool-size', type=_positive_int,
                   help='size of the disk pool in cylinders (ECKD) or '
                   '512-byte blocks (FBA), split into volumes of the default '
                   'size; ten default volumes if omitted')
    # Kept so that existing command lines keep working: the hand-written
    # model backend is gone, zvmsdk's real code is the only one.
    p.add_argument('--backend', choices=('zvmsdk',), default='zvmsdk',
                   help="the connector's real code (zvmsdk) over the fake "
                   "z/VM: the only backend (option kept for compatibility)")
    p.add_argument('--connector-user',
                   help="run the connector as this user, as zvmsdk's "
                   "sdkserver does (needs root; created if missing)")
    p.add_argument('--user-profile', type=_userid, default='OSDFLT',
                   help="the directory profile guests include (zvmsdk's "
                   "[zvm] user_profile); other names do not exist")
    p.add_argument('--pool-volumes',
                   help='sizes of the disk pool volumes, comma separated, '
                   'in cylinders (ECKD) or blocks (FBA); a minidisk must '
                   'fit on one volume')
    p.add_argument('--time-scale', type=float, default=1.0,
                   help="how long z/VM's waits (soft stop, polling) take, "
                   "as a fraction of the real time (tests: 0.01)")
    p.add_argument('--zvm-latency', action='append', default=[],
                   metavar='NAME=SECONDS',
                   help="seconds a z/VM program or SMAPI API costs, e.g. "
                   "Image_Activate=2 (repeatable); by default what the "
                   "z/VM operation roughly costs; '*=0' for none. "
                   "Multiplied by --time-scale")
    p.add_argument('--fcp-devices',
                   help='FCP devices of the host, e.g. 1a00-1a07;1b00-1b07')
    p.add_argument('--ssi-name', help='SSI cluster name')
    p.add_argument('--ssi-member', help='this member of the SSI cluster')
    p.add_argument('--ssi-dir',
                   help='directory shared by the SSI members (relocation)')
    p.add_argument('--guests', type=_non_negative_int, default=0,
                   help='make sure N preloaded guests (SIM00001...) exist '
                   '(scale tests); those already in the state dir count')
    p.add_argument('--latency', action='append', default=[],
                   metavar='API=SPEC',
                   help="added latency: API name or 'all' = seconds, "
                   "uniform:LOW:HIGH or normal:MEAN:SD (repeatable)")
    p.add_argument('--fault', action='append', default=[], metavar='RULE',
                   help='fault rule, JSON or API:ACTION[,key=value...] '
                   '(repeatable)')
    p.add_argument('--max-concurrent-deploy-capture', type=_positive_int,
                   default=20, help="the connector's deploy/capture limit")
    p.add_argument('--keepalive-timeout', type=_seconds, default=120.0,
                   help='seconds an idle HTTP connection stays open')
    p.add_argument('--log-file',
                   help='log file (default STATE_DIR/simulator.log)')
    p.add_argument('--log-level', default='INFO',
                   choices=('DEBUG', 'INFO', 'WARNING', 'ERROR'))
    return p


def check_args(args):
    """Cross-option checks argparse cannot express; raises UsageError."""
    if args.auth == 'token' and not args.token_file:
        raise UsageError('--auth token needs --token-file')
    if bool(args.cert) != bool(args.key):
        raise UsageError('--cert and --key go together')
    for path in (args.cert, args.key):
        if path and not os.path.isfile(path):
            raise UsageError('no such file: %s' % path)
    if args.ssi_member and not args.ssi_name:
        raise UsageError('--ssi-member needs --ssi-name')
    if os.path.exists(args.state_dir) and not os.path.isdir(args.state_dir):
        raise UsageError('--state-dir %s is not a directory'
                         % args.state_dir)
    # Parsed again when the fake z/VM is built; refused here, before
    # anything is written.
    pool_volumes(args)
    zvm_latency(args)


def ssl_context(args):
    """The server's TLS context of --cert/--key, or None (plain HTTP)."""
    if not args.cert:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(args.cert, args.key)
    except (ssl.SSLError, OSError) as e:
        raise UsageError('cannot use --cert/--key: %s' % e)
    return context


def parse_rules(args):
    """(fault rules, Latency) of --fault and --latency."""
    from nova_zvm.simulator import faults
    rules = []
    latency = faults.Latency()
    try:
        for text in args.fault:
            rules.extend(faults.parse_rules(text))
        for text in args.latency:
            latency.set(*faults.Latency.parse(text))
    except faults.InvalidRule as e:
        raise UsageError(str(e))
    return rules, latency


def pool_volumes(args):
    """Volume sizes from --pool-volumes, or --disk-pool-size split up."""
    from nova_zvm.simulator.zvm import dasd
    if args.pool_volumes:
        try:
            return [int(v) for v in args.pool_volumes.split(',')]
        except ValueError:
            raise UsageError('--pool-volumes takes sizes separated by ,')
    if not args.disk_pool_size:
        return None
    per = dasd.DEFAULT_VOLUME_SIZE[dasd.pool_type(
        args.disk_pool.partition(':')[0])]
    sizes = [per] * (args.disk_pool_size // per)
    if args.disk_pool_size % per:
        sizes.append(args.disk_pool_size % per)
    return sizes


def zvm_latency(args):
    """What each z/VM operation costs: zvm/latency.py, then --zvm-latency.

    '*=SECONDS' replaces all the defaults.
    """
    from nova_zvm.simulator.zvm import latency as zvm_costs
    latency = {}
    for text in args.zvm_latency:
        name, _, seconds = text.partition('=')
        try:
            latency[name] = float(seconds)
        except ValueError:
            raise UsageError('--zvm-latency takes NAME=SECONDS: %r' % text)
        if not name or latency[name] < 0:
            raise UsageError('--zvm-latency takes NAME=SECONDS, SECONDS '
                             'not negative: %r' % text)
    return zvm_costs.table(latency)
