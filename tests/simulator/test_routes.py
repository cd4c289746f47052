# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Routing of /api/v1 requests: route names, unknown paths and methods (routes.py, api.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


import pytest

from conftest import SILENT
from emnify_sim.api import ROUTER


def test_unknown_api_paths_and_methods(client):
    assert client.api("GET", "/api/v1/nothing").status_code == 404
    response = client.api("PUT", "/api/v1/endpoint/%d/sms" % SILENT, json={})
    assert response.status_code == 405
    assert client.api("GET", "/api/v1/nothing", token=False).status_code == 401


@pytest.mark.parametrize("method, path, route", [
    ("POST", "/api/v1/authenticate", "POST /api/v1/authenticate"),
    ("GET", "/api/v1/endpoint", "GET /api/v1/endpoint"),
    ("GET", "/api/v1/endpoint/5", "GET /api/v1/endpoint/{id}"),
    ("GET", "/api/v1/endpoint/None", "GET /api/v1/endpoint/{id}"),
    ("POST", "/api/v1/endpoint/5/sms", "POST /api/v1/endpoint/{id}/sms"),
    ("DELETE", "/api/v1/endpoint/5/sms/9", "DELETE /api/v1/endpoint/{id}/sms/{sms_id}"),
    ("GET", "/api/v1/sim", "GET /api/v1/sim"),
    ("PUT", "/api/v1/endpoint/5/operator_blacklist/553", "PUT /api/v1/endpoint/{id}/operator_blacklist/{id}"),
    ("GET", "/", "GET /"),
])
def test_routes(method, path, route):
    assert ROUTER.match(method, path).name == route


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "TRACE", "PUT", "PATCH", "FETCH"])
def test_a_method_the_api_does_not_have_gets_a_json_answer_not_the_html_501(client, method):
    token = client.authenticate()
    response = client.api(method, "/api/v1/endpoint", token=token)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.headers["Content-Type"] == "application/json"
    if method == "HEAD":
        assert response.content == b"" and int(response.headers["Content-Length"]) > 0
    else:
        assert response.json()["message"] == "Method %s is not allowed on /api/v1/endpoint" % method
    unknown = client.api(method, "/api/v1/nothing", token=token)
    assert unknown.status_code == 404 and "html" not in unknown.headers["Content-Type"]
    assert client.api(method, "/api/v1/endpoint", token=False).status_code == 401
    admin = client.admin(method, "/stats")
    assert admin.status_code == 405 and "html" not in admin.headers["Content-Type"]
    assert client.api("GET", "/api/v1/endpoint/%d" % SILENT, token=token).status_code == 200, "the connection stays usable"


def test_every_route_is_declared_once_and_answers(client):
    names = [route.name for route in ROUTER.routes]
    assert len(names) == len(set(names))
    token = client.authenticate()
    for route in ROUTER.routes:
        if route.method != "GET":
            continue
        path = route.template.replace("{id}", str(SILENT)).replace("{sms_id}", "1")
        response = client.api("GET", path, token=token)
        assert response.status_code in (200, 404), (path, response.status_code)
        # Ids made for endpoints find no SMS, API callback, API secret or service profile: the usual 404 body.
        assert response.status_code == 200 or response.json()["message"].endswith("with Id '%s' not found." % path.rsplit("/", 1)[1])
