# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the simulator tests: start the real simulator as a subprocess on 127.0.0.1 and talk HTTP to it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATOR = os.path.join(HERE, "emnify_sim.py")
# The recordings of real exchanges with the production API, kept in the repository beside the unit tests.
RECORDINGS = os.path.join(HERE, "..", "unit", "plugins", "module_utils", "fixtures", "emnify-recordings.json")
READY_TIMEOUT = 20.0
TOKEN = "sim-test-application-token"
SECOND_TOKEN = "sim-test-second-token"
FLEET_SIZE = 30
ENDPOINT_BASE = 11380000


def recordings_path():
    """The production recordings kept in the repository, or the file EMNIFY_RECORDINGS names."""
    for path in (os.environ.get("EMNIFY_RECORDINGS", ""), RECORDINGS):
        if path and os.path.isfile(path):
            return os.path.abspath(path)
    raise AssertionError("emnify-recordings.json not found at %s; set EMNIFY_RECORDINGS" % RECORDINGS)


class SimProcess:
    """A running simulator: its process, base URL and the application token it accepts."""

    def __init__(self, tmp_dir, args, token=TOKEN):
        self.token = token
        self.ready_file = os.path.join(tmp_dir, "ready")
        self.out_path = os.path.join(tmp_dir, "stdout")
        self.err_path = os.path.join(tmp_dir, "stderr")
        command = [sys.executable, SIMULATOR, "--host", "127.0.0.1", "--port", "0", "--application-token", token,
                   "--ready-file", self.ready_file, "--quiet"] + list(args)
        if "--lifetime" not in args:
            command += ["--lifetime", "600"]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
        self.url = self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("simulator exited with %s: %s" % (self.process.returncode, self.stderr()))
            if os.path.exists(self.ready_file):
                with open(self.ready_file, encoding="utf-8") as handle:
                    text = handle.read().strip()
                if text:
                    return text
            time.sleep(0.05)
        self.stop()
        raise AssertionError("simulator not ready after %ss: %s" % (READY_TIMEOUT, self.stderr()))

    def stderr(self):
        with open(self.err_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-3000:]

    def stdout(self):
        with open(self.out_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self):
        """End this simulator (by its own pid only)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


class Client:
    """A thin HTTP client for the REST and admin APIs of one simulator."""

    def __init__(self, sim, verify=True):
        self.sim = sim
        self.url = sim.url
        self.session = requests.Session()
        self.verify = verify  # given with each request: a CA bundle in the environment would override the session's
        self.token = None

    def authenticate(self, app_token=None):
        response = self.session.post(self.url + "/api/v1/authenticate",
                                     json={"application_token": app_token or self.sim.token}, timeout=10, verify=self.verify)
        assert response.status_code == 200, response.text
        self.token = response.json()["auth_token"]
        return self.token

    def api(self, method, path, token=None, **kwargs):
        """Call /api/v1 (path given from /api/v1 on), authenticating first when no token is held."""
        if token is None:
            token = self.token or self.authenticate()
        headers = dict(kwargs.pop("headers", {}))
        if token is not False:
            headers["Authorization"] = "Bearer " + token
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.url + path, headers=headers, **kwargs)

    def admin(self, method, path, body=None, expect=None):
        response = self.session.request(method, self.url + "/_simulator" + path,
                                        data=None if body is None else json.dumps(body), timeout=10, verify=self.verify)
        if expect is not None:
            assert response.status_code == expect, "%s %s: %s %s" % (method, path, response.status_code, response.text)
        return response

    def admin_json(self, method, path, body=None, expect=200):
        return self.admin(method, path, body, expect).json()

    def send_sms(self, endpoint_id, body, expect=201):
        response = self.api("POST", "/api/v1/endpoint/%d/sms" % endpoint_id, json=body)
        assert response.status_code == expect, response.text
        if expect == 201:
            return int(response.headers["Location"].rsplit("/", 1)[1])
        return response

    def sms_list(self, endpoint_id):
        response = self.api("GET", "/api/v1/endpoint/%d/sms" % endpoint_id)
        assert response.status_code == 200, response.text
        return response.json()

    def sms(self, endpoint_id, sms_id):
        response = self.api("GET", "/api/v1/endpoint/%d/sms/%d" % (endpoint_id, sms_id))
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self):
        return self.admin_json("GET", "/stats")


def wait_for(predicate, timeout=10.0, step=0.05):
    """Poll until predicate() gives something true; return it (fail after timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(step)


@pytest.fixture(scope="session")
def recordings():
    with open(recordings_path(), encoding="utf-8") as handle:
        data = json.load(handle)
    return dict((item["recording"], item) for item in data["recordings"])


@pytest.fixture(scope="session")
def sim_factory(tmp_path_factory):
    """Start extra simulators with their own options; all are stopped at the end of the session."""
    started = []

    def start(*args, **kwargs):
        sim = SimProcess(str(tmp_path_factory.mktemp("sim")), args, **kwargs)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="session")
def main_sim(sim_factory):
    """The shared simulator: 30 endpoints, fast delivery and replies, rate limits off."""
    return sim_factory("--endpoints", str(FLEET_SIZE), "--seed", "7", "--delivery-seconds", "0.3",
                       "--reply-seconds", "0.2", "--no-rate-limit", "--application-token", SECOND_TOKEN)


@pytest.fixture
def client(main_sim):
    """A client of the shared simulator, reset to a fresh state for each test."""
    api = Client(main_sim)
    api.admin("POST", "/reset", expect=200)
    return api
