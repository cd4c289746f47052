# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carrying out an SMS task on endpoints: read history once, send what is missing, cancel, wait.

Per endpoint: one history read, then one POST per missing part. A POST whose outcome is
unknown is never repeated blindly: the history is read again and the part is sent again
only if it is not there. Check mode stops after the history read. Endpoints are worked on
in parallel (bounded); the client paces all of them under one rate-limit budget.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

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

# Rounds of "outcome unknown → read history → send again" per endpoint before giving up.
MAX_RECONCILE = 3


class EndpointFailure(Exception):
    """This endpoint could not get its message; the others go on."""


def _status(number):
    if number is None:
        return None
    return dict(id=number, name=SMS_STATUS.get(number, str(number)))


class SmsTask:
    """One emnify_sms task over many endpoints. ``client`` is an EmnifyClient."""

    def __init__(self, client, spec, check_mode=False, force=False, hide_payload=False, concurrency=4,
                 sleep=time.sleep, clock=time.monotonic, specs=None):
        self.client = client
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

    def _present_one(self, endpoint_id):
        # Another run sending to this endpoint now must finish before this one reads the history.
        lock = getattr(self.client, 'endpoint_lock', None)
        if lock is None or self.check_mode:
            return self._present_unlocked(endpoint_id)
        with lock(endpoint_id):
            return self._present_unlocked(endpoint_id)

    def _present_unlocked(self, endpoint_id):
        plan = None
        try:
            history = self._history(endpoint_id)
            spec = self.spec_for(endpoint_id)
            plan = plan_for_endpoint(spec, endpoint_id, history, force=self.force)
            missing = plan.missing
            if not missing:
                return self._message_result(endpoint_id, plan, 'already_sent')
            resumed = bool(plan.present)
            if self.check_mode:
                return self._message_result(endpoint_id, plan, 'would_resume' if resumed else 'would_send')
            self._send(endpoint_id, spec, missing, history)
            return self._message_result(endpoint_id, plan, 'resumed' if resumed else 'sent')
        except (EmnifyError, EndpointFailure) as exc:
            sent = plan is not None and any(part.outcome for part in plan.parts)
            return self._message_result(endpoint_id, plan, 'partially_sent' if sent else 'failed', error=str(exc))

    def _send(self, endpoint_id, spec, missing, history):
        known = set(item.get('id') for item in history)
        queue = list(missing)
        rounds = 0
        while queue:
            part = queue[0]
            unknown = None
            try:
                part.sms_id = self.client.send_sms(endpoint_id, part.body(spec))
                part.outcome = 'sent'
                part.status = None
                if part.sms_id is not None:
                    known.add(part.sms_id)
                queue.pop(0)
                continue
            except EmnifyOutcomeUnknown as exc:
                rounds += 1
                if rounds > MAX_RECONCILE:
                    raise EndpointFailure('%s; after %d checks of the SMS history part %d/%d is still not confirmed: '
                                          'run the task again, it sends only what the history does not hold' % (exc, MAX_RECONCILE, part.seq, part.total))
                unknown = exc
            except EmnifyApiError as exc:
                raise EndpointFailure('part %d/%d: %s' % (part.seq, part.total, exc))
            # Outcome unknown: the history decides whether this part (or any queued one) went out.
            fresh = [item for item in self._history(endpoint_id) if item.get('id') not in known]
            for item in reversed(fresh):
                for waiting in queue:
                    if waiting.outcome is None and counts_as_copy(item, spec) and same_part(item, waiting):
                        waiting.sms_id = item.get('id')
                        waiting.status = status_id(item)
                        waiting.outcome = 'reconciled'
                        known.add(item.get('id'))
                        break
            queue = [waiting for waiting in queue if waiting.outcome is None]
            if queue and queue[0] is part and unknown.timed_out:
                # A request that timed out may still be processed after this read: sending it again could
                # make a duplicate, so stop here and let a rerun decide from the history.
                raise EndpointFailure('%s; the SMS history does not hold part %d/%d (yet), and emnify may still be processing it, so it '
                                      'is not sent again: run the task again later, it sends only what the history does not hold'
                                      % (unknown, part.seq, part.total))
            if queue and queue[0] is part:
                self.warnings.append('endpoint %s: %s; the SMS history does not hold part %d/%d, so it is sent again'
                                     % (endpoint_id, unknown, part.seq, part.total))

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
