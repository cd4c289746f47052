# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the simulator in the background and stop it again: `python3 -m emnify_sim start|stop STATE_DIR`.

`start STATE_DIR [OPTIONS]` launches `python3 -m emnify_sim OPTIONS` in a session of its own, with `--port 0`
unless a port is given and a random application token unless one is given, waits until it listens, and
writes into STATE_DIR (files readable by the owner only):

  pid    the simulator's process id          url    its base URL (REST API under /api/v1, admin API under /_simulator)
  token  the application token it accepts    env    EMNIFY_SIM_PID, EMNIFY_API_URL and EMNIFY_APPLICATION_TOKEN as
  log    its standard output and error              shell assignments

The simulator still stops by itself when its --lifetime is over. `stop STATE_DIR` signals the process
recorded there (only while it is still a simulator) and waits for it to end.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import secrets
import signal
import subprocess
import sys
import time

PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
STATE_FILES = ("pid", "url", "token", "env", "ready")


class LaunchError(Exception):
    """The simulator did not come up; the message ends with the tail of its log."""


def _write_private(path, text):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def is_simulator(pid):
    """True while `pid` runs a simulator (not a later process that got the same id)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return b"emnify_sim" in handle.read()
    except FileNotFoundError:
        # No /proc on this system (macOS): trust the recorded pid; with /proc, the process is gone.
        return not os.path.isdir("/proc/self")
    except OSError:
        return True


class Launched:
    """A simulator running in the background: pid, url, token, state directory (and the process when we started it)."""

    def __init__(self, state_dir, pid, url, token, process=None):
        self.state_dir = state_dir
        self.pid = pid
        self.url = url
        self.token = token
        self.process = process

    @property
    def log_path(self):
        return os.path.join(self.state_dir, "log")

    @property
    def ready_file(self):
        return os.path.join(self.state_dir, "ready")

    def log(self, last=4000):
        """The end of its standard output and error."""
        try:
            return _read(self.log_path)[-last:]
        except OSError:
            return ""

    def running(self):
        if self.process is not None:
            return self.process.poll() is None
        return is_simulator(self.pid)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout` seconds; returns whether it was still running."""
        if not self.running():
            self._reap()
            return False
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._alive_after_signal():
                return True
            time.sleep(0.05)
        if self._alive_after_signal():
            os.kill(self.pid, signal.SIGKILL)
            self._reap(timeout)
        return True

    def _alive_after_signal(self):
        if self.process is not None:
            return self.process.poll() is None
        try:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return False
        except ChildProcessError:
            pass
        return is_simulator(self.pid)

    def _reap(self, timeout=None):
        if self.process is not None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass


def _has_option(args, name):
    return any(arg == name or arg.startswith(name + "=") for arg in args)


def start(state_dir, args=(), python=None, ready_timeout=READY_TIMEOUT):
    """Start a simulator with these command line options in the background and wait until it listens.

    Returns a Launched; raises LaunchError (after stopping it) when it exits or is not ready in time.
    """
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    for name in STATE_FILES:
        if os.path.exists(os.path.join(state_dir, name)):
            os.unlink(os.path.join(state_dir, name))
    args = list(args)
    if _has_option(args, "--ready-file"):
        raise LaunchError("start writes its own ready file into %s: do not give --ready-file" % state_dir)
    if not _has_option(args, "--port"):
        args += ["--port", "0"]
    token = None
    for index, arg in enumerate(args):
        if arg == "--application-token" and index + 1 < len(args):
            token = args[index + 1]
            break
        if arg.startswith("--application-token="):
            token = arg.split("=", 1)[1]
            break
    if token is None:
        token = secrets.token_urlsafe(24)
        # One argument with "=": a token that starts with "-" would otherwise be taken for an option.
        args += ["--application-token=" + token]
    ready = os.path.join(state_dir, "ready")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(path for path in (PACKAGE_PARENT, env.get("PYTHONPATH")) if path)
    command = [python or sys.executable, "-m", "emnify_sim"] + args + ["--ready-file", ready]
    with open(os.path.join(state_dir, "log"), "wb") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                   env=env, start_new_session=True)
    _write_private(os.path.join(state_dir, "pid"), "%d\n" % process.pid)
    launched = Launched(state_dir, process.pid, None, token, process)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline and process.poll() is None:
        if os.path.exists(ready):
            url = _read(ready).strip()
            if url:
                launched.url = url
                break
        time.sleep(0.05)
    if launched.url is None:
        code = process.poll()
        launched.stop()
        os.unlink(os.path.join(state_dir, "pid"))
        reason = "exited with status %s" % code if code is not None else "not ready after %.0f s" % ready_timeout
        raise LaunchError("the simulator %s:\n%s" % (reason, launched.log()))
    _write_private(os.path.join(state_dir, "url"), launched.url + "\n")
    _write_private(os.path.join(state_dir, "token"), token + "\n")
    _write_private(os.path.join(state_dir, "env"), "EMNIFY_SIM_PID=%d\nEMNIFY_API_URL=%s\nEMNIFY_APPLICATION_TOKEN=%s\n"
                   % (process.pid, launched.url, token))
    return launched


def stop(state_dir):
    """Stop the simulator recorded in state_dir; returns its pid, or None when none was running."""
    path = os.path.join(os.path.abspath(state_dir), "pid")
    try:
        pid = int(_read(path).strip())
    except (OSError, ValueError):
        return None
    os.unlink(path)
    launched = Launched(os.path.abspath(state_dir), pid, None, None)
    return pid if launched.stop() else None


USAGE = """usage: python3 -m emnify_sim start STATE_DIR [SIMULATOR OPTIONS]
       python3 -m emnify_sim stop STATE_DIR
"""


def main(argv):
    """The `start` and `stop` commands; returns the exit status."""
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.stderr.write(USAGE)
        return 2
    action, state_dir, args = argv[0], argv[1], argv[2:]
    if action == "stop":
        if args:
            sys.stderr.write(USAGE)
            return 2
        pid = stop(state_dir)
        if pid is not None:
            print("emnify_sim: pid %d stopped" % pid)
        return 0
    from .cli import build_parser, check_options  # pylint: disable=import-outside-toplevel
    parser = build_parser("python3 -m emnify_sim start STATE_DIR", token_required=False)
    check_options(parser, parser.parse_args(args))
    try:
        launched = start(state_dir, args)
    except LaunchError as exc:
        sys.stderr.write("emnify_sim: %s\n" % exc)
        return 1
    print("emnify_sim: pid %d ready at %s (state in %s)" % (launched.pid, launched.url, launched.state_dir))
    return 0
