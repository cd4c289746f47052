# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of an ``sms_provisioning`` rollout as files: JSON, JUnit XML and Markdown.

Pure functions from the report data (built by the rollout engine, ``plugin_utils/_rollout_report``) to
text, one function that merges the reports of the slices of one rollout into one report, and one function
that writes the files atomically with private modes (used by the ``sms_rollout_report`` module and by the
``sms_rollout`` action on the controller). The JUnit file has one test suite for the device
checks and one per command, one test case per device, so a CI server shows each device.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import re
import tempfile
from xml.sax.saxutils import escape, quoteattr

FORMATS = {'json': '.json', 'junit': '.junit.xml', 'markdown': '.md'}
_CONTROL = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f]')
CHECK_STEPS = ('resolve', 'preflight')
SKIPPED = ('not_sent', 'not_planned', 'waiting')
FAILED = ('failed', 'refused')


def _text(value):
    return '' if value is None else u'%s' % (value,)


def _x(value):
    return escape(_CONTROL.sub('', _text(value)))


def _attr(value):
    return quoteattr(_CONTROL.sub('', _text(value)))


def to_json(report):
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + '\n'


def _case_output(report, entry):
    text = _text(entry.get('status'))
    if entry.get('action'):
        text += ', %s' % entry['action']
    text += '; %s part(s) %s' % (entry.get('parts') or '?', entry.get('encoding') or '')
    if not report.get('check_mode'):
        text += '; sent %s, already present %s; SMS ids %s' % (
            entry.get('sent_parts') or 0, entry.get('present_parts') or 0, ' '.join(_text(one) for one in entry.get('sms_ids') or []))
    if entry.get('reply') is not None:
        text += '; reply %s' % entry['reply']
    return text


def to_junit(report):
    devices, commands = report.get('devices') or [], report.get('commands') or []
    title = report.get('title')
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<testsuites name=%s tests="%d" failures="%d" time="%s">' % (
                 _attr(title), len(devices) * (len(commands) + 1), (report.get('summary') or {}).get('failed', 0),
                 report.get('duration_seconds'))]
    check_failures = sum(1 for device in devices if device.get('failed_at') in CHECK_STEPS)
    lines.append('  <testsuite name=%s tests="%d" failures="%d" errors="0" skipped="0" timestamp=%s>' % (
        _attr('%s: device checks' % _text(title)), len(devices), check_failures, _attr(report.get('started_at'))))
    for device in devices:
        lines.append('    <testcase classname="sms_provisioning.checks" name=%s>' % _attr(device.get('label')))
        if device.get('failed_at') in CHECK_STEPS:
            lines.append('      <failure type=%s message=%s>%s</failure>' % (
                _attr(device['failed_at']), _attr(device.get('reason')), _x(device.get('reason'))))
        else:
            endpoint = device.get('endpoint') or {}
            lines.append('      <system-out>endpoint %s (%s, ICCID %s)</system-out>' % (
                _x(endpoint.get('id')), _x(endpoint.get('name')), _x(endpoint.get('iccid'))))
        lines.append('    </testcase>')
    lines.append('  </testsuite>')
    for command in commands:
        entries = [(device, device['commands'][command['number'] - 1]) for device in devices]
        failures = sum(1 for _device, entry in entries if entry.get('status') in FAILED)
        skipped = sum(1 for _device, entry in entries if entry.get('status') in SKIPPED)
        lines.append('  <testsuite name=%s tests="%d" failures="%d" errors="0" skipped="%d" timestamp=%s>' % (
            _attr('%s: %s. %s' % (_text(title), command['number'], _text(command.get('name')))), len(devices), failures, skipped,
            _attr(report.get('started_at'))))
        for device, entry in entries:
            lines.append('    <testcase classname=%s name=%s>' % (_attr('sms_provisioning.%s' % _text(command.get('name'))),
                                                                  _attr(device.get('label'))))
            if entry.get('status') in FAILED:
                lines.append('      <failure type=%s message=%s>%s</failure>' % (
                    _attr(entry['status']), _attr(entry.get('error')), _x(entry.get('error'))))
            elif entry.get('status') in SKIPPED:
                why = ('device failed at %s: %s' % (device['failed_at'], device.get('reason'))) if device.get('failed_at') \
                    else 'the rollout stopped before this command'
                lines.append('      <skipped message=%s/>' % _attr(why))
            else:
                lines.append('      <system-out>%s</system-out>' % _x(_case_output(report, entry)))
            lines.append('    </testcase>')
        lines.append('  </testsuite>')
    lines.append('</testsuites>')
    return '\n'.join(lines) + '\n'


def _cell(value):
    return _text(value).replace('|', '\\|').replace('\n', ' ')


def _forecast_item(forecast):
    encodings = ', '.join('%s %s' % (count, _cell(name)) for name, count in sorted((forecast.get('parts_by_encoding') or {}).items()))
    line = '- Forecast: %s SMS parts%s, about %s API requests, about %s s at the rate limit' % (
        forecast.get('parts'), (' (%s)' % encodings) if encodings else '', forecast.get('requests'), forecast.get('seconds'))
    if forecast.get('cost') is not None:
        line += ', estimated cost %s' % forecast['cost']
    return line


def _facts_table(devices):
    """The facts captured from the devices' replies: one row per device that has any, one column per fact."""
    names = sorted(set(name for device in devices for name in (device.get('facts') or {})))
    if not names:
        return []
    out = ['', '## Captured facts', '', '| # | Device |' + ''.join(' %s |' % _cell(name) for name in names),
           '|---|--------|' + '---|' * len(names)]
    for device in devices:
        facts = device.get('facts') or {}
        if facts:
            out.append('| %s | %s |%s' % (device.get('number'), _cell(device.get('label')),
                                          ''.join(' %s |' % _cell(facts.get(name, '')) for name in names)))
    return out


def to_markdown(report):
    summary = report.get('summary') or {}
    check = report.get('check_mode')
    commands, devices = report.get('commands') or [], report.get('devices') or []
    out = ['# %s%s' % (_text(report.get('title')), ' (check mode)' if check else ''), '']
    stopped = (' - %s' % report['stopped_reason']) if report.get('stopped_reason') else ''
    out.append('- Outcome: **%s**%s' % (_text(report.get('outcome')).replace('_', ' '), stopped))
    out.append('- Started %s, finished %s (%s s), API %s' % (
        report.get('started_at'), report.get('finished_at'), report.get('duration_seconds'), report.get('api_url')))
    if check:
        out.append('- Devices: %s (%s planned, %s failing the checks)' % (summary.get('devices'), summary.get('planned'), summary.get('failed')))
        out.append('- SMS parts to send: %s; already on the devices: %s' % (summary.get('parts_to_send'), summary.get('parts_already_present')))
    else:
        out.append('- Devices: %s (%s succeeded, %s failed, %s stopped)' % (
            summary.get('devices'), summary.get('succeeded'), summary.get('failed'), summary.get('stopped')))
        out.append('- SMS parts sent: %s; already on the devices: %s' % (summary.get('parts_sent'), summary.get('parts_already_present')))
    out.append('- API requests: %s%s' % (summary.get('api_requests_total'), ' (payloads hidden)' if report.get('payloads_hidden') else ''))
    if report.get('halted_wave'):
        out.append('- Halted after wave **%s**: later waves were not sent' % report['halted_wave'])
    if report.get('forecast'):
        out.append(_forecast_item(report['forecast']))
    out += ['', '## Commands', '',
            '| # | Command | Wait | Timeout | OK | Failed | Not %s | Parts %s |' % ('planned' if check else 'sent', 'to send' if check else 'sent'),
            '|---|---------|------|---------|----|--------|----------|-------|']
    for command in commands:
        out.append('| %s | %s | %s | %s s | %s | %s | %s | %s |' % (
            command['number'], _cell(command.get('name')), command.get('wait'), command.get('timeout'), command.get('devices_ok'),
            command.get('devices_failed'), command.get('devices_not_sent'),
            command.get('parts_to_send') if check else command.get('parts_sent')))
    out += ['', '## Devices', '',
            '| # | Device | Endpoint | Status |' + ''.join(' %s. %s |' % (command['number'], _cell(command.get('name'))) for command in commands),
            '|---|--------|----------|--------|' + '---|' * len(commands)]
    for device in devices:
        endpoint = device.get('endpoint')
        cells = []
        for entry in device.get('commands') or []:
            cell = _text(entry.get('status')).replace('_', ' ')
            if entry.get('parts'):
                cell += ' (%s %s)' % (entry['parts'], _text(entry.get('encoding')))
            if entry.get('reply') is not None:
                cell += ': %s' % _cell(entry['reply'])
            cells.append(' %s |' % cell)
        out.append('| %s | %s | %s | %s |%s' % (
            device.get('number'), _cell(device.get('label')),
            _cell('%s %s' % (endpoint.get('id'), _text(endpoint.get('name')))) if endpoint else '-', device.get('status'), ''.join(cells)))
    out += _facts_table(devices)
    failed = [device for device in devices if device.get('status') == 'failed']
    if failed:
        out += ['', '## Failures', '']
        for device in failed:
            out.append('- **%s**%s at %s: %s' % (device.get('label'),
                                                 (' (endpoint %s)' % device['endpoint']['id']) if device.get('endpoint') else '',
                                                 device.get('failed_at'), device.get('reason')))
    if not report.get('payloads_hidden'):
        out += ['', '## Payloads', '']
        for device in devices:
            for entry in device.get('commands') or []:
                if entry.get('payload') is not None:
                    out.append('- %s, %s: `%s`' % (device.get('label'), entry.get('name'), _text(entry['payload']).replace('`', "'")))
    return '\n'.join(out) + '\n'


RENDERERS = {'json': to_json, 'junit': to_junit, 'markdown': to_markdown}

# The outcome of merged slices is the most serious outcome of any slice.
_OUTCOME_RANK = ('planned', 'succeeded', 'completed_with_failures', 'stopped', 'halted')
# Per-command counters of the report that add up over slices.
_COMMAND_TOTALS = ('devices_ok', 'devices_failed', 'devices_not_sent', 'parts_sent', 'parts_to_send')
# What must be the same in every slice of one rollout.
_SAME_IN_EVERY_SLICE = ('check_mode', 'payloads_hidden')
_STAMP = '%Y-%m-%dT%H:%M:%SZ'


class MergeError(ValueError):
    """The reports given are not slices of one rollout."""


def _add(total, more, wall_keys=()):
    """Add the numbers of ``more`` to ``total`` (dicts key by key); keys in ``wall_keys`` take the larger value."""
    for key, value in more.items():
        if isinstance(value, bool) or value is None:
            total.setdefault(key, value)
        elif isinstance(value, (int, float)):
            before = total.get(key) or 0
            total[key] = max(before, value) if key in wall_keys else before + value
        elif isinstance(value, dict):
            _add(total.setdefault(key, {}), value, wall_keys)
        else:
            total.setdefault(key, value)
    return total


def _moment(text):
    try:
        return datetime.datetime.strptime(text, _STAMP)
    except (TypeError, ValueError):
        return None


def _interleave(lists):
    """slice 1's first item, slice 2's first, ..., slice 1's second, ...: undoes a split into ``items[k::N]``."""
    out = []
    for index in range(max(len(items) for items in lists)):
        out.extend(items[index] for items in lists if index < len(items))
    return out


def merge(reports, names=None):
    """One report of a rollout run in slices, from the slices' reports (JSON documents as dicts), in slice order.

    Devices are interleaved in slice order (slice 1's first device, slice 2's first, ...), which gives back the order
    of a device list split as ``hosts[k::N]``, as AWX job slicing splits the hosts sorted by name; counts are added up;
    the outcome is the most serious one of any slice; the duration runs from the first start to the last finish.
    Raises MergeError when the reports are not slices of the same rollout (different commands or modes).
    """
    if not reports:
        raise MergeError('no report given')
    names = list(names or ['slice %d' % number for number in range(1, len(reports) + 1)])
    first = reports[0]
    signature = [(command.get('number'), command.get('name')) for command in first.get('commands') or []]
    for name, report in zip(names, reports):
        if not isinstance(report, dict) or not isinstance(report.get('devices'), list) or 'summary' not in report:
            raise MergeError('%s is not an sms_provisioning report' % name)
        if [(command.get('number'), command.get('name')) for command in report.get('commands') or []] != signature:
            raise MergeError('%s ran other commands than %s: only slices of one rollout can be merged' % (name, names[0]))
        for key in _SAME_IN_EVERY_SLICE:
            if bool(report.get(key)) != bool(first.get(key)):
                raise MergeError('%s has %s=%s, %s has %s=%s: only slices of one rollout can be merged'
                                 % (name, key, bool(report.get(key)), names[0], key, bool(first.get(key))))
    merged = dict(first)
    outcomes = [report.get('outcome') for report in reports]
    merged['outcome'] = max(outcomes, key=lambda outcome: _OUTCOME_RANK.index(outcome) if outcome in _OUTCOME_RANK else -1)
    reasons = ['%s: %s' % (name, report['stopped_reason']) for name, report in zip(names, reports) if report.get('stopped_reason')]
    merged['stopped_reason'] = '; '.join(reasons) or None
    halted = [(name, report) for name, report in zip(names, reports) if report.get('outcome') == 'halted']
    if halted:
        merged['halted_wave'] = halted[0][1].get('halted_wave')
    starts = [_moment(report.get('started_at')) for report in reports]
    ends = [_moment(report.get('finished_at')) for report in reports]
    if all(starts) and all(ends):
        merged['started_at'], merged['finished_at'] = min(starts).strftime(_STAMP), max(ends).strftime(_STAMP)
        merged['duration_seconds'] = round((max(ends) - min(starts)).total_seconds(), 1)
    else:
        merged['duration_seconds'] = max(report.get('duration_seconds') or 0 for report in reports)
    summary = {}
    for report in reports:
        _add(summary, report.get('summary') or {})
    merged['summary'] = summary
    if any('forecast' in report for report in reports):
        # Slices run side by side: their requests and parts add up, the time they take does not.
        forecast = {}
        for report in reports:
            _add(forecast, report.get('forecast') or {}, wall_keys=('seconds',))
        merged['forecast'] = forecast
    commands = []
    for number, command in enumerate(first.get('commands') or []):
        total = dict(command)
        for key in _COMMAND_TOTALS:
            if key in command:
                total[key] = sum((report['commands'][number].get(key) or 0) for report in reports)
        commands.append(total)
    merged['commands'] = commands
    devices = _interleave([report['devices'] for report in reports])
    merged['devices'] = [dict(device, number=number) for number, device in enumerate(devices, 1)]
    merged['slices'] = [{'name': name, 'outcome': report.get('outcome'), 'devices': len(report['devices']),
                         'started_at': report.get('started_at'), 'finished_at': report.get('finished_at')}
                        for name, report in zip(names, reports)]
    return merged


def unchanged(path, text):
    """Whether the file at ``path`` already holds exactly ``text``."""
    try:
        with open(path, 'rb') as handle:
            return handle.read() == text.encode('utf-8')
    except (IOError, OSError):
        return False


def write_atomic(path, text, mode):
    """Write ``text`` to ``path`` through a temporary file in the same directory; return whether it changed."""
    if unchanged(path, text):
        os.chmod(path, mode)
        return False
    data = text.encode('utf-8')
    directory = os.path.dirname(path) or '.'
    fd, temporary = tempfile.mkstemp(prefix='.report-', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.rename(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return True


def write_files(report, directory, name, formats=('json', 'junit', 'markdown'), mode=0o640, check=False):
    """Write ``report`` as ``directory/name`` plus each format's extension (the directory is created, mode 0750);
    return ``(files, written)``: the path per format and the formats whose file changed (or would, with ``check``).

    Raises ValueError when ``report`` is not a rollout report, OSError when a file cannot be written.
    """
    formats = list(dict.fromkeys(formats))
    files = dict((fmt, os.path.join(directory, name + FORMATS[fmt])) for fmt in formats)
    try:
        texts = dict((fmt, RENDERERS[fmt](report)) for fmt in formats)
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError('is not an sms_provisioning report (%s: %s)' % (type(exc).__name__, exc))
    written = []
    if not os.path.isdir(directory):
        written = list(formats)
        if not check:
            os.makedirs(directory, 0o750)
    for fmt in formats:
        changed = not unchanged(files[fmt], texts[fmt]) if check else write_atomic(files[fmt], texts[fmt], mode)
        if changed and fmt not in written:
            written.append(fmt)
    return files, written
