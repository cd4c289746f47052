# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fuzzing of everything that reads emnify API answers, beyond test_errors.py and test_normalize.py.

Any JSON anywhere (objects, lists, strings, numbers, null, nesting) in any field, any header
value, empty and non-JSON bodies: the parsers either return a JSON-safe result or raise the
errors they document (EmnifyApiError from the client), never anything else.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._client import EmnifyClient, sms_id_from_location
from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError, EmnifyError, parse_error_body, parse_retry_after
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_endpoint, normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._sms_history import filter_messages, group_messages
from ansible_collections.emnify.iot.plugins.module_utils._time import parse_date

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                        max_leaves=10)
UDHS = st.sampled_from(['', '050003CC0201', '050003CC0202', '050003CC0203', '060804ABCD0201', '060804ABCD0202', '0500030000',
                        '050003CC0001', 'ZZ', '05', '0B05040B8423F0000003A30201'])
DATES = st.sampled_from(['2022-08-04T01:45:24.000+0000', '10/5/2019 1:56:59 PM', 'garbage', '', '9999-12-31T23:59:59-1400',
                         '0001-01-01T00:00:00+1400'])
STATUS = st.one_of(ANY_JSON, st.fixed_dictionaries({'id': st.integers(0, 9) | st.text(max_size=3), 'description': ANY_JSON}))
SMS_FIELDS = {
    'id': st.integers(1, 50) | ANY_JSON,
    'udh': UDHS | ANY_JSON,
    'payload': st.text(max_size=10) | ANY_JSON,
    'dcs': st.sampled_from(['0', '8', '4', 0, 8, '300', 'x']) | ANY_JSON,
    'status': STATUS,
    'sms_type': st.sampled_from([{'id': 1, 'description': 'MT'}, {'id': 2, 'description': 'MO'}, {'id': '2'}]) | ANY_JSON,
    'source_address': st.sampled_from(['', '12345', 'ACME']) | ANY_JSON,
    'source_address_type': ANY_JSON,
    'submit_date': DATES | ANY_JSON,
    'final_date': DATES | ANY_JSON,
    'endpoint': ANY_JSON,
    'endpoint_id': ANY_JSON,
}
SMS_ITEMS = st.fixed_dictionaries({}, optional=SMS_FIELDS)
ENDPOINT_ITEMS = st.fixed_dictionaries({}, optional={
    'id': ANY_JSON, 'name': ANY_JSON, 'tags': ANY_JSON, 'status': STATUS, 'created': DATES | ANY_JSON,
    'sim': ANY_JSON | st.fixed_dictionaries({}, optional={'id': ANY_JSON, 'status': STATUS, 'iccid': ANY_JSON})})


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


@FUZZ
@given(ENDPOINT_ITEMS)
def test_normalize_endpoint_any_values(item):
    result = normalize_endpoint(item)
    assert result['sms_ready'] is (not result['sms_not_ready_reasons'])
    assert all(isinstance(reason, str) for reason in result['sms_not_ready_reasons'])
    json.dumps(result)


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(), st.binary(max_size=10),
                 st.lists(st.integers(), max_size=2),
                 st.sampled_from(['nan', 'inf', '-inf', '1e400', '-0', ' 7 ', 'Wed, 21 Oct 2015 07:28:00 GMT',
                                  'Fri, 31 Dec 9999 23:59:59 +1400', 'Mon, 32 Foo 2020 99:99:99 GMT'])))
def test_parse_retry_after_any_value(value):
    seconds = parse_retry_after(value)
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)


HEADERS = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(['Retry-After', 'retry-after', 'RETRY-AFTER', 'Content-Type', 'X']),
                    st.text(max_size=30) | st.integers() | st.none(), max_size=3),
    st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=2),
    st.text(max_size=5),
)


@FUZZ
@given(st.integers(100, 999), st.one_of(st.binary(max_size=80), ANY_JSON.map(lambda data: json.dumps(data).encode('utf-8')),
                                        st.text(max_size=80)), HEADERS)
def test_parse_error_body_any_headers(status, body, headers):
    error = parse_error_body(status, 'POST', '/api/v1/endpoint/1/sms', body, headers, secrets=('app-token-secret',))
    assert isinstance(error, EmnifyApiError)
    assert 'app-token-secret' not in str(error)
    json.dumps(error.to_dict())


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=60), st.sampled_from(['http://x/api/v1/endpoint/1/sms/99', '/sms/ 12', '/sms/00', '//', '?', '%'])))
def test_sms_id_from_location_any_header(location):
    sms_id = sms_id_from_location(location)
    assert sms_id is None or (isinstance(sms_id, int) and sms_id >= 0)


# -- the client over a fake transport: any body is either usable or an EmnifyApiError ------------------------

JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln'


class Response:
    def __init__(self, status, body, headers):
        self.status_code = status
        self.content = body
        self.headers = headers
        self.text = body.decode('utf-8', 'replace')

    def json(self):
        return json.loads(self.content.decode('utf-8'))


class Session:
    def __init__(self, status, body, headers):
        self.answer = (status, body, headers)
        self.headers = {}

    def post(self, url, **kwargs):
        return Response(200, json.dumps({'auth_token': JWT}).encode('utf-8'), {})

    def request(self, method, url, **kwargs):
        return Response(*self.answer)


BODIES = st.one_of(ANY_JSON.map(lambda data: json.dumps(data).encode('utf-8')),
                   st.lists(SMS_ITEMS | ANY_JSON, max_size=4).map(lambda data: json.dumps(data).encode('utf-8')),
                   st.binary(max_size=40), st.just(b''), st.just(b'   '), st.just(b'<html>oops</html>'))
PAGING = st.dictionaries(st.sampled_from(['X-Total-Pages', 'X-Count-Per-Page', 'Location']),
                         st.sampled_from(['1', '0', '-1', 'x', '', '99999999999999999999']), max_size=3)


def client_for(status, body, headers):
    return EmnifyClient('http://127.0.0.1:9', 'app-token-secret', session=Session(status, body, headers),
                        retries=0, rate_limit_requests=0, sleep=lambda seconds: None)


@FUZZ
@given(st.sampled_from([200, 201, 204, 400, 404, 409, 422, 500]), BODIES, PAGING)
def test_client_reads_any_answer_or_raises_api_error(status, body, headers):
    for call in ('list_sms', 'get_endpoint', 'get_sms', 'iter_endpoints', 'send_sms'):
        client = client_for(status, body, headers)
        try:
            if call == 'list_sms':
                result = client.list_sms(11380001)
                assert isinstance(result, list) and all(isinstance(item, dict) for item in result)
                for item in result:
                    normalize_sms(item)
            elif call == 'get_endpoint':
                result = client.get_endpoint(11380001)
                assert isinstance(result, dict)
                normalize_endpoint(result)
            elif call == 'get_sms':
                result = client.get_sms(11380001, 5)
                assert isinstance(result, dict)
            elif call == 'iter_endpoints':
                result = list(client.iter_endpoints())
                assert all(isinstance(item, dict) for item in result)
                for item in result:
                    normalize_endpoint(item)
            else:
                result = client.send_sms(11380001, {'payload': 'x', 'dcs': 0})
                assert result is None or isinstance(result, int)
        except EmnifyError as error:
            assert 'app-token-secret' not in str(error) and JWT not in str(error)


@pytest.mark.parametrize('body', [b'[null]', b'[1, 2]', b'["x"]', b'[[]]', b'[{"id": 1}, null]'])
def test_sms_list_with_items_that_are_not_objects_is_a_clear_error(body):
    client = client_for(200, body, {})
    with pytest.raises(EmnifyApiError, match='not a JSON object'):
        client.list_sms(11380001)


@pytest.mark.parametrize('body', [b'', b'[]', b'"x"', b'5', b'[{"id": 1}]'])
def test_single_objects_that_are_not_objects_are_a_clear_error(body):
    with pytest.raises(EmnifyApiError, match='not a JSON object'):
        client_for(200, body, {}).get_endpoint(11380001)
    with pytest.raises(EmnifyApiError, match='not a JSON object'):
        client_for(200, body, {}).get_sms(11380001, 1)
