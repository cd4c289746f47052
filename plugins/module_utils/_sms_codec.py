# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""SMS text encoding, splitting and concatenation headers.

Implements the rules of 3GPP TS 23.038 (alphabets, data coding scheme) and
TS 23.040 clause 9.2.3.24 (user data header, concatenation) as far as the
collection needs them to send text through the emnify API, where every part
of a long message is one API call carrying that part's text as UTF-8
``payload``, the message's ``dcs`` and the part's ``udh`` in hex.

This is a private module of the collection; its interface may change.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import collections
import hashlib
import unicodedata


# GSM 7-bit default alphabet, basic table, indexed by septet value.  Position
# 0x1B is the escape to the extension table and holds no character; the
# placeholder below is removed when GSM7_BASIC is built.
_GSM7_BASIC_TABLE = (
    '@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5'
    '\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\x1b\u00c6\u00e6\u00df\u00c9'
    ' !"#\u00a4%&\'()*+,-./'
    '0123456789:;<=>?'
    '\u00a1ABCDEFGHIJKLMNO'
    'PQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7'
    '\u00bfabcdefghijklmno'
    'pqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0'
)

_GSM7_ESCAPE = 0x1B

# Extension table: character -> septet following the escape.
_GSM7_EXTENSION_CODES = {
    '\x0c': 0x0A,     # form feed
    '^': 0x14,
    '{': 0x28,
    '}': 0x29,
    '\\': 0x2F,
    '[': 0x3C,
    '~': 0x3D,
    ']': 0x3E,
    '|': 0x40,
    '\u20ac': 0x65,   # euro sign
}

_GSM7_BASIC_CODES = dict((ch, code) for code, ch in enumerate(_GSM7_BASIC_TABLE) if code != _GSM7_ESCAPE)

#: The 127 characters of the basic table (one septet each, ESC excluded).
GSM7_BASIC = frozenset(_GSM7_BASIC_CODES)

#: The ten characters of the extension table (two septets each: ESC + code).
GSM7_EXTENSION = frozenset(_GSM7_EXTENSION_CODES)

GSM7 = 'gsm7'
UCS2 = 'ucs2'
BINARY = 'binary'

ENCODINGS = ('auto', GSM7, UCS2)
ALPHABETS = (GSM7, BINARY, UCS2)
REF_BITS = (8, 16)

#: Most parts a concatenated message can have (the sequence octet is 1..255).
MAX_PARTS = 255

#: Octets of user data in one SMS.
USER_DATA_OCTETS = 140

_SINGLE_LIMITS = {GSM7: 160, BINARY: 140, UCS2: 70}
_PART_LIMITS = {
    (GSM7, 8): 153, (GSM7, 16): 152,
    (BINARY, 8): 134, (BINARY, 16): 133,
    (UCS2, 8): 67, (UCS2, 16): 66,
}
_DCS_FOR_ENCODING = {GSM7: 0, BINARY: 4, UCS2: 8}

_IEI_CONCAT_8 = 0x00
_IEI_CONCAT_16 = 0x08
_CONCAT_IE_LENGTH = {_IEI_CONCAT_8: 3, _IEI_CONCAT_16: 4}


class SmsCodecError(ValueError):
    """A text, header or setting that cannot be encoded as asked.

    ``option`` names the module option the problem belongs to, so that a
    module can report it against that option.
    """

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option
        self.message = message


Part = collections.namedtuple('Part', ['payload', 'udh', 'seq', 'total', 'length'])
Part.__doc__ = """One SMS of a message.

payload: the text of this part (sent as UTF-8 ``payload``).
udh: concatenation header in upper-case hex, '' for a message sent as a single SMS.
seq: 1-based sequence number; total: number of parts of the message.
length: size of this part in septets (gsm7) or UTF-16 code units (ucs2).
"""


class SplitResult:
    """The outcome of :func:`split`."""

    __slots__ = ('encoding', 'dcs', 'reference', 'ref_bits', 'parts', 'text')

    def __init__(self, encoding, dcs, reference, ref_bits, parts, text):
        self.encoding = encoding
        self.dcs = dcs
        self.reference = reference
        self.ref_bits = ref_bits
        self.parts = parts
        self.text = text

    @property
    def total(self):
        """Number of parts (SMS) the message needs."""
        return len(self.parts)

    @property
    def length(self):
        """Size of the whole text in septets or UTF-16 code units."""
        return sum(part.length for part in self.parts)

    def __repr__(self):
        return 'SplitResult(encoding={0!r}, dcs={1!r}, reference={2!r}, ref_bits={3!r}, parts={4!r})'.format(
            self.encoding, self.dcs, self.reference, self.ref_bits, self.parts)


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

def _describe(char):
    return '{0!r} (U+{1:04X})'.format(char, ord(char))


def _check_text(text, option='payload'):
    if not isinstance(text, str):
        raise SmsCodecError(option, '{0}: expected a text string, got {1}'.format(option, type(text).__name__))


def normalize(text):
    """Return ``text`` in Unicode normalisation form C.

    A well-formed surrogate pair that reached Python as two code points (for
    example from a lenient decoder) is first joined into its character.
    """
    _check_text(text)
    if any('\ud800' <= ch <= '\udfff' for ch in text):
        text = text.encode('utf-16-le', 'surrogatepass').decode('utf-16-le', 'surrogatepass')
    return unicodedata.normalize('NFC', text)


def check_characters(text, option='payload'):
    """Refuse a lone surrogate (half of a UTF-16 pair): it is not a character and has no encoding.

    Such a code point reaches Python from text decoded with ``surrogateescape`` (for instance a file
    lookup of a file that is not UTF-8); :func:`normalize` joins the well-formed pairs first.
    """
    for index, ch in enumerate(text):
        if '\ud800' <= ch <= '\udfff':
            raise SmsCodecError(option, '{0}: lone surrogate U+{1:04X} at position {2} is not a character and cannot be sent '
                                '(text read from a file that is not UTF-8?)'.format(option, ord(ch), index + 1))


def _char_septets(char):
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return 0


def _char_units(char):
    return 2 if ord(char) > 0xFFFF else 1


def is_gsm7(text):
    """True when the NFC form of ``text`` uses only the GSM 7-bit basic and extension tables."""
    return all(_char_septets(ch) for ch in normalize(text))


def non_gsm7_chars(text):
    """The characters of the NFC form of ``text`` that GSM 7-bit cannot encode, in order of occurrence."""
    return [ch for ch in normalize(text) if not _char_septets(ch)]


def _first_non_gsm7(text):
    """(position, character) of the first character of ``text`` outside GSM 7-bit, 1-based, or None."""
    for index, ch in enumerate(text):
        if not _char_septets(ch):
            return index + 1, ch
    return None


def _not_gsm7_message(option, text, prefix='', where=''):
    position, char = _first_non_gsm7(text)
    others = []
    for ch in text:
        if not _char_septets(ch) and ch != char and ch not in others:
            others.append(ch)
    message = '{0}: {1}character {2} at position {3}{4} is not in the GSM 7-bit alphabet'.format(option, prefix, _describe(char), position, where)
    if others:
        message += ' (nor {0}{1})'.format(', '.join(_describe(ch) for ch in others[:5]), ', ...' if len(others) > 5 else '')
    return message + '; use encoding=auto or ucs2'


def gsm7_length(text):
    """Septets needed for the NFC form of ``text`` (extension characters count 2)."""
    text = normalize(text)
    total = 0
    for ch in text:
        cost = _char_septets(ch)
        if not cost:
            raise SmsCodecError('payload', _not_gsm7_message('payload', text))
        total += cost
    return total


def utf16_length(text):
    """UTF-16 code units of the NFC form of ``text`` (characters beyond U+FFFF count 2)."""
    return sum(_char_units(ch) for ch in normalize(text))


def _check_encoding(encoding, allowed=ENCODINGS):
    if encoding not in allowed:
        raise SmsCodecError('encoding', 'encoding: {0!r} is not one of {1}'.format(encoding, ', '.join(allowed)))


def choose_encoding(text, encoding='auto'):
    """The encoding of the whole message: 'gsm7' or 'ucs2'.

    ``auto`` picks gsm7 when every character of the NFC text is in the basic or
    extension table, else ucs2.  ``gsm7`` with a character outside the
    alphabet raises SmsCodecError for option ``encoding``.  ``ucs2`` is always
    possible.
    """
    _check_encoding(encoding)
    text = normalize(text)
    if encoding == UCS2:
        return UCS2
    if encoding == GSM7:
        if not is_gsm7(text):
            raise SmsCodecError('encoding', _not_gsm7_message('encoding', text, 'gsm7 was requested but ', ' of the payload'))
        return GSM7
    return GSM7 if is_gsm7(text) else UCS2


def message_length(text, alphabet):
    """Size of ``text`` in the unit of ``alphabet``.

    gsm7: septets of the NFC text; ucs2: UTF-16 code units of the NFC text;
    binary: one octet per code point of ``text`` as given (not normalised),
    since a binary payload is passed through as-is.
    """
    _check_alphabet(alphabet)
    if alphabet == GSM7:
        return gsm7_length(text)
    if alphabet == UCS2:
        return utf16_length(text)
    _check_text(text)
    return len(text)


# ---------------------------------------------------------------------------
# Data coding scheme
# ---------------------------------------------------------------------------

def _check_alphabet(alphabet):
    if alphabet not in ALPHABETS:
        raise SmsCodecError('encoding', 'encoding: alphabet {0!r} is not one of {1}'.format(alphabet, ', '.join(ALPHABETS)))


def _parse_dcs(dcs):
    value = None
    if isinstance(dcs, bool):
        value = None
    elif isinstance(dcs, int):
        value = dcs
    elif isinstance(dcs, str) and dcs.strip().isdigit():
        value = int(dcs.strip())
    if value is None or not 0 <= value <= 255:
        raise SmsCodecError('dcs', 'dcs: {0!r} is not a data coding scheme; it must be an integer from 0 to 255'.format(dcs))
    return value


def alphabet_for_dcs(dcs):
    """The alphabet ('gsm7', 'binary' or 'ucs2') a data coding scheme selects (TS 23.038 clause 4).

    - 0x00-0x3F general data coding and 0x40-0x7F automatic deletion group:
      bits 3..2 give the alphabet (00 GSM 7-bit, 01 8-bit, 10 UCS-2, 11
      reserved); bit 4 only says whether bits 1..0 carry a message class and
      bit 5 flags compressed text, neither changes the alphabet.
    - 0x80-0xBF reserved coding groups: GSM 7-bit.
    - 0xC0-0xDF message waiting indication (discard / store): GSM 7-bit.
    - 0xE0-0xEF message waiting indication (store): UCS-2.
    - 0xF0-0xFF data coding / message class: bit 2 set is 8-bit, clear is GSM 7-bit.

    TS 23.038 says reserved codings are to be read as the GSM 7-bit default
    alphabet, which is what this returns for them.  A string of digits (the
    API sends ``dcs`` as a string) is accepted.
    """
    value = _parse_dcs(dcs)
    group = value >> 4
    if group <= 0x7:
        coding = (value >> 2) & 0x3
        return {0: GSM7, 1: BINARY, 2: UCS2}.get(coding, GSM7)
    if group in (0xC, 0xD):
        return GSM7
    if group == 0xE:
        return UCS2
    if group == 0xF:
        return BINARY if value & 0x04 else GSM7
    return GSM7


def dcs_for_encoding(encoding):
    """The plain data coding scheme for an encoding: gsm7 0, binary 4, ucs2 8."""
    if encoding not in _DCS_FOR_ENCODING:
        raise SmsCodecError('encoding', 'encoding: {0!r} is not one of {1}'.format(encoding, ', '.join(ALPHABETS)))
    return _DCS_FOR_ENCODING[encoding]


def _check_ref_bits(ref_bits):
    if isinstance(ref_bits, bool) or ref_bits not in REF_BITS:
        raise SmsCodecError('ref_bits', 'ref_bits: {0!r} is not a concatenation reference size; use 8 or 16'.format(ref_bits))


def limits(alphabet, ref_bits=8):
    """(single SMS limit, per-part limit) for ``alphabet`` and a concatenation reference of ``ref_bits``.

    In septets for gsm7, UTF-16 code units for ucs2 and octets for binary.
    """
    _check_alphabet(alphabet)
    _check_ref_bits(ref_bits)
    return _SINGLE_LIMITS[alphabet], _PART_LIMITS[(alphabet, ref_bits)]


# ---------------------------------------------------------------------------
# User data header
# ---------------------------------------------------------------------------

def derive_reference(key, ref_bits=8, salt=0):
    """A deterministic concatenation reference for ``key``.

    The first two octets of SHA-256 over the UTF-8 of ``key + '|' + str(salt)``
    taken big-endian, reduced to 0..255 (8-bit) or 0..65535 (16-bit).  The
    same key always gives the same reference, so a re-run of a task resends a
    message with the reference it had; change ``salt`` to get another one.
    """
    _check_ref_bits(ref_bits)
    if not isinstance(key, str):
        raise ValueError('derive_reference: key must be a text string')
    digest = hashlib.sha256('{0}|{1}'.format(key, salt).encode('utf-8')).digest()
    value = bytearray(digest[:2])
    number = (value[0] << 8) | value[1]
    return number % (1 << ref_bits)


def _check_int(option, name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SmsCodecError(option, '{0}: {1} {2!r} is out of range; it must be an integer from {3} to {4}'.format(option, name, value, low, high))


def build_udh(reference, total, seq, ref_bits=8):
    """The concatenation user data header in upper-case hex.

    8-bit reference: ``050003RRTTSS``; 16-bit reference: ``060804RRRRTTSS``.
    """
    _check_ref_bits(ref_bits)
    _check_int('udh', 'reference', reference, 0, (1 << ref_bits) - 1)
    _check_int('udh', 'total', total, 1, MAX_PARTS)
    _check_int('udh', 'seq', seq, 1, total)
    if ref_bits == 8:
        return '050003{0:02X}{1:02X}{2:02X}'.format(reference, total, seq)
    return '060804{0:04X}{1:02X}{2:02X}'.format(reference, total, seq)


def _udh_bytes(udh_hex):
    if not isinstance(udh_hex, str):
        raise SmsCodecError('udh', 'udh: expected a hex string, got {0}'.format(type(udh_hex).__name__))
    if len(udh_hex) % 2:
        raise SmsCodecError('udh', 'udh: {0!r} has an odd number of hex digits'.format(udh_hex))
    if any(ch not in '0123456789abcdefABCDEF' for ch in udh_hex):
        raise SmsCodecError('udh', 'udh: {0!r} is not hexadecimal'.format(udh_hex))
    data = bytearray(binascii.unhexlify(udh_hex.encode('ascii')))
    if len(data) > USER_DATA_OCTETS:
        raise SmsCodecError('udh', 'udh: {0} octets do not fit in the {1} octets of one SMS'.format(len(data), USER_DATA_OCTETS))
    return data


def parse_udh(udh_hex):
    """Parse a user data header given in hex (UDHL followed by information elements).

    Returns None for '' (or None).  Otherwise a dict with ``reference``,
    ``total``, ``seq``, ``ref_bits`` (from a concatenation element 0x00 or
    0x08; all None when the header has none), ``length_octets`` (the whole
    header, UDHL included) and ``elements`` (a list of (iei, data hex)).
    When a concatenation element appears more than once the last one counts
    (TS 23.040 9.2.3.24).  A malformed header raises SmsCodecError for
    option ``udh``.
    """
    if udh_hex is None or udh_hex == '':
        return None
    data = _udh_bytes(udh_hex)
    udhl = data[0]
    if udhl + 1 != len(data):
        raise SmsCodecError('udh', 'udh: {0!r} declares {1} octets of header (UDHL) but carries {2}'.format(udh_hex, udhl, len(data) - 1))
    result = {'reference': None, 'total': None, 'seq': None, 'ref_bits': None, 'length_octets': len(data), 'elements': []}
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise SmsCodecError('udh', 'udh: {0!r} ends inside the header of an information element at octet {1}'.format(udh_hex, pos))
        iei, length = data[pos], data[pos + 1]
        body = data[pos + 2:pos + 2 + length]
        if len(body) != length:
            raise SmsCodecError('udh', 'udh: information element 0x{0:02X} at octet {1} declares {2} octets but only {3} remain'.format(
                iei, pos, length, len(body)))
        result['elements'].append((iei, binascii.hexlify(bytes(body)).decode('ascii').upper()))
        if iei in _CONCAT_IE_LENGTH:
            if length != _CONCAT_IE_LENGTH[iei]:
                raise SmsCodecError('udh', 'udh: concatenation element 0x{0:02X} must have {1} octets, not {2}'.format(iei, _CONCAT_IE_LENGTH[iei], length))
            if iei == _IEI_CONCAT_8:
                reference, total, seq, ref_bits = body[0], body[1], body[2], 8
            else:
                reference, total, seq, ref_bits = (body[0] << 8) | body[1], body[2], body[3], 16
            if total == 0:
                raise SmsCodecError('udh', 'udh: concatenation element says the message has 0 parts')
            if seq == 0 or seq > total:
                raise SmsCodecError('udh', 'udh: concatenation sequence number {0} is outside 1..{1}'.format(seq, total))
            result.update(reference=reference, total=total, seq=seq, ref_bits=ref_bits)
        pos += 2 + length
    return result


def udh_octets(udh_hex):
    """Octets a user data header takes, UDHL included ('' and None take 0)."""
    if udh_hex is None or udh_hex == '':
        return 0
    return len(_udh_bytes(udh_hex))


def single_part_capacity(alphabet, udh_hex=''):
    """How much text one SMS holds next to a user data header.

    gsm7: septets, the header being padded to a septet boundary
    (160 - ceil(octets * 8 / 7), i.e. floor((140 - octets) * 8 / 7));
    ucs2: UTF-16 code units, (140 - octets) // 2; binary: 140 - octets.
    """
    _check_alphabet(alphabet)
    octets = udh_octets(udh_hex)
    if alphabet == GSM7:
        return ((USER_DATA_OCTETS - octets) * 8) // 7
    if alphabet == UCS2:
        return (USER_DATA_OCTETS - octets) // 2
    return USER_DATA_OCTETS - octets


# ---------------------------------------------------------------------------
# Splitting and reassembly
# ---------------------------------------------------------------------------

def _chunks(text, cost, per_part):
    """Greedy cut of ``text`` into (chunk, size) with size <= per_part; a character is never cut."""
    chunks = []
    start = 0
    size = 0
    for index, ch in enumerate(text):
        step = cost(ch)
        if size + step > per_part:
            chunks.append((text[start:index], size))
            start, size = index, 0
        size += step
    chunks.append((text[start:], size))
    return chunks


def split(text, encoding='auto', ref_bits=8, reference=None, max_parts=MAX_PARTS, reference_key=None):
    """Turn a text into the SMS parts that carry it.

    The text is NFC-normalised, one encoding is chosen for the whole message
    (see :func:`choose_encoding`), and a text within the single-SMS limit
    gives one part without a header.  A longer text is cut greedily into parts
    of at most the per-part limit, never inside an escape sequence (gsm7) or a
    surrogate pair (ucs2), each with a concatenation header carrying the same
    reference and total and its 1-based sequence number.

    ``reference`` given explicitly wins; otherwise it is derived from
    ``reference_key`` with :func:`derive_reference`.  A multi-part message
    with neither is a programming error (ValueError).
    """
    _check_text(text)
    _check_ref_bits(ref_bits)
    _check_encoding(encoding)
    if isinstance(max_parts, bool) or not isinstance(max_parts, int) or max_parts < 1:
        raise SmsCodecError('max_parts', 'max_parts: {0!r} is not a positive integer'.format(max_parts))
    text = normalize(text)
    if not text:
        raise SmsCodecError('payload', 'payload: the text is empty; an SMS needs at least one character')
    check_characters(text)

    chosen = choose_encoding(text, encoding)
    cost = _char_septets if chosen == GSM7 else _char_units
    single, per_part = limits(chosen, ref_bits)
    length = sum(cost(ch) for ch in text)
    dcs = dcs_for_encoding(chosen)

    if length <= single:
        return SplitResult(chosen, dcs, None, ref_bits, [Part(text, '', 1, 1, length)], text)

    chunks = _chunks(text, cost, per_part)
    total = len(chunks)
    unit = 'septets' if chosen == GSM7 else 'UTF-16 code units'
    if total > MAX_PARTS:
        raise SmsCodecError('payload', 'payload: the text needs {0} SMS parts ({1} {2} as {3}, at most {4} per part) but a message can have at most {5}'.format(
            total, length, unit, chosen, per_part, MAX_PARTS))
    if total > max_parts:
        raise SmsCodecError('max_parts', 'max_parts: the text needs {0} SMS parts ({1} {2} as {3}, at most {4} per part) but max_parts is {5}'.format(
            total, length, unit, chosen, per_part, max_parts))

    if reference is None:
        if reference_key is None:
            raise ValueError('split: a multi-part message needs reference or reference_key')
        reference = derive_reference(reference_key, ref_bits)
    else:
        _check_int('reference', 'reference', reference, 0, (1 << ref_bits) - 1)

    parts = [Part(chunk, build_udh(reference, total, seq, ref_bits), seq, total, size)
             for seq, (chunk, size) in enumerate(chunks, 1)]
    return SplitResult(chosen, dcs, reference, ref_bits, parts, text)


def _text(value):
    """A payload as text: the API may send a number, or nothing."""
    return value if isinstance(value, str) else ('' if value is None else str(value))


def _part_fields(part):
    """(seq or None, payload) from a Part, an object with those attributes, or a mapping (an API SMS record).

    A mapping without ``seq`` takes it from its concatenation ``udh``; a header that is not one leaves it None.
    """
    if isinstance(part, dict):
        payload = part.get('payload')
        seq = part.get('seq')
        if seq is None and part.get('udh'):
            try:
                parsed = parse_udh(part['udh'])
            except SmsCodecError:
                parsed = None
            seq = parsed['seq'] if parsed else None
    else:
        payload = part.payload
        seq = getattr(part, 'seq', None)
    if seq is not None:
        seq = int(seq)
    return seq, _text(payload)


def in_sequence(parts):
    """The parts of one message in sequence order.

    Accepts Part objects, objects with ``seq`` and ``payload``, or dicts (with ``seq``, or with the API's
    ``udh``). When a sequence number repeats, its first occurrence is kept; parts without a sequence number
    keep their place after the numbered ones.
    """
    numbered = {}
    unnumbered = []
    for part in parts:
        seq, _payload = _part_fields(part)
        if seq is None:
            unnumbered.append(part)
        elif seq not in numbered:
            numbered[seq] = part
    return [numbered[seq] for seq in sorted(numbered)] + unnumbered


def reassemble(parts):
    """The text of one message: the payloads of its parts (see :func:`in_sequence`) joined in sequence order.

    Missing parts are tolerated: what is there is joined in order.
    """
    return ''.join(_part_fields(part)[1] for part in in_sequence(parts))
