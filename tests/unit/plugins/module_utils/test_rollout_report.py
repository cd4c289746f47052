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
