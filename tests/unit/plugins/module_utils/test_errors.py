# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _errors: redaction, error classes, parse_error_body and parse_retry_after.

Pure functions, no boundary to mock: bodies are given as bytes or text exactly as the
transport would hand them over.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import datetime
import json
import os
from email.utils import format_datetime

import pytest

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._errors import (
    EmnifyApiError,
    EmnifyAuthError,
    EmnifyError,
    EmnifyOutcomeUnknown,
    EmnifyTransportError,
    parse_error_body,
    parse_retry_after,
    redact,
)
from ansible_collections.emnify.iot.tests.unit.api_strategies import ANY_JSON, FUZZ

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')
APP_TOKEN = 'app-token-5f1c0d9e8b7a6c5d4e3f2a1b'


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode('utf-8')).decode('ascii').rstrip('=')


JWT = '%s.%s.%s' % (_b64({'alg': 'HS256', 'typ': 'JWT'}), _b64({'sub': 'x', 'exp': 2000000000, 'iat': 1999395200}), 'c2lnbmF0dXJlLXZhbHVl')


def _recorded_errors():
    with open(FIXTURES) as handle:
        data = json.load(handle)
    found = []
    for recording in data['recordings']:
        for number, item in enumerate(recording['interactions']):
            if item['status'] >= 400:
                found.append(pytest.param(item, id='%s-%d' % (recording['recording'], number)))
    return found


# -- redact ---------------------------------------------------------------------------------------

def test_redact_removes_jwt_bearer_and_secrets():
    text = 'got %s; header Authorization: Bearer opaque-value-123, app=%s' % (JWT, APP_TOKEN)
    result = redact(text, (APP_TOKEN,))
    assert JWT not in result
    assert 'opaque-value-123' not in result
    assert APP_TOKEN not in result
    assert result.count('<redacted>') == 3
    assert result.startswith('got <redacted>')


def test_redact_keeps_short_secrets_and_empty_values():
    assert redact('', ('abc',)) == ''
    assert redact(None) is None
    # Secrets shorter than 4 characters would destroy ordinary text; they are left alone.
    assert redact('abc def', ('abc', '', None)) == 'abc def'


# -- error classes ----------------------------------------------------------------------------------

def test_api_error_message_full_body():
    exc = EmnifyApiError(422, 'PATCH', '/api/v1/endpoint/1', error_code=1400, error_token='InputValidationFailed',
                         service_message='Update endpoint validation error',
                         errors=[dict(error_code=1401, error_token='InvalidReference', message="Service profile with Id '-1' not found.")])
    text = str(exc)
    assert text.startswith('emnify API answered HTTP 422 Unprocessable Entity to PATCH /api/v1/endpoint/1: ')
    assert 'InputValidationFailed (1400)' in text
    assert 'Update endpoint validation error' in text
    assert "InvalidReference: Service profile with Id '-1' not found." in text
    assert isinstance(exc, EmnifyError)
    assert exc.to_dict() == dict(status=422, method='PATCH', path='/api/v1/endpoint/1', error_code=1400,
                                 error_token='InputValidationFailed', message='Update endpoint validation error',
                                 errors=exc.errors)
    json.dumps(exc.to_dict())


def test_api_error_without_details_says_so():
    exc = EmnifyApiError(418, 'GET', '/x')
    assert str(exc) == 'emnify API answered HTTP 418 to GET /x: the response had no error details'
    assert exc.errors == []


def test_auth_error_names_the_option():
    exc = EmnifyAuthError(401, 'POST', '/api/v1/authenticate', service_message='Invalid credentials')
    text = str(exc)
    assert 'application_token' in text and 'EMNIFY_APPLICATION_TOKEN' in text
    assert text.endswith(': Invalid credentials')
    assert isinstance(exc, EmnifyApiError)


def test_outcome_unknown_and_transport_error():
    exc = EmnifyOutcomeUnknown('POST', '/api/v1/endpoint/1/sms', 'HTTP 503', status=503)
    assert exc.status == 503 and exc.method == 'POST' and exc.reason == 'HTTP 503'
    assert 'POST /api/v1/endpoint/1/sms' in str(exc) and 'unknown' in str(exc)
    assert isinstance(EmnifyTransportError('down'), EmnifyError)
    assert str(EmnifyTransportError('down')) == 'down'


# -- parse_error_body --------------------------------------------------------------------------------

@pytest.mark.parametrize('item', _recorded_errors())
def test_parse_recorded_error_bodies(item):
    raw = json.dumps(item['body']) if item['body_is_json'] else item['body']
    exc = parse_error_body(item['status'], item['method'], item['path'], raw.encode('utf-8'), item['headers'])
    assert exc.status == item['status']
    assert exc.method == item['method'] and exc.path == item['path']
    body = item['body'] if isinstance(item['body'], dict) else {}
    assert exc.error_code == body.get('error_code')
    assert exc.error_token == body.get('error_token')
    assert exc.service_message == (body.get('message') or None)
    assert [entry['message'] for entry in exc.errors] == [entry['message'] for entry in body.get('errors', [])]
    assert [entry['error_code'] for entry in exc.errors] == [entry['error_code'] for entry in body.get('errors', [])]
    if body.get('message'):
        assert body['message'] in str(exc)
    assert exc.retry_after is None


def test_parse_full_body():
    body = json.dumps({'error_code': 1401, 'error_token': 'InvalidReference', 'message': "Endpoint with Id '-1' not found."})
    exc = parse_error_body(404, 'GET', '/api/v1/endpoint/-1', body)
    assert (exc.status, exc.error_code, exc.error_token) == (404, 1401, 'InvalidReference')
    assert exc.service_message == "Endpoint with Id '-1' not found."
    assert 'Not Found' in str(exc) and "Endpoint with Id '-1' not found." in str(exc)


def test_parse_message_only():
    exc = parse_error_body(401, 'GET', '/api/v1/endpoint', b'{"message":"token contains an invalid number of segments"}')
    assert exc.error_code is None and exc.error_token is None
    assert exc.service_message == 'token contains an invalid number of segments'
    assert str(exc).endswith(': token contains an invalid number of segments')


@pytest.mark.parametrize('body', [b'', '', None, b'   \n'])
def test_parse_empty_body(body):
    exc = parse_error_body(422, 'PATCH', '/p', body)
    assert exc.service_message is None and exc.error_code is None and exc.errors == []
    assert 'no error details' in str(exc)


def test_parse_non_json_text_is_kept_and_truncated():
    exc = parse_error_body(502, 'GET', '/p', b'<html><body>Bad Gateway</body></html>')
    assert exc.service_message == '<html><body>Bad Gateway</body></html>'
    long_exc = parse_error_body(500, 'GET', '/p', 'x' * 1000)
    assert long_exc.service_message == 'x' * 300 + '...'


def test_parse_garbage_bytes_and_odd_json():
    exc = parse_error_body(500, 'GET', '/p', b'\xff\xfe\x00garbage\x80')
    assert isinstance(exc, EmnifyApiError) and exc.service_message
    exc = parse_error_body(400, 'GET', '/p', '[1, 2]')
    assert exc.service_message == '[1, 2]'
    exc = parse_error_body(400, 'GET', '/p', json.dumps({'error_code': '1402', 'error_token': 5, 'message': 7,
                                                        'errors': ['plain', {'error_code': True, 'message': None}]}))
    assert exc.error_code == 1402
    assert exc.error_token is None
    assert exc.service_message == '7'
    assert exc.errors == [dict(error_code=None, error_token=None, message='plain'),
                          dict(error_code=None, error_token=None, message='')]


@pytest.mark.parametrize('code', ['--5', u'\u00b2', '-', '', '1.5', ' 12 '])
def test_parse_odd_error_codes_never_raise(code):
    exc = parse_error_body(400, 'GET', '/p', json.dumps({'error_code': code, 'message': 'm',
                                                        'errors': [{'error_code': code, 'message': 'n'}]}))
    expected = 12 if code == ' 12 ' else None
    assert exc.error_code == expected
    assert exc.errors[0]['error_code'] == expected


def test_parse_retry_after_header_case_insensitive():
    assert parse_error_body(429, 'GET', '/p', b'', {'retry-after': '12'}).retry_after == 12.0
    assert parse_error_body(429, 'GET', '/p', b'', {'Retry-After': '3'}).retry_after == 3.0
    assert parse_error_body(429, 'GET', '/p', b'', {}).retry_after is None


def test_errors_never_carry_credentials():
    body = json.dumps({'error_code': 1102, 'error_token': 'InvalidToken',
                       'message': 'token %s rejected for application token %s' % (JWT, APP_TOKEN),
                       'errors': [{'message': 'Authorization: Bearer %s' % JWT}, 'app %s' % APP_TOKEN]})
    exc = parse_error_body(401, 'GET', '/api/v1/endpoint', body, secrets=(APP_TOKEN, JWT))
    dumped = json.dumps(exc.to_dict())
    for text in (str(exc), dumped, repr(exc.args)):
        assert JWT not in text
        assert APP_TOKEN not in text
    assert '<redacted>' in str(exc)


# -- parse_retry_after ---------------------------------------------------------------------------------

@pytest.mark.parametrize('value,expected', [('5', 5.0), (' 2.5 ', 2.5), ('-3', 0.0), (7, 7.0), (None, None), ('', None),
                                            ('soon', None), ('nan', 0.0)])
def test_parse_retry_after_values(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date():
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=90)
    seconds = parse_retry_after(format_datetime(future, usegmt=True))
    assert 85 <= seconds <= 91
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    assert parse_retry_after(format_datetime(past, usegmt=True)) == 0.0


# -- fuzzing ---------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20)
ERROR_KEYS = st.sampled_from(['error_code', 'error_token', 'message', 'errors'])
ERROR_LIKE = st.dictionaries(ERROR_KEYS, JSON | st.lists(st.dictionaries(ERROR_KEYS, JSON, max_size=4), max_size=3), max_size=4)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=st.integers(min_value=400, max_value=599), data=JSON | ERROR_LIKE, raw=st.binary(max_size=64),
       use_raw=st.booleans(), retry_after=st.none() | st.text(max_size=30))
def test_fuzz_parse_error_body(status, data, raw, use_raw, retry_after):
    body = raw if use_raw else json.dumps(data).encode('utf-8')
    headers = {'Retry-After': retry_after} if retry_after is not None else None
    exc = parse_error_body(status, 'GET', '/api/v1/x', body, headers, secrets=(APP_TOKEN,))
    assert isinstance(exc, EmnifyApiError)
    assert exc.error_code is None or isinstance(exc.error_code, int)
    assert exc.error_token is None or isinstance(exc.error_token, str)
    assert exc.service_message is None or len(exc.service_message) <= 303
    assert exc.retry_after is None or exc.retry_after >= 0
    json.dumps(exc.to_dict())
    assert str(exc).startswith('emnify API answered HTTP %d' % status)


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
