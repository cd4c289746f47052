# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dates and durations: every date the emnify API sends, every date and duration a task option takes.

The API sends dates as ``2022-08-04T01:45:24.000+0000`` or (older docs) ``10/5/2019 1:56:59 PM``, and
``Retry-After`` as an HTTP date; options take ISO 8601 date-times and durations such as ``30m`` or ``1h30m``.
Every parsed moment is a timezone-aware UTC datetime.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import re

from email.utils import parsedate_to_datetime

UTC = datetime.timezone.utc

_ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*(Z|[+-]\d{2}:?\d{2})?$')
_US_RE = re.compile(r'^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$')
_DURATION_RE = re.compile(r'(\d+)\s*([smhdw])', re.IGNORECASE)
_DURATION_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


class TimeInputError(ValueError):
    """An option that is not a date-time or a duration; the message names the option and the rule."""


def utcnow():
    return datetime.datetime.now(UTC)


def parse_date(value):
    """A timezone-aware UTC datetime from any date format the API uses, or None."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _ISO_RE.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        micro = int((fraction or '0').ljust(6, '0'))
        try:
            moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
        except ValueError:
            return None
        offset = datetime.timedelta(0)
        if zone and zone != 'Z':
            sign = -1 if zone[0] == '-' else 1
            digits = zone[1:].replace(':', '')
            offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        try:
            return (moment - offset).replace(tzinfo=UTC)
        except OverflowError:
            return None
    match = _US_RE.match(text)
    if match:
        month, day, year, hour, minute, second, half = match.groups()
        hour = int(hour)
        if half:
            hour = hour % 12 + (12 if half.lower() == 'pm' else 0)
        try:
            return datetime.datetime(int(year), int(month), int(day), hour, int(minute), int(second or 0), tzinfo=UTC)
        except ValueError:
            return None
    return None


def parse_http_date(value):
    """A timezone-aware UTC datetime from an HTTP date (``Wed, 21 Oct 2015 07:28:00 GMT``), or None."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_utc(value):
    """ISO 8601 UTC text (``2022-08-04T01:45:24Z``) for any API date; unparsable text is kept as it is."""
    moment = parse_date(value)
    if moment is None:
        return value if value not in ('',) else None
    moment = moment.astimezone(UTC)
    text = moment.strftime('%Y-%m-%dT%H:%M:%S')
    if moment.microsecond:
        text += '.%03d' % (moment.microsecond // 1000)
    return text + 'Z'


def api_date(moment):
    """The date format the emnify API itself uses (``2026-12-01T10:00:00.000+0000``)."""
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.000+0000')


def parse_duration(text, option):
    """Seconds from ``90``, ``90s``, ``30m``, ``2h``, ``1d``, ``1w`` or combinations like ``1h30m``."""
    if isinstance(text, bool):
        raise TimeInputError('%s: must be a duration such as 30m, 2h or 1d' % option)
    if isinstance(text, (int, float)):
        seconds = int(text)
    else:
        value = str(text).strip()
        if value.isdigit():
            seconds = int(value)
        else:
            pieces = _DURATION_RE.findall(value)
            if not pieces or _DURATION_RE.sub('', value).strip():
                raise TimeInputError('%s: %r is not a duration; use a number of seconds or forms such as 90s, 30m, 2h, 1d, 1h30m'
                                     % (option, text))
            seconds = sum(int(number) * _DURATION_UNITS[unit.lower()] for number, unit in pieces)
    if seconds <= 0:
        raise TimeInputError('%s: must be a positive duration, got %r' % (option, text))
    return seconds


def parse_instant(text, option):
    """A UTC datetime from an ISO 8601 date-time option (``2026-12-01T10:00:00Z``)."""
    moment = parse_date(str(text))
    if moment is None:
        raise TimeInputError('%s: %r is not an ISO 8601 date-time such as 2026-12-01T10:00:00Z' % (option, text))
    return moment


def parse_moment(text, option, now=None):
    """A UTC datetime from ISO 8601 (``2026-12-01T10:00:00Z``) or a relative age (``30m``, ``7d``: that long ago)."""
    now = now or utcnow()
    moment = parse_date(str(text))
    if moment is not None:
        return moment
    try:
        return now - datetime.timedelta(seconds=parse_duration(text, option))
    except TimeInputError:
        raise TimeInputError('%s: %r is neither an ISO 8601 date-time (e.g. 2026-12-01T10:00:00Z) nor a duration such as 30m or 7d'
                             % (option, text))
