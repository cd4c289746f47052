# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rolling-window request counts shared by every module run of one user on one controller.

emnify counts requests per public IP address over 5 minutes, but each Ansible task runs its
module in a new process: a pacer that only remembers its own requests lets the next task
start with a full budget although the previous one just spent it. The ledger is a small
file in the private state directory (``_state_dir``: mode 0600, locked with ``flock``) for each request. It
holds, per limit, the number of requests in each slot of ``shortest window / SLOTS`` seconds. A slot
counts until its end plus the limit's window plus a margin, which is never shorter than the service's
own window, so the shared count is an upper bound of what emnify sees.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from ansible_collections.emnify.iot.plugins.module_utils._state_dir import HAS_FCNTL, StateUnavailable, digest, locked

SLOTS = 300


def default_margin(window):
    """How much longer than its ``window`` a request counts: requests leave the client slightly before they reach the
    service."""
    return max(0.5, float(window) / 100.0)


def ledger_name(api_url):
    """The ledger's file name in the private state directory: one ledger per API URL."""
    return 'pace-%s.json' % digest(api_url.rstrip('/'))


class LedgerUnavailable(Exception):
    """The ledger file cannot be used; the caller paces on its own."""


class PaceLedger:
    """Shared rolling windows: ``limits`` maps a name to ``(requests, window_seconds)``."""

    def __init__(self, path, limits, margin=None):
        if not HAS_FCNTL:
            raise LedgerUnavailable('file locking is not available')
        self.path = path
        self.limits = dict((name, (int(requests), float(window))) for name, (requests, window) in limits.items())
        shortest = min(window for _requests, window in self.limits.values())
        self.slot = shortest / SLOTS
        # Requests leave the client slightly before they reach the service: count them a little longer.
        self.margins = dict((name, float(margin) if margin is not None else default_margin(window))
                            for name, (_requests, window) in self.limits.items())

    def _expiry(self, name, slot_index):
        _requests, window = self.limits[name]
        return (slot_index + 1) * self.slot + window + self.margins[name]

    def _read(self, fd):
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        try:
            data = json.loads(b''.join(chunks).decode('utf-8') or '{}')
        except (ValueError, UnicodeError):
            data = {}
        if not isinstance(data, dict) or data.get('slot') != self.slot:
            return {}
        counts = {}
        for name in self.limits:
            slots = data.get(name)
            if isinstance(slots, dict):
                counts[name] = dict((int(key), int(value)) for key, value in slots.items()
                                    if str(key).lstrip('-').isdigit() and isinstance(value, int) and value > 0)
        return counts

    def _write(self, fd, counts):
        data = dict(slot=self.slot)
        for name, slots in counts.items():
            data[name] = dict((str(key), value) for key, value in slots.items())
        raw = json.dumps(data, sort_keys=True).encode('utf-8')
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, raw)

    def live(self, name, now):
        """The requests counted against ``name`` that have not expired at ``now``, as ``(expiry, count)`` pairs sorted by
        expiry (a read: nothing is recorded; an empty list when there is no ledger yet)."""
        if name not in self.limits or not os.path.exists(self.path):
            return []
        try:
            with locked(self.path, shared=True) as fd:
                counts = self._read(fd).get(name, {})
        except (OSError, StateUnavailable) as exc:
            raise LedgerUnavailable(str(exc))
        return sorted((self._expiry(name, index), count) for index, count in counts.items() if self._expiry(name, index) > now)

    def take(self, names, now):
        """Record one request against ``names`` and return 0, or return the seconds to wait (nothing recorded)."""
        names = [name for name in names if name in self.limits]
        if not names:
            return 0.0
        try:
            with locked(self.path) as fd:
                counts = self._read(fd)
                wait = 0.0
                for name in names:
                    requests, _window = self.limits[name]
                    live = sorted((index, count) for index, count in counts.get(name, {}).items() if self._expiry(name, index) > now)
                    counts[name] = dict(live)
                    total = sum(count for _index, count in live)
                    for index, count in live:
                        if total < requests:
                            break
                        total -= count
                        wait = max(wait, self._expiry(name, index) - now)
                if wait <= 0:
                    current = int(now // self.slot)
                    for name in names:
                        slots = counts.setdefault(name, {})
                        slots[current] = slots.get(current, 0) + 1
                    self._write(fd, counts)
                return max(wait, 0.0)
        except (OSError, StateUnavailable) as exc:
            raise LedgerUnavailable(str(exc))
