# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small shared helpers of the emnify API simulator: responses, error bodies, dates."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import time

JSON_UTF8 = "application/json; charset=UTF-8"
JSON_PLAIN = "application/json"
HTML_UTF8 = "text/html; charset=UTF-8"

GATEWAY_401_BODY = {"message": "token contains an invalid number of segments"}

STATUS_REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
    422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class Response:
    """What a route answers: status, headers and a body that is JSON data, raw bytes or nothing."""

    __slots__ = ("status", "headers", "body", "content_type")

    def __init__(self, status, body=None, content_type=JSON_UTF8, headers=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])

    def encoded(self):
        """Return the body as bytes (empty when there is none)."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_body(code, token, message, errors=None):
    """The usual emnify error body."""
    body = {"error_code": code, "error_token": token, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def error(status, code, token, message, errors=None):
    """A JSON error response with the emnify error body."""
    return Response(status, error_body(code, token, message, errors))


def field_error(code, token, message):
    """One item of the `errors` list of a validation error."""
    return {"error_code": code, "error_token": token, "message": message}


def empty(status, content_type=HTML_UTF8, headers=None):
    """A response without a body (the service sends these with a text/html content type)."""
    return Response(status, None, content_type, headers)


def gateway_401():
    """The API gateway's answer to a missing or malformed bearer token, as recorded."""
    return Response(401, dict(GATEWAY_401_BODY), JSON_PLAIN, [("x-amzn-ErrorType", "AccessDeniedException")])


def not_long(name, value):
    """The recorded 400 for a path parameter that is not a number."""
    return error(400, 1000, "BadRequest", 'Cannot parse parameter %s as Long: For input string: "%s"' % (name, value))


def parse_long(value):
    """Parse a path id like Java's Long.parseLong would; None when it is not one."""
    text = value
    if not text:
        return None
    digits = text[1:] if text[0] in "+-" else text
    if not digits or not digits.isdigit() or not digits.isascii():
        return None
    number = int(text)
    if number < -(2 ** 63) or number >= 2 ** 63:
        return None
    return number


def fmt_date(epoch):
    """Format an epoch time like the live service: 2022-08-04T01:45:24.000+0000 (None stays None)."""
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def iso_now(epoch=None):
    """An ISO 8601 UTC time for admin answers."""
    if epoch is None:
        epoch = time.time()
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat()
