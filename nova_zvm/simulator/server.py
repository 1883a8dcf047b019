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

"""The simulator: the connector behind an HTTP(S) server, composed.

``Simulator`` holds the connector's admin view, the fault rules and
latency, the counters, the bridge (the sdkserver over the real SDKAPI),
zvmsdk's WSGI app, the admin app of ``/_simulator/`` and the HTTP server
(httpd.py) with its thread. It also builds zvmsdk's jsonschema validator
class once instead of per request.
"""

import threading

import jsonschema
from zvmsdk.sdkwsgi import deploy
from zvmsdk.sdkwsgi import validation

from nova_zvm.simulator import admin
from nova_zvm.simulator import bridge
from nova_zvm.simulator import counters
from nova_zvm.simulator import faults
from nova_zvm.simulator import httpd


def _no_op_keyword(validator, value, instance, schema):
    pass


_VALIDATOR_CLASS = jsonschema.validators.extend(
    validation._SchemaValidator.validator_org, {'dummy': _no_op_keyword})


def _schema_validator_init(self, schema, relax_additional_properties=False,
                           is_body=True):
    self.is_body = is_body
    self.validator = _VALIDATOR_CLASS(
        schema, format_checker=validation.FormatChecker())


def reuse_schema_validator_class():
    """Build zvmsdk's jsonschema validator class once, not per request.

    zvmsdk's _SchemaValidator calls jsonschema.validators.extend() for
    every validated request; that creates a class each time and costs
    milliseconds, more than the rest of the request. The class is the same
    every time (Draft 4 plus a no-op 'dummy' keyword), so it is built once;
    validation itself, its errors and messages are zvmsdk's.
    """
    validation._SchemaValidator.__init__ = _schema_validator_init


class Simulator(object):
    """The composition: connector, bridge, zvmsdk app, admin app, server.

    ``connector`` is the connector's admin view (zvm/inventory.py): the
    real SDKAPI's methods, and the admin helpers of ``/_simulator/``.
    """

    def __init__(self, connector, host='127.0.0.1', port=0, ssl_context=None,
                 fault_rules=(), latency=None, keepalive_timeout=120.0):
        self.connector = connector
        self.counters = counters.Counters()
        self.faults = faults.FaultRegistry()
        self.faults.add(list(fault_rules))
        self.latency = latency or faults.Latency()
        bridge.install_client_hook()
        reuse_schema_validator_class()
        self.bridge = bridge.Bridge(bridge.ConnectorAPI(
            connector, self.faults, self.latency, self.counters.api_call))
        self.app = deploy.loadapp()
        self.admin_app = admin.AdminApp(self)
        self.httpd = httpd.HTTPServer((host, port), self, ssl_context,
                                      keepalive_timeout)
        self._thread = None

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        if ':' in host:
            host = '[%s]' % host
        return '%s://%s:%d' % (self.httpd.scheme, host, port)

    def start(self):
        self.bridge.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={'poll_interval': 0.2},
                                        name='httpd', daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()
        self.bridge.stop()
