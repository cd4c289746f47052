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
