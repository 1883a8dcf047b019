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

"""What each compute driver operation costs on the z/VM Cloud Connector.

Drives this project's driver and Nova's in-tree z/VM driver through their
``ComputeDriver`` methods, in this process, against a ``nova-zvm-simulator``
process of its own (``--guests`` preloaded guests, 5000 by default), and
reports per operation the connector's HTTP requests, token requests, new TCP
connections, bytes each way (all from the simulator's counters, reset
before each operation) and the wall time (median of ``--iterations``).

No Nova service runs: Glance (image download, snapshot upload), Neutron
(security groups of the config drive) and the database (block device
mappings of the config drive) are replaced by small local stand-ins.

Usage::

    python tools/benchmark.py [--guests 5000] [--iterations 5]
                              [--latency API=SPEC] [--json FILE]
                              [--no-token-pass] [--max-seconds 7200]
                              [--cases lifecycle,sync,boot,import,simulator]
                              [--sync-sizes 10,100,1000]
                              [--boot-count 20] [--boot-latencies 2,20]
                              [--boot-runs 1] [--image-mib 1024]

This script is the command line; each case is a module of its own:
``benchmark_lifecycle.py`` (each driver operation's cost, tables in
``benchmark_report.py``), ``benchmark_sync.py`` (power-state sync at
scale), ``benchmark_boot.py`` (concurrent boots), ``benchmark_import.py``
(large image import) and ``benchmark_simulator.py`` (the simulator's own
start time and call latency); ``benchmark_common.py`` holds what they
share.

The method and the measured results are in
``doc/source/contributor/benchmark.rst``.
"""


import argparse
import datetime
import json
import logging
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback

# The driver of the source tree this script belongs to, not an installed
# copy (the simulator process follows the imported nova_zvm package).
_TREE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_TREE, 'nova_zvm')):
    sys.path.insert(0, _TREE)

from nova import objects  # noqa: E402

import benchmark_boot  # noqa: E402
import benchmark_common as common  # noqa: E402
import benchmark_import  # noqa: E402
import benchmark_lifecycle as lifecycle  # noqa: E402
import benchmark_report as report  # noqa: E402
import benchmark_simulator  # noqa: E402
import benchmark_sync  # noqa: E402


# -- command line ------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='benchmark.py',
        description="Connector requests, connections, bytes and time per "
                    "compute driver operation: this driver and Nova's "
                    "in-tree z/VM driver on nova-zvm-simulator.")
    parser.add_argument('--guests', type=int, default=5000,
                        help='guests preloaded on the simulator '
                             '(default %(default)s)')
    parser.add_argument('--iterations', type=int, default=5,
                        help='lives of each driver to take the median of '
                             '(default %(default)s)')
    parser.add_argument('--latency', action='append', default=[],
                        metavar='API=SPEC',
                        help="simulator latency, e.g. all=0.005 (seconds) "
                             "or guest_deploy=uniform:0.5:1; repeatable")
    parser.add_argument('--json', metavar='FILE',
                        help='also write all results and samples as JSON')
    parser.add_argument('--no-token-pass', action='store_true',
                        help='skip the second pass with token auth')
    parser.add_argument('--cases', type=_names(CASES), default=CASES,
                        help='comma-separated cases to run, of %s '
                             '(default: all)' % ','.join(CASES))
    parser.add_argument('--sync-sizes', type=_numbers(int),
                        default=[10, 100, 1000],
                        help='instances of the power-state sync case '
                             '(default 10,100,1000)')
    parser.add_argument('--boot-count', type=int, default=20,
                        help='servers booted at once (default %(default)s)')
    parser.add_argument('--boot-latencies', type=_numbers(float),
                        default=[2.0, 20.0],
                        help='simulated guest_deploy seconds of the '
                             'concurrent boot case (default 2,20)')
    parser.add_argument('--boot-runs', type=int, default=1,
                        help='runs of the concurrent boot case per latency '
                             'and driver; the median is shown (default '
                             '%(default)s)')
    parser.add_argument('--image-mib', type=int, default=1024,
                        help='image size of the import case in MiB '
                             '(default %(default)s)')
    parser.add_argument('--max-seconds', type=int, default=7200,
                        help='stop (and clean up) after this long '
                             '(default %(default)s)')
    parser.add_argument('--debug', action='store_true',
                        help='log the drivers at DEBUG level on stderr')
    args = parser.parse_args(argv)
    if args.guests < 0:
        parser.error('--guests must not be negative')
    if args.iterations < 1:
        parser.error('--iterations must be at least 1')
    if args.boot_runs < 1:
        parser.error('--boot-runs must be at least 1')
    return args


# case -> (run, format, failures): the cases besides lifecycle, in the
# order they run.
SCALE_CASES = {case: funcs + (module.failures,)
               for module in (benchmark_sync, benchmark_boot,
                              benchmark_import, benchmark_simulator)
               for case, funcs in module.CASES.items()}
CASES = ('lifecycle',) + tuple(SCALE_CASES)


def _names(allowed):
    def parse(text):
        names = [n.strip() for n in text.split(',') if n.strip()]
        unknown = set(names) - set(allowed)
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                'expected some of %s' % ','.join(allowed))
        return names
    return parse


def _numbers(kind):
    def parse(text):
        try:
            values = [kind(v) for v in text.split(',') if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError('expected numbers: %s' % text)
        if not values or min(values) <= 0:
            raise argparse.ArgumentTypeError('expected positive numbers')
        return values
    return parse


def run_scale_cases(args, workdir, out):
    """The cases besides lifecycle, each on its own simulator."""
    results = {}
    run = lifecycle.Run(args, workdir)
    with common.nova_services(run.glance):
        for case in args.cases:
            if case == 'lifecycle':
                continue
            out.write('-- %s\n' % case)
            out.flush()
            results[case] = SCALE_CASES[case][0](run, out)
            run.args = args
    return results


def _on_alarm(signum, frame):
    raise common.Timeout('the benchmark ran longer than --max-seconds')


def main(argv=None, out=sys.stdout):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s',
        level=logging.DEBUG if args.debug else logging.WARNING)
    common.CONF([], project='nova', default_config_files=[],
                default_config_dirs=[])
    objects.register_all()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(args.max_seconds)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='nova-zvm-benchmark-')
    try:
        results = []
        if 'lifecycle' in args.cases:
            results = lifecycle.run_benchmark(args, workdir, out)
        scale = run_scale_cases(args, workdir, out)
    except (common.Timeout, KeyboardInterrupt) as err:
        out.write('benchmark stopped: %s\n' % (str(err) or
                                               type(err).__name__))
        return 1
    except Exception:
        out.write('benchmark failed:\n%s\n' % traceback.format_exc())
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    if args.json:
        now = datetime.datetime.now(datetime.timezone.utc)
        with open(args.json, 'w') as f:
            json.dump({'date': now.isoformat(),
                       'python': platform.python_version(),
                       'machine': platform.machine(),
                       'cpus': os.cpu_count(),
                       'guests': args.guests,
                       'iterations': args.iterations,
                       'latency': args.latency,
                       'seconds': round(elapsed, 1),
                       'operations': lifecycle.OPERATIONS,
                       'passes': results,
                       'scale': _json_keys(scale)}, f, indent=1,
                      sort_keys=True)
    out.write('\n')
    for pass_result in results:
        out.write(report.format_table(pass_result, args) + '\n\n')
    for pass_result in results:
        out.write(report.format_calls(pass_result) + '\n\n')
    for case, case_results in scale.items():
        out.write(SCALE_CASES[case][1](case_results, args) + '\n\n')
    if results:
        out.write('req: HTTP requests to the connector, token requests '
                  'included;\ntok: token requests; conn: TCP connections '
                  'opened; sent, recv: bytes of\nthe requests, of the '
                  'answers (HTTP headers included); ms: wall time.\n')
    out.write('Run took %.0f s.\n' % elapsed)
    # Nova's in-tree driver failing is a result; this driver failing, or
    # anything left on the simulator, is a bug to look at.
    failed = [label for p in results
              for op, label in lifecycle.OPERATIONS
              if (p['drivers'].get(common.THIS, {}).get(op) or {}
                  ).get('failed')]
    failed += [label for case, case_results in scale.items()
               for label in SCALE_CASES[case][2](case_results)]
    if failed or any(p['leftovers'] for p in results):
        out.write('FAILED: this driver failed (%s) or left guests or images '
                  'behind\n' % ', '.join(failed))
        return 1
    return 0


def _json_keys(value):
    """JSON keeps string keys only (the sync sizes, the latencies)."""
    if isinstance(value, dict):
        return {str(k): _json_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_keys(v) for v in value]
    return value


if __name__ == '__main__':
    sys.exit(main())
