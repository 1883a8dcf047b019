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

"""The real sdkserver socket protocol in front of the real SDKAPI.

The REST handlers of zvmsdk build a ``ZVMConnector(connection_type='socket',
ip_addr=CONF.sdkserver.bind_addr, port=CONF.sdkserver.bind_port)`` and send
``[api_name, args, kwargs]`` over a new TCP connection for every call.
:class:`Bridge` is a ``zvmsdk.sdkserver.SDKServer`` whose real ``serve_API``
(one ``recv(4096)``, JSON decoding, API lookup, exception to answer mapping)
answers them; its ``sdkapi`` is :class:`ConnectorAPI`, which adds latency
and fault rules around the methods of the connector's real
``zvmsdk.api.SDKAPI`` (built by zvm/connector.py).

Faults that only the HTTP layer can produce (a dropped connection, a web
server error) are decided here, where the API name is known, and handed to
the HTTP thread inside the socket answer (:data:`FAULT_MARKER`); the client
hook installed by :func:`install_client_hook` turns them into
:class:`HTTPFault`, which the server handles.
"""

import functools
import inspect
import logging
import socket
import threading
import time

from zvmconnector import socketclient
from zvmsdk import api as sdkapi
from zvmsdk import config
from zvmsdk import exception
from zvmsdk import returncode
from zvmsdk import sdkserver

from nova_zvm.simulator import faults

LOG = logging.getLogger(__name__)

FAULT_MARKER = '__nova_zvm_simulator_fault__'
# How long a finished sdkserver connection waits for the client to close.
_LINGER_SECONDS = 2.0

# Public methods of the real SDKAPI: nothing else is reachable through the
# protocol (the simulator's admin helpers are not connector APIs).
API_NAMES = frozenset(
    name for name, _ in inspect.getmembers(sdkapi.SDKAPI, inspect.isfunction)
    if not name.startswith('_'))

# Per HTTP thread: the API names its handler sent over the socket, so the
# HTTP layer can count requests per API name and apply HTTP-level faults.
current = threading.local()


class HTTPFault(BaseException):
    """An HTTP-level fault for the request being handled in this thread.

    A BaseException so that zvmsdk's FaultWrapper (``except Exception``)
    lets it through to the server, which drops the connection or answers
    the web server error itself.
    """

    def __init__(self, rule):
        super(HTTPFault, self).__init__(rule.get('action'))
        self.rule = rule


class SimulatedFault(exception.SDKBaseException):
    """An answer chosen by a fault rule, mapped by the real serve_API."""

    def __init__(self, overall_rc, mod_id, rc, rs, errmsg):
        results = {'overallRC': overall_rc, 'modID': mod_id, 'rc': rc,
                   'rs': rs}
        super(SimulatedFault, self).__init__(message=errmsg,
                                             results=results)


class ConnectorAPI(object):
    """The ``sdkapi`` of the Bridge: SDKAPI's methods behind the rules.

    ``connector`` is the connector's admin view (zvm/inventory.py): its
    attributes that are connector APIs are the real SDKAPI's methods; its
    admin helpers (vanish_guest, power_off_behind) act behind Nova's back.
    """

    def __init__(self, connector, fault_registry=None, latency=None,
                 on_call=None, sleep=time.sleep):
        self._connector = connector
        self._faults = fault_registry or faults.FaultRegistry()
        self._latency = latency or faults.Latency()
        self._on_call = on_call
        self._sleep = sleep

    def __getattr__(self, name):
        # serve_API maps AttributeError to the real "wrong API name" answer.
        if name not in API_NAMES:
            raise AttributeError(name)
        func = getattr(self._connector, name)
        return functools.partial(self._call, name, func)

    def _call(self, name, func, *args, **kwargs):
        if self._on_call is not None:
            self._on_call(name)
        delay = self._latency.delay(name)
        if delay > 0:
            self._sleep(delay)
        rule = self._faults.decide(name)
        if rule is None:
            return func(*args, **kwargs)
        return self._apply(rule, func, args, kwargs)

    def _apply(self, rule, func, args, kwargs):
        action = rule.action
        if action == 'sdk_error':
            raise SimulatedFault(rule.get('overallRC'), rule.get('modID'),
                                 rule.get('rc'), rule.get('rs'),
                                 rule.get('errmsg', 'Simulated error'))
        if action == 'busy':
            raise SimulatedFault(503, returncode.ModRCs['sdkwsgi'], 503, 1,
                                 faults.BUSY_MESSAGE)
        if action == 'hang':
            self._sleep(rule.get('seconds'))
            return func(*args, **kwargs)
        if action in faults.HTTP_ACTIONS:
            # The operation may or may not have happened when the client
            # loses its answer; 'execute' chooses.
            if rule.get('execute', False):
                func(*args, **kwargs)
            return {FAULT_MARKER: rule.to_dict()}
        return self._guest_action(rule, func, args, kwargs)

    def _guest_action(self, rule, func, args, kwargs):
        userid = rule.get('userid') or kwargs.get('userid') or (
            args[0] if args and isinstance(args[0], str) else None)
        if rule.action == 'vanish':
            act = functools.partial(self._connector.vanish_guest,
                                    keep_db=rule.get('keep_db', True))
        else:
            act = self._connector.power_off_behind

        def behind_novas_back():
            if userid:
                try:
                    act(userid)
                except Exception as e:
                    LOG.info('fault %s on %s: %s', rule.action, userid, e)

        if rule.get('when', 'after') == 'before':
            behind_novas_back()
            return func(*args, **kwargs)
        try:
            return func(*args, **kwargs)
        finally:
            behind_novas_back()


class _LingeringSocket(object):
    """A client socket whose close() does not reset the connection.

    serve_API reads one recv(4096) and closes. When the request was longer,
    unread bytes are left and close() makes Linux send a reset, which may
    destroy the answer in flight: the client then reports a socket error
    (overallRC 101) instead of the sdkserver's answer (overallRC 500, modID
    100), depending on timing. Shutting down the write side first, then
    draining, makes the documented answer the only one.
    """

    def __init__(self, sock):
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def close(self):
        try:
            self._sock.shutdown(socket.SHUT_WR)
            self._sock.settimeout(_LINGER_SECONDS)
            while self._sock.recv(65536):
                pass
        except OSError:
            pass
        finally:
            self._sock.close()


class Bridge(sdkserver.SDKServer):
    """SDKServer on 127.0.0.1:<free port>, one thread per connection.

    The real ``__init__`` builds ``zvmsdk.api.SDKAPI`` (SMT, databases), and
    the real ``run`` starts workers only while ``threading.active_count()``
    is below ``max_worker_count``, which counts the web server's threads
    too; neither suits a simulator, so both are replaced. ``serve_API`` and
    ``send_results`` are the real ones.
    """

    def __init__(self, api, host='127.0.0.1', port=0):
        self.sdkapi = api
        self.request_queue = None
        self.server_socket = socket.socket(socket.AF_INET,
                                           socket.SOCK_STREAM)
        self.server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR,
                                      1)
        self.server_socket.bind((host, port))
        self.server_socket.listen(socket.SOMAXCONN)
        self.host, self.port = self.server_socket.getsockname()[:2]
        self._thread = None
        self._stopping = False

    def start(self):
        """Serve in the background; point the REST handlers at this port."""
        config.CONF.sdkserver.bind_addr = self.host
        config.CONF.sdkserver.bind_port = self.port
        self._thread = threading.Thread(target=self._accept_loop,
                                        name='sdkserver', daemon=True)
        self._thread.start()
        return self

    def _accept_loop(self):
        while not self._stopping:
            try:
                conn, addr = self.server_socket.accept()
            except OSError:
                if self._stopping:
                    return
                time.sleep(0.01)
                continue
            if self._stopping:
                conn.close()
                return
            threading.Thread(target=self.serve_API,
                             args=(_LingeringSocket(conn), addr),
                             daemon=True).start()

    def stop(self):
        self._stopping = True
        # Closing a socket does not reliably wake a thread (or greenthread)
        # blocked in accept(); a connection does.
        try:
            socket.create_connection((self.host, self.port), 1).close()
        except OSError:
            pass
        self.server_socket.close()
        if self._thread is not None:
            self._thread.join(5)


_original_call = socketclient.SDKSocketClient.call


def _hooked_call(client, func, *api_args, **api_kwargs):
    names = getattr(current, 'api_names', None)
    if names is not None:
        names.append(func)
    results = _original_call(client, func, *api_args, **api_kwargs)
    output = results.get('output') if isinstance(results, dict) else None
    if isinstance(output, dict) and FAULT_MARKER in output:
        raise HTTPFault(output[FAULT_MARKER])
    return results


def install_client_hook():
    """Wrap the socket client the REST handlers use (idempotent)."""
    socketclient.SDKSocketClient.call = _hooked_call


def begin_request():
    """Start collecting the API names of this thread's HTTP request."""
    current.api_names = []


def end_request():
    """The API names sent during this thread's HTTP request."""
    names = getattr(current, 'api_names', None) or []
    current.api_names = None
    return names
