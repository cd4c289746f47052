# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of emnify.iot.sms_rollout: the request window it reads is the one the modules write."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

from ansible_collections.emnify.iot.plugins.action.sms_rollout import _request_window
from ansible_collections.emnify.iot.plugins.module_utils._client import EmnifyClient

API_URL = 'http://127.0.0.1:9/api'


def test_the_window_is_read_from_the_ledger_the_modules_pace_by(tmp_path, monkeypatch):
    directory = tmp_path / 'state'
    monkeypatch.delenv('EMNIFY_SIMULATOR_RATE_LIMIT_SCALE', raising=False)
    monkeypatch.setenv('EMNIFY_API_URL', API_URL)
    monkeypatch.setenv('EMNIFY_TOKEN_CACHE_DIR', str(directory))
    settings = {'rate_limit_requests': 50, 'rate_limit_window': 30.0}
    args = {'api_url': None, 'token_cache_dir': None}
    window = _request_window(settings, args)
    assert window.free() == 50
    # Requests a module run paced: the client's pacer records them in the shared ledger.
    client = EmnifyClient(API_URL, 'x' * 32, rate_limit_requests=50, rate_limit_window=30, state_dir=str(directory))
    for _request in range(20):
        client.pacer.acquire('GET', '/api/v1/endpoint/1/sms')
    assert _request_window(settings, args).free() == 30 == window.free()
    assert 29 < window.time_until(31) <= 30 + 0.5 + 0.2
    assert time.time() < window.clock.time() + 1


def test_settings_that_are_not_numbers_leave_the_engine_its_own_count():
    assert _request_window({'rate_limit_requests': 'many', 'rate_limit_window': 30}, {'api_url': None, 'token_cache_dir': None}) is None
