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

"""The architecture page is the map of the code as it is.

Every module of the package is named on the page (as ``name.py`` or
``name``), and every module or folder the page names exists.
"""

import os
import re

from nova import test

import nova_zvm

PACKAGE = os.path.dirname(os.path.abspath(nova_zvm.__file__))
ROOT = os.path.dirname(PACKAGE)
PAGE = os.path.join(ROOT, 'doc', 'source', 'contributor',
                    'architecture.rst')
# The map covers the shipped code; the tests mirror it (see the page).
MAPPED = ('nova_zvm', os.path.join('nova', 'virt', 'zvm_ext'))
NOT_MAPPED = (os.path.join('nova_zvm', 'tests'),)


def package_modules():
    """Paths (relative to the repository) of the mapped modules."""
    found = []
    for top in MAPPED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            rel = os.path.relpath(dirpath, ROOT)
            if rel.startswith(NOT_MAPPED):
                continue
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            found.extend(os.path.join(rel, f) for f in filenames
                         if f.endswith('.py') and f != '__init__.py')
    return sorted(found)


class ArchitecturePageTestCase(test.NoDBTestCase):

    def setUp(self):
        super(ArchitecturePageTestCase, self).setUp()
        if not os.path.exists(PAGE):
            # An installed package without its sources: nothing to map.
            self.skipTest('no %s' % PAGE)
        with open(PAGE) as f:
            self.page = f.read()

    def test_every_module_is_on_the_page(self):
        missing = []
        for path in package_modules():
            name = os.path.basename(path)[:-len('.py')]
            pattern = r'(?<![\w.])%s(\.py)?(?!\w)' % re.escape(name)
            if not re.search(pattern, self.page):
                missing.append(path)
        self.assertEqual([], missing,
                         'modules missing from %s' % PAGE)

    def test_every_module_on_the_page_exists(self):
        basenames = {os.path.basename(p) for p in package_modules()}
        gone = []
        for token in set(re.findall(r'[\w/]+\.py\b', self.page)):
            if '/' in token:
                if not os.path.exists(os.path.join(ROOT, token)):
                    gone.append(token)
            elif token not in basenames:
                gone.append(token)
        for folder in set(re.findall(r'\bnova_zvm/[\w/]+/', self.page)):
            if not os.path.isdir(os.path.join(ROOT, folder)):
                gone.append(folder)
        self.assertEqual([], sorted(gone),
                         'named on %s but not in the tree' % PAGE)
