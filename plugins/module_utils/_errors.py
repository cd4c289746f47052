# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the emnify API client, and the parser for emnify error bodies.

The service answers errors in three shapes (all seen on the production API):
a full body ``{"error_code", "error_token", "message"[, "errors"]}``, a body with only
``{"message"}`` (the API gateway), and an empty body. All three end up in one
:class:`EmnifyApiError` that carries the HTTP status, the code, the token name and the
service's own message. Nothing here ever holds a credential: messages pass through
:func:`redact` before they are stored.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import re

from ansible_collections.emnify.iot.plugins.module_utils._time import parse_http_date, utcnow

_JWT_RE = re.compile(r'eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*')
_BEARER_RE = re.compile(r'(?i)(bearer\s+)[^\s"\',]+')
_MAX_TEXT = 300

# Human names for HTTP statuses the collection reports often.
_STATUS_TEXT = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    422: 'Unprocessable Entity',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
}


def redact(text, secrets=()):
    """Remove JWTs, bearer tokens and the given secret strings from a text."""
    if not text:
        return text
    text = _JWT_RE.sub('<redacted>', text)
    text = _BEARER_RE.sub(r'\1<redacted>', text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, '<redacted>')
    return text


class EmnifyError(Exception):
    """Base class of every error the client raises."""

    def __init__(self, message):
        super(EmnifyError, self).__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class EmnifyApiError(EmnifyError):
    """The service answered with an error status.

    ``status`` is the HTTP status, ``error_code`` / ``error_token`` the emnify error fields
    (``None`` when the body had none), ``service_message`` the service's own message,
    ``errors`` the list of validation details, ``method`` and ``path`` the request.
    """

    def __init__(self, status, method, path, error_code=None, error_token=None,
                 service_message=None, errors=None, retry_after=None):
        self.status = status
        self.method = method
        self.path = path
        self.error_code = error_code
        self.error_token = error_token
        self.service_message = service_message
        self.errors = errors or []
        self.retry_after = retry_after
        super(EmnifyApiError, self).__init__(self._compose())

    def _compose(self):
        head = 'emnify API answered HTTP %s' % self.status
        reason = _STATUS_TEXT.get(self.status)
        if reason:
            head += ' %s' % reason
        head += ' to %s %s' % (self.method, self.path)
        detail = []
        if self.error_token or self.error_code is not None:
            detail.append('%s (%s)' % (self.error_token or 'error', self.error_code))
        if self.service_message:
            detail.append(self.service_message)
        for item in self.errors:
            part = item.get('message') or ''
            token = item.get('error_token')
            if token:
                part = '%s: %s' % (token, part) if part else token
            if part:
                detail.append(part)
        if not detail:
            detail.append('the response had no error details')
        return '%s: %s' % (head, '; '.join(detail))

    def to_dict(self):
        """A JSON-safe summary for module results."""
        return dict(status=self.status, method=self.method, path=self.path, error_code=self.error_code,
                    error_token=self.error_token, message=self.service_message, errors=self.errors)


class EmnifyAuthError(EmnifyApiError):
    """The application token was refused by ``/api/v1/authenticate``."""

    def _compose(self):
        text = ('emnify refused the application token (HTTP %s from %s %s); check application_token '
                '(or EMNIFY_APPLICATION_TOKEN), its expiry date and its IP restriction') % (self.status, self.method, self.path)
        if self.service_message:
            text += ': %s' % self.service_message
        return text


class EmnifyOutcomeUnknown(EmnifyError):
    """A write may or may not have reached the service (timeout, reset or 5xx after sending).

    Never retry the request blindly: read the state back first.

    ``timed_out`` is True when no answer came within the client timeout: the service may still be
    working on the request, so an SMS history read right now does not prove it was lost.
    """

    def __init__(self, method, path, reason, status=None, timed_out=False):
        self.method = method
        self.path = path
        self.reason = reason
        self.status = status
        self.timed_out = timed_out
        super(EmnifyOutcomeUnknown, self).__init__(
            'outcome of %s %s is unknown (%s): the request may have been processed' % (method, path, reason))


class EmnifyTransportError(EmnifyError):
    """The service could not be reached, or kept failing, after all retries."""


def parse_error_body(status, method, path, body, headers=None, secrets=()):
    """Build an :class:`EmnifyApiError` from a raw response body (bytes or text)."""
    if isinstance(body, bytes):
        body = body.decode('utf-8', 'replace')
    body = body or ''
    data = None
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError:
            data = None
    error_code = error_token = message = None
    errors = []
    if isinstance(data, dict):
        error_code = _as_int(data.get('error_code'))
        token = data.get('error_token')
        error_token = token if isinstance(token, str) else None
        raw_message = data.get('message')
        if raw_message is not None:
            message = str(raw_message)
        raw_errors = data.get('errors')
        if isinstance(raw_errors, list):
            for item in raw_errors:
                if isinstance(item, dict):
                    errors.append(dict(error_code=_as_int(item.get('error_code')),
                                       error_token=item.get('error_token') if isinstance(item.get('error_token'), str) else None,
                                       message=redact(str(item.get('message') or ''), secrets)))
                else:
                    errors.append(dict(error_code=None, error_token=None, message=redact(str(item), secrets)))
    elif data is not None:
        message = str(data)
    elif body.strip():
        message = body.strip()
    if message:
        message = redact(message, secrets)
        if len(message) > _MAX_TEXT:
            message = message[:_MAX_TEXT] + '...'
    retry_after = None
    if headers:
        retry_after = parse_retry_after(_header(headers, 'Retry-After'))
    return EmnifyApiError(status, method, path, error_code=error_code, error_token=error_token,
                          service_message=message, errors=errors, retry_after=retry_after)


def parse_retry_after(value):
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _header(headers, name):
    getter = getattr(headers, 'get', None)
    if getter is None:
        return None
    value = getter(name)
    if value is None and isinstance(headers, dict):
        lowered = name.lower()
        for key, item in headers.items():
            if str(key).lower() == lowered:
                return item
    return value


def _as_int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None
