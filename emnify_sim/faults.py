# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection rules: which /api/v1 requests to break, and how.

Not thread-safe by itself: the simulator calls it under its state lock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from .common import Response, JSON_UTF8, error_body

ACTIONS = ("status", "status_after", "status_store_later", "reset_before", "reset_after", "delay", "revoke_tokens")
RULE_KEYS = frozenset(("method", "path", "action", "status", "times", "skip", "delay_ms", "body", "headers"))

# Bodies for an injected status when the rule gives none: emnify's error bodies for 4xx, the API
# gateway's message-only bodies for 5xx.
DEFAULT_BODIES = {
    400: error_body(1000, "BadRequest", "Bad request"),
    401: error_body(1102, "InvalidToken", "Invalid authentication token."),
    403: error_body(1104, "Forbidden", "Forbidden"),
    404: error_body(1201, "NotFound", "Not found"),
    409: error_body(1409, "Conflict", "Conflict"),
    422: error_body(1400, "InputValidationFailed", "Validation error", []),
    429: error_body(1105, "TooManyRequests", "Too many requests"),
    500: {"message": "Internal server error"},
    502: {"message": "Internal server error"},
    503: {"message": "Service Unavailable"},
    504: {"message": "Endpoint request timed out"},
}


class FaultRule:
    """One rule; `times` None means every matching request."""

    def __init__(self, rule_id, spec):
        self.id = rule_id
        method = spec.get("method")
        self.method = None if method in (None, "", "*") else str(method).upper()
        self.path_text = spec.get("path") or ".*"
        self.path = re.compile(self.path_text)
        self.action = spec["action"]
        self.status = spec.get("status")
        self.times = spec.get("times", 1)
        self.skip = spec.get("skip", 0)
        self.delay_ms = spec.get("delay_ms", 0)
        self.body = spec.get("body")
        self.headers = spec.get("headers") or {}
        self.hits = 0

    def matches(self, method, path):
        return (self.method is None or self.method == method) and self.path.search(path) is not None

    def view(self):
        return {
            "id": self.id, "method": self.method or "*", "path": self.path_text, "action": self.action,
            "status": self.status, "times": self.times, "skip": self.skip, "delay_ms": self.delay_ms,
            "body": self.body, "headers": self.headers, "hits": self.hits,
        }

    def response(self):
        """The answer an injected status gives."""
        status = self.status or 500
        body = self.body if self.body is not None else DEFAULT_BODIES.get(status, {"message": "Injected fault"})
        return Response(status, body, JSON_UTF8, sorted(self.headers.items()))


def _int_in(spec, key, low, high, default):
    value = spec.get(key, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValueError("%s must be an integer from %s%s" % (key, low, "" if high is None else " to %s" % high))
    return value


def validate_rule(spec):
    """Check one rule's JSON; raise ValueError with a message when it is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("each rule must be an object")
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise ValueError("unknown rule keys: %s" % ", ".join(unknown))
    if spec.get("action") not in ACTIONS:
        raise ValueError("action must be one of %s" % ", ".join(ACTIONS))
    if spec.get("method") is not None and not isinstance(spec["method"], str):
        raise ValueError("method must be a string")
    if spec.get("path") is not None:
        if not isinstance(spec["path"], str):
            raise ValueError("path must be a regular expression string")
        problem = None
        try:
            re.compile(spec["path"])
        except re.error as exc:
            problem = "path is not a valid regular expression: %s" % exc
        if problem:
            raise ValueError(problem)
    if spec["action"] in ("status", "status_after", "status_store_later"):
        if "status" not in spec:
            raise ValueError("action %s needs a status" % spec["action"])
        _int_in(spec, "status", 200, 599, None)
    elif spec["action"] == "revoke_tokens":
        spec.setdefault("status", 401)
    if spec["action"] in ("delay", "status_store_later") and "delay_ms" not in spec:
        raise ValueError("action %s needs delay_ms" % spec["action"])
    _int_in(spec, "delay_ms", 0, 600000, 0)
    if "times" in spec and spec["times"] is not None:
        _int_in(spec, "times", 1, None, 1)
    _int_in(spec, "skip", 0, None, 0)
    headers = spec.get("headers")
    if headers is not None and (not isinstance(headers, dict) or
                                not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
        raise ValueError("headers must be an object of strings")


class Faults:
    """The list of active rules."""

    def __init__(self):
        self.rules = []
        self.next_id = 1

    def add(self, specs):
        """Validate all, then append all (nothing is added when one is wrong)."""
        if not isinstance(specs, list):
            raise ValueError("rules must be a list")
        for spec in specs:
            validate_rule(spec)
        added = []
        for spec in specs:
            rule = FaultRule(self.next_id, spec)
            self.next_id += 1
            self.rules.append(rule)
            added.append(rule)
        return added

    def clear(self):
        self.rules = []

    def views(self):
        return [rule.view() for rule in self.rules]

    def match(self, method, path):
        """The rule that hits this request (its counters updated), or None."""
        for rule in self.rules:
            if not rule.matches(method, path):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            return rule
        return None
