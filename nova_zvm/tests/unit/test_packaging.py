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

"""The sdist and the wheel, as a distribution packager gets them.

The sdist is built (pbr) from a clone of the checkout's committed state,
so the checkout is left untouched; the wheel is built from the unpacked
sdist, as packagers do, which also proves the sdist complete. Both are
built once for all the tests here, in a few seconds. The tests skip when
there is no git checkout (an installed package) or nothing can build a
wheel (no setuptools/wheel and no package index).
"""

import atexit
import email.parser
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

from packaging import requirements
import testtools

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))

# Within nova/, the only file the distributions may install.
SHIM = 'nova/virt/zvm_ext/__init__.py'

_BUILT = {}


class BuildImpossible(Exception):
    pass


def _run(cmd, cwd):
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    return proc.returncode, proc.stdout


def _build(tmp):
    """Build the sdist and the wheel into tmp; (sdist, wheel) paths."""
    # .git is a file in a git worktree.
    if not os.path.exists(os.path.join(ROOT, '.git')) or \
            shutil.which('git') is None:
        raise BuildImpossible('not a git checkout')
    clone = os.path.join(tmp, 'clone')
    rc, out = _run(['git', 'clone', '--quiet', '--shared', ROOT, clone],
                   tmp)
    if rc:
        raise BuildImpossible('git clone failed: %s' % out)
    dist = os.path.join(tmp, 'dist')
    rc, out = _run([sys.executable, 'setup.py', '-q', 'sdist',
                    '--dist-dir', dist], clone)
    if rc:
        raise AssertionError('sdist build failed:\n%s' % out)
    [sdist] = glob.glob(os.path.join(dist, '*.tar.gz'))
    unpacked = os.path.join(tmp, 'unpacked')
    with tarfile.open(sdist) as tar:
        try:
            tar.extractall(unpacked, filter='data')
        except TypeError:
            # Python before 3.11.4 has no extraction filters.
            tar.extractall(unpacked)  # nosec: our own sdist
    [src] = glob.glob(os.path.join(unpacked, '*'))
    # As packagers build: with what is installed, else (pip's default)
    # in an isolated environment with the build requirements fetched.
    attempts = []
    for isolation in ('--no-build-isolation', None):
        cmd = [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
               '-w', dist, src]
        if isolation:
            cmd.insert(4, isolation)
        rc, out = _run(cmd, tmp)
        wheels = glob.glob(os.path.join(dist, '*.whl'))
        if rc == 0 and wheels:
            return sdist, wheels[0]
        attempts.append(out[-2000:])
    raise BuildImpossible('cannot build a wheel here:\n%s'
                          % '\n'.join(attempts))


def built():
    if 'result' not in _BUILT:
        tmp = tempfile.mkdtemp(prefix='nova-zvm-packaging-')
        atexit.register(shutil.rmtree, tmp, True)
        try:
            _BUILT['result'] = _build(tmp)
        except BuildImpossible as e:
            _BUILT['result'] = e
    return _BUILT['result']


class PackagingTestCase(testtools.TestCase):

    def setUp(self):
        super(PackagingTestCase, self).setUp()
        result = built()
        if isinstance(result, BuildImpossible):
            self.skipTest(str(result))
        self.sdist, self.wheel = result
        with zipfile.ZipFile(self.wheel) as whl:
            self.wheel_files = whl.namelist()
            [metadata] = [n for n in self.wheel_files
                          if n.endswith('.dist-info/METADATA')]
            self.metadata = email.parser.Parser().parsestr(
                whl.read(metadata).decode('utf-8'))
            self.dist_info = metadata.rsplit('/', 1)[0]
            self.entry_points = whl.read(
                self.dist_info + '/entry_points.txt').decode('utf-8')
        with tarfile.open(self.sdist) as tar:
            self.sdist_files = [n.split('/', 1)[1] for n in tar.getnames()
                                if '/' in n]

    # -- the wheel: what lands on a compute node -----------------------------

    def test_only_the_leaf_shim_inside_nova(self):
        inside_nova = [n for n in self.wheel_files if n.startswith('nova/')]
        self.assertEqual([SHIM], inside_nova)
        for forbidden in ('nova/__init__.py', 'nova/virt/__init__.py'):
            self.assertNotIn(forbidden, self.wheel_files)
        self.assertEqual([], [n for n in self.wheel_files
                              if n.startswith('nova/virt/zvm/')])

    def test_top_level_packages(self):
        tops = {n.split('/', 1)[0] for n in self.wheel_files
                if not n.startswith(self.dist_info)}
        self.assertEqual({'nova', 'nova_zvm'}, tops)

    def test_nothing_but_code_outside_the_tests(self):
        runtime = [n for n in self.wheel_files
                   if n.startswith('nova_zvm/') and
                   not n.startswith('nova_zvm/tests/')]
        self.assertEqual([], [n for n in runtime if not n.endswith('.py')])
        self.assertEqual([], [n for n in runtime
                              if '/test' in n or 'fixture' in n])

    def test_tests_ship_for_offline_runs(self):
        for name in ('nova_zvm/tests/__init__.py',
                     'nova_zvm/tests/unit/__init__.py',
                     'nova_zvm/tests/unit/test_conf.py'):
            self.assertIn(name, self.wheel_files)

    def test_no_docs_or_tree_files_in_the_wheel(self):
        for prefix in ('doc/', 'devstack/', 'releasenotes/', 'etc/',
                       'build/', '.ci/'):
            self.assertEqual([], [n for n in self.wheel_files
                                  if n.startswith(prefix)], prefix)

    def test_license_ships(self):
        self.assertTrue([n for n in self.wheel_files
                         if n.startswith(self.dist_info) and
                         n.endswith('LICENSE')])

    def test_tour_extra(self):
        # The tour's requirements are optional: the driver needs none.
        self.assertIn('tour', self.metadata.get_all('Provides-Extra'))
        tour_only = [text for text in self.metadata.get_all('Requires-Dist')
                     if 'extra == "tour"' in text]
        self.assertIn('wsgi-intercept', ' '.join(tour_only))

    def test_requires_python(self):
        self.assertEqual('>=3.11', self.metadata['Requires-Python'])

    def _requirement(self, name):
        for text in self.metadata.get_all('Requires-Dist') or []:
            req = requirements.Requirement(text)
            if req.name.lower() == name.lower() and not req.marker:
                return req
        self.fail('no Requires-Dist for %s' % name)

    def test_supported_nova_range(self):
        spec = self._requirement('nova').specifier
        for version in ('32.0.0', '32.2.1', '33.0.2', '34.0.0', '34.9.1'):
            self.assertTrue(spec.contains(version), version)
        for version in ('31.2.0', '35.0.0'):
            self.assertFalse(spec.contains(version), version)

    def test_connector_requirement(self):
        spec = self._requirement('zVMCloudConnector').specifier
        self.assertTrue(spec.contains('1.6.3'))
        self.assertFalse(spec.contains('1.6.2'))

    def test_entry_points(self):
        self.assertIn('nova_zvm = nova_zvm.conf:list_opts',
                      self.entry_points)
        self.assertIn('nova-zvm-simulator = nova_zvm.simulator.cli:main',
                      self.entry_points)

    # -- the sdist: what a distribution builds from --------------------------

    def test_sdist_has_docs_config_and_plugin(self):
        for name in ('LICENSE', 'README.md', 'requirements.txt',
                     'test-requirements.txt', 'setup.cfg', 'tox.ini',
                     # tox.ini's known-good versions per Nova release
                     'constraints/nova-32.txt', 'constraints/nova-33.txt',
                     'constraints/nova-34.txt',
                     'etc/nova_zvm-config-generator.conf',
                     'doc/requirements.txt', 'doc/source/conf.py',
                     'doc/source/index.rst',
                     'doc/source/support-matrix.ini',
                     'devstack/plugin.sh', 'devstack/settings',
                     'releasenotes/source/conf.py', SHIM):
            self.assertIn(name, self.sdist_files)
        self.assertTrue([n for n in self.sdist_files
                         if n.startswith('releasenotes/notes/') and
                         n.endswith('.yaml')])

    def test_sdist_has_no_build_debris(self):
        for prefix in ('.tox/', 'build/', 'dist/', 'doc/build/',
                       'releasenotes/build/', '.stestr/', 'cover/'):
            self.assertEqual([], [n for n in self.sdist_files
                                  if n.startswith(prefix)], prefix)
        self.assertEqual([], [n for n in self.sdist_files
                              if n.endswith('.pyc')])
