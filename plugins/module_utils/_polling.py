# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for the service: rounds of reads up to a deadline, the interval between them growing by half each round.

emnify_sms (wait=delivered) and emnify_sms_info (wait_timeout) wait this way.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

GROWTH = 1.5
MAX_INTERVAL = 30.0


class Rounds:
    """The pauses between the reads of one wait: ``interval`` first, then half as long again each round, up to
    ``max_interval``, and never past ``timeout`` seconds after the wait began."""

    def __init__(self, timeout, interval, clock=time.monotonic, sleep=time.sleep, max_interval=MAX_INTERVAL):
        self._clock = clock
        self._sleep = sleep
        self.deadline = clock() + timeout
        self.interval = interval
        self.max_interval = max_interval

    def next(self):
        """Sleep until the next round and return True; once the deadline has passed, return False without sleeping."""
        remaining = self.deadline - self._clock()
        if remaining <= 0:
            return False
        self._sleep(min(self.interval, remaining))
        self.interval = min(self.interval * GROWTH, self.max_interval)
        return True
