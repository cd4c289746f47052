# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an SMS task means in request bodies, and how it is matched against an endpoint's history.

Pure logic, no HTTP: :func:`build_message` validates the task's arguments and turns them
into a :class:`MessageSpec`; :func:`plan_for_endpoint` splits it into parts for one
endpoint, recognises the parts the endpoint's history already holds, and says which are
missing. The concatenation reference is derived from the endpoint, the sender and the
text, so a rerun derives the same reference and recognises its own parts; when that
reference is used by another message still in flight to the device, the next candidate
is taken, and a rerun finds that one too because every candidate is checked.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import dataclasses
import datetime
import re
import typing

from ansible_collections.emnify.iot.plugins.module_utils import _sms_codec as codec
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import (
    ADDRESS_TYPE_IDS,
    ADDRESS_TYPES,
    FINAL_STATUSES,
    UNSUCCESSFUL_STATUSES,
)
from ansible_collections.emnify.iot.plugins.module_utils._normalize import as_int, status_id
from ansible_collections.emnify.iot.plugins.module_utils._time import (
    TimeInputError,
    api_date,
    parse_date,
    parse_duration,
    parse_instant,
    parse_moment,
    utcnow,
)

MAX_SENDER = 21
MAX_ALPHANUMERIC = 11
# Characters every handset shows in an alphanumeric sender.
_ALPHANUMERIC_RE = re.compile(r'^[A-Za-z0-9 .\-_+&!?]+$')
_NUMERIC_RE = re.compile(r'^\+?[0-9]+$')
# How many reference candidates are tried before giving up on avoiding a collision.
REFERENCE_CANDIDATES = 8
# A concatenated message sent this recently still counts as "in flight" for reference collisions.
IN_FLIGHT_SECONDS = 86400


class PlanError(ValueError):
    """Bad task input; the message names the option and the rule."""


def infer_address_type(sender):
    """alphanumeric for a sender with letters, international for a ``+``/long number, national for a short code."""
    if re.search(r'[A-Za-z]', sender):
        return 'alphanumeric'
    digits = sender.lstrip('+')
    if sender.startswith('+') or len(digits) >= 8:
        return 'international'
    return 'national'


def check_sender(sender, address_type):
    """Validate a sender; return ``(address_type_name, type_id, inferred)``."""
    inferred = address_type is None
    if address_type is None:
        address_type = infer_address_type(sender)
    else:
        text = str(address_type).strip().lower()
        if text.isdigit() and int(text) in ADDRESS_TYPES:
            address_type = ADDRESS_TYPES[int(text)]
        elif text in ADDRESS_TYPE_IDS:
            address_type = text
        else:
            raise PlanError('source_address_type: must be one of alphanumeric, international, national or the ids 208, 145, 161; got %r'
                            % (address_type,))
    if len(sender) > MAX_SENDER:
        raise PlanError('source_address: at most %d characters, got %d' % (MAX_SENDER, len(sender)))
    if address_type == 'alphanumeric':
        if len(sender) > MAX_ALPHANUMERIC:
            raise PlanError('source_address: an alphanumeric sender has at most %d characters, got %d (%r)' % (MAX_ALPHANUMERIC, len(sender), sender))
        if not _ALPHANUMERIC_RE.match(sender):
            bad = sorted(set(ch for ch in sender if not _ALPHANUMERIC_RE.match(ch)))
            raise PlanError('source_address: an alphanumeric sender may use only letters A-Z, digits, space and . - _ + & ! ? '
                            '(a handset cannot show %s)' % ', '.join(repr(ch) for ch in bad))
    elif not _NUMERIC_RE.match(sender):
        raise PlanError('source_address: a %s sender must be digits (optionally with a leading +), got %r; '
                        'use source_address_type=alphanumeric for a name' % (address_type, sender))
    return address_type, ADDRESS_TYPE_IDS[address_type], inferred


@dataclasses.dataclass(frozen=True)
class MessageSpec:
    """One validated message: what every endpoint of the task must be sent."""

    text: str
    # The alphabet of every part: gsm7, ucs2 or binary (from the option encoding, or from dcs).
    encoding: str
    dcs: int
    udh: str
    ref_bits: int
    max_parts: int
    sender: str
    sender_type: typing.Optional[str]
    sender_type_inferred: bool
    dest_address: typing.Optional[str]
    expiry: typing.Optional[datetime.datetime]
    since: typing.Optional[datetime.datetime]


def build_message(params, now=None):
    """Validate the task arguments (a dict of module params) into a :class:`MessageSpec`."""
    now = now or utcnow()
    payload = params.get('payload')
    if payload is None or payload == '':
        raise PlanError('payload: must not be empty')
    max_parts = params.get('max_parts', 10)
    if not 1 <= max_parts <= 255:
        raise PlanError('max_parts: must be between 1 and 255, got %s' % max_parts)
    ref_bits = int(params.get('reference_bits') or 8)
    encoding = params.get('encoding') or 'auto'
    dcs = params.get('dcs')
    udh = (params.get('udh') or '').strip().upper()
    try:
        text = codec.normalize(payload)
        # Before anything hashes or measures the text (the reference derivation encodes it as UTF-8).
        codec.check_characters(text)
        if dcs is not None:
            alphabet = codec.alphabet_for_dcs(dcs)
            if encoding != 'auto' and encoding != alphabet:
                raise PlanError('dcs: %d selects the %s alphabet, which conflicts with encoding=%s' % (dcs, alphabet, encoding))
            if alphabet == 'gsm7' and not codec.is_gsm7(text):
                raise PlanError('dcs: %d selects the GSM 7-bit alphabet, which cannot encode %s; use a UCS-2 dcs such as 8, or leave dcs unset'
                                % (dcs, ', '.join('%r (U+%04X)' % (char, ord(char)) for char in codec.non_gsm7_chars(text)[:5])))
        else:
            alphabet = codec.choose_encoding(text, encoding)
            dcs = codec.dcs_for_encoding(alphabet)
        if udh:
            codec.parse_udh(udh)
            capacity = codec.single_part_capacity(alphabet, udh)
            length = codec.message_length(text, alphabet)
            if length > capacity:
                raise PlanError('udh: with this %d-octet UDH one %s part holds %d %s; the payload needs %d (a user-built UDH is sent as one part, '
                                'never split)' % (codec.udh_octets(udh), alphabet, capacity, 'septets' if alphabet == 'gsm7' else
                                                  ('UTF-16 units' if alphabet == 'ucs2' else 'octets'), length))
        elif alphabet == 'binary':
            single, _per_part = codec.limits('binary')
            if codec.message_length(text, 'binary') > single:
                raise PlanError('dcs: an 8-bit (binary) payload is never split; it must fit one SMS of %d octets' % single)
    except codec.SmsCodecError as exc:
        raise PlanError(str(exc))
    sender = params.get('source_address')
    sender_type = params.get('source_address_type')
    sender_type_id = None
    inferred = False
    if sender is not None and sender != '':
        sender_type, sender_type_id, inferred = check_sender(str(sender), sender_type)
    elif sender_type is not None:
        raise PlanError('source_address_type: needs source_address')
    else:
        sender, sender_type = '', None
    try:
        expiry, since = _times(params, now)
    except TimeInputError as exc:
        raise PlanError(str(exc))
    spec = MessageSpec(text=text, encoding=alphabet, dcs=dcs, udh=udh, ref_bits=ref_bits, max_parts=max_parts, sender=sender,
                       sender_type=sender_type, sender_type_inferred=inferred, dest_address=params.get('dest_address') or None,
                       expiry=expiry, since=since)
    # Split once now so that a text over max_parts fails before any request is made.
    split_for(spec, 0, 0)
    return spec


def _times(params, now):
    """(expiry, since) from the options expiry_date or validity, and since."""
    expiry = None
    if params.get('expiry_date') is not None:
        expiry = parse_instant(params['expiry_date'], 'expiry_date')
        if expiry <= now:
            raise PlanError('expiry_date: %s is in the past' % params['expiry_date'])
    elif params.get('validity') is not None:
        expiry = now + datetime.timedelta(seconds=parse_duration(params['validity'], 'validity'))
    since = None
    if params.get('since') is not None:
        since = parse_moment(params['since'], 'since', now)
    return expiry, since


@dataclasses.dataclass(eq=False)
class PlannedPart:
    """One part to be present on the device; ``match`` is the history item that holds it, if any.

    The rest is what sending it did: ``sms_id``, ``status`` and ``outcome`` (sent or reconciled).
    """

    seq: int
    total: int
    payload: str
    udh: str
    dcs: int
    match: typing.Optional[dict] = dataclasses.field(default=None, init=False)
    sms_id: typing.Optional[int] = dataclasses.field(default=None, init=False)
    status: typing.Optional[int] = dataclasses.field(default=None, init=False)
    outcome: typing.Optional[str] = dataclasses.field(default=None, init=False)

    def body(self, spec):
        """The exact emnify request body for this part."""
        body = {'payload': self.payload}
        if self.udh:
            body['udh'] = self.udh
        body['dcs'] = self.dcs
        if spec.sender:
            body['source_address'] = spec.sender
            body['source_address_type'] = {'id': ADDRESS_TYPE_IDS[spec.sender_type]}
        if spec.dest_address:
            body['dest_address'] = spec.dest_address
        if spec.expiry is not None:
            body['expiry_date'] = api_date(spec.expiry)
        return body


def _reference_key(spec, endpoint_id):
    return '%s|%s|%s|%s|%s' % (endpoint_id, spec.sender, spec.encoding, spec.ref_bits, spec.text)


def split_for(spec, endpoint_id, salt):
    """The parts of ``spec`` for one endpoint with reference candidate ``salt``; returns (parts, reference)."""
    if spec.udh or spec.encoding == 'binary':
        return [PlannedPart(1, 1, spec.text, spec.udh, spec.dcs)], None
    reference = codec.derive_reference(_reference_key(spec, endpoint_id), spec.ref_bits, salt)
    try:
        result = codec.split(spec.text, spec.encoding, ref_bits=spec.ref_bits, reference=reference, max_parts=spec.max_parts)
    except codec.SmsCodecError as exc:
        raise PlanError(str(exc))
    parts = [PlannedPart(part.seq, part.total, part.payload, part.udh, spec.dcs) for part in result.parts]
    return parts, (result.reference if len(parts) > 1 else None)


def reference_candidates(spec, endpoint_id):
    """The parts under each reference candidate, as (parts, reference) pairs; one pair for a single SMS.

    The text is split once: the candidates differ only in the reference inside each part's UDH.
    """
    parts, reference = split_for(spec, endpoint_id, 0)
    candidates = [(parts, reference)]
    if reference is None:
        return candidates
    key = _reference_key(spec, endpoint_id)
    for salt in range(1, REFERENCE_CANDIDATES):
        other = codec.derive_reference(key, spec.ref_bits, salt)
        candidates.append(([PlannedPart(part.seq, part.total, part.payload, codec.build_udh(other, part.total, part.seq, spec.ref_bits),
                                        part.dcs) for part in parts], other))
    return candidates


def _sender_matches(item, spec):
    return (item.get('source_address') or '') == (spec.sender or '')


def counts_as_copy(item, spec):
    """Whether a history item is a usable copy for this message: MT, same sender, within ``since``, not failed."""
    if item.get('direction') != 'mt' or not _sender_matches(item, spec):
        return False
    if spec.since is not None:
        submitted = parse_date(item.get('submit_date'))
        if submitted is not None and submitted < spec.since:
            return False
    return status_id(item) not in UNSUCCESSFUL_STATUSES


def same_part(item, part):
    return (item.get('payload') == part.payload and (item.get('udh') or '').upper() == part.udh
            and as_int(item.get('dcs')) == part.dcs)


def _match(parts, history, spec):
    """Attach the newest usable history item to each part; return how many matched."""
    used = set()
    found = 0
    for part in parts:
        part.match = None
        for item in history:
            if item.get('id') in used or not counts_as_copy(item, spec) or not same_part(item, part):
                continue
            part.match = item
            used.add(item.get('id'))
            found += 1
            break
    return found


def _collides(reference, spec, parts, history, now):
    """True when another message in flight to the device uses the same concatenation reference."""
    if reference is None:
        return False
    ours = set((part.payload, part.udh) for part in parts)
    for item in history:
        if item.get('direction') != 'mt' or not item.get('udh'):
            continue
        try:
            info = codec.parse_udh(item['udh'])
        except codec.SmsCodecError:
            continue
        if not info or info.get('reference') != reference or info.get('ref_bits') != spec.ref_bits:
            continue
        if (item.get('payload'), item['udh'].upper()) in ours:
            continue
        submitted = parse_date(item.get('submit_date'))
        recent = submitted is not None and (now - submitted).total_seconds() < IN_FLIGHT_SECONDS
        if status_id(item) not in FINAL_STATUSES or recent:
            return True
    return False


class EndpointPlan:
    """The parts one endpoint needs, and which of them its history already holds."""

    def __init__(self, endpoint_id, parts, reference):
        self.endpoint_id = endpoint_id
        self.parts = parts
        self.reference = reference

    @property
    def missing(self):
        return [part for part in self.parts if part.match is None]

    @property
    def present(self):
        return [part for part in self.parts if part.match is not None]


def plan_for_endpoint(spec, endpoint_id, history, force=False, now=None):
    """Split and match ``spec`` for one endpoint against its normalised SMS ``history`` (newest first)."""
    now = now or utcnow()
    candidates = reference_candidates(spec, endpoint_id)
    if not force:
        best = None
        for parts, reference in candidates:
            found = _match(parts, history, spec)
            if found and (best is None or found > best[0]):
                best = (found, parts, reference)
        if best is not None:
            return EndpointPlan(endpoint_id, best[1], best[2])
    for parts, reference in candidates:
        if force:
            # A forced copy must not share a reference with the earlier copy on the device.
            earlier = _match([PlannedPart(p.seq, p.total, p.payload, p.udh, p.dcs) for p in parts], history, spec)
            if earlier and reference is not None:
                continue
        if not _collides(reference, spec, parts, history, now):
            for part in parts:
                part.match = None
            return EndpointPlan(endpoint_id, parts, reference)
    parts, reference = candidates[0]
    for part in parts:
        part.match = None
    return EndpointPlan(endpoint_id, parts, reference)


def matching_history(spec, endpoint_id, history):
    """History items (MT, same sender, within ``since``) that are parts of this message under any reference candidate."""
    found = []
    seen = set()
    for parts, _ignored in reference_candidates(spec, endpoint_id):
        for part in parts:
            for item in history:
                if item.get('id') in seen or item.get('direction') != 'mt' or not _sender_matches(item, spec):
                    continue
                if spec.since is not None:
                    submitted = parse_date(item.get('submit_date'))
                    if submitted is not None and submitted < spec.since:
                        continue
                if same_part(item, part):
                    seen.add(item.get('id'))
                    found.append((part, item))
    return found
