# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning an endpoint's raw SMS list into logical messages: reassembly and filters.

emnify lists each part of a concatenated SMS as its own item. Parts belong together when
they share direction, sender, reference size, reference and total (from the UDH); when a
reference is reused later, a sequence number seen twice starts a new message.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.emnify.iot.plugins.module_utils import _sms_codec as codec
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import PROGRESS_ORDER, SMS_STATUS, UNSUCCESSFUL_STATUSES
from ansible_collections.emnify.iot.plugins.module_utils._normalize import as_int, status_id
from ansible_collections.emnify.iot.plugins.module_utils._time import parse_date

# Rank of each status for "the least advanced part" of a message (failures dominate).
_PROGRESS = dict((number, rank) for rank, number in enumerate(PROGRESS_ORDER))


def _concat_info(item):
    udh = item.get('udh') or ''
    if not udh:
        return None
    try:
        info = codec.parse_udh(udh)
    except codec.SmsCodecError:
        return None
    if not info or info.get('reference') is None:
        return None
    return info


def _encoding(dcs):
    try:
        return codec.alphabet_for_dcs(as_int(dcs))
    except (codec.SmsCodecError, TypeError, ValueError):
        return None


def _number(value):
    """An int for ordering by id; 0 for anything else the API might send."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value):
    return value if isinstance(value, str) else ('' if value is None else str(value))


def _date_key(value):
    """Order dates by time; values that are not dates sort before every date, by their text."""
    moment = parse_date(value)
    return (0, '', _text(value)) if moment is None else (1, moment.isoformat(), '')


def _overall_status(parts):
    numbers = [status_id(part) for part in parts]
    bad = [number for number in numbers if number in UNSUCCESSFUL_STATUSES]
    if bad:
        number = bad[0]
    else:
        known = [number for number in numbers if isinstance(number, int) and number in _PROGRESS]
        number = min(known, key=lambda n: _PROGRESS[n]) if known else (numbers[0] if numbers else None)
    return dict(id=number, name=SMS_STATUS.get(number) if isinstance(number, int) else None) if number is not None else None


def _message(parts, info):
    if info:
        for item in parts:
            item['seq'] = _concat_info(item)['seq']
            item['total'] = info['total']
    ordered = codec.in_sequence(parts)
    first = ordered[0]
    submits = [item.get('submit_date') for item in ordered if item.get('submit_date')]
    finals = [item.get('final_date') for item in ordered]
    total = info['total'] if info else 1
    seqs = set(item.get('seq', 1) for item in ordered) if info else set([1])
    message = dict(
        direction=first.get('direction'),
        endpoint_id=first.get('endpoint_id'),
        payload=codec.reassemble(ordered),
        complete=seqs == set(range(1, total + 1)),
        total=total,
        reference=info['reference'] if info else None,
        reference_bits=info.get('ref_bits') if info else None,
        dcs=as_int(first.get('dcs')),
        encoding=_encoding(first.get('dcs')),
        status=_overall_status(ordered),
        source_address=first.get('source_address'),
        source_address_type=first.get('source_address_type'),
        submit_date=min(submits, key=_date_key) if submits else None,
        final_date=(max(finals, key=_date_key) if finals and all(finals) else None),
        sms_ids=[item.get('id') for item in ordered],
        parts=ordered,
    )
    return message


def group_messages(items, reassemble=True):
    """Group normalised SMS items (newest first, as the API lists them) into messages, newest first."""
    if not reassemble:
        return [_message([item], None) for item in items]
    open_groups = {}
    messages = []
    for item in reversed(items):
        info = _concat_info(item)
        if info is None:
            messages.append((item, [item], None))
            continue
        key = (item.get('direction'), _text(item.get('source_address')), info.get('ref_bits'), info['reference'], info['total'])
        group = open_groups.get(key)
        if group is None or any(_concat_info(part)['seq'] == info['seq'] for part in group[1]):
            group = (item, [], info)
            open_groups[key] = group
            messages.append(group)
        group[1].append(item)
    result = [_message(parts, info) for _first, parts, info in messages]
    result.sort(key=lambda message: max(_number(part.get('id')) for part in message['parts']), reverse=True)
    return result


def filter_messages(messages, direction='all', statuses=None, since=None, payload_regex=None):
    """Keep messages matching every filter. ``since`` is a datetime; ``payload_regex`` a compiled pattern."""
    kept = []
    for message in messages:
        if direction != 'all' and message['direction'] != direction:
            continue
        if statuses and (message.get('status') or {}).get('name') not in statuses:
            continue
        if since is not None:
            submitted = parse_date(message.get('submit_date'))
            if submitted is None or submitted < since:
                continue
        if payload_regex is not None and not payload_regex.search(message.get('payload') or ''):
            continue
        kept.append(message)
    return kept


def compile_regex(pattern, option='payload_regex'):
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError('%s: not a valid regular expression (%s)' % (option, exc))
