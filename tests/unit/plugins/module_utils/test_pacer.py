# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _pacer: rolling windows and token buckets under a fake clock.

Boundary: the pacer's own ``clock`` and ``sleep`` hooks; a fake clock advances only when
the pacer sleeps, so nothing waits for real.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._pacer import (
    AUTH_REQUESTS,
    SIMULATOR_SCALE_VARIABLE,
    BucketLimit,
    Pacer,
    WindowLimit,
    simulator_scale,
)
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock


def _max_in_window(times, window):
    """The largest number of events inside any half-open window [t, t + window)."""
    best = 0
    for start, first in enumerate(times):
        count = sum(1 for when in times[start:] if when < first + window)
        best = max(best, count)
    return best


@pytest.mark.parametrize('limit,window,count', [(5, 10.0, 23), (1, 3.0, 6), (20, 300.0, 61)])
def test_window_keeps_n_requests_within_the_window(limit, window, count):
    clock = FakeClock()
    pacer = Pacer(limit, window, clock=clock, sleep=clock.sleep)
    sent = []
    for _index in range(count):
        pacer.acquire('GET', '/api/v1/endpoint/1/sms')
        sent.append(clock())
    assert _max_in_window(sent, window) == limit
    # The first ``limit`` go out at once; the pacer never waits more than needed (1 ms slack per wait).
    assert sent[:limit] == [sent[0]] * limit
    rounds = (count - 1) // limit
    assert sent[-1] - sent[0] == pytest.approx(rounds * window, abs=0.01 * count)
    assert pacer.waited == pytest.approx(sum(clock.sleeps))


def test_window_frees_slots_as_time_passes():
    clock = FakeClock()
    pacer = Pacer(3, 10.0, clock=clock, sleep=clock.sleep)
    for _index in range(3):
        assert pacer.acquire('GET', '/x') == 0.0
        clock.advance(4.0)
    # t=12: the first request (t=0) left the window at t=10, so no wait.
    assert pacer.acquire('GET', '/x') == 0.0
    # Now requests at 4, 8, 12 are in the window; the next slot opens at 14.
    waited = pacer.acquire('GET', '/x')
    assert waited == pytest.approx(2.0, abs=0.01)
    assert clock.sleeps and all(0 < seconds <= 60.001 for seconds in clock.sleeps)


def test_long_waits_are_split_into_bounded_sleeps():
    clock = FakeClock()
    pacer = Pacer(1, 600.0, clock=clock, sleep=clock.sleep)
    pacer.acquire('GET', '/x')
    waited = pacer.acquire('GET', '/x')
    assert waited == pytest.approx(600.0, abs=0.1)
    assert len(clock.sleeps) >= 10
    assert max(clock.sleeps) <= 60.001


def test_disabled_pacer_never_sleeps():
    for requests, window in ((0, 300), (2000, 0)):
        clock = FakeClock()
        pacer = Pacer(requests, window, clock=clock, sleep=clock.sleep)
        assert pacer.enabled is False
        for _index in range(3000):
            assert pacer.acquire('GET', '/api/v1/endpoint') == 0.0
        assert clock.sleeps == []


def test_auth_limit_is_100_per_window():
    clock = FakeClock()
    pacer = Pacer(100000, 300.0, clock=clock, sleep=clock.sleep)
    times = []
    for _index in range(AUTH_REQUESTS + 5):
        pacer.acquire('POST', '/api/v1/authenticate')
        times.append(clock())
    assert _max_in_window(times, 300.0) == AUTH_REQUESTS
    assert times[AUTH_REQUESTS] - times[0] == pytest.approx(300.0, abs=0.01)
    # Other requests are not held back by the authentication budget.
    before = clock()
    pacer.acquire('GET', '/api/v1/endpoint/1/sms')
    assert clock() == before


def test_endpoint_list_bucket_rate_and_burst():
    clock = FakeClock()
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    times = []
    for _index in range(25):
        pacer.acquire('GET', '/api/v1/endpoint')
        times.append(clock())
    assert times[:5] == [times[0]] * 5
    # After the burst of 5, one call per 100 ms (10 per second).
    gaps = [later - earlier for earlier, later in zip(times[5:], times[6:])]
    assert all(gap == pytest.approx(0.1, abs=0.002) for gap in gaps)
    assert _max_in_window(times, 1.0) <= 5 + 10


def _conforms(times, rate, burst):
    """True when the send times pass a token bucket of ``rate`` per second and ``burst`` (emnify's per-path rule):
    no interval [a, b] between two sends holds more than burst + rate * (b - a) of them."""
    for start, first in enumerate(times):
        for end in range(start, len(times)):
            if end - start + 1 > burst + rate * (times[end] - first) + 1e-6:
                return False
    return True


@pytest.mark.parametrize('window', [60.0, 30.0, 300.0, 3600.0])
def test_rate_limit_window_never_changes_emnify_per_path_limits(window):
    """rate_limit_window is the overall budget's window only: authentication stays 100 per 300 s, the endpoint
    list 10 per second (burst 5), endpoint details 50 per second (burst 25), whatever the window."""
    clock = FakeClock()
    pacer = Pacer(100000, window, clock=clock, sleep=clock.sleep)
    auths, lists, details = [], [], []
    for index in range(150):
        pacer.acquire('POST', '/api/v1/authenticate')
        auths.append(clock())
        if index < 105:
            pacer.acquire('GET', '/api/v1/endpoint')
            lists.append(clock())
        pacer.acquire('GET', '/api/v1/endpoint/%d' % index)
        details.append(clock())
    assert _max_in_window(auths, 300.0) <= AUTH_REQUESTS
    assert _conforms(lists, 10.0, 5)
    assert _conforms(details, 50.0, 25)
    assert _max_in_window(lists, 1.0) <= 5 + 10


def test_simulator_scale_matches_a_scaled_simulator():
    clock = FakeClock()
    pacer = Pacer(2000, 30.0, clock=clock, sleep=clock.sleep, simulator_scale=0.1)
    times = []
    for _index in range(40):
        pacer.acquire('GET', '/api/v1/endpoint/123')
        times.append(clock())
    assert times[:25] == [times[0]] * 25
    # The simulator's --rate-limit-scale 0.1 turns the documented 50/s into 500/s; the pacer follows only when told.
    gaps = [later - earlier for earlier, later in zip(times[25:], times[26:])]
    assert all(gap == pytest.approx(0.002, abs=0.0015) for gap in gaps)
    auths = []
    for _index in range(AUTH_REQUESTS + 1):
        pacer.acquire('POST', '/api/v1/authenticate')
        auths.append(clock())
    assert auths[AUTH_REQUESTS] - auths[0] == pytest.approx(30.0, abs=0.01)


@pytest.mark.parametrize('environ,expected', [({}, 1.0), ({SIMULATOR_SCALE_VARIABLE: ''}, 1.0), ({SIMULATOR_SCALE_VARIABLE: '0.1'}, 0.1),
                                              ({SIMULATOR_SCALE_VARIABLE: ' 1 '}, 1.0)])
def test_simulator_scale_from_the_environment(environ, expected):
    assert simulator_scale(environ) == expected


@pytest.mark.parametrize('text', ['0', '-1', '2', 'fast', 'nan'])
def test_simulator_scale_refused_naming_the_variable(text):
    with pytest.raises(ValueError) as caught:
        simulator_scale({SIMULATOR_SCALE_VARIABLE: text})
    assert str(caught.value).startswith(SIMULATOR_SCALE_VARIABLE + ':')


@pytest.mark.parametrize('method,path,names', [
    ('POST', '/api/v1/authenticate', ('all', 'auth')),
    ('GET', '/api/v1/endpoint', ('all', 'endpoint_list')),
    ('GET', '/api/v1/endpoint/', ('all', 'endpoint_list')),
    ('GET', '/api/v1/endpoint/42', ('all', 'endpoint_get')),
    ('GET', '/api/v1/endpoint/42/sms', ('all',)),
    ('POST', '/api/v1/endpoint/42/sms', ('all',)),
    ('PATCH', '/api/v1/endpoint/42', ('all',)),
    ('GET', '/api/v1/sim', ('all',)),
])
def test_classify(method, path, names):
    assert Pacer.classify(method, path) == names


def test_bucket_refills_to_burst_only():
    bucket = BucketLimit(10.0, 5)
    for _index in range(5):
        assert bucket.delay(0.0) == 0.0
        bucket.record(0.0)
    assert bucket.delay(0.0) == pytest.approx(0.1)
    assert bucket.delay(100.0) == 0.0
    for _index in range(5):
        bucket.record(100.0)
    assert bucket.delay(100.0) > 0


@settings(max_examples=60, deadline=None, database=None)
@given(limit=st.integers(1, 8), window=st.floats(0.5, 50.0), gaps=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=30))
def test_window_property(limit, window, gaps):
    limiter = WindowLimit(limit, window)
    now = 0.0
    times = []
    for gap in gaps:
        now += gap
        wait = limiter.delay(now)
        assert wait >= 0
        now += wait
        assert limiter.delay(now) <= 1e-9
        limiter.record(now)
        times.append(now)
    assert _max_in_window(times, window - 1e-6) <= limit
