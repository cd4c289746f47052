# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/sim: every SIM of the organisation, those in stock (without an endpoint) too."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from .common import Response, JSON_UTF8
from .fleet import fleet_sims, sim_list_view
from .listing import Paging, int_match, listing, text_match

# Filter and sort fields, and paging (per_page up to 2500, default 2000), from emnify's API description.
SIM_FILTERS = ("id", "iccid", "iccid_with_luhn", "imsi", "msisdn", "status", "eid", "endpoint", "production_date",
               "issuer_org", "reseller_org", "customer_org", "model")
SIM_SORTS = ("id", "iccid", "imsi", "msisdn", "status", "endpoint", "production_date", "activation_date", "eid",
             "issuer_org", "reseller_org", "customer_org", "model")
OBJECT_FIELDS = ("issuer_org", "reseller_org", "customer_org", "model")
SIM_PAGING = Paging(2000, 2500)


def _named_match(item, value):
    """An organisation or model matches by its id or by a part of its name (description)."""
    if item is None:
        return False
    return int_match(item["id"], value) or text_match(item.get("name", item.get("description")), value)


def sim_matches(pair, criteria):
    sim, endpoint = pair
    view = sim_list_view(sim, endpoint)
    for field, value in criteria:
        if field == "id":
            ok = int_match(view["id"], value)
        elif field == "status":
            ok = int_match(view["status"]["id"], value)
        elif field == "endpoint":
            ok = endpoint is not None and (int_match(endpoint.id, value) or text_match(endpoint.name, value))
        elif field in OBJECT_FIELDS:
            ok = _named_match(view.get(field), value)
        else:
            ok = text_match(view.get(field), value)
        if not ok:
            return False
    return True


def sim_field(pair, field):
    sim, endpoint = pair
    view = sim_list_view(sim, endpoint)
    if field == "status":
        return view["status"]["id"]
    if field == "endpoint":
        return endpoint.id if endpoint is not None else None
    if field in OBJECT_FIELDS:
        return view[field]["id"]
    return view.get(field)


def list_sims(api, request, _params):
    items, headers, problem = listing(request, fleet_sims(api.state.fleet), SIM_FILTERS, SIM_SORTS, sim_matches, sim_field,
                                      SIM_PAGING)
    if problem is not None:
        return problem
    return Response(200, [sim_list_view(sim, endpoint) for sim, endpoint in items], JSON_UTF8, headers)
