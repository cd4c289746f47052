# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request window the rollout engine sizes its module runs by, on a fake clock."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_pace import RequestWindow
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

T0 = 1800000000.0


def test_without_a_ledger_the_rollouts_own_requests_fill_the_window():
    clock = FakeClock(T0)
    window = RequestWindow(100, 30, clock)
    assert window.free() == 100 and window.time_until(100) == 0
    clock.sleep(10)
    window.record(80, began=T0)  # made evenly over the 10 s the module ran
    assert window.free() == 20
    # 10 more than are free need the first two tenths of them (8 each, made by T0 + 2) to leave the window, 30 s and
    # the 0.5 s margin later.
    assert window.time_until(30) == 2 + 30 + 0.5 - 10
    # Only what is free now is planned with: the own count is an estimate.
    assert window.capacity(1000, 10.0, 15) == 20
    assert window.time_until(101) == 30 + 0.5


def test_with_the_ledger_requests_that_leave_the_window_in_time_are_planned_with():
    clock = FakeClock(T0)
    live = [(T0 + 5, 50), (T0 + 12, 30), (T0 + 40, 20)]
    window = RequestWindow(100, 30, clock, ledger=lambda now: [pair for pair in live if pair[0] > now])
    assert window.free() == 0
    assert window.capacity(1000, 100.0, 15) == 80       # 50 free at +5 s, 30 more at +12 s; not the 20 at +40 s
    assert window.capacity(1000, 2.0, 15) == 20          # at 2 requests a second from +5 s to +15 s
    assert window.capacity(60, 100.0, 15) == 60
    assert window.time_until(60) == 12 and window.time_until(81) == 40


def test_a_ledger_that_knows_fewer_requests_than_the_rollout_made_is_not_the_modules_one():
    clock = FakeClock(T0)
    window = RequestWindow(100, 30, clock, ledger=lambda now: [])
    window.record(90, began=T0)
    assert window.free() == 10


def test_the_time_left_counts_the_wait_for_the_window_and_the_windows_after_it():
    clock = FakeClock(T0)
    window = RequestWindow(100, 30, clock, ledger=lambda now: [(T0 + 20, 100)])
    assert window.eta(50, 10.0) == 20                    # all 100 leave the window in 20 s
    assert window.eta(250, 10.0) == 20 + 150 * 30 / 100  # then 1.5 windows more at 100 per 30 s
    assert RequestWindow(100, 30, clock).eta(50, 10.0) == 5
