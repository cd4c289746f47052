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
Files that are not private to the current user are ignored and never read. The directory and
its file rules are those of :mod:`._state_dir`.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import time

from ansible_collections.emnify.iot.plugins.module_utils._state_dir import (
    StateUnavailable,
    default_dir,
    digest,
    ensure_private_dir,
    locked,
    read_private,
    remove,
    write_atomic,
)

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
    """The default private directory (see :func:`._state_dir.default_dir`)."""
    return default_dir()


class TokenCache:
    """A private on-disk cache of one JWT for one (API URL, application token) pair in ``directory``."""

    def __init__(self, directory, api_url, application_token):
        self.directory = directory
        name = digest(api_url.rstrip('/'), application_token)
        self.path = os.path.join(directory, 'token-%s.json' % name)
        self._lock_path = os.path.join(directory, 'token-%s.lock' % name)
        self._lock = None

    def load(self, now=None):
        """The cached JWT if it is private, readable and not about to expire; else None."""
        now = time.time() if now is None else now
        raw = read_private(self.path)
        if raw is None:
            return None
        try:
            data = json.loads(raw.decode('utf-8'))
        except (ValueError, UnicodeError):
            return None
        token = data.get('auth_token') if isinstance(data, dict) else None
        exp = data.get('exp') if isinstance(data, dict) else None
        if not isinstance(token, str) or not isinstance(exp, (int, float)):
            return None
        if exp - RENEW_MARGIN <= now:
            self.discard()
            return None
        return token

    def store(self, token, now=None):
        """Write the JWT atomically into a 0600 file; False when it cannot be written (the cache is optional)."""
        exp = jwt_expiry(token, now)
        try:
            ensure_private_dir(self.directory)
        except StateUnavailable:
            return False
        return write_atomic(self.path, json.dumps({'auth_token': token, 'exp': exp}).encode('utf-8'))

    def discard(self):
        remove(self.path)

    def lock(self):
        """Take the authentication lock (blocks while another process authenticates); without it, go on unlocked."""
        if self._lock is not None:
            return
        try:
            ensure_private_dir(self.directory)
            context = locked(self._lock_path)
            context.__enter__()
        except StateUnavailable:
            return
        self._lock = context

    def unlock(self):
        if self._lock is None:
            return
        context, self._lock = self._lock, None
        context.__exit__(None, None, None)
