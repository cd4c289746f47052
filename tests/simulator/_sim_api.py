# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emnify REST API under /api/v1: routing, authentication, rate limits and the resources the collection uses."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import time

import _sim_jwt as jwt
from _sim_common import (Response, JSON_PLAIN, JSON_UTF8, empty, error, gateway_401, not_long, parse_long)
from _sim_ratelimit import LIMIT_AUTH, LIMIT_ENDPOINT_GET, LIMIT_ENDPOINT_LIST, LIMIT_OVERALL
from _sim_sms import FINAL, STATUS_DESCRIPTION
from _sim_validate import validate_sms

API_PREFIX = "/api/v1"
AUTH_PATH = "/api/v1/authenticate"
MAX_PER_PAGE = 1000

# golang-jwt (v4) messages, which the API gateway sends as they are (the recorded malformed-token answer is one).
GATEWAY_EXPIRED = "Token is expired"
GATEWAY_BAD_SIGNATURE = "signature is invalid"

ENDPOINT_FILTERS = ("status", "service_profile", "tariff_profile", "id", "name", "created", "last_updated", "tags",
                    "ip_address", "imei", "iccid", "iccid_with_luhn", "eid", "sim_status")
ENDPOINT_SORTS = ("id", "name", "status", "created", "last_updated", "tags", "ip_address", "imei", "iccid",
                  "service_profile", "tariff_profile", "sim_status")
SIM_FILTERS = ("id", "iccid", "iccid_with_luhn", "imsi", "msisdn", "status", "eid", "endpoint", "production_date")
SIM_SORTS = ("id", "iccid", "imsi", "msisdn", "status", "endpoint", "production_date", "activation_date")


def route_of(method, path):
    """The route template a request belongs to, e.g. 'GET /api/v1/endpoint/{id}/sms' (used by stats and the log)."""
    if path == AUTH_PATH:
        return "%s %s" % (method, AUTH_PATH)
    parts = path.split("/")
    if path.startswith(API_PREFIX + "/") and len(parts) >= 4:
        names = ["", "api", "v1", parts[3]]
        if parts[3] == "endpoint":
            names.extend(("{id}", "sms", "{sms_id}")[:len(parts) - 4])
        elif parts[3] == "sim":
            names.extend(("{id}",)[:len(parts) - 4])
        names = names[:len(parts)]
        if len(names) == len(parts) and all(a == b or b.startswith("{") for a, b in zip(parts, names)):
            return "%s %s" % (method, "/".join(names))
    generic = "/".join("{id}" if part.lstrip("-").isdigit() else part for part in parts)
    return "%s %s" % (method, generic)


def limits_of(route):
    """The documented rate limits a request counts against."""
    if route == "POST " + AUTH_PATH:
        return (LIMIT_OVERALL, LIMIT_AUTH)
    if route == "GET /api/v1/endpoint":
        return (LIMIT_OVERALL, LIMIT_ENDPOINT_LIST)
    if route == "GET /api/v1/endpoint/{id}":
        return (LIMIT_OVERALL, LIMIT_ENDPOINT_GET)
    return (LIMIT_OVERALL,)


def bad_request(message):
    return error(400, 1000, "BadRequest", message)


def not_found_endpoint(text):
    """The recorded answer for an unknown endpoint id."""
    return error(404, 1401, "InvalidReference", "Endpoint with Id '%s' not found." % text)


def conflict(message):
    return error(409, 1409, "Conflict", message)


def query_error(message):
    return error(422, 1301, "InvalidQueryCriteria", message)


def parse_criteria(text, allowed):
    """Split q=field:value[,field:value] into [(field, value)]; a comma inside a value stays in it.

    Raises ValueError for an unknown field or a criterion without a colon.
    """
    criteria = []
    for piece in text.split(","):
        field, sep, value = piece.partition(":")
        field = field.strip()
        if sep and field in allowed:
            criteria.append((field, value))
        elif criteria:
            criteria[-1] = (criteria[-1][0], criteria[-1][1] + "," + piece)
        elif not sep:
            raise ValueError("Invalid query criteria '%s': expected field:value" % piece)
        else:
            raise ValueError("Unknown query field '%s'; allowed: %s" % (field, ", ".join(allowed)))
    return criteria


def parse_sort(text, allowed):
    """Split sort=[-]field[,[-]field] into [(field, descending)]; raises ValueError for an unknown field."""
    keys = []
    for piece in text.split(","):
        piece = piece.strip()
        descending = piece.startswith("-")
        field = piece.lstrip("+-")
        if field not in allowed:
            raise ValueError("Invalid sort criteria '%s'; allowed: %s" % (piece, ", ".join(allowed)))
        keys.append((field, descending))
    return keys


def _text_match(actual, wanted):
    """Case-insensitive substring match (whether the service matches exactly is unknown)."""
    return actual is not None and wanted.strip().lower() in str(actual).lower()


def _int_match(actual, wanted):
    try:
        return actual is not None and int(actual) == int(wanted.strip())
    except ValueError:
        return False


def _endpoint_field(endpoint, field):
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
        actual = _endpoint_field(endpoint, field)
        if field in ("status", "service_profile", "tariff_profile", "id", "sim_status"):
            if not _int_match(actual, value):
                return False
        elif field in ("created", "last_updated"):
            if not _text_match(endpoint.view()[field], value):
                return False
        elif not _text_match(actual, value):
            return False
    return True


def sim_matches(endpoint, criteria):
    sim = endpoint.sim_list_view()
    for field, value in criteria:
        if field == "id":
            ok = _int_match(sim["id"], value)
        elif field == "status":
            ok = _int_match(sim["status"]["id"], value)
        elif field == "endpoint":
            ok = _int_match(endpoint.id, value) or _text_match(endpoint.name, value)
        else:
            ok = _text_match(sim.get(field), value)
        if not ok:
            return False
    return True


def _sort_value(value):
    """Sort numbers before text, None last, without comparing unlike types."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value).lower())


def sort_items(items, keys, getter):
    for field, descending in reversed(keys):
        items.sort(key=lambda item, f=field: _sort_value(getter(item, f)), reverse=descending)
    return items


def page_of(items, query):
    """Apply page/per_page: (page items, headers) or raise ValueError for a bad parameter."""
    per_page = _int_param(query, "per_page", MAX_PER_PAGE)
    page = _int_param(query, "page", 1)
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise ValueError("per_page must be from 1 to %d" % MAX_PER_PAGE)
    total = len(items)
    pages = int(math.ceil(total / float(per_page)))
    # A page out of range returns the first or last page, not an error.
    page = max(1, min(page, max(pages, 1)))
    start = (page - 1) * per_page
    headers = [
        ("X-Count-Per-Page", str(per_page)),
        ("X-Current-Page", str(page)),
        ("X-Total-Count", str(total)),
        ("X-Total-Pages", str(pages)),
    ]
    return items[start:start + per_page], headers


def _int_param(query, name, default):
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    number = parse_long(values[-1].strip())
    if number is None:
        raise ValueError("%s must be an integer, not '%s'" % (name, values[-1]))
    return number


def _last(query, name):
    values = query.get(name)
    return values[-1] if values else None


class Request:
    """What the API needs to know about one HTTP request."""

    def __init__(self, method, path, query, body, body_error, headers, client, base_url):
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.body_error = body_error
        self.headers = headers
        self.client = client
        self.base_url = base_url

    def header(self, name):
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


class Api:
    """The REST API: call `respond` with a Request; it takes the state lock itself."""

    def __init__(self, state, options):
        self.state = state
        self.options = options

    # gate: rate limits and authentication -------------------------------------------------------------

    def rate_limited_locked(self, request, route):
        allowed, wait = self.state.limiter.admit(request.client, limits_of(route), time.monotonic())
        if allowed:
            return None
        response = error(429, 1105, "TooManyRequests", "Too many requests, please try again later.")
        if self.options.retry_after:
            response.headers.append(("Retry-After", str(max(1, int(math.ceil(wait))))))
        return response

    def auth_problem_locked(self, request):
        value = request.header("Authorization") or ""
        scheme, _sep, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return gateway_401()
        verdict = self.state.check_token_locked(token.strip())
        if verdict == jwt.TOKEN_OK:
            return None
        if verdict == jwt.TOKEN_MALFORMED:
            return gateway_401()
        response = gateway_401()
        response.body = {"message": GATEWAY_EXPIRED if verdict == jwt.TOKEN_EXPIRED else GATEWAY_BAD_SIGNATURE}
        return response

    def respond(self, request, route, check_limits=True):
        """Answer one /api/v1 request (faults are the caller's business)."""
        with self.state.lock:
            if check_limits:
                limited = self.rate_limited_locked(request, route)
                if limited is not None:
                    return limited
            if route == "POST " + AUTH_PATH:
                return self.authenticate_locked(request)
            problem = self.auth_problem_locked(request)
            if problem is not None:
                return problem
            return self.dispatch_locked(request, route)

    # routes -------------------------------------------------------------------------------------------

    def dispatch_locked(self, request, route):
        parts = request.path.split("/")
        method = request.method
        template = route.split(" ", 1)[1]
        handlers = {
            "/api/v1/endpoint": {"GET": self.list_endpoints_locked},
            "/api/v1/endpoint/{id}": {"GET": self.get_endpoint_locked},
            "/api/v1/endpoint/{id}/sms": {"GET": self.list_sms_locked, "POST": self.post_sms_locked},
            "/api/v1/endpoint/{id}/sms/{sms_id}": {"GET": self.get_sms_locked, "DELETE": self.delete_sms_locked},
            "/api/v1/sim": {"GET": self.list_sims_locked},
            "/api/v1/authenticate": {},
        }
        if template not in handlers:
            return error(404, 1201, "NotFound", "No resource at %s" % request.path)
        handler = handlers[template].get(method)
        if handler is None:
            return Response(405, {"message": "Method %s is not allowed on %s" % (method, template)}, JSON_PLAIN,
                            [("Allow", ", ".join(sorted(handlers[template])))])
        return handler(request, parts[4:])

    def authenticate_locked(self, request):
        if request.body_error is not None:
            return bad_request("Malformed JSON body: %s" % request.body_error)
        body = request.body if isinstance(request.body, dict) else {}
        token = body.get("application_token")
        if isinstance(token, str) and token and token in self.state.app_tokens:
            return Response(200, {"auth_token": self.state.issue_token_locked()}, JSON_UTF8)
        self.state.stats["authentications_failed"] += 1
        return empty(401)

    def _endpoint_locked(self, text):
        """(endpoint, None) or (None, error response) for an id path segment."""
        number = parse_long(text)
        if number is None:
            return None, not_long("id", text)
        endpoint = self.state.by_id.get(number)
        if endpoint is None:
            return None, not_found_endpoint(number)
        return endpoint, None

    def list_endpoints_locked(self, request, _params):
        items, headers, problem = self._listing(request, list(self.state.fleet), ENDPOINT_FILTERS, ENDPOINT_SORTS,
                                                endpoint_matches, _endpoint_field)
        if problem is not None:
            return problem
        return Response(200, [endpoint.view() for endpoint in items], JSON_UTF8, headers)

    def list_sims_locked(self, request, _params):
        with_sim = [endpoint for endpoint in self.state.fleet if endpoint.sim is not None]

        def sim_field(endpoint, field):
            sim = endpoint.sim_list_view()
            if field == "status":
                return sim["status"]["id"]
            if field == "endpoint":
                return endpoint.id
            return sim.get(field)

        items, headers, problem = self._listing(request, with_sim, SIM_FILTERS, SIM_SORTS, sim_matches, sim_field)
        if problem is not None:
            return problem
        return Response(200, [endpoint.sim_list_view() for endpoint in items], JSON_UTF8, headers)

    @staticmethod
    def _listing(request, items, filters, sorts, matcher, getter):
        query = request.query
        q_text = _last(query, "q")
        sort_text = _last(query, "sort") or "id"
        try:
            criteria = parse_criteria(q_text, filters) if q_text else []
        except ValueError as exc:
            return None, None, query_error(str(exc))
        try:
            keys = parse_sort(sort_text, sorts)
        except ValueError as exc:
            return None, None, error(422, 1302, "InvalidSortCriteria", str(exc))
        items = [item for item in items if matcher(item, criteria)]
        sort_items(items, keys, getter)
        try:
            page, headers = page_of(items, query)
        except ValueError as exc:
            return None, None, query_error(str(exc))
        headers.insert(2, ("X-Sort", sort_text))
        return page, headers, None

    def get_endpoint_locked(self, _request, params):
        endpoint, problem = self._endpoint_locked(params[0])
        if problem is not None:
            return problem
        return Response(200, endpoint.view(), JSON_UTF8)

    def list_sms_locked(self, _request, params):
        endpoint, problem = self._endpoint_locked(params[0])
        if problem is not None:
            return problem
        now = self.state.now()
        items = self.state.endpoint_sms_locked(endpoint)
        return Response(200, [sms.view(now) for sms in items], JSON_PLAIN)

    def _sms_locked(self, params):
        endpoint, problem = self._endpoint_locked(params[0])
        if problem is not None:
            return None, None, problem
        number = parse_long(params[2])
        if number is None:
            return None, None, not_long("sms_id", params[2])
        self.state.materialize_locked(endpoint)
        sms = self.state.sms.get(number)
        if sms is None or sms.endpoint_id != endpoint.id or sms.submit > self.state.now():
            return None, None, error(404, 1201, "NotFound", "SMS with Id '%s' not found." % number)
        return endpoint, sms, None

    def get_sms_locked(self, _request, params):
        _endpoint, sms, problem = self._sms_locked(params)
        if problem is not None:
            return problem
        return Response(200, sms.view(self.state.now()), JSON_PLAIN)

    def delete_sms_locked(self, _request, params):
        _endpoint, sms, problem = self._sms_locked(params)
        if problem is not None:
            return problem
        now = self.state.now()
        status = sms.status_at(now)
        if status in FINAL:
            return conflict("SMS with Id '%s' is in final status %s and cannot be canceled." % (sms.id, STATUS_DESCRIPTION[status]))
        sms.cancel(now)
        self.state.stats["sms_canceled"] += 1
        return empty(204, None)

    def post_sms_locked(self, request, params):
        endpoint, problem = self._endpoint_locked(params[0])
        if problem is not None:
            return problem
        if request.body_error is not None:
            return bad_request("Malformed JSON body: %s" % request.body_error)
        if not isinstance(request.body, dict):
            return bad_request("The request body must be a JSON object")
        fields, errors = validate_sms(request.body, self.state.now())
        if errors:
            return error(422, 1400, "InputValidationFailed", "Send SMS validation error", errors)
        refusal = self.sms_refusal(endpoint)
        if refusal is not None:
            return refusal
        sms = self.state.create_mt_locked(endpoint, fields)
        location = "%s/api/v1/endpoint/%d/sms/%d" % (request.base_url, endpoint.id, sms.id)
        return empty(201, headers=[("Location", location)])

    @staticmethod
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
