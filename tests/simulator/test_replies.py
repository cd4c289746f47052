# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device replies to complete commands (state.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from conftest import REPLIER, SILENT, mo_items, wait_for
from emnify_sim.state import reply_payload


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


@pytest.mark.parametrize("text, reply", [("APN,iot.example", "OK APN"), ("STATUS", "OK STATUS"), ("A B", "OK A"), ("X:1", "OK X"),
                                         (",x", "OK")])
def test_reply_payload(text, reply):
    assert reply_payload(text) == reply
