# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lists: q= filters, sort= keys, paging and their errors (listing.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from conftest import ENDPOINT_BASE, FLEET_SIZE
from emnify_sim.endpoints import ENDPOINT_FILTERS, ENDPOINT_SORTS
from emnify_sim.listing import parse_criteria, parse_sort


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


def test_the_endpoint_list_accepts_any_sort_and_the_sim_list_only_its_own(client):
    response = client.api("GET", "/api/v1/endpoint", params={"sort": "colour", "per_page": 3})
    assert response.status_code == 200
    assert response.headers["X-Sort"] == "colour"
    assert [item["id"] for item in response.json()] == [ENDPOINT_BASE + 1, ENDPOINT_BASE + 2, ENDPOINT_BASE + 3]
    by_eid = client.api("GET", "/api/v1/endpoint", params={"sort": "-eid,id", "per_page": 2})
    assert by_eid.status_code == 200 and [item["id"] for item in by_eid.json()] == [ENDPOINT_BASE + 1, ENDPOINT_BASE + 2]
    response = client.api("GET", "/api/v1/sim", params={"sort": "colour"})
    assert response.status_code == 422
    assert response.json()["error_code"] == 1302


def test_a_filtered_endpoint_list_names_its_filter(client):
    response = client.api("GET", "/api/v1/endpoint", params={"q": "tags:meter,status:0"})
    assert response.status_code == 200
    assert response.headers["X-Filter"] == "tags:meter,status:0"
    assert "X-Filter" not in client.api("GET", "/api/v1/endpoint").headers


def test_per_page_limits_of_each_list(client):
    assert client.api("GET", "/api/v1/endpoint").headers["X-Count-Per-Page"] == "1000"
    assert client.api("GET", "/api/v1/endpoint", params={"per_page": 1001}).status_code == 422
    assert client.api("GET", "/api/v1/sim").headers["X-Count-Per-Page"] == "2000"
    assert client.api("GET", "/api/v1/sim", params={"per_page": 2500}).headers["X-Count-Per-Page"] == "2500"
    assert client.api("GET", "/api/v1/sim", params={"per_page": 2501}).status_code == 422


def test_sort_descending(client):
    response = client.api("GET", "/api/v1/endpoint", params={"sort": "-id", "per_page": 3})
    assert response.headers["X-Sort"] == "-id"
    assert [item["id"] for item in response.json()] == [ENDPOINT_BASE + FLEET_SIZE - offset for offset in range(3)]


def test_query_criteria_keep_commas_inside_values():
    assert parse_criteria("tags:fleet,meter,status:0", ENDPOINT_FILTERS) == [("tags", "fleet,meter"), ("status", "0")]
    assert parse_criteria("name:a:b", ENDPOINT_FILTERS) == [("name", "a:b")]
    with pytest.raises(ValueError):
        parse_criteria("colour:red", ENDPOINT_FILTERS)
    with pytest.raises(ValueError):
        parse_criteria("name", ENDPOINT_FILTERS)
    assert parse_sort("-id,name", ENDPOINT_SORTS) == [("id", True), ("name", False)]
    with pytest.raises(ValueError):
        parse_sort("colour", ENDPOINT_SORTS)
