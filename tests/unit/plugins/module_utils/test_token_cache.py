# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _token_cache: the private on-disk JWT cache.

Boundary: the file system, in a pytest temporary directory; times are passed explicitly
through the ``now`` arguments. Reuse through two client instances is covered in test_client.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import stat
import time

import pytest

from ansible_collections.emnify.iot.plugins.module_utils._token_cache import (
    FALLBACK_LIFETIME,
    RENEW_MARGIN,
    TokenCache,
    default_cache_dir,
    jwt_expiry,
)

API = 'https://cdn.emnify.net'
APP_TOKEN = 'application-token-0123456789abcdef'
NOW = 1700000000.0


def make_jwt(exp, iat=None):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode('utf-8')).decode('ascii').rstrip('=')
    claims = {'sub': 'user', 'exp': exp}
    if iat is not None:
        claims['iat'] = iat
    return '%s.%s.%s' % (part({'alg': 'HS256', 'typ': 'JWT'}), part(claims), 'c2ln')


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_jwt_expiry_reads_exp():
    assert jwt_expiry(make_jwt(NOW + 604800, NOW), now=NOW) == NOW + 604800


@pytest.mark.parametrize('token', ['None', 'a.b', 'a.%%%.c', '', 'x.eyJleHAiOiJzb29uIn0.y', make_jwt(True)])
def test_jwt_expiry_falls_back_to_240_minutes(token):
    assert jwt_expiry(token, now=NOW) == NOW + FALLBACK_LIFETIME


def test_store_modes_and_content(tmp_path):
    directory = str(tmp_path / 'cache' / 'emnify.iot')
    cache = TokenCache(directory, API, APP_TOKEN)
    token = make_jwt(NOW + 3600)
    assert cache.store(token, now=NOW) is True
    assert _mode(directory) == 0o700
    assert _mode(cache.path) == 0o600
    assert os.path.dirname(cache.path) == directory
    with open(cache.path) as handle:
        content = handle.read()
    assert APP_TOKEN not in content
    assert APP_TOKEN not in cache.path
    assert json.loads(content) == {'auth_token': token, 'exp': NOW + 3600}
    assert os.listdir(directory) == [os.path.basename(cache.path)]


def test_load_until_shortly_before_exp(tmp_path):
    cache = TokenCache(str(tmp_path / 'c'), API, APP_TOKEN)
    token = make_jwt(NOW + 1000)
    cache.store(token, now=NOW)
    assert cache.load(now=NOW) == token
    assert cache.load(now=NOW + 1000 - RENEW_MARGIN - 1) == token
    assert cache.load(now=NOW + 1000 - RENEW_MARGIN) is None
    # An expired entry is removed.
    assert not os.path.exists(cache.path)
    assert cache.load(now=NOW) is None


def test_other_api_url_or_token_uses_another_file(tmp_path):
    directory = str(tmp_path / 'c')
    first = TokenCache(directory, API, APP_TOKEN)
    same = TokenCache(directory, API + '/', APP_TOKEN)
    other_url = TokenCache(directory, 'http://127.0.0.1:8089', APP_TOKEN)
    other_token = TokenCache(directory, API, APP_TOKEN + 'x')
    assert first.path == same.path
    assert len(set([first.path, other_url.path, other_token.path])) == 3
    first.store(make_jwt(NOW + 3600), now=NOW)
    assert same.load(now=NOW) is not None
    assert other_url.load(now=NOW) is None and other_token.load(now=NOW) is None


def test_file_readable_by_others_is_ignored(tmp_path):
    cache = TokenCache(str(tmp_path / 'c'), API, APP_TOKEN)
    cache.store(make_jwt(NOW + 3600), now=NOW)
    os.chmod(cache.path, 0o644)
    assert cache.load(now=NOW) is None


def test_symlink_is_not_followed(tmp_path):
    cache = TokenCache(str(tmp_path / 'c'), API, APP_TOKEN)
    target = tmp_path / 'elsewhere.json'
    target.write_text(json.dumps({'auth_token': make_jwt(NOW + 3600), 'exp': NOW + 3600}))
    os.chmod(str(target), 0o600)
    os.makedirs(cache.directory, 0o700)
    os.symlink(str(target), cache.path)
    assert cache.load(now=NOW) is None


@pytest.mark.parametrize('content', ['', '{', '[]', '{"auth_token": 5, "exp": 1}', '{"auth_token": "t"}', '{"auth_token": "t", "exp": "x"}'])
def test_corrupt_files_are_ignored(tmp_path, content):
    cache = TokenCache(str(tmp_path / 'c'), API, APP_TOKEN)
    os.makedirs(cache.directory, 0o700)
    fd = os.open(cache.path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content.encode('utf-8'))
    os.close(fd)
    assert cache.load(now=NOW) is None


def test_open_directory_is_made_private(tmp_path):
    directory = tmp_path / 'c'
    directory.mkdir()
    os.chmod(str(directory), 0o755)
    cache = TokenCache(str(directory), API, APP_TOKEN)
    assert cache.store(make_jwt(NOW + 3600), now=NOW) is True
    assert _mode(str(directory)) == 0o700


def test_store_failure_is_not_fatal(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('x')
    cache = TokenCache(str(blocker / 'sub'), API, APP_TOKEN)
    assert cache.store(make_jwt(NOW + 3600), now=NOW) is False
    assert cache.load(now=NOW) is None


def test_discard_and_lock(tmp_path):
    cache = TokenCache(str(tmp_path / 'c'), API, APP_TOKEN)
    cache.store(make_jwt(time.time() + 3600))
    cache.lock()
    cache.lock()  # re-entrant for the same instance
    lock_path = cache.path[:-len('.json')] + '.lock'
    assert os.path.exists(lock_path) and _mode(lock_path) == 0o600
    cache.unlock()
    cache.unlock()
    assert cache.load() is not None
    cache.discard()
    cache.discard()
    assert cache.load() is None


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path))
    assert default_cache_dir() == os.path.join(str(tmp_path), 'emnify.iot')
    monkeypatch.setenv('XDG_RUNTIME_DIR', str(tmp_path / 'missing'))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    assert default_cache_dir() == os.path.join(str(tmp_path / 'xdg'), 'emnify.iot')


def test_store_on_a_full_file_system_leaves_no_temporary_file(tmp_path, monkeypatch):
    from ansible_collections.emnify.iot.plugins.module_utils import _state_dir
    directory = str(tmp_path / 'cache')
    cache = TokenCache(directory, API, APP_TOKEN)

    def full(_fd, _data):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(_state_dir.os, 'write', full)
    assert cache.store(make_jwt(NOW + 3600), now=NOW) is False
    monkeypatch.undo()
    assert os.listdir(directory) == []
    assert cache.load(now=NOW) is None
