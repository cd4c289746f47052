# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emnify REST API client shared by every module of the collection.

Pure Python on top of ``requests``; no AnsibleModule in here. One ``requests.Session``
per client (connection pooling), a timeout on every call, one authentication per run
(the JWT is reused through :mod:`._token_cache`), pacing under the documented rate limits
(:mod:`._pacer`), retries with exponential backoff and full jitter for 429/500/502/503/504
and connection failures on reads, and the rule that matters most for SMS: a write whose
outcome is unknown is never retried blindly, it raises :class:`EmnifyOutcomeUnknown` so
the caller can look at the SMS history before deciding.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import random
import socket
import threading
import time
import traceback

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import urlsplit

try:
    import requests
    import requests.adapters
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.emnify.iot.plugins.module_utils._errors import (
    EmnifyApiError,
    EmnifyAuthError,
    EmnifyOutcomeUnknown,
    EmnifyTransportError,
    parse_error_body,
    parse_retry_after,
    redact,
)
from ansible_collections.emnify.iot.plugins.module_utils._pace_ledger import ledger_name
from ansible_collections.emnify.iot.plugins.module_utils._pacer import Pacer
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import StateDir
from ansible_collections.emnify.iot.plugins.module_utils._token_cache import (
    RENEW_MARGIN,
    TokenCache,
    jwt_expiry,
)

# The version of the collection, as galaxy.yml gives it (a module runs where galaxy.yml is not; a unit test keeps the
# two equal). The User-Agent carries it.
COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'emnify.iot-ansible-collection/%s' % COLLECTION_VERSION
DEFAULT_API_URL = 'https://cdn.emnify.net'

AUTH_PATH = '/api/v1/authenticate'
# Answers after which a read (or an authentication, which creates nothing) is sent again. A write answered
# with one of them but 429 has an unknown outcome instead.
RETRY_STATUSES = (429, 500, 502, 503, 504)
WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
MAX_BACKOFF = 60.0
MAX_RETRY_AFTER = 300.0

# Exception class names (urllib3) that prove a request never left the client.
_NOT_SENT = ('NewConnectionError', 'NameResolutionError', 'ConnectTimeoutError', 'ConnectTimeout', 'ProxyError')


class ApiResponse:
    """What a call returned: HTTP status, headers (case-insensitive mapping) and the decoded body."""

    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers
        self.data = data


def _chain(exc):
    """``exc`` and every exception it wraps (requests -> urllib3 -> socket)."""
    seen = set()
    stack = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend([getattr(item, 'reason', None), getattr(item, '__cause__', None), getattr(item, '__context__', None)])
        stack.extend(arg for arg in getattr(item, 'args', ()) if isinstance(arg, BaseException))


def _never_sent(exc):
    """True when a requests exception proves the request did not reach the server."""
    return any(type(item).__name__ in _NOT_SENT for item in _chain(exc))


def _dns_failure(exc):
    """The failed host name lookup (a ``socket.gaierror``) inside a requests exception, or None."""
    for item in _chain(exc):
        if isinstance(item, socket.gaierror):
            return item
    return None


def _unresolvable(exc):
    """True when the host name does not exist; a temporary DNS failure (EAI_AGAIN) is worth a retry, this is not."""
    failure = _dns_failure(exc)
    return failure is not None and failure.errno != getattr(socket, 'EAI_AGAIN', None)


def _describe(exc, url=None):
    failure = _dns_failure(exc)
    if failure is not None:
        host = urlsplit(url or '').hostname or 'of api_url'
        reason = failure.strerror or str(failure)
        if _unresolvable(exc):
            return 'the host name %s does not resolve (%s); check api_url' % (host, reason)
        return 'the host name %s could not be resolved (%s)' % (host, reason)
    if HAS_REQUESTS and isinstance(exc, requests.exceptions.SSLError):
        return 'TLS error (certificate not trusted? set validate_certs or ca_path)'
    if HAS_REQUESTS and isinstance(exc, requests.exceptions.ReadTimeout):
        return 'no response within the timeout'
    if HAS_REQUESTS and isinstance(exc, requests.exceptions.ConnectTimeout):
        return 'connection timed out'
    if _never_sent(exc):
        return 'could not connect'
    return 'connection lost (%s)' % type(exc).__name__


def _objects(items, method, path):
    """``items`` if every one is a JSON object (a dict); else an EmnifyApiError that says so."""
    for item in items:
        if not isinstance(item, dict):
            kind = {'NoneType': 'null', 'list': 'an array', 'str': 'a string', 'bool': 'a boolean'}.get(type(item).__name__, 'a number')
            raise EmnifyApiError(200, method, path, service_message='the answer held %s, not a JSON object' % kind)
    return items


def sms_id_from_location(location):
    """The SMS id from a ``Location`` header (its last path segment), or None."""
    if not location:
        return None
    segment = urlsplit(location).path.rstrip('/').rpartition('/')[2]
    return int(segment) if segment and all(char in '0123456789' for char in segment) else None


class EmnifyClient:
    """A connection to the emnify API for one module run.

    ``token_cache_dir`` enables the on-disk JWT cache (``None`` keeps the JWT in memory only).
    ``state_dir`` (a :class:`._state_dir.StateDir`, or a path for one) is the private directory shared with
    other module runs (the request ledger); ``None`` shares nothing.
    ``rate_limit_requests`` per ``rate_limit_window`` seconds is the overall pacing budget
    (0 disables pacing); ``simulator_scale`` matches a simulator with scaled rate-limit windows (tests only).
    ``sleep``, ``clock`` and ``session`` exist for tests.
    """

    def __init__(self, api_url, application_token, timeout=30, validate_certs=True, ca_path=None,
                 retries=5, retry_backoff=1.0, rate_limit_requests=2000, rate_limit_window=300,
                 token_cache_dir=None, pool_size=10, session=None, sleep=time.sleep, clock=time.time, state_dir=None,
                 simulator_scale=1.0):
        if not HAS_REQUESTS:
            raise RuntimeError('the Python library requests is required')
        self.api_url = api_url.rstrip('/')
        self._application_token = application_token
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_backoff = float(retry_backoff)
        self._sleep = sleep
        self._clock = clock
        self._verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        self._cache = TokenCache(token_cache_dir, self.api_url, application_token) if token_cache_dir else None
        # The request budget is per public IP: share it with the other module runs through the private directory.
        if state_dir is not None and not isinstance(state_dir, StateDir):
            state_dir = StateDir(state_dir)
        ledger = state_dir.path(ledger_name(self.api_url)) if state_dir is not None else None
        self.pacer = Pacer(rate_limit_requests, rate_limit_window, clock=clock, sleep=sleep,
                           ledger_path=ledger, simulator_scale=simulator_scale)
        self._token = None
        self._token_exp = 0.0
        self._auth_lock = threading.Lock()
        # A refused application token or an unreachable service fails every later call of the run at once,
        # without spending more of the authentication budget.
        self._auth_failure = None
        self._stats_lock = threading.Lock()
        self.stats = {'requests': 0, 'authentications': 0, 'retries': 0, 'status_429': 0, 'by_method': {}}
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(10, int(pool_size)), max_retries=0)
            session.mount('https://', adapter)
            session.mount('http://', adapter)
        session.headers['User-Agent'] = '%s python-requests/%s' % (USER_AGENT, requests.__version__)
        session.headers['Accept'] = 'application/json'
        self.session = session

    # -- secrets ---------------------------------------------------------------------------

    @property
    def secrets(self):
        """Values that must never appear in any output (the caller masks them too)."""
        return tuple(value for value in (self._application_token, self._token) if value)

    def _count(self, method, status):
        with self._stats_lock:
            self.stats['requests'] += 1
            self.stats['by_method'][method] = self.stats['by_method'].get(method, 0) + 1
            if status == 429:
                self.stats['status_429'] += 1

    # -- authentication ----------------------------------------------------------------------

    def _token_valid(self):
        return self._token is not None and self._token_exp - RENEW_MARGIN > self._clock()

    def _ensure_token(self):
        with self._auth_lock:
            if self._token_valid():
                return self._token
            if self._auth_failure is not None:
                raise self._auth_failure
            try:
                return self._refresh_token()
            except (EmnifyAuthError, EmnifyTransportError) as exc:
                self._auth_failure = exc
                raise

    def _refresh_token(self):
        """A valid JWT from the private cache, or from a new authentication (called with the auth lock held)."""
        if self._cache is None:
            self._set_token(self._authenticate())
            return self._token
        cached = self._cache.load()
        if cached is None:
            self._cache.lock()
            try:
                cached = self._cache.load()
                if cached is None:
                    cached = self._authenticate()
                    self._cache.store(cached)
            finally:
                self._cache.unlock()
        self._set_token(cached)
        return self._token

    def _set_token(self, token):
        self._token = token
        self._token_exp = jwt_expiry(token, self._clock())

    def _drop_token(self, rejected):
        with self._auth_lock:
            if self._token == rejected:
                self._token = None
                self._token_exp = 0.0
                if self._cache is not None:
                    self._cache.discard()

    def _authenticate(self):
        """POST /api/v1/authenticate; safe to retry (it creates nothing)."""
        attempt = 0
        while True:
            self.pacer.acquire('POST', AUTH_PATH)
            try:
                response = self.session.post(self.api_url + AUTH_PATH, json={'application_token': self._application_token},
                                             timeout=self.timeout, verify=self._verify)
            except requests.exceptions.SSLError as exc:
                raise EmnifyTransportError('cannot authenticate at %s: %s' % (self.api_url, _describe(exc)))
            except requests.exceptions.RequestException as exc:
                if _unresolvable(exc):
                    raise EmnifyTransportError('cannot authenticate at %s: %s' % (self.api_url, _describe(exc, self.api_url)))
                if attempt < self.retries:
                    attempt += 1
                    self._backoff(attempt, None)
                    continue
                raise EmnifyTransportError('cannot authenticate at %s: %s after %d attempts'
                                           % (self.api_url, _describe(exc, self.api_url), attempt + 1))
            self._count('POST', response.status_code)
            with self._stats_lock:
                self.stats['authentications'] += 1
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                self._backoff(attempt, response.headers.get('Retry-After'))
                continue
            if response.status_code in (401, 403):
                error = parse_error_body(response.status_code, 'POST', AUTH_PATH, response.content, response.headers, self.secrets)
                raise EmnifyAuthError(response.status_code, 'POST', AUTH_PATH, error.error_code, error.error_token,
                                      error.service_message, error.errors)
            if response.status_code >= 400:
                raise parse_error_body(response.status_code, 'POST', AUTH_PATH, response.content, response.headers, self.secrets)
            try:
                token = response.json().get('auth_token')
            except (ValueError, AttributeError):
                token = None
            if not isinstance(token, str) or not token:
                raise EmnifyApiError(response.status_code, 'POST', AUTH_PATH,
                                     service_message='the authentication response carried no auth_token')
            return token

    # -- requests ------------------------------------------------------------------------------

    def _backoff(self, attempt, retry_after):
        """Sleep before retry ``attempt`` (1-based): Retry-After when given, else full jitter."""
        wait = parse_retry_after(retry_after)
        if wait is None:
            cap = min(MAX_BACKOFF, self.retry_backoff * (2 ** (attempt - 1)))
            wait = random.uniform(cap / 2.0, cap)
        wait = min(wait, MAX_RETRY_AFTER)
        with self._stats_lock:
            self.stats['retries'] += 1
        if wait > 0:
            self._sleep(wait)

    def request(self, method, path, params=None, body=None):
        """Send one API call and return an :class:`ApiResponse`.

        Reads are retried on 429/500/502/503/504 and connection failures. Writes are retried only
        when the service provably did not process them (429, 401 before re-authentication,
        a connection that was never opened); a timeout, a reset or a 5xx after sending
        raises :class:`EmnifyOutcomeUnknown`.
        """
        method = method.upper()
        is_write = method in WRITE_METHODS
        url = self.api_url + path
        attempt = 0
        reauthenticated = False
        while True:
            token = self._ensure_token()
            self.pacer.acquire(method, path)
            try:
                response = self.session.request(method, url, params=params, json=body, timeout=self.timeout,
                                                verify=self._verify, headers={'Authorization': 'Bearer ' + token},
                                                allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                raise EmnifyTransportError('%s %s failed: %s' % (method, path, _describe(exc)))
            except requests.exceptions.RequestException as exc:
                if is_write and not _never_sent(exc):
                    raise EmnifyOutcomeUnknown(method, path, _describe(exc), timed_out=isinstance(exc, requests.exceptions.Timeout))
                if _unresolvable(exc):
                    raise EmnifyTransportError('%s %s failed: %s' % (method, path, _describe(exc, url)))
                if attempt < self.retries:
                    attempt += 1
                    self._backoff(attempt, None)
                    continue
                raise EmnifyTransportError('%s %s failed: %s after %d attempts' % (method, path, _describe(exc, url), attempt + 1))
            status = response.status_code
            self._count(method, status)
            if status == 401 and not reauthenticated:
                reauthenticated = True
                self._drop_token(token)
                continue
            if status in RETRY_STATUSES:
                if is_write and status != 429:
                    raise EmnifyOutcomeUnknown(method, path, 'HTTP %d' % status, status=status)
                if attempt < self.retries:
                    attempt += 1
                    self._backoff(attempt, response.headers.get('Retry-After'))
                    continue
            if is_write and status >= 500:
                raise EmnifyOutcomeUnknown(method, path, 'HTTP %d' % status, status=status)
            if status >= 400:
                raise parse_error_body(status, method, path, response.content, response.headers, self.secrets)
            return ApiResponse(status, response.headers, self._decode(response, method, path))

    def _decode(self, response, method, path):
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            text = redact(response.text[:200], self.secrets)
            raise EmnifyApiError(response.status_code, method, path,
                                 service_message='the response was not JSON: %r' % text)

    def get(self, path, params=None):
        return self.request('GET', path, params=params).data

    def paginate(self, path, params=None, per_page=1000):
        """Yield every item of a paged list (``page``/``per_page``, ``X-Total-Pages``), one request per page.

        A short page is the last one. emnify answers a page past the end with the last page again, so a
        page that repeats the previous one also ends the walk, whatever ``X-Total-Pages`` claims.
        """
        page = 1
        previous = None
        while True:
            query = dict(params or {})
            query.update(page=page, per_page=per_page)
            response = self.request('GET', path, params=query)
            items = _objects(response.data if isinstance(response.data, list) else [], 'GET', path)
            signature = [item.get('id') for item in items]
            if page > 1 and signature == previous:
                return
            previous = signature
            yield from items
            total = response.headers.get('X-Total-Pages')
            try:
                total = int(total)
            except (TypeError, ValueError):
                total = None
            if not items or len(items) < per_page or (total is not None and page >= total):
                return
            page += 1

    # -- emnify resources --------------------------------------------------------------------------

    def get_endpoint(self, endpoint_id):
        path = '/api/v1/endpoint/%d' % int(endpoint_id)
        return _objects([self.get(path)], 'GET', path)[0]

    def iter_endpoints(self, query=None, sort=None, per_page=1000):
        params = {}
        if query:
            params['q'] = query
        if sort:
            params['sort'] = sort
        return self.paginate('/api/v1/endpoint', params, per_page)

    def iter_sims(self, query=None, per_page=1000):
        return self.paginate('/api/v1/sim', {'q': query} if query else None, per_page)

    def list_sms(self, endpoint_id):
        path = '/api/v1/endpoint/%d/sms' % int(endpoint_id)
        data = self.get(path)
        return _objects(data if isinstance(data, list) else [], 'GET', path)

    def get_sms(self, endpoint_id, sms_id):
        path = '/api/v1/endpoint/%d/sms/%d' % (int(endpoint_id), int(sms_id))
        return _objects([self.get(path)], 'GET', path)[0]

    def send_sms(self, endpoint_id, body):
        """POST one SMS; return its id from the ``Location`` header (None if the header was missing)."""
        response = self.request('POST', '/api/v1/endpoint/%d/sms' % int(endpoint_id), body=body)
        return sms_id_from_location(response.headers.get('Location'))

    def cancel_sms(self, endpoint_id, sms_id):
        self.request('DELETE', '/api/v1/endpoint/%d/sms/%d' % (int(endpoint_id), int(sms_id)))
