# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the simulator as a process: command line, rate limits, TLS, lifetime and signals."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from conftest import ENDPOINT_BASE, SIMULATOR, Client, SimProcess, wait_for

TOO_MANY = {"error_code": 1105, "error_token": "TooManyRequests"}


def assert_429(response):
    assert response.status_code == 429, response.text
    body = response.json()
    assert dict((key, body[key]) for key in TOO_MANY) == TOO_MANY
    assert isinstance(body["message"], str) and body["message"]


def test_authentications_are_limited_per_scaled_window(sim_factory):
    sim = sim_factory("--endpoints", "3", "--rate-limit-scale", "0.1")  # 100 per 30 s instead of per 300 s
    client = Client(sim)
    limits = client.admin_json("GET", "/limits")
    assert limits["limits"]["authenticate"] == {"kind": "window", "requests": 100, "window_seconds": 30.0}
    assert limits["limits"]["overall"]["requests"] == 2000
    started = time.monotonic()
    for _attempt in range(100):
        client.authenticate()
    response = client.session.post(sim.url + "/api/v1/authenticate", json={"application_token": sim.token})
    if time.monotonic() - started < 30.0:
        assert_429(response)
        assert "Retry-After" not in response.headers
        assert client.stats()["status_429"] == 1
    else:  # a machine this slow spreads the attempts over more than one window
        assert response.status_code in (200, 429)


def _burst(client, path, count):
    """Send ``count`` requests back to back; return the statuses and how long they took."""
    started = time.monotonic()
    statuses = [client.api("GET", path).status_code for _attempt in range(count)]
    return statuses, time.monotonic() - started


def _check_bucket(statuses, elapsed, rate, burst):
    """A token bucket admits at most its burst plus what refilled while the requests ran, never fewer than the burst."""
    admitted = statuses.count(200)
    assert set(statuses) <= {200, 429}
    assert statuses[:burst] == [200] * burst
    assert admitted <= burst + rate * elapsed + 1
    if elapsed < (len(statuses) - burst - 1) / float(rate):
        assert 429 in statuses


def test_endpoint_list_and_get_bursts(sim_factory):
    sim = sim_factory("--endpoints", "3", "--retry-after")
    client = Client(sim)
    client.authenticate()
    statuses, elapsed = _burst(client, "/api/v1/endpoint", 12)
    _check_bucket(statuses, elapsed, 10, 5)
    limited = [response for response in (client.api("GET", "/api/v1/endpoint") for _attempt in range(12)) if response.status_code == 429]
    if limited:
        assert_429(limited[0])
        assert int(limited[0].headers["Retry-After"]) >= 1
    assert client.api("GET", "/api/v1/endpoint/%d/sms" % (ENDPOINT_BASE + 1)).status_code == 200  # other limits are separate
    statuses, elapsed = _burst(client, "/api/v1/endpoint/%d" % (ENDPOINT_BASE + 1), 60)
    _check_bucket(statuses, elapsed, 50, 25)
    time.sleep(0.6)
    assert client.api("GET", "/api/v1/endpoint").status_code == 200


def test_no_rate_limit_switch(sim_factory):
    sim = sim_factory("--endpoints", "3", "--no-rate-limit")
    client = Client(sim)
    assert client.admin_json("GET", "/limits")["enabled"] is False
    client.authenticate()
    assert all(client.api("GET", "/api/v1/endpoint").status_code == 200 for _attempt in range(20))


def test_token_lifetime_option(sim_factory):
    sim = sim_factory("--endpoints", "2", "--token-lifetime", "60")
    client = Client(sim)
    token = client.authenticate()
    body = token.split(".")[1]
    import base64  # pylint: disable=import-outside-toplevel
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8"))
    assert payload["exp"] - payload["iat"] == 60
    client.admin_json("POST", "/clock", {"advance": 61})
    assert client.api("GET", "/api/v1/endpoint", token=token).status_code == 401


def test_latency_option(sim_factory):
    sim = sim_factory("--endpoints", "2", "--latency-ms", "1500")
    client = Client(sim)
    started = time.monotonic()
    client.authenticate()
    assert time.monotonic() - started >= 1.5
    started = time.monotonic()
    client.admin_json("GET", "/health")
    assert time.monotonic() - started < 1.5  # the admin API is not slowed down


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 made with openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "the TLS test needs the openssl command"
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def test_tls(sim_factory, tmp_path):
    cert, key = make_certificate(str(tmp_path))
    sim = sim_factory("--endpoints", "3", "--tls-cert", cert, "--tls-key", key)
    assert sim.url.startswith("https://127.0.0.1:")
    client = Client(sim, verify=cert)
    client.authenticate()
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % (ENDPOINT_BASE + 1), json={"payload": "tls"})
    assert response.status_code == 201
    assert response.headers["Location"].startswith(sim.url + "/api/v1/endpoint/")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url + "/_simulator/health", timeout=10)  # not trusted without the certificate
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sim.url.replace("https", "http") + "/_simulator/health", timeout=10)
    assert client.admin_json("GET", "/health")["ok"] is True


def run_simulator(args, timeout=20):
    return subprocess.run([sys.executable, SIMULATOR] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, check=False)


def test_lifetime_ends_the_process(tmp_path):
    ready = str(tmp_path / "ready")
    started = time.monotonic()
    done = run_simulator(["--port", "0", "--application-token", "t", "--lifetime", "1.5", "--ready-file", ready, "--quiet"])
    assert done.returncode == 0, done.stderr
    assert 1.4 <= time.monotonic() - started < 10
    url = done.stdout.decode("utf-8").splitlines()[0]
    assert re.match(r"\Ahttp://127\.0\.0\.1:\d+\Z", url)
    assert not os.path.exists(ready)
    assert b"lifetime" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_end_the_process(tmp_path, signum):
    sim = SimProcess(str(tmp_path), ["--endpoints", "2", "--lifetime", "120"])
    try:
        assert sim.stdout().splitlines()[0] == sim.url
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
    (["--port", "0", "--application-token", "t", "--tls-cert", "x.pem"], "--tls-cert and --tls-key"),
    (["--port", "0", "--application-token", "t", "--endpoints", "0"], "greater than 0"),
    (["--port", "0", "--application-token", "t", "--rate-limit-scale", "-1"], "greater than 0"),
])
def test_bad_command_lines_are_refused(args, message):
    done = run_simulator(args)
    assert done.returncode == 2
    assert message in done.stderr.decode("utf-8")


def test_a_busy_port_is_reported(sim_factory):
    sim = sim_factory("--endpoints", "1")
    port = sim.url.rsplit(":", 1)[1]
    done = run_simulator(["--port", port, "--application-token", "t", "--lifetime", "5"])
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
    command = [sys.executable, SIMULATOR, "--port", "0", "--application-token", "t", "--lifetime", "30", "--ready-file", ready]
    with open(str(tmp_path / "err"), "wb") as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)  # pylint: disable=consider-using-with
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
