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

"""``nova-zvm-simulator``: the real z/VM Cloud Connector over a fake z/VM.

The first line on stdout, once requests are accepted, is exactly
``nova-zvm-simulator listening on http[s]://HOST:PORT``; tools read the URL
from it (``--port 0`` picks a free port). Everything else goes to the log
file. Bad options end with one line on stderr and exit code 2.
"""

import logging
import os
import signal
import sys
import threading

from nova_zvm.simulator import build
from nova_zvm.simulator import options

LOG = logging.getLogger('nova_zvm.simulator')
EXIT_USAGE = 2
EXIT_FAILURE = 1


def _setup_logging(args):
    log_file = args.log_file or os.path.join(args.state_dir, 'simulator.log')
    try:
        handler = logging.FileHandler(log_file)
    except OSError as e:
        raise options.UsageError('cannot write the log file: %s' % e)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(process)d %(levelname)s %(name)s [%(threadName)s] '
        '%(message)s'))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(args.log_level)
    # zvmsdk logs through its own 'ZVMSDK' logger; it reaches the same file.
    logging.getLogger('ZVMSDK').setLevel(args.log_level)


def _serve(sim):
    stop = threading.Event()

    def on_signal(signum, frame):
        LOG.info('signal %d: stopping', signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim.start()
    LOG.info('listening on %s', sim.url)
    print('%s listening on %s' % (options.PROG, sim.url), flush=True)
    while not stop.wait(0.2):
        pass
    sim.stop()
    close = getattr(sim.connector, 'close', None)
    if callable(close):
        close()
    LOG.info('stopped')


def main(argv=None):
    parser = options.build_parser()
    try:
        args = parser.parse_args(argv)
        options.check_args(args)
        # Everything that can be checked without side effects comes first.
        rules, latency = options.parse_rules(args)
        context = options.ssl_context(args)
        try:
            os.makedirs(args.state_dir, exist_ok=True)
        except OSError as e:
            raise options.UsageError('cannot create --state-dir: %s' % e)
        args.state_dir = os.path.abspath(args.state_dir)
        _setup_logging(args)
        build.prepare_connector(args)
        sim = build.build_simulator(args, rules, latency, context)
        try:
            build.become_connector_user(args)
        except Exception:
            sim.connector.close()
            raise
    except options.UsageError as e:
        print('%s: error: %s' % (options.PROG, e), file=sys.stderr, flush=True)
        return EXIT_USAGE
    except Exception as e:
        LOG.exception('start-up failed')
        print('%s: error: %s: %s' % (options.PROG, type(e).__name__, e),
              file=sys.stderr, flush=True)
        return EXIT_FAILURE
    try:
        _serve(sim)
    except Exception as e:
        LOG.exception('simulator failed')
        print('%s: error: %s: %s' % (options.PROG, type(e).__name__, e),
              file=sys.stderr, flush=True)
        return EXIT_FAILURE
    return 0


if __name__ == '__main__':
    sys.exit(main())
