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

"""The model's failures, as the real ``zvmsdk.exception`` classes.

Raising the connector's own classes makes every answer carry the real
``overallRC``/``modID``/``rc``/``rs``. Those classes fill ``results`` from
dictionaries shared by the whole process (``zvmsdk.returncode.errors``) and
update them in place, so two exceptions built at the same time in two
threads can end up with each other's codes. Every exception is therefore
built here, under one lock, and leaves with a private copy of its results.
"""

import threading

from zvmsdk import exception

_LOCK = threading.Lock()


def _build(cls, *args, **kwargs):
    with _LOCK:
        exc = cls(*args, **kwargs)
        if exc.results is not None:
            exc.results = dict(exc.results)
    return exc


def not_found(obj_desc, mod='zvmsdk', rs=1):
    """404 / modID of ``mod`` / rs (1: not in the connector, 3: not in the
    z/VM directory although in the connector's database).
    """
    return _build(exception.SDKObjectNotExistError, obj_desc=obj_desc,
                  modID=mod, rs=rs)


def guest_not_found(userid, rs=1):
    return not_found("Guest '%s'" % userid, mod='guest', rs=rs)


def zvm_not_found(msg, mod='zvmsdk'):
    return _build(exception.ZVMNotFound, msg, modID=mod)


def conflict(mod, rs, **kwargs):
    """409 with a ``zvmsdk.returncode`` conflict reason."""
    return _build(exception.SDKConflictError, modID=mod, rs=rs, **kwargs)


def invalid(msg):
    """100 / 400 / rs 3: invalid API argument format."""
    return _build(exception.SDKInvalidInputFormat, msg=msg)


def invalid_types(api, expected, inputtypes):
    return _build(exception.SDKInvalidInputTypes, api, expected, inputtypes)


def guest_op(rs, **kwargs):
    """300 / 10: a guest operation failed (deploy, capture, start...)."""
    return _build(exception.SDKGuestOperationError, rs=rs, **kwargs)


def network_op(rs, **kwargs):
    return _build(exception.SDKNetworkOperationError, rs=rs, **kwargs)


def image_op(rs, **kwargs):
    """300 / 40: an image operation failed."""
    return _build(exception.SDKImageOperationError, rs=rs, **kwargs)


def volume_op(rs, **kwargs):
    """300 / 30: a volume operation failed."""
    return _build(exception.SDKVolumeOperationError, rs=rs, **kwargs)


def not_implemented(func, mod='guest'):
    """501: ``zvmsdk`` passes the module *name* as modID here (sic)."""
    return _build(exception.SDKFunctionNotImplementError, func, modID=mod)


def internal(msg, mod='zvmsdk'):
    return _build(exception.SDKInternalError, msg, modID=mod)


def database(msg):
    """A database failure: no results, so the sdkserver answers 500."""
    return _build(exception.SDKDatabaseException, msg=msg)


def smt(overall_rc, rc, rs, request, detail):
    """An SMT (SMAPI/CP) request failure, modID 1, as ``SMTClient`` raises.

    :param request: the SMT request as zvmsdk would have sent it.
    :param detail: what z/VM answered (error text).
    """
    results = {'overallRC': overall_rc, 'rc': rc, 'rs': rs, 'errno': 0,
               'strError': detail, 'response': ['(Error) %s' % detail]}
    msg = ("SMT request failed. RequestData: '%s', Results: '%s'." %
           (request, {k: results[k] for k in ('overallRC', 'rc', 'rs')}))
    return _build(exception.SDKSMTRequestFailed, results, '%s %s' %
                  (msg, detail))


# z/VM answers the model reproduces, as (overallRC, rc, rs).
#: SMAPI: image (userid) definition not found.
SMT_NO_USER = (8, 400, 4)
#: SMAPI: image definition already exists (the handler maps it to 409).
SMT_USER_EXISTS = (8, 400, 8)
#: SMAPI: image not found, from the activation/deactivation calls.
SMT_NOT_ACTIVATABLE = (8, 200, 4)
#: smtLayer: the disk pool is not defined (the handler maps it to 404).
SMT_NO_POOL = (4, 5, 402)
#: DirMaint could not allocate the minidisk: not enough free space in the
#: group. The DirMaint reason code is the model's choice, not a verified
#: z/VM value; overallRC and rc are those of a failed DirMaint request.
SMT_POOL_FULL = (8, 596, 3541)
#: SMAPI: the virtual device is already defined in the directory entry.
SMT_VDEV_IN_USE = (8, 408, 4)
#: smtLayer: size of the disk is not an integer of cylinders/blocks.
SMT_BAD_DISK_SIZE = (4, 4, 202)
#: smtLayer: the disk size has no number before the magnitude.
SMT_EMPTY_DISK_SIZE = (4, 4, 200)
#: smtLayer: maximum memory smaller than the initial memory.
SMT_MAX_MEM_TOO_SMALL = (4, 4, 206)
#: smtLayer: IUCV command to the guest failed (socket error: guest is not
#: running Linux, is logged off or stopped).
SMT_IUCV_FAILED = (2, 4, 1)
#: SMAPI VMRELOCATE failed (eligibility, destination).
SMT_RELOCATE_FAILED = (8, 8, 3000)
#: SMAPI: the vswitch does not exist (handler maps it to 404).
SMT_NO_VSWITCH = (8, 212, 40)
#: SMAPI: the vswitch already exists (handler maps it to 409).
SMT_VSWITCH_EXISTS = (8, 212, 36)
