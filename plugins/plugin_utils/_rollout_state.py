# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of an ``sms_provisioning`` rollout and its transitions.

One dictionary, the *state*: the device table (``devices``), each device's state (``status``), the payloads
(``rendered`` per device), the result of every device and command (``results``, keyed
``<device key>/<command index>``), the API requests spent per step (``requests``) and whether the failure
threshold stopped the rollout (``aborted``). Each transition takes the state and a module result and returns
the new state. Pure Python, no Ansible imports; the engine (``_rollout_engine``) is the only caller.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.emnify.iot.plugins.module_utils._api_ids import DELIVERED, UNSUCCESSFUL_STATUSES
from ansible_collections.emnify.iot.plugins.module_utils._time import utcnow

SELECTORS = ('id', 'name', 'iccid', 'imsi', 'msisdn')
DONE_STATES = ('sent', 'delivered', 'replied')


def stamp(moment=None):
    """An ISO 8601 UTC time stamp to the second, as the reports use."""
    return (moment or utcnow()).strftime('%Y-%m-%dT%H:%M:%SZ')


def plain(value):
    """A copy of ``value`` made of plain dicts, lists and scalars, safe to change."""
    if isinstance(value, dict) or (hasattr(value, 'items') and hasattr(value, 'keys')):
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _writable(state):
    """A copy of ``state`` whose parts that steps change (status, results, requests) are new dictionaries; the
    device table is shared, since no step changes it."""
    state = dict(state)
    for name in ('status', 'results', 'requests'):
        state[name] = dict(state[name])
    return state


def module_error(result):
    """Why a module task failed: its message, or for a crash the last line of its error output."""
    result = result or {}
    message = result.get('msg', 'failed')
    stderr = (result.get('module_stderr') or '').strip()
    if str(message).startswith('MODULE FAILURE') and stderr:
        return stderr.split('\n')[-1].strip()
    return message


def _text(value):
    return '' if value is None else str(value)


def _merge(old, new):
    """Recursive dictionary merge: values of ``new`` win, nested dictionaries are merged."""
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _result_key(device_key, index):
    return '%s/%s' % (device_key, index)


# Resolve -----------------------------------------------------------------------------------------

def resolve(devices, lookup, max_fail_percentage=100):
    """Match each device item with the endpoint ``emnify_endpoint_info`` found for it; the initial state.

    A device fails the ``resolve`` step when nothing or more than one endpoint matches, when an earlier
    item already names the same endpoint, or when the endpoint cannot receive SMS.

    ``lookup`` None (the role's ``sms_provisioning_lookup=false``) trusts the ids of the device list: emnify
    itself refuses an unknown id (404) or a device that cannot receive SMS (409) when it is sent to.
    """
    trusted = lookup is None
    lookup = lookup or {}
    found = {}
    for entry in lookup.get('lookups') or []:
        found['%s=%s' % (entry.get('field'), _text(entry.get('value')))] = list(entry.get('endpoint_ids') or [])
    by_id = dict((str(endpoint.get('id')), endpoint) for endpoint in lookup.get('endpoints') or [])
    table, status, owner = [], {}, {}
    for number, item in enumerate(devices or [], 1):
        key = 'd%04d' % number
        field = next((name for name in SELECTORS if item.get(name) is not None), None)
        value = _text(item.get(field)).strip() if field else ''
        label = '%s=%s' % (field, value) if field else 'device %d' % number
        reason, endpoint = None, None
        ids = found.get(label, []) if field else []
        if trusted and field == 'id':
            try:
                ids = [int(value)]
            except ValueError:
                ids = []
            else:
                by_id.setdefault(str(ids[0]), {'id': ids[0], 'sms_ready': True})
        if not field:
            reason = 'names no endpoint (give one of %s)' % ', '.join(SELECTORS)
        elif not ids:
            reason = 'no endpoint has %s %s' % (field, value)
        elif len(ids) > 1:
            reason = '%s %s matches %d endpoints (%s)' % (field, value, len(ids), ', '.join(str(one) for one in ids))
        else:
            endpoint = by_id.get(str(ids[0]))
            if str(ids[0]) in owner:
                reason = 'endpoint %s is already in the list as %s' % (ids[0], owner[str(ids[0])])
            elif endpoint is None:
                reason = 'endpoint %s was matched but not returned by the lookup' % ids[0]
            else:
                owner[str(ids[0])] = label
                if not endpoint.get('sms_ready', False):
                    reason = 'cannot receive SMS: %s' % ', '.join(str(one) for one in endpoint.get('sms_not_ready_reasons') or ['not ready'])
        summary = None
        if endpoint is not None:
            summary = dict((name, endpoint.get(name)) for name in ('id', 'name', 'iccid', 'imsi', 'msisdn', 'sim_status', 'tags'))
            summary['status'] = (endpoint.get('status') or {}).get('name')
        table.append({'key': key, 'number': number, 'label': label, 'selector': {'field': field, 'value': value},
                      'endpoint_id': endpoint.get('id') if endpoint is not None else None, 'endpoint': summary})
        status[key] = {'state': 'pending' if reason is None else 'failed', 'step': None if reason is None else 'resolve',
                       'reason': reason}
    requests = (lookup.get('api_usage') or {}).get('requests', 0) or 0
    state = {'devices': table, 'status': status, 'results': {}, 'requests': {'lookup': requests},
             'aborted': False, 'abort_reason': None, 'max_fail_percentage': float(max_fail_percentage),
             'rendered': {}}
    return state

# Payloads ----------------------------------------------------------------------------------------


def with_rendered(state, rendered, failures=None):
    """The state with the payloads and reply patterns rendered per device (``{key: {payloads, patterns}}``);
    ``failures`` (``{key: reason}``) fails the devices whose templates could not be rendered."""
    state = _writable(state)
    state['rendered'] = dict(state['rendered'], **rendered)
    status = dict((key, {'state': 'failed', 'step': 'preflight', 'reason': reason}) for key, reason in (failures or {}).items())
    return _apply(state, 'preflight', {}, status, 0)


def _payload(state, key, index):
    return state['rendered'][key]['payloads'][index]


def _pattern(state, key, index):
    return state['rendered'][key]['patterns'][index]


def groups(state, indexes):
    """For each command index: the devices still pending, grouped by their payload, in the order of the list."""
    out = []
    for index in indexes:
        by_payload, order = {}, []
        for device in state['devices']:
            if state['status'][device['key']]['state'] != 'pending':
                continue
            payload = _payload(state, device['key'], index)
            group = by_payload.get(payload)
            if group is None:
                group = by_payload[payload] = {'command': index, 'payload': payload, 'keys': [], 'endpoint_ids': [], 'messages': []}
                order.append(payload)
            group['keys'].append(device['key'])
            group['endpoint_ids'].append(device['endpoint_id'])
            group['messages'].append({'endpoint_id': device['endpoint_id'], 'payload': payload})
        out.extend(by_payload[payload] for payload in order)
    return out


def messages(state, index):
    """The ``messages`` option of ``emnify_sms`` for one command: every pending device with its text."""
    return [message for group in groups(state, [index]) for message in group['messages']]


# Applying a step ---------------------------------------------------------------------------------

def _apply(state, step, results, status, requests):
    state['status'].update(status)
    for key, value in results.items():
        state['results'][key] = _merge(state['results'].get(key, {}), value)
    state['requests'][step] = state['requests'].get(step, 0) + (requests or 0)
    if not state['aborted']:
        total = max(len(state['devices']), 1)
        failed = sum(1 for value in state['status'].values() if value['state'] == 'failed')
        percentage = 100.0 * failed / total
        if percentage > state['max_fail_percentage']:
            state['aborted'] = True
            state['abort_reason'] = ('%d of %d devices failed (%.1f %%, more than sms_provisioning_max_fail_percentage %g) after %s; '
                                     'no further command was sent' % (failed, len(state['devices']), percentage,
                                                                      state['max_fail_percentage'], step))
    return state


# Sending and waiting -----------------------------------------------------------------------------

def sent(state, command, result, started_at, now=None):
    """Record one command's ``emnify_sms`` result (sent with :func:`messages` of the same state): SMS ids and
    parts per device, a failure for a device the API refused. A device that must be waited for goes to state
    ``waiting``."""
    state = _writable(state)
    result = result or {}
    pending = [(key, group['endpoint_ids'][position]) for group in groups(state, [command['index']])
               for position, key in enumerate(group['keys'])]
    if result.get('skipped'):
        pending = []
    finished = stamp(now)
    results, status = {}, {}
    by_endpoint = dict((str(message.get('endpoint_id')), message) for message in result.get('messages') or [])
    for key, endpoint_id in pending:
        message = by_endpoint.get(str(endpoint_id))
        if message is None:
            error = str(module_error(result))
        elif message.get('failed', False):
            error = message.get('msg') or 'failed'
        else:
            error = None
        parts = (message or {}).get('parts') or []
        results[_result_key(key, command['index'])] = {
            'state': 'failed' if error else ('sent' if command['wait'] == 'none' else 'waiting'),
            'action': message.get('action') if message is not None else 'failed',
            'parts': len(parts) or None,
            'encoding': message.get('encoding') if message is not None else None,
            'sms_ids': [part['sms_id'] for part in parts if part.get('sms_id') is not None],
            'sent_parts': sum(1 for part in parts if part.get('sent') is True),
            'present_parts': sum(1 for part in parts if part.get('sent') is not True and part.get('sms_id') is not None),
            'part_status': [(part.get('status') or {}).get('name') for part in parts],
            'started_at': started_at,
            'finished_at': finished if (error or command['wait'] == 'none') else None,
            'error': error}
        if error:
            status[key] = {'state': 'failed', 'step': command['label'], 'reason': error}
    requests = (result.get('api_usage') or {}).get('requests', 0) or 0
    return _apply(state, command['label'], results, status, requests)


def queue(state, keys):
    """The state with the pending devices ``keys`` held back for a later wave (state ``queued``)."""
    state = _writable(state)
    for key in keys:
        if state['status'][key]['state'] == 'pending':
            state['status'][key] = dict(state['status'][key], state='queued')
    return state


def release(state, keys):
    """The state with the queued devices ``keys`` pending again, for their wave."""
    state = _writable(state)
    for key in keys:
        if state['status'][key]['state'] == 'queued':
            state['status'][key] = dict(state['status'][key], state='pending')
    return state


def finish(state, keys):
    """The state with the pending devices ``keys`` done: their wave is over, later commands skip them."""
    state = _writable(state)
    for key in keys:
        if state['status'][key]['state'] == 'pending':
            state['status'][key] = dict(state['status'][key], state='done')
    return state


def halt(state, reason, wave):
    """The state of a rollout halted after ``wave`` (1-based): no further wave gets anything."""
    state = _writable(state)
    state['halted_wave'] = wave
    state['halt_reason'] = reason
    return state


def stop(state, reason):
    """The state of a rollout stopped before any send (a guard of the preflight)."""
    state = _writable(state)
    state['aborted'] = True
    state['guarded'] = True
    state['abort_reason'] = reason
    return state


def waiting_ids(state, index):
    """The endpoint ids of the devices still waiting for command ``index``."""
    return [device['endpoint_id'] for device in state['devices']
            if (state['results'].get(_result_key(device['key'], index)) or {}).get('state') == 'waiting']


def _search(pattern, text):
    """The values of the pattern's named groups when it is found in ``text`` (a dict, empty without named
    groups; an unmatched group is left out), else None."""
    match = re.search(pattern, text)
    if match is None:
        return None
    return dict((name, value) for name, value in match.groupdict().items() if value is not None)


def polled(state, command, history, deadline, now=None, endpoint_ids=None):
    """Settle the devices waiting for ``command`` from one read of their SMS history (``emnify_sms_info``); with
    ``endpoint_ids``, only the devices of those endpoints (the ones the read was for).

    wait=delivered: done when every part is DELIVERED; wait=reply: done when the device sent an SMS after the
    command that matches its reply pattern. A part that ends FAILED, EXPIRED or CANCELED fails the device at once;
    after the deadline (a POSIX time stamp) the devices still waiting fail.
    """
    state = _writable(state)
    history = history or {}
    moment = now or utcnow()
    final = moment.timestamp() >= float(deadline)
    finished = stamp(moment)
    read_error = str(module_error(history)) if history.get('messages') is None else None
    by_endpoint = {}
    for message in history.get('messages') or []:
        by_endpoint.setdefault(str(message.get('endpoint_id')), []).append(message)
    results, status = {}, {}
    read = set(str(one) for one in endpoint_ids) if endpoint_ids is not None else None
    for device in state['devices']:
        rkey = _result_key(device['key'], command['index'])
        current = state['results'].get(rkey)
        if current is None or current.get('state') != 'waiting' or (read is not None and str(device['endpoint_id']) not in read):
            continue
        received = by_endpoint.get(str(device['endpoint_id']), [])
        parts = {}
        for message in received:
            if message.get('direction') == 'mt':
                for part in message.get('parts') or []:
                    parts[str(part.get('id'))] = part
        sms_ids = [str(one) for one in current.get('sms_ids') or []]
        ours = [parts[one] for one in sms_ids if one in parts]
        bad = [part for part in ours if (part.get('status') or {}).get('id') in UNSUCCESSFUL_STATUSES]
        delivered = len(ours) == len(sms_ids) and all((part.get('status') or {}).get('id') == DELIVERED for part in ours)
        state_name, error, reply, reply_at, facts = 'waiting', None, None, None, None
        pattern = _pattern(state, device['key'], command['index'])
        if bad:
            part_status = bad[0].get('status') or {}
            state_name = 'failed'
            error = 'SMS %s was not delivered: %s%s' % (bad[0].get('id'), part_status.get('name') or part_status.get('id'),
                                                        (', gsm_map_error %s' % bad[0]['gsm_map_error'])
                                                        if bad[0].get('gsm_map_error') is not None else '')
        elif command['wait'] == 'delivered' and delivered:
            state_name = 'delivered'
        elif command['wait'] == 'reply':
            dates = sorted(part['submit_date'] for part in ours if part.get('submit_date') is not None)
            since = str(dates[0] if dates else current.get('started_at'))[:19]
            replies = [message for message in received if message.get('direction') == 'mo'
                       and isinstance(message.get('submit_date'), str) and message['submit_date'] >= since]
            for message in reversed(replies):
                facts = _search(pattern, message.get('payload') or '')
                if facts is not None:
                    state_name, reply, reply_at = 'replied', message.get('payload'), message.get('submit_date')
                    break
        if state_name == 'waiting' and final:
            state_name = 'failed'
            if read_error:
                error = 'could not read the SMS history: %s' % read_error
            elif command['wait'] == 'delivered':
                error = 'not delivered within %ss (parts: %s)' % (command['timeout'], ', '.join(
                    _text((part.get('status') or {}).get('name')) for part in ours) or 'not in the history')
            else:
                error = 'no reply%s within %ss' % ((' matching %s' % pattern) if pattern else '', command['timeout'])
        if state_name != 'waiting' or ours:
            update = {'state': state_name,
                      'part_status': [(parts[one].get('status') or {}).get('name', 'unknown') for one in sms_ids]
                      if len(ours) == len(sms_ids) else current.get('part_status')}
            if state_name != 'waiting':
                update.update({'finished_at': finished, 'error': error})
            if ours and all(isinstance(part.get('final_date'), str) for part in ours):
                update['delivered_at'] = sorted(part['final_date'] for part in ours)[-1]
            if reply is not None:
                update.update({'reply': reply, 'reply_at': reply_at, 'facts': facts})
            results[rkey] = update
        if state_name == 'failed':
            status[device['key']] = {'state': 'failed', 'step': command['label'], 'reason': error}
    requests = (history.get('api_usage') or {}).get('requests', 0) or 0
    return _apply(state, command['label'], results, status, requests)
