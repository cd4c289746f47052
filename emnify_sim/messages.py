# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMS routes: /api/v1/endpoint/{id}/sms and /api/v1/endpoint/{id}/sms/{sms_id}."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from .common import Response, JSON_PLAIN, empty, error, not_long, parse_long
from .endpoints import endpoint_of_locked
from .sms import FINAL, STATUS_DESCRIPTION
from .validate import validate_sms


def bad_request(message):
    return error(400, 1000, "BadRequest", message)


def conflict(message):
    return error(409, 1409, "Conflict", message)


def list_sms(api, _request, params):
    endpoint, problem = endpoint_of_locked(api.state, params["id"])
    if problem is not None:
        return problem
    now = api.state.now()
    items = api.state.endpoint_sms_locked(endpoint)
    return Response(200, [sms.view(now) for sms in items], JSON_PLAIN)


def _sms_locked(state, params):
    endpoint, problem = endpoint_of_locked(state, params["id"])
    if problem is not None:
        return None, problem
    number = parse_long(params["sms_id"])
    if number is None:
        return None, not_long("sms_id", params["sms_id"])
    state.settle_locked()
    sms = state.sms.get(number)
    if sms is None or sms.endpoint_id != endpoint.id or sms.submit > state.now():
        return None, error(404, 1201, "NotFound", "SMS with Id '%s' not found." % number)
    return sms, None


def get_sms(api, _request, params):
    sms, problem = _sms_locked(api.state, params)
    if problem is not None:
        return problem
    return Response(200, sms.view(api.state.now()), JSON_PLAIN)


def cancel_sms(api, _request, params):
    sms, problem = _sms_locked(api.state, params)
    if problem is not None:
        return problem
    now = api.state.now()
    status = sms.status_at(now)
    if status in FINAL:
        return conflict("SMS with Id '%s' is in final status %s and cannot be canceled." % (sms.id, STATUS_DESCRIPTION[status]))
    sms.cancel(now)
    api.state.stats["sms_canceled"] += 1
    return empty(204, None)


def post_sms(api, request, params):
    endpoint, problem = endpoint_of_locked(api.state, params["id"])
    if problem is not None:
        return problem
    if request.body_error is not None:
        return bad_request("Malformed JSON body: %s" % request.body_error)
    if not isinstance(request.body, dict):
        return bad_request("The request body must be a JSON object")
    fields, errors = validate_sms(request.body, api.state.now())
    if errors:
        return error(422, 1400, "InputValidationFailed", "Send SMS validation error", errors)
    refusal = sms_refusal(endpoint)
    if refusal is not None:
        return refusal
    sms = api.state.create_mt_locked(endpoint, fields)
    location = "%s/api/v1/endpoint/%d/sms/%d" % (request.base_url, endpoint.id, sms.id)
    return empty(201, headers=[("Location", location)])


def sms_refusal(endpoint):
    """Why the service refuses an MT SMS to this endpoint (409), or None."""
    if endpoint.status_id != 0:
        return conflict("Endpoint with Id '%d' is not enabled." % endpoint.id)
    if endpoint.sim is None:
        return conflict("Endpoint with Id '%d' has no SIM assigned." % endpoint.id)
    if endpoint.sim["status_id"] != 1:
        return conflict("SIM with Id '%d' of Endpoint with Id '%d' is not activated." % (endpoint.sim["id"], endpoint.id))
    if not endpoint.sms_mt:
        return conflict("The service profile of Endpoint with Id '%d' does not allow SMS MT." % endpoint.id)
    return None
