# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side pacing that keeps requests under emnify's documented rate limits.

emnify answers HTTP 429 past 2,000 requests per IP in any rolling 5 minutes, past 100
authentications per 5 minutes, and past 10 endpoint-list calls per second (burst 5) or 50
endpoint-detail calls per second (burst 25). The pacer makes the client wait *before* a
request would cross one of those limits, so a bulk run uses the whole budget without
ever being refused. Rolling windows are modelled exactly (a log of send times); per-second
limits are token buckets with the documented burst. The per-path limits are emnify's and never
change with the user's overall budget (``rate_limit_requests`` per ``rate_limit_window``). With a ledger (see ``_pace_ledger``), the
rolling windows are also shared with the other module runs of the same user on the controller,
so consecutive tasks do not each assume a full budget.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import threading
import time

from ansible_collections.emnify.iot.plugins.module_utils._pace_ledger import LedgerUnavailable, PaceLedger

# Documented limits (see docs/modules.md, "Requests and rate limits").
DEFAULT_REQUESTS = 2000
DEFAULT_WINDOW = 300.0
AUTH_REQUESTS, AUTH_WINDOW = 100, 300.0
ENDPOINT_LIST_RATE, ENDPOINT_LIST_BURST = 10.0, 5
ENDPOINT_GET_RATE, ENDPOINT_GET_BURST = 50.0, 25

# For tests against the API simulator only: the factor the simulator's --rate-limit-scale was given, so that the
# per-path limits match its scaled windows. Never set it against emnify.
SIMULATOR_SCALE_VARIABLE = 'EMNIFY_SIMULATOR_RATE_LIMIT_SCALE'


def simulator_scale(environ):
    """The factor from :data:`SIMULATOR_SCALE_VARIABLE` in ``environ`` (1.0 when unset); ValueError naming it if not in (0, 1]."""
    text = (environ.get(SIMULATOR_SCALE_VARIABLE) or '').strip()
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value <= 1:
        raise ValueError('%s: must be a number above 0 and at most 1 (the --rate-limit-scale of the API simulator; '
                         'for tests against the simulator only), got %r' % (SIMULATOR_SCALE_VARIABLE, text))
    return value


class WindowLimit:
    """At most ``limit`` events in any rolling ``window`` seconds."""

    def __init__(self, limit, window):
        self.limit = max(1, int(limit))
        self.window = float(window)
        self._times = collections.deque()

    def delay(self, now):
        times = self._times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            return 0.0
        return times[len(times) - self.limit] + self.window - now

    def record(self, now):
        self._times.append(now)


class BucketLimit:
    """A token bucket: ``rate`` events per second, at most ``burst`` at once."""

    def __init__(self, rate, burst):
        self.rate = float(rate)
        self.burst = float(max(1, burst))
        self._tokens = self.burst
        self._stamp = None

    def _refill(self, now):
        if self._stamp is None:
            self._stamp = now
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def delay(self, now):
        self._refill(now)
        if self._tokens >= 1.0:
            return 0.0
        return (1.0 - self._tokens) / self.rate

    def record(self, now):
        self._refill(now)
        self._tokens -= 1.0


def shared_limits(requests, window, simulator_scale=1.0):
    """The rolling windows every module run of a user on the controller shares through the ledger."""
    return {'all': (requests, window), 'auth': (AUTH_REQUESTS, AUTH_WINDOW * float(simulator_scale))}


class Pacer:
    """Thread-safe pacing over named limits.

    ``requests`` per ``window`` seconds is the overall budget the user chose. emnify's per-path limits
    (authentication, endpoint list, endpoint details) are fixed and do not depend on it: only
    ``simulator_scale`` changes them, multiplying every one of their windows, to match the API simulator
    started with ``--rate-limit-scale`` (a test setting, see :data:`SIMULATOR_SCALE_VARIABLE`).
    """

    def __init__(self, requests=DEFAULT_REQUESTS, window=DEFAULT_WINDOW, clock=time.monotonic, sleep=time.sleep, ledger_path=None,
                 simulator_scale=1.0):
        """``ledger_path`` (a file in a private directory) shares the rolling windows across processes;
        ``clock`` must then be wall-clock time (``time.time``), comparable between processes."""
        scale = float(simulator_scale)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.enabled = bool(requests) and bool(window)
        self.waited = 0.0
        self._limits = {
            'all': WindowLimit(requests or 1, window or 1),
            'auth': WindowLimit(AUTH_REQUESTS, AUTH_WINDOW * scale),
            'endpoint_list': BucketLimit(ENDPOINT_LIST_RATE / scale, ENDPOINT_LIST_BURST),
            'endpoint_get': BucketLimit(ENDPOINT_GET_RATE / scale, ENDPOINT_GET_BURST),
        }
        self.ledger = None
        self.ledger_problem = None
        if self.enabled and ledger_path:
            try:
                self.ledger = PaceLedger(ledger_path, shared_limits(requests, window, scale))
            except LedgerUnavailable as exc:
                self.ledger_problem = str(exc)

    def _shared_wait(self, names, now):
        """Take the shared windows (0 when recorded), or fall back to local pacing if the ledger fails."""
        if self.ledger is None:
            return 0.0
        try:
            return self.ledger.take(names, now)
        except LedgerUnavailable as exc:
            self.ledger, self.ledger_problem = None, str(exc)
            return 0.0

    @staticmethod
    def classify(method, path):
        """The named limits a request counts against, besides the overall one."""
        if path.endswith('/authenticate'):
            return ('all', 'auth')
        if method == 'GET':
            trimmed = path.rstrip('/')
            if trimmed.endswith('/api/v1/endpoint'):
                return ('all', 'endpoint_list')
            head, _sep, tail = trimmed.rpartition('/')
            if head.endswith('/api/v1/endpoint') and tail.isdigit():
                return ('all', 'endpoint_get')
        return ('all',)

    def acquire(self, method, path):
        """Block until the request may be sent; return the seconds waited."""
        if not self.enabled:
            return 0.0
        names = self.classify(method, path)
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = max(self._limits[name].delay(now) for name in names)
                if wait <= 0:
                    wait = self._shared_wait(names, now)
                if wait <= 0:
                    for name in names:
                        self._limits[name].record(now)
                    self.waited += waited
                    return waited
            wait = min(wait, 60.0) + 0.001
            self._sleep(wait)
            waited += wait
