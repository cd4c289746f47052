# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake clock of the unit tests: time moves only when the code under test sleeps or a test moves it.

Pass the clock itself where code takes ``clock`` (it is called for the time) and ``clock.sleep`` where it takes
``sleep``. It starts at the wall-clock time unless given another start, so it can stand for ``time.time``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time


class FakeClock:
    def __init__(self, now=None):
        self.now = time.time() if now is None else float(now)
        self.sleeps = []

    def __call__(self):
        return self.now

    def time(self):
        """The same, for code that takes a clock object with ``time()`` and ``sleep()`` (the rollout engine)."""
        return self.now

    def sleep(self, seconds):
        # Code that sleeps for nothing (or for a negative time) has a bug the tests should see.
        assert seconds > 0, 'slept for %r seconds' % seconds
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds):
        self.now += seconds
