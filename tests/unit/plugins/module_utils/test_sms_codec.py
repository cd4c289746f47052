# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import random
import unicodedata

import pytest

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._sms_codec import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_PARTS,
    Part,
    SmsCodecError,
    SplitResult,
    alphabet_for_dcs,
    build_udh,
    choose_encoding,
    dcs_for_encoding,
    derive_reference,
    gsm7_length,
    in_sequence,
    is_gsm7,
    limits,
    message_length,
    non_gsm7_chars,
    normalize,
    parse_udh,
    reassemble,
    single_part_capacity,
    split,
    udh_octets,
    utf16_length,
)


EMOJI = '\U0001F600'
EURO = '\u20ac'
ZHE = '\u0436'


def sizes(result):
    return [part.length for part in result.parts]


def do_split(text, **kwargs):
    kwargs.setdefault('reference_key', 'test')
    return split(text, **kwargs)


def codec_error(option, func, *args, **kwargs):
    with pytest.raises(SmsCodecError) as excinfo:
        func(*args, **kwargs)
    assert excinfo.value.option == option
    assert str(excinfo.value).startswith(option + ':')
    return str(excinfo.value)


# ---------------------------------------------------------------------------
# Alphabet tables
# ---------------------------------------------------------------------------

def test_basic_table_has_127_characters_without_escape():
    assert len(GSM7_BASIC) == 127
    assert '\x1b' not in GSM7_BASIC
    for char in '@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e':
        assert char in GSM7_BASIC
    for char in '\u00c6\u00e6\u00df\u00c9 !"#\u00a4%&\'()*+,-./0123456789:;<=>?\u00a1\u00c4\u00d6\u00d1\u00dc\u00a7\u00bf\u00e4\u00f6\u00f1\u00fc\u00e0':
        assert char in GSM7_BASIC
    for code in range(ord('A'), ord('Z') + 1):
        assert chr(code) in GSM7_BASIC
        assert chr(code).lower() in GSM7_BASIC


def test_extension_table_is_exactly_ten_characters():
    assert GSM7_EXTENSION == frozenset('\x0c^{}\\[~]|\u20ac')
    assert not GSM7_EXTENSION & GSM7_BASIC


@pytest.mark.parametrize('char', [
    '\u00e7',      # c cedilla, lower case (0x09 is the capital)
    '`',
    '\t',
    '\x1b',
    '\x00',
    '\x7f',
    '\u0391',      # Greek capital alpha, looks like A
    '\u0392',      # Greek capital beta
    '\u0395',      # Greek capital epsilon
    '\u039f',      # Greek capital omicron
    '\u0410',      # Cyrillic capital A
    '\u0430',      # Cyrillic small a
    '\uff21',      # fullwidth A (NFC keeps it)
    '\u2018', '\u2019', '\u201c', '\u201d',
    '\u2013', '\u2014', '\u2026',
    '\u00a0',      # no-break space
    '\u00b7',
    '\u00e1', '\u00ea', '\u00ed', '\u00f3', '\u00fa',
    EMOJI,
    '\u00b5',
])
def test_characters_outside_gsm7_force_ucs2(char):
    assert not is_gsm7(char)
    assert non_gsm7_chars('ab' + char) == [char]
    result = do_split('Hello ' + char)
    assert result.encoding == 'ucs2'
    assert result.dcs == 8


@pytest.mark.parametrize('text, septets', [
    ('\u00c7a va', 5),
    ('\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e', 10),
    ('a\r\nb', 4),
    ('\x0c', 2),
    ('@', 1),
    ('Hello \u20ac', 8),
    ('{}[]~|^\\', 16),
    ('\u00a4\u00a7\u00bf\u00a1', 4),
])
def test_gsm7_texts(text, septets):
    assert is_gsm7(text)
    assert gsm7_length(text) == septets
    result = do_split(text)
    assert result.encoding == 'gsm7'
    assert result.dcs == 0
    assert sizes(result) == [septets]
    assert result.parts[0].udh == ''
    assert result.reference is None


@pytest.mark.parametrize('text, expected', [
    ('e\u0301', '\u00e9'),          # decomposed e + acute -> GSM7 e-acute
    ('C\u0327a va', '\u00c7a va'),  # decomposed capital C cedilla
    ('\u2126', '\u03a9'),           # ohm sign -> Greek capital omega (GSM7)
    ('\u212b', '\u00c5'),           # angstrom sign -> A ring (GSM7)
    ('\u212a', 'K'),                # kelvin sign -> K
    ('\u037e', ';'),                # Greek question mark -> semicolon
    ('A\u0308', '\u00c4'),
])
def test_normalisation_makes_gsm7(text, expected):
    assert normalize(text) == expected
    assert is_gsm7(text)
    result = do_split(text)
    assert result.encoding == 'gsm7'
    assert result.text == expected
    assert result.parts[0].payload == expected


@pytest.mark.parametrize('text', [
    '\u1fef',          # Greek varia -> backtick, still not GSM7
    '\u0387',          # Greek ano teleia -> middle dot
    'c\u0327',         # c + cedilla -> lower-case c cedilla
    'e\u0301\u0301',   # second accent stays combining
])
def test_normalisation_that_stays_ucs2(text):
    assert not is_gsm7(text)
    assert do_split(text).encoding == 'ucs2'


def test_normalize_joins_surrogate_pair_code_points():
    assert normalize('\ud83d\ude00') == EMOJI
    assert utf16_length('\ud83d\ude00') == 2


def test_nfc_can_lengthen_a_text():
    """U+0958 is excluded from composition: NFC turns each into two code points (U+0915 U+093C)."""
    typed = '\u0958' * 70
    assert len(typed) == 70  # one UCS-2 SMS as typed
    assert normalize(typed) == '\u0915\u093c' * 70
    result = do_split(typed)
    assert result.encoding == 'ucs2'
    assert result.text == normalize(typed)
    assert [part.length for part in result.parts] == [67, 67, 6]


def test_a_surrogate_pair_given_as_two_code_points_is_sent_as_one_character():
    result = do_split('OK \ud83d\ude00')
    assert result.text == 'OK ' + EMOJI
    assert [part.payload for part in result.parts] == ['OK ' + EMOJI]
    assert result.length == 5


@pytest.mark.parametrize('char', ['\u015f', '\u011f', '\u0131', '\u00e7', '\u00e1', '\u00ea', '\u00f5'])
def test_national_language_shift_tables_are_not_used(char):
    """Turkish, Portuguese and Spanish letters outside the default tables make the text UCS-2, no shift table."""
    text = 'A' * 100 + char + 'B' * 100
    result = do_split(text)
    assert result.encoding == 'ucs2' and result.dcs == 8
    assert len(result.parts) == 3
    for part in result.parts:
        assert part.udh[:6] == '050003' and len(part.udh) == 12  # a concatenation element only, no 0x24/0x25


def test_lone_surrogate_refused():
    message = codec_error('payload', split, 'ab\ud83d', reference_key='x')
    assert 'U+D83D' in message
    assert 'position 3' in message


def test_non_gsm7_chars_in_order_of_occurrence():
    assert non_gsm7_chars('\u00e7a \u00e7\u2019x\t') == ['\u00e7', '\u00e7', '\u2019', '\t']
    assert non_gsm7_chars('plain') == []


def test_gsm7_length_refuses_unencodable_text():
    message = codec_error('payload', gsm7_length, 'ab\u00e7d')
    assert "'\u00e7' (U+00E7) at position 3" in message
    assert 'GSM 7-bit' in message


def test_utf16_length():
    assert utf16_length('') == 0
    assert utf16_length('abc') == 3
    assert utf16_length(EMOJI * 3) == 6
    assert utf16_length('e\u0301') == 1


def test_at_sign_is_gsm7():
    assert do_split('a@b').encoding == 'gsm7'


# ---------------------------------------------------------------------------
# Encoding choice, DCS, limits
# ---------------------------------------------------------------------------

def test_choose_encoding():
    assert choose_encoding('abc') == 'gsm7'
    assert choose_encoding('abc', 'gsm7') == 'gsm7'
    assert choose_encoding('abc', 'ucs2') == 'ucs2'
    assert choose_encoding('\u00e7', 'auto') == 'ucs2'
    assert choose_encoding('e\u0301', 'gsm7') == 'gsm7'
    message = codec_error('encoding', choose_encoding, 'ab\u00e7', 'gsm7')
    assert '\u00e7' in message and 'U+00E7' in message and 'position 3' in message
    codec_error('encoding', choose_encoding, 'abc', 'latin1')
    codec_error('encoding', choose_encoding, 'abc', 'binary')


@pytest.mark.parametrize('dcs, alphabet', [
    (0x00, 'gsm7'), (0x04, 'binary'), (0x08, 'ucs2'), (0x0C, 'gsm7'),
    (0x01, 'gsm7'), (0x05, 'binary'), (0x0B, 'ucs2'),
    (0x10, 'gsm7'), (0x11, 'gsm7'), (0x12, 'gsm7'), (0x13, 'gsm7'),
    (0x14, 'binary'), (0x15, 'binary'), (0x16, 'binary'), (0x17, 'binary'),
    (0x18, 'ucs2'), (0x19, 'ucs2'), (0x1A, 'ucs2'), (0x1B, 'ucs2'),
    (0x1C, 'gsm7'), (0x1F, 'gsm7'),
    (0x20, 'gsm7'), (0x24, 'binary'), (0x28, 'ucs2'), (0x38, 'ucs2'), (0x3C, 'gsm7'),
    (0x40, 'gsm7'), (0x44, 'binary'), (0x48, 'ucs2'), (0x58, 'ucs2'), (0x7F, 'gsm7'),
    (0x80, 'gsm7'), (0x88, 'gsm7'), (0xBF, 'gsm7'),
    (0xC0, 'gsm7'), (0xC8, 'gsm7'), (0xCF, 'gsm7'), (0xD0, 'gsm7'), (0xDF, 'gsm7'),
    (0xE0, 'ucs2'), (0xE4, 'ucs2'), (0xEF, 'ucs2'),
    (0xF0, 'gsm7'), (0xF1, 'gsm7'), (0xF2, 'gsm7'), (0xF3, 'gsm7'),
    (0xF4, 'binary'), (0xF5, 'binary'), (0xF6, 'binary'), (0xF7, 'binary'),
    (0xF8, 'gsm7'), (0xFC, 'binary'), (0xFF, 'binary'),
    ('8', 'ucs2'), ('0', 'gsm7'), ('4', 'binary'), ('24', 'ucs2'),
])
def test_alphabet_for_dcs(dcs, alphabet):
    assert alphabet_for_dcs(dcs) == alphabet


def test_alphabet_for_dcs_covers_every_value():
    for dcs in range(256):
        assert alphabet_for_dcs(dcs) in ('gsm7', 'binary', 'ucs2')


@pytest.mark.parametrize('dcs', [-1, 256, 1000, 'x', '', '-1', None, True, 8.0])
def test_alphabet_for_dcs_refuses_bad_values(dcs):
    codec_error('dcs', alphabet_for_dcs, dcs)


def test_dcs_for_encoding():
    assert dcs_for_encoding('gsm7') == 0
    assert dcs_for_encoding('ucs2') == 8
    assert dcs_for_encoding('binary') == 4
    codec_error('encoding', dcs_for_encoding, 'auto')
    for encoding in ('gsm7', 'ucs2', 'binary'):
        assert alphabet_for_dcs(dcs_for_encoding(encoding)) == encoding


@pytest.mark.parametrize('alphabet, ref_bits, expected', [
    ('gsm7', 8, (160, 153)), ('gsm7', 16, (160, 152)),
    ('ucs2', 8, (70, 67)), ('ucs2', 16, (70, 66)),
    ('binary', 8, (140, 134)), ('binary', 16, (140, 133)),
])
def test_limits(alphabet, ref_bits, expected):
    assert limits(alphabet, ref_bits) == expected


def test_limits_refuse_bad_arguments():
    codec_error('encoding', limits, 'utf8')
    codec_error('ref_bits', limits, 'gsm7', 12)


def test_limits_match_udh_capacity():
    for alphabet in ('gsm7', 'ucs2', 'binary'):
        assert limits(alphabet)[0] == single_part_capacity(alphabet, '')
        assert limits(alphabet, 8)[1] == single_part_capacity(alphabet, build_udh(1, 2, 1, 8))
        assert limits(alphabet, 16)[1] == single_part_capacity(alphabet, build_udh(1, 2, 1, 16))


def test_message_length():
    assert message_length('a\u20ac', 'gsm7') == 3
    assert message_length('a' + EMOJI, 'ucs2') == 3
    assert message_length('\x00\xff', 'binary') == 2
    assert message_length('e\u0301', 'binary') == 2
    codec_error('payload', message_length, '\u00e7', 'gsm7')
    codec_error('encoding', message_length, 'a', 'auto')


# ---------------------------------------------------------------------------
# User data header
# ---------------------------------------------------------------------------

def test_build_udh_examples():
    assert build_udh(0xCC, 2, 1) == '050003CC0201'
    assert build_udh(0xF42E, 2, 1, ref_bits=16) == '060804F42E0201'
    assert build_udh(0, 1, 1) == '050003000101'
    assert build_udh(255, 255, 255) == '050003FFFFFF'
    assert build_udh(65535, 255, 255, 16) == '060804FFFFFFFF'


@pytest.mark.parametrize('args', [
    (256, 2, 1, 8), (-1, 2, 1, 8), (65536, 2, 1, 16),
    (1, 0, 1, 8), (1, 256, 1, 8), (1, 2, 0, 8), (1, 2, 3, 8), (1, 2, 1, 7),
    ('1', 2, 1, 8), (1, 2.0, 1, 8), (True, 2, 1, 8),
])
def test_build_udh_refuses_out_of_range(args):
    with pytest.raises(SmsCodecError):
        build_udh(*args)


@pytest.mark.parametrize('udh, expected', [
    ('050003CC0201', {'reference': 0xCC, 'total': 2, 'seq': 1, 'ref_bits': 8, 'length_octets': 6}),
    ('050003cc0202', {'reference': 0xCC, 'total': 2, 'seq': 2, 'ref_bits': 8, 'length_octets': 6}),
    ('060804F42E0201', {'reference': 0xF42E, 'total': 2, 'seq': 1, 'ref_bits': 16, 'length_octets': 7}),
    ('0B05040B8423F00003CC0201', {'reference': 0xCC, 'total': 2, 'seq': 1, 'ref_bits': 8, 'length_octets': 12}),
    ('0605040B8423F0', {'reference': None, 'total': None, 'seq': None, 'ref_bits': None, 'length_octets': 7}),
    ('00', {'reference': None, 'total': None, 'seq': None, 'ref_bits': None, 'length_octets': 1}),
    ('0A0003AA02010003BB0302', {'reference': 0xBB, 'total': 3, 'seq': 2, 'ref_bits': 8, 'length_octets': 11}),
])
def test_parse_udh(udh, expected):
    parsed = parse_udh(udh)
    for key, value in expected.items():
        assert parsed[key] == value
    assert udh_octets(udh) == expected['length_octets']


def test_parse_udh_empty():
    assert parse_udh('') is None
    assert parse_udh(None) is None
    assert udh_octets('') == 0


@pytest.mark.parametrize('reference, total, seq, ref_bits', [
    (0, 1, 1, 8), (0xCC, 2, 2, 8), (255, 255, 255, 8), (0xF42E, 9, 3, 16), (0, 255, 1, 16), (65535, 3, 3, 16),
])
def test_udh_round_trip(reference, total, seq, ref_bits):
    udh = build_udh(reference, total, seq, ref_bits)
    parsed = parse_udh(udh)
    assert (parsed['reference'], parsed['total'], parsed['seq'], parsed['ref_bits']) == (reference, total, seq, ref_bits)
    assert parsed['length_octets'] == (6 if ref_bits == 8 else 7)


@pytest.mark.parametrize('udh', [
    '05000',                # odd number of digits
    '050003CC02G1',         # not hex
    '0x0003CC0201',         # not hex
    '050003CC 201',         # blank
    '050003CC02',           # UDHL larger than the header
    '040003CC0201',         # UDHL smaller than the header
    '0500040CC020',         # element length overruns the header
    '01',                   # UDHL overruns
    '0100',                 # element header cut short
    '03000201',             # concatenation element with 2 octets
    '0600040102030401',     # 8-bit concatenation element with 4 octets
    '050803010201',         # 16-bit concatenation element with 3 octets
    '050003CC0001',         # total 0
    '050003CC0200',         # seq 0
    '050003CC0203',         # seq > total
    '060804F42E0000',       # 16-bit total 0
    '060804F42E0100',       # 16-bit seq 0
    '060804F42E0102',       # 16-bit seq > total
    '8C' + '708A' + '00' * 138,  # 141 octets: more than one SMS
])
def test_parse_udh_malformed(udh):
    codec_error('udh', parse_udh, udh)


def test_udh_octets_refuses_malformed():
    codec_error('udh', udh_octets, '050')
    codec_error('udh', udh_octets, 'zz')


@pytest.mark.parametrize('alphabet, udh, capacity', [
    ('gsm7', '', 160), ('gsm7', '050003CC0201', 153), ('gsm7', '060804F42E0201', 152),
    ('gsm7', '0605040B8423F0', 152), ('gsm7', '0B05040B8423F00003CC0201', 146),
    ('gsm7', '00', 158),
    ('ucs2', '', 70), ('ucs2', '050003CC0201', 67), ('ucs2', '060804F42E0201', 66), ('ucs2', '0B05040B8423F00003CC0201', 64),
    ('binary', '', 140), ('binary', '050003CC0201', 134), ('binary', '060804F42E0201', 133), ('binary', '0605040B8423F0', 133),
    ('gsm7', '8B' + '7089' + '00' * 137, 0), ('ucs2', '8B' + '7089' + '00' * 137, 0), ('binary', '8B' + '7089' + '00' * 137, 0),
])
def test_single_part_capacity(alphabet, udh, capacity):
    assert single_part_capacity(alphabet, udh) == capacity


def filler_udh(octets):
    # a well-formed header of the given size, made of one unused information element (0x70)
    if octets == 1:
        return '00'
    return '%02X70%02X' % (octets - 1, octets - 3) + '00' * (octets - 3)


@pytest.mark.parametrize('octets', [1] + list(range(3, 141)))
def test_single_part_capacity_formula(octets):
    udh = filler_udh(octets)
    assert udh_octets(udh) == octets
    assert single_part_capacity('gsm7', udh) == 160 - -(-(octets * 8) // 7)
    assert single_part_capacity('gsm7', udh) == ((140 - octets) * 8) // 7
    assert single_part_capacity('ucs2', udh) == (140 - octets) // 2
    assert single_part_capacity('binary', udh) == 140 - octets


def test_derive_reference():
    assert derive_reference('k') == 167
    assert derive_reference('k', 16) == 64423
    assert derive_reference('k', salt=1) == 243
    for index in range(200):
        assert 0 <= derive_reference('key%d' % index) <= 255
        assert 0 <= derive_reference('key%d' % index, 16) <= 65535
    assert len(set(derive_reference('key%d' % index, 16) for index in range(200))) > 190
    codec_error('ref_bits', derive_reference, 'k', 32)


# ---------------------------------------------------------------------------
# Public vectors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, encoding, expected8, expected16', [
    ('Hello \u20ac', 'gsm7', [8], [8]),
    ('a' * 160, 'gsm7', [160], [160]),
    ('a' * 161, 'gsm7', [153, 8], [152, 9]),
    ('a' * 306, 'gsm7', [153, 153], [152, 152, 2]),
    ('a' * 307, 'gsm7', [153, 153, 1], [152, 152, 3]),
    (EURO * 80, 'gsm7', [160], [160]),
    ('\u00c7a va', 'gsm7', [5], [5]),
    ('\u00e7a va', 'ucs2', [5], [5]),
    (ZHE * 70, 'ucs2', [70], [70]),
    (ZHE * 71, 'ucs2', [67, 4], [66, 5]),
    (EMOJI * 35, 'ucs2', [70], [70]),
    ('\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e', 'gsm7', [10], [10]),
    ('a\r\nb', 'gsm7', [4], [4]),
    ('a' * 39015, 'gsm7', [153] * 255, None),
])
def test_public_vectors(text, encoding, expected8, expected16):
    result = do_split(text)
    assert result.encoding == encoding
    assert result.dcs == (0 if encoding == 'gsm7' else 8)
    assert sizes(result) == expected8
    assert reassemble(result.parts) == text
    if expected16 is not None:
        result16 = do_split(text, ref_bits=16)
        assert result16.encoding == encoding
        assert sizes(result16) == expected16
        assert reassemble(result16.parts) == text


def test_255_part_cap():
    assert len(do_split('a' * 39015).parts) == 255
    message = codec_error('payload', do_split, 'a' * 39016)
    assert '256' in message and '255' in message
    assert len(do_split('a' * 38760, ref_bits=16).parts) == 255
    codec_error('payload', do_split, 'a' * 38761, ref_bits=16)
    assert len(do_split(ZHE * (67 * 255)).parts) == 255
    codec_error('payload', do_split, ZHE * (67 * 255 + 1))


def test_user_part_cap():
    assert len(do_split('a' * 307, max_parts=3).parts) == 3
    message = codec_error('max_parts', do_split, 'a' * 307, max_parts=2)
    assert 'needs 3' in message and 'max_parts is 2' in message
    assert len(do_split('a' * 160, max_parts=1).parts) == 1
    codec_error('max_parts', do_split, 'a' * 161, max_parts=1)
    codec_error('payload', do_split, 'a' * 39016, max_parts=10)
    assert len(do_split('a' * 39015, max_parts=1000).parts) == 255
    codec_error('payload', do_split, 'a' * 39016, max_parts=1000)
    codec_error('max_parts', do_split, 'a', max_parts=0)
    codec_error('max_parts', do_split, 'a', max_parts='3')


def test_empty_refused():
    codec_error('payload', split, '')
    codec_error('payload', split, '', encoding='ucs2')
    codec_error('payload', split, None)
    codec_error('payload', split, b'abc')


# ---------------------------------------------------------------------------
# Boundaries
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, ref_bits, expected', [
    # escape character that would straddle the per-part limit moves to the next part
    ('a' * 152 + EURO + 'a' * 10, 8, [152, 12]),
    ('a' * 151 + EURO + 'a' * 10, 8, [153, 10]),
    ('a' * 151 + EURO + 'a' * 10, 16, [151, 12]),
    ('a' * 150 + EURO + 'a' * 10, 16, [152, 10]),
    ('a' * 152 + '[' + 'a' * 10, 8, [152, 12]),
    ('a' * 152 + '\x0c' + 'a' * 10, 8, [152, 12]),
    ('a' * 152 + 'a' + '\u20ac' * 5, 8, [153, 10]),
    # runs of euro signs
    (EURO * 81, 8, [152, 10]),
    (EURO * 81, 16, [152, 10]),
    ('a' + EURO * 80, 8, [153, 8]),
    ('a' + EURO * 80, 16, [151, 10]),
    (EURO * 153, 8, [152, 152, 2]),
    ('a' * 159 + EURO, 8, [153, 8]),
    ('a' * 158 + EURO, 8, [160]),
    # an extension character at the very end of a full single SMS
    ('a' * 158 + '|', 8, [160]),
])
def test_gsm7_escape_boundaries(text, ref_bits, expected):
    result = do_split(text, ref_bits=ref_bits)
    assert result.encoding == 'gsm7'
    assert sizes(result) == expected
    for part in result.parts:
        assert gsm7_length(part.payload) == part.length
    assert reassemble(result.parts) == text


@pytest.mark.parametrize('text, ref_bits, expected', [
    (ZHE * 66 + EMOJI + ZHE * 10, 8, [66, 12]),
    (ZHE * 65 + EMOJI + ZHE * 10, 8, [67, 10]),
    (ZHE * 65 + EMOJI + ZHE * 10, 16, [65, 12]),
    (ZHE * 64 + EMOJI + ZHE * 10, 16, [66, 10]),
    (ZHE * 68 + EMOJI, 8, [70]),
    (ZHE * 69 + EMOJI, 8, [67, 4]),
    (EMOJI * 36, 8, [66, 6]),
    (EMOJI * 36, 16, [66, 6]),
    ('a' + EMOJI * 35, 8, [67, 4]),
    ('a' + EMOJI * 35, 16, [65, 6]),
    (EMOJI * 67, 8, [66, 66, 2]),
    ('\u00e7' + 'a' * 69, 8, [70]),
    ('\u00e7' + 'a' * 70, 8, [67, 4]),
])
def test_ucs2_surrogate_boundaries(text, ref_bits, expected):
    result = do_split(text, ref_bits=ref_bits)
    assert result.encoding == 'ucs2'
    assert sizes(result) == expected
    for part in result.parts:
        assert utf16_length(part.payload) == part.length
        part.payload.encode('utf-16-le')
    assert reassemble(result.parts) == text


def test_forced_ucs2_for_gsm7_text():
    result = do_split('a' * 71, encoding='ucs2')
    assert result.encoding == 'ucs2'
    assert result.dcs == 8
    assert sizes(result) == [67, 4]


def test_forced_gsm7_refused_for_ucs2_text():
    message = codec_error('encoding', do_split, 'Hello \u2019', encoding='gsm7')
    assert 'U+2019' in message


def test_never_mixed_encoding():
    text = 'a' * 300 + '\u00e7'
    result = do_split(text)
    assert result.encoding == 'ucs2'
    assert all(part.length <= 67 for part in result.parts)
    assert sizes(result) == [67, 67, 67, 67, 33]


def test_multi_part_headers_and_reference():
    result = split('a' * 307, reference=0xCC)
    assert result.reference == 0xCC
    assert [part.udh for part in result.parts] == ['050003CC0301', '050003CC0302', '050003CC0303']
    assert [(part.seq, part.total) for part in result.parts] == [(1, 3), (2, 3), (3, 3)]
    result16 = split('a' * 161, reference=0xF42E, ref_bits=16)
    assert [part.udh for part in result16.parts] == ['060804F42E0201', '060804F42E0202']
    assert result16.ref_bits == 16


def test_reference_explicit_wins_over_key():
    assert split('a' * 200, reference=7, reference_key='k').reference == 7
    assert split('a' * 200, reference_key='k').reference == derive_reference('k')
    assert split('a' * 200, reference_key='k', ref_bits=16).reference == derive_reference('k', 16)
    assert split('a' * 200, reference=0).reference == 0


def test_reference_checks():
    codec_error('reference', split, 'a' * 200, reference=256)
    codec_error('reference', split, 'a' * 200, reference=-1)
    assert split('a' * 200, reference=65535, ref_bits=16).reference == 65535
    codec_error('ref_bits', split, 'a', ref_bits=10)
    with pytest.raises(ValueError) as excinfo:
        split('a' * 200)
    assert not isinstance(excinfo.value, SmsCodecError)


def test_single_sms_has_no_reference():
    result = split('short', reference=9, reference_key='k')
    assert result.reference is None
    assert result.parts == [Part('short', '', 1, 1, 5)]
    assert isinstance(result, SplitResult)
    assert result.total == 1


def test_result_text_is_nfc():
    result = do_split('e\u0301' * 200)
    assert result.text == '\u00e9' * 200
    assert result.encoding == 'gsm7'
    assert sizes(result) == [153, 47]


# ---------------------------------------------------------------------------
# Reassembly
# ---------------------------------------------------------------------------

def test_reassemble_any_order_and_api_records():
    text = 'x' * 500 + EURO
    parts = do_split(text).parts
    shuffled = list(parts)
    random.Random(3).shuffle(shuffled)
    assert reassemble(shuffled) == text
    records = [{'payload': part.payload, 'udh': part.udh, 'dcs': '0'} for part in reversed(parts)]
    assert reassemble(records) == text


def test_reassemble_tolerates_missing_and_duplicate_parts():
    parts = do_split('a' * 153 + 'b' * 153 + 'c' * 5).parts
    assert reassemble([parts[2], parts[0]]) == 'a' * 153 + 'c' * 5
    assert reassemble([parts[1], parts[1], parts[0], parts[2]]) == 'a' * 153 + 'b' * 153 + 'c' * 5
    assert reassemble([]) == ''
    assert reassemble([{'payload': 'single', 'udh': ''}]) == 'single'


def test_in_sequence_orders_parts_of_any_kind():
    parts = do_split('a' * 153 + 'b' * 153 + 'c' * 5).parts
    records = [{'payload': part.payload, 'udh': part.udh} for part in parts]
    assert in_sequence([records[2], records[0], records[1]]) == records
    assert in_sequence([parts[1], parts[1], parts[0]]) == [parts[0], parts[1]]
    # a header that is not a concatenation header (or not a header at all) leaves a part unnumbered, after the others
    odd = {'payload': 'x', 'udh': 'ZZ'}
    assert in_sequence([odd, records[1]]) == [records[1], odd]
    assert reassemble([{'seq': 2, 'payload': 7}, {'seq': 1, 'payload': None}]) == '7'


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

GSM_BASIC_CHARS = sorted(GSM7_BASIC)
GSM_EXT_CHARS = sorted(GSM7_EXTENSION)
BMP_CHARS = ['\u00e7', '\u0436', '\u0391', '\u2019', '\t', '`', '\u4e2d', '\u0301', '\u00b7', '\uffff', '\u00a0']
ASTRAL_CHARS = [EMOJI, '\U0001F1E9', '\U0001F1EA', '\U0001F3FD', '\U00010000', '\U0010FFFD']

gsm_char = st.one_of(st.sampled_from(GSM_BASIC_CHARS), st.sampled_from(GSM_EXT_CHARS), st.just('e\u0301'))
any_char = st.one_of(
    st.sampled_from(GSM_BASIC_CHARS),
    st.sampled_from(GSM_EXT_CHARS),
    st.sampled_from(BMP_CHARS),
    st.sampled_from(ASTRAL_CHARS),
    st.characters(blacklist_categories=('Cs',)),
)
gsm_texts = st.lists(gsm_char, min_size=1, max_size=700).map(''.join)
mixed_texts = st.lists(any_char, min_size=1, max_size=400).map(''.join)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cost_function(encoding):
    if encoding == 'gsm7':
        return lambda char: 2 if char in GSM7_EXTENSION else 1
    return lambda char: 2 if ord(char) > 0xFFFF else 1


def minimal_parts(text, cost, per_part):
    # independent count: the fewest contiguous chunks of at most per_part, by dynamic programming
    costs = [cost(char) for char in text]
    best = [0] + [None] * len(costs)
    for end in range(1, len(costs) + 1):
        size = 0
        start = end
        while start > 0 and size + costs[start - 1] <= per_part:
            size += costs[start - 1]
            start -= 1
            if best[start] is not None and (best[end] is None or best[start] + 1 < best[end]):
                best[end] = best[start] + 1
    return best[-1]


def check_split_properties(text, ref_bits):
    result = split(text, ref_bits=ref_bits, reference_key=text)
    nfc = unicodedata.normalize('NFC', text)
    assert result.text == nfc
    assert reassemble(result.parts) == nfc
    assert reassemble(list(reversed(result.parts))) == nfc
    assert result.encoding == ('gsm7' if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in nfc) else 'ucs2')
    assert result.dcs == dcs_for_encoding(result.encoding)
    cost = cost_function(result.encoding)
    single, per_part = limits(result.encoding, ref_bits)
    total_length = sum(cost(char) for char in nfc)
    assert sum(part.length for part in result.parts) == total_length
    total = len(result.parts)

    if total_length <= single:
        assert total == 1
        assert result.parts[0].udh == ''
        assert result.reference is None
        return result

    assert total == minimal_parts(nfc, cost, per_part)
    for index, part in enumerate(result.parts):
        assert part.payload
        assert part.seq == index + 1
        assert part.total == total
        assert part.length <= per_part
        assert part.length == sum(cost(char) for char in part.payload)
        parsed = parse_udh(part.udh)
        assert parsed['reference'] == result.reference
        assert parsed['total'] == total
        assert parsed['seq'] == part.seq
        assert parsed['ref_bits'] == ref_bits
        # each part is encodable on its own: no split escape, no split surrogate pair
        units = part.payload.encode('utf-16-le')  # strict: a lone surrogate would raise
        assert units.decode('utf-16-le') == part.payload
        if result.encoding == 'gsm7':
            assert gsm7_length(part.payload) == part.length
        else:
            assert len(units) // 2 == part.length
        if index + 1 < total:
            # greedy: the next character did not fit
            assert part.length + cost(result.parts[index + 1].payload[0]) > per_part
    return result


@PROPERTY_SETTINGS
@given(text=gsm_texts, ref_bits=st.sampled_from([8, 16]))
def test_property_gsm7_split(text, ref_bits):
    result = check_split_properties(text, ref_bits)
    assert result.encoding == 'gsm7'


@PROPERTY_SETTINGS
@given(text=mixed_texts, ref_bits=st.sampled_from([8, 16]))
def test_property_mixed_split(text, ref_bits):
    check_split_properties(text, ref_bits)


@settings(max_examples=100, deadline=None)
@given(reference=st.integers(0, 65535), total=st.integers(1, 255), data=st.data(), ref_bits=st.sampled_from([8, 16]))
def test_property_udh_round_trip(reference, total, data, ref_bits):
    reference = reference % (1 << ref_bits)
    seq = data.draw(st.integers(1, total))
    parsed = parse_udh(build_udh(reference, total, seq, ref_bits))
    assert (parsed['reference'], parsed['total'], parsed['seq'], parsed['ref_bits']) == (reference, total, seq, ref_bits)


@settings(max_examples=200, deadline=None)
@given(udh=st.text(alphabet='0123456789ABCDEFabcdefXx ', max_size=40))
def test_property_parse_udh_never_crashes(udh):
    try:
        parsed = parse_udh(udh)
    except SmsCodecError as error:
        assert error.option == 'udh'
    else:
        assert parsed is None or parsed['length_octets'] == len(udh) // 2


# ---------------------------------------------------------------------------
# Properties: every requested encoding, escape sequences, the 255-part and max_parts limits, determinism of
# the reference, UDHs with other information elements, arbitrary header octets
# ---------------------------------------------------------------------------

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

GSM_CHARS = st.sampled_from(sorted(GSM7_BASIC) + sorted(GSM7_EXTENSION) * 3)
BMP_RANGE = st.characters(min_codepoint=0x20, max_codepoint=0xFFFF, blacklist_categories=('Cs',))
ASTRAL_RANGE = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, blacklist_categories=('Cs', 'Cn'))
ANY_CHARS = st.one_of(GSM_CHARS, BMP_RANGE, ASTRAL_RANGE, st.sampled_from(['e\u0301', 'A\u030a', '\u1100\u1161']))
GSM_TEXTS = st.lists(GSM_CHARS, min_size=1, max_size=600).map(''.join)
ANY_TEXTS = st.lists(ANY_CHARS, min_size=1, max_size=300).map(''.join)
REF_BITS_DRAWN = st.sampled_from([8, 16])


def unit_cost(encoding):
    if encoding == 'gsm7':
        return lambda char: 2 if char in GSM7_EXTENSION else 1
    return lambda char: 2 if ord(char) > 0xFFFF else 1


@SETTINGS
@given(text=ANY_TEXTS, encoding=st.sampled_from(['auto', 'gsm7', 'ucs2']), ref_bits=REF_BITS_DRAWN)
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
@given(text=GSM_TEXTS, ref_bits=REF_BITS_DRAWN)
def test_gsm7_escape_sequences_never_split(text, ref_bits):
    result = split(text, 'gsm7', ref_bits=ref_bits, reference_key=text)
    assert ''.join(part.payload for part in result.parts) == unicodedata.normalize('NFC', text)
    single, per_part = limits('gsm7', ref_bits)
    for part in result.parts:
        # a part holds whole characters: an extension character (escape and code, two septets) is never cut
        assert part.length == sum(2 if char in GSM7_EXTENSION else 1 for char in part.payload)
        assert part.length <= (single if len(result.parts) == 1 else per_part)


@SETTINGS
@given(units=st.integers(1, 40000), wide=st.booleans(), max_parts=st.integers(1, 300), ref_bits=REF_BITS_DRAWN)
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
@given(key=st.text(max_size=50), ref_bits=REF_BITS_DRAWN, salt=st.integers(0, 20), text=st.text(min_size=200, max_size=400))
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
@given(reference=st.integers(0, 65535), total=st.integers(1, 255), seq_seed=st.integers(0, 254), ref_bits=REF_BITS_DRAWN,
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
