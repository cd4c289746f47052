# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the body of POST /api/v1/endpoint/{id}/sms, with emnify's error items."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import calendar
import datetime
import re

from . import gsm
from .common import field_error

ALLOWED_FIELDS = ("payload", "source_address", "source_address_type", "dest_address", "udh", "dcs", "expiry_date")
SOURCE_ADDRESS_TYPES = (145, 161, 208)
MAX_SOURCE_ADDRESS = 21
MAX_ALPHANUMERIC = 11
NUMERIC_ADDRESS_RE = re.compile(r"\A\+?[0-9]*\Z")
ISO_RE = re.compile(
    r"\A(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z")


def _required(name):
    return field_error(1402, "Required", "%s is required" % name)


def _invalid(message):
    return field_error(1403, "InvalidFormat", message)


def parse_iso8601(text):
    """Epoch seconds of an ISO 8601 date-time; a time without offset is read as UTC. None if it is not one."""
    match = ISO_RE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    offset = 0
    zone = match.group(8)
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours = int(digits[:2])
        minutes = int(digits[2:4]) if len(digits) > 2 else 0
        if hours > 23 or minutes > 59:
            return None
        offset = sign * (hours * 3600 + minutes * 60)
    return calendar.timegm(moment.timetuple()) + fraction - offset


def _check_source(body, errors, fields):
    sat = body.get("source_address_type")
    sat_id = None
    if sat is not None:
        if not isinstance(sat, dict) or "id" not in sat:
            errors.append(_invalid('source_address_type must be an object like {"id": 161}'))
        elif isinstance(sat["id"], bool) or not isinstance(sat["id"], int) or sat["id"] not in SOURCE_ADDRESS_TYPES:
            errors.append(_invalid("source_address_type id must be one of 145 (International), 161 (National), 208 (Alphanumeric)"))
        else:
            sat_id = sat["id"]
    address = body.get("source_address")
    if address is None:
        address = ""
    elif isinstance(address, int) and not isinstance(address, bool) and address >= 0:
        # The docs' own example sends "source_address": 12345 (a number) and gets 201: taken as its digits.
        address = str(address)
    if not isinstance(address, str):
        errors.append(_invalid("source_address must be a string"))
        return
    if len(address) > MAX_SOURCE_ADDRESS:
        errors.append(_invalid("source_address must be at most %d characters" % MAX_SOURCE_ADDRESS))
    if not NUMERIC_ADDRESS_RE.match(address):
        if len(address) > MAX_ALPHANUMERIC:
            errors.append(_invalid("an alphanumeric source_address must be at most %d characters" % MAX_ALPHANUMERIC))
        if gsm.first_non_gsm7(address) is not None:
            errors.append(_invalid("an alphanumeric source_address must use the GSM 7-bit alphabet"))
        if sat is not None and sat_id is not None and sat_id != 208:
            errors.append(_invalid('an alphanumeric source_address needs source_address_type {"id": 208}, not %d' % sat_id))
        elif sat is None:
            errors.append(_invalid('an alphanumeric source_address needs source_address_type {"id": 208}'))
    fields["source_address"] = address
    fields["source_address_type"] = sat_id if sat_id is not None else 161


def _check_payload_size(payload, dcs, udh, errors):
    alphabet = gsm.dcs_alphabet(dcs)
    size = gsm.payload_size(payload, alphabet)
    if size is None:
        char = gsm.first_non_gsm7(payload)
        errors.append(_invalid("payload contains a character the GSM 7-bit alphabet of dcs %d cannot encode (U+%04X); "
                               "send it as UCS-2 with dcs 8" % (dcs, ord(char))))
        return
    limit = gsm.capacity(alphabet, gsm.udh_octets(udh))
    if size > limit:
        errors.append(_invalid("payload is %d %s long; one SMS with dcs %d and a %d-octet udh holds at most %d"
                               % (size, gsm.UNIT_NAMES[alphabet], dcs, gsm.udh_octets(udh), limit)))


def validate_sms(body, now):
    """Check an SMS submission: (fields, errors). `fields` is only complete when `errors` is empty."""
    errors = []
    fields = {}
    for key in sorted(body):
        if key not in ALLOWED_FIELDS:
            errors.append(_invalid("Unknown field '%s'" % key))
    payload = body.get("payload")
    if payload is None or payload == "":
        errors.append(_required("payload"))
        payload = None
    elif not isinstance(payload, str):
        errors.append(_invalid("payload must be a string"))
        payload = None
    fields["payload"] = payload
    _check_source(body, errors, fields)
    dest = body.get("dest_address")
    if dest is not None and not isinstance(dest, str):
        errors.append(_invalid("dest_address must be a string"))
    fields["dest_address"] = dest
    udh = body.get("udh")
    udh_ok = True
    if udh is None:
        udh = ""
    if not isinstance(udh, str):
        errors.append(_invalid("udh must be a string of hexadecimal digits"))
        udh, udh_ok = "", False
    else:
        problem, concat = gsm.parse_udh(udh)
        if problem:
            errors.append(_invalid(problem))
            udh_ok = False
        fields["concat"] = concat
    fields["udh"] = udh
    dcs = body.get("dcs")
    dcs_ok = True
    if dcs is None:
        dcs = 0
    elif isinstance(dcs, bool) or not isinstance(dcs, int) or not 0 <= dcs <= 255:
        errors.append(_invalid("dcs must be an integer from 0 to 255"))
        dcs_ok = False
    fields["dcs"] = dcs
    if payload is not None and udh_ok and dcs_ok:
        _check_payload_size(payload, dcs, udh, errors)
    expiry = body.get("expiry_date")
    fields["expiry"] = None
    if expiry is not None:
        epoch = parse_iso8601(expiry) if isinstance(expiry, str) else None
        if epoch is None:
            errors.append(_invalid("expiry_date must be an ISO 8601 date-time, e.g. 2030-01-31T12:00:00Z"))
        elif epoch <= now:
            errors.append(_invalid("expiry_date must be in the future"))
        else:
            fields["expiry"] = epoch
    return fields, errors
