# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GET /api/v1/sim."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from .common import Response, JSON_UTF8
from .listing import int_match, listing, text_match

SIM_FILTERS = ("id", "iccid", "iccid_with_luhn", "imsi", "msisdn", "status", "eid", "endpoint", "production_date")
SIM_SORTS = ("id", "iccid", "imsi", "msisdn", "status", "endpoint", "production_date", "activation_date")


def sim_matches(endpoint, criteria):
    sim = endpoint.sim_list_view()
    for field, value in criteria:
        if field == "id":
            ok = int_match(sim["id"], value)
        elif field == "status":
            ok = int_match(sim["status"]["id"], value)
        elif field == "endpoint":
            ok = int_match(endpoint.id, value) or text_match(endpoint.name, value)
        else:
            ok = text_match(sim.get(field), value)
        if not ok:
            return False
    return True


def sim_field(endpoint, field):
    sim = endpoint.sim_list_view()
    if field == "status":
        return sim["status"]["id"]
    if field == "endpoint":
        return endpoint.id
    return sim.get(field)


def list_sims(api, request, _params):
    with_sim = [endpoint for endpoint in api.state.fleet if endpoint.sim is not None]
    items, headers, problem = listing(request, with_sim, SIM_FILTERS, SIM_SORTS, sim_matches, sim_field)
    if problem is not None:
        return problem
    return Response(200, [endpoint.sim_list_view() for endpoint in items], JSON_UTF8, headers)
