# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emnify REST API under /api/v1: its routes, and the gate every request passes (rate limits, bearer token).

ROUTES is the one place that declares a route: method, path template, handler and the rate-limit buckets it
counts against besides the overall per-IP limit. A handler is `handler(api, request, params)`, runs under the
state lock and returns a Response.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
import time

from . import callbacks, endpoints, messages, sims
from .auth import authenticate, bearer_problem_locked
from .common import Response, JSON_PLAIN, error
from .fleet import ORGANISATION_ID
from .ratelimit import LIMIT_AUTH, LIMIT_ENDPOINT_GET, LIMIT_ENDPOINT_LIST, LIMIT_OVERALL
from .routes import Route, Router

API_PREFIX = "/api/v1"

ROUTES = (
    Route("POST", "/api/v1/authenticate", authenticate, limits=(LIMIT_AUTH,), authenticated=False),
    Route("GET", "/api/v1/endpoint", endpoints.list_endpoints, limits=(LIMIT_ENDPOINT_LIST,)),
    Route("GET", "/api/v1/endpoint/{id}", endpoints.get_endpoint, limits=(LIMIT_ENDPOINT_GET,)),
    Route("GET", "/api/v1/endpoint/{id}/sms", messages.list_sms),
    Route("POST", "/api/v1/endpoint/{id}/sms", messages.post_sms),
    Route("GET", "/api/v1/endpoint/{id}/sms/{sms_id}", messages.get_sms),
    Route("DELETE", "/api/v1/endpoint/{id}/sms/{sms_id}", messages.cancel_sms),
    Route("GET", "/api/v1/sim", sims.list_sims),
    Route("GET", "/api/v1/api_callback", callbacks.list_api_callbacks),
    Route("POST", "/api/v1/api_callback", callbacks.create_api_callback),
    Route("GET", "/api/v1/api_callback/{id}", callbacks.get_api_callback),
    Route("DELETE", "/api/v1/api_callback/{id}", callbacks.delete_api_callback),
    Route("GET", "/api/v1/api_secret", callbacks.list_api_secrets),
    Route("POST", "/api/v1/api_secret", callbacks.create_api_secret),
    Route("GET", "/api/v1/api_secret/{id}", callbacks.get_api_secret),
    Route("DELETE", "/api/v1/api_secret/{id}", callbacks.delete_api_secret),
    Route("GET", "/api/v1/service_profile/{id}", callbacks.get_service_profile),
    Route("PATCH", "/api/v1/service_profile/{id}", callbacks.patch_service_profile),
)

ROUTER = Router(ROUTES)


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
    """The REST API: call `respond` with a Request and the router's Match; it takes the state lock itself."""

    def __init__(self, state, options):
        self.state = state
        self.options = options

    def rate_limited_locked(self, request, match):
        buckets = (LIMIT_OVERALL,) + (match.route.limits if match.route is not None else ())
        # The simulator serves one organisation: every request counts against its per-path limits.
        allowed, wait = self.state.limiter.admit(request.client, ORGANISATION_ID, buckets, time.monotonic())
        if allowed:
            return None
        response = error(429, 1105, "TooManyRequests", "Too many requests, please try again later.")
        if self.options.retry_after:
            response.headers.append(("Retry-After", str(max(1, int(math.ceil(wait))))))
        return response

    def respond(self, request, match, check_limits=True):
        """Answer one /api/v1 request (faults are the caller's business)."""
        with self.state.lock:
            if check_limits:
                limited = self.rate_limited_locked(request, match)
                if limited is not None:
                    return limited
            route = match.route
            if route is None or route.authenticated:
                problem = bearer_problem_locked(self.state, request)
                if problem is not None:
                    return problem
            if route is not None:
                return route.handler(self, request, match.params)
            if match.allowed:
                template = match.name.split(" ", 1)[1]
                return Response(405, {"message": "Method %s is not allowed on %s" % (request.method, template)}, JSON_PLAIN,
                                [("Allow", ", ".join(match.allowed))])
            return error(404, 1201, "NotFound", "No resource at %s" % request.path)
