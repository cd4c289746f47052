# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _client.EmnifyClient, including a replay of every recorded production exchange.

Boundary: the fake API of the unit tests (tests/unit/fake_api.py), a scripted ``requests`` transport
adapter mounted on a real ``requests.Session``; it returns real ``requests.Response`` objects or
raises the exceptions ``requests`` itself raises. ``sleep`` and ``clock`` are injected, so
nothing waits for real; pacing is switched off except where a test installs a pacer on the
same fake clock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import os
import socket
import stat
from email.utils import format_datetime

import pytest
import requests
import yaml
from hypothesis import given
from hypothesis import strategies as st
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.emnify.iot.plugins.module_utils._client import (
    COLLECTION_VERSION,
    EmnifyClient,
    sms_id_from_location,
)
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import SMS_STATUS
from ansible_collections.emnify.iot.plugins.module_utils._errors import (
    EmnifyApiError,
    EmnifyAuthError,
    EmnifyError,
    EmnifyOutcomeUnknown,
    EmnifyTransportError,
)
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_endpoint, normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._pacer import Pacer
from ansible_collections.emnify.iot.plugins.module_utils._token_cache import TokenCache
from ansible_collections.emnify.iot.tests.unit.api_strategies import ANY_JSON, FUZZ, SMS_ITEMS
from ansible_collections.emnify.iot.tests.unit.fake_api import API, APP_TOKEN, AUTH, FakeApi, ScriptedAdapter, make_client, make_jwt, ok
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..'))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')


def is_int(value):
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def load_recordings():
    with open(FIXTURES) as handle:
        return json.load(handle)['recordings']


def not_sent():
    """What requests raises when the TCP connection was refused (nothing reached the server)."""
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    return requests.exceptions.ConnectionError(MaxRetryError(None, '/api', reason=reason))


def reset_after_send():
    return requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


# -- recordings replay ------------------------------------------------------------------------------------------

class Replay:
    """Serves a recording strictly in order and checks each request against the recorded one."""

    def __init__(self, interactions):
        self.queue = list(interactions)
        self.tokens = []

    def __call__(self, sent):
        assert self.queue, 'more requests than recorded: %s %s' % (sent.method, sent.path)
        item = self.queue.pop(0)
        assert (sent.method, sent.path) == (item['method'], item['path'])
        if item['path'] == AUTH:
            assert sent.body == {'application_token': APP_TOKEN}
        else:
            assert sent.body == item['request_body']
        body = item['body']
        if isinstance(body, dict) and 'auth_token' in body:
            # The recording keeps only the token's lifetime; hand out a token with the same lifetime.
            body = {'auth_token': make_jwt(604800, subject='r%d' % len(self.tokens))}
            self.tokens.append(body['auth_token'])
        raw = json.dumps(body) if item['body_is_json'] else body
        return item['status'], item['headers'], raw


def _calls(interactions):
    """The calls a module makes for a recording: every exchange but authentications and the 401 answered by one."""
    calls = []
    for index, item in enumerate(interactions):
        if item['path'] == AUTH:
            continue
        following = interactions[index + 1] if index + 1 < len(interactions) else None
        if item['status'] == 401 and following is not None and following['path'] == AUTH:
            continue
        calls.append(item)
    return calls


def _check_error(exc, item):
    body = item['body'] if isinstance(item['body'], dict) else {}
    assert isinstance(exc, EmnifyApiError) and not isinstance(exc, EmnifyAuthError)
    assert exc.status == item['status']
    assert (exc.method, exc.path) == (item['method'], item['path'])
    assert exc.error_code == body.get('error_code')
    assert exc.error_token == body.get('error_token')
    assert exc.service_message == (body.get('message') or None)
    assert [entry['message'] for entry in exc.errors] == [entry['message'] for entry in body.get('errors', [])]
    if body.get('message'):
        assert body['message'] in str(exc)


@pytest.mark.parametrize('recording', load_recordings(), ids=lambda recording: recording['recording'])
def test_replay_recording(recording, tmp_path):
    interactions = recording['interactions']
    replay = Replay(interactions)
    session = requests.Session()
    adapter = ScriptedAdapter(replay)
    session.mount('https://', adapter)
    clock = FakeClock()
    cache_dir = str(tmp_path / 'cache')
    # The recorded runs started with a bearer token the gateway refused ("Bearer None"): seed the
    # token cache with exactly that, so the first call is refused and answered by one re-authentication.
    TokenCache(cache_dir, API, APP_TOKEN).store('None')
    client = EmnifyClient(API, APP_TOKEN, session=session, sleep=clock.sleep, clock=clock, rate_limit_requests=0,
                          token_cache_dir=cache_dir)
    checked = 0
    for item in _calls(interactions):
        method, path = item['method'], item['path']
        if item['status'] >= 400:
            with pytest.raises(EmnifyApiError) as caught:
                client.request(method, path, body=item['request_body'])
            _check_error(caught.value, item)
        elif method == 'GET' and path == '/api/v1/endpoint':
            endpoints = [normalize_endpoint(raw) for raw in client.iter_endpoints()]
            assert [entry['id'] for entry in endpoints] == [raw['id'] for raw in item['body']]
            for entry, raw in zip(endpoints, item['body']):
                assert is_int(entry['id'])
                assert entry['status']['name'] == raw['status']['description'].lower()
                assert entry['sms_ready'] == (raw['status']['id'] == 0 and (raw.get('sim') or {}).get('status', {}).get('id') == 1)
            sent = adapter.sent[-1]
            assert sent.query == {'page': '1', 'per_page': '1000'}
        elif method == 'GET' and path.endswith('/sms'):
            endpoint_id = int(path.split('/')[4])
            messages = [normalize_sms(raw) for raw in client.list_sms(endpoint_id)]
            assert len(messages) == len(item['body'])
            for message, raw in zip(messages, item['body']):
                assert message['id'] == raw['id']
                assert message['endpoint_id'] == endpoint_id
                assert is_int(message['dcs']) and is_int(message['sim_id']) and is_int(message['retry_count'])
                assert message['status']['name'] == SMS_STATUS[raw['status']['id']]
                assert message['submit_date'].endswith('Z')
                assert message['direction'] == 'mt'
        elif method == 'POST' and path.endswith('/sms'):
            endpoint_id = int(path.split('/')[4])
            sms_id = client.send_sms(endpoint_id, item['request_body'])
            assert sms_id == int(item['headers']['Location'].rsplit('/', 1)[1])
        else:
            response = client.request(method, path, body=item['request_body'])
            assert response.status == item['status']
            assert response.data == (item['body'] if item['body_is_json'] else None)
            location = item['headers'].get('Location')
            if location:
                assert sms_id_from_location(response.headers.get('Location')) == int(location.rsplit('/', 1)[1])
        checked += 1
    assert replay.queue == [], 'recorded exchanges not replayed'
    assert checked >= 1
    auths = sum(1 for item in interactions if item['path'] == AUTH)
    assert client.stats['authentications'] == auths
    assert client.stats['requests'] == len(interactions)
    assert client.stats['retries'] == 0
    # The refused "None" token never went out again, and every later call carried a current token.
    bearers = [sent.bearer for sent in adapter.sent if sent.path != AUTH]
    assert bearers[0] == 'None' and bearers.count('None') == 1
    assert set(bearers[1:]) <= set(replay.tokens)


def test_every_recording_is_replayed():
    names = [recording['recording'] for recording in load_recordings()]
    assert len(names) == len(set(names)) >= 8
    kinds = set()
    for recording in load_recordings():
        for item in recording['interactions']:
            kinds.add((item['status'] >= 400, item['path'].endswith('/sms'), 'Location' in item['headers']))
    assert (False, True, True) in kinds and (True, False, False) in kinds


# -- authentication ------------------------------------------------------------------------------------------------

def test_one_authentication_for_many_requests(monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    api = FakeApi(route=lambda sent: ok([{'id': 1}]))
    client, _clock = make_client(api)
    for endpoint_id in range(1, 26):
        assert client.list_sms(endpoint_id) == [{'id': 1}]
    assert len(api.requests('POST', AUTH)) == 1
    assert client.stats['authentications'] == 1
    assert client.stats['requests'] == 26
    assert client.stats['by_method'] == {'POST': 1, 'GET': 25}
    gets = api.requests('GET')
    assert len(gets) == 25 and all(sent.bearer == api.tokens[0] for sent in gets)
    assert all(sent.timeout == 30 and sent.verify is True for sent in api.adapter.sent)
    assert gets[0].headers['User-Agent'].startswith('emnify.iot-ansible-collection/%s python-requests/' % galaxy_version())


def galaxy_version():
    with open(os.path.join(COLLECTION_ROOT, 'galaxy.yml')) as handle:
        return yaml.safe_load(handle)['version']


def test_the_collection_version_is_the_one_in_galaxy_yml():
    assert COLLECTION_VERSION == galaxy_version()


def test_token_renewed_in_memory_before_exp():
    api = FakeApi(route=lambda sent: ok(), lifetime=3600)
    client, clock = make_client(api)
    client.list_sms(1)
    clock.now += 3600 - 200
    client.list_sms(1)
    assert len(api.tokens) == 1
    clock.now += 100  # now within the renewal margin before exp
    client.list_sms(1)
    assert len(api.tokens) == 2
    assert api.requests('GET')[-1].bearer == api.tokens[1]


def test_token_cache_shared_by_two_clients(tmp_path):
    cache_dir = str(tmp_path / 'runtime' / 'emnify.iot')
    first_api = FakeApi(route=lambda sent: ok())
    first, _clock = make_client(first_api, token_cache_dir=cache_dir)
    first.list_sms(1)
    second_api = FakeApi(route=lambda sent: ok())
    second, _clock = make_client(second_api, token_cache_dir=cache_dir)
    second.list_sms(2)
    second.list_sms(3)
    assert len(first_api.requests('POST', AUTH)) == 1
    assert second_api.requests('POST', AUTH) == []
    assert second.stats['authentications'] == 0
    assert [sent.bearer for sent in second_api.requests('GET')] == [first_api.tokens[0]] * 2
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    files = [name for name in os.listdir(cache_dir) if name.endswith('.json')]
    assert len(files) == 1
    path = os.path.join(cache_dir, files[0])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        content = handle.read()
    assert APP_TOKEN not in content and APP_TOKEN not in path
    assert first_api.tokens[0] in content


def test_token_cache_expiry_honoured(tmp_path):
    cache_dir = str(tmp_path / 'cache')
    # A cached token that expires within the renewal margin is not used.
    TokenCache(cache_dir, API, APP_TOKEN).store(make_jwt(60))
    api = FakeApi(route=lambda sent: ok())
    client, _clock = make_client(api, token_cache_dir=cache_dir)
    client.list_sms(1)
    assert len(api.requests('POST', AUTH)) == 1
    assert api.requests('GET')[0].bearer == api.tokens[0]
    assert TokenCache(cache_dir, API, APP_TOKEN).load() == api.tokens[0]


def test_rejected_cached_token_is_replaced_in_the_cache(tmp_path):
    cache_dir = str(tmp_path / 'cache')
    stale = make_jwt(3600, subject='revoked')
    TokenCache(cache_dir, API, APP_TOKEN).store(stale)

    def route(sent):
        if sent.bearer == stale:
            return 401, {}, {'error_code': 1102, 'error_token': 'InvalidToken', 'message': 'Invalid token'}
        return ok()
    api = FakeApi(route=route)
    client, _clock = make_client(api, token_cache_dir=cache_dir)
    client.list_sms(1)
    assert [sent.bearer for sent in api.requests('GET')] == [stale, api.tokens[0]]
    assert TokenCache(cache_dir, API, APP_TOKEN).load() == api.tokens[0]


def test_401_mid_run_reauthenticates_once_and_retries_once():
    answers = [ok([{'id': 1}]), (401, {}, {'error_code': 1103, 'error_token': 'TokenExpired', 'message': 'Token expired'}), ok([{'id': 2}])]
    api = FakeApi(script=answers)
    client, _clock = make_client(api)
    assert client.list_sms(1) == [{'id': 1}]
    assert client.list_sms(1) == [{'id': 2}]
    gets = api.requests('GET')
    assert len(gets) == 3 and len(api.tokens) == 2
    assert [sent.bearer for sent in gets] == [api.tokens[0], api.tokens[0], api.tokens[1]]
    assert client.stats['authentications'] == 2 and client.stats['retries'] == 0


def test_second_401_is_an_error():
    refused = (401, {}, {'message': 'token contains an invalid number of segments'})
    api = FakeApi(script=[refused, refused])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyApiError) as caught:
        client.list_sms(1)
    assert caught.value.status == 401
    assert caught.value.service_message == 'token contains an invalid number of segments'
    assert len(api.requests('GET')) == 2 and len(api.requests('POST', AUTH)) == 2


def test_401_on_post_reauthenticates_and_sends_once_more():
    api = FakeApi(script=[(401, {}, ''), (201, {'Location': API + '/api/v1/endpoint/5/sms/77'}, '')])
    client, _clock = make_client(api)
    assert client.send_sms(5, {'payload': 'hi'}) == 77
    assert len(api.requests('POST', '/api/v1/endpoint/5/sms')) == 2


@pytest.mark.parametrize('status', [401, 403])
def test_refused_application_token_is_never_retried(status):
    api = FakeApi(auth=[(status, {}, '')])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyAuthError) as caught:
        client.list_sms(1)
    assert caught.value.status == status
    assert 'application_token' in str(caught.value)
    assert len(api.adapter.sent) == 1
    assert APP_TOKEN not in str(caught.value)


def test_refused_application_token_is_remembered_for_the_rest_of_the_run():
    """A bulk task must not spend one authentication per endpoint on a token emnify refused."""
    api = FakeApi(auth=[(401, {}, '')])
    client, _clock = make_client(api)
    for endpoint_id in (1, 2, 3):
        with pytest.raises(EmnifyAuthError):
            client.list_sms(endpoint_id)
    assert len(api.adapter.sent) == 1
    assert client.stats['authentications'] == 1


def test_unreachable_service_is_remembered_for_the_rest_of_the_run():
    api = FakeApi(auth=[not_sent(), not_sent()])
    client, clock = make_client(api, retries=1)
    for endpoint_id in (1, 2):
        with pytest.raises(EmnifyTransportError):
            client.list_sms(endpoint_id)
    assert len(api.adapter.sent) == 2
    assert len(clock.sleeps) == 1


def test_authentication_retried_on_429_and_connection_errors():
    api = FakeApi(auth=[(429, {'Retry-After': '2'}, ''), not_sent(), None], route=lambda sent: ok())
    client, clock = make_client(api)
    client.list_sms(1)
    assert len(api.requests('POST', AUTH)) == 3
    assert clock.sleeps[0] == 2.0 and len(clock.sleeps) == 2
    assert client.stats['status_429'] == 1


def test_authentication_without_token_in_answer():
    api = FakeApi(auth=[(200, {}, {'token': 'x'})])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyApiError) as caught:
        client.list_sms(1)
    assert 'auth_token' in str(caught.value)


# -- retries on reads -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('failure', [(500, {}, {'message': 'Internal server error'}), (502, {}, ''), (503, {}, '<html>busy</html>'),
                                     (504, {}, ''), 'refused', 'reset', 'timeout'])
def test_get_retried_with_growing_backoff(failure):
    def make_failure():
        if failure == 'refused':
            return not_sent()
        if failure == 'reset':
            return reset_after_send()
        if failure == 'timeout':
            return requests.exceptions.ReadTimeout('read timed out')
        return failure
    api = FakeApi(script=[make_failure() for _index in range(4)] + [ok([{'id': 9}])])
    client, clock = make_client(api, retries=5, retry_backoff=1.0)
    assert client.list_sms(1) == [{'id': 9}]
    assert len(api.requests('GET')) == 5
    assert len(clock.sleeps) == 4 and client.stats['retries'] == 4
    for attempt, seconds in enumerate(clock.sleeps):
        cap = 2.0 ** attempt
        assert cap / 2 <= seconds <= cap
    assert clock.sleeps == sorted(clock.sleeps)


def test_two_500_answers_on_a_read_are_survived():
    # A read is safe to repeat: an internal error of the service is retried like a gateway error.
    api = FakeApi(script=[(500, {}, {'message': 'Internal server error'})] * 2 + [ok([{'id': 4}])])
    client, clock = make_client(api, retries=5)
    assert client.list_sms(1) == [{'id': 4}]
    assert len(api.requests('GET')) == 3 and client.stats['retries'] == 2 and len(clock.sleeps) == 2


def test_authentication_retried_on_500():
    api = FakeApi(auth=[(500, {}, {'message': 'Internal server error'}), None], route=lambda sent: ok())
    client, _clock = make_client(api)
    client.list_sms(1)
    assert len(api.requests('POST', AUTH)) == 2


def test_backoff_cap_is_bounded():
    api = FakeApi(script=[(503, {}, '') for _index in range(8)] + [ok()])
    client, clock = make_client(api, retries=8, retry_backoff=10.0)
    client.list_sms(1)
    assert len(clock.sleeps) == 8
    # Caps 10, 20, 40, then 60 (MAX_BACKOFF) for every later attempt; each wait lies in [cap / 2, cap].
    caps = [10.0, 20.0, 40.0] + [60.0] * 5
    assert all(cap / 2 <= seconds <= cap for seconds, cap in zip(clock.sleeps, caps))


def test_get_gives_up_after_retries():
    api = FakeApi(script=[(503, {}, {'message': 'down'})] * 3)
    client, clock = make_client(api, retries=2)
    with pytest.raises(EmnifyApiError) as caught:
        client.list_sms(1)
    assert caught.value.status == 503 and caught.value.service_message == 'down'
    assert len(api.requests('GET')) == 3 and len(clock.sleeps) == 2


def test_connection_failures_exhaust_into_transport_error():
    api = FakeApi(script=[not_sent()] * 3)
    client, _clock = make_client(api, retries=2)
    with pytest.raises(EmnifyTransportError) as caught:
        client.list_sms(1)
    assert 'could not connect' in str(caught.value) and 'after 3 attempts' in str(caught.value)


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_429_with_retry_after_is_honoured_and_counted(method):
    created = (201, {'Location': API + '/api/v1/endpoint/3/sms/41'}, '')
    api = FakeApi(script=[(429, {'Retry-After': '7'}, {'error_code': 1105, 'error_token': 'TooManyRequests', 'message': 'slow down'}),
                          (429, {'Retry-After': '1000'}, ''), created if method == 'POST' else ok()])
    client, clock = make_client(api)
    if method == 'POST':
        assert client.send_sms(3, {'payload': 'x'}) == 41
    else:
        client.list_sms(3)
    assert len(api.requests(method, '/api/v1/endpoint/3/sms')) == 3
    assert clock.sleeps == [7.0, 300.0]
    assert client.stats['status_429'] == 2 and client.stats['retries'] == 2


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_429_without_retry_after_backs_off_with_jitter(method):
    created = (201, {'Location': API + '/api/v1/endpoint/3/sms/42'}, '')
    api = FakeApi(script=[(429, {}, ''), (429, {}, ''), (429, {}, ''), created if method == 'POST' else ok()])
    client, clock = make_client(api, retry_backoff=2.0)
    if method == 'POST':
        assert client.send_sms(3, {'payload': 'x'}) == 42
    else:
        client.list_sms(3)
    assert len(api.requests(method, '/api/v1/endpoint/3/sms')) == 4
    assert len(clock.sleeps) == 3
    for attempt, seconds in enumerate(clock.sleeps):
        assert 2.0 * 2 ** attempt / 2 <= seconds <= 2.0 * 2 ** attempt
    assert client.stats['status_429'] == 3


def test_retry_after_as_http_date():
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=45)
    api = FakeApi(script=[(503, {'Retry-After': format_datetime(when, usegmt=True)}, ''), ok()])
    client, clock = make_client(api)
    client.list_sms(1)
    assert len(clock.sleeps) == 1 and 40 <= clock.sleeps[0] <= 46


# -- writes: outcome unknown is never retried blindly ----------------------------------------------------------------------

@pytest.mark.parametrize('failure,reason', [
    (requests.exceptions.ReadTimeout('read timed out'), 'no response within the timeout'),
    ('reset', 'connection lost'),
    ((500, {}, ''), 'HTTP 500'),
    ((502, {}, ''), 'HTTP 502'),
    ((503, {'Retry-After': '1'}, ''), 'HTTP 503'),
    ((504, {}, ''), 'HTTP 504'),
])
def test_post_outcome_unknown_sends_exactly_once(failure, reason):
    api = FakeApi(script=[reset_after_send() if failure == 'reset' else failure, (201, {'Location': API + '/x/sms/1'}, '')])
    client, clock = make_client(api)
    with pytest.raises(EmnifyOutcomeUnknown) as caught:
        client.send_sms(8, {'payload': 'once'})
    assert reason in str(caught.value)
    assert caught.value.method == 'POST' and caught.value.path == '/api/v1/endpoint/8/sms'
    assert len(api.requests('POST', '/api/v1/endpoint/8/sms')) == 1
    assert clock.sleeps == [] and client.stats['retries'] == 0
    if isinstance(failure, tuple):
        assert caught.value.status == failure[0]


@pytest.mark.parametrize('failure', ['refused', requests.exceptions.ConnectTimeout('connect timed out')])
def test_post_never_sent_is_retried(failure):
    api = FakeApi(script=[not_sent() if failure == 'refused' else failure, (201, {'Location': API + '/api/v1/endpoint/8/sms/5'}, '')])
    client, clock = make_client(api)
    assert client.send_sms(8, {'payload': 'x'}) == 5
    assert len(api.requests('POST', '/api/v1/endpoint/8/sms')) == 2
    assert len(clock.sleeps) == 1


def test_delete_outcome_unknown():
    api = FakeApi(script=[requests.exceptions.ReadTimeout('slow')])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyOutcomeUnknown):
        client.cancel_sms(1, 2)
    assert len(api.requests('DELETE')) == 1


def test_post_client_error_is_api_error():
    api = FakeApi(script=[(422, {}, {'error_code': 1400, 'error_token': 'InputValidationFailed', 'message': 'bad',
                                     'errors': [{'error_code': 1402, 'error_token': 'Required', 'message': 'payload is required'}]})])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyApiError) as caught:
        client.send_sms(1, {})
    assert caught.value.errors[0]['error_token'] == 'Required'
    assert 'Required: payload is required' in str(caught.value)


# -- TLS and transport settings ----------------------------------------------------------------------------------------------

def test_ssl_error_names_the_options():
    api = FakeApi(auth=[requests.exceptions.SSLError('certificate verify failed')])
    client, clock = make_client(api)
    with pytest.raises(EmnifyTransportError) as caught:
        client.list_sms(1)
    assert 'validate_certs' in str(caught.value) and 'ca_path' in str(caught.value)
    assert len(api.adapter.sent) == 1 and clock.sleeps == []
    api = FakeApi(script=[requests.exceptions.SSLError('certificate verify failed')])
    client, clock = make_client(api)
    with pytest.raises(EmnifyTransportError) as caught:
        client.list_sms(1)
    assert 'validate_certs' in str(caught.value) and 'ca_path' in str(caught.value)
    assert len(api.requests('GET')) == 1


@pytest.mark.parametrize('kwargs,expected', [({}, True), ({'validate_certs': False}, False),
                                             ({'ca_path': '/etc/ca.pem'}, '/etc/ca.pem'),
                                             ({'validate_certs': False, 'ca_path': '/etc/ca.pem'}, False)])
def test_verify_and_timeout_passed_to_transport(kwargs, expected, monkeypatch):
    # requests swaps verify=True for a CA bundle named in the environment; keep this test independent of it.
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    api = FakeApi(route=lambda sent: ok())
    client, _clock = make_client(api, timeout=7, **kwargs)
    client.list_sms(1)
    assert [(sent.verify, sent.timeout) for sent in api.adapter.sent] == [(expected, 7)] * 2


def test_non_json_success_body():
    api = FakeApi(script=[(200, {}, '<html>oops</html>')])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyApiError) as caught:
        client.list_sms(1)
    assert 'not JSON' in str(caught.value)


# -- paging ---------------------------------------------------------------------------------------------------------------

def _paged(total_items, per_page, with_total=True, clamp=True):
    def route(sent):
        page = int(sent.query['page'])
        pages = max(1, -(-total_items // per_page))
        if clamp:
            page = min(page, pages)
        start = (page - 1) * per_page
        items = [{'id': number, 'name': 'd%d' % number} for number in range(start + 1, min(total_items, start + per_page) + 1)]
        headers = {'X-Total-Count': str(total_items), 'X-Current-Page': str(page), 'X-Count-Per-Page': str(per_page)}
        if with_total:
            headers['X-Total-Pages'] = str(pages)
        return ok(items, headers)
    return route


@pytest.mark.parametrize('total,per_page,pages', [(2500, 1000, 3), (2000, 1000, 2), (3, 1000, 1), (0, 1000, 1), (10, 3, 4)])
def test_paging_one_request_per_page(total, per_page, pages):
    api = FakeApi(route=_paged(total, per_page))
    client, _clock = make_client(api)
    items = list(client.iter_endpoints(query='status:0', sort='-id', per_page=per_page))
    assert [item['id'] for item in items] == list(range(1, total + 1))
    gets = api.requests('GET', '/api/v1/endpoint')
    assert len(gets) == pages
    assert [sent.query['page'] for sent in gets] == [str(number) for number in range(1, pages + 1)]
    assert all(sent.query['per_page'] == str(per_page) and sent.query['q'] == 'status:0' and sent.query['sort'] == '-id' for sent in gets)


def test_paging_without_total_pages_stops_on_short_page():
    api = FakeApi(route=_paged(7, 3, with_total=False, clamp=False))
    client, _clock = make_client(api)
    assert len(list(client.iter_sims(per_page=3))) == 7
    assert len(api.requests('GET', '/api/v1/sim')) == 3


def test_paging_trusts_total_pages_even_on_full_pages():
    # A page out of range returns the last page again; X-Total-Pages stops the walk there.
    api = FakeApi(route=_paged(6, 3, clamp=True))
    client, _clock = make_client(api)
    assert [item['id'] for item in client.iter_endpoints(per_page=3)] == [1, 2, 3, 4, 5, 6]
    assert len(api.requests('GET')) == 2


def test_paging_stops_on_a_repeated_page_without_total_pages():
    # Full pages and no X-Total-Pages: the page past the end repeats the last one and ends the walk.
    api = FakeApi(route=_paged(6, 3, with_total=False, clamp=True))
    client, _clock = make_client(api)
    assert [item['id'] for item in client.iter_endpoints(per_page=3)] == [1, 2, 3, 4, 5, 6]
    assert len(api.requests('GET')) == 3


def test_paging_ignores_an_absurd_total_pages():
    def route(sent):
        return ok([{'id': 1}, {'id': 2}], {'X-Total-Pages': '99999999999999999999'})
    api = FakeApi(route=route)
    client, _clock = make_client(api)
    assert len(list(client.iter_endpoints(per_page=1000))) == 2
    assert len(api.requests('GET')) == 1


# -- pacing ---------------------------------------------------------------------------------------------------------------------

def test_pacing_on_the_fake_clock_spaces_endpoint_list_calls():
    api = FakeApi(route=_paged(1, 1000))
    client, clock = make_client(api)
    client.pacer = Pacer(2000, 300, clock=clock, sleep=clock.sleep)
    times = []
    for _index in range(12):
        list(client.iter_endpoints())
        times.append(clock())
    assert times[:5] == [times[0]] * 5
    assert times[-1] - times[0] == pytest.approx(0.7, abs=0.02)


# -- secrets ------------------------------------------------------------------------------------------------------------------------

def test_errors_never_contain_credentials():
    def route(sent):
        echo = 'rejected Bearer %s from app %s (%s)' % (sent.bearer, APP_TOKEN, sent.headers['Authorization'])
        if sent.path.endswith('/1/sms'):
            return 400, {}, {'error_code': 1000, 'error_token': 'BadRequest', 'message': echo,
                             'errors': [{'message': echo}, echo]}
        if sent.path.endswith('/2/sms'):
            return 500, {}, echo
        return 200, {}, echo
    api = FakeApi(route=route)
    client, _clock = make_client(api)
    failures = []
    for endpoint_id in (1, 2, 3):
        with pytest.raises(EmnifyApiError) as caught:
            client.list_sms(endpoint_id)
        failures.append(caught.value)
    token = api.tokens[0]
    assert client.secrets == (APP_TOKEN, token)
    for exc in failures:
        for text in (str(exc), json.dumps(exc.to_dict()), repr(exc.args)):
            assert token not in text and APP_TOKEN not in text
            assert token.split('.')[1] not in text
    assert 'rejected Bearer <redacted>' in str(failures[0])


def test_auth_error_body_with_app_token_is_redacted():
    api = FakeApi(auth=[(401, {}, {'message': 'unknown application token %s' % APP_TOKEN})])
    client, _clock = make_client(api)
    with pytest.raises(EmnifyAuthError) as caught:
        client.list_sms(1)
    assert APP_TOKEN not in str(caught.value) and APP_TOKEN not in json.dumps(caught.value.to_dict())
    assert 'unknown application token <redacted>' in str(caught.value)


@pytest.mark.parametrize('location,expected', [(API + '/api/v1/endpoint/11379224/sms/19649276', 19649276), ('/api/v1/endpoint/1/sms/5/', 5),
                                               ('https://h/api/v1/endpoint/1/sms/7?x=1', 7), ('https://h/api/v1/endpoint/1/sms/abc', None),
                                               ('', None), (None, None)])
def test_sms_id_from_location(location, expected):
    assert sms_id_from_location(location) == expected


def test_send_sms_without_location_returns_none():
    api = FakeApi(script=[(201, {}, '')])
    client, _clock = make_client(api)
    assert client.send_sms(1, {'payload': 'x'}) is None
    assert api.requests('POST', '/api/v1/endpoint/1/sms')[0].body == {'payload': 'x'}


# -- host names that do not resolve ------------------------------------------------------------------------------
# These go through the real requests and urllib3 connection code; the boundary is the resolver (socket.getaddrinfo).

def resolver(errno, strerror):
    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(errno, strerror)
    return getaddrinfo


def dns_client(**kwargs):
    clock = FakeClock()
    client = EmnifyClient('https://cdn.emnify.nett', APP_TOKEN, sleep=clock.sleep, clock=clock, rate_limit_requests=0, **kwargs)
    return client, clock


def test_a_host_that_does_not_resolve_fails_at_once_and_says_so(monkeypatch):
    monkeypatch.setattr(socket, 'getaddrinfo', resolver(socket.EAI_NONAME, 'Name or service not known'))
    client, clock = dns_client(retries=5)
    with pytest.raises(EmnifyTransportError) as caught:
        client.get('/api/v1/endpoint')
    text = str(caught.value)
    assert 'the host name cdn.emnify.nett does not resolve (Name or service not known)' in text and 'api_url' in text
    assert clock.sleeps == [] and client.stats['retries'] == 0 and client.stats['requests'] == 0


def test_a_send_to_a_host_that_does_not_resolve_fails_at_once(monkeypatch):
    client, clock = dns_client(retries=5)
    client._set_token(make_jwt())
    monkeypatch.setattr(socket, 'getaddrinfo', resolver(socket.EAI_NONAME, 'Name or service not known'))
    with pytest.raises(EmnifyTransportError) as caught:
        client.send_sms(1, {'payload': 'hi'})
    assert 'does not resolve' in str(caught.value) and clock.sleeps == []


def test_a_temporary_dns_failure_is_retried_and_named(monkeypatch):
    monkeypatch.setattr(socket, 'getaddrinfo', resolver(socket.EAI_AGAIN, 'Temporary failure in name resolution'))
    client, clock = dns_client(retries=2)
    with pytest.raises(EmnifyTransportError) as caught:
        client.get('/api/v1/endpoint')
    assert 'the host name cdn.emnify.nett could not be resolved (Temporary failure in name resolution) after 3 attempts' in str(caught.value)
    assert len(clock.sleeps) == 2


# -- fuzzing: any answer is either usable or an EmnifyApiError ----------------------------------------------

@FUZZ
@given(st.one_of(st.none(), st.text(max_size=60), st.sampled_from(['http://x/api/v1/endpoint/1/sms/99', '/sms/ 12', '/sms/00', '//', '?', '%'])))
def test_sms_id_from_location_any_header(location):
    sms_id = sms_id_from_location(location)
    assert sms_id is None or (isinstance(sms_id, int) and sms_id >= 0)


# -- the client over a fake transport: any body is either usable or an EmnifyApiError ------------------------

BODIES = st.one_of(ANY_JSON.map(lambda data: json.dumps(data).encode('utf-8')),
                   st.lists(SMS_ITEMS | ANY_JSON, max_size=4).map(lambda data: json.dumps(data).encode('utf-8')),
                   st.binary(max_size=40), st.just(b''), st.just(b'   '), st.just(b'<html>oops</html>'))
PAGING = st.dictionaries(st.sampled_from(['X-Total-Pages', 'X-Count-Per-Page', 'Location']),
                         st.sampled_from(['1', '0', '-1', 'x', '', '99999999999999999999']), max_size=3)


def client_for(status, body, headers):
    """A client whose every call but the authentication is answered with ``status``, ``headers`` and ``body``."""
    api = FakeApi(route=lambda sent: (status, headers, body))
    return make_client(api, retries=0)[0]


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
            assert APP_TOKEN not in str(error) and 'eyJ' not in str(error)


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
