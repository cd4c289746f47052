# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS encoding sizes, DCS and UDH parsing (gsm.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib.util
import os

import pytest
from hypothesis import given, strategies as st

from conftest import COLLECTION
from emnify_sim import gsm


@pytest.mark.parametrize("text, alphabet, size", [
    (u"Hello \u20ac", gsm.ALPHABET_GSM7, 8),
    ("a" * 160, gsm.ALPHABET_GSM7, 160),
    (u"\u20ac" * 80, gsm.ALPHABET_GSM7, 160),
    (u"\u00c7a va", gsm.ALPHABET_GSM7, 5),
    (u"\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e", gsm.ALPHABET_GSM7, 10),
    ("a\r\nb", gsm.ALPHABET_GSM7, 4),
    (u"\u00e7a va", gsm.ALPHABET_GSM7, None),
    (u"\u00e7a va", gsm.ALPHABET_UCS2, 5),
    (u"\u0436" * 70, gsm.ALPHABET_UCS2, 70),
    (u"\U0001F600" * 35, gsm.ALPHABET_UCS2, 70),
    (u"`", gsm.ALPHABET_GSM7, None),
    (u"\t", gsm.ALPHABET_GSM7, None),
    (u"\u0391", gsm.ALPHABET_GSM7, None),
])
def test_payload_sizes_follow_the_encoding_vectors(text, alphabet, size):
    assert gsm.payload_size(text, alphabet) == size


@pytest.mark.parametrize("alphabet, udh, limit", [
    (gsm.ALPHABET_GSM7, "", 160), (gsm.ALPHABET_GSM7, "050003CC0201", 153), (gsm.ALPHABET_GSM7, "060804F42E0201", 152),
    (gsm.ALPHABET_8BIT, "", 140), (gsm.ALPHABET_8BIT, "050003CC0201", 134), (gsm.ALPHABET_8BIT, "060804F42E0201", 133),
    (gsm.ALPHABET_UCS2, "", 70), (gsm.ALPHABET_UCS2, "050003CC0201", 67), (gsm.ALPHABET_UCS2, "060804F42E0201", 66),
])
def test_capacity_per_part(alphabet, udh, limit):
    assert gsm.capacity(alphabet, gsm.udh_octets(udh)) == limit


@pytest.mark.parametrize("dcs, alphabet", [
    (0, gsm.ALPHABET_GSM7), (4, gsm.ALPHABET_8BIT), (8, gsm.ALPHABET_UCS2), (0x10, gsm.ALPHABET_GSM7), (0x18, gsm.ALPHABET_UCS2),
    (0x14, gsm.ALPHABET_8BIT), (0xF0, gsm.ALPHABET_GSM7), (0xF4, gsm.ALPHABET_8BIT), (0xE0, gsm.ALPHABET_UCS2), (0x48, gsm.ALPHABET_UCS2),
])
def test_dcs_alphabet_reads_the_coding_group(dcs, alphabet):
    assert gsm.dcs_alphabet(dcs) == alphabet


@pytest.mark.parametrize("udh, concat", [
    ("", None),
    ("050003CC0201", {"ref": 0xCC, "ref_bits": 8, "total": 2, "seq": 1}),
    ("060804F42E0302", {"ref": 0xF42E, "ref_bits": 16, "total": 3, "seq": 2}),
    ("0B0504158A00000003AA0201", {"ref": 0xAA, "ref_bits": 8, "total": 2, "seq": 1}),
    ("06050415810000", None),
])
def test_parse_udh_reads_concatenation(udh, concat):
    assert gsm.parse_udh(udh) == (None, concat)


@pytest.mark.parametrize("udh", ["0", "GG", "050003CC02", "0600030C0201", "050003CC0000", "050003CC0203", "00", "050004CC0201",
                                 "0A0003CC02010003CC0202"])
def test_parse_udh_refuses_broken_headers(udh):
    problem, concat = gsm.parse_udh(udh)
    assert problem and concat is None


@given(st.integers(0, 255), st.integers(1, 255), st.data())
def test_parse_udh_round_trip(ref, total, data):
    seq = data.draw(st.integers(1, total))
    assert gsm.parse_udh("050003%02X%02X%02X" % (ref, total, seq)) == (None, {"ref": ref, "ref_bits": 8, "total": total, "seq": seq})


@given(st.text(alphabet=st.sampled_from(sorted(gsm.GSM_BASIC_SET | gsm.GSM_EXTENSION_SET)), max_size=200))
def test_gsm7_septets_count_two_for_the_extension_table(text):
    expected = sum(2 if char in gsm.GSM_EXTENSION_SET else 1 for char in text)
    assert gsm.gsm7_septets(text) == expected
    assert gsm.first_non_gsm7(text) is None


def load_codec():
    """The collection's SMS codec (plugins/module_utils/_sms_codec.py, standard library only), loaded from its file."""
    path = os.path.join(COLLECTION, "plugins", "module_utils", "_sms_codec.py")
    spec = importlib.util.spec_from_file_location("emnify_iot_sms_codec", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gsm_tables_agree_with_the_codec_of_the_modules():
    codec = load_codec()
    table, escape = codec._GSM7_BASIC_TABLE, codec._GSM7_ESCAPE  # pylint: disable=protected-access
    basic_in_septet_order = "".join(char for code, char in enumerate(table) if code != escape)
    assert gsm.GSM_BASIC == basic_in_septet_order
    assert gsm.GSM_BASIC_SET == codec.GSM7_BASIC
    assert gsm.GSM_EXTENSION_SET == codec.GSM7_EXTENSION
    assert len(gsm.GSM_BASIC_SET) == 127 and len(gsm.GSM_EXTENSION_SET) == 10
    assert not gsm.GSM_BASIC_SET & gsm.GSM_EXTENSION_SET
