# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/endpoint and /api/v1/endpoint/{id}: shapes against the recordings, errors, filters (endpoints.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


from conftest import DATE_RE, DISABLED, ENDPOINT_BASE, FLEET_SIZE, NO_SIM, REPLIER, assert_same_shape, interactions


def test_endpoint_list_matches_the_recorded_shape(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_service_profile.yaml", "GET", 200)[0]
    with_sim = [item for name in recordings for item in interactions(recordings, name, "GET", 200)
                if item["path"] == "/api/v1/endpoint" for item in item["body"] if "sim" in item]
    response = client.api("GET", "/api/v1/endpoint")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    for header in ("X-Count-Per-Page", "X-Current-Page", "X-Sort", "X-Total-Count", "X-Total-Pages"):
        assert header in recorded["headers"]
        assert response.headers[header] == {"X-Count-Per-Page": "1000", "X-Current-Page": "1", "X-Sort": "id",
                                            "X-Total-Count": str(FLEET_SIZE), "X-Total-Pages": "1"}[header]
    items = response.json()
    assert [item["id"] for item in items] == list(range(ENDPOINT_BASE + 1, ENDPOINT_BASE + FLEET_SIZE + 1))
    no_sim = recorded["body"][0]
    sim_shapes = [item["sim"] for item in with_sim]
    for item in items:
        if "sim" in item:
            reference = dict(no_sim)
            reference["sim"] = [shape for shape in sim_shapes if set(shape) == set(item["sim"])][0]
            assert_same_shape(reference, item, "endpoint %d" % item["id"], nullable=("imei",))
        else:
            assert item["id"] == NO_SIM
            assert_same_shape(no_sim, item, "endpoint %d" % item["id"], nullable=("imei",))
        for key in ("created", "last_updated"):
            assert DATE_RE.match(item[key])


def test_endpoint_details_have_the_list_shape(client):
    listed = dict((item["id"], item) for item in client.api("GET", "/api/v1/endpoint").json())
    for endpoint_id in (REPLIER, NO_SIM, DISABLED):
        response = client.api("GET", "/api/v1/endpoint/%d" % endpoint_id)
        assert response.status_code == 200
        assert response.json() == listed[endpoint_id]


def test_unknown_endpoint_gets_the_recorded_404(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_device_id.yaml", "PATCH", 404)[0]
    for path in ("/api/v1/endpoint/-1", "/api/v1/endpoint/-1/sms"):
        response = client.api("GET", path)
        assert response.status_code == 404
        assert response.json() == recorded["body"]
        assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    response = client.api("POST", "/api/v1/endpoint/99999999/sms", json={"payload": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == "Endpoint with Id '99999999' not found."


def test_non_numeric_id_gets_the_recorded_400(client, recordings):
    recorded = interactions(recordings, "test_update_device_error_handling_device_id.yaml", "PATCH", 400)[0]
    response = client.api("GET", "/api/v1/endpoint/None")
    assert response.status_code == 400
    assert response.json() == recorded["body"]
    response = client.api("GET", "/api/v1/endpoint/%d/sms/abc" % REPLIER)
    assert response.status_code == 400
    assert response.json()["error_token"] == "BadRequest"


def test_name_filter_matches_substrings(client):
    items = client.api("GET", "/api/v1/endpoint", params={"q": "name:device-0007"}).json()
    assert [item["name"] for item in items] == ["device-0007"]
    items = client.api("GET", "/api/v1/endpoint", params={"q": "name:DEVICE-000"}).json()
    assert [item["name"] for item in items] == ["device-%04d" % index for index in range(1, 10)]


def test_tag_and_status_filters(client):
    fleet = client.admin_json("GET", "/fleet")
    meters = client.api("GET", "/api/v1/endpoint", params={"q": "tags:meter"}).json()
    assert [item["id"] for item in meters] == [item["id"] for item in fleet if item["tags"] == "fleet,meter"]
    assert meters and all(item["tags"] == "fleet,meter" for item in meters)
    disabled_meters = client.api("GET", "/api/v1/endpoint", params={"q": "tags:meter,status:1"}).json()
    assert [item["id"] for item in disabled_meters] == [DISABLED]
    both = client.api("GET", "/api/v1/endpoint", params={"q": "tags:fleet,meter"})
    assert [item["id"] for item in both.json()] == [item["id"] for item in meters]
    assert client.api("GET", "/api/v1/endpoint", params={"q": "tags:nothing"}).json() == []
