# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _time: the API's date formats, HTTP dates, and the date-time and duration options.

Pure functions, no boundary to mock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.emnify.iot.plugins.module_utils._time import (
    TimeInputError,
    api_date,
    iso_utc,
    parse_date,
    parse_duration,
    parse_http_date,
    parse_instant,
    parse_moment,
)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 10, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize('text,expected', [
    ('2022-08-04T01:45:24.000+0000', '2022-08-04T01:45:24Z'),
    ('2022-08-04T03:45:24.250+02:00', '2022-08-04T01:45:24.250Z'),
    ('2022-08-04 01:45:24', '2022-08-04T01:45:24Z'),
    ('2022-08-04T01:45Z', '2022-08-04T01:45:00Z'),
    ('2022-08-03T20:45:24-0500', '2022-08-04T01:45:24Z'),
    ('10/5/2019 1:56:59 PM', '2019-10-05T13:56:59Z'),
    ('10/5/2019 12:05:00 AM', '2019-10-05T00:05:00Z'),
    ('12/31/2019 12:00 pm', '2019-12-31T12:00:00Z'),
])
def test_iso_utc_formats(text, expected):
    assert iso_utc(text) == expected


@pytest.mark.parametrize('text', ['0001-01-01T00:00:00+0100', '9999-12-31T23:59:00-0100', '2022-13-01T00:00:00Z',
                                  '13/40/2020 1:00 PM', 'yesterday', ''])
def test_parse_date_out_of_range_or_unknown_is_none(text):
    assert parse_date(text) is None


def test_iso_utc_keeps_unparsable_values():
    assert iso_utc('not a date') == 'not a date'
    assert iso_utc('') is None
    assert iso_utc(None) is None
    assert iso_utc(17) == 17
    moment = datetime.datetime(2022, 1, 2, 3, 4, 5)
    assert iso_utc(moment) == '2022-01-02T03:04:05Z'


DATES = st.builds(lambda y, mo, d, h, mi, zone: '%04d-%02d-%02dT%02d:%02d:00%s' % (y, mo, d, h, mi, zone),
                  st.sampled_from([1, 2, 1970, 2022, 9998, 9999]), st.integers(1, 12), st.integers(1, 31),
                  st.integers(0, 23), st.integers(0, 59), st.sampled_from(['', 'Z', '+0000', '+1400', '-1200', '+01:30', '-99:99']))


@settings(max_examples=300, deadline=None, database=None)
@given(DATES)
def test_fuzz_dates_parse_or_none(text):
    moment = parse_date(text)
    assert moment is None or moment.tzinfo is not None
    result = iso_utc(text)
    assert result == text or result.endswith('Z')


def test_api_date_is_the_apis_own_format():
    moment = datetime.datetime(2026, 12, 1, 11, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert api_date(moment) == '2026-12-01T10:00:00.000+0000'
    assert parse_date(api_date(moment)) == moment


@pytest.mark.parametrize('text,expected', [
    ('Wed, 21 Oct 2015 07:28:00 GMT', datetime.datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ('Wed, 21 Oct 2015 09:28:00 +0200', datetime.datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ('Mon, 32 Foo 2020 99:99:99 GMT', None),
    ('soon', None),
    ('', None),
])
def test_parse_http_date(text, expected):
    assert parse_http_date(text) == expected


@pytest.mark.parametrize('text,seconds', [(90, 90), ('90', 90), ('90s', 90), ('30m', 1800), ('2h', 7200), ('1d', 86400),
                                          ('1w', 604800), ('1h30m', 5400), ('1H 30M', 5400)])
def test_parse_duration(text, seconds):
    assert parse_duration(text, 'validity') == seconds


@pytest.mark.parametrize('text', ['', '0', '-5', 'soon', '5x', True, '1h junk'])
def test_parse_duration_rejects_naming_the_option(text):
    with pytest.raises(TimeInputError, match='^validity: '):
        parse_duration(text, 'validity')


def test_parse_moment():
    assert parse_moment('2026-01-01T00:00:00Z', 'since', NOW) == datetime.datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_moment('7d', 'since', NOW) == NOW - datetime.timedelta(days=7)
    with pytest.raises(TimeInputError, match="^since: 'later' is neither an ISO 8601 date-time"):
        parse_moment('later', 'since', NOW)


def test_parse_instant():
    assert parse_instant('2026-12-01T10:00:00Z', 'expiry_date') == datetime.datetime(2026, 12, 1, 10, tzinfo=UTC)
    with pytest.raises(TimeInputError, match="^expiry_date: '1d' is not an ISO 8601 date-time"):
        parse_instant('1d', 'expiry_date')
