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

"""What the run-time package may import of test code.

No module of the package outside ``nova_zvm/tests`` imports
``nova_zvm.tests`` (distributions may ship the tests separately). Nova's
test package (``nova.tests``, also shipped separately by some
distributions) is imported only by the tour's cloud modules, and those
only by the tour when it runs, after its requirement check.
"""

import ast
import os

import fixtures
from nova import test

import nova_zvm

PACKAGE = os.path.dirname(os.path.abspath(nova_zvm.__file__))
# The modules that run Nova's functional harness (the [tour] extra).
HARNESS_MODULES = ('nova_zvm.cloud', 'nova_zvm.cloud_services',
                   'nova_zvm.tour_steps')


def runtime_modules():
    """(module name, path) of every module outside nova_zvm/tests."""
    found = []
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = [d for d in dirnames
                       if d not in ('tests', '__pycache__')]
        for f in filenames:
            if f.endswith('.py'):
                rel = os.path.relpath(os.path.join(dirpath, f),
                                      os.path.dirname(PACKAGE))
                name = rel[:-3].replace(os.sep, '.')
                if name.endswith('.__init__'):
                    name = name[:-len('.__init__')]
                found.append((name, os.path.join(dirpath, f)))
    return sorted(found)


def imports(path):
    """(module imported, at module level?) for every import of a file."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    top = set(id(n) for n in tree.body)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            # "from a import b" may import the module a.b.
            names = [node.module] + ['%s.%s' % (node.module, a.name)
                                     for a in node.names]
        else:
            continue
        found.extend((n, id(node) in top) for n in names)
    return found


def _within(name, package):
    return name == package or name.startswith(package + '.')


class ImportRulesTestCase(test.NoDBTestCase):

    def test_finds_the_modules(self):
        names = [n for n, p in runtime_modules()]
        self.assertIn('nova_zvm.virt.zvm.driver', names)
        self.assertIn('nova_zvm.tour', names)
        self.assertFalse([n for n in names if _within(n, 'nova_zvm.tests')])

    def test_imports_are_read(self):
        path = dict(runtime_modules())['nova_zvm.tour_steps']
        self.assertIn(('nova_zvm.cloud', True), imports(path))

    def test_no_runtime_module_imports_the_tests(self):
        wrong = ['%s imports %s' % (name, imported)
                 for name, path in runtime_modules()
                 for imported, _top in imports(path)
                 if _within(imported, 'nova_zvm.tests')]
        self.assertEqual([], wrong)

    def test_only_the_tour_cloud_imports_nova_tests(self):
        wrong = ['%s imports %s' % (name, imported)
                 for name, path in runtime_modules()
                 if name not in HARNESS_MODULES
                 for imported, _top in imports(path)
                 if _within(imported, 'nova.tests')]
        self.assertEqual([], wrong)

    def test_the_tour_cloud_is_imported_only_when_the_tour_runs(self):
        # Importing Nova's harness monkey-patches the process: only inside
        # a function (nova_zvm.tour.main), never at module level.
        wrong = ['%s imports %s at module level' % (name, imported)
                 for name, path in runtime_modules()
                 if name not in HARNESS_MODULES
                 for imported, top in imports(path)
                 if top and imported in HARNESS_MODULES]
        self.assertEqual([], wrong)


def private_uses(path):
    """``module._name`` uses, in a file, of modules of this project."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and \
                _within(node.module or '', 'nova_zvm'):
            aliases.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names
                           if a.asname and _within(a.name, 'nova_zvm'))
    return sorted(
        '%s.%s (line %d)' % (node.value.id, node.attr, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and
        isinstance(node.value, ast.Name) and node.value.id in aliases and
        node.attr.startswith('_') and not node.attr.startswith('__'))


class PrivateNamesTestCase(test.NoDBTestCase):

    def test_no_module_uses_another_modules_private_names(self):
        found = {name: private_uses(path)
                 for name, path in runtime_modules()}
        self.assertEqual({}, {n: u for n, u in found.items() if u})

    def test_finds_a_private_use(self):
        path = os.path.join(self.useFixture(
            fixtures.TempDir()).path, 'm.py')
        with open(path, 'w') as f:
            f.write('from nova_zvm.virt.zvm import image\n'
                    'image._disk_type("rhcos4")\n'
                    'image.disk_type_of("rhel9")\n')
        self.assertEqual(['image._disk_type (line 2)'], private_uses(path))
