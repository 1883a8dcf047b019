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

"""``smcli``: the SMAPI (and DirMaint) APIs of the fake z/VM.

smtLayer calls ``sudo /opt/zthin/bin/smcli <API> --addRCheader <parms>``
(vmUtils.invokeSMCLI). The first output line is the header
``<overallRC> <rc> <rs> (details) <text>``: on success the exit code is 0
and smtLayer keeps the lines after the header as the response; on a
failure the exit code is non-zero and the header's SMAPI return and reason
codes become smtLayer's ``rc``/``rs`` (overallRC 8).

Each API is a function registered with :func:`api` taking
``(zvm, req)`` (:class:`Request`) and returning the response text, or
raising :class:`SMAPIError` with the SMAPI rc/rs of the real API.
"""

import shlex

from nova_zvm.simulator.zvm import programs

_APIS = {}

# SMAPI return codes used across the APIs (z/VM SMAPI reference).
RC_OK = 0
RC_NOT_FOUND = 400          # image or object not found (rs 4: not defined)
RC_ACTIVE = 200             # image (guest) state conflicts (rs 8: active...)
RC_DIRMAINT = 596           # DirMaint failed, rs = DirMaint message number
RC_CP = 396                 # CP command failed, rs = CP return code


class SMAPIError(Exception):
    """An SMAPI failure: answered as ``8 rc rs (details) text``."""

    def __init__(self, rc, rs, text=''):
        super(SMAPIError, self).__init__(text)
        self.rc = rc
        self.rs = rs
        self.text = text


class Request(object):
    """The parameters of one smcli call.

    ``target`` is ``-T``'s value (upper case); ``opts`` maps the other
    one-letter flags to their values (a flag given twice keeps a list);
    ``keys`` holds ``-k name=value`` pairs (upper-case names).
    """

    def __init__(self, api_name, args):
        self.api = api_name
        self.args = args
        tokens = shlex.split(' '.join(args))
        self.target = None
        self.opts = {}
        self.keys = {}
        self.key_list = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.startswith('-') and len(tok) == 2 and i + 1 < len(tokens):
                value = tokens[i + 1]
                i += 2
                if tok == '-T':
                    self.target = value.upper()
                elif tok == '-k':
                    name, _, val = value.partition('=')
                    self.keys[name.upper()] = val
                    self.key_list.append((name.upper(), val))
                else:
                    self.opts.setdefault(tok[1], []).append(value)
            else:
                self.opts.setdefault('', []).append(tok)
                i += 1

    def opt(self, flag, default=None):
        values = self.opts.get(flag)
        return values[0] if values else default


def api(*names):
    """Register the handler of one or more SMAPI API names."""
    def register(fn):
        for name in names:
            _APIS[name] = fn
        return fn
    return register


def api_names():
    """The SMAPI APIs the fake z/VM answers."""
    return sorted(_APIS)


def header(orc, rc, rs, text='None'):
    return '%d %d %d (details) %s\n' % (orc, rc, rs, text)


@programs.program('smcli')
def smcli(zvm, args):
    if not args:
        return 1, header(24, 24, 0, 'no API name')
    name = args[0]
    parms = [a for a in args[1:] if a != '--addRCheader']
    zvm.delay(name)
    fault = zvm.take_fault(name) or zvm.take_fault('smcli')
    if fault is not None:
        return 1, header(8, fault.rc, fault.rs, fault.output or 'fault')
    handler = _APIS.get(name)
    if handler is None:
        # What smcli says of an API it does not know.
        return 1, header(24, 24, 0, 'unknown API %s' % name)
    try:
        text = handler(zvm, Request(name, parms))
    except SMAPIError as e:
        return 1, header(8, e.rc, e.rs, e.text or name) + (e.text or '')
    text = text or ''
    if text and not text.endswith('\n'):
        text += '\n'
    return 0, header(0, 0, 0) + text
