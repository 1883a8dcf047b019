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

"""The connector-bound limit of the ``boot`` case: bare connector calls.

One spawn of this driver is recorded (its connector calls with their
arguments, and a copy of its config drive), then replayed for N new
guests at once by a bare client: the same calls, one HTTP request each,
nothing between them. Their wall time is what the connector (zvmsdk's
real code over the fake z/VM, on this machine) needs for N boots whatever
the driver does: 20 deploys in parallel plus the calls around them,
including the connector's own queueing (zvmsdk serialises its database
reads; its programs share the machine's CPUs). A driver cannot boot
faster than that; its ratio to it is the driver's own cost.
"""

from concurrent import futures
import contextlib
import os
import shutil
import threading
import time

from nova_zvm.virt.zvm import client as zvm_client
from nova_zvm.virt.zvm import exception as zvm_exc

import benchmark_common as common

# Userids of the replayed guests: BN + 6 hex digits (8 characters).
USERID_FORMAT = 'BN%06X'


class CallRecorder(object):
    """Records the connector calls a driver makes while ``recording()``.

    It wraps the ``call`` of the driver's client object (every part of the
    driver holds that same object). A config drive passed to
    ``guest_deploy`` is copied to ``keep_dir``: the driver removes its own
    right after the deploy.
    """

    def __init__(self, client, keep_dir):
        self.calls = []
        self.keep_dir = keep_dir
        self._call = client.call
        self._on = False
        client.call = self._record

    @contextlib.contextmanager
    def recording(self):
        self._on = True
        try:
            yield self
        finally:
            self._on = False

    def _record(self, api_name, *args, **kwargs):
        if self._on:
            recorded = dict(kwargs)
            if kwargs.get('transportfiles'):
                # zvmguestconfigure and vmur want this very file name.
                os.makedirs(self.keep_dir, exist_ok=True)
                kept = os.path.join(self.keep_dir,
                                    os.path.basename(kwargs['transportfiles']))
                shutil.copy2(kwargs['transportfiles'], kept)
                recorded['transportfiles'] = kept
            self.calls.append((api_name, args, recorded))
        return self._call(api_name, *args, **kwargs)

    def userid(self):
        """The userid the recorded spawn created."""
        for api_name, args, _kwargs in self.calls:
            if api_name == 'guest_create':
                return args[0]
        raise RuntimeError('no guest_create was recorded')


def _replace(value, old, new):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, old, new) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, old, new) for k, v in value.items()}
    return value


def replay(recorder, count, first_number):
    """Replay the recorded spawn for ``count`` new guests at once.

    Returns (seconds of one replay alone, seconds of ``count`` at once,
    errors); every guest made is deleted.
    """
    old = recorder.userid()
    client = zvm_client.ConnectorClient.from_conf(common.CONF)
    errors = []
    made = []
    lock = threading.Lock()

    def boot(number):
        userid = USERID_FORMAT % number
        with lock:
            made.append(userid)
        try:
            for api_name, args, kwargs in recorder.calls:
                client.call(api_name, *_replace(args, old, userid),
                            **_replace(kwargs, old, userid))
        except Exception as err:
            with lock:
                errors.append('bare client: %s: %s' % (
                    type(err).__name__, (str(err).splitlines() or [''])[0]))

    try:
        started = time.monotonic()
        boot(first_number)
        alone = time.monotonic() - started
        together = common.at_once(boot, [(first_number + 1 + i,)
                                         for i in range(count)])
    finally:
        def delete(userid):
            try:
                client.call('guest_delete', userid)
            except zvm_exc.GuestNotFound:
                pass
            except Exception as err:
                with lock:
                    errors.append('bare client left %s: %s' % (userid, err))

        with futures.ThreadPoolExecutor(common.DELETERS) as pool:
            list(pool.map(delete, made))
        client.close()
        shutil.rmtree(recorder.keep_dir, ignore_errors=True)
    return alone, together, sorted(set(errors))
