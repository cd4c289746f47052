# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the simulator's building blocks (no server): GSM sizes, UDH, limits, tokens, SMS lifecycle, routing."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, strategies as st

import _sim_gsm as gsm
import _sim_jwt as jwt
from _sim_api import parse_criteria, parse_sort, route_of, ENDPOINT_FILTERS, ENDPOINT_SORTS
from _sim_common import fmt_date, parse_long
from _sim_fleet import build_fleet, luhn_digit
from _sim_ratelimit import RateLimiter, RollingWindow, TokenBucket, LIMIT_OVERALL, LIMIT_AUTH
from _sim_sms import Sms, MT, BUFFERED, DELIVERED, EXPIRED, IN_PROGRESS, PENDING, retries_until
from _sim_state import reply_payload
from _sim_validate import parse_iso8601


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


def test_gsm_tables_have_the_documented_sizes():
    assert len(gsm.GSM_BASIC_SET) == 127 and len(gsm.GSM_EXTENSION_SET) == 10
    assert not gsm.GSM_BASIC_SET & gsm.GSM_EXTENSION_SET


def test_rolling_window_allows_the_documented_amount():
    window = RollingWindow(2000, 300.0)
    for number in range(2000):
        assert window.wait("ip", number * 0.01) == 0.0
        window.take("ip", number * 0.01)
    assert window.wait("ip", 20.0) > 0
    assert window.wait("other", 20.0) == 0.0
    assert window.wait("ip", 300.0) == 0.0  # the first request left the window


def test_token_bucket_burst_and_rate():
    bucket = TokenBucket(10.0, 5)
    for _number in range(5):
        assert bucket.wait("ip", 0.0) == 0.0
        bucket.take("ip", 0.0)
    assert bucket.wait("ip", 0.0) == pytest.approx(0.1)
    assert bucket.wait("ip", 0.1) == 0.0


def test_rate_limiter_scale_and_refusals_consume_nothing():
    limiter = RateLimiter(scale=0.01)
    for _number in range(100):
        assert limiter.admit("ip", (LIMIT_OVERALL, LIMIT_AUTH), 0.0) == (True, 0.0)
    allowed, wait = limiter.admit("ip", (LIMIT_OVERALL, LIMIT_AUTH), 1.0)
    assert not allowed and wait == pytest.approx(2.0)
    assert len(limiter.limits[LIMIT_OVERALL].hits["ip"]) == 100
    assert limiter.admit("ip", (LIMIT_OVERALL, LIMIT_AUTH), 3.0)[0]
    assert RateLimiter(enabled=False).admit("ip", (LIMIT_AUTH,), 0.0) == (True, 0.0)


def test_jwt_sign_and_check():
    secret = b"k" * 32
    token = jwt.sign(secret, {"exp": 10, "jti": 1})
    assert jwt.check(secret, token) == (jwt.TOKEN_OK, {"exp": 10, "jti": 1})
    assert jwt.check(b"other", token)[0] == jwt.TOKEN_INVALID
    assert jwt.check(secret, "None")[0] == jwt.TOKEN_MALFORMED
    assert jwt.check(secret, "a.b")[0] == jwt.TOKEN_MALFORMED
    assert jwt.check(secret, "a.b.\u00e9")[0] == jwt.TOKEN_INVALID
    assert jwt.check(secret, "!!.??.**")[0] == jwt.TOKEN_INVALID


@pytest.mark.parametrize("text, number", [("1", 1), ("-1", -1), ("+7", 7), ("None", None), ("", None), ("1.5", None), ("9" * 20, None),
                                          (u"\u0661", None), ("-", None)])
def test_parse_long_is_like_java(text, number):
    assert parse_long(text) == number


def test_dates_are_formatted_like_the_service():
    assert fmt_date(1659577524) == "2022-08-04T01:45:24.000+0000"
    assert fmt_date(None) is None
    assert parse_iso8601("2022-08-04T01:45:24.000+0000") == 1659577524
    assert parse_iso8601("2022-08-04T03:45:24+02:00") == 1659577524
    assert parse_iso8601("2022-08-04 01:45:24Z") == 1659577524
    assert parse_iso8601("2022-08-04T01:45") == 1659577500
    assert parse_iso8601("04.08.2022") is None


@pytest.mark.parametrize("text, reply", [("APN,iot.example", "OK APN"), ("STATUS", "OK STATUS"), ("A B", "OK A"), ("X:1", "OK X"),
                                         (",x", "OK")])
def test_reply_payload(text, reply):
    assert reply_payload(text) == reply


def test_query_criteria_keep_commas_inside_values():
    assert parse_criteria("tags:fleet,meter,status:0", ENDPOINT_FILTERS) == [("tags", "fleet,meter"), ("status", "0")]
    assert parse_criteria("name:a:b", ENDPOINT_FILTERS) == [("name", "a:b")]
    with pytest.raises(ValueError):
        parse_criteria("colour:red", ENDPOINT_FILTERS)
    with pytest.raises(ValueError):
        parse_criteria("name", ENDPOINT_FILTERS)
    assert parse_sort("-id,name", ENDPOINT_SORTS) == [("id", True), ("name", False)]
    with pytest.raises(ValueError):
        parse_sort("colour", ENDPOINT_SORTS)


@pytest.mark.parametrize("method, path, route", [
    ("POST", "/api/v1/authenticate", "POST /api/v1/authenticate"),
    ("GET", "/api/v1/endpoint", "GET /api/v1/endpoint"),
    ("GET", "/api/v1/endpoint/5", "GET /api/v1/endpoint/{id}"),
    ("GET", "/api/v1/endpoint/None", "GET /api/v1/endpoint/{id}"),
    ("POST", "/api/v1/endpoint/5/sms", "POST /api/v1/endpoint/{id}/sms"),
    ("DELETE", "/api/v1/endpoint/5/sms/9", "DELETE /api/v1/endpoint/{id}/sms/{sms_id}"),
    ("GET", "/api/v1/sim", "GET /api/v1/sim"),
    ("PUT", "/api/v1/endpoint/5/operator_blacklist/553", "PUT /api/v1/endpoint/{id}/operator_blacklist/{id}"),
    ("GET", "/", "GET /"),
])
def test_routes(method, path, route):
    assert route_of(method, path) == route


def test_fleet_is_deterministic_and_luhn_is_right():
    first = [endpoint.view() for endpoint in build_fleet(40, 3)]
    assert first == [endpoint.view() for endpoint in build_fleet(40, 3)]
    assert first != [endpoint.view() for endpoint in build_fleet(40, 4)]
    assert luhn_digit("7992739871") == "3"
    for view in first:
        if "sim" in view:
            assert view["sim"]["iccid_with_luhn"][:-1] == view["sim"]["iccid"]


class _Endpoint:
    id = 11380001
    sim = {"id": 1, "iccid": "8988303000000000001", "msisdn": "4236000000001"}


def test_sms_lifecycle_states():
    sms = Sms(1, _Endpoint(), MT, 1000.0, 1000.0 + 86400, {"payload": "x"})
    sms.start_attempt(1000.0, 2.0)
    assert sms.status_at(1000.5) == PENDING
    assert sms.status_at(1001.5) == IN_PROGRESS
    assert sms.status_at(1002.0) == DELIVERED
    buffered = Sms(2, _Endpoint(), MT, 1000.0, 1000.0 + 7200, {"payload": "x"})
    buffered.buffer(1000.0)
    assert buffered.status_at(1030.0) == BUFFERED
    assert buffered.state_at(1000.0 + 400)["retry_count"] == 2
    state = buffered.state_at(1000.0 + 7200)
    assert state["status"] == EXPIRED and state["final"] == 1000.0 + 7200 and state["gsm_map_error"] == 27
    assert retries_until(0, 59) == 0 and retries_until(0, 60) == 1 and retries_until(0, 6660 + 7200) == 7
