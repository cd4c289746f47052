# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the event source emnify.iot.sms_callbacks, over HTTP with aiohttp's test client."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import asyncio
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

import aiohttp
import jwt
import pytest
import yaml

from aiohttp.test_utils import TestClient, TestServer

from ansible_collections.emnify.iot.extensions.eda.plugins.event_source import sms_callbacks as source
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock


# 64 characters each: PyJWT advises keys at least as long as the HS512 digest.
SECRET = 'unit-test-api-secret-' + '0123456789abcdef' * 2 + 'abcdefghijk'
OTHER_SECRET = 'a-different-api-secret-' + 'fedcba9876543210' * 2 + 'zyxwvutsr'
ENDPOINT = {'id': 11380001, 'name': 'device-0001'}


def token(secret=SECRET, algorithm='HS256', **claims):
    return jwt.encode(claims, secret, algorithm=algorithm)


def bearer(value=None):
    return {'Authorization': 'Bearer ' + (value if value is not None else token())}


def device_sms(sms_id=101, payload='OK APN', **extra):
    body = {
        'id': sms_id,
        'endpoint': dict(ENDPOINT),
        'organisation': {'id': 4, 'name': 'Org'},
        'source_address': '423660000000001',
        'dest_address': '1234',
        'payload': payload,
        'dcs': 0,
        'pid': 0,
        'submit_date': '2026-01-02T03:04:05.000+0000',
    }
    body.update(extra)
    return body


def part(sms_id, partno, total, text, identifier=77):
    return device_sms(sms_id, text, multi_part_info={'partno': partno, 'total': total, 'identifier': identifier})


def report(sms_id=555, status=None, **extra):
    body = {
        'id': sms_id,
        'endpoint': dict(ENDPOINT),
        'status': status if status is not None else {'id': 4, 'status': 'DELIVERED'},
        'submit_date': '2026-01-02T03:04:05.000+0000',
        'final_date': '2026-01-02T03:04:07.000+0000',
    }
    body.update(extra)
    return body


class Harness:
    """A receiver behind aiohttp's test server, and the events it queued."""

    def __init__(self, client, receiver, queue):
        self.client = client
        self.receiver = receiver
        self.queue = queue

    def events(self):
        found = []
        while not self.queue.empty():
            found.append(self.queue.get_nowait())
        return found

    async def post(self, body, headers=None, path='/callback'):
        return await self._send('POST', path, body, headers)

    async def patch(self, body, headers=None, path='/callback'):
        return await self._send('PATCH', path, body, headers)

    async def _send(self, method, path, body, headers):
        if headers is None:
            headers = bearer()
        if isinstance(body, (bytes, str)):
            response = await self.client.request(method, path, data=body, headers=headers)
        else:
            response = await self.client.request(method, path, json=body, headers=headers)
        text = await response.text()
        return response.status, text


def run(scenario, clock=None, **options):
    """Run ``scenario(harness)`` against a receiver with ``options`` (secret and port defaulted)."""
    options.setdefault('secret', SECRET)
    options.setdefault('port', 5000)

    async def main():
        queue = asyncio.Queue()
        settings = source.parse_args(options, environ={})
        receiver = source.CallbackReceiver(settings, queue, source.load_codec(), **({'clock': clock} if clock else {}))
        async with TestClient(TestServer(source.build_app(receiver))) as client:
            try:
                return await scenario(Harness(client, receiver, queue))
            finally:
                receiver.close()

    return asyncio.run(main())


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------
# Loading as ansible-rulebook does
# ---------------------------------------------------------------------------

RUNPY_CHECK = """
import asyncio, json, os, runpy, sys
module = runpy.run_path(sys.argv[1])
codec = module['load_codec']()
print(json.dumps({
    'main_is_async': asyncio.iscoroutinefunction(module['main']),
    'codec': os.path.realpath(codec.__file__),
    'joined': codec.reassemble([{'seq': 2, 'payload': 'b'}, {'seq': 1, 'payload': 'a'}]),
    'collection_loader': any(name.startswith('ansible_collections') for name in sys.modules),
}))
"""


def test_runpy_loads_an_async_main_and_the_collections_codec(tmp_path):
    """ansible-rulebook runs the file with runpy.run_path, without ansible_collections on sys.path."""
    env = dict((key, value) for key, value in os.environ.items() if key != 'PYTHONPATH')
    output = subprocess.run([sys.executable, '-I', '-c', RUNPY_CHECK, source.__file__], cwd=str(tmp_path), env=env,
                            check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    found = json.loads(output)
    codec = os.path.join(os.path.dirname(source.__file__), '..', '..', '..', '..', 'plugins', 'module_utils', '_sms_codec.py')
    assert found == {'main_is_async': True, 'codec': os.path.realpath(codec), 'joined': 'ab', 'collection_loader': False}


# ---------------------------------------------------------------------------
# Options: each refusal names the option
# ---------------------------------------------------------------------------

def test_documentation_matches_the_options_and_defaults():
    documented = yaml.safe_load(source.DOCUMENTATION)['options']
    assert set(documented) == set(source.OPTIONS)
    for name, default in source.DEFAULTS.items():
        assert documented[name]['default'] == default, name
    assert documented['algorithms']['choices'] == list(source.HMAC_ALGORITHMS)
    assert [name for name, spec in documented.items() if spec.get('required')] == ['port']
    example = yaml.safe_load(source.EXAMPLES)[0]['sources'][0]['emnify.iot.sms_callbacks']
    assert source.parse_args(dict(example, certfile=None, keyfile=None), environ={'EMNIFY_CALLBACK_SECRET': SECRET}).port == 5000


@pytest.mark.parametrize('options, option', [
    ({'secret': SECRET}, 'port'),
    ({'secret': SECRET, 'port': 0}, 'port'),
    ({'secret': SECRET, 'port': 65536}, 'port'),
    ({'secret': SECRET, 'port': 'http'}, 'port'),
    ({'secret': SECRET, 'port': True}, 'port'),
    ({'port': 5000}, 'secret'),
    ({'port': 5000, 'secret': ''}, 'secret'),
    ({'port': 5000, 'secret': 42}, 'secret'),
    ({'port': 5000, 'secret': [SECRET, '']}, 'secret'),
    ({'port': 5000, 'secret': SECRET, 'algorithms': ['RS256']}, 'algorithms'),
    ({'port': 5000, 'secret': SECRET, 'algorithms': ['none']}, 'algorithms'),
    ({'port': 5000, 'secret': SECRET, 'algorithms': []}, 'algorithms'),
    ({'port': 5000, 'secret': SECRET, 'leeway': -1}, 'leeway'),
    ({'port': 5000, 'secret': SECRET, 'leeway': 'soon'}, 'leeway'),
    ({'port': 5000, 'secret': SECRET, 'part_timeout': 0}, 'part_timeout'),
    ({'port': 5000, 'secret': SECRET, 'dedup_seconds': -5}, 'dedup_seconds'),
    ({'port': 5000, 'secret': SECRET, 'host': ''}, 'host'),
    ({'port': 5000, 'secret': SECRET, 'certfile': '/nonexistent/cert.pem'}, 'certfile'),
    ({'port': 5000, 'secret': SECRET, 'token': 'x'}, 'token'),
])
def test_bad_options_are_refused_naming_the_option(options, option):
    with pytest.raises(source.OptionError) as excinfo:
        source.parse_args(options, environ={})
    message = str(excinfo.value)
    assert message.startswith(option + ':')
    assert SECRET not in message


def test_keyfile_needs_certfile(tmp_path):
    key = tmp_path / 'key.pem'
    key.write_text('not used')
    with pytest.raises(source.OptionError, match='^keyfile: needs certfile'):
        source.parse_args({'port': 5000, 'secret': SECRET, 'keyfile': str(key)}, environ={})


def test_unreadable_certificate_is_refused_naming_certfile(tmp_path):
    cert = tmp_path / 'cert.pem'
    cert.write_text('-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n')
    settings = source.parse_args({'port': 5000, 'secret': SECRET, 'certfile': str(cert)}, environ={})
    with pytest.raises(source.OptionError, match='^certfile: cannot load'):
        source.tls_context(settings)


def test_secret_falls_back_to_the_environment_and_defaults_apply():
    settings = source.parse_args({'port': '5000'}, environ={'EMNIFY_CALLBACK_SECRET': SECRET})
    assert settings.secrets == [SECRET.encode('utf-8')]
    assert settings.port == 5000
    assert settings.host == '0.0.0.0'
    assert settings.algorithms == ['HS256', 'HS384', 'HS512']
    assert SECRET not in repr(settings)


def test_option_wins_over_the_environment_and_lists_and_rulebook_arguments_are_taken():
    settings = source.parse_args({'port': 5000, 'secret': [SECRET, OTHER_SECRET], 'algorithms': 'HS512, HS256',
                                  'eda_feedback_queue': object()}, environ={'EMNIFY_CALLBACK_SECRET': 'unused'})
    assert settings.secrets == [SECRET.encode('utf-8'), OTHER_SECRET.encode('utf-8')]
    assert settings.algorithms == ['HS512', 'HS256']


def test_missing_libraries_are_reported_by_name(monkeypatch):
    monkeypatch.setattr(source, 'jwt', None)
    with pytest.raises(source.OptionError, match='needs the Python package.*PyJWT'):
        asyncio.run(source.main(asyncio.Queue(), {'port': 5000, 'secret': SECRET}))


# ---------------------------------------------------------------------------
# Authentication: every refusal is a 401 without an event
# ---------------------------------------------------------------------------

def unsigned_token():
    return jwt.encode({'sub': 'x'}, None, algorithm='none')


REFUSED_TOKENS = [
    pytest.param(None, 'missing Authorization', id='no-header'),
    pytest.param('Basic dXNlcjpwYXNz', 'not a bearer token', id='basic'),
    pytest.param('Bearer ', 'not a bearer token', id='empty-bearer'),
    pytest.param('Bearer not.a.jwt', 'not a JWT', id='garbage'),
    pytest.param('Bearer ' + token(OTHER_SECRET), 'signature does not match', id='forged'),
    pytest.param('Bearer ' + token(exp=int(time.time()) - 3600), 'expired', id='expired'),
    pytest.param('Bearer ' + unsigned_token(), 'algorithm none is not in algorithms', id='alg-none'),
    pytest.param('Bearer ' + token(exp='tomorrow'), 'malformed', id='bad-exp'),
]


@pytest.mark.parametrize('header, reason', REFUSED_TOKENS)
def test_bad_tokens_get_401_and_no_event(header, reason, caplog):
    caplog.set_level(logging.INFO, logger='emnify.iot.sms_callbacks')

    async def scenario(harness):
        headers = {} if header is None else {'Authorization': header}
        status, text = await harness.post(device_sms(), headers=headers)
        status2, _text = await harness.patch(report(), headers=headers)
        return status, status2, text, harness.events()

    status, status2, text, events = run(scenario)
    assert (status, status2) == (401, 401)
    assert reason in text
    assert events == []
    credential = (header or '').partition(' ')[2]
    if credential:
        assert credential not in text
        assert credential not in caplog.text
    assert SECRET not in caplog.text and SECRET not in text


def test_tampered_payload_is_refused():
    good = token()
    header, payload, signature = good.split('.')
    other = token(sub='someone-else').split('.')[1]
    assert other != payload

    async def scenario(harness):
        status, _text = await harness.post(device_sms(), headers=bearer('.'.join((header, other, signature))))
        return status, harness.events()

    assert run(scenario) == (401, [])


def test_algorithm_outside_the_allow_list_is_refused():
    async def scenario(harness):
        status, text = await harness.post(device_sms(), headers=bearer(token(algorithm='HS512')))
        return status, text, harness.events()

    status, text, events = run(scenario, algorithms=['HS256'])
    assert status == 401 and 'HS512 is not in algorithms' in text and events == []


@pytest.mark.parametrize('algorithm', ['HS256', 'HS384', 'HS512'])
def test_each_hmac_algorithm_and_no_claims_at_all_are_accepted(algorithm):
    async def scenario(harness):
        status, _text = await harness.post(device_sms(), headers=bearer(token(algorithm=algorithm)))
        return status, harness.events()

    status, events = run(scenario)
    assert status == 200 and len(events) == 1


def test_unexpired_token_and_expiry_within_leeway_are_accepted_and_other_claims_are_not_checked():
    async def scenario(harness):
        now = int(time.time())
        first, _text = await harness.post(device_sms(1), headers=bearer(token(exp=now + 60)))
        second, _text = await harness.post(device_sms(2), headers=bearer(token(exp=now - 5)))
        third, _text = await harness.post(device_sms(3), headers=bearer(token(iat=now + 3600, nbf=now + 3600, aud='any', iss='emnify')))
        return (first, second, third), len(harness.events())

    assert run(scenario, leeway=30) == ((200, 200, 200), 3)


def test_every_listed_secret_is_tried_for_rotation():
    async def scenario(harness):
        old, _text = await harness.post(device_sms(1), headers=bearer(token(OTHER_SECRET)))
        new, _text = await harness.post(device_sms(2), headers=bearer(token(SECRET)))
        return old, new, len(harness.events())

    assert run(scenario, secret=[SECRET, OTHER_SECRET]) == (200, 200, 2)


def test_authentication_comes_before_the_body():
    async def scenario(harness):
        status, _text = await harness.post(b'not json', headers=bearer(token(OTHER_SECRET)))
        return status

    assert run(scenario) == 401


# ---------------------------------------------------------------------------
# Bodies: every refusal is a 400 without an event
# ---------------------------------------------------------------------------

def without(body, key):
    body = dict(body)
    del body[key]
    return body


BAD_DEVICE_SMS = [
    pytest.param(b'{"id": 1,', 'not JSON', id='not-json'),
    pytest.param(b'\xff\xfe', 'not JSON', id='not-utf8'),
    pytest.param([device_sms()], 'JSON object', id='array'),
    pytest.param(without(device_sms(), 'id'), 'id must be an integer', id='no-id'),
    pytest.param(device_sms(sms_id='abc'), 'id must be an integer', id='id-text'),
    pytest.param(device_sms(sms_id=True), 'id must be an integer', id='id-bool'),
    pytest.param(without(device_sms(), 'endpoint'), 'endpoint {id, name} is required', id='no-endpoint'),
    pytest.param(device_sms(endpoint='device-0001'), 'endpoint must be an object', id='endpoint-text'),
    pytest.param(device_sms(endpoint={'id': 'x'}), 'endpoint.id must be an integer', id='endpoint-id-text'),
    pytest.param(without(device_sms(), 'payload'), 'payload', id='no-payload'),
    pytest.param(device_sms(payload=12), 'payload', id='payload-number'),
    pytest.param(device_sms(multi_part_info='1/2'), 'multi_part_info must be an object', id='mpi-text'),
    pytest.param(device_sms(multi_part_info={'partno': 3, 'total': 2, 'identifier': 1}), 'partno must be from 1 to 2', id='partno-over'),
    pytest.param(device_sms(multi_part_info={'partno': 0, 'total': 2, 'identifier': 1}), 'partno must be from 1 to 2', id='partno-zero'),
    pytest.param(device_sms(multi_part_info={'partno': 1, 'total': 0, 'identifier': 1}), 'total must be from 1 to 255', id='total-zero'),
    pytest.param(device_sms(multi_part_info={'partno': 1, 'total': 256, 'identifier': 1}), 'total must be from 1 to 255', id='total-256'),
    pytest.param(device_sms(multi_part_info={'partno': 1, 'total': 2, 'identifier': [1]}), 'identifier', id='identifier-list'),
    pytest.param(device_sms(udh='05000'), 'odd number of hex digits', id='udh-odd'),
    pytest.param(device_sms(udh='zz0003AA0201'), 'not hexadecimal', id='udh-not-hex'),
    pytest.param(device_sms(udh='050003AA0203'), 'sequence number 3 is outside 1..2', id='udh-seq'),
    pytest.param(device_sms(udh=5), 'udh must be a hexadecimal string', id='udh-number'),
]


@pytest.mark.parametrize('body, reason', BAD_DEVICE_SMS)
def test_bad_device_sms_bodies_get_400_and_no_event(body, reason):
    async def scenario(harness):
        status, text = await harness.post(body)
        return status, text, harness.events()

    status, text, events = run(scenario)
    assert status == 400
    assert reason in text
    assert events == []


BAD_REPORTS = [
    pytest.param(without(report(), 'status'), 'needs status', id='no-status'),
    pytest.param(report(status={'id': 99}), 'needs status', id='unknown-status-id'),
    pytest.param(report(status={'id': 'four'}), 'status.id must be an integer', id='status-id-text'),
    pytest.param(report(status=4), 'status must be an object', id='status-number'),
    pytest.param(without(report(), 'id'), 'id must be an integer', id='no-id'),
    pytest.param(report(endpoint=[1]), 'endpoint must be an object', id='endpoint-list'),
]


@pytest.mark.parametrize('body, reason', BAD_REPORTS)
def test_bad_delivery_reports_get_400_and_no_event(body, reason):
    async def scenario(harness):
        status, text = await harness.patch(body)
        return status, text, harness.events()

    status, text, events = run(scenario)
    assert status == 400
    assert reason in text
    assert events == []


def test_oversized_body_gets_413_and_no_event():
    async def scenario(harness):
        status, _text = await harness.post(device_sms(payload='x' * (source.MAX_BODY_BYTES + 10)))
        return status, harness.events()

    assert run(scenario) == (413, [])


def test_other_methods_get_405_and_health_answers_without_a_token():
    async def scenario(harness):
        get = await harness.client.get('/callback')
        put = await harness.client.put('/callback', json=device_sms(), headers=bearer())
        await harness.post(device_sms())
        await harness.post(device_sms(), headers={})
        health = await harness.client.get('/health')
        return get.status, put.status, health.status, await health.json(), len(harness.events())

    get, put, health, body, events = run(scenario)
    assert (get, put, health, events) == (405, 405, 200, 1)
    assert body == {'status': 'ok', 'pending_messages': 0, 'events': 1, 'duplicates': 0, 'refused': 1}


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

def test_device_sms_event_carries_the_contract_fields_and_no_credentials():
    async def scenario(harness):
        status, text = await harness.post(device_sms(), path='/emnify/callback')
        return status, text, harness.events()

    status, text, events = run(scenario)
    assert status == 200 and '"event"' in text
    assert len(events) == 1
    event = events[0]
    emnify = event['emnify']
    assert emnify['kind'] == 'device_sms'
    assert emnify['endpoint_id'] == 11380001
    assert emnify['endpoint_name'] == 'device-0001'
    assert emnify['sms_id'] == 101
    assert emnify['sms_ids'] == [101]
    assert emnify['payload'] == 'OK APN'
    assert emnify['source_address'] == '423660000000001'
    assert emnify['organisation_id'] == 4
    assert emnify['parts_total'] == 1 and emnify['parts_received'] == [1]
    assert emnify['partial'] is False and emnify['missing_parts'] == []
    assert emnify['callbacks'] == [device_sms()]
    assert event['meta']['endpoint'] == '/emnify/callback'
    assert event['meta']['method'] == 'POST'
    assert 'authorization' not in [key.lower() for key in event['meta']['headers']]
    assert 'Bearer' not in repr(event)


@pytest.mark.parametrize('status, name, status_id', [
    ({'id': 4, 'status': 'DELIVERED'}, 'DELIVERED', 4),
    ({'id': '5', 'description': 'Failed'}, 'FAILED', 5),
    ({'id': 6}, 'EXPIRED', 6),
    ('DELIVERED', 'DELIVERED', 4),
])
def test_delivery_report_event_gives_the_status_name(status, name, status_id):
    async def scenario(harness):
        code, _text = await harness.patch(report(sms_id='555', status=status, endpoint=None, endpoint_id='11380001'))
        return code, harness.events()

    code, events = run(scenario)
    assert code == 200 and len(events) == 1
    emnify = events[0]['emnify']
    assert (emnify['kind'], emnify['sms_id'], emnify['endpoint_id']) == ('delivery_report', 555, 11380001)
    assert (emnify['status'], emnify['status_id']) == (name, status_id)
    assert emnify['final_date'] == '2026-01-02T03:04:07.000+0000'
    assert 'payload' not in emnify


def test_delivery_report_without_endpoint_is_accepted():
    async def scenario(harness):
        code, _text = await harness.patch(without(report(), 'endpoint'))
        return code, harness.events()

    code, events = run(scenario)
    assert code == 200 and events[0]['emnify']['endpoint_id'] is None


# ---------------------------------------------------------------------------
# Deduplication
# ---------------------------------------------------------------------------

def test_redelivered_callbacks_make_one_event_each_and_a_new_status_is_a_new_event():
    async def scenario(harness):
        answers = []
        for _attempt in range(3):
            answers.append((await harness.post(device_sms(7)))[1])
            answers.append((await harness.patch(report(8)))[1])
        answers.append((await harness.patch(report(8, status={'id': 5, 'status': 'FAILED'})))[1])
        return answers, harness.events()

    answers, events = run(scenario)
    assert [('"duplicate"' in text) for text in answers] == [False, False, True, True, True, True, False]
    assert [(event['emnify']['kind'], event['emnify'].get('status')) for event in events] == [
        ('device_sms', None), ('delivery_report', 'DELIVERED'), ('delivery_report', 'FAILED')]


def test_a_callback_is_remembered_for_dedup_seconds():
    clock = FakeClock()

    async def scenario(harness):
        await harness.patch(report(9))
        clock.now += 59
        await harness.patch(report(9))
        clock.now += 2
        await harness.patch(report(9))
        return len(harness.events())

    assert run(scenario, clock=clock, dedup_seconds=60) == 2


# ---------------------------------------------------------------------------
# Concatenated device SMS
# ---------------------------------------------------------------------------

def test_three_parts_out_of_order_with_a_redelivery_make_one_event_with_the_whole_text():
    texts = ['a' * 153, 'b' * 153, 'c' * 10]

    async def scenario(harness):
        answers = []
        for sms_id, partno in ((203, 3), (201, 1), (201, 1), (202, 2), (203, 3)):
            status, text = await harness.post(part(sms_id, partno, 3, texts[partno - 1]))
            answers.append((status, text))
        return answers, harness.events(), len(harness.receiver.pending)

    answers, events, pending = run(scenario)
    assert [status for status, _text in answers] == [200] * 5
    assert ['"part"' in text for _status, text in answers] == [True, True, False, False, False]
    assert '"duplicate"' in answers[2][1] and '"event"' in answers[3][1] and '"duplicate"' in answers[4][1]
    assert len(events) == 1 and pending == 0
    emnify = events[0]['emnify']
    assert emnify['payload'] == ''.join(texts)
    assert (emnify['sms_id'], emnify['sms_ids']) == (201, [201, 202, 203])
    assert (emnify['parts_total'], emnify['parts_received'], emnify['partial']) == (3, [1, 2, 3], False)
    assert [body['id'] for body in emnify['callbacks']] == [201, 202, 203]


@pytest.mark.parametrize('udhs', [
    ['050003CC0201', '050003CC0202'],
    ['060804F42E0201', '060804F42E0202'],
])
def test_parts_with_a_concatenation_udh_are_joined(udhs):
    texts = ['\u0436' * 67, '\U0001F600 end']

    async def scenario(harness):
        await harness.post(device_sms(302, texts[1], udh=udhs[1], dcs=8))
        await harness.post(device_sms(301, texts[0], udh=udhs[0], dcs=8))
        return harness.events()

    events = run(scenario)
    assert len(events) == 1
    assert events[0]['emnify']['payload'] == ''.join(texts)


def test_messages_with_different_identifiers_or_endpoints_are_not_mixed():
    other_endpoint = dict(part(421, 2, 2, 'Y'), endpoint={'id': 11380002, 'name': 'device-0002'})

    async def scenario(harness):
        await harness.post(part(401, 1, 2, 'A', identifier=1))
        await harness.post(part(411, 1, 2, 'X', identifier=2))
        await harness.post(other_endpoint)
        await harness.post(part(412, 2, 2, 'Z', identifier=2))
        await harness.post(part(402, 2, 2, 'B', identifier=1))
        return [event['emnify']['payload'] for event in harness.events()], len(harness.receiver.pending)

    payloads, pending = run(scenario)
    assert payloads == ['XZ', 'AB']
    assert pending == 1  # device-0002's part 2 still waits for its part 1


def test_missing_parts_give_one_partial_event_after_part_timeout_and_a_late_part_its_own():
    async def scenario(harness):
        await harness.post(part(501, 1, 3, 'first '))
        await harness.post(part(503, 3, 3, 'third'))
        before = len(harness.events())
        await asyncio.sleep(0.6)
        partial = harness.events()
        await harness.post(part(502, 2, 3, 'second '))
        await asyncio.sleep(0.6)
        return before, partial, harness.events()

    before, partial, late = run(scenario, part_timeout=0.3)
    assert before == 0
    assert len(partial) == 1
    emnify = partial[0]['emnify']
    assert emnify['partial'] is True
    assert emnify['payload'] == 'first third'
    assert (emnify['parts_received'], emnify['missing_parts'], emnify['sms_ids']) == ([1, 3], [2], [501, 503])
    assert len(late) == 1
    assert (late[0]['emnify']['payload'], late[0]['emnify']['missing_parts']) == ('second ', [1, 3])


def test_a_single_part_total_is_an_ordinary_message():
    async def scenario(harness):
        await harness.post(part(601, 1, 1, 'whole'))
        return harness.events()

    events = run(scenario)
    assert len(events) == 1 and events[0]['emnify']['partial'] is False and events[0]['emnify']['payload'] == 'whole'


# ---------------------------------------------------------------------------
# main(): the server as ansible-rulebook runs it
# ---------------------------------------------------------------------------

def make_certificate(directory):
    openssl = shutil.which('openssl')
    assert openssl, 'the TLS test needs the openssl command'
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


async def serve_and_post(args, scheme, ssl_context=None):
    queue = asyncio.Queue()
    task = asyncio.ensure_future(source.main(queue, args))
    url = '{0}://127.0.0.1:{1}'.format(scheme, args['port'])
    try:
        async with aiohttp.ClientSession() as session:
            for _attempt in range(100):
                try:
                    async with session.get(url + '/health', ssl=ssl_context) as response:
                        health = response.status
                        break
                except aiohttp.ClientConnectorError:
                    assert not task.done(), task.exception()
                    await asyncio.sleep(0.05)
            async with session.post(url + '/cb', json=device_sms(), headers=bearer(), ssl=ssl_context) as response:
                status = response.status
        event = await asyncio.wait_for(queue.get(), 5)
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    return health, status, event


def test_main_serves_http_until_cancelled_and_frees_the_port():
    port = free_port()
    health, status, event = asyncio.run(serve_and_post({'host': '127.0.0.1', 'port': port, 'secret': SECRET}, 'http'))
    assert (health, status, event['emnify']['payload']) == (200, 200, 'OK APN')
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', port))


def test_main_serves_https_with_certfile_and_keyfile(tmp_path):
    cert, key = make_certificate(str(tmp_path))
    client_context = ssl.create_default_context(cafile=cert)
    args = {'host': '127.0.0.1', 'port': free_port(), 'secret': SECRET, 'certfile': cert, 'keyfile': key}
    health, status, event = asyncio.run(serve_and_post(args, 'https', client_context))
    assert (health, status, event['emnify']['kind']) == (200, 200, 'device_sms')


def test_main_names_the_port_it_cannot_listen_on():
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(source.OptionError, match='^port: cannot listen on 127.0.0.1:{0}'.format(port)):
            asyncio.run(source.main(asyncio.Queue(), {'host': '127.0.0.1', 'port': port, 'secret': SECRET}))
