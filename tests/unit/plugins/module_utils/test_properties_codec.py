# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the splitter, the UDH codec and the planner, beyond those in test_sms_codec.py.

test_sms_codec.py already checks, for encoding=auto, reassembly, per-part limits, greedy cuts,
the minimal number of parts and the 8/16-bit UDH round trip. Here: every requested encoding,
escape sequences compared septet by septet, the 255-part and max_parts limits, determinism of
the reference, UDHs with other information elements, arbitrary header octets, and the planner:
every request body fits one SMS for its DCS and UDH, and the history made of those bodies is
recognised as the whole message.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._sms_codec import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_PARTS,
    SmsCodecError,
    alphabet_for_dcs,
    build_udh,
    derive_reference,
    limits,
    message_length,
    parse_udh,
    reassemble,
    single_part_capacity,
    split,
)
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import PlanError, build_message, plan_for_endpoint

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

GSM_CHARS = st.sampled_from(sorted(GSM7_BASIC) + sorted(GSM7_EXTENSION) * 3)
BMP_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, blacklist_categories=('Cs',))
ASTRAL_CHARS = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, blacklist_categories=('Cs', 'Cn'))
ANY_CHARS = st.one_of(GSM_CHARS, BMP_CHARS, ASTRAL_CHARS, st.sampled_from(['e\u0301', 'A\u030a', '\u1100\u1161']))
GSM_TEXTS = st.lists(GSM_CHARS, min_size=1, max_size=600).map(''.join)
ANY_TEXTS = st.lists(ANY_CHARS, min_size=1, max_size=300).map(''.join)
REF_BITS = st.sampled_from([8, 16])


def unit_cost(encoding):
    if encoding == 'gsm7':
        return lambda char: 2 if char in GSM7_EXTENSION else 1
    return lambda char: 2 if ord(char) > 0xFFFF else 1


@SETTINGS
@given(text=ANY_TEXTS, encoding=st.sampled_from(['auto', 'gsm7', 'ucs2']), ref_bits=REF_BITS)
def test_every_encoding_reassembles_within_limits(text, encoding, ref_bits):
    nfc = unicodedata.normalize('NFC', text)
    try:
        result = split(text, encoding, ref_bits=ref_bits, reference_key='k')
    except SmsCodecError as error:
        # only gsm7 on a text outside the alphabet is refused here (max_parts is 255)
        assert encoding == 'gsm7' and error.option == 'encoding'
        assert any(char not in GSM7_BASIC and char not in GSM7_EXTENSION for char in nfc)
        return
    assert reassemble(result.parts) == nfc
    if encoding != 'auto':
        assert result.encoding == encoding
    single, per_part = limits(result.encoding, ref_bits)
    limit = single if len(result.parts) == 1 else per_part
    cost = unit_cost(result.encoding)
    for part in result.parts:
        assert 0 < part.length <= limit
        assert part.length == sum(cost(char) for char in part.payload)
        # a part fits one SMS next to its own header, in the alphabet of its DCS
        assert message_length(part.payload, alphabet_for_dcs(result.dcs)) <= single_part_capacity(result.encoding, part.udh)
        part.payload.encode('utf-16-le')  # no lone surrogate: a pair is never cut


@SETTINGS
@given(text=GSM_TEXTS, ref_bits=REF_BITS)
def test_gsm7_escape_sequences_never_split(text, ref_bits):
    result = split(text, 'gsm7', ref_bits=ref_bits, reference_key=text)
    assert ''.join(part.payload for part in result.parts) == unicodedata.normalize('NFC', text)
    single, per_part = limits('gsm7', ref_bits)
    for part in result.parts:
        # a part holds whole characters: an extension character (escape and code, two septets) is never cut
        assert part.length == sum(2 if char in GSM7_EXTENSION else 1 for char in part.payload)
        assert part.length <= (single if len(result.parts) == 1 else per_part)


@SETTINGS
@given(units=st.integers(1, 40000), wide=st.booleans(), max_parts=st.integers(1, 300), ref_bits=REF_BITS)
def test_part_count_limits(units, wide, max_parts, ref_bits):
    text = (u'\u0416' if wide else 'a') * units
    encoding = 'ucs2' if wide else 'gsm7'
    single, per_part = limits(encoding, ref_bits)
    needed = 1 if units <= single else -(-units // per_part)
    try:
        result = split(text, ref_bits=ref_bits, reference_key='x', max_parts=min(max_parts, MAX_PARTS))
    except SmsCodecError as error:
        assert needed > min(max_parts, MAX_PARTS)
        assert error.option == ('payload' if needed > MAX_PARTS else 'max_parts')
        assert str(needed) in str(error)
        return
    assert len(result.parts) == needed <= min(max_parts, MAX_PARTS)
    assert all(part.total == needed for part in result.parts)


@SETTINGS
@given(key=st.text(max_size=50), ref_bits=REF_BITS, salt=st.integers(0, 20), text=st.text(min_size=200, max_size=400))
def test_reference_is_deterministic(key, ref_bits, salt, text):
    reference = derive_reference(key, ref_bits, salt)
    assert reference == derive_reference(key, ref_bits, salt)
    assert 0 <= reference < (1 << ref_bits)
    try:
        first = split(text, ref_bits=ref_bits, reference_key=key)
    except SmsCodecError:
        return
    second = split(text, ref_bits=ref_bits, reference_key=key)
    assert first.parts == second.parts and first.reference == second.reference


@SETTINGS
@given(reference=st.integers(0, 65535), total=st.integers(1, 255), seq_seed=st.integers(0, 254), ref_bits=REF_BITS,
       before=st.lists(st.tuples(st.sampled_from([0x05, 0x0A, 0x24, 0x70]), st.binary(max_size=6)), max_size=2),
       after=st.lists(st.tuples(st.sampled_from([0x05, 0x0A, 0x24, 0x70]), st.binary(max_size=6)), max_size=2))
def test_concatenation_element_found_among_other_elements(reference, total, seq_seed, ref_bits, before, after):
    reference %= 1 << ref_bits
    seq = seq_seed % total + 1
    concat = build_udh(reference, total, seq, ref_bits)[2:]

    def element(iei, data):
        return '%02X%02X%s' % (iei, len(data), binascii.hexlify(data).decode('ascii').upper())

    body = ''.join(element(*item) for item in before) + concat + ''.join(element(*item) for item in after)
    udh = '%02X%s' % (len(body) // 2, body)
    parsed = parse_udh(udh)
    assert (parsed['reference'], parsed['total'], parsed['seq'], parsed['ref_bits']) == (reference, total, seq, ref_bits)
    assert parsed['length_octets'] == len(udh) // 2
    assert len(parsed['elements']) == len(before) + 1 + len(after)


@settings(max_examples=400, deadline=None, database=None)
@given(data=st.binary(max_size=150))
def test_parse_udh_on_any_octets(data):
    udh = binascii.hexlify(data).decode('ascii')
    try:
        parsed = parse_udh(udh)
    except SmsCodecError as error:
        assert error.option == 'udh'
        return
    if not data:
        assert parsed is None
        return
    assert parsed['length_octets'] == len(data) == data[0] + 1
    if parsed['reference'] is not None:
        assert 1 <= parsed['seq'] <= parsed['total'] <= 255
        assert parsed['ref_bits'] in (8, 16)


SENDERS = st.sampled_from([None, 'ACME', '4915112345678', '+4915112345678', '1234'])


@SETTINGS
@given(text=ANY_TEXTS, encoding=st.sampled_from(['auto', 'ucs2']), ref_bits=REF_BITS, sender=SENDERS,
       endpoint_id=st.integers(1, 10 ** 9))
def test_planned_bodies_fit_and_their_history_is_the_whole_message(text, encoding, ref_bits, sender, endpoint_id):
    params = dict(payload=text, encoding=encoding, reference_bits=ref_bits, source_address=sender, max_parts=255)
    try:
        spec = build_message(params)
    except PlanError as error:
        assert str(error).split(':', maxsplit=1)[0] in ('payload', 'max_parts')
        return
    plan = plan_for_endpoint(spec, endpoint_id, [])
    assert len(plan.missing) == len(plan.parts) <= 255
    history = []
    for number, part in enumerate(plan.parts):
        body = part.body(spec)
        alphabet = alphabet_for_dcs(body['dcs'])
        assert message_length(body['payload'], alphabet) <= single_part_capacity(alphabet, body.get('udh', ''))
        if len(plan.parts) > 1:
            parsed = parse_udh(body['udh'])
            assert (parsed['reference'], parsed['total'], parsed['seq']) == (plan.reference, len(plan.parts), part.seq)
        item = dict(id=number + 1, payload=body['payload'], udh=body.get('udh', ''), dcs=str(body['dcs']),
                    source_address=body.get('source_address', ''), sms_type={'id': 1, 'description': 'MT'},
                    status={'id': 4, 'description': 'DELIVERED'}, submit_date='2030-01-01T00:00:00.000+0000')
        history.insert(0, normalize_sms(item))
    assert ''.join(part.payload for part in plan.parts) == unicodedata.normalize('NFC', text)
    again = plan_for_endpoint(build_message(params), endpoint_id, history)
    assert again.missing == [] and again.reference == plan.reference
    # another endpoint does not count this history as its own message unless the reference happens to match
    other = plan_for_endpoint(build_message(params), endpoint_id + 1, [])
    assert [part.payload for part in other.parts] == [part.payload for part in plan.parts]


@SETTINGS
@given(dcs=st.sampled_from([0, 1, 16, 0x40, 0xC0, 0xF0, 0xF3]),
       text=st.lists(st.sampled_from([u'\u0416', u'\u4e2d', '\U0001F600', 'a', '1', ' ']), min_size=1, max_size=30).map(''.join))
def test_a_gsm_dcs_with_text_outside_gsm7_names_dcs(dcs, text):
    # the user gave dcs, not encoding: the refusal must name the option that was given
    try:
        build_message(dict(payload=text, dcs=dcs))
    except PlanError as error:
        assert any(char not in GSM7_BASIC and char not in GSM7_EXTENSION for char in text)
        assert str(error).startswith('dcs: ')
        assert 'encoding=' not in str(error).split(';', maxsplit=1)[0]
    else:
        assert all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)
