# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers: Java-like id parsing and the service's date format (common.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from emnify_sim.common import fmt_date, parse_long
from emnify_sim.validate import parse_iso8601


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
