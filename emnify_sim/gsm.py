# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS encoding rules (3GPP TS 23.038 / 23.040): alphabets, DCS, UDH and the size of one SMS."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

# GSM 7-bit default alphabet, basic table: 127 characters (0x1B is the escape, not a character).
GSM_BASIC = (
    u"@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"
    u"\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e\u00c6\u00e6\u00df\u00c9"
    u" !\"#\u00a4%&'()*+,-./0123456789:;<=>?"
    u"\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"
    u"\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"
)
GSM_BASIC_SET = frozenset(GSM_BASIC)
# Extension table: ten characters, each sent as ESC + code (2 septets).
GSM_EXTENSION_SET = frozenset(u"\f^{}\\[~]|\u20ac")

ALPHABET_GSM7 = "gsm7"
ALPHABET_8BIT = "8bit"
ALPHABET_UCS2 = "ucs2"

SMS_OCTETS = 140
HEX_RE = re.compile(r"\A(?:[0-9A-Fa-f]{2})*\Z")


def gsm7_septets(text):
    """Septets the text needs in the GSM 7-bit default alphabet, or None if it is not encodable."""
    count = 0
    for char in text:
        if char in GSM_BASIC_SET:
            count += 1
        elif char in GSM_EXTENSION_SET:
            count += 2
        else:
            return None
    return count


def first_non_gsm7(text):
    """The first character outside the GSM 7-bit basic and extension tables (None if all fit)."""
    for char in text:
        if char not in GSM_BASIC_SET and char not in GSM_EXTENSION_SET:
            return char
    return None


def utf16_units(text):
    """UTF-16 code units of the text (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def octets_8bit(text):
    """Octets of an 8-bit payload: one per character when every character is in Latin-1, else its UTF-8 length.

    How the service maps a binary payload onto its UTF-8 `payload` field is undocumented; this is an assumption.
    """
    try:
        return len(text.encode("latin-1"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8"))


def dcs_alphabet(dcs):
    """The alphabet a DCS value selects (TS 23.038 clause 4), read from its coding group bits."""
    group = dcs >> 4
    if group <= 0x7:
        # 00xx general data coding, 01xx automatic deletion group: bits 3..2 give the alphabet.
        bits = (dcs >> 2) & 0x3
        if bits == 1:
            return ALPHABET_8BIT
        if bits == 2:
            return ALPHABET_UCS2
        return ALPHABET_GSM7  # 00, and the reserved 11 which receivers treat as the default alphabet
    if group in (0xC, 0xD):
        return ALPHABET_GSM7  # message waiting indication, discard / store, default alphabet
    if group == 0xE:
        return ALPHABET_UCS2  # message waiting indication, store, UCS-2
    if group == 0xF:
        return ALPHABET_8BIT if dcs & 0x4 else ALPHABET_GSM7  # data coding / message class
    return ALPHABET_GSM7  # 0x80-0xBF reserved coding groups: default alphabet


def udh_octets(udh_hex):
    """Length in octets of a UDH given in hex ('' means none)."""
    return len(udh_hex) // 2


def capacity(alphabet, header_octets):
    """How much payload one SMS holds: septets, octets or UTF-16 units, given the UDH length in octets."""
    if alphabet == ALPHABET_GSM7:
        bits = SMS_OCTETS * 8 - header_octets * 8
        return bits // 7  # the fill bits after the UDH make this a floor
    if alphabet == ALPHABET_UCS2:
        return (SMS_OCTETS - header_octets) // 2
    return SMS_OCTETS - header_octets


def parse_udh(udh_hex):
    """Check a UDH in hex and read its concatenation element.

    Returns (problem, concat): problem is an error message or None; concat is None or a dict
    {"ref": int, "ref_bits": 8|16, "total": int, "seq": int}.
    """
    if not HEX_RE.match(udh_hex):
        return "udh must be an even number of hexadecimal digits", None
    raw = bytes(bytearray.fromhex(udh_hex))
    if len(raw) < 1:
        return None, None
    udhl = raw[0]
    if udhl != len(raw) - 1:
        return "udh length octet (UDHL %d) does not match the %d octets that follow it" % (udhl, len(raw) - 1), None
    if udhl == 0:
        return "udh has no information element", None
    if len(raw) > SMS_OCTETS:
        return "udh is longer than an SMS", None
    pos = 1
    concat = None
    while pos < len(raw):
        if pos + 2 > len(raw):
            return "udh information element at octet %d is truncated" % pos, None
        iei, iedl = raw[pos], raw[pos + 1]
        data = raw[pos + 2:pos + 2 + iedl]
        if len(data) != iedl:
            return "udh information element 0x%02X is truncated" % iei, None
        if iei in (0x00, 0x08):
            want = 3 if iei == 0x00 else 4
            if iedl != want:
                return "udh concatenation element 0x%02X must have length %d, not %d" % (iei, want, iedl), None
            if concat is not None:
                return "udh has more than one concatenation element", None
            if iei == 0x00:
                ref, total, seq, bits = data[0], data[1], data[2], 8
            else:
                ref, total, seq, bits = (data[0] << 8) | data[1], data[2], data[3], 16
            if total == 0:
                return "udh concatenation total number of parts must not be 0", None
            if seq == 0 or seq > total:
                return "udh concatenation sequence number %d is out of range 1..%d" % (seq, total), None
            concat = {"ref": ref, "ref_bits": bits, "total": total, "seq": seq}
        pos += 2 + iedl
    return None, concat


def payload_size(text, alphabet):
    """Size of the text in the unit of its alphabet, or None when the GSM alphabet cannot hold it."""
    if alphabet == ALPHABET_GSM7:
        return gsm7_septets(text)
    if alphabet == ALPHABET_UCS2:
        return utf16_units(text)
    return octets_8bit(text)


UNIT_NAMES = {ALPHABET_GSM7: "GSM 7-bit septets", ALPHABET_UCS2: "UCS-2 (UTF-16) units", ALPHABET_8BIT: "octets"}
