# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the body of POST /api/v1/endpoint/{id}/sms (validate.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


import pytest

from conftest import REPLIER, SILENT, assert_same_shape, interactions


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


def test_a_number_as_source_address_is_accepted_like_the_docs_example(client):
    """The docs' example body sends "source_address": 12345 and gets 201."""
    sms_id = client.send_sms(SILENT, {"payload": "Hello", "source_address": 12345, "source_address_type": {"id": 161}})
    stored = client.sms(SILENT, sms_id)
    assert stored["source_address"] == "12345"
    assert stored["source_address_type"] == {"description": "National", "id": 161}
    for bad in (True, -5, 1.5, 10 ** 22):
        response = client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "x", "source_address": bad})
        assert response.status_code == 422, bad


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
