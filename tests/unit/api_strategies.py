# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies for fuzzing what reads emnify API answers: any JSON anywhere, in any field.

Objects, lists, strings, numbers, null and nesting in every field of an SMS or an endpoint, besides the values
the API really sends.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                        max_leaves=10)
UDHS = st.sampled_from(['', '050003CC0201', '050003CC0202', '050003CC0203', '060804ABCD0201', '060804ABCD0202', '0500030000',
                        '050003CC0001', 'ZZ', '05', '0B05040B8423F0000003A30201'])
DATES = st.sampled_from(['2022-08-04T01:45:24.000+0000', '10/5/2019 1:56:59 PM', 'garbage', '', '9999-12-31T23:59:59-1400',
                         '0001-01-01T00:00:00+1400'])
STATUS = st.one_of(ANY_JSON, st.fixed_dictionaries({'id': st.integers(0, 9) | st.text(max_size=3), 'description': ANY_JSON}))
SMS_FIELDS = {
    'id': st.integers(1, 50) | ANY_JSON,
    'udh': UDHS | ANY_JSON,
    'payload': st.text(max_size=10) | ANY_JSON,
    'dcs': st.sampled_from(['0', '8', '4', 0, 8, '300', 'x']) | ANY_JSON,
    'status': STATUS,
    'sms_type': st.sampled_from([{'id': 1, 'description': 'MT'}, {'id': 2, 'description': 'MO'}, {'id': '2'}]) | ANY_JSON,
    'source_address': st.sampled_from(['', '12345', 'ACME']) | ANY_JSON,
    'source_address_type': ANY_JSON,
    'submit_date': DATES | ANY_JSON,
    'final_date': DATES | ANY_JSON,
    'endpoint': ANY_JSON,
    'endpoint_id': ANY_JSON,
}
SMS_ITEMS = st.fixed_dictionaries({}, optional=SMS_FIELDS)
ENDPOINT_ITEMS = st.fixed_dictionaries({}, optional={
    'id': ANY_JSON, 'name': ANY_JSON, 'tags': ANY_JSON, 'status': STATUS, 'created': DATES | ANY_JSON,
    'sim': ANY_JSON | st.fixed_dictionaries({}, optional={'id': ANY_JSON, 'status': STATUS, 'iccid': ANY_JSON})})
