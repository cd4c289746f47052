# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/sim: shapes and filters (sims.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


from conftest import ENDPOINT_BASE, FLEET_SIZE


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
