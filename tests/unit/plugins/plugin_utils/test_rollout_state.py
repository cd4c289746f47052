# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout state, its transitions, the preflight and the report, step by step, on plain data."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout_plan, _rollout_report, _rollout_state

NOW = datetime.datetime(2026, 11, 24, 12, 0, 0, tzinfo=datetime.timezone.utc)


def _endpoint(number, ready=True):
    return {'id': number, 'name': 'device-%d' % number, 'iccid': '8988%d' % number, 'imsi': None, 'msisdn': None,
            'sim_status': 'activated', 'tags': None, 'status': {'id': 0, 'name': 'enabled'},
            'sms_ready': ready, 'sms_not_ready_reasons': [] if ready else ['endpoint is disabled']}


def _lookup(*entries, **kwargs):
    endpoints = kwargs.get('endpoints', [])
    return {'lookups': [{'field': field, 'value': value, 'endpoint_ids': ids} for field, value, ids in entries],
            'endpoints': endpoints, 'api_usage': {'requests': 2}}


def _command(index=0, wait='none', **kwargs):
    command = {'index': index, 'number': index + 1, 'label': 'command %d' % (index + 1), 'wait': wait, 'timeout': 60,
               'encoding': 'auto', 'validity': None, 'max_parts': 10, 'source_address': None, 'source_address_type': None}
    command.update(kwargs)
    return command


def _fleet(count):
    return _lookup(*[('id', str(100 + number), [100 + number]) for number in range(count)],
                   endpoints=[_endpoint(100 + number) for number in range(count)])


def _state(count=3, commands=None, max_fail=100):
    devices = [{'id': 100 + number} for number in range(count)]
    commands = commands or [{'payload': 'APN,iot.example.net'}]
    state = _rollout_state.resolve(devices, _fleet(count), max_fail)
    same = {'payloads': [command['payload'].strip() for command in commands],
            'patterns': [(command.get('reply_pattern') or '').strip() for command in commands]}
    return _rollout_state.with_rendered(state, dict((device['key'], same) for device in state['devices']
                                                    if state['status'][device['key']]['state'] == 'pending'))


def test_resolve_matches_each_device_and_reports_why_one_fails():
    devices = [{'id': 1}, {'name': 'missing'}, {'iccid': ' 89881 '}, {'id': 1}, {'name': 'off'}, {'name': 'twice'}]
    lookup = _lookup(('id', '1', [1]), ('name', 'missing', []), ('iccid', '89881', [2]), ('name', 'off', [3]),
                     ('name', 'twice', [4, 5]), endpoints=[_endpoint(1), _endpoint(2), _endpoint(3, ready=False)])
    state = _rollout_state.resolve(devices, lookup)
    reasons = [state['status'][device['key']]['reason'] for device in state['devices']]
    assert reasons[0] is None and reasons[2] is None
    assert reasons[1] == 'no endpoint has name missing'
    assert reasons[3] == 'endpoint 1 is already in the list as id=1'
    assert reasons[4] == 'cannot receive SMS: endpoint is disabled'
    assert reasons[5] == 'name twice matches 2 endpoints (4, 5)'
    assert [device['key'] for device in state['devices']][:2] == ['d0001', 'd0002']
    assert state['devices'][2]['label'] == 'iccid=89881' and state['devices'][2]['endpoint_id'] == 2
    assert state['devices'][2]['endpoint']['status'] == 'enabled'
    assert state['requests'] == {'lookup': 2}


def test_resolve_without_a_lookup_fails_every_device():
    state = _rollout_state.resolve([{'id': 5}], {'skipped': True})
    assert state['status']['d0001'] == {'state': 'failed', 'step': 'resolve', 'reason': 'no endpoint has id 5'}


def test_resolve_without_lookup_trusts_the_ids_but_still_refuses_a_repeated_one():
    state = _rollout_state.resolve([{'id': '7'}, {'name': 'x'}, {'id': 7}], None)
    assert [state['status'][key]['state'] for key in ('d0001', 'd0002', 'd0003')] == ['pending', 'failed', 'failed']
    assert state['devices'][0]['endpoint_id'] == 7 and state['devices'][0]['endpoint']['id'] == 7
    assert state['status']['d0003']['reason'] == 'endpoint 7 is already in the list as id=7'
    assert state['requests'] == {'lookup': 0}
    assert _rollout_state.resolve([{'id': 'x1'}], None)['status']['d0001']['reason'] == 'no endpoint has id x1'


def test_groups_and_messages_follow_the_rendered_payloads_of_pending_devices():
    state = _state(3, commands=[{'payload': 'A'}])
    state = _rollout_state.with_rendered(state, {}, {'d0002': 'APN: the payload template failed: x'})
    assert state['status']['d0002'] == {'state': 'failed', 'step': 'preflight', 'reason': 'APN: the payload template failed: x'}
    assert _rollout_state.groups(state, [0]) == [{'command': 0, 'payload': 'A', 'keys': ['d0001', 'd0003'], 'endpoint_ids': [100, 102],
                                                  'messages': [{'endpoint_id': 100, 'payload': 'A'}, {'endpoint_id': 102, 'payload': 'A'}]}]
    assert _rollout_state.messages(state, 0) == [{'endpoint_id': 100, 'payload': 'A'}, {'endpoint_id': 102, 'payload': 'A'}]


def test_plan_splits_with_the_module_code_and_refuses_only_the_devices_of_a_bad_message():
    commands = [_command(0), _command(1, max_parts=1)]
    state = _state(2, commands=[{'payload': 'APN,iot.example.net'}, {'payload': 'x' * 200}])
    state = _rollout_plan.plan(state, commands, no_log=False)
    assert state['results']['d0001/0']['state'] == 'planned'
    assert state['results']['d0001/0']['parts'] == 1 and state['results']['d0001/0']['encoding'] == 'gsm7'
    assert state['results']['d0001/0']['payload'] == 'APN,iot.example.net'
    assert state['results']['d0002/1']['state'] == 'refused'
    assert 'max_parts' in state['results']['d0002/1']['error']
    assert state['status']['d0001']['step'] == 'preflight'
    assert state['status']['d0001']['reason'].startswith('command 2: max_parts')
    assert state['requests']['preflight'] == 0


def test_plan_hides_payloads_and_checks_the_encoding():
    state = _rollout_plan.plan(_state(1, commands=[{'payload': 'Grüße, 中文'}]), [_command(0, encoding='gsm7')])
    result = state['results']['d0001/0']
    assert result['state'] == 'refused' and result['payload'] is None


def test_the_failure_threshold_stops_the_rollout():
    state = _state(4, commands=[{'payload': 'x' * 200}], max_fail=10)
    state = _rollout_plan.plan(state, [_command(0, max_parts=1)])
    assert state['aborted']
    assert state['abort_reason'].startswith('4 of 4 devices failed (100.0 %, more than sms_provisioning_max_fail_percentage 10)')


def test_checked_plan_records_what_each_device_already_has():
    state = _state(2)
    group = _rollout_state.groups(state, [0])[0]
    result = {'results': [{'item': group, 'api_usage': {'requests': 2}, 'messages': [
        {'endpoint_id': 100, 'action': 'already_sent', 'encoding': 'gsm7', 'dcs': 0, 'parts': [{'sms_id': 7}]},
        {'endpoint_id': 101, 'action': 'send', 'encoding': 'gsm7', 'dcs': 0, 'parts': [{'sms_id': None}]}]}]}
    state = _rollout_plan.checked_plan(state, [_command(0)], result['results'])
    assert state['results']['d0001/0']['present_parts'] == 1 and state['results']['d0001/0']['action'] == 'already_sent'
    assert state['results']['d0002/0']['present_parts'] == 0
    assert state['requests']['preflight'] == 2
    crashed = {'item': _rollout_state.groups(_state(1), [0])[0], 'failed': True, 'msg': 'MODULE FAILURE',
               'module_stderr': 'Traceback\nValueError: boom\n'}
    refused = _rollout_plan.checked_plan(_state(1), [_command(0)], [crashed])
    assert refused['status']['d0001']['reason'] == 'command 1: ValueError: boom'


def test_sent_records_parts_ids_and_failures():
    command = _command(0, wait='delivered')
    state = _state(3)
    result = {'api_usage': {'requests': 5}, 'messages': [
        {'endpoint_id': 100, 'action': 'sent', 'encoding': 'gsm7', 'parts': [{'sms_id': 1, 'sent': True, 'status': {'name': 'buffered'}}]},
        {'endpoint_id': 101, 'action': 'already_sent', 'encoding': 'gsm7', 'parts': [{'sms_id': 2, 'sent': False, 'status': None}]},
        {'endpoint_id': 102, 'failed': True, 'msg': 'HTTP 409', 'parts': []}]}
    state = _rollout_state.sent(state, command, result, '2026-11-24T12:00:00Z', now=NOW)
    first, second, third = (state['results']['d000%d/0' % number] for number in (1, 2, 3))
    assert first['state'] == 'waiting' and first['sms_ids'] == [1] and first['sent_parts'] == 1 and first['finished_at'] is None
    assert second['present_parts'] == 1 and second['sent_parts'] == 0
    assert third['state'] == 'failed' and third['error'] == 'HTTP 409' and third['finished_at'] == '2026-11-24T12:00:00Z'
    assert state['status']['d0003'] == {'state': 'failed', 'step': 'command 1', 'reason': 'HTTP 409'}
    assert _rollout_state.waiting_ids(state, 0) == [100, 101]
    assert state['requests']['command 1'] == 5


def test_sent_fails_every_device_when_the_task_failed_as_a_whole():
    state = _rollout_state.sent(_state(2), _command(0), {'failed': True, 'msg': 'authentication failed'}, 'now')
    assert [state['status'][key]['reason'] for key in ('d0001', 'd0002')] == ['authentication failed'] * 2


def _waiting(wait, sms_ids=(1,), pattern=''):
    state = _state(1, commands=[{'payload': 'PING', 'reply_pattern': pattern}])
    state['results']['d0001/0'] = {'state': 'waiting', 'sms_ids': list(sms_ids), 'started_at': '2026-11-24T11:59:00Z',
                                   'part_status': ['buffered']}
    return state, _command(0, wait=wait)


def _history(*messages):
    return {'messages': list(messages), 'api_usage': {'requests': 1}}


def _mt(sms_id, status_id, status_name, **extra):
    part = {'id': sms_id, 'status': {'id': status_id, 'name': status_name}, 'submit_date': '2026-11-24T11:59:30Z'}
    part.update(extra)
    return {'endpoint_id': 100, 'direction': 'mt', 'parts': [part]}


def test_polled_settles_delivered_failed_and_timed_out_devices():
    state, command = _waiting('delivered')
    done = _rollout_state.polled(state, command, _history(_mt(1, 4, 'delivered', final_date='2026-11-24T11:59:40Z')),
                                 NOW.timestamp() + 60, now=NOW)
    assert done['results']['d0001/0']['state'] == 'delivered'
    assert done['results']['d0001/0']['delivered_at'] == '2026-11-24T11:59:40Z'
    failed = _rollout_state.polled(state, command, _history(_mt(1, 6, 'expired', gsm_map_error=27)), NOW.timestamp() + 60, now=NOW)
    assert failed['status']['d0001']['reason'] == 'SMS 1 was not delivered: expired, gsm_map_error 27'
    still = _rollout_state.polled(state, command, _history(_mt(1, 3, 'buffered')), NOW.timestamp() + 60, now=NOW)
    assert still['results']['d0001/0']['state'] == 'waiting'
    late = _rollout_state.polled(state, command, _history(_mt(1, 3, 'buffered')), NOW.timestamp() - 1, now=NOW)
    assert late['status']['d0001']['reason'] == 'not delivered within 60s (parts: buffered)'
    unread = _rollout_state.polled(state, command, {'failed': True, 'msg': 'HTTP 503'}, NOW.timestamp() - 1, now=NOW)
    assert unread['status']['d0001']['reason'] == 'could not read the SMS history: HTTP 503'


def test_polled_finds_the_newest_matching_reply_after_the_command():
    state, command = _waiting('reply', pattern='^OK')
    old = {'endpoint_id': 100, 'direction': 'mo', 'payload': 'OK old', 'submit_date': '2026-11-24T11:00:00Z'}
    other = {'endpoint_id': 100, 'direction': 'mo', 'payload': 'ERR', 'submit_date': '2026-11-24T11:59:50Z'}
    good = {'endpoint_id': 100, 'direction': 'mo', 'payload': 'OK 1', 'submit_date': '2026-11-24T11:59:45Z'}
    state = _rollout_state.polled(state, command, _history(_mt(1, 4, 'delivered'), old, good, other), NOW.timestamp() + 60, now=NOW)
    assert state['results']['d0001/0']['state'] == 'replied'
    assert state['results']['d0001/0']['reply'] == 'OK 1'


def test_report_counts_devices_commands_and_requests():
    commands = [_command(0), _command(1)]
    state = _state(3, commands=[{'payload': 'A'}, {'payload': 'B'}])
    state['status']['d0003'] = {'state': 'failed', 'step': 'resolve', 'reason': 'gone'}
    state = _rollout_plan.plan(state, commands)
    result = {'messages': [{'endpoint_id': 100, 'action': 'sent', 'parts': [{'sms_id': 1, 'sent': True}]},
                           {'endpoint_id': 101, 'action': 'sent', 'parts': [{'sms_id': 2, 'sent': True}]}],
              'api_usage': {'requests': 4}}
    state = _rollout_state.sent(state, commands[0], result, 'start', now=NOW)
    report = _rollout_report.report(state, commands, False, 'T', 'start', NOW.timestamp() - 10, 'https://user:pw@api.example/', True, now=NOW)
    assert report['outcome'] == 'completed_with_failures'
    assert report['summary']['failed'] == 1 and report['summary']['stopped'] == 2
    assert report['summary']['parts_sent'] == 2
    assert report['summary']['api_requests'] == {'lookup': 2, 'preflight': 0, 'command 1': 4}
    assert report['summary']['api_requests_total'] == 6
    assert report['api_url'] == 'https://api.example/'
    assert report['duration_seconds'] == 10.0
    assert [entry['status'] for entry in report['devices'][0]['commands']] == ['sent', 'not_sent']
    assert report['commands'][1]['devices_not_sent'] == 3
    planned = _rollout_report.report(_rollout_plan.plan(_state(1), [_command(0)]), [_command(0)], True, 'T', 's', NOW.timestamp(), None, True, now=NOW)
    assert planned['outcome'] == 'planned' and planned['summary']['parts_to_send'] == 1
    assert planned['api_url'] == 'https://cdn.emnify.net'


def test_plain_copies_so_steps_never_change_their_input():
    state = _state(1)
    before = _rollout_state.plain(state)
    _rollout_plan.plan(state, [_command(0)])
    assert state == before


@pytest.mark.parametrize('result, expected', [
    ({'msg': 'refused'}, 'refused'),
    ({}, 'failed'),
    ({'msg': 'MODULE FAILURE\nSee stdout', 'module_stderr': 'a\nb \n'}, 'b'),
])
def test_module_error(result, expected):
    assert _rollout_state.module_error(result) == expected
