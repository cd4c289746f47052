# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""POST /api/v1/authenticate, and the API gateway's check of the bearer token on every other route."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from . import tokens
from .common import Response, JSON_UTF8, empty, error, gateway_401

# golang-jwt (v4) messages, which the API gateway sends as they are (the recorded malformed-token answer is one).
GATEWAY_EXPIRED = "Token is expired"
GATEWAY_BAD_SIGNATURE = "signature is invalid"


def authenticate(api, request, _params):
    if request.body_error is not None:
        return error(400, 1000, "BadRequest", "Malformed JSON body: %s" % request.body_error)
    body = request.body if isinstance(request.body, dict) else {}
    token = body.get("application_token")
    if isinstance(token, str) and token and token in api.state.app_tokens:
        return Response(200, {"auth_token": api.state.issue_token_locked()}, JSON_UTF8)
    api.state.stats["authentications_failed"] += 1
    return empty(401)


def bearer_problem_locked(state, request):
    """The gateway's 401 for a missing, malformed, foreign, expired or revoked bearer token; None when it is valid."""
    value = request.header("Authorization") or ""
    scheme, _sep, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return gateway_401()
    verdict = state.check_token_locked(token.strip())
    if verdict == tokens.TOKEN_OK:
        return None
    if verdict == tokens.TOKEN_MALFORMED:
        return gateway_401()
    response = gateway_401()
    response.body = {"message": GATEWAY_EXPIRED if verdict == tokens.TOKEN_EXPIRED else GATEWAY_BAD_SIGNATURE}
    return response
