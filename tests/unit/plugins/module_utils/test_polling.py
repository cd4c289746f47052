# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _polling.Rounds: the pauses of a wait.

Boundary: the ``clock`` and ``sleep`` hooks, given the fake clock, so nothing waits for real.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.emnify.iot.plugins.module_utils._polling import Rounds
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock


def test_the_interval_grows_by_half_up_to_the_maximum_and_stops_at_the_deadline():
    clock = FakeClock()
    rounds = Rounds(120, 2, clock=clock, sleep=clock.sleep)
    while rounds.next():
        pass
    assert clock.sleeps[:6] == pytest.approx([2, 3, 4.5, 6.75, 10.125, 15.1875])
    assert max(clock.sleeps) == 30
    # The last pause ends at the deadline, not past it; after it no more rounds and no more sleeping.
    assert sum(clock.sleeps) == pytest.approx(120)
    assert rounds.next() is False and sum(clock.sleeps) == pytest.approx(120)


def test_time_spent_reading_counts_against_the_deadline():
    clock = FakeClock()
    rounds = Rounds(10, 4, clock=clock, sleep=clock.sleep, max_interval=5)
    clock.advance(9)
    assert rounds.next() is True and clock.sleeps == [1]
    assert rounds.next() is False


def test_a_wait_of_zero_seconds_has_no_rounds():
    clock = FakeClock()
    assert Rounds(0, 2, clock=clock, sleep=clock.sleep).next() is False
    assert clock.sleeps == []
