# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POST /api/v1/authenticate, the bearer token the gateway checks, and the tokens module (auth.py, tokens.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json

import pytest

from conftest import REPLIER, SECOND_TOKEN, Client, interactions, jwt_payload
from emnify_sim import tokens


def test_missing_token_gets_the_recorded_gateway_401(client, recordings):
    recorded = interactions(recordings, "get_all_devices.yaml", "GET", 401)[0]
    response = client.api("GET", "/api/v1/endpoint", token=False)
    assert response.status_code == 401
    assert response.json() == recorded["body"]
    assert response.headers["x-amzn-ErrorType"] == recorded["headers"]["x-amzn-ErrorType"]
    assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]


@pytest.mark.parametrize("header", ["Bearer None", "Bearer abc.def", "Basic dXNlcjpwYXNz", "Bearer "])
def test_malformed_bearer_gets_the_gateway_401(client, header):
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=False, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"message": "token contains an invalid number of segments"}
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"


def test_authenticate_answers_like_production(client, recordings):
    recorded = interactions(recordings, "get_all_devices.yaml", "POST", 200)[0]
    response = client.session.post(client.url + "/api/v1/authenticate", json={"application_token": client.sim.token})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"]
    body = response.json()
    assert list(body) == ["auth_token"]
    payload = jwt_payload(body["auth_token"])
    assert payload["exp"] - payload["iat"] == 604800  # the recording's exp-iat
    assert len(body["auth_token"].split(".")) == 3


def test_every_application_token_given_is_accepted(client):
    assert client.authenticate(SECOND_TOKEN)
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER).status_code == 200


@pytest.mark.parametrize("body", [{"application_token": "wrong"}, {"application_token": ""}, {}, {"username": "x", "password": "y"}])
def test_wrong_application_token_gets_401_with_empty_body(client, body):
    response = client.session.post(client.url + "/api/v1/authenticate", json=body)
    assert response.status_code == 401
    assert response.content == b""
    assert client.stats()["authentications_failed"] == 1


def test_a_token_with_a_bad_signature_is_refused(client):
    token = client.authenticate()
    head, payload, signature = token.split(".")
    forged = head + "." + payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=forged)
    assert response.status_code == 401
    assert response.json() == {"message": "signature is invalid"}


def test_a_token_expires_on_the_simulated_clock(client):
    token = client.authenticate()
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=token).status_code == 200
    client.admin_json("POST", "/clock", {"advance": 604801})
    response = client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=token)
    assert response.status_code == 401
    assert response.json() == {"message": "Token is expired"}
    fresh = client.authenticate()
    assert client.api("GET", "/api/v1/endpoint/%d" % REPLIER, token=fresh).status_code == 200


def test_token_lifetime_option(sim_factory):
    sim = sim_factory("--endpoints", "2", "--token-lifetime", "60")
    client = Client(sim)
    token = client.authenticate()
    body = token.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8"))
    assert payload["exp"] - payload["iat"] == 60
    client.admin_json("POST", "/clock", {"advance": 61})
    assert client.api("GET", "/api/v1/endpoint", token=token).status_code == 401


def test_jwt_sign_and_check():
    secret = b"k" * 32
    token = tokens.sign(secret, {"exp": 10, "jti": 1})
    assert tokens.check(secret, token) == (tokens.TOKEN_OK, {"exp": 10, "jti": 1})
    assert tokens.check(b"other", token)[0] == tokens.TOKEN_INVALID
    assert tokens.check(secret, "None")[0] == tokens.TOKEN_MALFORMED
    assert tokens.check(secret, "a.b")[0] == tokens.TOKEN_MALFORMED
    assert tokens.check(secret, "a.b.\u00e9")[0] == tokens.TOKEN_INVALID
    assert tokens.check(secret, "!!.??.**")[0] == tokens.TOKEN_INVALID
