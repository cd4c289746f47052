# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle of one SMS on the simulated clock (sms.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from conftest import DATE_RE, ENDPOINT_BASE, OFFLINE, SILENT, Client, interactions, wait_for
from emnify_sim.sms import BUFFERED, DELIVERED, EXPIRED, IN_PROGRESS, MT, PENDING, Sms, retries_until


def test_an_sms_to_a_reachable_device_is_delivered(client):
    sms_id = client.send_sms(SILENT, {"payload": "STATUS"})
    done = wait_for(lambda: client.sms(SILENT, sms_id)["status"]["id"] == 4 and client.sms(SILENT, sms_id))
    assert done["status"] == {"description": "DELIVERED", "id": 4}
    assert DATE_RE.match(done["final_date"])
    assert done["dlr_status_id"] == "4"


def test_delivery_goes_through_pending_and_in_progress(sim_factory):
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


def test_an_sms_to_an_offline_device_stays_buffered_then_expires(client, recordings):
    recorded = [item for item in interactions(recordings, "get_all_device_sms.yaml", "GET", 200)[0]["body"] if item["status"]["id"] == 6]
    assert recorded and all(item["gsm_map_error"] is None for item in recorded)
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
    assert expired["gsm_map_error"] is None, "recorded EXPIRED SMS have gsm_map_error null"
    assert expired["dlr_status_id"] == "4"


def test_a_device_coming_online_gets_its_buffered_sms(client):
    sms_id = client.send_sms(OFFLINE, {"payload": "STATUS"})
    view = client.admin_json("PATCH", "/endpoints/%d" % OFFLINE, {"online": True})
    assert view["online"] is True and "offline" not in view["roles"]
    wait_for(lambda: client.sms(OFFLINE, sms_id)["status"]["id"] == 4)
    client.admin_json("PATCH", "/endpoints/%d" % SILENT, {"online": False})
    second = client.send_sms(SILENT, {"payload": "STATUS"})
    assert client.sms(SILENT, second)["status"]["id"] == 3


class _Endpoint:
    id = 11380001
    sim = {"id": 1, "iccid": "8988303000000000001", "msisdn": "4236000000001"}


def test_sms_lifecycle_states():
    sms = Sms(1, _Endpoint(), MT, 1000.0, 1000.0 + 86400, {"payload": "x"})
    sms.start_attempt(1000.0, 2.0)
    assert sms.status_at(1000.5) == PENDING
    assert sms.status_at(1001.5) == IN_PROGRESS
    assert sms.status_at(1002.0) == DELIVERED
    buffered = Sms(2, _Endpoint(), MT, 1000.0, 1000.0 + 7200, {"payload": "x"})
    buffered.buffer(1000.0)
    assert buffered.status_at(1030.0) == BUFFERED
    assert buffered.state_at(1000.0 + 400)["retry_count"] == 2
    state = buffered.state_at(1000.0 + 7200)
    assert state["status"] == EXPIRED and state["final"] == 1000.0 + 7200 and state["gsm_map_error"] is None
    assert retries_until(0, 59) == 0 and retries_until(0, 60) == 1 and retries_until(0, 6660 + 7200) == 7
