# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMS routes: POST, list, details and cancel of /api/v1/endpoint/{id}/sms (messages.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import time

import re

import pytest

from conftest import DATE_RE, DISABLED, ENDPOINT_BASE, NO_SIM, NO_SMS, OFFLINE, REPLIER, SILENT, SIM_SUSPENDED, assert_same_shape, interactions, wait_for


INT_STRING_FIELDS = ("dlr_status_id", "organisation_id", "retry_count", "dcs", "pid", "endpoint_id", "sim_id",
                     "registered_delivery")
NULL_FIELDS = ("called_party_prefix", "smpp_bind_id", "smpp_dlr_bind_id", "msc")
DATE_FIELDS = ("submit_date", "delivery_date", "expiry_date", "final_date", "retry_date", "last_delivery_attempt")


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


@pytest.mark.parametrize("endpoint_id", [DISABLED, SIM_SUSPENDED, NO_SIM, NO_SMS])
def test_endpoints_that_cannot_receive_sms_get_409(client, endpoint_id, recordings):
    recorded = interactions(recordings, "test_add_blacklist_operator_error.yaml", "PUT", 409)[0]
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % endpoint_id, json={"payload": "INTERVAL,300"})
    assert response.status_code == 409
    assert_same_shape(recorded["body"], response.json(), "409")
    assert str(endpoint_id) in response.json()["message"]
    assert client.stats()["sms_posted"] == 0


def parse_date(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S.000+0000"))


def test_recorded_canceled_sms_have_no_attempt_and_a_retry_an_hour_after_submit(recordings):
    """What test_cancel_answers_204_then_409 reproduces: the recorded CANCELED SMS (most retry after one hour)."""
    canceled = [item for item in interactions(recordings, "get_all_device_sms.yaml", "GET", 200)[0]["body"] if item["status"]["id"] == 7]
    assert len(canceled) == 9
    assert all(item["final_date"] is None and item["last_delivery_attempt"] is None and item["dlr_status_id"] == "1" for item in canceled)
    gaps = [parse_date(item["retry_date"]) - parse_date(item["submit_date"]) for item in canceled]
    assert gaps.count(3600) == 7 and all(3600 <= gap <= 7300 for gap in gaps)


def test_cancel_answers_204_then_409(client, recordings):
    recorded_409 = interactions(recordings, "test_add_blacklist_operator_error.yaml", "PUT", 409)[0]["body"]
    sms_id = client.send_sms(OFFLINE, {"payload": "STATUS"})
    response = client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, sms_id))
    assert response.status_code == 204 and response.content == b""
    canceled = client.sms(OFFLINE, sms_id)
    assert canceled["status"] == {"description": "CANCELED", "id": 7}
    assert canceled["final_date"] is None and canceled["dlr_status_id"] == "1"
    assert canceled["last_delivery_attempt"] is None
    assert parse_date(canceled["retry_date"]) - parse_date(canceled["submit_date"]) == 3600
    again = client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, sms_id))
    assert again.status_code == 409
    assert_same_shape(recorded_409, again.json(), "409")
    delivered = client.send_sms(SILENT, {"payload": "x"})
    wait_for(lambda: client.sms(SILENT, delivered)["status"]["id"] == 4)
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (SILENT, delivered)).status_code == 409
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (SILENT, 1)).status_code == 404
    assert client.api("DELETE", "/api/v1/endpoint/%d/sms/%d" % (OFFLINE, delivered)).status_code == 404
    assert client.stats()["sms_canceled"] == 1


def test_the_list_is_newest_first_by_id_and_by_submit_date_at_once(client, recordings):
    recorded = interactions(recordings, "get_all_device_sms.yaml", "GET", 200)[0]["body"]
    assert [item["id"] for item in recorded] == sorted((item["id"] for item in recorded), reverse=True)
    assert [item["submit_date"] for item in recorded] == sorted((item["submit_date"] for item in recorded), reverse=True)
    client.send_sms(REPLIER, {"payload": "STATUS"})
    # The reply is due after 0.5 s; nobody reads the endpoint before the next SMS is submitted.
    time.sleep(1.5)
    client.send_sms(ENDPOINT_BASE + 5, {"payload": "PING"})
    client.send_sms(REPLIER, {"payload": "LATER"})
    items = client.sms_list(REPLIER)
    assert [item["sms_type"]["description"] for item in items] == ["MT", "MO", "MT"]
    assert [item["id"] for item in items] == sorted((item["id"] for item in items), reverse=True)
    assert [parse_date(item["submit_date"]) for item in items] == sorted((parse_date(item["submit_date"]) for item in items), reverse=True)
    everything = client.admin_json("GET", "/sms")
    assert [item["id"] for item in everything] == sorted(item["id"] for item in everything)
    assert [parse_date(item["submit_date"]) for item in everything] == sorted(parse_date(item["submit_date"]) for item in everything)


def test_a_delayed_mo_sms_gets_its_id_in_submit_order(client):
    client.admin_json("POST", "/endpoints/%d/mo" % SILENT, {"payload": "early", "delay_seconds": 0.3}, expect=201)
    time.sleep(0.8)
    later = client.send_sms(SILENT, {"payload": "x"})
    items = client.sms_list(SILENT)
    assert [item["payload"] for item in items] == ["x", "early"]
    assert items[0]["id"] == later and items[1]["id"] < later
