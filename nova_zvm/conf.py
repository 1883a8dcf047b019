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

"""Configuration options of the z/VM driver, all in the ``[zvm]`` group.

Nova itself registers ``[zvm] cloud_connector_url``, ``ca_file``,
``image_tmp_path`` and ``reachable_timeout`` (nova.conf.zvm). Registering any
of those again with a different definition raises ``DuplicateOptError``, so
this module registers only new names and :func:`list_opts` returns Nova's four
together with ours, so that ``oslo-config-generator --namespace nova_zvm``
prints the complete section.
"""

from oslo_config import cfg

import nova.conf
from nova.conf import zvm as nova_zvm_conf

CONF = nova.conf.CONF

# Same name as Nova's group (options land in one [zvm] section); the help
# describes this driver, and is what the generated sample shows.
GROUP = cfg.OptGroup('zvm', title='z/VM driver options', help="""
Options of the z/VM compute driver (``compute_driver = zvm_ext.ZVMDriver``)
from nova-zvm-virt-driver. The first four options are defined by Nova itself
and shared with Nova's in-tree z/VM driver; the others are this driver's.
""")

connection_opts = [
    cfg.StrOpt('connector_token_file',
               help="""
Path of the file that holds the z/VM Cloud Connector's admin token.

Set it when the connector runs with token authentication
(``[wsgi] auth = token`` in the connector's own configuration). The driver
reads the file, exchanges the admin token for a short-lived token at
``POST /token`` and sends that token with every request; it asks for a new
one only when the connector rejects the current one (HTTP 401). The file must
be readable by the nova-compute user; its content never appears in a log.
It is read again whenever a new token is needed: after the connector's admin
token is changed, copy the new one here (a refused admin token is reported
naming this option, and the host takes no servers meanwhile).

Leave unset for a connector without authentication.
"""),
    cfg.FloatOpt('connect_timeout',
                 default=10.0,
                 min=0.1,
                 help="""
Seconds to wait for a TCP (and TLS) connection to the connector.
"""),
    cfg.FloatOpt('read_timeout',
                 default=300.0,
                 min=1.0,
                 help="""
Seconds to wait for the connector's answer to an ordinary request (power
operations, queries, NIC and disk changes).

A power-off that waits for the guest to shut down takes up to the timeout
Nova passes to the driver; that wait is added to this value for that call.
"""),
    cfg.FloatOpt('long_read_timeout',
                 default=3600.0,
                 min=1.0,
                 help="""
Seconds to wait for the connector's answer to a long request: image import
and export, guest deploy and capture, file upload, live migration. These copy
whole disks on the z/VM side.
"""),
    cfg.IntOpt('retry_attempts',
               default=3,
               min=0,
               max=20,
               help="""
How many times a request that is safe to repeat is sent again after a
connection error or a busy answer (HTTP 503 or connector overallRC 503).

Requests that change state and are not idempotent (creating a guest, a NIC or
a disk, deploying, capturing, importing an image) are never sent again
blindly: a connection error on those is reported as a failure.
"""),
    cfg.FloatOpt('retry_interval',
                 default=1.0,
                 min=0.0,
                 help="""
Seconds before the first retry of a request; each further retry waits twice
as long as the one before, up to ``retry_max_interval``.
"""),
    cfg.FloatOpt('retry_max_interval',
                 default=10.0,
                 min=0.0,
                 help="""
Upper bound in seconds of the wait between two retries of one request.
"""),
    cfg.FloatOpt('busy_retry_timeout',
                 default=600.0,
                 min=0.0,
                 help="""
Most seconds a request is retried while the connector answers "busy" before
running it (its REST layer refuses deploys and captures over its own
``max_concurrent_deploy_capture``).

Such a request did not run, so it is sent again, deploys and captures
included, waiting ``retry_interval`` and then twice as long each time, up to
``retry_max_interval``, until the waits add up to this many seconds; then
the operation fails. 0 retries busy answers only ``retry_attempts`` times.
"""),
    cfg.IntOpt('max_concurrent_deploy_capture',
               default=20,
               min=1,
               help="""
How many image deploys and captures this compute service runs at once.

The default is the connector's own default limit (``[wsgi]
max_concurrent_deploy_capture`` of the z/VM Cloud Connector, 20): one compute
service uses all the parallelism the connector allows. The connector refuses
more than its limit with "busy"; those refusals are retried (see
``busy_retry_timeout``), but when several compute services share one
connector, dividing the connector's limit among them avoids them.
"""),
]

guest_opts = [
    cfg.StrOpt('disk_pool',
               regex=r'^(ECKD|FBA|eckd|fba):[A-Za-z0-9_$#@]{1,8}$',
               help="""
Disk pool from which the guests' minidisks are allocated, in the form
``TYPE:NAME`` with TYPE ``ECKD`` or ``FBA``, for example ``ECKD:POOL1``.

Unset, the connector's own default disk pool is used. A compute node deploys
images of one disk type only: the pool's type must match the disk type of the
images it boots. The pool's size is what the node reports to placement as
``DISK_GB``. A minidisk lives on one volume of the pool: a root, ephemeral or
swap disk larger than the pool's largest volume is refused before anything
is created, and ``DISK_GB`` ``max_unit`` is ``[DEFAULT]
max_local_block_devices`` times that volume's size (in GB, rounded down).

The format is checked when nova-compute starts; that the connector has the
pool, and that its volumes are of the declared type, when the connector
first answers (a wrong pool keeps the node out of scheduling, and says so).
"""),
    cfg.StrOpt('user_profile',
               regex=r'^[A-Za-z0-9_$#@]{1,8}$',
               help="""
z/VM directory profile that new guests include (the ``INCLUDE`` statement of
their directory entry), for example ``OSDFLT``: 1 to 8 characters. Unset,
the connector's own default profile is used. The connector cannot list the
profiles: an unknown one fails the first boot.
"""),
    cfg.IntOpt('guest_max_cpus',
               min=1,
               max=64,
               help="""
Most virtual CPUs a guest may be given later (z/VM ``MACHINE ... n``).
Unset, the connector's default applies. Must be at least the largest flavor's
vCPU count for resize to succeed.
"""),
    cfg.StrOpt('guest_max_memory',
               regex=r'^[0-9]{1,8}[mMgG]$',
               help="""
Most memory a guest may be given later (z/VM directory ``MAXSTORAGE``), for
example ``64G``. Unset, the connector's default applies. Must be at least the
largest flavor's memory for resize to succeed.
"""),
    cfg.StrOpt('default_ephemeral_format',
               default='ext3',
               choices=['ext2', 'ext3', 'ext4', 'xfs'],
               help="""
File system the connector makes on an ephemeral disk when neither the block
device mapping nor Nova's ``[DEFAULT] default_ephemeral_format`` names one.
"""),
    cfg.IntOpt('softstop_poll_interval',
               default=10,
               min=1,
               help="""
Seconds between two checks of the guest's power state while a soft power-off
waits for the guest to shut down, when Nova does not pass its own interval.
"""),
]

migration_opts = [
    cfg.BoolOpt('image_tmp_path_shared',
                default=False,
                help="""
Whether ``image_tmp_path`` is one shared file system (NFS, for example),
mounted at the same path on every compute host this host migrates servers
to.

A server that resizes or migrates to another host travels as a disk image
file in ``image_tmp_path``. When this option is set, the file is left where
it is for the destination to read. When it is not set, the file is left in
place only if the destination is this machine (its migration address is
``[DEFAULT] my_ip``) or if a marker file made on the destination over ssh
appears here; otherwise it is copied with ``remote_copy_transport``.
``image_tmp_path`` must be the same path on all those hosts either way.
"""),
    cfg.StrOpt('remote_copy_transport',
               default='ssh',
               choices=[
                   ('ssh', 'Copy with scp.'),
                   ('rsync', 'Copy with rsync over ssh (sparse files).'),
               ],
               help="""
How a migrating server's disk image file is copied to a destination host that
does not share ``image_tmp_path``.

Both ways use ssh in batch mode: nova-compute's user needs key-based ssh
access to the other compute hosts (as for Nova's libvirt driver), which is
also used to make the directory and the shared-storage marker file on the
destination and to remove a partial copy after a failure.
"""),
    cfg.BoolOpt('recreate_ephemeral_disks',
                default=False,
                help="""
Allow resizes and migrations that recreate a server's ephemeral disks empty.

The z/VM Cloud Connector captures a guest's root disk only, so the ephemeral
disks of a server moving to another host are created again, empty and
formatted, on the destination; on the same host, an ephemeral disk that grows
with the new flavor is created again too. With this option unset, such a
resize or migration is refused before anything is changed and the server
keeps running. Servers without ephemeral disks, and same-host resizes that
keep the ephemeral disks as they are, are never affected.
"""),
]

ALL_NEW_OPTS = connection_opts + guest_opts + migration_opts

# What the options checked by a regex accept, in the words of the error the
# driver gives at start-up for a bad value (startup.check_option_values).
ACCEPTED = {
    'disk_pool': "TYPE:NAME with TYPE ECKD or FBA and a NAME of 1 to 8 "
                 "characters (A-Z, 0-9, @, #, $, _), for example ECKD:POOL1",
    'user_profile': "a z/VM profile name of 1 to 8 characters (A-Z, 0-9, "
                    "@, #, $, _), for example OSDFLT",
    'guest_max_memory': "a size of 1 to 8 digits followed by M or G, for "
                        "example 64G",
}


volume_opts = [
    cfg.StrOpt('fcp_template_id',
               help="""
Id of the z/VM Cloud Connector's FCP Multipath Template from which the FCP
devices of guests attaching volumes are reserved.

Each guest gets one FCP device from each path (``;``-separated device group)
of the template, the same devices for all its volumes, and keeps them while
it has a volume. Unset, the connector picks the default template of the
storage provider named by ``fcp_storage_provider``, or else its host default
template. The connector lists its templates at ``GET /volumes/fcptemplates``.
"""),
    cfg.StrOpt('fcp_storage_provider',
               help="""
Storage provider name passed to the connector when it reserves FCP devices:
with ``fcp_template_id`` unset, the connector uses that storage provider's
default FCP Multipath Template (and its host default template when the
provider has none). Unset, only the host default template applies.
"""),
    cfg.BoolOpt('volume_multipath',
                default=True,
                help="""
Whether guests reach volumes through several FCP paths with Linux multipath.

Reported to Cinder in the volume connector (``multipath``), so that the
storage back end answers every target port, and passed to the connector,
which configures the LUN in the guest with ``multipathd`` when set. Images
must then run ``multipathd``; the connector's attach fails otherwise. Unset
for images without multipath tools (one path is then used as a plain SCSI
disk).
"""),
]

live_migration_opts = [
    cfg.IntOpt('live_migration_max_total',
               default=-1,
               min=-1,
               help="""
Most seconds a live migration (z/VM Live Guest Relocation, ``VMRELOCATE
MAXTOTAL``) may take in total before z/VM cancels it and the guest keeps
running on its source.

The driver always sends a limit, so that it never has to guess where the
guest runs: -1 (or 0, or a value above ``long_read_timeout``) sends
``long_read_timeout``. If the connector's answer does not come in time, the
driver asks z/VM where the guest is until the guest has left or the limit
plus a minute has passed, then completes the migration or rolls it back.
"""),
    cfg.IntOpt('live_migration_max_quiesce',
               default=10,
               min=-1,
               help="""
Most seconds a guest may be stopped during the final phase of a live
migration (``VMRELOCATE MAXQUIESCE``) before z/VM cancels the relocation;
-1 for no limit. 10 is z/VM's default.
"""),
    cfg.BoolOpt('live_migration_immediate',
                default=False,
                help="""
Relocate in immediate mode (``VMRELOCATE IMMEDIATE``): one pass through the
guest's memory, then straight to the quiesce phase. Shorter relocations of
guests whose memory changes fast, at the price of a longer quiesce. Nova's
``force complete`` cannot switch a running relocation to this mode: the
connector has no API for it, so set it here beforehand.
"""),
]

# Files the connector reads and writes (connector_files.py).
file_opts = [
    cfg.StrOpt('connector_file_access',
               default='remote',
               choices=[
                   ('remote', "The connector copies files from and to this "
                    "host with scp as ``remote_host`` (Nova's in-tree "
                    "driver's way)."),
                   ('shared', 'The connector runs on this machine and '
                    'reads and writes the files in ``image_tmp_path`` '
                    'directly, through ``connector_group``.'),
               ],
               help="""
How the z/VM Cloud Connector reaches the files nova-compute hands it: the
config drive of a new guest (``guest_deploy``), an image to import
(``image_import``) and a snapshot or migration image it exports
(``image_export``).

``remote`` (the default, as with Nova's in-tree driver): the connector copies
each file with scp from or to ``remote_host``, so the connector's user needs
key-based ssh access to nova-compute's user on this host. The files stay
readable by nova-compute's user only (mode 0600: the config drive holds the
admin password and user data).

``shared``: nova-compute and the connector run on the same Linux guest, the
connector as its own user (``zvmsdk``); the files are made readable (the
export targets writable) by ``connector_group`` and never by others.
"""),
    cfg.StrOpt('remote_host',
               help="""
``<user>@<address>`` the connector copies files from and to, with
``connector_file_access = remote``. The default is nova-compute's own user at
``[DEFAULT] my_ip``, as Nova's in-tree driver does.
"""),
    cfg.StrOpt('connector_group',
               help="""
With ``connector_file_access = shared``: the group the connector's user
belongs to. Files the connector must read or write are given this group
(modes 0640 and 0660, their folder 0750) and are never readable by others.
nova-compute's user must be a member of the group (or root); checked at
start-up.
"""),
]

# Volumes and live migration (volume/, live_migration.py).
ALL_NEW_OPTS = ALL_NEW_OPTS + volume_opts + live_migration_opts + file_opts


def register_opts(conf):
    """Register this driver's new options (Nova registers its own four)."""
    conf.register_group(GROUP)
    conf.register_opts(ALL_NEW_OPTS, group=GROUP)


def list_opts():
    """The whole ``[zvm]`` section: Nova's options followed by ours."""
    return [(GROUP, nova_zvm_conf.zvm_opts + ALL_NEW_OPTS)]


register_opts(CONF)
