# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _sms_history: reassembly of concatenated parts and message filters, and any SMS list fuzzed.

Pure logic, no boundary to mock: inputs are API-shaped SMS items passed through
normalize_sms, including the recorded history of a real endpoint.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils import _sms_codec as codec
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._sms_history import (
    compile_regex,
    filter_messages,
    group_messages,
)
from ansible_collections.emnify.iot.plugins.module_utils._time import parse_date
from ansible_collections.emnify.iot.tests.unit.api_strategies import FUZZ, SMS_ITEMS

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')
UTC = datetime.timezone.utc


def recorded_history():
    with open(FIXTURES) as handle:
        for recording in json.load(handle)['recordings']:
            for item in recording['interactions']:
                if item['method'] == 'GET' and item['path'].endswith('/sms') and item['status'] == 200:
                    return item['body']
    raise AssertionError('no SMS list in the recordings')


class Items:
    def __init__(self):
        self.raw = []
        self.next_id = 100

    def add(self, payload, udh='', status=4, direction='MT', sender='ACME', minute=0, dcs=0):
        self.next_id += 1
        self.raw.insert(0, {'id': self.next_id, 'payload': payload, 'udh': udh, 'dcs': str(dcs), 'source_address': sender,
                            'endpoint_id': '9', 'status': {'id': status, 'description': 'x'},
                            'sms_type': {'id': 1 if direction == 'MT' else 2, 'description': direction},
                            'submit_date': '2026-01-10T12:%02d:00.000+0000' % minute,
                            'final_date': '2026-01-10T12:%02d:30.000+0000' % minute if status in (4, 5, 6, 7) else None})
        return self.raw[0]

    def normalized(self):
        return [normalize_sms(item) for item in self.raw]


def test_recorded_history_groups_one_message_per_item():
    raw = recorded_history()
    messages = group_messages([normalize_sms(item) for item in raw])
    assert len(messages) == len(raw)
    assert [message['sms_ids'] for message in messages] == [[item['id']] for item in sorted(raw, key=lambda item: item['id'], reverse=True)]
    for message in messages:
        assert message['complete'] is True and message['total'] == 1 and message['reference'] is None
        assert message['encoding'] == 'gsm7' and message['dcs'] == 0
        assert message['status']['name'] in ('expired', 'canceled')


def test_concatenated_parts_are_reassembled_in_order():
    text = 'Configuration update 17: switch APN to iot.example and reboot at 03:00 UTC. ' * 5
    split = codec.split(text, 'gsm7', reference=200)
    assert len(split.parts) == 3
    items = Items()
    # Delivered out of order, interleaved with an unrelated single SMS and an MO reply.
    order = [2, 0, 1]
    for index in order:
        items.add(split.parts[index].payload, split.parts[index].udh, minute=index)
        if index == 0:
            items.add('hello', minute=5)
    items.add('OK', direction='MO', sender='4917012345', minute=9)
    messages = group_messages(items.normalized())
    long_ones = [message for message in messages if message['total'] == 3]
    assert len(long_ones) == 1
    message = long_ones[0]
    assert message['payload'] == text and message['complete'] is True and message['reference'] == 200
    assert [part['seq'] for part in message['parts']] == [1, 2, 3]
    assert message['submit_date'] == '2026-01-10T12:00:00Z'
    assert message['final_date'] == '2026-01-10T12:02:30Z'
    assert message['status']['name'] == 'delivered'
    assert len(messages) == 3
    assert messages[0]['direction'] == 'mo'
    separate = group_messages(items.normalized(), reassemble=False)
    assert len(separate) == 5


def test_missing_part_and_least_advanced_status():
    split = codec.split('x' * 400, 'gsm7', reference=7)
    items = Items()
    items.add(split.parts[0].payload, split.parts[0].udh, status=4)
    items.add(split.parts[2].payload, split.parts[2].udh, status=3)
    message = group_messages(items.normalized())[0]
    assert message['complete'] is False and message['total'] == 3
    assert message['status']['name'] == 'buffered'
    assert message['final_date'] is None
    items.add(split.parts[1].payload, split.parts[1].udh, status=5)
    assert group_messages(items.normalized())[0]['status']['name'] == 'failed'


def test_reused_reference_starts_a_new_message():
    first = codec.split('a' * 200, 'gsm7', reference=9)
    second = codec.split('b' * 200, 'gsm7', reference=9)
    items = Items()
    for part in first.parts + second.parts:
        items.add(part.payload, part.udh)
    messages = group_messages(items.normalized())
    assert [message['payload'] for message in messages] == ['b' * 200, 'a' * 200]


def test_filters():
    items = Items()
    items.add('alpha', status=4, minute=1)
    items.add('beta', status=5, minute=2)
    items.add('gamma', direction='MO', minute=3)
    messages = group_messages(items.normalized())
    assert [m['payload'] for m in filter_messages(messages, direction='mt')] == ['beta', 'alpha']
    assert [m['payload'] for m in filter_messages(messages, statuses=['failed'])] == ['beta']
    since = datetime.datetime(2026, 1, 10, 12, 2, tzinfo=UTC)
    assert [m['payload'] for m in filter_messages(messages, since=since)] == ['gamma', 'beta']
    assert [m['payload'] for m in filter_messages(messages, payload_regex=compile_regex('^(al|ga)'))] == ['gamma', 'alpha']


def test_compile_regex_error_names_option():
    with pytest.raises(ValueError) as caught:
        compile_regex('(', 'payload_regex')
    assert str(caught.value).startswith('payload_regex:')


# -- fuzzing: any SMS list groups and filters into JSON-safe messages --------------------------------------

@FUZZ
@given(st.lists(SMS_ITEMS, max_size=8), st.booleans(), st.sampled_from(['all', 'mt', 'mo']))
def test_group_and_filter_any_sms_list(items, reassemble, direction):
    normalized = [normalize_sms(item) for item in items]
    json.dumps(normalized)
    messages = group_messages(normalized, reassemble)
    assert sum(len(message['parts']) for message in messages) == len(items)
    for message in messages:
        assert isinstance(message['payload'], str)
        assert message['total'] >= 1
    kept = filter_messages(messages, direction=direction, statuses=['delivered', 'buffered'],
                           since=parse_date('2000-01-01T00:00:00Z'), payload_regex=re.compile('A'))
    assert len(kept) <= len(messages)
    json.dumps(messages, default=str)
