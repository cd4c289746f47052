# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private state directory shared by the module runs of one user on one controller.

Every Ansible task runs its module in a new process, and two playbooks may run at once. What they
share goes through one directory, private to the user (mode 0700, files 0600, locks with ``flock``):

- the JWT cache (``_token_cache``): one authentication per run instead of one per task;
- the request ledger (``_pace_ledger``): all runs together stay under emnify's rate limits;
- a lock per endpoint, held by ``emnify_sms`` from its history read until its sends are settled;
- the send journal (``_settle``): parts whose outcome is unknown, and parts sent within the settle time.

Every rule about those files lives here: the directory is private or refused, a file that is not private
to the user is never read, a write goes through a temporary file that is removed on any failure (a full
file system leaves nothing behind), locks are ``flock`` on a file in the directory.

When the configured directory cannot be used (it cannot be created, is not writable, sits on a read-only
mount or read-only home, or has no file locking), the runs fall back to a private directory of the user
under the system's temporary directory, ``<tmp>/emnify.iot-<uid>``, which must be owned by the user
(one owned by anybody else is refused, never used). :attr:`StateDir.warning` then says once which directory
is used and what that means; two runs on the controller that both fall back still share their locks.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import errno
import hashlib
import os
import stat
import tempfile

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # pragma: no cover - not POSIX
    HAS_FCNTL = False

_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
# A file that proves the directory takes new files and locks.
PROBE_NAME = 'state.lock'


class StateUnavailable(OSError):
    """The directory or one of its files cannot be used privately; ``str()`` is the reason, naming the path."""

    def __str__(self):
        return self.strerror or OSError.__str__(self)


def digest(*parts):
    """A short stable name part for ``parts`` (an API URL, a token): SHA-256, 40 hex digits."""
    return hashlib.sha256('\0'.join(str(part) for part in parts).encode('utf-8')).hexdigest()[:40]


def default_dir():
    """``$XDG_RUNTIME_DIR/emnify.iot`` when set (a tmpfs private to the user), else ``~/.cache/emnify.iot``."""
    runtime = os.environ.get('XDG_RUNTIME_DIR')
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, 'emnify.iot')
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'emnify.iot')


def fallback_dir():
    """The per-user directory under the system's temporary directory used when the configured one cannot be."""
    return os.path.join(tempfile.gettempdir(), 'emnify.iot-%d' % os.getuid())


def _private(info):
    return info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o077


def ensure_private_dir(directory, follow=True):
    """Create ``directory`` (mode 0700), or make an existing one of the user private; StateUnavailable otherwise.

    With ``follow=False`` (a directory in a place others can write to) a symbolic link is refused.
    """
    try:
        if not os.path.lexists(directory):
            os.makedirs(directory, 0o700, exist_ok=True)
        info = os.stat(directory) if follow else os.lstat(directory)
    except OSError as exc:
        raise StateUnavailable(exc.errno, '%s: %s' % (directory, exc.strerror or exc))
    if not stat.S_ISDIR(info.st_mode):
        raise StateUnavailable(errno.ENOTDIR, '%s is not a directory' % directory)
    if info.st_uid != os.getuid():
        raise StateUnavailable(errno.EPERM, '%s is owned by another user (uid %d)' % (directory, info.st_uid))
    if not _private(info):
        try:
            os.chmod(directory, 0o700)
            info = os.stat(directory)
        except OSError as exc:
            raise StateUnavailable(exc.errno, '%s: %s' % (directory, exc.strerror or exc))
        if not _private(info):
            raise StateUnavailable(errno.EPERM, '%s is not private to the current user' % directory)


def check_private_dir(directory):
    """StateUnavailable unless ``directory`` exists, is owned by the user and closed to others."""
    try:
        info = os.stat(directory)
    except OSError as exc:
        raise StateUnavailable(exc.errno, '%s: %s' % (directory, exc.strerror or exc))
    if not stat.S_ISDIR(info.st_mode) or not _private(info):
        raise StateUnavailable(errno.EPERM, '%s is not private to the current user' % directory)


def open_private(path, create=True):
    """A read/write descriptor on ``path`` (created 0600) in a private directory; StateUnavailable otherwise."""
    check_private_dir(os.path.dirname(path) or '.')
    flags = os.O_RDWR | _NOFOLLOW | (os.O_CREAT if create else 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise StateUnavailable(exc.errno, '%s: %s' % (path, exc.strerror or exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            raise StateUnavailable(errno.EPERM, '%s is not private to the current user' % path)
    except (OSError, StateUnavailable):
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def locked(path, shared=False):
    """Hold ``flock`` on ``path`` (a lock file in a private directory) for the ``with`` block; yields its descriptor."""
    if not HAS_FCNTL:
        raise StateUnavailable(errno.ENOLCK, 'file locking is not available')
    fd = open_private(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except OSError as exc:
            raise StateUnavailable(exc.errno, '%s: cannot lock (%s)' % (path, exc.strerror or exc))
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_private(path):
    """The bytes of ``path`` if it is a regular file private to the user; None if missing, unreadable or not private."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _private(info):
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_atomic(path, data):
    """Replace ``path`` with ``data`` (bytes) through a 0600 temporary file; True when written.

    On any failure (a full file system, a read-only mount) the temporary file is removed and False returned.
    """
    tmp = '%s.%d.tmp' % (path, os.getpid())
    try:
        check_private_dir(os.path.dirname(path) or '.')
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


def remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _usable(directory, follow):
    """Raise StateUnavailable unless ``directory`` is private, takes new files and can lock them."""
    ensure_private_dir(directory, follow=follow)
    with locked(os.path.join(directory, PROBE_NAME), shared=True):
        pass


class StateDir:
    """The resolved private directory: the configured one, else the fallback, else none (``usable`` False).

    ``warning`` is None when the configured directory is used; otherwise it names the directory used (or
    that none could be) and the consequence, for the module to show once.
    """

    def __init__(self, configured=None, fallback=None):
        self.configured = configured or default_dir()
        self.directory = None
        self.warning = None
        self.problem = None
        try:
            _usable(self.configured, follow=True)
            self.directory = self.configured
            return
        except StateUnavailable as exc:
            self.problem = str(exc)
        other = fallback or fallback_dir()
        try:
            if other == self.configured:
                raise StateUnavailable(errno.EINVAL, 'same directory')
            _usable(other, follow=False)
            self.directory = other
            self.warning = ('the state directory %s cannot be used (%s); this run uses %s instead. Runs on this controller that '
                            'fall back to it share the token cache, the request budget, the per-endpoint locks and the send journal '
                            'there, but do not coordinate with runs that use %s: make token_cache_dir (EMNIFY_TOKEN_CACHE_DIR) '
                            'writable to coordinate every run' % (self.configured, self.problem, other, self.configured))
        except StateUnavailable as exc:
            self.warning = ('no private state directory can be used (%s: %s; %s: %s): this run authenticates on its own, paces only '
                            'its own requests and takes no per-endpoint lock and no send journal, so two runs at once to the same '
                            'endpoint can send a part twice; make token_cache_dir (EMNIFY_TOKEN_CACHE_DIR) writable'
                            % (self.configured, self.problem, other, exc))

    @property
    def usable(self):
        return self.directory is not None

    def path(self, name):
        return os.path.join(self.directory, name) if self.directory is not None else None

    @contextlib.contextmanager
    def lock(self, name):
        """Hold the exclusive lock ``name`` for the ``with`` block; yields True, or False when it could not be taken."""
        if self.directory is None:
            yield False
            return
        try:
            context = locked(self.path(name))
            context.__enter__()
        except StateUnavailable:
            yield False
            return
        try:
            yield True
        finally:
            context.__exit__(None, None, None)
