# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of an ``sms_provisioning`` rollout as data, its summary lines and the failure message.

The JSON, JUnit XML and Markdown files are rendered from this data by ``module_utils/_rollout_report``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.emnify.iot.plugins.module_utils._time import utcnow
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_progress import duration as _duration
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_state import DONE_STATES, _result_key, stamp


def public_url(url):
    """The API URL without credentials, for the report."""
    return re.sub(r'//[^/@]*@', '//', url or 'https://cdn.emnify.net')


def report(state, commands, check, title, started_at, started_ts, api_url, no_log, now=None, forecast=None):
    """The whole rollout as data: what the JSON, JUnit and Markdown reports and the summary are made from.
    It never holds the application token; payloads only with ``no_log`` false."""
    moment = now or utcnow()
    devices = []
    counts = dict(succeeded=0, failed=0, stopped=0, planned=0, to_send=0, sent=0, present=0)
    failed_by_step = {}
    per_command = dict((command['index'], dict(ok=0, failed=0, not_sent=0, parts_sent=0, parts_to_send=0)) for command in commands)
    for device in state['devices']:
        current = state['status'][device['key']]
        entries, all_ok = [], True
        for command in commands:
            result = state['results'].get(_result_key(device['key'], command['index']))
            tally = per_command[command['index']]
            if result is not None and result.get('state') == 'planned' and not check:
                result = dict(result, state='not_sent')
            if result is None:
                all_ok = False
                tally['not_sent'] += 1
                entry = {'number': command['number'], 'name': command['label'], 'status': 'not_planned' if check else 'not_sent'}
            else:
                entry = {'number': command['number'], 'name': command['label'], 'status': result['state']}
                entry.update((key, value) for key, value in result.items() if key not in ('command', 'state'))
                if result['state'] in ('failed', 'refused'):
                    all_ok = False
                    tally['failed'] += 1
                elif result['state'] in DONE_STATES or result['state'] == 'planned':
                    tally['ok'] += 1
                else:
                    all_ok = False
                    if result['state'] == 'not_sent':
                        tally['not_sent'] += 1
                to_send = 0
                if result['state'] == 'planned' and check and result.get('action') != 'already_sent':
                    to_send = (result.get('parts') or 0) - (result.get('present_parts') or 0)
                counts['to_send'] += to_send
                counts['sent'] += result.get('sent_parts') or 0
                counts['present'] += result.get('present_parts') or 0
                tally['parts_sent'] += result.get('sent_parts') or 0
                tally['parts_to_send'] += to_send
                if check:
                    entry['parts_to_send'] = to_send
            entries.append(entry)
        if current['state'] == 'failed':
            device_status = 'failed'
            counts['failed'] += 1
            failed_by_step[current['step']] = failed_by_step.get(current['step'], 0) + 1
        elif check:
            device_status = 'planned'
            counts['planned'] += 1
        elif all_ok:
            device_status = 'succeeded'
            counts['succeeded'] += 1
        else:
            device_status = 'stopped'
            counts['stopped'] += 1
        facts = {}
        for entry in entries:
            facts.update(entry.get('facts') or {})
        devices.append({'number': device['number'], 'label': device['label'], 'selector': device['selector'],
                        'endpoint': device['endpoint'], 'status': device_status, 'failed_at': current['step'],
                        'reason': current['reason'], 'commands': entries, 'facts': facts})
    summaries = []
    for command in commands:
        tally = per_command[command['index']]
        summaries.append({'number': command['number'], 'name': command['label'], 'wait': command['wait'], 'timeout': command['timeout'],
                          'encoding': command['encoding'], 'validity': command.get('validity'), 'max_parts': command['max_parts'],
                          'source_address': command.get('source_address'), 'source_address_type': command.get('source_address_type'),
                          'devices_ok': tally['ok'], 'devices_failed': tally['failed'], 'devices_not_sent': tally['not_sent'],
                          'parts_sent': tally['parts_sent'], 'parts_to_send': tally['parts_to_send']})
    if check and not state.get('guarded'):
        outcome = 'planned'
    elif state.get('halted_wave'):
        outcome = 'halted'
    elif state['aborted']:
        outcome = 'stopped'
    elif counts['failed']:
        outcome = 'completed_with_failures'
    else:
        outcome = 'succeeded'
    return {
        'title': title,
        'check_mode': bool(check),
        'outcome': outcome,
        'stopped_reason': (state.get('abort_reason') or state.get('halt_reason') or '').strip() or None,
        'halted_wave': state.get('halted_wave'),
        'forecast': forecast or {},
        'started_at': started_at,
        'finished_at': stamp(moment),
        'duration_seconds': round(moment.timestamp() - float(started_ts), 1),
        'api_url': public_url(api_url),
        'payloads_hidden': bool(no_log),
        'max_fail_percentage': state['max_fail_percentage'],
        'summary': {
            'devices': len(devices),
            'succeeded': counts['succeeded'],
            'failed': counts['failed'],
            'stopped': counts['stopped'],
            'planned': counts['planned'],
            'failed_by_step': failed_by_step,
            'parts_to_send': counts['to_send'],
            'parts_sent': counts['sent'],
            'parts_already_present': counts['present'],
            'api_requests': dict(state['requests']),
            'api_requests_total': sum(state['requests'].values())},
        'commands': summaries,
        'devices': devices}


def summary_lines(report):
    """The summary the role prints at the end, one string per line."""
    summary = report['summary']
    check = report['check_mode']
    lines = ['%s%s: %s in %s s' % (report['title'], ' (check mode: nothing was sent)' if check else '',
                                   report['outcome'].replace('_', ' '), report['duration_seconds'])]
    if check:
        lines.append('%d devices: %d planned, %d failing the checks; %d SMS parts to send, %d already on the devices' % (
            summary['devices'], summary['planned'], summary['failed'], summary['parts_to_send'], summary['parts_already_present']))
    else:
        lines.append('%d devices: %d succeeded, %d failed%s; %d SMS parts sent, %d already on the devices' % (
            summary['devices'], summary['succeeded'], summary['failed'], (', %d stopped' % summary['stopped']) if summary['stopped'] else '',
            summary['parts_sent'], summary['parts_already_present']))
    for command in report['commands']:
        lines.append('%d. %s (wait %s): %d ok, %d failed, %d %s, %s' % (
            command['number'], command['name'], command['wait'], command['devices_ok'], command['devices_failed'],
            command['devices_not_sent'], 'not planned' if check else 'not sent',
            ('%d parts to send' % command['parts_to_send']) if check else ('%d parts sent' % command['parts_sent'])))
    for device in report['devices']:
        if device['status'] == 'failed':
            lines.append('FAILED %s%s at %s: %s' % (device['label'], (' (endpoint %s)' % device['endpoint']['id']) if device['endpoint'] else '',
                                                    device['failed_at'], device['reason']))
    if report.get('halted_wave'):
        lines.append('HALTED after wave %s: %s' % (report['halted_wave'], report['stopped_reason']))
    elif report.get('stopped_reason'):
        lines.append('STOPPED: %s' % report['stopped_reason'])
    if report.get('forecast'):
        lines.append(forecast_line(report['forecast']))
    lines.append('API requests: %s' % summary['api_requests_total'])
    return lines


def failure_message(report, fail_on_device_errors, report_dir):
    """Why the role fails after the report was written, or None."""
    if report['outcome'] == 'stopped':
        return 'The rollout stopped: %s.' % report['stopped_reason']
    if report['outcome'] == 'halted':
        return 'The rollout halted after wave %s: %s.' % (report['halted_wave'], report['stopped_reason'])
    summary = report['summary']
    if fail_on_device_errors and summary['failed'] > 0:
        return '%d of %d devices failed: %s (see the report%s).' % (
            summary['failed'], summary['devices'], ', '.join(device['label'] for device in report['devices'] if device['status'] == 'failed'),
            (' in %s' % report_dir) if report_dir else '')
    return None


def forecast_line(forecast):
    """The forecast in one line: parts by encoding, requests, time at the rate limit, cost."""
    encodings = ', '.join('%d %s' % (count, name) for name, count in sorted(forecast['parts_by_encoding'].items()))
    line = 'Forecast: %d SMS parts%s, about %d API requests, about %s at the rate limit' % (
        forecast['parts'], (' (%s)' % encodings) if encodings else '', forecast['requests'], _duration(forecast['seconds']))
    if forecast.get('cost') is not None:
        line += ', estimated cost %s' % forecast['cost']
    return line
