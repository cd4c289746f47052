# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the simulator in the background: `python3 -m emnify_sim start|stop STATE_DIR` (launcher.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import subprocess
import sys
import time

import requests

from conftest import COLLECTION
from emnify_sim import launcher


def emnify_sim(*args):
    return subprocess.run([sys.executable, "-m", "emnify_sim"] + list(args), cwd=COLLECTION, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)


def read(state, name):
    with open(os.path.join(state, name), encoding="utf-8") as handle:
        return handle.read()


def gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not launcher.is_simulator(pid):
            return True
        time.sleep(0.05)
    return False


def test_start_writes_the_state_and_stop_ends_the_process(tmp_path):
    state = str(tmp_path / "sim")
    done = emnify_sim("start", state, "--endpoints", "3", "--lifetime", "120", "--quiet")
    assert done.returncode == 0, done.stderr
    pid = int(read(state, "pid"))
    url = read(state, "url").strip()
    token = read(state, "token").strip()
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":8089"), "start picks a free port"
    assert len(token) >= 24
    assert read(state, "env") == "EMNIFY_SIM_PID=%d\nEMNIFY_API_URL=%s\nEMNIFY_APPLICATION_TOKEN=%s\n" % (pid, url, token)
    for name in ("pid", "url", "token", "env"):
        assert stat.S_IMODE(os.stat(os.path.join(state, name)).st_mode) == 0o600, name
    assert ("ready at %s" % url) in done.stdout.decode("utf-8")
    answer = requests.post(url + "/api/v1/authenticate", json={"application_token": token}, timeout=10)
    assert answer.status_code == 200
    assert launcher.is_simulator(pid)

    done = emnify_sim("stop", state)
    assert done.returncode == 0, done.stderr
    assert "pid %d stopped" % pid in done.stdout.decode("utf-8")
    assert gone(pid)
    assert not os.path.exists(os.path.join(state, "pid"))
    assert not os.path.exists(os.path.join(state, "ready")), "the simulator removes its ready file on exit"
    assert emnify_sim("stop", state).returncode == 0, "stopping twice is harmless"


def test_a_generated_token_that_starts_with_a_dash_is_passed_as_one_argument(tmp_path, monkeypatch):
    # secrets.token_urlsafe draws "-" as the first character once in 64 starts.
    monkeypatch.setattr(launcher.secrets, "token_urlsafe", lambda _size: "-generated-token-with-a-leading-dash")
    sim = launcher.start(str(tmp_path), ["--endpoints", "2", "--lifetime", "60", "--quiet"])
    try:
        assert sim.token == "-generated-token-with-a-leading-dash"
        answer = requests.post(sim.url + "/api/v1/authenticate", json={"application_token": sim.token}, timeout=10)
        assert answer.status_code == 200
    finally:
        assert sim.stop()


def test_start_keeps_a_given_token_and_port_options(tmp_path):
    sim = launcher.start(str(tmp_path), ["--application-token", "my-own-simulator-token", "--endpoints", "2", "--lifetime", "60", "--quiet"])
    try:
        assert sim.token == "my-own-simulator-token" and read(str(tmp_path), "token") == "my-own-simulator-token\n"
        assert requests.post(sim.url + "/api/v1/authenticate", json={"application_token": "my-own-simulator-token"}, timeout=10).status_code == 200
    finally:
        assert sim.stop()
    assert not sim.running()


def test_stop_leaves_a_process_alone_that_is_not_a_simulator(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # pylint: disable=consider-using-with
    try:
        with open(str(tmp_path / "pid"), "w", encoding="utf-8") as handle:
            handle.write("%d\n" % other.pid)
        assert launcher.stop(str(tmp_path)) is None
        assert other.poll() is None
    finally:
        other.kill()
        other.wait(10)


def test_start_reports_a_simulator_that_cannot_listen(tmp_path):
    first = launcher.start(str(tmp_path / "first"), ["--endpoints", "1", "--lifetime", "60", "--quiet"])
    try:
        port = first.url.rsplit(":", 1)[1]
        done = emnify_sim("start", str(tmp_path / "second"), "--port", port, "--lifetime", "60")
        assert done.returncode == 1
        assert "cannot start" in done.stderr.decode("utf-8")
        assert not os.path.exists(str(tmp_path / "second" / "pid"))
    finally:
        first.stop()


def test_start_refuses_bad_options_before_starting(tmp_path):
    done = emnify_sim("start", str(tmp_path), "--endpoints", "0")
    assert done.returncode == 2 and "greater than 0" in done.stderr.decode("utf-8")
    done = emnify_sim("start", str(tmp_path), "--ready-file", "x")
    assert done.returncode == 1 and "ready file" in done.stderr.decode("utf-8")
    assert emnify_sim("start").returncode == 2
    assert not os.path.exists(str(tmp_path / "pid"))
