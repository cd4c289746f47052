# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests of the emnify API simulator over HTTP: shapes against production recordings, behaviour, admin API."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import re

import pytest

from conftest import ENDPOINT_BASE, FLEET_SIZE, SECOND_TOKEN, wait_for

DATE_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000\Z")
INT_STRING_FIELDS = ("dlr_status_id", "organisation_id", "retry_count", "dcs", "pid", "endpoint_id", "sim_id",
                     "registered_delivery")
NULL_FIELDS = ("called_party_prefix", "smpp_bind_id", "smpp_dlr_bind_id", "msc")
DATE_FIELDS = ("submit_date", "delivery_date", "expiry_date", "final_date", "retry_date", "last_delivery_attempt")

REPLIER = ENDPOINT_BASE + 3          # index 3: normal, replies
SILENT = ENDPOINT_BASE + 16          # index 16: normal, does not reply
OFFLINE = ENDPOINT_BASE + 10         # index 10: not attached
DISABLED = ENDPOINT_BASE + 11
SIM_SUSPENDED = ENDPOINT_BASE + 12
NO_SIM = ENDPOINT_BASE + 13
NO_SMS = ENDPOINT_BASE + 14


def interactions(recordings, name, method=None, status=None):
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


# authentication ------------------------------------------------------------------------------------------------


def test_missing_token_gets_the_recorded_gateway_401(client, recordings):
    recorded = interactions(recordings, "get_all_devices.yaml", "GET", 401)[0]
    response = client.api("GET", "/api/v1/endpoint", token=False)
    assert response.status_code == 401
    assert response.json() == recorded["body"]
    assert response.headers["x-amzn-ErrorType"] == recorded["headers"]["x-amzn-ErrorType"]
    assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]


@pytest.mark.parametrize("header", ["Bearer None", "Bearer abc.def", "Basic dXNlcjpwYXNz", "Bearer "])
def test_malformed_bearer_gets_the_gateway_401(client, header):
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=False, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"message": "token contains an invalid number of segments"}
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_authenticate_answers_like_production(client, recordings):
    recorded = interactions(recordings, "get_all_devices.yaml", "POST", 200)[0]
    response = client.session.post(client.url + "/api/v1/authenticate", json={"application_token": client.sim.token})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    body = response.json()
    assert list(body) == ["auth_token"]
    payload = jwt_payload(body["auth_token"])
    assert payload["exp"] - payload["iat"] == 604800  # the recording's exp-iat
    assert len(body["auth_token"].split(".")) == 3


def test_every_application_token_given_is_accepted(client):
    assert client.authenticate(SECOND_TOKEN)
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER).status_code == 200


@pytest.mark.parametrize("body", [{"application_token": "wrong"}, {"application_token": ""}, {}, {"username": "x", "password": "y"}])
def test_wrong_application_token_gets_401_with_empty_body(client, body):
    response = client.session.post(client.url + "/api/v1/authenticate", json=body)
    assert response.status_code == 401
    assert response.content == b""
    assert client.stats()["authentications_failed"] == 1


def test_a_token_with_a_bad_signature_is_refused(client):
    token = client.authenticate()
    head, payload, signature = token.split(".")
    forged = head + "." + payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=forged)
    assert response.status_code == 401
    assert response.json() == {"message": "signature is invalid"}


def test_a_token_expires_on_the_simulated_clock(client):
    token = client.authenticate()
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=token).status_code == 200
    client.admin_json("POST", "/clock", {"advance": 604801})
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=token)
    assert response.status_code == 401
    assert response.json() == {"message": "Token is expired"}
    fresh = client.authenticate()
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=fresh).status_code == 200


# shapes against the recordings ---------------------------------------------------------------------------------


def test_endpoint_list_matches_the_recorded_shape(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_service_profile.yaml", "GET", 200)[0]
    with_sim = [item for name in recordings for item in interactions(recordings, name, "GET", 200)
                if item["path"] == "/api/v1/endpoint" for item in item["body"] if "sim" in item]
    response = client.api("GET", "/api/v1/endpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    for header in ("X-Count-Per-Page", "X-Current-Page", "X-Sort", "X-Total-Count", "X-Total-Pages"):
        assert header in recorded["headers"]
        assert response.headers[header] == {"X-Count-Per-Page": "1000", "X-Current-Page": "1", "X-Sort": "id",
                                            "X-Total-Count": str(FLEET_SIZE), "X-Total-Pages": "1"}[header]
    items = response.json()
    assert [item["id"] for item in items] == list(range(ENDPOINT_BASE + 1, ENDPOINT_BASE + FLEET_SIZE + 1))
    no_sim = recorded["body"][0]
    sim_shapes = [item["sim"] for item in with_sim]
    for item in items:
        if "sim" in item:
            reference = dict(no_sim)
            reference["sim"] = [shape for shape in sim_shapes if set(shape) == set(item["sim"])][0]
            assert_same_shape(reference, item, "endpoint %d" % item["id"], nullable=("imei",))
        else:
            assert item["id"] == NO_SIM
            assert_same_shape(no_sim, item, "endpoint %d" % item["id"], nullable=("imei",))
        for key in ("created", "last_updated"):
            assert DATE_RE.match(item[key])


def test_endpoint_details_have_the_list_shape(client):
    listed = dict((item["id"], item) for item in client.api("GET", "/api/v1/endpoint").json())
    for endpoint_id in (REPLIER, NO_SIM, DISABLED):
        response = client.api("GET", "/api/v1/endpoint/%d" % endpoint_id)
        assert response.status_code == 200
        assert response.json() == listed[endpoint_id]


def test_unknown_endpoint_gets_the_recorded_404(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_device_id.yaml", "PATCH", 404)[0]
    for path in ("/api/v1/endpoint/-1", "/api/v1/endpoint/-1/sms"):
        response = client.api("GET", path)
        assert response.status_code == 404
        assert response.json() == recorded["body"]
        assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    response = client.api("POST", "/api/v1/endpoint/99999999/sms", json={"payload": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == "Endpoint with Id '99999999' not found."


def test_non_numeric_id_gets_the_recorded_400(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_device_id.yaml", "PATCH", 400)[0]
    response = client.api("GET", "/api/v1/endpoint/None")
    assert response.status_code == 400
    assert response.json() == recorded["body"]
    response = client.api("GET", "/api/v1/endpoint/%d/sms/abc" % REPLIER)
    assert response.status_code == 400
    assert response.json()["error_token"] == "BadRequest"


def test_sms_post_answers_201_with_an_empty_body_and_an_absolute_location(client, recordings):
    recorded = interactions(recordings, "send_sms_to_device.yaml", "POST", 201)[0]
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % REPLIER, json=recorded["request_body"])
    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    match = re.match(r"\A%s/api/v1/endpoint/%d/sms/(\d+)\Z" % (re.escape(client.url), REPLIER), response.headers["Location"])
    assert match, response.headers["Location"]
    assert re.match(r"\Ahttps://[^/]+/api/v1/endpoint/\d+/sms/\d+\Z", recorded["headers"]["Location"])
    assert client.sms(REPLIER, int(match.group(1)))["payload"] == "sample_test_payload"


def test_sms_list_and_details_match_the_recorded_shape(client, recordings):
    recorded = interactions(recordings, "get_all_device_sms.yaml", "GET", 200)[0]
    sample = recorded["body"][0]
    client.send_sms(REPLIER, {"payload": "qwe", "source_address": "EMnify", "source_address_type": {"id": 208}})
    client.send_sms(OFFLINE, {"payload": "buffered"})
    for endpoint_id in (REPLIER, OFFLINE):
        response = client.api("GET", "/api/v1/endpoint/%d/sms" % endpoint_id)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
        assert "X-Total-Count" not in response.headers
        items = response.json()
        assert len(items) == 1
        for item in items:
            assert_same_shape(sample, item, "sms %s" % item["id"], nullable=DATE_FIELDS + ("gsm_map_error",))
            assert list(item) == list(sample), "key order differs from the recording"
            for key in INT_STRING_FIELDS:
                assert isinstance(item[key], str) and item[key].isdigit(), key
            for key in NULL_FIELDS:
                assert item[key] is None, key
            assert item["udh"] == ""
            assert isinstance(item["id"], int)
            assert item["endpoint_id"] == str(endpoint_id)
            assert item["p2p_ext"] == 0
            for key in DATE_FIELDS:
                assert item[key] is None or DATE_RE.match(item[key]), (key, item[key])
            assert client.sms(endpoint_id, item["id"]) == item


def test_an_alphanumeric_sender_is_shown_like_the_recording(client, recordings):
    sample = interactions(recordings, "get_all_device_sms.yaml", "GET", 200)[0]["body"][0]
    sms_id = client.send_sms(SILENT, {"payload": "qwe", "source_address": "EMnify", "source_address_type": {"id": 208}})
    item = client.sms(SILENT, sms_id)
    for key in ("source_address", "source_address_type", "sms_type", "esme_interface_type", "dcs", "pid", "udh", "imsi"):
        assert item[key] == sample[key], key
    default = client.sms(SILENT, client.send_sms(SILENT, {"payload": "x"}))
    assert default["source_address"] == ""
    assert default["source_address_type"] == {"description": "National", "id": 161}


# validation ----------------------------------------------------------------------------------------------------

BAD_BODIES = [
    ("missing payload", {}),
    ("empty payload", {"payload": ""}),
    ("payload not a string", {"payload": 5}),
    ("161 GSM septets", {"payload": "a" * 161}),
    ("81 euro signs", {"payload": u"\u20ac" * 81}),
    ("non-GSM character with dcs 0", {"payload": u"\u00e7a va"}),
    ("71 UCS-2 units", {"payload": u"\u0436" * 71, "dcs": 8}),
    ("36 emoji", {"payload": u"\U0001F600" * 36, "dcs": 8}),
    ("154 septets with an 8-bit UDH", {"payload": "a" * 154, "udh": "050003CC0201"}),
    ("153 septets with a 16-bit UDH", {"payload": "a" * 153, "udh": "060804F42E0201"}),
    ("68 units with a UDH", {"payload": u"\u0436" * 68, "dcs": 8, "udh": "050003CC0201"}),
    ("141 octets of 8-bit data", {"payload": "a" * 141, "dcs": 4}),
    ("udh odd digits", {"payload": "x", "udh": "05000"}),
    ("udh not hex", {"payload": "x", "udh": "05000ZCC0201"}),
    ("udh wrong length octet", {"payload": "x", "udh": "060003CC0201"}),
    ("udh sequence 0", {"payload": "x", "udh": "050003CC0200"}),
    ("udh sequence beyond total", {"payload": "x", "udh": "050003CC0203"}),
    ("dcs out of range", {"payload": "x", "dcs": 256}),
    ("dcs a string", {"payload": "x", "dcs": "0"}),
    ("sender of 22 digits", {"payload": "x", "source_address": "1" * 22}),
    ("alphanumeric sender of 12", {"payload": "x", "source_address": "ABCDEFGHIJKL", "source_address_type": {"id": 208}}),
    ("alphanumeric sender without type", {"payload": "x", "source_address": "EMnify"}),
    ("alphanumeric sender typed national", {"payload": "x", "source_address": "EMnify", "source_address_type": {"id": 161}}),
    ("unknown sender type", {"payload": "x", "source_address_type": {"id": 1}}),
    ("expiry not a date", {"payload": "x", "expiry_date": "tomorrow"}),
    ("expiry impossible date", {"payload": "x", "expiry_date": "2031-02-30T10:00:00Z"}),
    ("expiry in the past", {"payload": "x", "expiry_date": "2001-01-01T00:00:00Z"}),
    ("unknown field", {"payload": "x", "priority": 1}),
]


@pytest.mark.parametrize("body", [case[1] for case in BAD_BODIES], ids=[case[0] for case in BAD_BODIES])
def test_invalid_sms_bodies_get_422(client, body, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_service_profile.yaml", "PATCH", 422)[0]
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % REPLIER, json=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert_same_shape(recorded["body"], data, "422")
    assert data["error_code"] == 1400 and data["error_token"] == "InputValidationFailed"
    assert data["errors"]
    for item in data["errors"]:
        assert item["error_code"] in (1402, 1403) and item["error_token"] in ("Required", "InvalidFormat") and item["message"]
    assert client.stats()["sms_posted"] == 0
    assert client.admin_json("GET", "/sms?endpoint_id=%d" % REPLIER) == []


GOOD_BODIES = [
    ("160 GSM septets", {"payload": "a" * 160}),
    ("80 euro signs", {"payload": u"\u20ac" * 80}),
    ("greek capitals", {"payload": u"\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e"}),
    ("70 UCS-2 units", {"payload": u"\u0436" * 70, "dcs": 8}),
    ("35 emoji", {"payload": u"\U0001F600" * 35, "dcs": 8}),
    ("UCS-2 with class bits", {"payload": u"\u00e7a va", "dcs": 0x18}),
    ("153 septets with an 8-bit UDH", {"payload": "a" * 153, "udh": "050003CC0201"}),
    ("152 septets with a 16-bit UDH", {"payload": "a" * 152, "udh": "060804F42E0201"}),
    ("67 units with a UDH", {"payload": u"\u0436" * 67, "dcs": 8, "udh": "050003CC0201"}),
    ("140 octets of 8-bit data", {"payload": "a" * 140, "dcs": 4}),
    ("international sender", {"payload": "x", "source_address": "+4915112345678", "source_address_type": {"id": 145}}),
    ("alphanumeric sender of 11", {"payload": "x", "source_address": "ABCDEFGHIJK", "source_address_type": {"id": 208}}),
    ("expiry with Z", {"payload": "x", "expiry_date": "2099-01-01T00:00:00Z"}),
    ("expiry with offset", {"payload": "x", "expiry_date": "2099-01-01T00:00:00.000+0200"}),
    ("dest address", {"payload": "x", "dest_address": "callback-1"}),
]


@pytest.mark.parametrize("body", [case[1] for case in GOOD_BODIES], ids=[case[0] for case in GOOD_BODIES])
def test_valid_sms_bodies_are_stored_as_sent(client, body):
    sms_id = client.send_sms(SILENT, body)
    stored = client.sms(SILENT, sms_id)
    assert stored["payload"] == body["payload"]
    assert stored["udh"] == body.get("udh", "")
    assert stored["dcs"] == str(body.get("dcs", 0))
    raw = client.admin_json("GET", "/sms?endpoint_id=%d" % SILENT)
    assert [item["id"] for item in raw] == [sms_id]
    assert raw[0]["dest_address"] == body.get("dest_address")


def test_expiry_date_sets_the_expiry(client):
    sms_id = client.send_sms(SILENT, {"payload": "x", "expiry_date": "2099-01-01T02:00:00+02:00"})
    assert client.sms(SILENT, sms_id)["expiry_date"] == "2099-01-01T00:00:00.000+0000"


def test_malformed_json_gets_400(client):
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % REPLIER, data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error_code"] == 1000
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % REPLIER, json=["payload"])
    assert response.status_code == 400


@pytest.mark.parametrize("endpoint_id", [DISABLED, SIM_SUSPENDED, NO_SIM, NO_SMS])
def test_endpoints_that_cannot_receive_sms_get_409(client, endpoint_id, recordings):
    recorded = interactions(recordings, "test_add_blacklist_operator_error.yaml", "PUT", 409)[0]
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % endpoint_id, json={"payload": "INTERVAL,300"})
    assert response.status_code == 409
    assert_same_shape(recorded["body"], response.json(), "409")
    assert str(endpoint_id) in response.json()["message"]
    assert client.stats()["sms_posted"] == 0


# lists, paging and filters -------------------------------------------------------------------------------------


def test_paging_covers_every_endpoint_once(client):
    seen = []
    for page in range(1, 6):
        response = client.api("GET", "/api/v1/endpoint", params={"page": page, "per_page": 7})
        assert response.status_code == 200
        assert response.headers["X-Total-Pages"] == "5"
        assert response.headers["X-Total-Count"] == str(FLEET_SIZE)
        assert response.headers["X-Current-Page"] == str(page)
        assert response.headers["X-Count-Per-Page"] == "7"
        seen.extend(item["id"] for item in response.json())
    assert seen == list(range(ENDPOINT_BASE + 1, ENDPOINT_BASE + FLEET_SIZE + 1))
    beyond = client.api("GET", "/api/v1/endpoint", params={"page": 9, "per_page": 7})
    assert beyond.headers["X-Current-Page"] == "5"
    assert [item["id"] for item in beyond.json()] == seen[28:]


@pytest.mark.parametrize("params", [{"per_page": 0}, {"per_page": 1001}, {"page": "x"}, {"q": "colour:red"}, {"q": "name"}])
def test_bad_list_parameters_get_422(client, params):
    response = client.api("GET", "/api/v1/endpoint", params=params)
    assert response.status_code == 422
    assert response.json()["error_code"] == 1301


def test_bad_sort_gets_422(client):
    response = client.api("GET", "/api/v1/endpoint", params={"sort": "colour"})
    assert response.status_code == 422
    assert response.json()["error_code"] == 1302


def test_sort_descending(client):
    response = client.api("GET", "/api/v1/endpoint", params={"sort": "-id", "per_page": 3})
    assert response.headers["X-Sort"] == "-id"
    assert [item["id"] for item in response.json()] == [ENDPOINT_BASE + FLEET_SIZE - offset for offset in range(3)]


def test_name_filter_matches_substrings(client):
    items = client.api("GET", "/api/v1/endpoint", params={"q": "name:device-0007"}).json()
    assert [item["name"] for item in items] == ["device-0007"]
    items = client.api("GET", "/api/v1/endpoint", params={"q": "name:DEVICE-000"}).json()
    assert [item["name"] for item in items] == ["device-%04d" % index for index in range(1, 10)]


def test_tag_and_status_filters(client):
    fleet = client.admin_json("GET", "/fleet")
    meters = client.api("GET", "/api/v1/endpoint", params={"q": "tags:meter"}).json()
    assert [item["id"] for item in meters] == [item["id"] for item in fleet if item["tags"] == "fleet,meter"]
    assert meters and all(item["tags"] == "fleet,meter" for item in meters)
    disabled_meters = client.api("GET", "/api/v1/endpoint", params={"q": "tags:meter,status:1"}).json()
    assert [item["id"] for item in disabled_meters] == [DISABLED]
    both = client.api("GET", "/api/v1/endpoint", params={"q": "tags:fleet,meter"})
    assert [item["id"] for item in both.json()] == [item["id"] for item in meters]
    assert client.api("GET", "/api/v1/endpoint", params={"q": "tags:nothing"}).json() == []


def test_iccid_filter_on_endpoints_and_imsi_msisdn_filters_on_sims(client):
    device = [item for item in client.admin_json("GET", "/fleet") if item["id"] == ENDPOINT_BASE + 7][0]
    by_iccid = client.api("GET", "/api/v1/endpoint", params={"q": "iccid:" + device["iccid"]}).json()
    assert [item["id"] for item in by_iccid] == [device["id"]]
    for field in ("imsi", "msisdn", "iccid"):
        response = client.api("GET", "/api/v1/sim", params={"q": "%s:%s" % (field, device[field])})
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "1"
        sims = response.json()
        assert [sim[field] for sim in sims] == [device[field]]
        assert sims[0]["endpoint"]["id"] == device["id"] and sims[0]["endpoint"]["name"] == device["name"]
    every = client.api("GET", "/api/v1/sim").json()
    assert len(every) == FLEET_SIZE - 1  # index 13 has no SIM
    for sim in every:
        for key in ("iccid", "imsi", "msisdn"):
            assert isinstance(sim[key], str) and sim[key].isdigit()


def test_fleet_roles(client):
    fleet = dict((item["id"], item) for item in client.admin_json("GET", "/fleet"))
    assert len(fleet) == FLEET_SIZE
    assert fleet[ENDPOINT_BASE + 1]["name"] == "device-0001"
    assert fleet[ENDPOINT_BASE + 1]["tags"] == "fleet,tracker"
    assert fleet[ENDPOINT_BASE + 2]["tags"] == "fleet,meter"
    assert fleet[ENDPOINT_BASE + 3]["tags"] == "fleet,gateway"
    assert fleet[OFFLINE]["roles"] == ["offline"] and fleet[ENDPOINT_BASE + 20]["roles"] == ["offline"]
    assert fleet[DISABLED]["roles"] == ["disabled"]
    assert fleet[SIM_SUSPENDED]["roles"] == ["sim_suspended"]
    assert fleet[NO_SIM]["roles"] == ["no_sim"] and fleet[NO_SIM]["iccid"] is None
    assert fleet[NO_SMS]["roles"] == ["no_sms"]
    for index in range(1, 10):
        assert fleet[ENDPOINT_BASE + index]["roles"] == [] and fleet[ENDPOINT_BASE + index]["replies"]
    assert not fleet[SILENT]["replies"]
    identifiers = [item[key] for item in fleet.values() for key in ("iccid", "imsi", "msisdn") if item[key]]
    assert len(identifiers) == len(set(identifiers))


def test_the_fleet_depends_on_the_seed_only(client, sim_factory):
    other = sim_factory("--endpoints", "5", "--seed", "7")
    again = sim_factory("--endpoints", "5", "--seed", "8")
    first = client.admin_json("GET", "/fleet")[:5]
    from conftest import Client  # pylint: disable=import-outside-toplevel
    assert Client(other).admin_json("GET", "/fleet") == first
    assert Client(again).admin_json("GET", "/fleet") != first


# SMS lifecycle and device replies --------------------------------------------------------------------------------


def test_an_sms_to_a_reachable_device_is_delivered(client):
    sms_id = client.send_sms(SILENT, {"payload": "STATUS"})
    done = wait_for(lambda: client.sms(SILENT, sms_id)["status"]["id"] == 4 and client.sms(SILENT, sms_id))
    assert done["status"] == {"description": "DELIVERED", "id": 4}
    assert DATE_RE.match(done["final_date"])
    assert done["dlr_status_id"] == "4"


def test_delivery_goes_through_pending_and_in_progress(sim_factory):
    from conftest import Client  # pylint: disable=import-outside-toplevel
    slow = Client(sim_factory("--endpoints", "3", "--delivery-seconds", "600"))
    sms_id = slow.send_sms(ENDPOINT_BASE + 1, {"payload": "STATUS"})
    first = slow.sms(ENDPOINT_BASE + 1, sms_id)
    assert first["status"] == {"description": "DELIVERY ATTEMPT PENDING", "id": 1}
    assert first["final_date"] is None and first["dlr_status_id"] == "1"
    slow.admin_json("POST", "/clock", {"advance": 301})
    assert slow.sms(ENDPOINT_BASE + 1, sms_id)["status"] == {"description": "IN PROGRESS", "id": 2}
    assert slow.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (ENDPOINT_BASE + 2, sms_id)).status_code == 404
    slow.admin_json("POST", "/clock", {"advance": 300})
    done = slow.sms(ENDPOINT_BASE + 1, sms_id)
    assert done["status"]["id"] == 4 and done["final_date"] is not None


def test_an_sms_to_an_offline_device_stays_buffered_then_expires(client):
    sms_id = client.send_sms(OFFLINE, {"payload": "STATUS"})
    buffered = client.sms(OFFLINE, sms_id)
    assert buffered["status"] == {"description": "BUFFERED", "id": 3}
    client.admin_json("POST", "/clock", {"advance": 3600})
    later = client.sms(OFFLINE, sms_id)
    assert later["status"]["id"] == 3 and int(later["retry_count"]) > 0
    client.admin_json("POST", "/clock", {"advance": 86400})
    expired = client.sms(OFFLINE, sms_id)
    assert expired["status"] == {"description": "EXPIRED", "id": 6}
    assert expired["final_date"] == expired["expiry_date"]
    assert expired["gsm_map_error"] is not None


def test_a_device_coming_online_gets_its_buffered_sms(client):
    sms_id = client.send_sms(OFFLINE, {"payload": "STATUS"})
    view = client.admin_json("PATCH", "/endpoints/%d" % OFFLINE, {"online": True})
    assert view["online"] is True and "offline" not in view["roles"]
    wait_for(lambda: client.sms(OFFLINE, sms_id)["status"]["id"] == 4)
    client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"online": False})
    second = client.send_sms(SILENT, {"payload": "STATUS"})
    assert client.sms(SILENT, second)["status"]["id"] == 3


def test_cancel_answers_204_then_409(client, recordings):
    recorded_409 = interactions(recordings, "test_add_blacklist_operator_error.yaml", "PUT", 409)[0]["body"]
    sms_id = client.send_sms(OFFLINE, {"payload": "STATUS"})
    response = client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, sms_id))
    assert response.status_code == 204 and response.content == b""
    canceled = client.sms(OFFLINE, sms_id)
    assert canceled["status"] == {"description": "CANCELED", "id": 7}
    assert canceled["final_date"] is None and canceled["dlr_status_id"] == "1"
    again = client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, sms_id))
    assert again.status_code == 409
    assert_same_shape(recorded_409, again.json(), "409")
    delivered = client.send_sms(SILENT, {"payload": "x"})
    wait_for(lambda: client.sms(SILENT, delivered)["status"]["id"] == 4)
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (SILENT, delivered)).status_code == 409
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (SILENT, 1)).status_code == 404
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, delivered)).status_code == 404
    assert client.stats()["sms_canceled"] == 1


def mo_items(client, endpoint_id):
    return [item for item in client.sms_list(endpoint_id) if item["sms_type"]["id"] == 2]


@pytest.mark.parametrize("command, reply", [("APN,iot.example", "OK APN"), ("STATUS", "OK STATUS"), ("SERVER mqtt", "OK SERVER"),
                                            ("RESET:1", "OK RESET")])
def test_a_replying_device_answers_each_command(client, command, reply):
    sms_id = client.send_sms(REPLIER, {"payload": command})
    items = wait_for(lambda: mo_items(client, REPLIER))
    assert [item["payload"] for item in items] == [reply]
    mo = items[0]
    assert mo["sms_type"] == {"description": "MO", "id": 2}
    assert mo["id"] > sms_id
    listing = client.sms_list(REPLIER)
    assert [item["id"] for item in listing] == [mo["id"], sms_id]  # newest first
    assert client.sms(REPLIER, mo["id"]) == mo


def test_a_two_part_command_gets_one_reply_after_both_parts(client):
    client.send_sms(REPLIER, {"payload": "FW,http://example.com/" + "a" * 120, "udh": "050003AB0201"})
    wait_for(lambda: all(item["status"]["id"] == 4 for item in client.sms_list(REPLIER)))
    client.admin_json("POST", "/clock", {"advance": 5})
    assert mo_items(client, REPLIER) == []
    client.send_sms(REPLIER, {"payload": "b" * 20, "udh": "050003AB0202"})
    items = wait_for(lambda: mo_items(client, REPLIER))
    assert [item["payload"] for item in items] == ["OK FW"]
    client.admin_json("POST", "/clock", {"advance": 5})
    assert len(mo_items(client, REPLIER)) == 1


def test_silent_devices_and_alphanumeric_senders_get_no_reply(client):
    silent = client.send_sms(SILENT, {"payload": "STATUS"})
    one_way = client.send_sms(REPLIER, {"payload": "STATUS", "source_address": "Ops", "source_address_type": {"id": 208}})
    wait_for(lambda: client.sms(SILENT, silent)["status"]["id"] == 4 and client.sms(REPLIER, one_way)["status"]["id"] == 4)
    client.admin_json("POST", "/clock", {"advance": 10})
    assert mo_items(client, SILENT) == [] and mo_items(client, REPLIER) == []


def test_reply_text_and_replies_switch(client):
    client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"replies": True, "reply_text": u"ACK \u0436"})
    client.send_sms(SILENT, {"payload": "STATUS"})
    items = wait_for(lambda: mo_items(client, SILENT))
    assert items[0]["payload"] == u"ACK \u0436" and items[0]["dcs"] == "8"
    client.admin_json("PATCH", "/endpoints/%d" % REPLIER, {"replies": False})
    sms_id = client.send_sms(REPLIER, {"payload": "STATUS"})
    wait_for(lambda: client.sms(REPLIER, sms_id)["status"]["id"] == 4)
    client.admin_json("POST", "/clock", {"advance": 10})
    assert mo_items(client, REPLIER) == []


def test_admin_patch_can_disable_and_suspend(client):
    view = client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"status": 1})
    assert view["roles"] == ["disabled"]
    assert client.api("GET", "/api/v1/endpoint/%d" % SILENT).json()["status"] == {"id": 1, "description": "Disabled"}
    client.send_sms(SILENT, {"payload": "x"}, expect=409)
    view = client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"status": 0, "sim_status": 2})
    assert view["roles"] == ["sim_suspended"]
    client.send_sms(SILENT, {"payload": "x"}, expect=409)
    assert client.admin("PATCH", "/endpoints/%d" % NO_SIM, {"sim_status": 1}).status_code == 409
    assert client.admin("PATCH", "/endpoints/%d" % SILENT, {"colour": "red"}).status_code == 400
    assert client.admin("PATCH", "/endpoints/%d" % SILENT, {"status": 7}).status_code == 400
    assert client.admin("PATCH", "/endpoints/1", {"online": True}).status_code == 404


# MO injection ----------------------------------------------------------------------------------------------------


def test_mo_injection_now_and_delayed(client):
    now = client.admin_json("POST", "/endpoints/%d/mo" % SILENT, {"payload": "STATUS OK fw=1.4.2"}, expect=201)
    assert isinstance(now["id"], int)
    items = mo_items(client, SILENT)
    assert [item["id"] for item in items] == [now["id"]]
    assert items[0]["payload"] == "STATUS OK fw=1.4.2" and items[0]["dcs"] == "0"
    later = client.admin_json("POST", "/endpoints/%d/mo" % SILENT, {"payload": "LATER", "delay_seconds": 30}, expect=201)
    assert later["id"] is None and later["scheduled_at"]
    assert len(mo_items(client, SILENT)) == 1
    client.admin_json("POST", "/clock", {"advance": 31})
    items = mo_items(client, SILENT)
    assert items[0]["payload"] == "LATER" and items[0]["id"] > now["id"]


def test_mo_injection_with_udh_dcs_and_sender(client):
    parts = [(u"\u041f\u0440\u0438", "050003070201"), (u"\u0432\u0435\u0442", "050003070202")]
    for payload, udh in parts:
        client.admin_json("POST", "/endpoints/%d/mo" % SILENT, {"payload": payload, "udh": udh, "dcs": 8, "source_address": "4915"}, expect=201)
    items = mo_items(client, SILENT)
    assert sorted((item["payload"], item["udh"], item["dcs"], item["source_address"]) for item in items) == sorted(
        (payload, udh, "8", "4915") for payload, udh in parts)


@pytest.mark.parametrize("body, status", [({"payload": ""}, 400), ({"payload": "x", "udh": "zz"}, 400), ({"payload": "x", "dcs": 300}, 400),
                                          ({"payload": "x", "delay_seconds": -1}, 400)])
def test_mo_injection_refuses_bad_input(client, body, status):
    assert client.admin("POST", "/endpoints/%d/mo" % SILENT, body).status_code == status


def test_mo_injection_needs_a_sim(client):
    assert client.admin("POST", "/endpoints/%d/mo" % NO_SIM, {"payload": "x"}).status_code == 409


# admin API -------------------------------------------------------------------------------------------------------


def test_health_and_clock(client):
    health = client.admin_json("GET", "/health")
    assert health["ok"] is True and health["endpoints"] == FLEET_SIZE and health["url"] == client.url
    before = client.admin_json("GET", "/clock")
    after = client.admin_json("POST", "/clock", {"advance": 3600})
    assert 3599 < after["epoch"] - before["epoch"] < 3700
    assert after["now"].startswith(("20", "21"))
    assert client.admin("POST", "/clock", {"advance": -5}).status_code == 400
    assert client.admin("POST", "/clock", {}).status_code == 400


def test_stats_count_api_requests_only(client):
    client.admin("POST", "/stats/reset", expect=200)
    client.api("GET", "/api/v1/endpoint", token=False)
    client.authenticate()
    client.api("GET", "/api/v1/endpoint")
    client.api("GET", "/api/v1/endpoint/%d" % SILENT)
    client.api("GET", "/api/v1/sim")
    sms_id = client.send_sms(OFFLINE, {"payload": "x"})
    client.api("GET", "/api/v1/endpoint/%d/sms" % OFFLINE)
    client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, sms_id))
    client.api("POST", "/api/v1/endpoint/%d/sms" % OFFLINE, json={})
    client.admin_json("GET", "/fleet")
    stats = client.stats()
    assert stats["requests"] == 9
    assert stats["writes"] == 3
    assert stats["authentications"] == 1
    assert stats["status_401"] == 1 and stats["status_429"] == 0
    assert stats["sms_posted"] == 1 and stats["sms_canceled"] == 1
    assert stats["by_route"] == {
        "GET /api/v1/endpoint": 2, "POST /api/v1/authenticate": 1, "GET /api/v1/endpoint/{id}": 1, "GET /api/v1/sim": 1,
        "POST /api/v1/endpoint/{id}/sms": 2, "GET /api/v1/endpoint/{id}/sms": 1, "DELETE /api/v1/endpoint/{id}/sms/{sms_id}": 1,
    }
    assert stats["by_status"] == {"401": 1, "200": 5, "201": 1, "204": 1, "422": 1}
    client.admin("POST", "/stats/reset", expect=200)
    stats = client.stats()
    assert stats["requests"] == 0 and stats["by_route"] == {} and stats["writes"] == 0


def test_request_log_redacts_secrets(client):
    start = client.admin_json("GET", "/requests")["last"]
    token = client.authenticate()
    client.send_sms(SILENT, {"payload": "APN,x"})
    client.api("GET", "/api/v1/endpoint", params={"q": "name:device-0001"})
    log = client.admin_json("GET", "/requests?since=%d" % start)
    entries = log["requests"]
    assert [entry["route"] for entry in entries] == ["POST /api/v1/authenticate", "POST /api/v1/endpoint/{id}/sms", "GET /api/v1/endpoint"]
    assert [entry["seq"] for entry in entries] == list(range(start + 1, start + 4))
    assert log["last"] == start + 3
    assert entries[1]["body"] == {"payload": "APN,x"} and entries[1]["status"] == 201
    assert entries[1]["path"] == "/api/v1/endpoint/%d/sms" % SILENT and entries[1]["method"] == "POST"
    assert entries[2]["query"] == "q=name%3Adevice-0001" and entries[2]["body"] is None
    headers = dict((key.lower(), value) for key, value in entries[1]["headers"].items())
    assert headers["authorization"] == "<redacted>"
    text = json.dumps(log)
    assert token not in text and client.sim.token not in text
    limited = client.admin_json("GET", "/requests?since=%d&limit=2" % start)
    assert len(limited["requests"]) == 2 and limited["last"] == start + 2
    rest = client.admin_json("GET", "/requests?since=%d" % limited["last"])
    assert [entry["seq"] for entry in rest["requests"]] == [start + 3]


def test_reset_restores_a_fresh_state(client):
    client.send_sms(SILENT, {"payload": "x"})
    client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"online": False, "status": 1})
    client.admin_json("POST", "/faults", {"path": "sim", "action": "status", "status": 500, "times": None}, expect=201)
    client.admin_json("POST", "/clock", {"advance": 1000})
    assert client.admin_json("POST", "/reset") == {"ok": True}
    assert client.admin_json("GET", "/sms") == []
    assert client.admin_json("GET", "/faults") == {"rules": []}
    assert client.admin_json("GET", "/clock")["offset_seconds"] == 0
    assert client.stats()["requests"] == 0
    view = [item for item in client.admin_json("GET", "/fleet") if item["id"] == SILENT][0]
    assert view["online"] and view["status"] == 0
    assert client.api("GET", "/api/v1/sim").status_code == 200


def test_admin_sms_lists_everything_with_raw_fields(client):
    first = client.send_sms(SILENT, {"payload": "one", "dest_address": "cb"})
    second = client.send_sms(OFFLINE, {"payload": "two"})
    every = client.admin_json("GET", "/sms")
    assert [item["id"] for item in every] == [first, second]
    assert every[0]["dest_address"] == "cb" and every[0]["direction"] == "MT"
    only = client.admin_json("GET", "/sms?endpoint_id=%d" % OFFLINE)
    assert [item["id"] for item in only] == [second]
    assert client.admin("GET", "/sms?endpoint_id=5").status_code == 404


def test_unknown_admin_routes(client):
    assert client.admin("GET", "/nothing").status_code == 404
    assert client.admin("PUT", "/stats").status_code == 405
    assert client.admin("POST", "/faults", None).status_code == 400
    assert client.stats()["requests"] == 0


# fault injection -------------------------------------------------------------------------------------------------


def sms_path(endpoint_id):
    return "^/api/v1/endpoint/%d/sms$" % endpoint_id


def test_fault_status_with_skip_and_times(client):
    rule = {"method": "POST", "path": sms_path(SILENT), "action": "status", "status": 503, "skip": 1, "times": 2}
    rules = client.admin_json("POST", "/faults", [rule], expect=201)["rules"]
    assert rules[0]["action"] == "status" and rules[0]["id"]
    statuses = [client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "p%d" % i}).status_code for i in range(4)]
    assert statuses == [201, 503, 503, 201]
    assert [item["payload"] for item in client.admin_json("GET", "/sms")] == ["p0", "p3"]
    assert client.admin_json("GET", "/faults") == {"rules": []}
    assert client.stats()["faults_applied"] == 2


def test_fault_status_with_body_and_headers(client):
    client.admin_json("POST", "/faults", {"path": "^/api/v1/endpoint$", "action": "status", "status": 429,
                                          "body": {"message": "slow down"}, "headers": {"Retry-After": "3"}}, expect=201)
    response = client.api("GET", "/api/v1/endpoint")
    assert response.status_code == 429 and response.json() == {"message": "slow down"} and response.headers["Retry-After"] == "3"
    assert client.stats()["status_429"] == 1
    assert client.api("GET", "/api/v1/endpoint").status_code == 200


def test_fault_status_after_processes_the_request(client):
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "status_after", "status": 504}, expect=201)
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "kept"})
    assert response.status_code == 504 and "Location" not in response.headers
    assert [item["payload"] for item in client.admin_json("GET", "/sms")] == ["kept"]


def test_fault_status_store_later_answers_now_and_stores_later(client):
    import time  # pylint: disable=import-outside-toplevel
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "status_store_later",
                                          "status": 504, "delay_ms": 600}, expect=201)
    started = time.monotonic()
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "late"})
    assert response.status_code == 504 and response.json() == {"message": "Endpoint request timed out"}
    assert client.admin_json("GET", "/sms") == []
    assert client.api("GET", "/api/v1/endpoint/%d/sms" % SILENT).json() == []
    stored = wait_for(lambda: client.admin_json("GET", "/sms"), timeout=5)
    assert [item["payload"] for item in stored] == ["late"]
    assert time.monotonic() - started >= 0.6
    log = client.admin_json("GET", "/requests")["requests"]
    assert [(entry["status"], entry["outcome"]) for entry in log if entry["route"].startswith("POST /api/v1/endpoint")] == [(504, "fault_status_store_later")]
    stats = client.stats()
    assert stats["sms_posted"] == 1 and stats["faults_applied"] == 1 and stats["by_status"]["504"] == 1


def test_fault_reset_before_drops_the_request(client):
    import requests  # pylint: disable=import-outside-toplevel
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "reset_before"}, expect=201)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "lost"})
    assert client.admin_json("GET", "/sms") == []
    assert client.send_sms(SILENT, {"payload": "next"})
    log = client.admin_json("GET", "/requests")["requests"]
    assert [(entry["status"], entry["outcome"]) for entry in log if entry["method"] == "POST"][-2:] == [(None, "reset_before"), (201, "answered")]


def test_fault_reset_after_stores_but_drops_the_answer(client):
    import requests  # pylint: disable=import-outside-toplevel
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "reset_after"}, expect=201)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "stored"})
    assert [item["payload"] for item in client.admin_json("GET", "/sms")] == ["stored"]
    assert client.stats()["connection_resets"] == 1


def test_fault_delay(client):
    import time  # pylint: disable=import-outside-toplevel
    client.admin_json("POST", "/faults", {"method": "GET", "path": "^/api/v1/endpoint/", "action": "delay", "delay_ms": 400}, expect=201)
    client.authenticate()
    started = time.monotonic()
    response = client.api("GET", "/api/v1/endpoint/%d" % SILENT)
    assert response.status_code == 200 and time.monotonic() - started >= 0.4


def test_fault_revoke_tokens(client):
    token = client.authenticate()
    client.admin_json("POST", "/faults", {"method": "GET", "path": "/sms$", "action": "revoke_tokens"}, expect=201)
    assert client.api("GET", "/api/v1/endpoint/%d/sms" % SILENT, token=token).status_code == 401
    assert client.api("GET", "/api/v1/endpoint/%d" % SILENT, token=token).status_code == 401
    assert client.api("GET", "/api/v1/endpoint/%d/sms" % SILENT, token=client.authenticate()).status_code == 200


@pytest.mark.parametrize("rule", [{"action": "explode"}, {"action": "status"}, {"action": "status", "status": 99},
                                  {"action": "delay"}, {"action": "status_store_later", "status": 504},
                                  {"action": "status_store_later", "delay_ms": 100}, {"action": "status", "status": 500, "path": "("},
                                  {"action": "status", "status": 500, "colour": 1}, ["not a rule"]])
def test_invalid_fault_rules_are_refused_whole(client, rule):
    body = rule if isinstance(rule, list) else [{"action": "status", "status": 500}, rule]
    response = client.admin("POST", "/faults", body)
    assert response.status_code == 400 and response.json()["error"]
    assert client.admin_json("GET", "/faults") == {"rules": []}


def test_fault_rules_list_and_clear(client):
    client.admin_json("POST", "/faults", [{"action": "delay", "delay_ms": 1, "times": None}, {"action": "status", "status": 500}], expect=201)
    assert len(client.admin_json("GET", "/faults")["rules"]) == 2
    assert client.admin("DELETE", "/faults").status_code == 204
    assert client.admin_json("GET", "/faults") == {"rules": []}


# HTTP behaviour --------------------------------------------------------------------------------------------------


def test_keep_alive_with_exact_content_lengths(client):
    import http.client  # pylint: disable=import-outside-toplevel
    from urllib.parse import urlsplit  # pylint: disable=import-outside-toplevel
    parts = urlsplit(client.url)
    token = client.authenticate()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for _round in range(3):
            connection.request("GET", "/api/v1/endpoint/%d" % SILENT, headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200 and int(response.getheader("Content-Length")) == len(data)
            connection.request("POST", "/api/v1/endpoint/%d/sms" % SILENT, body=json.dumps({"payload": "k"}),
                               headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 201 and response.read() == b""
            connection.request("DELETE", "/api/v1/endpoint/%d/sms/1" % SILENT, headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            assert response.status == 404 and json.loads(response.read().decode("utf-8"))["error_code"]
    finally:
        connection.close()
    assert client.stats()["max_connections"] >= 1


def test_concurrent_posts_get_distinct_ids(client):
    import threading  # pylint: disable=import-outside-toplevel
    client.authenticate()
    ids = []
    lock = threading.Lock()

    def post(number):
        from conftest import Client  # pylint: disable=import-outside-toplevel
        own = Client(client.sim)
        own.token = client.token
        for part in range(5):
            sms_id = own.send_sms(ENDPOINT_BASE + 1 + number, {"payload": "c%d" % part})
            with lock:
                ids.append(sms_id)

    threads = [threading.Thread(target=post, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 40 and len(set(ids)) == 40
    assert client.stats()["sms_posted"] == 40


def test_unknown_api_paths_and_methods(client):
    assert client.api("GET", "/api/v1/nothing").status_code == 404
    response = client.api("PUT", "/api/v1/endpoint/%d/sms" % SILENT, json={})
    assert response.status_code == 405
    assert client.api("GET", "/api/v1/nothing", token=False).status_code == 401
