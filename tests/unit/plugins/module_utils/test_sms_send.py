# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _sms_send.SmsTask: present, absent and wait_delivered, and sending under faults.

Boundary: a fake client object with the EmnifyClient methods SmsTask uses (list_sms,
send_sms, cancel_sms). It keeps an in-memory SMS store per endpoint and answers with
API-shaped items (numbers as strings, newest first), and it can raise the client's own
errors at chosen moments. SmsTask gets a fake clock and sleep, so waiting is instant.

The properties at the end draw one fault per POST: the answer is lost after the SMS was stored,
a 5xx comes before or after processing, the connection is reset before processing, the client
times out (or the gateway answers 504) while the service is still working (the SMS appears 1.5 s
later by the client's fake clock, after the client first looked at the history but within the settle
time), the client times out on a request that never arrives, or the service refuses. No part is ever
stored twice, parts are stored in order, and one rerun completes the message.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import stat
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._errors import (
    EmnifyApiError,
    EmnifyOutcomeUnknown,
    EmnifyTransportError,
)
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import build_message, plan_for_endpoint
from ansible_collections.emnify.iot.plugins.module_utils._time import api_date
from ansible_collections.emnify.iot.plugins.module_utils._settle import SETTLE_TIME, Settle
from ansible_collections.emnify.iot.plugins.module_utils._sms_send import MAX_RECONCILE, SmsTask
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import StateDir
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

UTC = datetime.timezone.utc
LONG = 'Firmware 4.2 is ready. Please keep the device powered until it reports back. ' * 4
FINAL = (4, 5, 6, 7)
# How long after its answer a late request is stored: within the default settle time (5 s).
LATE = 1.5


class FakeClient:
    """An in-memory emnify SMS store behind the three client calls SmsTask makes."""

    api_url = 'https://cdn.emnify.net'

    def __init__(self, clock=None):
        self.store = {}
        self.next_id = 500
        self.posts = []
        self.cancels = []
        self.reads = []
        self.post_faults = []  # callables(endpoint_id, body) run before each POST; may store and/or raise
        self.on_read = None  # callable(endpoint_id, items) run on each list_sms
        self.late = []  # (due, endpoint_id, body) of requests the service processes only after the client gave up
        self.clock = clock or FakeClock()  # the service's time; share it with the task under test
        self.lock = threading.Lock()

    def add(self, endpoint_id, payload, udh='', dcs=0, sender='', status=1, direction='MT'):
        with self.lock:
            self.next_id += 1
            item = {'id': self.next_id, 'payload': payload, 'udh': udh, 'dcs': str(dcs), 'pid': '0',
                    'source_address': sender, 'endpoint_id': str(endpoint_id),
                    'status': {'id': status, 'description': 'x'},
                    'sms_type': {'id': 1 if direction == 'MT' else 2, 'description': direction},
                    'submit_date': api_date(datetime.datetime.now(UTC)), 'gsm_map_error': None}
            self.store.setdefault(endpoint_id, []).insert(0, item)
            return item

    def _store_body(self, endpoint_id, body):
        return self.add(endpoint_id, body['payload'], body.get('udh', ''), body.get('dcs', 0), body.get('source_address', ''))

    def land_late_requests(self, now=None):
        """The requests the client gave up on are processed (those due by ``now``, or all)."""
        waiting = []
        for due, endpoint_id, body in self.late:
            if now is None or due <= now:
                self._store_body(endpoint_id, body)
            else:
                waiting.append((due, endpoint_id, body))
        self.late = waiting

    def list_sms(self, endpoint_id):
        self.reads.append(endpoint_id)
        self.land_late_requests(self.clock())
        if self.on_read is not None:
            self.on_read(endpoint_id, self.store.get(endpoint_id, []))
        return [dict(item) for item in self.store.get(endpoint_id, [])]

    def send_sms(self, endpoint_id, body):
        self.posts.append((endpoint_id, dict(body)))
        if self.post_faults:
            fault = self.post_faults.pop(0)
            if fault is not None:
                fault(self, endpoint_id, body)
        return self._store_body(endpoint_id, body)['id']

    def cancel_sms(self, endpoint_id, sms_id):
        self.cancels.append((endpoint_id, sms_id))
        for item in self.store.get(endpoint_id, []):
            if item['id'] == sms_id:
                if item['status']['id'] in FINAL:
                    raise EmnifyApiError(409, 'DELETE', '/api/v1/endpoint/%d/sms/%d' % (endpoint_id, sms_id), service_message='final')
                item['status'] = {'id': 7, 'description': 'CANCELED'}
                return
        raise EmnifyApiError(404, 'DELETE', '/x')

    def ours(self, endpoint_id):
        return [item for item in self.store.get(endpoint_id, []) if item['payload'] and item['payload'] in LONG]


def stored_then_lost(client, endpoint_id, body):
    """The service stores the SMS, but the answer never arrives."""
    client._store_body(endpoint_id, body)
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'no response within the timeout')


def lost_before_processing(client, endpoint_id, body):
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'HTTP 502', status=502)


def refused(client, endpoint_id, body):
    raise EmnifyApiError(409, 'POST', '/api/v1/endpoint/%d/sms' % endpoint_id, error_token='Conflict', service_message='SMS quota exhausted')


def lost_answer(client, endpoint_id, body):
    client._store_body(endpoint_id, body)
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'connection lost (ConnectionError)')


def status_after_processing(client, endpoint_id, body):
    client._store_body(endpoint_id, body)
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'HTTP 504', status=504)


def reset_before_processing(client, endpoint_id, body):
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'connection lost (ConnectionError)')


def timeout_stored(client, endpoint_id, body):
    client._store_body(endpoint_id, body)
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'no response within the timeout', timed_out=True)


def timeout_late(client, endpoint_id, body):
    """The client times out; the service stores the SMS LATE seconds later (see FakeClient.land_late_requests)."""
    client.late.append((client.clock() + LATE, endpoint_id, dict(body)))
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'no response within the timeout', timed_out=True)


def gateway_late(client, endpoint_id, body):
    """The API gateway answers 504; the backend stores the SMS LATE seconds later."""
    client.late.append((client.clock() + LATE, endpoint_id, dict(body)))
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'HTTP 504', status=504)


def timeout_lost(client, endpoint_id, body):
    """The client times out on a request that never reaches the service."""
    raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'no response within the timeout', timed_out=True)


def make_task(client, payload=LONG, check_mode=False, force=False, clock=None, concurrency=4, state=None, **params):
    params['payload'] = payload
    spec = build_message(params)
    clock = clock or client.clock
    return SmsTask(client, spec, check_mode=check_mode, force=force, concurrency=concurrency, sleep=clock.sleep, clock=clock,
                   wall_clock=clock, state=state)


# -- state=present --------------------------------------------------------------------------------------

def test_present_sends_every_part_then_rerun_sends_nothing():
    client = FakeClient()
    result = make_task(client, source_address='ACME').present([7])[0]
    assert result['action'] == 'sent' and result['changed'] is True and result['failed'] is False
    assert len(client.posts) == 3 and client.reads == [7]
    assert [body['udh'][-2:] for _endpoint, body in client.posts] == ['01', '02', '03']
    assert all(body['source_address'] == 'ACME' and body['source_address_type'] == {'id': 208} for _endpoint, body in client.posts)
    assert [part['sms_id'] for part in result['parts']] == [item['id'] for item in reversed(client.ours(7))]
    assert all(part['sent'] is True for part in result['parts'])
    again = make_task(client, source_address='ACME').present([7])[0]
    assert again['action'] == 'already_sent' and again['changed'] is False
    assert len(client.posts) == 3
    assert [part['sms_id'] for part in again['parts']] == [part['sms_id'] for part in result['parts']]


def test_present_resumes_partial_history():
    client = FakeClient()
    client.post_faults = [None, refused]
    first = make_task(client).present([7])[0]
    assert first['action'] == 'partially_sent' and first['failed'] is True
    assert 'SMS quota exhausted' in first['msg'] and 'part 2/3' in first['msg']
    assert len(client.ours(7)) == 1
    second = make_task(client).present([7])[0]
    assert second['action'] == 'resumed' and second['failed'] is False
    assert [body['udh'][-2:] for _endpoint, body in client.posts[2:]] == ['02', '03']
    assert sorted(item['udh'] for item in client.ours(7)) == sorted(part['udh'] for part in second['parts'])


def test_outcome_unknown_after_store_is_reconciled_without_duplicate():
    client = FakeClient()
    client.post_faults = [None, stored_then_lost]
    task = make_task(client)
    result = task.present([7])[0]
    assert result['action'] == 'sent' and result['failed'] is False
    assert len(client.posts) == 3
    assert len(client.ours(7)) == 3
    assert sorted(item['udh'] for item in client.ours(7)) == sorted(part['udh'] for part in result['parts'])
    assert client.reads == [7, 7]
    assert result['parts'][1].get('reconciled') is True
    assert result['parts'][1]['sms_id'] in [item['id'] for item in client.ours(7)]
    assert task.warnings == []


def test_outcome_unknown_for_a_lost_request_sends_again_with_a_warning():
    client = FakeClient()
    client.post_faults = [lost_before_processing]
    task = make_task(client, payload='Reboot')
    result = task.present([7])[0]
    assert result['action'] == 'sent'
    assert len(client.posts) == 2 and len(client.store[7]) == 1
    assert len(task.warnings) == 1 and 'sent again' in task.warnings[0]


def test_outcome_unknown_keeps_failing():
    client = FakeClient()
    client.post_faults = [lost_before_processing] * (MAX_RECONCILE + 1)
    result = make_task(client, payload='Reboot').present([7])[0]
    assert result['failed'] is True and result['action'] == 'failed'
    assert 'run the task again' in result['msg']
    assert len(client.posts) == MAX_RECONCILE + 1
    assert client.store.get(7, []) == []


def test_reconcile_ignores_earlier_identical_copies():
    client = FakeClient()
    client.add(7, 'Reboot', status=5)  # an earlier failed copy is not the lost one
    client.post_faults = [lost_before_processing]
    result = make_task(client, payload='Reboot').present([7])[0]
    assert result['action'] == 'sent' and len(client.posts) == 2
    assert result['parts'][0].get('reconciled') is None


def test_check_mode_reads_only():
    client = FakeClient()
    result = make_task(client, check_mode=True).present([7, 8])
    assert [entry['action'] for entry in result] == ['would_send', 'would_send']
    assert client.posts == [] and sorted(client.reads) == [7, 8]
    assert all(part['status']['name'] == 'planned' for part in result[0]['parts'])


def test_force_sends_a_second_copy():
    client = FakeClient()
    make_task(client).present([7])
    result = make_task(client, force=True).present([7])[0]
    assert result['action'] == 'sent' and len(client.posts) == 6
    references = set(item['udh'][6:8] for item in client.ours(7))
    assert len(references) == 2


def test_many_endpoints_in_parallel_keep_order():
    client = FakeClient()
    endpoints = list(range(20, 32))
    client.post_faults = [None] * 5 + [refused]
    results = make_task(client, payload='Reboot').present(endpoints)
    assert [entry['endpoint_id'] for entry in results] == endpoints
    assert sum(1 for entry in results if entry['failed']) == 1
    assert sum(1 for entry in results if entry['action'] == 'sent') == len(endpoints) - 1


def test_history_read_error_is_reported_per_endpoint():
    client = FakeClient()

    def broken(endpoint_id, items):
        if endpoint_id == 8:
            raise EmnifyTransportError('GET /api/v1/endpoint/8/sms failed: could not connect after 6 attempts')
    client.on_read = broken
    results = make_task(client, payload='Reboot').present([7, 8])
    assert results[0]['action'] == 'sent'
    assert results[1]['action'] == 'failed' and 'could not connect' in results[1]['msg']


# -- state=absent -------------------------------------------------------------------------------------------

def test_absent_cancels_only_non_final_parts():
    client = FakeClient()
    make_task(client).present([7])
    mine = client.ours(7)
    mine[0]['status'] = {'id': 4, 'description': 'DELIVERED'}
    mine[1]['status'] = {'id': 3, 'description': 'BUFFERED'}
    other = client.add(7, 'something else', status=3)
    result = make_task(client, state='absent').absent([7])[0]
    assert result['action'] == 'canceled' and result['changed'] is True
    assert sorted(sms_id for _endpoint, sms_id in client.cancels) == sorted([mine[1]['id'], mine[2]['id']])
    assert other['status']['id'] == 3 and mine[0]['status']['id'] == 4
    assert sorted(part['canceled'] for part in result['parts']) == [False, True, True]
    again = make_task(client).absent([7])[0]
    assert again['action'] == 'nothing_to_cancel' and again['changed'] is False
    assert len(client.cancels) == 2


def test_absent_check_mode_cancels_nothing():
    client = FakeClient()
    make_task(client, payload='Reboot').present([7])
    result = make_task(client, payload='Reboot', check_mode=True).absent([7])[0]
    assert result['action'] == 'would_cancel' and result['changed'] is True
    assert client.cancels == []


def test_absent_cancel_outcome_unknown_checks_history():
    client = FakeClient()
    make_task(client, payload='Reboot').present([7])
    real_cancel = client.cancel_sms

    def cancel_then_lose(endpoint_id, sms_id):
        real_cancel(endpoint_id, sms_id)
        raise EmnifyOutcomeUnknown('DELETE', '/x', 'no response within the timeout')
    client.cancel_sms = cancel_then_lose
    result = make_task(client, payload='Reboot').absent([7])[0]
    assert result['action'] == 'canceled' and result['failed'] is False

    def lose(endpoint_id, sms_id):
        raise EmnifyOutcomeUnknown('DELETE', '/x', 'HTTP 502', status=502)
    make_task(client, payload='Other').present([7])
    client.cancel_sms = lose
    failed = make_task(client, payload='Other').absent([7])[0]
    assert failed['failed'] is True and 'still not final' in failed['msg']


# -- wait=delivered ----------------------------------------------------------------------------------------------

def _deliver_after(client, polls, status, gsm_map_error=None):
    """Every SMS turns ``status`` on the ``polls``-th history read after sending."""
    counter = {'reads': 0}

    def on_read(endpoint_id, items):
        counter['reads'] += 1
        if counter['reads'] > polls:
            for item in items:
                item['status'] = {'id': status, 'description': 'x'}
                item['gsm_map_error'] = gsm_map_error
                item['final_date'] = '2026-01-10T12:00:00.000+0000'
    return on_read


def test_wait_delivered():
    client = FakeClient()
    clock = FakeClock()
    task = make_task(client, clock=clock)
    results = task.present([7])
    client.on_read = _deliver_after(client, 3, 4)
    task.wait_delivered(results, timeout=300)
    assert results[0]['delivered'] is True and results[0]['failed'] is False
    assert all(part['status']['name'] == 'delivered' for part in results[0]['parts'])
    assert all(part['final_date'] for part in results[0]['parts'])
    assert clock.sleeps == [2.0, 3.0, 4.5]


@pytest.mark.parametrize('status,name', [(5, 'failed'), (6, 'expired'), (7, 'canceled')])
def test_wait_reports_undelivered(status, name):
    client = FakeClient()
    clock = FakeClock()
    task = make_task(client, payload='Reboot', clock=clock)
    results = task.present([7])
    client.on_read = _deliver_after(client, 1, status, gsm_map_error=27 if status == 5 else None)
    task.wait_delivered(results, timeout=300)
    assert results[0]['failed'] is True and 'delivered' not in results[0]
    assert 'was not delivered: %s' % name in results[0]['msg']
    assert ('gsm_map_error 27' in results[0]['msg']) is (status == 5)
    assert len(clock.sleeps) == 1


def test_wait_times_out():
    client = FakeClient()
    clock = FakeClock()
    task = make_task(client, clock=clock)
    results = task.present([7, 8])
    task.wait_delivered(results, timeout=20, interval=2.0, max_interval=5.0)
    for result in results:
        assert result['failed'] is True
        assert 'not delivered within wait_timeout=20s' in result['msg']
        assert '1/3 (delivery_attempt_pending)' in result['msg']
    assert sum(clock.sleeps) == pytest.approx(20.0)
    assert max(clock.sleeps) <= 5.0
    assert clock.sleeps[:3] == [2.0, 3.0, 4.5]


def test_wait_skips_failed_and_untracked_results():
    client = FakeClient()
    clock = FakeClock()
    task = make_task(client, payload='Reboot', clock=clock)
    results = [dict(endpoint_id=1, failed=True, parts=[]),
               dict(endpoint_id=2, failed=False, parts=[dict(seq=1, total=1, sms_id=None, status=None)])]
    task.wait_delivered(results, timeout=60)
    assert client.reads == [] and clock.sleeps == []
    assert any('no SMS id' in warning for warning in task.warnings)


def test_two_runs_sharing_the_state_directory_send_each_part_once(tmp_path):
    """Two runs (threads with their own StateDir on one directory) to the same endpoint: the lock serialises them."""
    client = FakeClient()
    directory = str(tmp_path / 'state')

    def slow(fake, endpoint_id, body):
        time.sleep(0.05)
    client.post_faults = [slow] * 6
    results = []

    def run():
        results.append(make_task(client, state=StateDir(directory)).present([7])[0])
    threads = [threading.Thread(target=run) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(result['action'] for result in results) == ['already_sent', 'sent']
    assert len(client.posts) == 3 and len(client.ours(7)) == 3


# -- the settle rule and the send journal ---------------------------------------------------------------

class LateStore:
    """A POST answered 504 by the gateway while the backend stores it ``delay`` seconds later (by the fake clock)."""

    def __init__(self, clock, delay=1.5):
        self.clock = clock
        self.delay = delay
        self.pending = []

    def __call__(self, client, endpoint_id, body):
        self.pending.append((self.clock.now + self.delay, endpoint_id, dict(body)))
        raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/%d/sms' % endpoint_id, 'HTTP 504', status=504)

    def lander(self, client):
        def land(endpoint_id, _items=None):
            for entry in list(self.pending):
                if entry[0] <= self.clock.now and entry[1] == endpoint_id:
                    self.pending.remove(entry)
                    client._store_body(entry[1], entry[2])
        return land


def real_clock():
    return FakeClock()


def test_a_504_stored_later_is_waited_for_not_sent_again():
    clock = FakeClock()
    client = FakeClient()
    late = LateStore(clock)
    client.post_faults = [None, late]
    client.on_read = late.lander(client)
    task = make_task(client, clock=clock)
    result = task.present([7])[0]
    assert result['action'] == 'sent' and result['failed'] is False
    assert len(client.posts) == 3 and len(client.ours(7)) == 3
    assert result['parts'][1]['reconciled'] is True
    assert task.warnings == []
    # reads after 0.25, 0.625, 1.19 and 2.03 s: the fourth finds the part
    assert client.reads == [7] * 5
    ids = [part['sms_id'] for part in result['parts']]
    assert ids == sorted(ids)


def test_a_part_that_never_arrives_is_sent_again_after_the_settle_time_only():
    clock = FakeClock()
    client = FakeClient()
    client.post_faults = [lost_before_processing]
    task = make_task(client, payload='Reboot', clock=clock)
    result = task.present([7])[0]
    assert result['action'] == 'sent' and len(client.posts) == 2 and len(client.store[7]) == 1
    assert sum(clock.sleeps) == pytest.approx(5.0)
    assert 'never reached emnify and is sent again' in task.warnings[0]


def history_fails_once_after(count):
    calls = []

    def on_read(endpoint_id, items):
        calls.append(endpoint_id)
        if len(calls) == count:
            raise EmnifyTransportError('GET /api/v1/endpoint/%d/sms failed: connection lost after 6 attempts' % endpoint_id)
    return on_read


@pytest.mark.parametrize('journal', [True, False])
def test_a_retried_task_waits_for_the_journaled_part_instead_of_sending_it_again(tmp_path, journal):
    clock = FakeClock()
    client = FakeClient()
    late = LateStore(clock)
    client.post_faults = [late]
    fail_second = history_fails_once_after(2)
    land = late.lander(client)

    def on_read(endpoint_id, items):
        land(endpoint_id)
        fail_second(endpoint_id, items)
    client.on_read = on_read
    state = StateDir(str(tmp_path / 'state')) if journal else None
    first = make_task(client, payload='Reboot', clock=clock, state=state).present([7])[0]
    assert first['failed'] is True and first['action'] == 'partially_sent' and first['changed'] is True
    assert first['parts'][0]['outcome_unknown'] is True and first['parts'][0]['status']['name'] == 'outcome_unknown'
    # until/retries with delay 0: the task runs again at once, before the backend stored the part
    second = make_task(client, payload='Reboot', clock=clock, state=StateDir(str(tmp_path / 'state')) if journal else None).present([7])[0]
    land(7)
    clock.now += 10
    land(7)
    if journal:
        assert second['failed'] is False and second['action'] == 'already_sent'
        assert len(client.posts) == 1 and len(client.store[7]) == 1
    else:
        # without the journal (no state directory) the retry cannot know, and sends a second copy
        assert len(client.posts) == 2 and len(client.store[7]) == 2


def test_journal_is_private_holds_no_text_and_expires(tmp_path):
    clock = FakeClock()
    client = FakeClient()
    client.post_faults = [stored_then_lost]
    state = StateDir(str(tmp_path / 'state'))
    make_task(client, payload='PWD,secret-word', clock=clock, state=state).present([7])
    journals = [name for name in os.listdir(state.directory) if name.startswith('journal-')]
    assert len(journals) == 1
    path = os.path.join(state.directory, journals[0])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        content = handle.read()
    assert 'secret-word' not in content and '"sent"' in content
    clock.now += 6
    make_task(client, payload='Other', clock=clock, state=state).present([7])
    with open(path) as handle:
        data = json.load(handle)
    assert [entry['seq'] for entry in data['7'].values()] == [1] and len(data['7']) == 1


def test_parts_of_the_message_from_another_sender_are_detected_and_waited_for(tmp_path):
    clock = real_clock()
    client = FakeClient()
    spec = build_message(dict(payload=LONG))
    from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import plan_for_endpoint
    parts = plan_for_endpoint(spec, 7, []).parts
    # another controller sent part 1 a moment ago and sends parts 2 and 3 over the next second
    client._store_body(7, parts[0].body(spec))
    queued = [(clock.now + 0.5, parts[1]), (clock.now + 1.0, parts[2])]

    def other_sender(endpoint_id, _items):
        for entry in list(queued):
            if entry[0] <= clock.now:
                queued.remove(entry)
                client._store_body(endpoint_id, entry[1].body(spec))
    client.on_read = other_sender
    task = make_task(client, clock=clock, state=StateDir(str(tmp_path / 'state')))
    result = task.present([7])[0]
    assert result['action'] == 'already_sent' and client.posts == []
    assert len(task.warnings) == 1 and 'another sender' in task.warnings[0] and 'part 1/3' in task.warnings[0]
    assert len(client.ours(7)) == 3


def test_own_recent_sends_are_not_taken_for_another_sender(tmp_path):
    clock = real_clock()
    client = FakeClient()
    state = StateDir(str(tmp_path / 'state'))
    client.post_faults = [None, refused]
    make_task(client, clock=clock, state=state).present([7])
    task = make_task(client, clock=clock, state=state)
    result = task.present([7])[0]
    assert result['action'] == 'resumed' and task.warnings == []
    assert len(client.ours(7)) == 3


def test_a_copy_from_another_sender_seen_while_settling_is_warned_about():
    clock = FakeClock()
    client = FakeClient()
    spec = build_message(dict(payload=LONG))

    def other_sender_then_lost(fake, endpoint_id, body):
        # another controller stored part 1 (which this run already sent) and part 2; this POST's answer is lost
        from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import plan_for_endpoint
        parts = plan_for_endpoint(spec, 7, []).parts
        fake._store_body(endpoint_id, parts[0].body(spec))
        fake._store_body(endpoint_id, body)
        raise EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/7/sms', 'HTTP 502', status=502)
    client.post_faults = [None, other_sender_then_lost]
    task = make_task(client, clock=clock)
    result = task.present([7])[0]
    assert result['action'] == 'sent' and len(client.posts) == 3
    assert len(task.warnings) == 1 and 'another sender' in task.warnings[0] and 'part 1/3' in task.warnings[0]


@pytest.mark.parametrize('age, recent', [(0, True), (3.5, True), (-3, True), (6.5, False), (-60, False), (None, False)])
def test_recent_means_within_the_settle_time_of_now(age, recent):
    clock = real_clock()
    moment = None if age is None else api_date(datetime.datetime.fromtimestamp(clock.now - age, UTC))
    assert Settle(5, clock=clock, sleep=clock.sleep).recent({'submit_date': moment}) is recent


# -- sending under faults: every part exactly once after at most one rerun -------------------------------------

FAULTS = {
    'ok': None,
    'lost_answer': lost_answer,
    'status_after': status_after_processing,
    'status_before': lost_before_processing,
    'reset_before': reset_before_processing,
    'timeout_stored': timeout_stored,
    'timeout_late': timeout_late,
    'gateway_late': gateway_late,
    'timeout_lost': timeout_lost,
    'refused': refused,
}


def run_task(client, payload, endpoint_ids, **params):
    task = make_task(client, payload=payload, concurrency=1, **params)
    return task.spec, task, task.present(endpoint_ids)


def stored_copies(client, endpoint_id):
    """(udh, payload) -> number of stored copies."""
    counts = {}
    for item in client.store.get(endpoint_id, []):
        key = (item['udh'], item['payload'])
        counts[key] = counts.get(key, 0) + 1
    return counts


def planned_parts(spec, endpoint_id, client):
    history = [normalize_sms(item) for item in client.list_sms(endpoint_id)]
    return plan_for_endpoint(spec, endpoint_id, history).parts


TEXTS = st.sampled_from([
    'REBOOT',
    'APN,iot.example.net,user,pass',
    'CFG,' + 'x' * 300,
    u'\u041f\u0440\u0438\u0432\u0435\u0442 ' * 20,
    '{[~]} ' * 40,
])


@pytest.mark.parametrize('fault', [timeout_late, gateway_late])
def test_a_part_stored_late_is_settled_not_sent_twice(fault):
    # the request times out at the client (or the gateway answers 504), the history read right after does not
    # show it yet, and the service stores it 1.5 s later: the run waits for it and sends no second copy
    client = FakeClient()
    client.post_faults = [fault]
    _spec, task, results = run_task(client, 'SLOW,1', [7])
    assert len(client.posts) == 1
    assert stored_copies(client, 7) == {('', 'SLOW,1'): 1}
    result = results[0]
    assert result['failed'] is False and result['action'] == 'sent'
    assert result['parts'][0]['reconciled'] is True
    assert task.warnings == []


def test_a_timed_out_request_that_never_arrives_is_sent_again_after_the_settle_time():
    client = FakeClient()
    client.post_faults = [timeout_lost]
    start = client.clock()
    _spec, task, results = run_task(client, 'LOST,1', [7])
    assert results[0]['action'] == 'sent' and results[0]['failed'] is False
    assert len(client.posts) == 2
    assert stored_copies(client, 7) == {('', 'LOST,1'): 1}
    assert client.clock() - start >= SETTLE_TIME
    assert len(task.warnings) == 1 and 'never reached emnify and is sent again' in task.warnings[0]


@settings(max_examples=250, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=TEXTS, faults=st.lists(st.sampled_from(sorted(FAULTS)), max_size=8), ref_bits=st.sampled_from([8, 16]),
       endpoints=st.sampled_from([[7], [7, 8, 9]]))
def test_every_part_exactly_once_after_at_most_one_rerun(payload, faults, ref_bits, endpoints):
    client = FakeClient()
    client.post_faults = [FAULTS[name] for name in faults]
    spec, task, first = run_task(client, payload, endpoints, reference_bits=ref_bits)
    for result in first:
        stored = stored_copies(client, result['endpoint_id'])
        # truthful: a result that is not failed has every part stored; a changed one sent or found something new
        if not result['failed']:
            assert result['action'] in ('sent', 'resumed', 'already_sent')
            assert sum(stored.values()) == len(result['parts'])
        else:
            assert result['msg']
            assert result['action'] in ('failed', 'partially_sent')
        assert result['changed'] is (result['action'] in ('sent', 'resumed', 'partially_sent'))
        assert all(part['sent'] is False or part['sms_id'] is not None for part in result['parts'])
    client.land_late_requests()
    client.post_faults = []
    _spec, _task, second = run_task(client, payload, endpoints, reference_bits=ref_bits)
    for result in second:
        endpoint_id = result['endpoint_id']
        assert result['failed'] is False, result.get('msg')
        parts = planned_parts(spec, endpoint_id, client)
        stored = stored_copies(client, endpoint_id)
        assert sorted(stored) == sorted((part.udh, part.payload) for part in parts)
        assert set(stored.values()) == set([1])
        # in order: each part was stored after the one before it
        ids = dict(((item['udh'], item['payload']), item['id']) for item in client.store[endpoint_id])
        in_order = [ids[(part.udh, part.payload)] for part in parts]
        assert in_order == sorted(in_order)
    # a third run changes nothing
    _spec, _task, third = run_task(client, payload, endpoints, reference_bits=ref_bits)
    assert [result['action'] for result in third] == ['already_sent'] * len(endpoints)


def test_settle_time_zero_reads_once_and_sends_again_at_once():
    clock = FakeClock()
    client = FakeClient()
    client.post_faults = [lost_before_processing]
    spec = build_message(dict(payload='Reboot'))
    task = SmsTask(client, spec, sleep=clock.sleep, clock=clock, wall_clock=clock, settle_time=0)
    result = task.present([7])[0]
    assert result['action'] == 'sent' and len(client.posts) == 2 and len(client.store[7]) == 1
    assert client.reads == [7, 7] and clock.sleeps == []
