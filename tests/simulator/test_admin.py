# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The admin API under /_simulator (admin.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from conftest import FLEET_SIZE, NO_SIM, OFFLINE, SILENT, mo_items


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
