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

"""HTTP-level answers that are not zvmsdk's: token faults and 500 pages.

Fault rules for api ``token`` (``POST /token``) act before zvmsdk's token
handler runs; an ``http500`` rule answers with the web server's own error
page or with the JSON one zvmsdk's FaultWrapper sends when a handler
raises. The text page is also what the server sends for an unhandled
error in an application.
"""

import json
import time

from zvmsdk.sdkwsgi import util as sdk_util

from nova_zvm.simulator import admin
from nova_zvm.simulator import bridge
from nova_zvm.simulator import faults

TEXT_500_TYPE = 'text/html; charset=iso-8859-1'
TEXT_500 = (b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
            b'<html><head><title>500 Internal Server Error</title></head>'
            b'<body><h1>Internal Server Error</h1><p>The server encountered'
            b' an internal error or misconfiguration and was unable to '
            b'complete your request.</p></body></html>\n')


def token_fault(registry, app):
    """Fault rules for api 'token' (POST /token), at the HTTP level.

    The app to run for this request: ``app`` itself, or an error answer;
    raises bridge.HTTPFault for the rules the server itself answers.
    """
    rule = registry.decide(faults.TOKEN)
    if rule is None:
        return app
    if rule.action in faults.HTTP_ACTIONS:
        raise bridge.HTTPFault(rule.to_dict())
    if rule.action == 'hang':
        time.sleep(rule.get('seconds'))
        return app
    if rule.action == 'busy':
        answer = {'overallRC': 503, 'modID': sdk_util.SDKWSGI_MODID,
                  'rc': 503, 'rs': 1, 'errmsg': faults.BUSY_MESSAGE}
    else:
        answer = {k: rule.get(k) for k in ('overallRC', 'modID', 'rc',
                                           'rs')}
        answer['errmsg'] = rule.get('errmsg', 'Simulated error')
    answer['output'] = ''
    return admin.json_app(
        sdk_util.get_http_code_from_sdk_return(answer), answer)


def http500(rule):
    """(body, content type) of an http500 rule's answer.

    The web server's own error page, or a JSON one like FaultWrapper: the
    JSON form is what zvmsdk answers when a handler raises.
    """
    if rule.get('body', 'text') == 'json':
        answer = {'overallRC': rule.get('overallRC', 400),
                  'rc': rule.get('rc', 400), 'rs': rule.get('rs', 500),
                  'modID': rule.get('modID', sdk_util.SDKWSGI_MODID),
                  'output': '',
                  'errmsg': rule.get('errmsg', 'The server has either '
                                     'erred or is incapable of '
                                     'performing the requested '
                                     'operation.')}
        return json.dumps(answer).encode(), 'application/json'
    return TEXT_500, TEXT_500_TYPE
