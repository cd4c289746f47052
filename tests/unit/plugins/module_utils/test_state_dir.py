# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private state directory: privacy, the fallback, locks, and writes that leave nothing behind.

Boundary: the file system (pytest temporary directories) and real threads standing for two runs.
A failing write is made by ``os.write`` raising ENOSPC, as a full file system does.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import stat
import threading
import time

import pytest

from ansible_collections.emnify.iot.plugins.module_utils import _state_dir
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import StateDir, read_private, write_atomic


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_configured_directory_is_created_private(tmp_path):
    state = StateDir(str(tmp_path / 'state'), fallback=str(tmp_path / 'fallback'))
    assert state.usable and state.directory == str(tmp_path / 'state') and state.warning is None
    assert _mode(str(tmp_path / 'state')) == 0o700
    assert not os.path.exists(str(tmp_path / 'fallback'))


def test_an_open_directory_of_the_user_is_made_private(tmp_path):
    directory = tmp_path / 'open'
    directory.mkdir()
    os.chmod(str(directory), 0o755)
    state = StateDir(str(directory), fallback=str(tmp_path / 'fallback'))
    assert state.directory == str(directory) and _mode(str(directory)) == 0o700


def test_a_directory_under_a_file_falls_back_and_warns_once_naming_both(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text(u'x')
    configured = str(blocker / 'state')
    fallback = str(tmp_path / 'fallback')
    state = StateDir(configured, fallback=fallback)
    assert state.usable and state.directory == fallback
    assert _mode(fallback) == 0o700
    assert configured in state.warning and fallback in state.warning
    assert 'do not coordinate with runs that use' in state.warning
    assert state.path('x.lock') == os.path.join(fallback, 'x.lock')


def test_a_fallback_owned_by_someone_else_is_refused(tmp_path, monkeypatch):
    fallback = tmp_path / 'fallback'
    fallback.mkdir(mode=0o700)
    real_getuid = os.getuid
    # The directory exists and belongs to the real user; the run pretends to be another one.
    monkeypatch.setattr(_state_dir.os, 'getuid', lambda: real_getuid() + 1)
    blocker = tmp_path / 'file'
    blocker.write_text(u'x')
    state = StateDir(str(blocker / 'state'), fallback=str(fallback))
    assert not state.usable and state.directory is None
    assert 'owned by another user' in state.warning
    assert 'can send a part twice' in state.warning


def test_a_symbolic_link_as_fallback_is_refused(tmp_path):
    target = tmp_path / 'elsewhere'
    target.mkdir(mode=0o700)
    link = tmp_path / 'fallback'
    link.symlink_to(target)
    blocker = tmp_path / 'file'
    blocker.write_text(u'x')
    state = StateDir(str(blocker / 'state'), fallback=str(link))
    assert not state.usable
    assert 'not a directory' in state.warning


def test_no_file_locking_falls_back_to_none(tmp_path, monkeypatch):
    monkeypatch.setattr(_state_dir, 'HAS_FCNTL', False)
    state = StateDir(str(tmp_path / 'state'), fallback=str(tmp_path / 'fallback'))
    assert not state.usable and 'file locking is not available' in state.warning
    with state.lock('a.lock') as held:
        assert held is False


def test_lock_excludes_a_second_holder(tmp_path):
    first = StateDir(str(tmp_path / 'state'))
    second = StateDir(str(tmp_path / 'state'))
    order = []

    def other():
        with second.lock('e.lock') as held:
            order.append(('second', held))

    with first.lock('e.lock') as held:
        order.append(('first', held))
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.2)
        order.append('first done')
    thread.join(5)
    assert order == [('first', True), 'first done', ('second', True)]


def test_write_atomic_and_read_private(tmp_path):
    state = StateDir(str(tmp_path / 'state'))
    path = state.path('data.json')
    assert write_atomic(path, b'{"a": 1}') is True
    assert _mode(path) == 0o600
    assert read_private(path) == b'{"a": 1}'
    os.chmod(path, 0o644)
    assert read_private(path) is None


def test_a_full_file_system_leaves_no_temporary_file(tmp_path, monkeypatch):
    state = StateDir(str(tmp_path / 'state'))
    path = state.path('token-x.json')

    def full(_fd, _data):
        raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(_state_dir.os, 'write', full)
    assert write_atomic(path, b'x' * 100) is False
    monkeypatch.undo()
    assert [name for name in os.listdir(state.directory) if name.endswith('.tmp')] == []
    assert not os.path.exists(path)


def test_a_read_only_directory_is_not_used(tmp_path, monkeypatch):
    """A read-only mount: creating the probe file fails with EROFS (simulated, tests may run as root)."""
    real_open = os.open
    configured = str(tmp_path / 'readonly')
    os.mkdir(configured, 0o700)

    def read_only(path, flags, *args):
        if str(path).startswith(configured) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, 'Read-only file system')
        return real_open(path, flags, *args)
    monkeypatch.setattr(_state_dir.os, 'open', read_only)
    state = StateDir(configured, fallback=str(tmp_path / 'fallback'))
    assert state.directory == str(tmp_path / 'fallback')
    assert 'Read-only file system' in state.warning


@pytest.mark.parametrize('names', [('XDG_RUNTIME_DIR',), ()])
def test_default_dir(monkeypatch, tmp_path, names):
    monkeypatch.delenv('XDG_RUNTIME_DIR', raising=False)
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    for name in names:
        monkeypatch.setenv(name, str(tmp_path))
    expected = str(tmp_path) if names else str(tmp_path / 'xdg')
    assert _state_dir.default_dir() == os.path.join(expected, 'emnify.iot')
