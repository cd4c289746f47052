# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _api_ids: the ids agree with what emnify's production API sent (the recordings next to this file).

Pure data, no boundary to mock.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from ansible_collections.emnify.iot.plugins.module_utils._api_ids import (
    ADDRESS_TYPES,
    SMS_STATUS,
    sms_status_description,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')


def _recorded_sms():
    with open(FIXTURES) as handle:
        recordings = json.load(handle)['recordings']
    for recording in recordings:
        for interaction in recording['interactions']:
            body = interaction.get('body')
            for item in body if isinstance(body, list) else [body]:
                if isinstance(item, dict) and 'sms_type' in item:
                    yield item


def test_recorded_status_and_sender_type_descriptions_match_the_ids():
    statuses = set()
    sender_types = set()
    for item in _recorded_sms():
        statuses.add((item['status']['id'], item['status']['description']))
        if isinstance(item.get('source_address_type'), dict):
            sender_types.add((item['source_address_type']['id'], item['source_address_type']['description']))
    assert statuses and sender_types
    for number, description in statuses:
        assert sms_status_description(number) == description
    for number, description in sender_types:
        assert ADDRESS_TYPES[number] == description.lower()


def test_descriptions_of_every_status_and_unknown_ids():
    assert [sms_status_description(number) for number in sorted(SMS_STATUS)] == [
        'DELIVERY ATTEMPT PENDING', 'IN PROGRESS', 'BUFFERED', 'DELIVERED', 'FAILED', 'EXPIRED', 'CANCELED']
    assert sms_status_description(99) is None
