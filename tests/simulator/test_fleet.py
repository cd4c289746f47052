# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seeded fleet and its roles (fleet.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from conftest import DISABLED, ENDPOINT_BASE, FLEET_SIZE, NO_SIM, NO_SMS, OFFLINE, SILENT, SIM_SUSPENDED, Client
from emnify_sim.fleet import build_fleet, luhn_digit


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
    assert Client(other).admin_json("GET", "/fleet") == first
    assert Client(again).admin_json("GET", "/fleet") != first


def test_fleet_is_deterministic_and_luhn_is_right():
    first = [endpoint.view() for endpoint in build_fleet(40, 3)]
    assert first == [endpoint.view() for endpoint in build_fleet(40, 3)]
    assert first != [endpoint.view() for endpoint in build_fleet(40, 4)]
    assert luhn_digit("7992739871") == "3"
    for view in first:
        if "sim" in view:
            assert view["sim"]["iccid_with_luhn"][:-1] == view["sim"]["iccid"]
