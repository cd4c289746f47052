# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API callbacks: the api_callback, api_secret and service_profile resources, and the callbacks the simulator
sends to a receiver (callbacks.py), checked with a small HTTP receiver in the test and PyJWT."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from conftest import Client, NO_SMS, OFFLINE, REPLIER, SILENT, wait_for

PROFILE = 438035        # "Example service profile" of the normal endpoints
NO_SMS_PROFILE = 438036
SECRET = "simulator-test-api-secret-" + "0123456789abcdef" * 3


class Receiver:
    """An HTTP server on 127.0.0.1 that records each callback and answers the statuses it is told to."""

    def __init__(self):
        self.requests = []
        self.answers = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass

            def handle_callback(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append({"method": self.command, "path": self.path, "at": time.monotonic(),
                                              "headers": dict(self.headers.items()), "body": json.loads(raw.decode("utf-8"))})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = handle_callback
            do_PATCH = handle_callback

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/emnify" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1})
        self.thread.daemon = True
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self, count, timeout=10.0):
        return wait_for(lambda: len(self.requests) >= count and list(self.requests), timeout)


@pytest.fixture(scope="module")
def callback_sim(sim_factory):
    return sim_factory("--endpoints", "30", "--delivery-seconds", "0.3", "--reply-seconds", "0.2", "--no-rate-limit",
                       "--callback-backoff", "0.3")


@pytest.fixture
def sim(callback_sim):
    api = Client(callback_sim)
    api.admin("POST", "/reset", expect=200)
    return api


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def created_id(response):
    assert response.status_code == 201, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def attach(sim, url, secret=SECRET, profile=PROFILE):
    """Create an API callback (and secret) and attach them to a service profile, as a user does."""
    callback_id = created_id(sim.api("POST", "/api/v1/api_callback", json={"url": url, "purpose": "tests"}))
    body = {"api_callback": {"id": callback_id}}
    if secret is not None:
        secret_id = created_id(sim.api("POST", "/api/v1/api_secret", json={"purpose": "tests", "secret": secret}))
        body["api_secret"] = {"id": secret_id}
    response = sim.api("PATCH", "/api/v1/service_profile/%d" % profile, json=body)
    assert response.status_code == 204, response.text
    return callback_id


def claims(request, secret=SECRET):
    scheme, token = request["headers"]["Authorization"].split(" ", 1)
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    return jwt.decode(token, secret, algorithms=["HS256"])


def inject(sim, endpoint_id, payload, **extra):
    body = dict(extra, payload=payload)
    return sim.admin_json("POST", "/endpoints/%d/mo" % endpoint_id, body, expect=201)


# ---------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------

def test_api_callback_resource(sim):
    callback_id = created_id(sim.api("POST", "/api/v1/api_callback", json={"url": "https://eda.example.net/cb", "purpose": "EDA"}))
    listing = sim.api("GET", "/api/v1/api_callback").json()
    assert [(item["id"], item["url"], item["purpose"], item["organisation_id"]) for item in listing] == [
        (callback_id, "https://eda.example.net/cb", "EDA", "11931")]
    assert time.strptime(listing[0]["created"], "%Y-%m-%d %H:%M:%S")
    assert sim.api("GET", "/api/v1/api_callback/%d" % callback_id).json() == listing[0]
    assert sim.api("DELETE", "/api/v1/api_callback/%d" % callback_id).status_code == 204
    assert sim.api("GET", "/api/v1/api_callback/%d" % callback_id).status_code == 404
    assert sim.api("GET", "/api/v1/api_callback").json() == []


@pytest.mark.parametrize("body, code", [
    ({"purpose": "no url"}, 1402),
    ({"url": "ftp://example.net/cb"}, 1403),
    ({"url": "https://"}, 1403),
    ({"url": 5}, 1403),
    ({"url": "https://example.net", "colour": "red"}, 1403),
    ({"url": "https://example.net", "purpose": 7}, 1403),
])
def test_api_callback_validation(sim, body, code):
    response = sim.api("POST", "/api/v1/api_callback", json=body)
    assert response.status_code == 422
    assert response.json()["error_code"] == 1400
    assert [item["error_code"] for item in response.json()["errors"]] == [code]


def test_api_secret_value_is_shown_once_and_never_listed(sim):
    response = sim.api("POST", "/api/v1/api_secret", json={"purpose": "EDA", "secret": SECRET})
    secret_id = created_id(response)
    assert response.json()["secret"] == SECRET
    generated = sim.api("POST", "/api/v1/api_secret", json={"purpose": "generated"})
    assert len(generated.json()["secret"]) == 64
    listing = sim.api("GET", "/api/v1/api_secret").json()
    assert [item["id"] for item in listing] == [secret_id, created_id(generated)]
    assert all("secret" not in item for item in listing)
    assert "secret" not in sim.api("GET", "/api/v1/api_secret/%d" % secret_id).json()
    assert sim.api("POST", "/api/v1/api_secret", json={"secret": ""}).status_code == 422
    assert sim.api("DELETE", "/api/v1/api_secret/%d" % secret_id).status_code == 204
    assert sim.api("DELETE", "/api/v1/api_secret/%d" % secret_id).status_code == 404


def test_service_profile_attaches_and_detaches(sim):
    profile = sim.api("GET", "/api/v1/service_profile/%d" % PROFILE).json()
    assert (profile["id"], profile["api_callback"], profile["api_secret"]) == (PROFILE, None, None)
    callback_id = attach(sim, "https://eda.example.net/cb")
    profile = sim.api("GET", "/api/v1/service_profile/%d" % PROFILE).json()
    assert profile["api_callback"]["id"] == callback_id and profile["api_callback"]["url"] == "https://eda.example.net/cb"
    assert set(profile["api_secret"]) == {"id", "purpose", "organisation_id", "created"}
    response = sim.api("PATCH", "/api/v1/service_profile/%d" % PROFILE, json={"api_callback": {"id": 999}})
    assert response.status_code == 422 and response.json()["errors"][0]["error_code"] == 1401
    assert sim.api("PATCH", "/api/v1/service_profile/%d" % PROFILE, json={"api_secret": "x"}).status_code == 422
    assert sim.api("PATCH", "/api/v1/service_profile/%d" % PROFILE, json={"name": "x"}).status_code == 422
    assert sim.api("GET", "/api/v1/service_profile/1").status_code == 404
    response = sim.api("PATCH", "/api/v1/service_profile/%d" % PROFILE, json={"api_callback": {"id": None}, "api_secret": {"id": None}})
    assert response.status_code == 204
    profile = sim.api("GET", "/api/v1/service_profile/%d" % PROFILE).json()
    assert (profile["api_callback"], profile["api_secret"]) == (None, None)


def test_deleting_an_attached_callback_detaches_it(sim):
    callback_id = attach(sim, "https://eda.example.net/cb", secret=None)
    assert sim.api("DELETE", "/api/v1/api_callback/%d" % callback_id).status_code == 204
    assert sim.api("GET", "/api/v1/service_profile/%d" % PROFILE).json()["api_callback"] is None


def test_reset_forgets_callbacks_and_secrets(sim):
    attach(sim, "https://eda.example.net/cb")
    sim.admin("POST", "/reset", expect=200)
    assert sim.api("GET", "/api/v1/api_callback").json() == []
    assert sim.api("GET", "/api/v1/api_secret").json() == []
    assert sim.api("GET", "/api/v1/service_profile/%d" % PROFILE).json()["api_callback"] is None


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------

def test_device_sms_is_posted_with_a_signed_jwt(sim, receiver):
    attach(sim, receiver.url)
    sms_id = inject(sim, SILENT, "BOOTED fw=1.2", dest_address="1234")["id"]
    request = receiver.received(1)[0]
    assert (request["method"], request["path"]) == ("POST", "/emnify")
    body = request["body"]
    assert body["id"] == sms_id
    assert body["endpoint"] == {"id": SILENT, "name": "device-0016"}
    assert body["organisation"]["id"] == 11931
    assert (body["payload"], body["dest_address"], body["dcs"], body["pid"]) == ("BOOTED fw=1.2", "1234", 0, 0)
    assert body["source_address"] == sim.admin_json("GET", "/endpoints/%d" % SILENT)["msisdn"]
    assert "multi_part_info" not in body
    token_claims = claims(request)
    assert token_claims["exp"] > time.time()
    with pytest.raises(jwt.InvalidSignatureError):
        claims(request, secret="another-secret-" + "x" * 50)


def test_the_parts_of_a_concatenated_device_sms_are_posted_one_by_one(sim, receiver):
    attach(sim, receiver.url)
    texts = ["a" * 153, "b" * 153, "c" * 20]
    ids = [inject(sim, SILENT, text, udh="050003AA03%02X" % seq)["id"] for seq, text in enumerate(texts, 1)]
    bodies = [request["body"] for request in receiver.received(3)]
    assert [body["id"] for body in bodies] == ids
    assert [body["payload"] for body in bodies] == texts
    assert [body["multi_part_info"] for body in bodies] == [
        {"partno": seq, "total": 3, "identifier": 0xAA} for seq in (1, 2, 3)]


def test_a_device_reply_goes_to_the_callback(sim, receiver):
    attach(sim, receiver.url)
    sim.send_sms(REPLIER, {"payload": "APN,iot.example", "source_address": "4321"})
    posts = wait_for(lambda: [request for request in receiver.requests if request["method"] == "POST"])
    assert (posts[0]["body"]["payload"], posts[0]["body"]["dest_address"]) == ("OK APN", "4321")


def test_a_p2p_device_sms_and_an_endpoint_without_callback_send_nothing(sim, receiver):
    attach(sim, receiver.url)
    inject(sim, SILENT, "to a phone", dest_address="+4917612345678")
    inject(sim, NO_SMS, "other service profile", dest_address="1234")
    inject(sim, SILENT, "marker", dest_address="")
    bodies = [request["body"]["payload"] for request in receiver.received(1)]
    time.sleep(0.5)
    assert bodies == ["marker"] and len(receiver.requests) == 1


def test_delivery_reports_are_patched_with_the_final_status(sim, receiver):
    attach(sim, receiver.url)
    delivered = sim.send_sms(SILENT, {"payload": "STATUS"})
    buffered = sim.send_sms(OFFLINE, {"payload": "STATUS"})
    assert sim.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, buffered)).status_code == 204
    reports = dict((request["body"]["id"], request) for request in receiver.received(2) if request["method"] == "PATCH")
    assert reports[delivered]["body"]["status"] == {"status": "DELIVERED", "id": 4}
    assert reports[delivered]["body"]["endpoint"] == {"id": SILENT, "name": "device-0016"}
    assert reports[delivered]["body"]["final_date"]
    assert reports[buffered]["body"]["status"] == {"status": "CANCELED", "id": 7}
    claims(reports[delivered])


def test_without_a_secret_there_is_no_authorization_header(sim, receiver):
    attach(sim, receiver.url, secret=None)
    inject(sim, SILENT, "unsigned")
    request = receiver.received(1)[0]
    assert "Authorization" not in request["headers"]


def test_a_callback_is_retried_with_a_growing_wait_until_2xx(sim, receiver):
    attach(sim, receiver.url)
    receiver.answers = [503, 500, 401]
    inject(sim, SILENT, "retry me")
    requests = receiver.received(4)
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(requests, requests[1:])]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.55 and gaps[2] >= 1.15  # 0.3 s, doubling
    for request in requests:
        claims(request)  # every attempt is signed
    deliveries = wait_for(lambda: [item for item in sim.admin_json("GET", "/callbacks")["deliveries"] if item["delivered"]])
    assert [attempt["status"] for attempt in deliveries[0]["attempts"]] == [503, 500, 401, 200]
    time.sleep(0.8)
    assert len(receiver.requests) == 4


def test_an_unreachable_receiver_is_retried(sim, receiver):
    receiver.close()
    attach(sim, receiver.url)
    inject(sim, SILENT, "nobody listens")
    delivery = wait_for(lambda: [item for item in sim.admin_json("GET", "/callbacks")["deliveries"] if len(item["attempts"]) >= 2])[0]
    assert delivery["delivered"] is False
    assert all(attempt["status"] is None and attempt["error"] for attempt in delivery["attempts"])


def test_redeliver_sends_a_delivered_callback_again_and_the_log_holds_no_secret(sim, receiver):
    attach(sim, receiver.url)
    inject(sim, SILENT, "twice")
    receiver.received(1)
    first = wait_for(lambda: [item for item in sim.admin_json("GET", "/callbacks")["deliveries"] if item["delivered"]])[0]
    again = sim.admin_json("POST", "/callbacks/%d/redeliver" % first["seq"], expect=201)
    assert again["redelivery_of"] == first["seq"]
    requests = receiver.received(2)
    assert requests[1]["body"] == requests[0]["body"]
    claims(requests[1])
    view = sim.admin("GET", "/callbacks", expect=200).text
    assert SECRET not in view and "Bearer" not in view
    assert sim.admin("POST", "/callbacks/999/redeliver").status_code == 404
