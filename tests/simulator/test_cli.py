# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line: options, lifetime, signals, exit statuses (cli.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from conftest import COLLECTION, TOKEN, Client, start_simulator, wait_for


def run_simulator(args, timeout=20):
    """`python3 -m emnify_sim ARGS` from the collection's root, as docs/simulator.md shows it."""
    return subprocess.run([sys.executable, "-m", "emnify_sim"] + args, cwd=COLLECTION, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, check=False)


def test_lifetime_ends_the_process(tmp_path):
    ready = str(tmp_path / "ready")
    started = time.monotonic()
    done = run_simulator(["--port", "0", "--application-token", TOKEN, "--lifetime", "1.5", "--ready-file", ready, "--quiet"])
    assert done.returncode == 0, done.stderr
    assert 1.4 <= time.monotonic() - started < 10
    url = done.stdout.decode("utf-8").splitlines()[0]
    assert re.match(r"\Ahttp://127\.0\.0\.1:\d+\Z", url)
    assert not os.path.exists(ready)
    assert b"lifetime" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_end_the_process(tmp_path, signum):
    sim = start_simulator(str(tmp_path), ["--endpoints", "2", "--lifetime", "120"])
    try:
        assert sim.log().splitlines()[0] == sim.url
        with open(sim.ready_file, encoding="utf-8") as handle:
            assert handle.read().strip() == sim.url
        assert Client(sim).admin_json("GET", "/health")["ok"] is True
        os.kill(sim.process.pid, signum)
        assert sim.process.wait(10) == 0
        assert not os.path.exists(sim.ready_file)
    finally:
        sim.stop()


@pytest.mark.parametrize("args, message", [
    (["--port", "0"], "--application-token"),
    (["--port", "0", "--application-token", TOKEN, "--tls-cert", "x.pem"], "--tls-cert and --tls-key"),
    (["--port", "0", "--application-token", TOKEN, "--endpoints", "0"], "greater than 0"),
    (["--port", "0", "--application-token", TOKEN, "--rate-limit-scale", "-1"], "greater than 0"),
])
def test_bad_command_lines_are_refused(args, message):
    done = run_simulator(args)
    assert done.returncode == 2
    assert message in done.stderr.decode("utf-8")


@pytest.mark.parametrize("token", ["T", "x" * 15])
def test_a_token_too_short_to_be_an_emnify_token_is_refused(token):
    done = run_simulator(["--port", "0", "--application-token", TOKEN, "--application-token", token])
    assert done.returncode == 2
    assert "--application-token must be at least 16 characters long" in done.stderr.decode("utf-8")


def test_a_busy_port_is_reported(sim_factory):
    sim = sim_factory("--endpoints", "1")
    port = sim.url.rsplit(":", 1)[1]
    done = run_simulator(["--port", port, "--application-token", TOKEN, "--lifetime", "5"])
    assert done.returncode == 1
    assert b"cannot start" in done.stderr


def test_help_lists_every_option():
    done = run_simulator(["--help"])
    assert done.returncode == 0
    text = done.stdout.decode("utf-8")
    for option in ("--host", "--port", "--application-token", "--endpoints", "--latency-ms", "--no-rate-limit", "--seed", "--lifetime",
                   "--rate-limit-scale", "--token-lifetime", "--delivery-seconds", "--reply-seconds", "--tls-cert", "--tls-key",
                   "--ready-file", "--retry-after", "--quiet"):
        assert option in text, option


def test_requests_are_logged_unless_quiet(tmp_path):
    ready = str(tmp_path / "ready")
    command = [sys.executable, "-m", "emnify_sim", "--port", "0", "--application-token", TOKEN, "--lifetime", "30", "--ready-file", ready]
    with open(str(tmp_path / "err"), "wb") as err:
        process = subprocess.Popen(command, cwd=COLLECTION, stdout=subprocess.DEVNULL, stderr=err)  # pylint: disable=consider-using-with
    try:
        wait_for(lambda: os.path.exists(ready))
        with open(ready, encoding="utf-8") as handle:
            url = handle.read().strip()
        assert requests.get(url + "/api/v1/endpoint", timeout=10).status_code == 401
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(10)
    with open(str(tmp_path / "err"), encoding="utf-8") as handle:
        assert '"GET /api/v1/endpoint HTTP/1.1" 401' in handle.read()


def test_the_package_keeps_to_python_3_8_syntax():
    package = os.path.join(COLLECTION, "emnify_sim")
    names = sorted(name for name in os.listdir(package) if name.endswith(".py"))
    assert "__main__.py" in names and "cli.py" in names
    for name in names:
        with open(os.path.join(package, name), encoding="utf-8") as handle:
            ast.parse(handle.read(), name, feature_version=(3, 8))
