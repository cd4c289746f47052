# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Coordination between module runs of one user on one controller, through files in a private directory.

Every Ansible task runs its module in a new process, and two playbooks may run at once. Two
things are shared through the directory (mode 0700; the files hold no secret):

- the request ledger (``_pace_ledger``), so that all runs together stay under emnify's rate limit;
- a lock per endpoint, held by ``emnify_sms`` from reading an endpoint's SMS history until its
  sends are done, so that two runs sending the same message to the same endpoint at the same
  time do not both find it missing and both send it.

Runs on different controllers, or as different users, do not see each other's files.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import hashlib
import os

from ansible_collections.emnify.iot.plugins.module_utils._token_cache import ensure_private_dir

# Endpoints share this many lock files (by id modulo), so the directory stays small for any fleet size.
LOCK_STRIPES = 1024

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False


class StateDir:
    """The coordination files for one API URL in ``directory``; every method degrades to no coordination on errors."""

    def __init__(self, directory, api_url):
        self.directory = directory
        self._digest = hashlib.sha256(api_url.rstrip('/').encode('utf-8')).hexdigest()[:40]
        self.problem = None
        try:
            ensure_private_dir(directory)
        except OSError as exc:
            self.problem = str(exc)

    @property
    def usable(self):
        return self.problem is None and HAS_FCNTL

    def ledger_path(self):
        return os.path.join(self.directory, 'pace-%s.json' % self._digest) if self.usable else None

    @contextlib.contextmanager
    def endpoint_lock(self, endpoint_id):
        """Hold the lock of one endpoint (blocking) for the duration of the ``with`` block."""
        if not self.usable:
            yield
            return
        path = os.path.join(self.directory, 'endpoints-%s-%04d.lock' % (self._digest, int(endpoint_id) % LOCK_STRIPES))
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0), 0o600)
        except OSError as exc:
            self.problem = str(exc)
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)


@contextlib.contextmanager
def no_lock(_endpoint_id):
    yield
