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

"""FCP device reservations and connections of a guest, owned to the end.

The connector's FCP database records, per FCP device, the guest it is
*reserved* for (``assigner_id``), in which FCP Multipath Template, and how
many volume *connections* it carries. zvmsdk 1.6.3 never cleans it up for
a guest: ``guest_delete`` leaves it alone (a TODO in smtclient), and a
reservation made by ``get_volume_connector`` for an attach that Cinder
then refused stays until someone releases it. This module is that owner:

* :meth:`FCPReservations.release_guest` releases everything the database
  holds for a guest, whatever Nova's block device mappings say: the
  templates it has devices in come from ``get_fcp_templates(assigner_id)``
  (one call), each is released with ``get_volume_connector(reserve=False)``
  and, for a guest deleted from z/VM, the connections left on its devices
  (an attach whose answer was lost, a mapping Nova no longer has) are set
  to zero with ``set_fcp_usage``: the devices were dedicated to a directory
  entry that is gone. The number of calls depends on the guest's templates
  and paths, never on the number of guests.
* A release that fails (the connector is down) is not only logged: the
  guest is remembered and :meth:`FCPReservations.retry_pending` (run by
  the driver's periodic resource update) tries again until it succeeds.
  The list is kept in a per-host ledger file (:mod:`ledger`,
  ``zvm-fcp-releases-<host>.json`` in ``[zvm] image_tmp_path``), so a
  restarted nova-compute still retries.
* :meth:`FCPReservations.attach` sends ``volume_attach`` and, when its
  answer is lost (connection dropped or no answer in time: the call may
  have run), looks at the connector's connection counts of the guest's
  devices before deciding: counted means attached, and the attach
  succeeds instead of leaving a LUN on z/VM that Nova does not know and
  that a retry would attach twice.
* :meth:`FCPReservations.detach` does the same for ``volume_detach``,
  whose count-down zvmsdk does without checking which LUN is attached: a
  detach that ran (its devices count one connection fewer) succeeds, so
  Nova finishes it and never retries it; one that did not run fails and
  can be retried. When even the counts cannot be read, the counts seen
  before are remembered for the LUN: a retry that finds them lower does
  not call ``volume_detach`` again, which would count down a connection of
  another volume on the same devices.
"""

import threading

from oslo_log import log as logging

from nova import exception

from nova_zvm.virt.zvm import exception as zvm_exc
from nova_zvm.virt.zvm import ledger

LOG = logging.getLogger(__name__)

# {userid: gone} of the releases to try again, per compute host.
LEDGER = ledger.HostLedger('zvm-fcp-releases-%s.json', 'FCP releases')


class FCPReservations(object):
    """A guest's FCP devices in the connector's FCP database."""

    def __init__(self, client):
        self._client = client
        # The compute host (set by the driver's init_host): its ledger
        # keeps the releases to try again across restarts.
        self.host = None
        # userid -> True when the guest is gone from z/VM (its stale
        # connections are cleared too), for releases to try again; also
        # in the ledger when the host is known.
        self._pending = {}
        # (userid, lun) -> {fcp: connections} before a volume_detach whose
        # outcome could not be read (see detach).
        self._unknown_detach = {}
        self._lock = threading.Lock()

    # -- queries ---------------------------------------------------------

    def templates(self, userid):
        """Ids of the templates holding devices reserved for the guest."""
        out = self._client.call('get_fcp_templates', assigner_id=userid)
        return sorted(set(t['id'] for t in (out or {}).get(
            'fcp_templates') or [] if t.get('id')))

    def connections(self, userid, fcps):
        """{fcp: connections} of the devices, as counted for the guest.

        A device now held by another guest counts as 0 for this one.
        """
        counts = {}
        for fcp in fcps:
            usage = self._client.call('get_fcp_usage', fcp.lower()) or []
            owner = str(usage[0] if usage else '').upper()
            counts[fcp.lower()] = (int(usage[2] or 0) if len(usage) > 2 and
                                   owner == userid.upper() else 0)
        return counts

    # -- releases ----------------------------------------------------------

    def release(self, userid, template):
        """Release the guest's devices without connections in a template.

        :raises: the connector's error; the release is then retried later
        """
        try:
            self._client.call('get_volume_connector', userid, reserve=False,
                              fcp_template_id=template)
        except Exception:
            self.retry_later(userid)
            raise

    def release_guest(self, userid, gone=False):
        """Release every device the connector holds for the guest.

        :param gone: the guest is deleted from z/VM: the connections its
            devices still count are stale and are cleared as well
        :returns: True when nothing is left; False when the connector
            failed (logged; tried again by :meth:`retry_pending`)
        """
        try:
            for template in self.templates(userid):
                conn = self._client.call(
                    'get_volume_connector', userid, reserve=False,
                    fcp_template_id=template) or {}
                if gone:
                    self._clear_connections(userid, template,
                                            conn.get('zvm_fcp') or [])
        except exception.NovaException as err:
            LOG.warning("Could not release the FCP devices the z/VM Cloud "
                        "Connector holds for %(uid)s; trying again later: "
                        "%(err)s", {'uid': userid, 'err': err})
            self.retry_later(userid, gone)
            return False
        with self._lock:
            self._pending.pop(userid, None)
        if self.host:
            try:
                LEDGER.forget(self.host, userid)
            except OSError as err:
                LOG.warning("Cannot update %(path)s: %(err)s",
                            {'path': LEDGER.path(self.host), 'err': err})
        return True

    def _clear_connections(self, userid, template, fcps):
        for fcp, count in sorted(self.connections(userid, fcps).items()):
            if count:
                LOG.info("Clearing %(n)d connection(s) of FCP device "
                         "%(fcp)s left for deleted guest %(uid)s",
                         {'n': count, 'fcp': fcp, 'uid': userid})
                # The state get_volume_connector(reserve=False) leaves.
                self._client.call('set_fcp_usage', fcp, userid, 0, 0, '')

    def retry_later(self, userid, gone=False):
        with self._lock:
            gone = gone or self._pending.get(userid, False)
            self._pending[userid] = gone
        if self.host:
            try:
                gone = gone or bool(LEDGER.entries(self.host).get(userid))
                LEDGER.put(self.host, userid, gone)
            except OSError as err:
                LOG.error("Cannot record the FCP release of %(uid)s to "
                          "retry in %(path)s (retried until nova-compute "
                          "restarts): %(err)s", {
                              'uid': userid, 'err': err,
                              'path': LEDGER.path(self.host)})

    def pending(self):
        """{userid: gone} of the releases still to do."""
        recorded = LEDGER.entries(self.host) if self.host else {}
        with self._lock:
            for userid, gone in self._pending.items():
                recorded[userid] = gone or bool(recorded.get(userid))
        return recorded

    def retry_pending(self):
        """Try the failed releases again (periodic; never raises)."""
        for userid, gone in sorted(self.pending().items()):
            try:
                if self.release_guest(userid, gone):
                    LOG.info("Released the FCP devices left for %s", userid)
            except Exception as err:
                LOG.warning("Releasing the FCP devices of %(uid)s failed "
                            "again: %(err)s", {'uid': userid, 'err': err})

    # -- attach ------------------------------------------------------------

    def attach(self, request):
        """``volume_attach``, deciding on z/VM's state if the answer is lost.

        :returns: True when attached
        :raises: the connector's error when the LUN is not attached
        """
        before = self.connections(request['assigner_id'],
                                  request['zvm_fcp'])
        return self._call_deciding('volume_attach', request, before,
                                   self._counted_up, 'one more')

    # -- detach ------------------------------------------------------------

    def detach(self, request):
        """``volume_detach``, deciding on z/VM's state if the answer is lost.

        :returns: True when detached
        :raises: the connector's error when the LUN is still attached (or
            nobody can tell yet)
        """
        userid = request['assigner_id']
        key = (userid.upper(), str(request['target_lun']).lower())
        before = self.connections(userid, request['zvm_fcp'])
        with self._lock:
            earlier = self._unknown_detach.pop(key, None)
        if earlier is not None and self._counted_down(earlier, before):
            # An earlier detach whose answer was lost did run: a second
            # call would count down another volume's connection.
            LOG.warning("The earlier volume_detach of LUN %(lun)s of "
                        "%(uid)s ran (its answer was lost): detached", {
                            'lun': request['target_lun'], 'uid': userid})
            return True

        def undecided():
            # A retry checks the counts first (above).
            with self._lock:
                self._unknown_detach[key] = before

        return self._call_deciding('volume_detach', request, before,
                                   self._counted_down, 'one fewer',
                                   undecided)

    def _call_deciding(self, api, request, before, ran, change,
                       undecided=None):
        """Call ``api``; when its answer is lost, decide on the counts.

        :param ran: tells from the connection counts before and after
            whether the call ran
        :param undecided: called when the counts cannot be read afterwards
        :returns: True when the call (or its lost-answer run) took effect
        :raises: the lost call's error when it did not run or nobody can
            tell
        """
        userid = request['assigner_id']
        try:
            self._client.call(api, request)
            return True
        except zvm_exc.ConnectorUnreachable as err:
            lost = err
        # The call may have run: look at what the connector counted.
        try:
            after = self.connections(userid, request['zvm_fcp'])
        except exception.NovaException as err:
            LOG.error("The answer of %(api)s for LUN %(lun)s of %(uid)s "
                      "was lost and the connector cannot tell whether it "
                      "ran: %(err)s", {'api': api,
                                       'lun': request['target_lun'],
                                       'uid': userid, 'err': err})
            if undecided is not None:
                undecided()
            raise lost
        if ran(before, after):
            LOG.warning("The answer of %(api)s for LUN %(lun)s of %(uid)s "
                        "was lost, but the connector counts %(change)s "
                        "connection on %(fcps)s: done", {
                            'api': api, 'lun': request['target_lun'],
                            'uid': userid, 'change': change,
                            'fcps': sorted(before)})
            return True
        raise lost

    @staticmethod
    def _counted_up(before, after):
        return bool(before) and all(after.get(f, 0) > n
                                    for f, n in before.items())

    @staticmethod
    def _counted_down(before, after):
        return bool(before) and all(after.get(f, 0) < n
                                    for f, n in before.items())


def fcp_set(fcps):
    """FCP device numbers, lower case and sorted, to compare sets."""
    return sorted(f.lower() for f in fcps or [])


def not_found(err):
    """Whether a connector error says it has no record of the LUN/guest."""
    return getattr(err, 'overallRC', None) == 404
