# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request ledger shared between module runs, and the pacer that uses it.

Boundary: the file system (a private temporary directory) and an injected clock; two Pacer
objects stand for two module processes of one run.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.emnify.iot.plugins.module_utils._pace_ledger import LedgerUnavailable, PaceLedger, ledger_name
from ansible_collections.emnify.iot.plugins.module_utils._pacer import Pacer, shared_limits
from ansible_collections.emnify.iot.tests.unit.fake_clock import FakeClock

T0 = 1800000000.0


@pytest.fixture
def private_dir(tmp_path):
    directory = tmp_path / 'cache'
    directory.mkdir(mode=0o700)
    os.chmod(str(directory), 0o700)
    return str(directory)


def test_two_runs_share_one_budget(private_dir):
    """A second module run starts where the first left the window, instead of with a full budget."""
    path = os.path.join(private_dir, 'pace.json')
    clock = FakeClock(T0)
    first = Pacer(10, 30, clock=clock, sleep=clock.sleep, ledger_path=path)
    for _request in range(10):
        assert first.acquire('GET', '/api/v1/endpoint/1/sms') == 0
    second = Pacer(10, 30, clock=clock, sleep=clock.sleep, ledger_path=path)
    waited = second.acquire('POST', '/api/v1/endpoint/1/sms')
    # The first ten count for the window, their slot and the margin (0.5 s for a 30 s window).
    assert 30 <= waited <= 30 + 30 / 300.0 + 0.5 + 0.01
    assert clock.sleeps


def test_without_ledger_each_run_has_its_own_budget(private_dir):
    clock = FakeClock(T0)
    first = Pacer(10, 30, clock=clock, sleep=clock.sleep)
    for _request in range(10):
        first.acquire('GET', '/api/v1/endpoint/1/sms')
    second = Pacer(10, 30, clock=clock, sleep=clock.sleep)
    assert second.acquire('GET', '/api/v1/endpoint/1/sms') == 0


def test_authentications_have_their_own_shared_window(private_dir):
    path = os.path.join(private_dir, 'pace.json')
    clock = FakeClock(T0)
    ledger = PaceLedger(path, {'all': (2000, 300.0), 'auth': (100, 300.0)})
    for _request in range(100):
        assert ledger.take(['all', 'auth'], clock()) == 0
    assert ledger.take(['all'], clock()) == 0
    assert ledger.take(['all', 'auth'], clock()) > 300
    clock.now += 300 + 1 + 3 + 0.01
    assert ledger.take(['all', 'auth'], clock()) == 0


def test_a_refused_take_records_nothing(private_dir):
    path = os.path.join(private_dir, 'pace.json')
    ledger = PaceLedger(path, {'all': (3, 60.0)})
    for _request in range(3):
        assert ledger.take(['all'], T0) == 0
    for _attempt in range(5):
        assert ledger.take(['all'], T0 + 1) > 0
    with open(path) as handle:
        data = json.load(handle)
    assert sum(data['all'].values()) == 3


def test_expired_slots_are_dropped_from_the_file(private_dir):
    path = os.path.join(private_dir, 'pace.json')
    ledger = PaceLedger(path, {'all': (5, 30.0)})
    for second in range(5):
        ledger.take(['all'], T0 + second)
    ledger.take(['all'], T0 + 100)
    with open(path) as handle:
        data = json.load(handle)
    assert list(data['all'].values()) == [1]


def test_ledger_file_is_private(private_dir):
    path = os.path.join(private_dir, 'pace.json')
    PaceLedger(path, {'all': (5, 30.0)}).take(['all'], T0)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_ledger_in_a_shared_directory_is_refused(tmp_path):
    directory = tmp_path / 'open'
    directory.mkdir()
    os.chmod(str(directory), 0o777)
    ledger = PaceLedger(str(directory / 'pace.json'), {'all': (5, 30.0)})
    with pytest.raises(LedgerUnavailable):
        ledger.take(['all'], T0)


def test_pacer_falls_back_to_local_pacing_when_the_ledger_fails(tmp_path):
    directory = tmp_path / 'open'
    directory.mkdir()
    os.chmod(str(directory), 0o777)
    clock = FakeClock(T0)
    pacer = Pacer(2, 30, clock=clock, sleep=clock.sleep, ledger_path=str(directory / 'pace.json'))
    assert pacer.acquire('GET', '/x') == 0
    assert pacer.ledger is None
    assert 'not private' in pacer.ledger_problem
    assert pacer.acquire('GET', '/x') == 0
    assert pacer.acquire('GET', '/x') >= 30


@pytest.mark.parametrize('content', [b'', b'not json', b'[]', b'{"slot": "x"}', b'{"slot": 1.0, "all": {"a": "b", "5": -1}}'])
def test_damaged_ledger_is_started_afresh(private_dir, content):
    path = os.path.join(private_dir, 'pace.json')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    ledger = PaceLedger(path, {'all': (2, 30.0)})
    assert ledger.take(['all'], T0) == 0
    assert ledger.take(['all'], T0) == 0
    assert ledger.take(['all'], T0) > 0


def test_the_live_requests_are_read_without_recording_any(private_dir):
    """What the rollout engine reads before each module run: the requests still in the window and when each leaves it,
    the expiries the modules' pacers wait for."""
    path = os.path.join(private_dir, 'pace.json')
    clock = FakeClock(T0)
    ledger = PaceLedger(path, shared_limits(10, 30))
    assert ledger.live('all', clock()) == []
    pacer = Pacer(10, 30, clock=clock, sleep=clock.sleep, ledger_path=path)
    for _request in range(4):
        pacer.acquire('GET', '/api/v1/endpoint/1/sms')
    clock.sleep(1)
    for _request in range(3):
        pacer.acquire('GET', '/api/v1/endpoint/1/sms')
    live = ledger.live('all', clock())
    assert [count for _expiry, count in live] == [4, 3] and ledger.live('all', clock()) == live
    assert 30.5 <= live[0][0] - T0 <= 30.7 and live[1][0] - live[0][0] == pytest.approx(1.0)
    assert ledger.live('all', T0 + 32) == [] and ledger.live('auth', clock()) == []
    assert ledger_name('https://cdn.emnify.net/') == ledger_name('https://cdn.emnify.net') != ledger_name('http://127.0.0.1:1')
