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

"""Sphinx configuration of the release notes (``tox -e releasenotes``).

reno reads the notes from git history, so this build needs a git
checkout. openstackdocstheme is used when it is installed, the plain
alabaster theme otherwise.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def _have(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


extensions = ['reno.sphinxext']

if _have('openstackdocstheme'):
    extensions.append('openstackdocstheme')
    html_theme = 'openstackdocs'
    openstackdocs_repo_name = 'x/nova-zvm-virt-driver'
    openstackdocs_bug_project = 'nova-zvm-virt-driver'
    openstackdocs_bug_tag = 'releasenotes'
    openstackdocs_auto_name = False
    openstackdocs_use_storyboard = False
else:
    html_theme = 'alabaster'

project = 'nova-zvm-virt-driver Release Notes'
copyright = '2026, nova-zvm-virt-driver developers'
# Release notes are not versioned: they cover every release.
version = ''
release = ''

source_suffix = {'.rst': 'restructuredtext'}
master_doc = 'index'
exclude_patterns = []
pygments_style = 'native'
html_static_path = []
htmlhelp_basename = 'nova-zvm-virt-driverReleaseNotesdoc'
locale_dirs = ['locale/']
