# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _sms_plan: validation, splitting and idempotent matching against SMS history.

Pure logic, no boundary to mock: histories are lists of API-shaped SMS objects passed
through normalize_sms, the way the module reads them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils import _sms_codec as codec
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._time import api_date
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import (
    PlanError,
    build_message,
    check_sender,
    infer_address_type,
    matching_history,
    plan_for_endpoint,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)
LONG = 'Maintenance window tonight from 22:00 to 23:30 UTC. ' * 7
ENDPOINT = 11379224


class History:
    """Builds an endpoint's SMS list, newest first, as normalize_sms returns it."""

    def __init__(self):
        self.items = []
        self.next_id = 19649000

    def add(self, payload, udh='', dcs=0, sender='', status=4, age=3600, direction='MT', sender_type=208):
        self.next_id += 1
        raw = {
            'id': self.next_id, 'payload': payload, 'udh': udh.lower(), 'dcs': str(dcs), 'pid': '0',
            'source_address': sender, 'endpoint_id': str(ENDPOINT),
            'source_address_type': {'id': sender_type, 'description': 'x'},
            'status': {'id': status, 'description': 'x'},
            'sms_type': {'id': 1 if direction == 'MT' else 2, 'description': direction},
            'submit_date': api_date(NOW - datetime.timedelta(seconds=age)),
            'final_date': None,
        }
        self.items.insert(0, normalize_sms(raw))
        return self.items[0]

    def add_parts(self, parts, spec, status=4, age=3600, skip=()):
        added = []
        for part in parts:
            if part.seq in skip:
                continue
            added.append(self.add(part.payload, part.udh, part.dcs, spec.sender, status=status, age=age))
        return added


def spec_for(**params):
    params.setdefault('payload', LONG)
    return build_message(params, now=NOW)


def fresh_plan(spec, history=(), force=False):
    return plan_for_endpoint(spec, ENDPOINT, list(history), force=force, now=NOW)


# -- planning -------------------------------------------------------------------------------------

def test_first_run_plans_every_part():
    spec = spec_for(source_address='ACME')
    plan = fresh_plan(spec)
    assert len(plan.parts) == 3 and len(plan.missing) == 3 and plan.present == []
    assert plan.reference is not None
    assert [part.udh for part in plan.parts] == [codec.build_udh(plan.reference, 3, seq) for seq in (1, 2, 3)]
    assert codec.reassemble([dict(payload=part.payload, udh=part.udh) for part in plan.parts]) == LONG


def test_rerun_recognises_its_own_parts():
    spec = spec_for(source_address='ACME')
    first = fresh_plan(spec)
    history = History()
    stored = history.add_parts(first.parts, spec, status=2)
    history.add('unrelated', sender='ACME')
    again = fresh_plan(spec, history.items)
    assert again.missing == []
    assert again.reference == first.reference
    assert sorted(part.match['id'] for part in again.parts) == sorted(item['id'] for item in stored)
    assert [part.match['payload'] for part in again.parts] == [part.payload for part in first.parts]


def test_partial_history_plans_only_missing_parts():
    spec = spec_for(source_address='ACME')
    first = fresh_plan(spec)
    history = History()
    history.add_parts(first.parts, spec, skip=(2,))
    again = fresh_plan(spec, history.items)
    assert again.reference == first.reference
    assert [part.seq for part in again.missing] == [2]
    assert again.missing[0].udh == first.parts[1].udh
    assert [part.seq for part in again.present] == [1, 3]


@pytest.mark.parametrize('status', [5, 6, 7])
def test_unsuccessful_copy_is_sent_again(status):
    spec = spec_for(payload='Reboot now', source_address='ACME')
    history = History()
    history.add('Reboot now', sender='ACME', status=status)
    plan = fresh_plan(spec, history.items)
    assert len(plan.missing) == 1 and plan.reference is None
    long_spec = spec_for(source_address='ACME')
    first = fresh_plan(long_spec)
    history.add_parts(first.parts, long_spec, status=status)
    again = fresh_plan(long_spec, history.items)
    assert len(again.missing) == 3


def test_pending_copy_counts_as_present():
    spec = spec_for(payload='Reboot now')
    history = History()
    history.add('Reboot now', status=1)
    assert fresh_plan(spec, history.items).missing == []


def test_force_uses_a_new_reference():
    spec = spec_for(source_address='ACME')
    first = fresh_plan(spec)
    history = History()
    history.add_parts(first.parts, spec)
    forced = fresh_plan(spec, history.items, force=True)
    assert len(forced.missing) == 3
    assert forced.reference is not None and forced.reference != first.reference
    assert all(part.match is None for part in forced.parts)
    # A rerun after the forced copy went out recognises one of the two copies, not a mix.
    history.add_parts(forced.parts, spec, age=10)
    again = fresh_plan(spec, history.items)
    assert again.missing == [] and again.reference in (first.reference, forced.reference)
    assert len(set(part.match['udh'][6:8] for part in again.parts)) == 1


def test_force_single_part_sends_again():
    spec = spec_for(payload='ping')
    history = History()
    history.add('ping')
    forced = fresh_plan(spec, history.items, force=True)
    assert len(forced.missing) == 1 and forced.reference is None


def test_since_ignores_older_copies():
    spec = spec_for(payload='ping', since='30m')
    assert spec.since == NOW - datetime.timedelta(minutes=30)
    history = History()
    history.add('ping', age=3600)
    assert len(fresh_plan(spec, history.items).missing) == 1
    history.add('ping', age=600)
    assert fresh_plan(spec, history.items).missing == []
    absolute = spec_for(payload='ping', since='2026-01-10T11:55:00Z')
    assert len(fresh_plan(absolute, history.items).missing) == 1


def test_sender_must_match_exactly():
    spec = spec_for(payload='ping', source_address='ACME')
    history = History()
    history.add('ping', sender='OTHER')
    history.add('ping', sender='acme')
    history.add('ping', sender='')
    assert len(fresh_plan(spec, history.items).missing) == 1
    history.add('ping', sender='ACME')
    assert fresh_plan(spec, history.items).missing == []
    # A task without a sender matches the copy sent without one.
    assert fresh_plan(spec_for(payload='ping'), history.items).missing == []


def test_mo_messages_are_not_copies():
    spec = spec_for(payload='ping')
    history = History()
    history.add('ping', direction='MO')
    assert len(fresh_plan(spec, history.items).missing) == 1


def test_user_udh_and_dcs_matching():
    spec = spec_for(payload='part one', udh='050003aa0201')
    assert spec.udh == '050003AA0201'
    history = History()
    history.add('part one', udh='050003AA0202')
    history.add('part one', udh='050003aa0201', dcs=8)
    plan = fresh_plan(spec, history.items)
    assert len(plan.missing) == 1 and plan.parts[0].udh == '050003AA0201'
    item = history.add('part one', udh='050003aa0201', dcs=0)
    plan = fresh_plan(spec, history.items)
    assert plan.missing == [] and plan.parts[0].match['id'] == item['id']


def test_ucs2_text_matches_only_ucs2_copies():
    spec = spec_for(payload=u'Привет')
    assert spec.encoding == 'ucs2' and spec.dcs == 8
    history = History()
    history.add(u'Привет', dcs=0)
    assert len(fresh_plan(spec, history.items).missing) == 1
    history.add(u'Привет', dcs=8)
    assert fresh_plan(spec, history.items).missing == []


def test_reference_in_flight_for_another_message_is_avoided():
    spec = spec_for()
    first = fresh_plan(spec)
    other = History()
    udh = codec.build_udh(first.reference, 2, 1)
    other.add('another message, still buffered', udh=udh, status=3, age=7200)
    plan = fresh_plan(spec, other.items)
    assert plan.reference != first.reference and len(plan.missing) == 3
    # The rerun finds the parts under the second candidate.
    other.add_parts(plan.parts, spec, status=1, age=5)
    again = fresh_plan(spec, other.items)
    assert again.missing == [] and again.reference == plan.reference
    # An old, final message with the same reference does not block it.
    old = History()
    old.add('old message', udh=udh, status=4, age=3 * 86400)
    assert fresh_plan(spec, old.items).reference == first.reference


def test_matching_history_for_cancel():
    spec = spec_for(source_address='ACME')
    first = fresh_plan(spec)
    history = History()
    mine = history.add_parts(first.parts, spec, status=3)
    history.add('ping', sender='ACME', status=3)
    history.add(first.parts[0].payload, first.parts[0].udh, sender='OTHER', status=3)
    found = matching_history(spec, ENDPOINT, history.items)
    assert sorted(item['id'] for _part, item in found) == sorted(item['id'] for item in mine)


def test_body_fields():
    spec = spec_for(payload='ping', source_address='+491701234567', dest_address='cb-1', expiry_date='2026-01-11T00:00:00Z')
    body = fresh_plan(spec).parts[0].body(spec)
    assert body == {'payload': 'ping', 'dcs': 0, 'source_address': '+491701234567', 'source_address_type': {'id': 145},
                    'dest_address': 'cb-1', 'expiry_date': '2026-01-11T00:00:00.000+0000'}
    plain = spec_for(payload='ping', validity='2h')
    assert fresh_plan(plain).parts[0].body(plain) == {'payload': 'ping', 'dcs': 0, 'expiry_date': '2026-01-10T14:00:00.000+0000'}


# -- validation ------------------------------------------------------------------------------------

def test_too_many_parts_fails_before_any_history_is_read():
    with pytest.raises(PlanError) as caught:
        spec_for(max_parts=2)
    assert 'max_parts' in str(caught.value)


@pytest.mark.parametrize('params,option', [
    ({'payload': ''}, 'payload'),
    ({'payload': 'x', 'max_parts': 0}, 'max_parts'),
    ({'payload': 'x', 'source_address': 'A' * 12}, 'source_address'),
    ({'payload': 'x', 'source_address': '1' * 22}, 'source_address'),
    ({'payload': 'x', 'source_address': 'ACME#1'}, 'source_address'),
    ({'payload': 'x', 'source_address': 'ACME', 'source_address_type': 'national'}, 'source_address'),
    ({'payload': 'x', 'source_address': '123', 'source_address_type': 'bogus'}, 'source_address_type'),
    ({'payload': 'x', 'source_address_type': 'national'}, 'source_address_type'),
    ({'payload': 'x', 'expiry_date': '2020-01-01T00:00:00Z'}, 'expiry_date'),
    ({'payload': 'x', 'expiry_date': 'tomorrow'}, 'expiry_date'),
    ({'payload': 'x', 'validity': '0s'}, 'validity'),
    ({'payload': 'x', 'since': 'last week'}, 'since'),
    ({'payload': u'Привет', 'encoding': 'gsm7'}, None),
    ({'payload': 'x', 'dcs': 8, 'encoding': 'gsm7'}, 'dcs'),
    ({'payload': 'x' * 200, 'udh': '050003AA0201'}, 'udh'),
    # A lone UTF-16 surrogate (a file lookup of a file that is not UTF-8), alone, in a long text, with every
    # encoding, after a user-built UDH and with a binary DCS: refused naming payload, never a UnicodeEncodeError.
    ({'payload': 'ab\udc80cd'}, 'payload'),
    ({'payload': 'x' * 200 + '\ud800'}, 'payload'),
    ({'payload': 'ab\udc80cd', 'encoding': 'ucs2'}, 'payload'),
    ({'payload': 'ab\udc80cd', 'encoding': 'gsm7'}, 'payload'),
    ({'payload': 'ab\udc80cd', 'udh': '050003AA0201'}, 'payload'),
    ({'payload': 'ab\udc80cd', 'dcs': 4}, 'payload'),
    ({'payload': '\udc80', 'source_address': 'FleetOps'}, 'payload'),
])
def test_build_message_rejects(params, option):
    with pytest.raises(PlanError) as caught:
        build_message(params, now=NOW)
    if option:
        assert str(caught.value).startswith(option + ':')


def test_sender_types():
    assert check_sender('ACME', None) == ('alphanumeric', 208, True)
    assert check_sender('+4917012345', None) == ('international', 145, True)
    assert check_sender('12345', None) == ('national', 161, True)
    assert check_sender('12345', '145') == ('international', 145, False)
    assert check_sender('12345678', 'National') == ('national', 161, False)
    assert infer_address_type('49170123') == 'international'


# -- properties: every request body fits one SMS for its DCS and UDH, and the history made of those bodies is
# recognised as the whole message ---------------------------------------------------------------------------

PLAN_SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
ANY_TEXTS = st.lists(st.one_of(st.sampled_from(sorted(codec.GSM7_BASIC) + sorted(codec.GSM7_EXTENSION) * 3),
                               st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, blacklist_categories=('Cs',)),
                               st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, blacklist_categories=('Cs', 'Cn')),
                               st.sampled_from(['e\u0301', 'A\u030a', '\u1100\u1161'])),
                     min_size=1, max_size=300).map(''.join)
SENDERS = st.sampled_from([None, 'ACME', '4915112345678', '+4915112345678', '1234'])


@PLAN_SETTINGS
@given(text=ANY_TEXTS, encoding=st.sampled_from(['auto', 'ucs2']), ref_bits=st.sampled_from([8, 16]), sender=SENDERS,
       endpoint_id=st.integers(1, 10 ** 9))
def test_planned_bodies_fit_and_their_history_is_the_whole_message(text, encoding, ref_bits, sender, endpoint_id):
    params = dict(payload=text, encoding=encoding, reference_bits=ref_bits, source_address=sender, max_parts=255)
    try:
        spec = build_message(params)
    except PlanError as error:
        assert str(error).split(':', maxsplit=1)[0] in ('payload', 'max_parts')
        return
    plan = plan_for_endpoint(spec, endpoint_id, [])
    assert len(plan.missing) == len(plan.parts) <= 255
    history = []
    for number, part in enumerate(plan.parts):
        body = part.body(spec)
        alphabet = codec.alphabet_for_dcs(body['dcs'])
        assert codec.message_length(body['payload'], alphabet) <= codec.single_part_capacity(alphabet, body.get('udh', ''))
        if len(plan.parts) > 1:
            parsed = codec.parse_udh(body['udh'])
            assert (parsed['reference'], parsed['total'], parsed['seq']) == (plan.reference, len(plan.parts), part.seq)
        item = dict(id=number + 1, payload=body['payload'], udh=body.get('udh', ''), dcs=str(body['dcs']),
                    source_address=body.get('source_address', ''), sms_type={'id': 1, 'description': 'MT'},
                    status={'id': 4, 'description': 'DELIVERED'}, submit_date='2030-01-01T00:00:00.000+0000')
        history.insert(0, normalize_sms(item))
    assert ''.join(part.payload for part in plan.parts) == unicodedata.normalize('NFC', text)
    again = plan_for_endpoint(build_message(params), endpoint_id, history)
    assert again.missing == [] and again.reference == plan.reference
    # another endpoint does not count this history as its own message unless the reference happens to match
    other = plan_for_endpoint(build_message(params), endpoint_id + 1, [])
    assert [part.payload for part in other.parts] == [part.payload for part in plan.parts]


@PLAN_SETTINGS
@given(dcs=st.sampled_from([0, 1, 16, 0x40, 0xC0, 0xF0, 0xF3]),
       text=st.lists(st.sampled_from([u'\u0416', u'\u4e2d', '\U0001F600', 'a', '1', ' ']), min_size=1, max_size=30).map(''.join))
def test_a_gsm_dcs_with_text_outside_gsm7_names_dcs(dcs, text):
    # the user gave dcs, not encoding: the refusal must name the option that was given
    try:
        build_message(dict(payload=text, dcs=dcs))
    except PlanError as error:
        assert any(char not in codec.GSM7_BASIC and char not in codec.GSM7_EXTENSION for char in text)
        assert str(error).startswith('dcs: ')
        assert 'encoding=' not in str(error).split(';', maxsplit=1)[0]
    else:
        assert all(char in codec.GSM7_BASIC or char in codec.GSM7_EXTENSION for char in text)
