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

"""The spool: vmur (punch, list, receive) and guests' readers.

Spool file names follow CP's 8.8 rule (a name and a type of at most
eight characters each).
"""

from nova_zvm.simulator.zvm import programs


def purge_reader(state, userid):
    """A user's reader files go with the user."""


@programs.program('vmur')
def vmur(zvm, args):
    return 1, 'vmur: not available\n'
