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

"""The guests' operating systems: what runs inside a logged-on guest.

iucvclnt runs commands inside a guest (smtLayer's cmdVM); at its first
IPL after a deploy a guest configures itself from the reader file
cfgdrive.iso (zvmguestconfigure).
"""

from nova_zvm.simulator.zvm import programs


def boot(zvm, userid):
    """A guest was IPLed (logged on)."""


@programs.program('iucvclnt')
def iucvclnt(zvm, args):
    return 1, 'IUCV connection to %s failed\n' % (args[:1] or ['?'])[0]
