# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines of an ``sms_provisioning`` rollout: at most one every few seconds, never a long silence.

The clock is injected (``time()`` and ``sleep(seconds)``), so the pacing of the lines is tested without waiting.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_forecast import POLL_ROUNDS

MIN_GAP = 5.0
MAX_SILENCE = 20.0


def duration(seconds):
    """``1h02m``, ``3m05s`` or ``42s``."""
    seconds = int(max(0, round(seconds)))
    if seconds >= 3600:
        return '%dh%02dm' % (seconds // 3600, (seconds % 3600) // 60)
    if seconds >= 60:
        return '%dm%02ds' % (seconds // 60, seconds % 60)
    return '%ds' % seconds


class Progress:
    """Prints status lines through ``emit``: a new line only when ``min_gap`` seconds passed since the last one (or
    when forced), and the latest line again when nothing was printed for ``max_silence`` seconds."""

    def __init__(self, clock, emit, started, min_gap=MIN_GAP, max_silence=MAX_SILENCE):
        self.clock = clock
        self.emit = emit
        self.started = started
        self.min_gap = min_gap
        self.max_silence = max_silence
        self.last = None
        self.describe = None

    def elapsed(self):
        return duration(self.clock.time() - self.started)

    def show(self, describe, force=False):
        """Make ``describe`` (a function returning the line) the current status and print it when it is time."""
        self.describe = describe
        now = self.clock.time()
        if force or self.last is None or now - self.last >= self.min_gap:
            self._print(now)

    def _print(self, now):
        self.emit('%s (%s elapsed)' % (self.describe(), self.elapsed()))
        self.last = now

    def tick(self):
        """Print the current status again when the output has been silent for too long."""
        now = self.clock.time()
        if self.describe is not None and (self.last is None or now - self.last >= self.max_silence):
            self._print(now)

    def sleep(self, seconds):
        """Sleep ``seconds`` in slices, keeping the output from going silent for longer than ``max_silence``."""
        end = self.clock.time() + seconds
        while True:
            now = self.clock.time()
            if now >= end:
                return
            since = now - self.last if self.last is not None else 0
            self.clock.sleep(max(0.01, min(end - now, self.max_silence - since)))
            self.tick()


def count_states(state, index):
    """How many devices of command ``index`` are in each result state (``sent``, ``waiting``, ``delivered``,
    ``replied``, ``failed``), plus the parts sent."""
    counts = {'parts': 0}
    suffix = '/%s' % index
    for key, result in state['results'].items():
        if not key.endswith(suffix):
            continue
        counts[result.get('state')] = counts.get(result.get('state'), 0) + 1
        counts['parts'] += result.get('sent_parts') or 0
    return counts


def send_line(command, done, total, parts, failed, seconds_left):
    return '%d. %s: sent to %d of %d devices, %d parts sent, %d failed%s' % (
        command['number'], command['label'], done, total, parts, failed,
        (', about %s left' % duration(seconds_left)) if seconds_left else '')


def wait_estimate(waiting, rounds_done, rate, next_pause, seconds_left):
    """The seconds a wait is expected to take still: the history reads still needed for the ``waiting`` devices (one
    per device and round; ``POLL_ROUNDS`` rounds expected in all, at least one more) at ``rate`` requests per second,
    after the pause before the next round; never more than the ``seconds_left`` before the timeout."""
    if not waiting:
        return 0.0
    reads = waiting * max(1, POLL_ROUNDS - rounds_done)
    return max(0.0, min(float(seconds_left), next_pause + (reads / rate if rate else 0.0)))


def wait_line(command, counts, seconds_left, estimate=None):
    settled = 'replied' if command['wait'] == 'reply' else 'delivered'
    left = 'at most %s left' % duration(seconds_left)
    if estimate is not None and counts.get('waiting', 0):
        left = 'about %s left (%s)' % (duration(estimate), left)
    return '%d. %s: waiting for %s: %d %s, %d failed, %d still waiting, %s' % (
        command['number'], command['label'], 'a reply' if command['wait'] == 'reply' else 'delivery',
        counts.get(settled, 0), settled, counts.get('failed', 0), counts.get('waiting', 0), left)
