# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out an SMS task on endpoints: read history once, send what is missing, cancel, wait.

Per endpoint: one history read, then one POST per missing part, in order, while holding the endpoint's
lock in the state directory. A POST whose outcome is unknown is never repeated blindly: the settle rule
(``_settle``) decides, from the history read again over the settle time and from the send journal, whether
the part reached emnify. Check mode stops after the history read. Endpoints are worked on in parallel
(bounded); the client paces all of them under one rate-limit budget.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import datetime
import time

try:
    from concurrent.futures import ThreadPoolExecutor
except ImportError:  # pragma: no cover - Python 2 is not supported
    ThreadPoolExecutor = None

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError, EmnifyError, EmnifyOutcomeUnknown
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import CANCELED, FINAL_STATUSES, SMS_STATUS, UNSUCCESSFUL_STATUSES
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms, status_id
from ansible_collections.emnify.iot.plugins.module_utils._polling import MAX_INTERVAL, Rounds
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import (
    counts_as_copy,
    same_part,
    matching_history,
    plan_for_endpoint,
)
from ansible_collections.emnify.iot.plugins.module_utils._settle import (
    MAX_RESENDS,
    SETTLE_TIME,
    Journal,
    Settle,
    fingerprint,
    stripe_names,
)

# Unknown outcomes per endpoint whose part is sent again after the settle time, before the endpoint fails.
MAX_RECONCILE = MAX_RESENDS


class EndpointFailure(Exception):
    """This endpoint could not get its message; the others go on."""


def _moment(at):
    return datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime('at %H:%M:%S UTC')


def _status(number):
    if number is None:
        return None
    return dict(id=number, name=SMS_STATUS.get(number, str(number)))


class SmsTask:
    """One emnify_sms task over many endpoints. ``client`` is an EmnifyClient.

    ``state`` is the private state directory (a :class:`._state_dir.StateDir`) shared with the other runs of
    the user on the controller: its per-endpoint lock keeps two runs from sending the same part; ``None``
    (or a directory that cannot be used) coordinates nothing.
    """

    def __init__(self, client, spec, check_mode=False, force=False, hide_payload=False, concurrency=4,
                 sleep=time.sleep, clock=time.monotonic, specs=None, state=None, settle_time=SETTLE_TIME, wall_clock=time.time):
        self.client = client
        self.state = state
        # Wall-clock time: the journal's moments are compared across processes.
        self.settle = Settle(settle_time, clock=wall_clock, sleep=sleep)
        self.spec = spec
        # Per-endpoint messages (endpoint id -> MessageSpec); endpoints not in it get ``spec``.
        self.specs = specs or {}
        self.check_mode = check_mode
        self.force = force
        self.hide_payload = hide_payload
        self.concurrency = max(1, concurrency)
        self._sleep = sleep
        self._clock = clock
        self.warnings = []

    # -- helpers -----------------------------------------------------------------------------------

    def spec_for(self, endpoint_id):
        return self.specs.get(endpoint_id, self.spec)

    def _history(self, endpoint_id):
        return [normalize_sms(item) for item in self.client.list_sms(endpoint_id)]

    def _part_result(self, part):
        match = part.match
        entry = dict(seq=part.seq, total=part.total, udh=part.udh, dcs=part.dcs)
        if not self.hide_payload:
            entry['payload'] = part.payload
        if part.outcome in ('sent', 'reconciled'):
            entry.update(sms_id=part.sms_id, status=_status(part.status) or dict(id=None, name='submitted'), sent=True)
        elif match is not None:
            entry.update(sms_id=match.get('id'), status=_status(status_id(match)), sent=False,
                         submit_date=match.get('submit_date'))
        else:
            entry.update(sms_id=None, status=dict(id=None, name='planned'), sent=False)
        if part.outcome == 'reconciled':
            entry['reconciled'] = True
        if part.outcome == 'unknown':
            entry.update(status=dict(id=None, name='outcome_unknown'), outcome_unknown=True)
        return entry

    def _message_result(self, endpoint_id, plan, action, error=None):
        spec = self.spec_for(endpoint_id)
        result = dict(endpoint_id=endpoint_id, action=action, encoding=spec.encoding, dcs=spec.dcs,
                      reference=plan.reference if plan else None, reference_bits=spec.ref_bits,
                      changed=action in ('sent', 'resumed', 'partially_sent', 'would_send', 'would_resume', 'canceled', 'would_cancel'),
                      parts=[self._part_result(part) for part in plan.parts] if plan else [])
        if error is not None:
            result.update(failed=True, msg=error)
        else:
            result['failed'] = False
        return result

    def _run_all(self, endpoint_ids, work):
        if len(endpoint_ids) == 1 or self.concurrency == 1 or ThreadPoolExecutor is None:
            return [work(endpoint_id) for endpoint_id in endpoint_ids]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(endpoint_ids))) as pool:
            return list(pool.map(work, endpoint_ids))

    # -- state=present ---------------------------------------------------------------------------------

    def present(self, endpoint_ids):
        return self._run_all(endpoint_ids, self._present_one)

    def _endpoint_lock(self, endpoint_id):
        """Hold the endpoint's lock (blocking) in the state directory; yields True when held."""
        if self.state is None or self.check_mode:
            return contextlib.nullcontext(False)
        return self.state.lock(stripe_names(self.client.api_url, endpoint_id)[0])

    def _journal(self, endpoint_id, held):
        """The endpoint's send journal: in the state directory while its lock is held, else in memory."""
        path = self.state.path(stripe_names(self.client.api_url, endpoint_id)[1]) if held else None
        return Journal(path, endpoint_id, self.settle.clock())

    def _present_one(self, endpoint_id):
        # Another run sending to this endpoint now must finish before this one reads the history.
        with self._endpoint_lock(endpoint_id) as held:
            return self._present_unlocked(endpoint_id, self._journal(endpoint_id, held))

    def _present_unlocked(self, endpoint_id, journal):
        plan = None
        try:
            history = self._history(endpoint_id)
            spec = self.spec_for(endpoint_id)
            plan = plan_for_endpoint(spec, endpoint_id, history, force=self.force)
            if not self.check_mode:
                history, plan = self._settle_first(endpoint_id, spec, plan, history, journal)
            missing = plan.missing
            if not missing:
                return self._message_result(endpoint_id, plan, 'already_sent')
            resumed = bool(plan.present)
            if self.check_mode:
                return self._message_result(endpoint_id, plan, 'would_resume' if resumed else 'would_send')
            self._send(endpoint_id, spec, missing, history, journal)
            return self._message_result(endpoint_id, plan, 'resumed' if resumed else 'sent')
        except (EmnifyError, EndpointFailure) as exc:
            sent = plan is not None and any(part.outcome for part in plan.parts)
            return self._message_result(endpoint_id, plan, 'partially_sent' if sent else 'failed', error=str(exc))

    def _settle_first(self, endpoint_id, spec, plan, history, journal):
        """Before sending: wait for parts an earlier run left with an unknown outcome, or that another sender is sending.

        Returns the history and plan to send from.
        """
        waiting = [(part, journal.unknown(fingerprint(part, spec))) for part in plan.missing]
        waiting = [(part, entry) for part, entry in waiting if entry is not None]
        deadline = max([entry['until'] for _part, entry in waiting] or [0.0])
        if journal.shared:
            ours = set(journal.entries)
            foreign = [part for part in plan.present
                       if fingerprint(part, spec) not in ours and self.settle.recent(part.match)]
            if foreign:
                self.warnings.append(
                    'endpoint %s: the SMS history shows part%s %s of this message submitted within the last %gs (settle_time) '
                    'that no run on this controller sent: another sender (another controller or user) may be sending the same '
                    'message now, and is not coordinated with this run; %s' % (
                        endpoint_id, 's' if len(foreign) > 1 else '', ', '.join('%d/%d' % (p.seq, p.total) for p in foreign),
                        self.settle.settle_time, 'waiting up to settle_time for its other parts before sending what is missing'
                        if plan.missing else 'nothing is missing'))
                if plan.missing:
                    deadline = max(deadline, self.settle.deadline(self.settle.clock()))
        if deadline <= self.settle.clock():
            return history, plan
        expected = set(fingerprint(part, spec) for part in plan.missing)

        def arrived(fresh):
            again = plan_for_endpoint(spec, endpoint_id, fresh, force=self.force)
            return not (expected & set(fingerprint(part, spec) for part in again.missing))
        history, _done = self.settle.wait(lambda: self._history(endpoint_id), arrived, deadline)
        plan = plan_for_endpoint(spec, endpoint_id, history, force=self.force)
        for part in plan.present:
            if journal.unknown(fingerprint(part, spec)) is not None:
                journal.note(fingerprint(part, spec), 'sent', part, journal.entries[fingerprint(part, spec)]['at'],
                             self.settle.deadline(self.settle.clock()))
        for part, entry in waiting:
            if part.seq in [missing.seq for missing in plan.missing]:
                self.warnings.append('endpoint %s: part %d/%d had an unknown outcome %s, and the SMS history still does not hold it '
                                     'after the settle time (%gs), so it never reached emnify and is sent now'
                                     % (endpoint_id, part.seq, part.total, _moment(entry['at']), self.settle.settle_time))
        return history, plan

    def _send(self, endpoint_id, spec, missing, history, journal):
        known = set(item.get('id') for item in history)
        queue = list(missing)
        resends = 0
        while queue:
            part = queue[0]
            fp = fingerprint(part, spec)
            unknown = None
            try:
                part.sms_id = self.client.send_sms(endpoint_id, part.body(spec))
            except EmnifyOutcomeUnknown as exc:
                unknown = exc
            except EmnifyApiError as exc:
                raise EndpointFailure('part %d/%d: %s' % (part.seq, part.total, exc))
            else:
                part.outcome = 'sent'
                part.status = None
                if part.sms_id is not None:
                    known.add(part.sms_id)
                now = self.settle.clock()
                journal.note(fp, 'sent', part, now, self.settle.deadline(now))
                queue.pop(0)
                continue
            # Outcome unknown: journal it, then let the history decide over the settle time.
            part.outcome = 'unknown'
            at = self.settle.clock()
            journal.note(fp, 'unknown', part, at, self.settle.deadline(at))

            def arrived(fresh_history, part=part):
                return any(item.get('id') not in known and counts_as_copy(item, spec) and same_part(item, part)
                           for item in fresh_history)
            history, _found = self.settle.wait(lambda: self._history(endpoint_id), arrived, self.settle.deadline(at))
            part.outcome = None
            fresh = [item for item in history if item.get('id') not in known]
            self._note_other_senders(endpoint_id, spec, fresh, part, missing)
            for item in reversed(fresh):
                for waiting in queue:
                    if waiting.outcome is None and counts_as_copy(item, spec) and same_part(item, waiting):
                        waiting.sms_id = item.get('id')
                        waiting.status = status_id(item)
                        waiting.outcome = 'reconciled'
                        known.add(item.get('id'))
                        now = self.settle.clock()
                        journal.note(fingerprint(waiting, spec), 'sent', waiting, now, self.settle.deadline(now))
                        break
            queue = [waiting for waiting in queue if waiting.outcome is None]
            if not queue or queue[0] is not part:
                continue
            resends += 1
            if resends > MAX_RECONCILE:
                raise EndpointFailure('%s; after %d unknown outcomes part %d/%d is still not in the SMS history %gs (settle_time) after the '
                                      'last one: run the task again later; a run within settle_time of it waits for the part instead of '
                                      'sending it again' % (unknown, MAX_RECONCILE + 1, part.seq, part.total, self.settle.settle_time))
            self.warnings.append('endpoint %s: %s; the SMS history does not hold part %d/%d %gs (settle_time) after that answer, so it '
                                 'never reached emnify and is sent again' % (endpoint_id, unknown, part.seq, part.total, self.settle.settle_time))

    def _note_other_senders(self, endpoint_id, spec, fresh, current, parts):
        """Warn when history items that appeared during this run are parts this run did not send (or sent itself)."""
        copies = []
        for part in parts:
            matching = [item for item in fresh if counts_as_copy(item, spec) and same_part(item, part)]
            # The part being settled may show up once; so may a part sent without a Location header (its id is unknown).
            limit = 1 if part is current or (part.outcome == 'sent' and part.sms_id is None) else 0
            if len(matching) > limit:
                copies.append('%d/%d' % (part.seq, part.total))
        if copies:
            self.warnings.append('endpoint %s: while this run was sending, part%s %s of this message appeared in the SMS history that '
                                 'this run did not send: another sender (another controller or user) is sending the same message, '
                                 'and is not coordinated with this run' % (endpoint_id, 's' if len(copies) > 1 else '', ', '.join(copies)))

    # -- state=absent ------------------------------------------------------------------------------------

    def absent(self, endpoint_ids):
        return self._run_all(endpoint_ids, self._absent_one)

    def _absent_one(self, endpoint_id):
        canceled = []
        spec = self.spec_for(endpoint_id)
        try:
            history = self._history(endpoint_id)
            found = matching_history(spec, endpoint_id, history)
            parts = []
            for part, item in found:
                entry = dict(seq=part.seq, total=part.total, udh=part.udh, dcs=part.dcs, sms_id=item.get('id'),
                             status=_status(status_id(item)), canceled=False)
                if not self.hide_payload:
                    entry['payload'] = part.payload
                if status_id(item) not in FINAL_STATUSES:
                    if not self.check_mode:
                        self._cancel(endpoint_id, item)
                        entry['status'] = _status(CANCELED)
                    entry['canceled'] = True
                    canceled.append(entry)
                parts.append(entry)
            if canceled:
                action = 'would_cancel' if self.check_mode else 'canceled'
            else:
                action = 'nothing_to_cancel'
            return dict(endpoint_id=endpoint_id, action=action, changed=bool(canceled), encoding=spec.encoding,
                        dcs=spec.dcs, reference=None, reference_bits=spec.ref_bits, parts=parts, failed=False)
        except (EmnifyError, EndpointFailure) as exc:
            return dict(endpoint_id=endpoint_id, action='failed', changed=bool(canceled), encoding=spec.encoding,
                        dcs=spec.dcs, reference=None, reference_bits=spec.ref_bits, parts=canceled, failed=True, msg=str(exc))

    def _cancel(self, endpoint_id, item):
        try:
            self.client.cancel_sms(endpoint_id, item['id'])
        except EmnifyOutcomeUnknown:
            current = [entry for entry in self._history(endpoint_id) if entry.get('id') == item['id']]
            if not current or status_id(current[0]) not in FINAL_STATUSES:
                raise EndpointFailure('cancel of SMS %s: outcome unknown and the SMS is still not final' % item['id'])
        except EmnifyApiError as exc:
            raise EndpointFailure('cancel of SMS %s: %s' % (item['id'], exc))

    # -- wait=delivered ------------------------------------------------------------------------------------

    def wait_delivered(self, results, timeout, interval=2.0, max_interval=MAX_INTERVAL):
        """Poll each endpoint's history (one request per endpoint per round) until every part is final."""
        pending = {}
        for result in results:
            if result.get('failed'):
                continue
            ids = [part['sms_id'] for part in result['parts'] if part.get('sms_id') is not None]
            if len(ids) < len(result['parts']):
                self.warnings.append('endpoint %s: some parts have no SMS id (no Location header); their delivery is not tracked'
                                     % result['endpoint_id'])
            if ids:
                pending[result['endpoint_id']] = (result, ids)
        rounds = Rounds(timeout, interval, clock=self._clock, sleep=self._sleep, max_interval=max_interval)
        while pending:
            for endpoint_id in list(pending):
                result, ids = pending[endpoint_id]
                try:
                    by_id = dict((item.get('id'), item) for item in self._history(endpoint_id))
                except EmnifyError as exc:
                    result.update(failed=True, msg='waiting for delivery: %s' % exc)
                    del pending[endpoint_id]
                    continue
                self._update_statuses(result, by_id)
                statuses = [status_id(by_id[sms_id]) if sms_id in by_id else None for sms_id in ids]
                bad = [(part, by_id[part['sms_id']]) for part in result['parts']
                       if part.get('sms_id') in by_id and status_id(by_id[part['sms_id']]) in UNSUCCESSFUL_STATUSES]
                if bad:
                    part, item = bad[0]
                    result.update(failed=True, msg='part %d/%d (SMS %s) was not delivered: %s%s' % (
                        part['seq'], part['total'], item.get('id'), SMS_STATUS.get(status_id(item), status_id(item)),
                        ', gsm_map_error %s' % item.get('gsm_map_error') if item.get('gsm_map_error') is not None else ''))
                    del pending[endpoint_id]
                elif all(number in FINAL_STATUSES for number in statuses):
                    result['delivered'] = True
                    del pending[endpoint_id]
            if not pending:
                break
            if not rounds.next():
                for endpoint_id, (result, ids) in pending.items():
                    waiting = ['%d/%d (%s)' % (part['seq'], part['total'], (part.get('status') or {}).get('name'))
                               for part in result['parts'] if (part.get('status') or {}).get('id') not in FINAL_STATUSES]
                    result.update(failed=True, msg='not delivered within wait_timeout=%ss; still pending: %s' % (timeout, ', '.join(waiting)))
                break
        return results

    @staticmethod
    def _update_statuses(result, by_id):
        for part in result['parts']:
            item = by_id.get(part.get('sms_id'))
            if item is not None:
                part['status'] = _status(status_id(item))
                for field in ('delivery_date', 'final_date', 'gsm_map_error'):
                    if item.get(field) is not None:
                        part[field] = item.get(field)
