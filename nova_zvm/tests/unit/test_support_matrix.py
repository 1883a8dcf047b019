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

"""doc/source/support-matrix.ini must say what the code does.

Each operation of the matrix names its ComputeDriver methods
(``driver-methods``) and capabilities (``driver-capabilities``). The status
of both columns, this driver (``driver.zvm-ext``) and Nova's in-tree z/VM
driver (``driver.zvm-intree``), is computed from the classes as they are
now and compared with the file; the rules are in the file's header.

The matrix is part of the source tree, not of the installed package: run
from an installed package without the tree, these tests skip.
"""

import configparser
import inspect
import os

import testtools

from nova.virt import driver as virt_driver
from nova.virt.zvm import driver as intree_driver

from nova_zvm.virt.zvm import compat
from nova_zvm.virt.zvm import driver as ext_driver
from nova_zvm.virt.zvm import unsupported

EXT = 'driver.zvm-ext'
INTREE = 'driver.zvm-intree'
DRIVERS = (EXT, INTREE)
STATUSES = ('complete', 'partial', 'missing')

SUPPORTED, NEUTRAL, UNSUPPORTED = 'supported', 'neutral', 'unsupported'


def matrix_path():
    """The support-matrix.ini of the source tree, or None."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        os.path.join(here, '..', '..', '..', 'doc', 'source',
                     'support-matrix.ini'),
        os.path.join(os.getcwd(), 'doc', 'source', 'support-matrix.ini'),
    ]
    for path in candidates:
        if os.path.isfile(path):
            return os.path.normpath(path)
    return None


def load_matrix(path):
    cfg = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cfg.read_file(f)
    return cfg


def base_raises_not_implemented(name):
    return 'raise NotImplementedError' in inspect.getsource(
        getattr(virt_driver.ComputeDriver, name))


def base_public_methods():
    return {name for name, member in
            inspect.getmembers(virt_driver.ComputeDriver)
            if callable(member) and not name.startswith('_')}


def overrides(cls, name):
    """True when a class below ComputeDriver defines ``name``."""
    for klass in cls.__mro__:
        if klass is virt_driver.ComputeDriver:
            return False
        if name in klass.__dict__:
            return True
    return False


def method_state(driver_key, name):
    """SUPPORTED, NEUTRAL (Nova's generic behaviour) or UNSUPPORTED."""
    if driver_key == EXT:
        cls = ext_driver.ZVMDriver
        if name in unsupported.UNSUPPORTED:
            return UNSUPPORTED
    else:
        cls = intree_driver.ZVMDriver
    if overrides(cls, name):
        return SUPPORTED
    if name in unsupported.NOVA_DEFAULT or name in unsupported.NOVA_FALLBACK:
        # Nova treats NotImplementedError from these as "use the generic
        # behaviour": they neither add nor remove support.
        return NEUTRAL
    # The base raises NotImplementedError or does nothing.
    return UNSUPPORTED


def capability_state(driver_key, name):
    cls = ext_driver.ZVMDriver if driver_key == EXT else \
        intree_driver.ZVMDriver
    return SUPPORTED if cls.capabilities.get(name, False) else UNSUPPORTED


def split(value):
    items = (value or '').replace(',', ' ').split()
    return [] if items == ['none'] else items


def allowed_statuses(states):
    effective = [s for s in states if s != NEUTRAL]
    if all(s == SUPPORTED for s in effective):
        return ('complete', 'partial')
    if all(s == UNSUPPORTED for s in effective):
        return ('missing',)
    return ('partial',)


class SupportMatrixTestCase(testtools.TestCase):

    def setUp(self):
        super(SupportMatrixTestCase, self).setUp()
        path = matrix_path()
        if path is None:
            self.skipTest('doc/source/support-matrix.ini is not here (an '
                          'installed package without its source tree)')
        self.path = path
        self.cfg = load_matrix(path)
        self.operations = [s for s in self.cfg.sections()
                           if s.startswith('operation.')]

    def _methods(self, section):
        return split(self.cfg.get(section, 'driver-methods'))

    def _capabilities(self, section):
        return split(self.cfg.get(section, 'driver-capabilities',
                                  fallback=''))

    def test_declares_both_drivers(self):
        drivers = [s for s in self.cfg.sections()
                   if s.startswith('driver.')]
        self.assertEqual(sorted(DRIVERS), sorted(drivers))

    def test_each_operation_maps_to_the_code(self):
        base = base_public_methods()
        for section in self.operations:
            self.assertTrue(self.cfg.has_option(section, 'driver-methods'),
                            '%s has no driver-methods (use "none")'
                            % section)
            for name in self._methods(section):
                if name in compat.DRIVER_METHODS_ADDED and \
                        not compat.base_has(name):
                    # A method of a later Nova keeps its row on older Nova.
                    continue
                self.assertIn(name, base, '%s: %s is not a ComputeDriver '
                              'method' % (section, name))
            for name in self._capabilities(section):
                self.assertIn(name, virt_driver.ComputeDriver.capabilities,
                              '%s: %s is not a ComputeDriver capability'
                              % (section, name))

    def test_each_operation_rates_both_drivers(self):
        for section in self.operations:
            for key in DRIVERS:
                self.assertIn(self.cfg.get(section, key, fallback=None),
                              STATUSES, '%s: %s' % (section, key))
                status = self.cfg.get(section, key)
                if status == 'partial':
                    self.assertTrue(
                        self.cfg.has_option(
                            section, key.replace('driver.', 'driver-notes.')),
                        '%s: partial support of %s needs driver-notes'
                        % (section, key))

    def test_every_unimplemented_base_method_is_in_the_matrix(self):
        mapped = set()
        for section in self.operations:
            mapped.update(self._methods(section))
        needed = {name for name in base_public_methods()
                  if base_raises_not_implemented(name)}
        self.assertEqual(set(), needed - mapped,
                         'ComputeDriver methods missing from %s' % self.path)

    def test_methods_overridden_by_the_driver_are_in_the_matrix(self):
        mapped = set()
        for section in self.operations:
            mapped.update(self._methods(section))
        ours = {name for name in base_public_methods()
                if overrides(ext_driver.ZVMDriver, name) and
                name not in ('capabilities',)}
        self.assertEqual(set(), ours - mapped,
                         'ComputeDriver methods this driver overrides must '
                         'be in the driver-methods of a row of %s'
                         % self.path)

    def _check_driver(self, key):
        wrong = []
        for section in self.operations:
            methods = self._methods(section)
            caps = self._capabilities(section)
            if not methods and not caps:
                # Nothing in the code decides it (e.g. a volume protocol
                # the connector lacks): the notes must say why.
                self.assertEqual('missing', self.cfg.get(section, key),
                                 '%s: %s without methods' % (section, key))
                continue
            states = ([method_state(key, m) for m in methods] +
                      [capability_state(key, c) for c in caps])
            allowed = allowed_statuses(states)
            status = self.cfg.get(section, key)
            if status not in allowed:
                detail = ', '.join(
                    '%s=%s' % (m, method_state(key, m)) for m in methods)
                detail += ''.join(
                    ', %s=%s' % (c, capability_state(key, c)) for c in caps)
                wrong.append('%s: %s says %s, the code says %s (%s)'
                             % (section, key, status, '/'.join(allowed),
                                detail))
        self.assertEqual([], wrong, 'update %s' % self.path)

    def test_this_driver_column_matches_the_code(self):
        self._check_driver(EXT)

    def test_in_tree_driver_column_matches_nova(self):
        self._check_driver(INTREE)


class SupportMatrixRulesTestCase(testtools.TestCase):
    """The rules themselves, on made-up states."""

    def test_all_supported(self):
        self.assertEqual(('complete', 'partial'),
                         allowed_statuses([SUPPORTED, NEUTRAL, SUPPORTED]))

    def test_only_nova_defaults_count_as_supported(self):
        self.assertEqual(('complete', 'partial'),
                         allowed_statuses([NEUTRAL]))

    def test_none_supported(self):
        self.assertEqual(('missing',),
                         allowed_statuses([UNSUPPORTED, NEUTRAL]))

    def test_mixed_is_partial(self):
        self.assertEqual(('partial',),
                         allowed_statuses([SUPPORTED, UNSUPPORTED]))

    def test_refused_method_is_unsupported(self):
        for name in unsupported.UNSUPPORTED:
            self.assertEqual(UNSUPPORTED, method_state(EXT, name))

    def test_implemented_method_is_supported(self):
        self.assertEqual(SUPPORTED, method_state(EXT, 'spawn'))
        self.assertEqual(SUPPORTED, method_state(INTREE, 'spawn'))

    def test_in_tree_gaps(self):
        self.assertEqual(UNSUPPORTED,
                         method_state(INTREE, 'list_instance_uuids'))
        self.assertEqual(UNSUPPORTED,
                         method_state(INTREE, 'manage_image_cache'))
        self.assertEqual(NEUTRAL, method_state(INTREE, 'rebuild'))

    def test_split(self):
        self.assertEqual([], split('none'))
        self.assertEqual(['a', 'b'], split('a b'))
        self.assertEqual(['a', 'b'], split('a,\n  b'))
