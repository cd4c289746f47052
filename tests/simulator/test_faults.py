# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault rules (faults.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import time

import pytest
import requests

from conftest import SILENT, wait_for


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
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "reset_before"}, expect=201)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "lost"})
    assert client.admin_json("GET", "/sms") == []
    assert client.send_sms(SILENT, {"payload": "next"})
    log = client.admin_json("GET", "/requests")["requests"]
    assert [(entry["status"], entry["outcome"]) for entry in log if entry["method"] == "POST"][-2:] == [(None, "reset_before"), (201, "answered")]


def test_fault_reset_after_stores_but_drops_the_answer(client):
    client.admin_json("POST", "/faults", {"method": "POST", "path": sms_path(SILENT), "action": "reset_after"}, expect=201)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.api("POST", "/api/v1/endpoint/%d/sms" % SILENT, json={"payload": "stored"})
    assert [item["payload"] for item in client.admin_json("GET", "/sms")] == ["stored"]
    assert client.stats()["connection_resets"] == 1


def test_fault_delay(client):
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
