# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""emnify's rate limits: rolling windows and token buckets, all windows scaled by one factor.

The general limit counts per client IP; the per-path limits count per organisation, as emnify documents them, so
more client IPs do not raise them.

Not thread-safe by itself: the simulator calls it under its state lock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections

LIMIT_OVERALL = "overall"
LIMIT_AUTH = "authenticate"
LIMIT_ENDPOINT_LIST = "endpoint_list"
LIMIT_ENDPOINT_GET = "endpoint_get"

SCOPE_IP = "ip"
SCOPE_ORGANISATION = "organisation"

# name: (kind, amount, window seconds, burst, what it counts per) as documented by emnify.
LIMITS = {
    LIMIT_OVERALL: ("window", 2000, 300.0, None, SCOPE_IP),
    LIMIT_AUTH: ("window", 100, 300.0, None, SCOPE_ORGANISATION),
    LIMIT_ENDPOINT_LIST: ("bucket", 10, 1.0, 5, SCOPE_ORGANISATION),
    LIMIT_ENDPOINT_GET: ("bucket", 50, 1.0, 25, SCOPE_ORGANISATION),
}


class RollingWindow:
    """At most `limit` requests per key in any `window` seconds."""

    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self.hits = {}

    def wait(self, key, now):
        """Seconds until one more request is allowed (0 when it is allowed now)."""
        hits = self.hits.get(key)
        if not hits:
            return 0.0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            return 0.0
        return max(hits[0] + self.window - now, 0.001)

    def take(self, key, now):
        self.hits.setdefault(key, collections.deque()).append(now)


class TokenBucket:
    """`rate` requests per second sustained, `burst` at once."""

    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = float(burst)
        self.state = {}

    def _tokens(self, key, now):
        tokens, last = self.state.get(key, (self.burst, now))
        return min(self.burst, tokens + max(now - last, 0.0) * self.rate)

    def wait(self, key, now):
        tokens = self._tokens(key, now)
        if tokens >= 1.0:
            return 0.0
        return (1.0 - tokens) / self.rate

    def take(self, key, now):
        self.state[key] = (self._tokens(key, now) - 1.0, now)


class RateLimiter:
    """All of emnify's documented limits: the general one per client IP, the per-path ones per organisation."""

    def __init__(self, scale=1.0, enabled=True):
        self.scale = scale
        self.enabled = enabled
        self.reset()

    def reset(self):
        self.limits = {}
        for name, (kind, amount, window, burst, _scope) in LIMITS.items():
            window = window * self.scale
            if kind == "window":
                self.limits[name] = RollingWindow(amount, window)
            else:
                self.limits[name] = TokenBucket(amount / window, burst)

    def describe(self):
        """The limits in force, for the admin API."""
        out = {}
        for name, (kind, amount, window, burst, scope) in LIMITS.items():
            entry = {"kind": kind, "requests": amount, "window_seconds": window * self.scale, "per": scope}
            if burst is not None:
                entry["burst"] = burst
            out[name] = entry
        return {"enabled": self.enabled, "scale": self.scale, "limits": out}

    def admit(self, client_ip, organisation, names, now):
        """Admit one request that counts against the named limits: (True, 0) or (False, seconds to wait).

        Each limit counts the request under the client IP or the organisation, by its scope. A refused request
        consumes nothing.
        """
        if not self.enabled:
            return True, 0.0
        keyed = [(self.limits[name], client_ip if LIMITS[name][4] == SCOPE_IP else organisation) for name in names]
        wait = 0.0
        for limit, key in keyed:
            wait = max(wait, limit.wait(key, now))
        if wait > 0:
            return False, wait
        for limit, key in keyed:
            limit.take(key, now)
        return True, 0.0
