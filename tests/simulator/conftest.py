# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures and helpers of the simulator tests: start the real simulator (python3 -m emnify_sim) on 127.0.0.1 and talk HTTP to it."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import os
import re
import sys
import time

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))  # the directory that holds emnify_sim/
# The simulator's package sits at the collection's root; its unit tests import it from there.
if COLLECTION not in sys.path:
    sys.path.insert(0, COLLECTION)

from emnify_sim import launcher  # noqa: E402 pylint: disable=wrong-import-position

# The recordings of real exchanges with the production API, kept in the repository beside the unit tests.
RECORDINGS = os.path.join(HERE, "..", "unit", "plugins", "module_utils", "fixtures", "emnify-recordings.json")
TOKEN = "sim-test-application-token"
SECOND_TOKEN = "sim-test-second-token"
FLEET_SIZE = 30
ENDPOINT_BASE = 11380000

REPLIER = ENDPOINT_BASE + 3          # index 3: normal, replies
SILENT = ENDPOINT_BASE + 16          # index 16: normal, does not reply
OFFLINE = ENDPOINT_BASE + 10         # index 10: not attached
DISABLED = ENDPOINT_BASE + 11
SIM_SUSPENDED = ENDPOINT_BASE + 12
NO_SIM = ENDPOINT_BASE + 13
NO_SMS = ENDPOINT_BASE + 14

DATE_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000\Z")


def recordings_path():
    """The production recordings kept in the repository, or the file EMNIFY_RECORDINGS names."""
    for path in (os.environ.get("EMNIFY_RECORDINGS", ""), RECORDINGS):
        if path and os.path.isfile(path):
            return os.path.abspath(path)
    raise AssertionError("emnify-recordings.json not found at %s; set EMNIFY_RECORDINGS" % RECORDINGS)


def interactions(recordings, name, method=None, status=None):
    """The recorded exchanges of one recording, by method and status."""
    return [item for item in recordings[name]["interactions"]
            if (method is None or item["method"] == method) and (status is None or item["status"] == status)]


def assert_same_shape(recorded, ours, where="body", nullable=()):
    """Same keys, and the same JSON type per key (a recorded null or a key in `nullable` accepts null or the type)."""
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), "%s: expected an object, got %r" % (where, ours)
        assert set(ours) == set(recorded), "%s: keys differ: missing %s, extra %s" % (
            where, sorted(set(recorded) - set(ours)), sorted(set(ours) - set(recorded)))
        for key in recorded:
            assert_same_shape(recorded[key], ours[key], "%s.%s" % (where, key), nullable)
    elif isinstance(recorded, list):
        assert isinstance(ours, list), "%s: expected a list" % where
        if recorded and ours:
            for index, item in enumerate(ours):
                assert_same_shape(recorded[0], item, "%s[%d]" % (where, index), nullable)
    elif recorded is None or where.rsplit(".", 1)[-1] in nullable:
        if recorded is not None and ours is not None:
            assert type(ours) is type(recorded), "%s: %r is not a %s" % (where, ours, type(recorded).__name__)
    else:
        assert type(ours) is type(recorded), "%s: %r is a %s, recorded %r is a %s" % (
            where, ours, type(ours).__name__, recorded, type(recorded).__name__)


def jwt_payload(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8"))


def start_simulator(state_dir, args, token=TOKEN):
    """A simulator on 127.0.0.1 with a free port and a 600 s lifetime unless `args` give others."""
    args = ["--host", "127.0.0.1", "--application-token", token, "--quiet"] + list(args)
    if "--lifetime" not in args:
        args += ["--lifetime", "600"]
    return launcher.start(state_dir, args)


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


def mo_items(client, endpoint_id):
    return [item for item in client.sms_list(endpoint_id) if item["sms_type"]["id"] == 2]


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
        sim = start_simulator(str(tmp_path_factory.mktemp("sim")), args, **kwargs)
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
