# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of sending under faults: no part is ever stored twice, and one rerun completes the message.

A fake emnify service stores SMS bodies and applies one fault per POST, drawn by hypothesis:
the answer is lost after the SMS was stored, a 5xx comes before or after processing, the
connection is reset before processing, the client times out while the service is still
working (the SMS appears only after the client looked at the history), or the service refuses.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError, EmnifyOutcomeUnknown
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import build_message, plan_for_endpoint
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._sms_send import SmsTask
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

FAULTS = ('ok', 'lost_answer', 'status_after', 'status_before', 'reset_before', 'timeout_stored', 'timeout_late', 'refused')


class FaultyService:
    """The parts of EmnifyClient that SmsTask uses, over an in-memory SMS store with scripted faults."""

    def __init__(self, faults=()):
        self.store = {}
        self.faults = list(faults)
        self.late = []
        self.posts = 0
        self._ids = itertools.count(1000)

    def _path(self, endpoint_id):
        return '/api/v1/endpoint/%d/sms' % endpoint_id

    def _store(self, endpoint_id, body):
        sms_id = next(self._ids)
        item = dict(id=sms_id, payload=body['payload'], udh=body.get('udh', ''), dcs=str(body['dcs']),
                    source_address=body.get('source_address', ''), sms_type={'id': 1, 'description': 'MT'},
                    status={'id': 1, 'description': 'DELIVERY ATTEMPT PENDING'}, submit_date='2030-01-01T00:00:00.000+0000')
        self.store.setdefault(endpoint_id, []).insert(0, item)
        return sms_id

    def land_late_requests(self):
        """The requests the client gave up on are processed now."""
        for endpoint_id, body in self.late:
            self._store(endpoint_id, body)
        self.late = []

    def list_sms(self, endpoint_id):
        return [dict(item) for item in self.store.get(endpoint_id, [])]

    def send_sms(self, endpoint_id, body):
        self.posts += 1
        fault = self.faults.pop(0) if self.faults else 'ok'
        path = self._path(endpoint_id)
        if fault == 'ok':
            return self._store(endpoint_id, body)
        if fault == 'lost_answer':
            self._store(endpoint_id, body)
            raise EmnifyOutcomeUnknown('POST', path, 'connection lost (ConnectionError)')
        if fault == 'status_after':
            self._store(endpoint_id, body)
            raise EmnifyOutcomeUnknown('POST', path, 'HTTP 504', status=504)
        if fault == 'status_before':
            raise EmnifyOutcomeUnknown('POST', path, 'HTTP 500', status=500)
        if fault == 'reset_before':
            raise EmnifyOutcomeUnknown('POST', path, 'connection lost (ConnectionError)')
        if fault == 'timeout_stored':
            self._store(endpoint_id, body)
            raise EmnifyOutcomeUnknown('POST', path, 'no response within the timeout', timed_out=True)
        if fault == 'timeout_late':
            self.late.append((endpoint_id, body))
            raise EmnifyOutcomeUnknown('POST', path, 'no response within the timeout', timed_out=True)
        raise EmnifyApiError(409, 'POST', path, error_token='Conflict', service_message='refused for the test')

    def cancel_sms(self, endpoint_id, sms_id):
        raise AssertionError('not used')


def run_task(service, payload, endpoint_ids, **params):
    params['payload'] = payload
    spec = build_message(params)
    clock = FakeClock(0)
    task = SmsTask(service, spec, concurrency=1, sleep=clock.sleep, clock=clock)
    return spec, task, task.present(endpoint_ids)


def stored_copies(service, endpoint_id):
    """(udh, payload) -> number of stored copies."""
    counts = {}
    for item in service.store.get(endpoint_id, []):
        key = (item['udh'], item['payload'])
        counts[key] = counts.get(key, 0) + 1
    return counts


def planned_parts(spec, endpoint_id, service):
    history = [normalize_sms(item) for item in service.list_sms(endpoint_id)]
    return plan_for_endpoint(spec, endpoint_id, history).parts


TEXTS = st.sampled_from([
    'REBOOT',
    'APN,iot.example.net,user,pass',
    'CFG,' + 'x' * 300,
    u'\u041f\u0440\u0438\u0432\u0435\u0442 ' * 20,
    '{[~]} ' * 40,
])


def test_timeout_then_late_processing_is_not_sent_twice():
    # the request times out at the client, the history read right after does not show it yet,
    # and the service stores it afterwards: the task must not have sent a second copy
    service = FaultyService(['timeout_late'])
    _spec, task, results = run_task(service, 'SLOW,1', [7])
    service.land_late_requests()
    assert service.posts == 1
    assert stored_copies(service, 7) == {('', 'SLOW,1'): 1}
    result = results[0]
    assert result['failed'] is True
    assert 'no response within the timeout' in result['msg'] and 'run the task again' in result['msg']
    _spec, _task, again = run_task(service, 'SLOW,1', [7])
    assert again[0]['action'] == 'already_sent' and again[0]['failed'] is False
    assert stored_copies(service, 7) == {('', 'SLOW,1'): 1}


def test_timeout_for_a_request_that_never_arrives_is_sent_by_the_rerun():
    service = FaultyService(['timeout_late'])
    run_task(service, 'LOST,1', [7])
    service.late = []  # the request died inside the service
    _spec, _task, again = run_task(service, 'LOST,1', [7])
    assert again[0]['action'] == 'sent'
    assert stored_copies(service, 7) == {('', 'LOST,1'): 1}


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=TEXTS, faults=st.lists(st.sampled_from(FAULTS), max_size=8), ref_bits=st.sampled_from([8, 16]),
       endpoints=st.sampled_from([[7], [7, 8, 9]]))
def test_every_part_exactly_once_after_at_most_one_rerun(payload, faults, ref_bits, endpoints):
    service = FaultyService(faults)
    spec, task, first = run_task(service, payload, endpoints, reference_bits=ref_bits)
    for result in first:
        stored = stored_copies(service, result['endpoint_id'])
        # truthful: a result that is not failed has every part stored; a changed one sent or found something new
        if not result['failed']:
            assert result['action'] in ('sent', 'resumed', 'already_sent')
            assert sum(stored.values()) == len(result['parts'])
        else:
            assert result['msg']
            assert result['action'] in ('failed', 'partially_sent')
        assert result['changed'] is (result['action'] in ('sent', 'resumed', 'partially_sent'))
        assert all(part['sent'] is False or part['sms_id'] is not None for part in result['parts'])
    service.land_late_requests()
    service.faults = []
    _spec, _task, second = run_task(service, payload, endpoints, reference_bits=ref_bits)
    for result in second:
        endpoint_id = result['endpoint_id']
        assert result['failed'] is False, result.get('msg')
        parts = planned_parts(spec, endpoint_id, service)
        stored = stored_copies(service, endpoint_id)
        assert sorted(stored) == sorted((part.udh, part.payload) for part in parts)
        assert set(stored.values()) == set([1])
    # a third run changes nothing
    _spec, _task, third = run_task(service, payload, endpoints, reference_bits=ref_bits)
    assert [result['action'] for result in third] == ['already_sent'] * len(endpoints)
