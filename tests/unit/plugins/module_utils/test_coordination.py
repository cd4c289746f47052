# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coordination files between module runs: the private directory and the per-endpoint locks.

Boundary: the file system (temporary directories) and real threads standing for two runs.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import threading
import time

from ansible_collections.emnify.iot.plugins.module_utils._coordination import LOCK_STRIPES, StateDir

API = 'https://cdn.emnify.net'


def test_directory_is_created_private(tmp_path):
    state = StateDir(str(tmp_path / 'state'), API)
    assert state.usable
    assert stat.S_IMODE(os.stat(str(tmp_path / 'state')).st_mode) == 0o700
    assert state.ledger_path().startswith(str(tmp_path / 'state'))


def test_endpoint_lock_excludes_a_second_holder(tmp_path):
    first = StateDir(str(tmp_path / 'state'), API)
    second = StateDir(str(tmp_path / 'state'), API)
    events = []
    entered = threading.Event()

    def other_run():
        entered.wait(5)
        with second.endpoint_lock(11380001):
            events.append('second in')

    worker = threading.Thread(target=other_run)
    worker.start()
    with first.endpoint_lock(11380001):
        entered.set()
        time.sleep(0.3)
        events.append('first out')
    worker.join(5)
    assert events == ['first out', 'second in']


def test_other_endpoints_are_not_blocked(tmp_path):
    state = StateDir(str(tmp_path / 'state'), API)
    done = []

    def other_endpoint():
        with state.endpoint_lock(11380002):
            done.append(True)

    with state.endpoint_lock(11380001):
        worker = threading.Thread(target=other_endpoint)
        worker.start()
        worker.join(2)
        assert done == [True]


def test_lock_files_stay_few(tmp_path):
    state = StateDir(str(tmp_path / 'state'), API)
    for endpoint_id in range(11380000, 11380000 + 3 * LOCK_STRIPES, 7):
        with state.endpoint_lock(endpoint_id):
            pass
    assert len([name for name in os.listdir(str(tmp_path / 'state')) if name.endswith('.lock')]) <= LOCK_STRIPES


def test_a_directory_that_cannot_be_made_private_disables_coordination(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    state = StateDir(str(blocker / 'state'), API)
    assert not state.usable
    assert state.ledger_path() is None
    with state.endpoint_lock(1):
        pass
