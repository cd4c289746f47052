# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reuse of the emnify auth token (a JWT) across the tasks and hosts of a run.

emnify allows 100 authentications per IP in 5 minutes, and every Ansible task runs its
module in a new process, so an in-memory token would mean one authentication per task and
per host. The cache keeps the JWT (never the application token) in a file that only the
current user can read (directory 0700, file 0600), named by a SHA-256 of the API URL and
the application token, until shortly before the JWT's ``exp``. A lock file serialises
authentication, so parallel forks authenticate once and the others read the result.
Files that are not private to the current user are ignored and never read.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import json
import os
import stat
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False

# Renew this many seconds before the JWT's exp.
RENEW_MARGIN = 120
# Lifetime assumed when a JWT carries no readable exp (emnify documents 240 minutes).
FALLBACK_LIFETIME = 240 * 60


def jwt_expiry(token, now=None):
    """The ``exp`` claim of a JWT (no signature check), or now + 240 minutes if unreadable."""
    now = time.time() if now is None else now
    try:
        payload = token.split('.')[1]
        payload += '=' * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode('ascii')).decode('utf-8'))
        exp = claims.get('exp')
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            return float(exp)
    except (IndexError, ValueError, TypeError, UnicodeError, AttributeError):
        pass
    return now + FALLBACK_LIFETIME


def default_cache_dir():
    """``$XDG_RUNTIME_DIR/emnify.iot`` when set (a tmpfs private to the user), else ``~/.cache/emnify.iot``."""
    runtime = os.environ.get('XDG_RUNTIME_DIR')
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, 'emnify.iot')
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'emnify.iot')


def ensure_private_dir(directory):
    """Create ``directory`` with mode 0700, or make sure an existing one is private to the current user (OSError if not)."""
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    info = os.stat(directory)
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(directory, 0o700)
        info = os.stat(directory)
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
            raise OSError('directory %s is not private to the current user' % directory)


class TokenCache:
    """A private on-disk cache of one JWT for one (API URL, application token) pair."""

    def __init__(self, directory, api_url, application_token):
        self.directory = directory
        digest = hashlib.sha256(('%s\0%s' % (api_url.rstrip('/'), application_token)).encode('utf-8')).hexdigest()[:40]
        self.path = os.path.join(directory, 'token-%s.json' % digest)
        self._lock_path = os.path.join(directory, 'token-%s.lock' % digest)
        self._lock_fd = None

    def _ensure_dir(self):
        ensure_private_dir(self.directory)

    def load(self, now=None):
        """The cached JWT if it is private, readable and not about to expire; else None."""
        now = time.time() if now is None else now
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0))
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
                return None
            with os.fdopen(fd, 'r') as handle:
                fd = None
                data = json.load(handle)
        except (OSError, ValueError):
            return None
        finally:
            if fd is not None:
                os.close(fd)
        token = data.get('auth_token') if isinstance(data, dict) else None
        exp = data.get('exp') if isinstance(data, dict) else None
        if not isinstance(token, str) or not isinstance(exp, (int, float)):
            return None
        if exp - RENEW_MARGIN <= now:
            self.discard()
            return None
        return token

    def store(self, token, now=None):
        """Write the JWT atomically into a 0600 file; errors are ignored (the cache is optional)."""
        exp = jwt_expiry(token, now)
        try:
            self._ensure_dir()
            tmp = '%s.%d.tmp' % (self.path, os.getpid())
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_NOFOLLOW', 0), 0o600)
            with os.fdopen(fd, 'w') as handle:
                json.dump({'auth_token': token, 'exp': exp}, handle)
            os.chmod(tmp, 0o600)
            os.rename(tmp, self.path)
        except OSError:
            return False
        return True

    def discard(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def lock(self):
        """Take the authentication lock (blocks while another process authenticates)."""
        if not HAS_FCNTL or self._lock_fd is not None:
            return
        try:
            self._ensure_dir()
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        except OSError:
            self.unlock()

    def unlock(self):
        if self._lock_fd is None:
            return
        try:
            if HAS_FCNTL:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
        except OSError:
            pass
        self._lock_fd = None
