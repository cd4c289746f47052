# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The admin API under /_simulator: reset, stats, request log, faults, clock, fleet control and MO injection.

No authentication, no rate limit, and not counted in the stats or the request log.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import time

from . import gsm
from .common import Response, JSON_PLAIN, empty, iso_now, parse_long
from .fleet import SIM_STATUS, ENDPOINT_STATUS
from .routes import Route, Router

ADMIN_PREFIX = "/_simulator"
DEFAULT_LOG_LIMIT = 1000
MAX_LOG_LIMIT = 20000
MAX_DELAY_SECONDS = 7 * 86400
MAX_ADVANCE_SECONDS = 10 * 365 * 86400


class AdminError(Exception):
    """A refused admin request: status and message."""

    def __init__(self, status, message):
        super(AdminError, self).__init__(message)
        self.status = status
        self.message = message


def ok(body, status=200):
    return Response(status, body, JSON_PLAIN)


def _bool(body, key):
    value = body[key]
    if not isinstance(value, bool):
        raise AdminError(400, "%s must be true or false" % key)
    return value


def _number(body, key, low, high):
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise AdminError(400, "%s must be a number from %s to %s" % (key, low, high))
    return value


def _object(body):
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise AdminError(400, "the body must be a JSON object")
    return body


class Admin:
    """Answers /_simulator requests."""

    def __init__(self, state, options, started):
        self.state = state
        self.options = options
        self.started = started
        self.base_url = None
        self.router = Router((
            Route("POST", "/reset", self.reset),
            Route("GET", "/health", self.health),
            Route("GET", "/stats", self.stats),
            Route("POST", "/stats/reset", self.stats_reset),
            Route("GET", "/requests", self.requests),
            Route("GET", "/faults", self.faults_get),
            Route("POST", "/faults", self.faults_add),
            Route("DELETE", "/faults", self.faults_clear),
            Route("GET", "/clock", self.clock_get),
            Route("POST", "/clock", self.clock_advance),
            Route("GET", "/fleet", self.fleet),
            Route("GET", "/sms", self.sms),
            Route("GET", "/limits", self.limits),
            Route("GET", "/endpoints/{id}", self.endpoint_get),
            Route("PATCH", "/endpoints/{id}", self.patch_endpoint),
            Route("POST", "/endpoints/{id}/mo", self.inject_mo),
            Route("GET", "/callbacks", self.callbacks),
            Route("POST", "/callbacks/{seq}/redeliver", self.redeliver),
        ))

    def respond(self, method, path, query, body, body_error):
        try:
            if body_error is not None:
                raise AdminError(400, "malformed JSON body: %s" % body_error)
            sub = "/" + path[len(ADMIN_PREFIX):].strip("/")
            match = self.router.match(method, sub)
            if match.route is not None:
                return match.route.handler(query, body, match.params)
            if match.allowed:
                raise AdminError(405, "method %s is not allowed on %s%s" % (method, ADMIN_PREFIX, sub))
            raise AdminError(404, "no admin route %s %s%s" % (method, ADMIN_PREFIX, sub))
        except AdminError as exc:
            return ok({"error": exc.message}, exc.status)

    def _endpoint(self, text):
        number = parse_long(text)
        endpoint = self.state.by_id.get(number) if number is not None else None
        if endpoint is None:
            raise AdminError(404, "no endpoint with id %s" % text)
        return endpoint

    # routes -------------------------------------------------------------------------------------------

    def reset(self, _query, _body, _params):
        self.state.reset()
        return ok({"ok": True})

    def health(self, _query, _body, _params):
        with self.state.lock:
            count = len(self.state.fleet)
        return ok({"ok": True, "url": self.base_url, "endpoints": count, "uptime_seconds": round(time.time() - self.started, 3),
                   "now": iso_now(self.state.now()), "pid": os.getpid()})

    def stats(self, _query, _body, _params):
        return ok(self.state.stats_view())

    def stats_reset(self, _query, _body, _params):
        self.state.reset_stats()
        return ok({"ok": True})

    def requests(self, query, _body, _params):
        since = self._query_int(query, "since", 0)
        limit = self._query_int(query, "limit", DEFAULT_LOG_LIMIT)
        if limit < 1 or limit > MAX_LOG_LIMIT:
            raise AdminError(400, "limit must be from 1 to %d" % MAX_LOG_LIMIT)
        items, last = self.state.log_since(since, limit + 1)
        if len(items) > limit:
            items = items[:limit]
            last = items[-1]["seq"]
        return ok({"requests": items, "last": last})

    @staticmethod
    def _query_int(query, name, default):
        values = query.get(name)
        if not values:
            return default
        number = parse_long(values[-1])
        if number is None:
            raise AdminError(400, "%s must be an integer" % name)
        return number

    def faults_get(self, _query, _body, _params):
        with self.state.lock:
            return ok({"rules": self.state.faults.views()})

    def faults_add(self, _query, body, _params):
        specs = body if isinstance(body, list) else [body]
        with self.state.lock:
            try:
                added = self.state.faults.add([dict(spec) if isinstance(spec, dict) else spec for spec in specs])
            except ValueError as exc:
                raise AdminError(400, str(exc))
            return ok({"rules": [rule.view() for rule in added]}, 201)

    def faults_clear(self, _query, _body, _params):
        with self.state.lock:
            self.state.faults.clear()
        return empty(204, None)

    def clock_get(self, _query, _body, _params):
        with self.state.lock:
            return ok(self._clock_view())

    def _clock_view(self):
        now = self.state.now()
        return {"now": iso_now(now), "epoch": now, "offset_seconds": self.state.clock_offset}

    def clock_advance(self, _query, body, _params):
        body = _object(body)
        if "advance" not in body:
            raise AdminError(400, 'give {"advance": SECONDS}')
        seconds = _number(body, "advance", 0, MAX_ADVANCE_SECONDS)
        self.state.advance(seconds)
        with self.state.lock:
            return ok(self._clock_view())

    def fleet(self, _query, _body, _params):
        with self.state.lock:
            return ok([endpoint.role_view() for endpoint in self.state.fleet])

    def limits(self, _query, _body, _params):
        with self.state.lock:
            return ok(self.state.limiter.describe())

    def sms(self, query, _body, _params):
        wanted = None
        if query.get("endpoint_id"):
            wanted = self._endpoint(query["endpoint_id"][-1]).id
        with self.state.lock:
            self.state.settle_locked()
            now = self.state.now()
            items = []
            for sms_id in sorted(self.state.sms):
                sms = self.state.sms[sms_id]
                if (wanted is not None and sms.endpoint_id != wanted) or sms.submit > now:
                    continue
                view = sms.view(now)
                view["dest_address"] = sms.dest_address
                view["direction"] = "MT" if sms.direction == 1 else "MO"
                items.append(view)
        return ok(items)

    def inject_mo(self, _query, body, params):
        endpoint = self._endpoint(params["id"])
        body = _object(body)
        payload = body.get("payload")
        if not isinstance(payload, str) or not payload:
            raise AdminError(400, "payload must be a non-empty string")
        udh = body.get("udh") or ""
        if not isinstance(udh, str) or gsm.parse_udh(udh)[0]:
            raise AdminError(400, "udh must be a valid UDH in hex: %s" % (gsm.parse_udh(udh)[0] if isinstance(udh, str) else "not a string"))
        dcs = body.get("dcs")
        if dcs is None:
            dcs = 0 if gsm.gsm7_septets(payload) is not None else 8
        elif isinstance(dcs, bool) or not isinstance(dcs, int) or not 0 <= dcs <= 255:
            raise AdminError(400, "dcs must be an integer from 0 to 255")
        source = body.get("source_address")
        if source is not None and not isinstance(source, str):
            raise AdminError(400, "source_address must be a string")
        dest = body.get("dest_address")
        if dest is not None and not isinstance(dest, str):
            raise AdminError(400, "dest_address must be a string")
        delay = _number(body, "delay_seconds", 0, MAX_DELAY_SECONDS) if "delay_seconds" in body else 0
        with self.state.lock:
            if endpoint.sim is None:
                raise AdminError(409, "endpoint %d has no SIM: it cannot send an SMS" % endpoint.id)
            now = self.state.now()
            self.state.stats["mo_injected"] += 1
            if delay > 0:
                self.state.schedule_mo_locked(endpoint, payload, udh, dcs, now + delay, source, dest)
                return ok({"id": None, "scheduled_at": iso_now(now + delay)}, 201)
            sms = self.state.create_mo_locked(endpoint, payload, udh, dcs, source, dest)
            return ok({"id": sms.id, "scheduled_at": iso_now(now)}, 201)

    def callbacks(self, _query, _body, _params):
        with self.state.lock:
            book = self.state.callbacks
            return ok({"deliveries": [delivery.view() for delivery in book.deliveries.values()],
                       "summary": book.summary_locked(),
                       "service_profiles": [book.profile_view(profile_id) for profile_id in sorted(book.profiles)]})

    def redeliver(self, _query, _body, params):
        seq = parse_long(params["seq"])
        with self.state.lock:
            book = self.state.callbacks
            if seq is None or seq not in book.deliveries:
                raise AdminError(404, "no callback delivery %s" % params["seq"])
            return ok(book.redeliver_locked(seq).view(), 201)

    def endpoint_get(self, _query, _body, params):
        endpoint = self._endpoint(params["id"])
        with self.state.lock:
            return ok(endpoint.role_view())

    def patch_endpoint(self, _query, body, params):
        endpoint = self._endpoint(params["id"])
        body = _object(body)
        known = ("online", "status", "sim_status", "replies", "reply_text", "sms_mt")
        unknown = sorted(set(body) - set(known))
        if unknown:
            raise AdminError(400, "unknown keys: %s (allowed: %s)" % (", ".join(unknown), ", ".join(known)))
        if "status" in body and (isinstance(body["status"], bool) or not isinstance(body["status"], int) or body["status"] not in ENDPOINT_STATUS):
            raise AdminError(400, "status must be one of %s" % sorted(ENDPOINT_STATUS))
        if "sim_status" in body and (isinstance(body["sim_status"], bool) or not isinstance(body["sim_status"], int) or body["sim_status"] not in SIM_STATUS):
            raise AdminError(400, "sim_status must be one of %s" % sorted(SIM_STATUS))
        reply_text = body.get("reply_text")
        if reply_text is not None and (not isinstance(reply_text, str) or not reply_text):
            raise AdminError(400, "reply_text must be a non-empty string or null")
        flags = dict((key, _bool(body, key)) for key in ("online", "replies", "sms_mt") if key in body)
        with self.state.lock:
            if "sim_status" in body and endpoint.sim is None:
                raise AdminError(409, "endpoint %d has no SIM" % endpoint.id)
            self.state.settle_locked()
            was_reachable = endpoint.reachable()
            if "online" in flags:
                endpoint.online = flags["online"]
            if "replies" in flags:
                endpoint.replies = flags["replies"]
            if "sms_mt" in flags:
                endpoint.sms_mt = flags["sms_mt"]
            if "status" in body:
                endpoint.status_id = body["status"]
            if "sim_status" in body:
                endpoint.sim["status_id"] = body["sim_status"]
            if "reply_text" in body:
                endpoint.reply_text = reply_text
            self.state.reachability_changed_locked(endpoint, was_reachable)
            return ok(endpoint.role_view())
