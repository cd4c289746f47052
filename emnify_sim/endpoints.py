# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/endpoint and GET /api/v1/endpoint/{id}."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from .common import Response, JSON_UTF8, error, not_long, parse_long
from .listing import Paging, int_match, listing, text_match

ENDPOINT_FILTERS = ("status", "service_profile", "tariff_profile", "id", "name", "created", "last_updated", "tags",
                    "ip_address", "imei", "iccid", "iccid_with_luhn", "eid", "sim_status")
ENDPOINT_SORTS = ("id", "name", "status", "created", "last_updated", "tags", "ip_address", "imei", "iccid", "eid",
                  "service_profile", "tariff_profile", "sim_status")
# per_page 1 to 1000, default 1000 (docs, recorded X-Count-Per-Page); a sort field the docs do not list is accepted
# and leaves the order alone (docs list none other; accepting them is what the service does, how it orders is a guess);
# a filtered list names its filter in X-Filter.
ENDPOINT_PAGING = Paging(1000, 1000, lenient_sort=True, filter_header=True)
INTEGER_FILTERS = ("status", "service_profile", "tariff_profile", "id", "sim_status")


def not_found_endpoint(text):
    """The recorded answer for an unknown endpoint id."""
    return error(404, 1401, "InvalidReference", "Endpoint with Id '%s' not found." % text)


def endpoint_of_locked(state, text):
    """(endpoint, None) or (None, error response) for an id path segment."""
    number = parse_long(text)
    if number is None:
        return None, not_long("id", text)
    endpoint = state.by_id.get(number)
    if endpoint is None:
        return None, not_found_endpoint(number)
    return endpoint, None


def endpoint_field(endpoint, field):
    sim = endpoint.sim
    view_fields = {
        "id": endpoint.id, "name": endpoint.name, "tags": endpoint.tags, "status": endpoint.status_id,
        "service_profile": endpoint.service_profile["id"], "tariff_profile": 424560,
        "ip_address": endpoint.ip_address, "imei": endpoint.imei,
        "created": endpoint.created, "last_updated": endpoint.last_updated,
        "iccid": sim["iccid"] if sim else None,
        "sim_status": sim["status_id"] if sim else None,
        "eid": None,
    }
    if field == "iccid_with_luhn":
        return endpoint.sim_view()["iccid_with_luhn"] if sim else None
    return view_fields[field]


def endpoint_matches(endpoint, criteria):
    for field, value in criteria:
        actual = endpoint_field(endpoint, field)
        if field in INTEGER_FILTERS:
            if not int_match(actual, value):
                return False
        elif field in ("created", "last_updated"):
            if not text_match(endpoint.view()[field], value):
                return False
        elif not text_match(actual, value):
            return False
    return True


def list_endpoints(api, request, _params):
    items, headers, problem = listing(request, list(api.state.fleet), ENDPOINT_FILTERS, ENDPOINT_SORTS,
                                      endpoint_matches, endpoint_field, ENDPOINT_PAGING)
    if problem is not None:
        return problem
    return Response(200, [endpoint.view() for endpoint in items], JSON_UTF8, headers)


def get_endpoint(api, _request, params):
    endpoint, problem = endpoint_of_locked(api.state, params["id"])
    if problem is not None:
        return problem
    return Response(200, endpoint.view(), JSON_UTF8)
