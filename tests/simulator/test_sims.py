# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/sim: shapes and filters (sims.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from conftest import ENDPOINT_BASE, FLEET_SIZE, NO_SIM, assert_same_shape, interactions


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
    assert len(every) == FLEET_SIZE  # index 13's SIM is in stock: listed, without an endpoint
    for sim in every:
        for key in ("iccid", "imsi", "msisdn"):
            assert isinstance(sim[key], str) and sim[key].isdigit()


def test_sim_items_have_the_described_shape(client, recordings):
    recorded_sims = [item["sim"] for name in recordings for exchange in interactions(recordings, name, "GET", 200)
                     if exchange["path"] == "/api/v1/endpoint" for item in exchange["body"] if "sim" in item]
    assert recorded_sims and not any("eid" in sim for sim in recorded_sims)
    every = client.api("GET", "/api/v1/sim").json()
    assert [sim["id"] for sim in every] == sorted(sim["id"] for sim in every)
    for sim in every:
        assert "eid" not in sim and "sim_model" not in sim
        assert set(sim["model"]) == {"id", "description", "memory_size", "formfactor", "manufacturer"}
        for key in ("issuer_org", "reseller_org", "customer_org"):
            assert set(sim[key]) == {"id", "name", "country"}
        if "endpoint" in sim:
            assert {"id", "name", "imei", "organisation_id", "service_profile_id", "tariff_profile_id",
                    "ip_address_space_id"} <= set(sim["endpoint"])
            details = client.api("GET", "/api/v1/endpoint/%d" % sim["endpoint"]["id"]).json()
            assert sim["endpoint"]["service_profile_id"] == details["service_profile"]["id"]
            assert sim["endpoint"]["tariff_profile_id"] == details["tariff_profile"]["id"]
            assert sim["endpoint"]["ip_address_space_id"] == details["ip_address_space"]["id"]
            assert sim["endpoint"]["imei"] == details["imei"]
            assert details["sim"]["id"] == sim["id"]
    stock = [sim for sim in every if "endpoint" not in sim]
    assert [sim["id"] for sim in stock] == [4400000 + NO_SIM - ENDPOINT_BASE]
    assert stock[0]["status"] == {"id": 0, "description": "Issued"} and stock[0]["activation_date"] is None
    with_endpoint = [sim for sim in every if "endpoint" in sim]
    reference = dict(with_endpoint[0])
    del reference["endpoint"]
    assert_same_shape(reference, stock[0], "stock SIM", nullable=("activation_date",))


def test_sim_filters_and_sorts_by_organisation_and_model(client):
    for query in ("customer_org:11931", "issuer_org:emnify", "reseller_org:2", "model:1", "model:multi-form"):
        response = client.api("GET", "/api/v1/sim", params={"q": query})
        assert response.status_code == 200, query
        assert response.headers["X-Total-Count"] == str(FLEET_SIZE), query
    assert client.api("GET", "/api/v1/sim", params={"q": "customer_org:999"}).json() == []
    assert client.api("GET", "/api/v1/sim", params={"q": "endpoint:%d" % NO_SIM}).json() == []
    for field in ("issuer_org", "reseller_org", "customer_org", "model", "eid"):
        response = client.api("GET", "/api/v1/sim", params={"sort": "-%s,id" % field, "per_page": 2})
        assert response.status_code == 200, field
        assert response.headers["X-Sort"] == "-%s,id" % field
