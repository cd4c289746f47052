# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _normalize: SMS and endpoint objects as the live API sends them.

Pure functions, no boundary to mock: the inputs are the recorded response bodies (loaded
from the fixtures next to this file) and hand-written variants of them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os

import pytest

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._api_ids import FINAL_STATUSES, SMS_STATUS
from ansible_collections.emnify.iot.plugins.module_utils._normalize import (
    as_int,
    normalize_endpoint,
    normalize_sms,
    sms_direction,
    split_tags,
    status_id,
)
from ansible_collections.emnify.iot.tests.unit.api_strategies import ENDPOINT_ITEMS, FUZZ

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')
UTC = datetime.timezone.utc


def is_int(value):
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _recordings():
    with open(FIXTURES) as handle:
        return json.load(handle)['recordings']


def _bodies(path_suffix):
    found = []
    for recording in _recordings():
        for item in recording['interactions']:
            if item['method'] == 'GET' and item['status'] == 200 and item['path'].endswith(path_suffix):
                found.extend(item['body'])
    return found


def _reference_parse(text):
    """An independent parser for the recorded date format ``2022-08-04T01:45:24.000+0000``."""
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S.%f%z').astimezone(UTC)


def _parse_z(text):
    assert text.endswith('Z'), text
    fmt = '%Y-%m-%dT%H:%M:%S.%fZ' if '.' in text else '%Y-%m-%dT%H:%M:%SZ'
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=UTC)


# -- scalars ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('value,expected', [('0', 0), (' 42 ', 42), ('-7', -7), (5, 5), (True, True), ('4a', '4a'),
                                            ('', ''), (None, None), ('--1', '--1'), (u'\u00b2', u'\u00b2'), (1.5, 1.5)])
def test_as_int(value, expected):
    result = as_int(value)
    assert result == expected and type(result) is type(expected)


def test_split_tags():
    assert split_tags('a, b,,c ') == ['a', 'b', 'c']
    assert split_tags(None) == [] and split_tags('') == []
    assert split_tags(['x', ' ', 3]) == ['x', '3']


# -- SMS -------------------------------------------------------------------------------------------------

def test_recorded_sms_items_normalise():
    items = _bodies('/sms')
    assert len(items) == 52
    for raw in items:
        item = normalize_sms(raw)
        for field in ('id', 'dcs', 'pid', 'retry_count', 'endpoint_id', 'sim_id', 'dlr_status_id', 'organisation_id',
                      'registered_delivery', 'p2p_ext'):
            assert is_int(item[field]), (field, raw[field])
            assert item[field] == int(raw[field])
        for field in ('submit_date', 'delivery_date', 'expiry_date', 'final_date', 'retry_date', 'last_delivery_attempt'):
            if raw[field] is None:
                assert item[field] is None
            else:
                assert _parse_z(item[field]) == _reference_parse(raw[field])
        assert item['status']['id'] == raw['status']['id']
        assert item['status']['name'] == SMS_STATUS[raw['status']['id']]
        assert item['status']['name'] == raw['status']['description'].lower()
        assert item['sms_type']['name'] == 'mt' and item['direction'] == 'mt'
        assert item['source_address_type']['name'] == raw['source_address_type']['description'].lower()
        assert item['udh'] == ''
        assert item['payload'] == raw['payload']
        assert item['esme_interface_type']['name'] == 'restapi'
        # Final items carry a final_date; the recorded canceled ones have none yet.
        assert (item['final_date'] is not None) == (status_id(item) in FINAL_STATUSES and status_id(item) != 7)
        assert set(raw) <= set(item)
        assert raw['dcs'] == '0'  # input untouched


def test_sms_docs_shape_and_mo_direction():
    raw = {'id': '5', 'endpoint': {'id': '77', 'name': 'dev'}, 'udh': '050003cc0201', 'dcs': 8,
           'submit_date': '10/5/2019 1:56:59 PM', 'status': {'id': '4', 'description': 'DELIVERED'},
           'sms_type': {'id': 2, 'description': 'MO'}, 'source_address_type': {'id': 145, 'description': 'International'}}
    item = normalize_sms(raw)
    assert item['id'] == 5 and item['endpoint']['id'] == 77 and item['endpoint_id'] == 77
    assert item['udh'] == '050003CC0201'
    assert item['submit_date'] == '2019-10-05T13:56:59Z'
    assert item['status'] == {'id': 4, 'description': 'DELIVERED', 'name': 'delivered'}
    assert item['direction'] == 'mo' and item['sms_type']['name'] == 'mo'
    assert item['source_address_type']['name'] == 'international'


@pytest.mark.parametrize('sms_type,direction', [({'description': 'MO'}, 'mo'), ({'id': '2'}, 'mo'), ({'id': 2, 'description': 'MT'}, 'mt'),
                                                ({'id': 1}, 'mt'), ({'id': 9, 'description': 'mo '}, 'mo'), (None, 'mt'),
                                                ('MO', 'mt'), ([1], 'mt')])
def test_sms_direction(sms_type, direction):
    assert sms_direction({'sms_type': sms_type}) == direction


def test_sms_unknown_status_gets_a_name_from_description():
    item = normalize_sms({'status': {'id': 42, 'description': 'Some New State'}})
    assert item['status']['name'] == 'some_new_state'
    assert normalize_sms({})['status'] is None


@pytest.mark.parametrize('raw', [{'udh': 5}, {'dcs': u'\u00b2'}, {'sms_type': 'MO'}, {'submit_date': '0001-01-01T00:30:00+0100'},
                                 {'endpoint': {'id': u'\u00b2'}}, {'udh': None, 'status': 'DELIVERED'}])
def test_sms_odd_values_do_not_raise(raw):
    item = normalize_sms(raw)
    assert isinstance(item['udh'], str)
    assert item['direction'] in ('mt', 'mo')


# -- endpoints -----------------------------------------------------------------------------------------------

def test_recorded_endpoints_normalise():
    items = _bodies('/api/v1/endpoint')
    assert items
    for raw in items:
        item = normalize_endpoint(raw)
        assert is_int(item['id']) and item['id'] == raw['id']
        assert item['status']['name'] == raw['status']['description'].lower()
        assert item['tags'] == [tag.strip() for tag in (raw['tags'] or '').split(',') if tag.strip()]
        assert _parse_z(item['created']) == _reference_parse(raw['created'])
        reasons = []
        if raw['status']['id'] != 0:
            reasons.append('endpoint is %s' % raw['status']['description'].lower())
        sim = raw.get('sim')
        if sim:
            assert item['iccid'] == sim['iccid'] and item['imsi'] == sim['imsi'] and item['msisdn'] == sim['msisdn']
            assert item['sim_id'] == sim['id'] and item['sim_status'] == sim['status']['description'].lower()
            if sim['status']['id'] != 1:
                reasons.append('SIM is %s' % sim['status']['description'].lower())
        else:
            assert item['iccid'] is None and item['sim_status'] is None
            reasons.append('no SIM assigned')
        assert item['sms_not_ready_reasons'] == reasons
        assert item['sms_ready'] is (not reasons)
    assert any(normalize_endpoint(raw)['sms_ready'] for raw in items)
    assert any(not normalize_endpoint(raw)['sms_ready'] for raw in items)


def test_endpoint_suspended_sim_and_disabled():
    raw = {'id': '9', 'tags': 'a,b', 'status': {'id': 1, 'description': 'Disabled'},
           'sim': {'id': '3', 'iccid': '1', 'status': {'id': 2, 'description': 'Suspended'}}}
    item = normalize_endpoint(raw)
    assert item['id'] == 9 and item['sim_id'] == 3 and item['tags'] == ['a', 'b']
    assert item['sms_not_ready_reasons'] == ['endpoint is disabled', 'SIM is suspended']
    assert item['sms_ready'] is False
    assert normalize_endpoint({})['sms_not_ready_reasons'] == ['endpoint is not enabled', 'no SIM assigned']


# -- fuzzing ---------------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
DATES = st.builds(lambda y, mo, d, h, mi, zone: '%04d-%02d-%02dT%02d:%02d:00%s' % (y, mo, d, h, mi, zone),
                  st.sampled_from([1, 2, 1970, 2022, 9998, 9999]), st.integers(1, 12), st.integers(1, 31),
                  st.integers(0, 23), st.integers(0, 59), st.sampled_from(['', 'Z', '+0000', '+1400', '-1200', '+01:30', '-99:99']))
DIGITS = st.text(alphabet=u'0123456789-+ \u00b2\u0663\uff11', min_size=1, max_size=5)
FIELD_VALUE = JSON | DATES | DIGITS | st.dictionaries(st.sampled_from(['id', 'description', 'name', 'status']), JSON | DIGITS, max_size=3)
SMS_KEYS = st.sampled_from(['id', 'dcs', 'pid', 'udh', 'status', 'sms_type', 'source_address_type', 'esme_interface_type',
                            'endpoint', 'endpoint_id', 'submit_date', 'final_date', 'retry_count', 'payload'])
ENDPOINT_KEYS = st.sampled_from(['id', 'name', 'tags', 'status', 'sim', 'created', 'last_updated'])


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(SMS_KEYS | st.text(max_size=6), FIELD_VALUE, max_size=8))
def test_fuzz_normalize_sms(raw):
    item = normalize_sms(raw)
    assert item['direction'] in ('mt', 'mo')
    assert isinstance(item['udh'], str)
    json.dumps(item)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(ENDPOINT_KEYS | st.text(max_size=6), FIELD_VALUE, max_size=7),
       st.one_of(st.none(), st.dictionaries(st.sampled_from(['id', 'iccid', 'status']), FIELD_VALUE, max_size=3)))
def test_fuzz_normalize_endpoint(raw, sim):
    if sim is not None:
        raw['sim'] = sim
    item = normalize_endpoint(raw)
    assert isinstance(item['sms_ready'], bool)
    assert item['sms_ready'] is (not item['sms_not_ready_reasons'])
    json.dumps(item)


@FUZZ
@given(ENDPOINT_ITEMS)
def test_normalize_endpoint_any_values(item):
    result = normalize_endpoint(item)
    assert result['sms_ready'] is (not result['sms_not_ready_reasons'])
    assert all(isinstance(reason, str) for reason in result['sms_not_ready_reasons'])
    json.dumps(result)
