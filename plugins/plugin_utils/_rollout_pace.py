# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of the request budget the rollout's next module run can use, so that every module run ends soon.

emnify's general limit is a rolling window (2,000 requests per 300 s). After a burst, the next request may have to
wait until the burst's first request leaves the window, minutes later; a module run started then would wait inside,
and the rollout would print nothing all that time. Before each module run the engine asks this window how many
requests can be made within a few seconds, and when none can, it waits on the controller, where it prints progress.

What the window holds comes from the request ledger the modules share on the controller (``module_utils/_pace_ledger``)
when it can be read, else from the requests the rollout's own module runs reported. The clock is injected.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.module_utils._pace_ledger import default_margin


# A module run's requests are counted in this many pieces over its time.
SPREAD = 10


class RequestWindow:
    """At most ``limit`` requests in any ``window`` seconds. ``ledger(now)`` returns the live ``(expiry, count)`` pairs
    of the shared ledger, or None when it cannot be read."""

    def __init__(self, limit, window, clock, ledger=None):
        self.limit = max(1, int(limit))
        self.window = float(window)
        # As the ledger does: a request counts a little longer than the window, from when it was reported.
        self.margin = default_margin(self.window)
        self.clock = clock
        self.ledger = ledger
        self.spent = []

    def record(self, count, began=None):
        """Count ``count`` requests of a module run that started at ``began`` and just ended, as made evenly over its
        time (a module that waited for the window made them later: then the next run waits in the module a little)."""
        if not count or count <= 0:
            return
        now = self.clock.time()
        began = now if began is None else min(float(began), now)
        pieces = min(int(count), SPREAD)
        for piece in range(pieces):
            share = int(count) // pieces + (1 if piece < int(count) % pieces else 0)
            made = began + (now - began) * (piece + 1) / pieces
            self.spent.append((made + self.window + self.margin, share))

    def _live(self, now):
        """The live ``(expiry, count)`` pairs, sorted, and whether they are the ledger's (the modules pace by exactly
        these, so their expiries can be planned with)."""
        own = sorted((expiry, count) for expiry, count in self.spent if expiry > now)
        self.spent = own
        shared = self.ledger(now) if self.ledger is not None else None
        # The ledger holds this rollout's requests too, unless it is not the one the modules use (another host).
        if shared is not None and sum(count for _expiry, count in shared) >= sum(count for _expiry, count in own):
            return shared, True
        return own, False

    def free(self):
        """The requests that can be made now."""
        return self.limit - sum(count for _expiry, count in self._live(self.clock.time())[0])

    def time_until(self, needed):
        """Seconds until ``needed`` requests can be made (a whole window when ``needed`` is more than the limit)."""
        now = self.clock.time()
        live = self._live(now)[0]
        short = int(needed) - (self.limit - sum(count for _expiry, count in live))
        if short <= 0:
            return 0.0
        for expiry, count in live:
            short -= count
            if short <= 0:
                return expiry - now
        return self.window + self.margin

    def eta(self, needed, per_second):
        """About how many seconds ``needed`` more requests take: until the window lets the first ``limit`` of them go
        (at ``per_second`` at best), then the rest at the sustained rate."""
        first = min(int(needed), self.limit)
        return (max(self.time_until(first), first / max(float(per_second), 1e-6)) +
                max(0, int(needed) - self.limit) * self.window / self.limit)

    def capacity(self, most, per_second, seconds):
        """The most requests, up to ``most``, that a module run started now can make within ``seconds`` when it makes
        at most ``per_second`` requests a second: those free now, and, when the window is the ledger's, those that leave
        it in time. (The rollout's own count is an estimate: planning with its expiries could start a module run that
        then waits a whole window for its last few requests.)"""
        now = self.clock.time()
        live, exact = self._live(now)
        per_second = max(float(per_second), 1e-6)
        budget = self.limit - sum(count for _expiry, count in live)
        slots = [(now, budget)] if budget > 0 else []
        deficit = max(0, -budget)
        for expiry, count in live if exact else ():
            use = min(deficit, count)
            deficit -= use
            if count > use:
                slots.append((expiry, count - use))
        made, moment, end = 0, now, now + seconds
        for at, count in slots:
            start = max(moment, at)
            room = min(count, int(most) - made, int((end - start) * per_second))
            if room <= 0:
                break
            made += room
            moment = start + room / per_second
            if room < count:
                break
        return made
