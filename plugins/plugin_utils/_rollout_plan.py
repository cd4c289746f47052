# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight of an ``sms_provisioning`` rollout: every distinct message split and checked, no request.

Messages are planned with the same code as ``emnify_sms`` (``_sms_plan``), so the preflight refuses exactly what
the module would refuse. In check mode the module's own check-mode answers are recorded instead.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import PlanError, build_message, check_sender, split_for
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_state import _apply, _result_key, _writable, groups, module_error


def _spec_params(command, payload, since):
    return {'payload': payload, 'encoding': command.get('encoding') or 'auto', 'max_parts': int(command.get('max_parts') or 10),
            'source_address': command.get('source_address') or None, 'source_address_type': command.get('source_address_type') or None,
            'validity': command.get('validity') or None, 'since': since or None, 'dcs': None, 'udh': None, 'reference_bits': 8,
            'dest_address': None, 'expiry_date': None}


def plan(state, commands, since=None, no_log=True, now=None):
    """The preflight outside check mode: every distinct message is split with the module's own code, no request.

    A message the module would refuse (over its part limit, a character outside the chosen alphabet, a bad
    sender) fails the preflight for its devices only.
    """
    state = _writable(state)
    results, status = {}, {}
    for group in groups(state, [command['index'] for command in commands]):
        command = commands[group['command']]
        error, parts, encoding, dcs = None, None, None, None
        try:
            spec = build_message(_spec_params(command, group['payload'], since), now=now)
            split, _reference = split_for(spec, group['endpoint_ids'][0], 0)
            parts, encoding, dcs = len(split), spec.encoding, spec.dcs
        except PlanError as exc:
            error = str(exc)
        for key in group['keys']:
            results[_result_key(key, group['command'])] = {
                'command': group['command'], 'state': 'refused' if error else 'planned', 'action': None, 'parts': parts,
                'encoding': encoding, 'dcs': dcs, 'payload': None if no_log else group['payload'], 'sms_ids': [],
                'sent_parts': 0, 'present_parts': 0, 'error': error}
            if error and key not in status:
                status[key] = {'state': 'failed', 'step': 'preflight', 'reason': '%s: %s' % (command['label'], error)}
    return _apply(state, 'preflight', results, status, 0)


def checked_plan(state, commands, plan_results, no_log=True):
    """The preflight in check mode, from the check-mode ``emnify_sms`` results (one per message group, looped):
    parts, encoding and what each device already has."""
    state = _writable(state)
    results, status, requests = {}, {}, 0
    for result in plan_results or []:
        group = result.get('item') or {}
        command = commands[group['command']]
        requests += (result.get('api_usage') or {}).get('requests', 0) or 0
        refused = result.get('messages') is None
        by_endpoint = dict((str(message.get('endpoint_id')), message) for message in result.get('messages') or [])
        for position, key in enumerate(group['keys']):
            message = by_endpoint.get(str(group['endpoint_ids'][position]))
            failed_here = message is not None and message.get('failed', False)
            error = module_error(result) if refused else (message.get('msg') if failed_here else None)
            parts = (message or {}).get('parts') or []
            results[_result_key(key, group['command'])] = {
                'command': group['command'], 'state': 'refused' if refused else 'planned',
                'action': message.get('action') if message is not None else None,
                'parts': len(parts) or None, 'encoding': (message or {}).get('encoding'), 'dcs': (message or {}).get('dcs'),
                'payload': None if no_log else group['payload'], 'sms_ids': [], 'sent_parts': 0,
                'present_parts': sum(1 for part in parts if part.get('sms_id') is not None), 'error': error}
            if (refused or failed_here) and key not in status:
                status[key] = {'state': 'failed', 'step': 'preflight',
                               'reason': '%s: %s' % (command['label'], error if error is not None else 'failed')}
    return _apply(state, 'preflight', results, status, requests)


# The definition ----------------------------------------------------------------------------------

COMMAND_KEYS = ('name', 'payload', 'source_address', 'source_address_type', 'encoding', 'validity', 'max_parts', 'wait',
                'reply_pattern', 'timeout')
WAITS = ('none', 'delivered', 'reply')
ENCODINGS = ('auto', 'gsm7', 'ucs2')
TEMPLATE_MARKERS = ('{{', '{%', '{#')


def is_template(text):
    """Whether a payload or reply pattern holds Jinja and must be rendered per device."""
    return isinstance(text, str) and any(marker in text for marker in TEMPLATE_MARKERS)


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _or(value, default):
    return default if value is None else value


def _integer(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, float) and value != int(value):
        raise ValueError(value)
    return int(value)


def _alphanumeric(sender, sender_type):
    """Whether a sender is alphanumeric, by the rule ``emnify_sms`` applies (``_sms_plan``)."""
    try:
        return check_sender(str(sender), sender_type)[0] == 'alphanumeric'
    except PlanError:
        return False


def definition(commands, defaults, devices, lookup=True):
    """The normalised commands (every default applied) and the mistakes of a rollout definition.

    ``commands`` are the raw command items (payload and reply pattern not rendered yet), ``defaults`` the
    role-wide values (``source_address``, ``source_address_type``, ``encoding``, ``validity``, ``max_parts``,
    ``wait``, ``wait_timeout``). Returns ``(commands, problems)``; nothing may be sent while problems remain.
    """
    problems, out = [], []
    if not isinstance(commands, list) or not commands:
        return [], ['sms_provisioning_commands: must be a list of at least one command, got %s'
                    % ('an empty list' if commands == [] else type(commands).__name__)]
    for index, raw in enumerate(commands):
        where = 'sms_provisioning_commands[%d]' % index
        if not isinstance(raw, dict):
            problems.append('%s: must be a dict with a payload, got %s' % (where, type(raw).__name__))
            continue
        unknown = sorted(str(key) for key in raw if key not in COMMAND_KEYS)
        if unknown:
            problems.append('%s: unknown option %s (known: %s)' % (where, ', '.join(unknown), ', '.join(COMMAND_KEYS)))
        label = raw.get('name') if not _blank(raw.get('name')) else 'command %d' % (index + 1)
        label = str(label)

        def pick(name, default_name=None):
            value = raw.get(name)
            return defaults.get(default_name or name) if _blank(value) else value

        wait = str(pick('wait') or 'delivered')
        if wait not in WAITS:
            problems.append('%s: wait must be one of %s, got %r' % (label, ', '.join(WAITS), wait))
        encoding = str(pick('encoding') or 'auto')
        if encoding not in ENCODINGS:
            problems.append('%s: encoding must be one of %s, got %r' % (label, ', '.join(ENCODINGS), encoding))
        payload = raw.get('payload')
        if _blank(payload):
            problems.append('%s: payload must not be empty' % label)
        elif not isinstance(payload, str):
            problems.append('%s: payload must be a string, got %s' % (label, type(payload).__name__))
        pattern = raw.get('reply_pattern')
        if pattern is not None and wait != 'reply':
            problems.append('%s: reply_pattern is only used with wait=reply (wait is %s)' % (label, wait))
        elif pattern is not None and not is_template(pattern):
            try:
                re.compile(str(pattern))
            except re.error as exc:
                problems.append('%s: reply_pattern is not a regular expression: %s' % (label, exc))
        sender = pick('source_address')
        sender_type = pick('source_address_type')
        if wait == 'reply' and not _blank(sender) and _alphanumeric(sender, None if _blank(sender_type) else sender_type):
            problems.append('%s: waits for a reply, but its sender %s is alphanumeric and a device cannot answer it' % (label, sender))
        try:
            timeout = _integer(_or(pick('timeout', 'wait_timeout'), 300))
            if timeout <= 0:
                raise ValueError(timeout)
        except (TypeError, ValueError):
            problems.append('%s: timeout must be a positive number of seconds' % label)
            timeout = 1
        try:
            max_parts = _integer(_or(pick('max_parts'), 10))
            if not 1 <= max_parts <= 255:
                raise ValueError(max_parts)
        except (TypeError, ValueError):
            problems.append('%s: max_parts must be between 1 and 255' % label)
            max_parts = 10
        validity = pick('validity')
        out.append({'index': index, 'number': index + 1, 'label': label, 'wait': wait, 'timeout': timeout,
                    'payload': payload, 'reply_pattern': pattern, 'has_reply_pattern': pattern is not None,
                    'source_address': None if _blank(sender) else str(sender),
                    'source_address_type': None if _blank(sender_type) else str(sender_type),
                    'encoding': encoding, 'validity': None if _blank(validity) else str(validity), 'max_parts': max_parts})
    labels = [command['label'] for command in out]
    if len(set(labels)) != len(labels):
        problems.append('command names must be unique: %s' % ', '.join(labels))
    if not lookup:
        without_id = sum(1 for device in devices or [] if not isinstance(device, dict) or device.get('id') is None)
        if without_id:
            problems.append('sms_provisioning_lookup=false needs every device given by id (%d are not)' % without_id)
    return out, problems


_SLICE = re.compile(r'^[A-Za-z0-9._-]+$')


def setting_problems(max_fail_percentage, poll_interval, concurrency, report_slice=None):
    """The mistakes in the role-wide settings the argument spec cannot check."""
    problems = []
    if report_slice is not None and not _SLICE.match(str(report_slice)):
        problems.append('sms_provisioning_report_slice must be letters, digits, ".", "_" and "-" only (it names the report files)')
    if not 0 <= float(max_fail_percentage) <= 100:
        problems.append('sms_provisioning_max_fail_percentage must be between 0 and 100')
    if float(poll_interval) <= 0:
        problems.append('sms_provisioning_poll_interval must be positive')
    if not 1 <= int(concurrency) <= 64:
        problems.append('sms_provisioning_concurrency must be between 1 and 64')
    return problems


def waves(entries, total):
    """The end of each wave as a device count (cumulative, in list order), and the mistakes in
    ``sms_provisioning_waves``. Without entries there is one wave of all devices."""
    if not entries:
        return [total], []
    if not isinstance(entries, list):
        return [total], ['sms_provisioning_waves: must be a list of device counts or "N%" strings']
    ends, problems = [], []
    for position, entry in enumerate(entries):
        where = 'sms_provisioning_waves[%d]' % position
        text = str(entry).strip()
        try:
            if isinstance(entry, bool):
                raise ValueError(entry)
            if text.endswith('%'):
                percent = float(text[:-1])
                if not 0 < percent <= 100:
                    raise ValueError(entry)
                end = int(-(-total * percent // 100))
            else:
                end = _integer(entry)
                if end <= 0:
                    raise ValueError(entry)
        except (TypeError, ValueError):
            problems.append('%s: must be a positive device count or a percentage such as "10%%", got %r' % (where, entry))
            continue
        end = min(end, total)
        if ends and end <= ends[-1]:
            problems.append('%s: the waves are cumulative, so %r (%d devices) must reach more devices than the wave before (%d)'
                            % (where, entry, end, ends[-1]))
            continue
        ends.append(end)
    return ends or [total], problems


def guard_problems(halt_failure_percentage, halt_min_devices, budget, price_per_part, wave_pause):
    """The mistakes in the halt threshold, the budget, the price and the pause between waves."""
    problems = []
    if not 0 <= float(halt_failure_percentage) <= 100:
        problems.append('sms_provisioning_halt_failure_percentage must be between 0 and 100')
    if int(halt_min_devices) < 1:
        problems.append('sms_provisioning_halt_min_devices must be at least 1')
    if float(wave_pause or 0) < 0:
        problems.append('sms_provisioning_wave_pause must not be negative')
    if price_per_part is not None and float(price_per_part) < 0:
        problems.append('sms_provisioning_price_per_part must not be negative')
    if budget:
        if not isinstance(budget, dict):
            problems.append('sms_provisioning_budget: must be a dict with parts and/or requests')
        else:
            unknown = sorted(str(key) for key in budget if key not in ('parts', 'requests'))
            if unknown:
                problems.append('sms_provisioning_budget: unknown key %s (known: parts, requests)' % ', '.join(unknown))
            for name in ('parts', 'requests'):
                value = budget.get(name)
                try:
                    if value is not None and _integer(value) < 0:
                        raise ValueError(value)
                except (TypeError, ValueError):
                    problems.append('sms_provisioning_budget.%s: must be a number of at least 0, got %r' % (name, value))
    return problems
