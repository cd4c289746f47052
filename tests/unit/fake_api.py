# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake emnify API of the unit tests, at the transport boundary.

A real ``requests.Session`` gets a scripted ``BaseAdapter`` mounted for ``https://``; it returns real
``requests.Response`` objects or raises the exceptions ``requests`` itself raises, so the client under test
runs unchanged above it. :class:`FakeApi` answers the authentication itself (a new JWT each time) and every
other request from a script, a routing function or a replay; it records what reached it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import time

try:
    from urllib.parse import parse_qs, urlsplit
except ImportError:  # pragma: no cover
    from urlparse import parse_qs, urlsplit

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict

from ansible_collections.emnify.iot.plugins.module_utils._client import EmnifyClient
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

API = 'https://cdn.emnify.net'
APP_TOKEN = 'app-token-7b2d9c4e1f0a83562b7c9d0e'
AUTH = '/api/v1/authenticate'
JSON_HEADERS = {'Content-Type': 'application/json'}


def make_jwt(lifetime=604800, now=None, subject='user'):
    """An unsigned-looking JWT (the client only reads its ``exp``) valid for ``lifetime`` seconds from ``now``."""
    now = time.time() if now is None else now

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode('utf-8')).decode('ascii').rstrip('=')
    claims = {'sub': subject, 'iat': int(now), 'exp': int(now + lifetime)}
    return '%s.%s.%s' % (part({'alg': 'HS256', 'typ': 'JWT'}), part(claims), 'c2lnbmF0dXJl')


def ok(body=None, headers=None):
    """A 200 answer with a JSON body (an empty list by default)."""
    return 200, headers or JSON_HEADERS, body if body is not None else []


class Sent:
    """One request as it reached the adapter."""

    def __init__(self, request, timeout, verify):
        parts = urlsplit(request.url)
        self.method = request.method
        self.path = parts.path
        self.query = dict((key, values[0]) for key, values in parse_qs(parts.query).items())
        self.headers = request.headers
        self.body = json.loads(request.body) if request.body else None
        self.timeout = timeout
        self.verify = verify

    @property
    def bearer(self):
        return self.headers.get('Authorization', '')[len('Bearer '):]


class ScriptedAdapter(requests.adapters.BaseAdapter):
    """Answers each request through ``handler(sent)``: a (status, headers, body) triple or an exception to raise."""

    def __init__(self, handler):
        super(ScriptedAdapter, self).__init__()
        self.handler = handler
        self.sent = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        sent = Sent(request, timeout, verify)
        self.sent.append(sent)
        outcome = self.handler(sent)
        if isinstance(outcome, BaseException):
            raise outcome
        status, headers, body = outcome
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        response._content = body.encode('utf-8') if isinstance(body, str) else (body or b'')
        response.encoding = 'utf-8'
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


class FakeApi:
    """A tiny emnify: answers authentication itself and the rest from a script or a routing function.

    ``script`` is a list of answers taken in order; ``route(sent)`` answers any request instead; ``auth`` lists
    answers for the first authentications (None: the normal answer). ``app_token`` is the application token the
    authentication must carry.
    """

    def __init__(self, script=None, route=None, auth=None, lifetime=604800, app_token=None):
        self.script = list(script or [])
        self.route = route
        self.auth = list(auth or [])
        self.lifetime = lifetime
        self.app_token = app_token
        self.tokens = []
        self.adapter = None
        self.session = None

    def mount(self, session=None):
        """Mount the fake on ``session`` (a new Session by default) for https://; return the session."""
        self.session = session if session is not None else requests.Session()
        self.adapter = ScriptedAdapter(self)
        self.session.mount('https://', self.adapter)
        return self.session

    def __call__(self, sent):
        if sent.path == AUTH:
            assert sent.method == 'POST'
            if self.app_token is not None:
                assert sent.body == {'application_token': self.app_token}
            assert 'Authorization' not in sent.headers
            if self.auth:
                outcome = self.auth.pop(0)
                if outcome is not None:
                    return outcome
            token = make_jwt(self.lifetime, subject='n%d' % len(self.tokens))
            self.tokens.append(token)
            return 200, JSON_HEADERS, {'auth_token': token}
        if self.route is not None:
            return self.route(sent)
        assert self.script, 'unexpected request %s %s' % (sent.method, sent.path)
        return self.script.pop(0)

    def requests(self, method=None, path=None):
        return [sent for sent in self.adapter.sent if (method is None or sent.method == method) and (path is None or sent.path == path)]


def make_client(api, clock=None, session=None, **kwargs):
    """An EmnifyClient for :data:`API` with :data:`APP_TOKEN` over ``api`` (mounted on ``session`` or a new
    Session), sleeping on ``clock`` (a new fake clock by default), without pacing unless asked; returns
    ``(client, clock)``."""
    clock = clock or FakeClock()
    if api.app_token is None:
        api.app_token = APP_TOKEN
    api.mount(session)
    kwargs.setdefault('rate_limit_requests', 0)
    client = EmnifyClient(API, APP_TOKEN, session=api.session, sleep=clock.sleep, clock=clock, **kwargs)
    return client, clock
