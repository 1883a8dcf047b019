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

"""Sphinx configuration of the nova-zvm-virt-driver documentation.

Built with warnings as errors (``tox -e docs``). The build must work from a
git checkout and from an unpacked sdist (no ``.git``): openstackdocstheme
asks git for the commit and warns without one, so it is used only inside a
git work tree, and the plain alabaster theme otherwise. The version comes
from the installed distribution, never from git.
"""

import importlib.metadata
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def _in_git_work_tree():
    try:
        out = subprocess.run(
            ['git', '-C', ROOT, 'rev-parse', '--is-inside-work-tree'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == b'true'


def _have(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _version():
    try:
        return importlib.metadata.version('nova-zvm-virt-driver')
    except importlib.metadata.PackageNotFoundError:
        return ''


# -- General configuration ---------------------------------------------------

extensions = [
    # [zvm] option reference (show-options) and the generated sample file.
    'oslo_config.sphinxext',
    'oslo_config.sphinxconfiggen',
    # support-matrix.ini rendered as a table.
    'sphinx_feature_classification.support_matrix',
]

USE_OPENSTACKDOCSTHEME = _have('openstackdocstheme') and _in_git_work_tree()
if USE_OPENSTACKDOCSTHEME:
    extensions.append('openstackdocstheme')

config_generator_config_file = os.path.join(
    ROOT, 'etc', 'nova_zvm-config-generator.conf')
# Written to doc/source/_static/nova_zvm.conf.sample (not in git).
sample_config_basename = '_static/nova_zvm'

project = 'nova-zvm-virt-driver'
copyright = '2026, nova-zvm-virt-driver developers'
release = version = _version()

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'
exclude_patterns = ['_build']
pygments_style = 'native'
add_module_names = False

# -- HTML output -------------------------------------------------------------

if USE_OPENSTACKDOCSTHEME:
    html_theme = 'openstackdocs'
    openstackdocs_repo_name = 'x/nova-zvm-virt-driver'
    openstackdocs_bug_project = 'nova-zvm-virt-driver'
    openstackdocs_bug_tag = 'doc'
    openstackdocs_auto_name = False
    openstackdocs_auto_version = False
    openstackdocs_use_storyboard = False
else:
    html_theme = 'alabaster'
    html_theme_options = {'description': 'Nova compute driver for z/VM',
                          'fixed_sidebar': True}

# The generated sample lives in _static, which git does not keep: make it
# before Sphinx checks html_static_path (the sample is written later).
os.makedirs(os.path.join(HERE, '_static'), exist_ok=True)
html_static_path = ['_static']
htmlhelp_basename = 'nova-zvm-virt-driverdoc'
