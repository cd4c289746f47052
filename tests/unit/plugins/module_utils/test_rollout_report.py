# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report files of a rollout: JUnit XML read back with an XML parser, Markdown tables, atomic writes."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat
import xml.etree.ElementTree as ET

from ansible_collections.emnify.iot.plugins.module_utils import _rollout_report as report_files


def _report(check=False, hidden=True):
    ok = {'number': 1, 'name': 'APN', 'status': 'sent', 'action': 'sent', 'parts': 2, 'encoding': 'gsm7', 'sent_parts': 2,
          'present_parts': 0, 'sms_ids': [11, 12], 'payload': None if hidden else 'APN,`x`|y'}
    return {
        'title': 'Wave <1>', 'check_mode': check, 'outcome': 'completed_with_failures', 'stopped_reason': None,
        'started_at': '2026-11-24T12:00:00Z', 'finished_at': '2026-11-24T12:00:09Z', 'duration_seconds': 9.0,
        'api_url': 'https://cdn.emnify.net', 'payloads_hidden': hidden,
        'summary': {'devices': 3, 'succeeded': 1, 'failed': 2, 'stopped': 0, 'planned': 0, 'parts_sent': 2, 'parts_to_send': 0,
                    'parts_already_present': 0, 'api_requests_total': 7},
        'commands': [{'number': 1, 'name': 'APN', 'wait': 'none', 'timeout': 300, 'devices_ok': 1, 'devices_failed': 1,
                      'devices_not_sent': 1, 'parts_sent': 2, 'parts_to_send': 0}],
        'devices': [
            {'number': 1, 'label': 'id=1', 'endpoint': {'id': 1, 'name': 'a|b', 'iccid': '8988'}, 'status': 'succeeded',
             'failed_at': None, 'reason': None, 'commands': [ok]},
            {'number': 2, 'label': 'name=gone', 'endpoint': None, 'status': 'failed', 'failed_at': 'resolve',
             'reason': 'no endpoint has name gone\x01', 'commands': [{'number': 1, 'name': 'APN', 'status': 'not_sent'}]},
            {'number': 3, 'label': 'id=3', 'endpoint': {'id': 3, 'name': 'c', 'iccid': None}, 'status': 'failed',
             'failed_at': 'APN', 'reason': 'HTTP 409', 'commands': [{'number': 1, 'name': 'APN', 'status': 'failed', 'error': 'HTTP 409 <&>'}]},
        ]}


def test_junit_has_one_suite_for_checks_and_one_per_command():
    root = ET.fromstring(report_files.to_junit(_report()).encode('utf-8'))
    assert root.tag == 'testsuites' and root.get('tests') == '6' and root.get('failures') == '2'
    checks, command = root.findall('testsuite')
    assert checks.get('name') == 'Wave <1>: device checks' and checks.get('failures') == '1'
    assert checks.findall('testcase')[1].find('failure').get('message') == 'no endpoint has name gone'
    assert command.get('failures') == '1' and command.get('skipped') == '1'
    cases = command.findall('testcase')
    assert cases[0].find('system-out').text == 'sent, sent; 2 part(s) gsm7; sent 2, already present 0; SMS ids 11 12'
    assert cases[1].find('skipped').get('message') == 'device failed at resolve: no endpoint has name gone'
    assert cases[2].find('failure').text == 'HTTP 409 <&>'


def test_markdown_escapes_cells_and_shows_payloads_only_when_not_hidden():
    text = report_files.to_markdown(_report())
    assert '| 1 | id=1 | 1 a\\|b | succeeded | sent (2 gsm7) |' in text
    assert '| 2 | name=gone | - | failed | not sent |' in text
    assert '- **id=3** (endpoint 3) at APN: HTTP 409' in text
    assert '## Payloads' not in text
    shown = report_files.to_markdown(_report(hidden=False))
    assert "- id=1, APN: `APN,'x'|y`" in shown


def test_markdown_shows_the_forecast_the_halted_wave_and_the_captured_facts():
    report = _report()
    report.update(outcome='halted', halted_wave=2, stopped_reason='wave 2: 2 of 3 devices failed (67%)',
                  forecast={'parts': 9, 'parts_by_encoding': {'ucs2': 4, 'gsm7': 5}, 'requests': 31, 'seconds': 15.5, 'cost': 0.45})
    report['devices'][0]['facts'] = {'fw': '1.2|3', 'imei': '35'}
    report['devices'][2]['facts'] = {'fw': '0.9'}
    text = report_files.to_markdown(report)
    assert '- Outcome: **halted** - wave 2: 2 of 3 devices failed (67%)' in text
    assert '- Halted after wave **2**: later waves were not sent' in text
    assert '- Forecast: 9 SMS parts (5 gsm7, 4 ucs2), about 31 API requests, about 15.5 s at the rate limit, estimated cost 0.45' in text
    table = text.split('## Captured facts\n\n')[1].split('\n\n')[0].splitlines()
    assert table == ['| # | Device | fw | imei |', '|---|--------|---|---|', '| 1 | id=1 | 1.2\\|3 | 35 |', '| 3 | id=3 | 0.9 |  |']
    del report['forecast']['cost']
    assert 'SMS parts (5 gsm7, 4 ucs2), about 31 API requests, about 15.5 s at the rate limit\n' in report_files.to_markdown(report)
    plain = report_files.to_markdown(_report())
    assert 'Halted' not in plain and 'Forecast' not in plain and 'Captured facts' not in plain


def test_json_is_the_report_as_it_is():
    assert json.loads(report_files.to_json(_report())) == _report()


def test_write_atomic_writes_once_with_the_mode(tmp_path):
    path = str(tmp_path / 'r.json')
    assert report_files.write_atomic(path, u'{"a": "ü"}\n', 0o640) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert report_files.write_atomic(path, u'{"a": "ü"}\n', 0o600) is False
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert report_files.write_atomic(path, u'{}\n', 0o600) is True
    assert open(path).read() == '{}\n'
    assert sorted(os.listdir(str(tmp_path))) == ['r.json']


def _device(endpoint_id, status='succeeded', parts=1):
    entry = {'number': 1, 'name': 'APN', 'status': 'sent' if status == 'succeeded' else 'failed', 'sent_parts': parts}
    return {'number': 0, 'label': 'id=%d' % endpoint_id, 'endpoint': {'id': endpoint_id}, 'status': status,
            'failed_at': None if status == 'succeeded' else 'APN', 'reason': None, 'commands': [entry]}


def _slice(devices, outcome, started, finished, requests, check=False):
    failed = sum(1 for device in devices if device['status'] == 'failed')
    return {
        'title': 'Fleet', 'check_mode': check, 'outcome': outcome, 'stopped_reason': 'too many failures' if outcome == 'stopped' else None,
        'started_at': started, 'finished_at': finished, 'duration_seconds': 1.0, 'api_url': 'https://cdn.emnify.net',
        'payloads_hidden': True,
        'summary': {'devices': len(devices), 'succeeded': len(devices) - failed, 'failed': failed, 'stopped': 0,
                    'failed_by_step': {'APN': failed} if failed else {}, 'parts_sent': len(devices) - failed,
                    'api_requests': {'GET': requests, 'POST': len(devices)}, 'api_requests_total': requests + len(devices)},
        'commands': [{'number': 1, 'name': 'APN', 'wait': 'none', 'devices_ok': len(devices) - failed, 'devices_failed': failed,
                      'devices_not_sent': 0, 'parts_sent': len(devices) - failed, 'parts_to_send': 0}],
        'devices': devices}


def test_merge_adds_up_the_slices_and_restores_the_order_of_a_k_step_n_split():
    ids = list(range(1, 8))
    slices = [[_device(endpoint_id, 'failed' if endpoint_id == 5 else 'succeeded') for endpoint_id in ids[k::3]] for k in range(3)]
    reports = [_slice(slices[0], 'succeeded', '2026-12-06T10:00:05Z', '2026-12-06T10:01:00Z', 3),
               _slice(slices[1], 'completed_with_failures', '2026-12-06T10:00:00Z', '2026-12-06T10:01:30Z', 4),
               _slice(slices[2], 'succeeded', '2026-12-06T10:00:02Z', '2026-12-06T10:00:50Z', 2)]
    merged = report_files.merge(reports, ['a.json', 'b.json', 'c.json'])
    assert [device['endpoint']['id'] for device in merged['devices']] == ids
    assert [device['number'] for device in merged['devices']] == ids
    assert merged['outcome'] == 'completed_with_failures' and merged['stopped_reason'] is None
    assert merged['summary'] == {'devices': 7, 'succeeded': 6, 'failed': 1, 'stopped': 0, 'failed_by_step': {'APN': 1},
                                 'parts_sent': 6, 'api_requests': {'GET': 9, 'POST': 7}, 'api_requests_total': 16}
    assert (merged['commands'][0]['devices_ok'], merged['commands'][0]['devices_failed'], merged['commands'][0]['parts_sent']) == (6, 1, 6)
    assert (merged['started_at'], merged['finished_at'], merged['duration_seconds']) == (
        '2026-12-06T10:00:00Z', '2026-12-06T10:01:30Z', 90.0)
    assert [(item['name'], item['outcome'], item['devices']) for item in merged['slices']] == [
        ('a.json', 'succeeded', 3), ('b.json', 'completed_with_failures', 2), ('c.json', 'succeeded', 2)]
    # The merged report renders like any other.
    assert ET.fromstring(report_files.to_junit(merged).encode('utf-8')).get('tests') == '14'
    assert '- Devices: 7 (6 succeeded, 1 failed, 0 stopped)' in report_files.to_markdown(merged)


def test_merge_takes_the_most_serious_outcome_and_names_the_slice_that_stopped():
    reports = [_slice([_device(1)], 'succeeded', 'x', 'y', 1), _slice([_device(2)], 'stopped', 'x', 'y', 1),
               _slice([_device(3)], 'completed_with_failures', 'x', 'y', 1)]
    merged = report_files.merge(reports)
    assert merged['outcome'] == 'stopped' and merged['stopped_reason'] == 'slice 2: too many failures'
    halted = dict(reports[0], outcome='halted', halted_wave=2, forecast={'parts': 10, 'requests': 30, 'seconds': 12.0})
    merged = report_files.merge([halted, dict(reports[1], forecast={'parts': 5, 'requests': 20, 'seconds': 20.0})])
    assert (merged['outcome'], merged['halted_wave']) == ('halted', 2)
    assert merged['forecast'] == {'parts': 15, 'requests': 50, 'seconds': 20.0}


def test_merge_refuses_reports_of_different_rollouts():
    one = _slice([_device(1)], 'succeeded', 'x', 'y', 1)
    other = dict(one, commands=[dict(one['commands'][0], name='REBOOT')])
    for reports, message in (([one, other], 'b ran other commands than a'),
                             ([one, dict(one, check_mode=True)], 'b has check_mode=True, a has check_mode=False'),
                             ([one, {'devices': 'x'}], 'b is not an sms_provisioning report'),
                             ([], 'no report given')):
        try:
            report_files.merge(reports, ['a', 'b'])
        except report_files.MergeError as exc:
            assert message in str(exc)
        else:
            raise AssertionError('merged %r' % (reports,))
