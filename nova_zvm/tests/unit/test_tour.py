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

"""The tour program's own logic: arguments, steps, table, exit code.

The tour's cloud (Nova's services on simulators) is exercised by
``tox -e tour``; here a stand-in cloud records what the program does.
"""

import configparser
import io
import os
import re
import sys
from unittest import mock

from nova import test

import nova_zvm
from nova_zvm import tour


class FakeCloud(object):

    def __init__(self, methodName='run_tour', args=None, fail_at=None,
                 fail_setup=False):
        self.args = args
        self.fail_at = fail_at
        self.fail_setup = fail_setup
        self.ran = []
        self.cleaned = False
        self.requests = 0

    def setUp(self):
        if self.fail_setup:
            raise RuntimeError('simulator did not start')

    def request_count(self):
        return self.requests

    def _step(self, name):
        def run():
            self.ran.append(name)
            self.requests += 3
            if name == self.fail_at:
                raise AssertionError('%s went wrong' % name)
            return '%s done' % name
        return run

    def steps(self):
        return [(n, self._step(n)) for n in ('boot', 'stop', 'delete')]

    def doCleanups(self):
        self.cleaned = True


class TourTestCase(test.NoDBTestCase):

    def _run(self, argv=(), **cloud_kwargs):
        clouds = []

        def make(methodName, args):
            cloud = FakeCloud(methodName, args, **cloud_kwargs)
            clouds.append(cloud)
            return cloud
        out = io.StringIO()
        with mock.patch('nova_zvm.tour_steps.TourCloud', side_effect=make):
            code = tour.main(list(argv), out=out)
        return code, out.getvalue(), clouds[0]

    def test_all_steps_pass(self):
        code, out, cloud = self._run()
        self.assertEqual(0, code)
        self.assertEqual(['boot', 'stop', 'delete'], cloud.ran)
        self.assertTrue(cloud.cleaned)
        self.assertIn('The tour passed.', out)
        # Each step is printed with its requests, then the summary table.
        self.assertRegex(out, r'boot\s+[0-9.]+s\s+3 requests\s+ok')
        self.assertRegex(out, r'\nstep\s+seconds\s+requests\s+result\n')
        self.assertRegex(out, r'\ntotal\s+[0-9.]+\n')

    def test_failed_step_stops_the_tour_and_fails(self):
        code, out, cloud = self._run(fail_at='stop')
        self.assertEqual(1, code)
        self.assertEqual(['boot', 'stop'], cloud.ran)
        self.assertTrue(cloud.cleaned)
        self.assertIn('stop went wrong', out)
        self.assertIn('The tour FAILED.', out)

    def test_failed_start_fails_and_cleans_up(self):
        code, out, cloud = self._run(fail_setup=True)
        self.assertEqual(1, code)
        self.assertEqual([], cloud.ran)
        self.assertTrue(cloud.cleaned)
        self.assertIn('simulator did not start', out)

    def test_real_connector_needs_an_image(self):
        self.assertRaises(SystemExit, tour._parse_args,
                          ['--connector-url', 'https://zcc'])

    def test_real_connector_arguments(self):
        args = tour._parse_args(['--connector-url', 'https://zcc',
                                 '--image-file', '/tmp/img',
                                 '--os-distro', 'sles15'])
        self.assertEqual('https://zcc', args.connector_url)
        self.assertEqual('sles15', args.os_distro)

    def test_unknown_request_count_is_shown_as_dash(self):
        step = tour.Step('boot', 1.5, '-', tour.RESULT_OK)
        out = io.StringIO()
        tour._print_table([step], out)
        self.assertRegex(out.getvalue(), r'boot\s+1.50\s+-\s+ok')


class TourRequirementsTestCase(test.NoDBTestCase):
    """Without Nova's harness or the [tour] extra: one message, exit 2."""

    def _run_without(self, *modules):
        out, err = io.StringIO(), io.StringIO()
        # A None entry in sys.modules makes a module unimportable.
        with mock.patch('nova_zvm.tour_steps.TourCloud') as cloud, \
                mock.patch.dict(sys.modules, dict.fromkeys(modules)):
            code = tour.main([], out=out, err=err)
        self.assertFalse(cloud.called)
        self.assertEqual('', out.getvalue())
        return code, err.getvalue()

    def test_all_requirements_are_here(self):
        # The unit tests' environment has them all (test-requirements).
        self.assertEqual([], tour.missing_requirements())

    def test_missing_extra_package(self):
        code, err = self._run_without('wsgi_intercept')
        self.assertEqual(2, code)
        self.assertIn('Missing: wsgi_intercept.', err)
        self.assertIn("pip install 'nova-zvm-virt-driver[tour]'", err)
        self.assertEqual(1, len(err.strip().splitlines()))

    def test_missing_nova_test_package(self):
        # A distribution's Nova without nova/tests/.
        code, err = self._run_without(
            'nova.tests', 'nova.tests.fixtures', 'nova.tests.functional',
            'nova.tests.functional.integrated_helpers')
        self.assertEqual(2, code)
        self.assertIn('Missing: nova.tests.fixtures, '
                      'nova.tests.functional.integrated_helpers.', err)
        self.assertIn("Nova's test package", err)

    def test_missing_module_found_on_import(self):
        # Something the harness imports that the check does not list.
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.dict(sys.modules, {'nova_zvm.tour_steps': None}):
            code = tour.main([], out=out, err=err)
        self.assertEqual(2, code)
        self.assertIn('Missing: nova_zvm.tour_steps.', err.getvalue())

    def test_the_extra_declares_what_is_checked(self):
        setup_cfg = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(nova_zvm.__file__))), 'setup.cfg')
        if not os.path.exists(setup_cfg):
            self.skipTest('an installed package without its sources')
        parser = configparser.ConfigParser()
        parser.read(setup_cfg)
        declared = set(
            re.split(r'[<>=!~ ]', line.strip())[0]
            for line in parser['extras']['tour'].splitlines()
            if line.strip())
        self.assertEqual(set(tour.TOUR_EXTRA.values()), declared)
