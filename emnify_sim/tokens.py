# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HS256 JSON Web Tokens: the auth_token the simulator hands out and checks."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import hmac
import json

TOKEN_OK = "ok"
TOKEN_MALFORMED = "malformed"  # not three segments: the gateway answers
TOKEN_INVALID = "invalid"  # three segments, but not ours or not readable
TOKEN_EXPIRED = "expired"


def _b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text):
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def sign(secret, payload):
    """Make a compact HS256 JWT of the payload."""
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode("utf-8"))
    body = _b64encode(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    signing_input = (header + "." + body).encode("ascii")
    signature = _b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return header + "." + body + "." + signature


def check(secret, token):
    """Check a bearer token's form and signature: (TOKEN_*, payload or None). Expiry is the caller's job."""
    parts = token.split(".")
    if len(parts) != 3:
        return TOKEN_MALFORMED, None
    try:
        signing_input = (parts[0] + "." + parts[1]).encode("ascii")
        expected = hmac.new(secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64decode(parts[2])):
            return TOKEN_INVALID, None
        header = json.loads(_b64decode(parts[0]).decode("utf-8"))
        payload = json.loads(_b64decode(parts[1]).decode("utf-8"))
    except (ValueError, UnicodeError, TypeError):
        return TOKEN_INVALID, None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(payload, dict):
        return TOKEN_INVALID, None
    return TOKEN_OK, payload
