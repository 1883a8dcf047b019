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

"""The tour: a server's life through the Nova API on z/VM.

``nova-zvm-tour`` brings up Nova's services (API, conductor, scheduler,
placement, compute; Glance, Neutron and Keystone from Nova's fixtures) in
this process with ``compute_driver = zvm_ext.ZVMDriver``, each compute host on
its own ``nova-zvm-simulator`` process, or on a real connector with
``--connector-url``. It walks a server through its life, printing each step
with its duration and the connector requests it cost, ends with a summary
table, leaves nothing running and exits non-zero on any failure.

Nova's in-process harness is not part of the driver's run-time needs: it
is Nova's test package (``nova/tests``, which some distributions ship
separately from Nova) and the ``[tour]`` extra of this package. The tour
checks both are importable before anything starts and otherwise exits 2
with one message naming what is missing.
"""

import argparse
import importlib.util
import logging
import sys
import time
import traceback

RESULT_OK = 'ok'
RESULT_FAILED = 'FAILED'
# Exit code when the tour cannot run here (argparse uses it too).
EXIT_MISSING = 2

# Nova's functional harness, from Nova's test package.
NOVA_HARNESS = ('nova.tests.fixtures',
                'nova.tests.functional.integrated_helpers')
# What the harness imports beyond Nova's own requirements: the [tour]
# extra of setup.cfg (import name: distribution name).
TOUR_EXTRA = {
    'fixtures': 'fixtures',
    'testtools': 'testtools',
    'testresources': 'testresources',
    'testscenarios': 'testscenarios',
    'oslotest': 'oslotest',
    'placement': 'openstack-placement',
    'wsgi_intercept': 'wsgi-intercept',
    'barbicanclient': 'python-barbicanclient',
}


def _importable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        # A parent package is missing (nova.tests without nova/tests/).
        return False


def missing_requirements():
    """The modules the tour needs that cannot be imported here."""
    return [name for name in NOVA_HARNESS + tuple(sorted(TOUR_EXTRA))
            if not _importable(name)]


def missing_message(missing):
    """One message naming what is missing and how to get it."""
    return (
        "nova-zvm-tour cannot run: it needs Nova's functional test harness, "
        "which is not part of the driver's run-time requirements. Missing: "
        "%s. Install the tour's extra with "
        "\"pip install 'nova-zvm-virt-driver[tour]'\" and Nova's test "
        "package (nova/tests: in Nova's wheel from PyPI; some distributions "
        "ship it separately, e.g. python3-nova-tests).\n"
        % ', '.join(missing))


class Step(object):

    def __init__(self, name, seconds, requests, result, detail=''):
        self.name = name
        self.seconds = seconds
        self.requests = requests
        self.result = result
        self.detail = detail


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='nova-zvm-tour',
        description="Walk a server's life through the Nova API with the "
                    "z/VM driver, on the bundled simulator or a real "
                    "z/VM Cloud Connector.")
    parser.add_argument('--connector-url',
                        help="URL of a real z/VM Cloud Connector; without "
                             "it the tour starts nova-zvm-simulator")
    parser.add_argument('--token-file',
                        help="the connector's admin token file")
    parser.add_argument('--ca-file', help="CA bundle for an https URL")
    parser.add_argument('--image-file',
                        help="a z/VM disk image to boot (required with "
                             "--connector-url)")
    parser.add_argument('--os-distro', default='rhel9.2',
                        help="os_distro of the image (default %(default)s)")
    parser.add_argument('--disk-pool', help="[zvm] disk_pool to use")
    args = parser.parse_args(argv)
    if args.connector_url and not args.image_file:
        parser.error('--image-file is required with --connector-url')
    return args


def _print_table(steps, out):
    width = max([len(s.name) for s in steps] + [4])
    out.write('\n%-*s  %9s  %8s  %s\n' % (width, 'step', 'seconds',
                                          'requests', 'result'))
    out.write('%s  %s  %s  %s\n' % ('-' * width, '-' * 9, '-' * 8,
                                    '-' * 6))
    for s in steps:
        out.write('%-*s  %9.2f  %8s  %s\n' %
                  (width, s.name, s.seconds, s.requests, s.result))
    total = sum(s.seconds for s in steps)
    out.write('%-*s  %9.2f\n' % (width, 'total', total))


def main(argv=None, out=sys.stdout, err=sys.stderr):
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    missing = missing_requirements()
    if missing:
        err.write(missing_message(missing))
        return EXIT_MISSING
    # Nova's harness is imported only now: it monkey-patches the process.
    try:
        from nova_zvm.tour_steps import TourCloud
    except ModuleNotFoundError as e:
        # Something the harness imports that the check above does not know.
        err.write(missing_message([e.name]))
        return EXIT_MISSING
    cloud = TourCloud('run_tour', args=args)
    steps = []
    failed = False
    try:
        cloud.setUp()
        for name, func in cloud.steps():
            before = cloud.request_count()
            started = time.monotonic()
            try:
                detail = func() or ''
                result = RESULT_OK
            except Exception:
                failed = True
                result = RESULT_FAILED
                detail = traceback.format_exc()
            step = Step(name, time.monotonic() - started,
                        cloud.request_count() - before
                        if before is not None else '-', result, detail)
            steps.append(step)
            out.write('%-32s %7.2fs %6s requests  %s  %s\n' % (
                step.name, step.seconds, step.requests, step.result,
                step.detail.strip().splitlines()[-1]
                if step.detail and step.result != RESULT_OK
                else step.detail))
            out.flush()
            if failed:
                break
    except Exception:
        failed = True
        out.write('The tour could not start:\n%s\n' % traceback.format_exc())
    finally:
        # Stopping Nova's services logs a line per thread pool; the tour's
        # output is its own table.
        logging.disable(logging.WARNING)
        try:
            cloud.doCleanups()
        except Exception:
            failed = True
            out.write('Cleaning up failed:\n%s\n' % traceback.format_exc())
        finally:
            logging.disable(logging.NOTSET)
    if steps:
        _print_table(steps, out)
    for s in steps:
        if s.result != RESULT_OK:
            out.write('\n%s failed:\n%s\n' % (s.name, s.detail))
    out.write('\nThe tour %s.\n' % ('FAILED' if failed else 'passed'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
