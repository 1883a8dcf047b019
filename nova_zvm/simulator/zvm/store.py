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

"""Persistence of the fake z/VM's state: small JSON files.

JSON files are replaced atomically (write to a temporary file, rename), so
a reader or a crash never sees half a file. They are not fsync'ed: the
simulator survives restarts of itself, not power failures of its host.
The layout of the state directory is state.py's.
"""

import json
import os
import uuid


def write_json(path, data):
    """Replace ``path`` with ``data`` as JSON, atomically."""
    # json.dumps uses the C encoder; json.dump would stream in Python.
    text = json.dumps(data, sort_keys=True, separators=(',', ':'))
    tmp = '%s.%s.tmp' % (path, uuid.uuid4().hex)
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def makedirs(*paths):
    for path in paths:
        os.makedirs(path, exist_ok=True)
