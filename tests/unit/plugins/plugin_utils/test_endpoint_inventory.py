# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoints as inventory hosts: host variables, host names and filters.

Boundary: the endpoint list items as the production API sent them (the recordings), or items of the same shape.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

from ansible_collections.emnify.iot.plugins.plugin_utils._endpoint_inventory import host_names, host_vars, matches

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'module_utils', 'fixtures', 'emnify-recordings.json')


def recorded_list(recording, size):
    """The body of a recorded ``GET /api/v1/endpoint`` answer with ``size`` items."""
    with open(FIXTURES) as handle:
        for item in json.load(handle)['recordings']:
            if item['recording'] != recording:
                continue
            for exchange in item['interactions']:
                if (exchange['method'], exchange['path'], exchange['status']) == ('GET', '/api/v1/endpoint', 200) \
                        and len(exchange['body']) == size:
                    return exchange['body']
    raise AssertionError('recording %s with %d endpoints missing' % (recording, size))


def record(endpoint_id, name):
    return {'emnify_endpoint_id': endpoint_id, 'emnify_name': name}


def test_the_sim_numbers_come_from_the_items_sim_object():
    items = recorded_list('create_device.yaml', 4)
    luboi = host_vars(items[0])
    assert luboi == {
        'emnify_endpoint_id': 11379224,
        'emnify_name': 'Luboi',
        'emnify_status': 'enabled',
        'emnify_tags': ['demo'],
        'emnify_iccid': items[0]['sim']['iccid'],
        'emnify_iccid_with_luhn': None,
        'emnify_imsi': items[0]['sim']['imsi'],
        'emnify_msisdn': items[0]['sim']['msisdn'],
        'emnify_sim_id': 4397515,
        'emnify_sim_status': 'activated',
        'emnify_sms_ready': True,
        'emnify_sms_not_ready_reasons': [],
        'emnify_service_profile': {'id': 438035, 'name': 'Example service profile'},
        'emnify_tariff_profile': {'id': 424560, 'name': 'All Covered'},
        'emnify_ip_address': items[0]['ip_address'],
        'emnify_imei': None,
        'emnify_created': '2021-11-18T08:25:53Z',
        'emnify_last_updated': '2021-12-29T08:51:00Z',
    }


def test_an_endpoint_without_a_sim_has_no_sim_numbers_and_is_not_sms_ready():
    disabled = host_vars(recorded_list('create_device.yaml', 4)[1])
    assert disabled['emnify_status'] == 'disabled'
    assert [disabled[key] for key in ('emnify_iccid', 'emnify_imsi', 'emnify_msisdn', 'emnify_sim_id', 'emnify_sim_status')] == [None] * 5
    assert disabled['emnify_sms_ready'] is False
    assert disabled['emnify_sms_not_ready_reasons'] == ['endpoint is disabled', 'no SIM assigned']


def test_tags_are_a_list_of_names_from_a_comma_separated_string_empty_or_null():
    items = recorded_list('test_update_device_error_handling_service_profile.yaml', 3)
    assert host_vars(items[0])['emnify_tags'] == ['Customer A', 'Project B', 'Device C', 'Version 0.1']
    assert host_vars(recorded_list('create_device.yaml', 4)[1])['emnify_tags'] == []
    assert host_vars(recorded_list('create_device.yaml', 4)[3])['emnify_tags'] == []


def test_ids_sent_as_strings_become_integers():
    item = dict(recorded_list('create_device.yaml', 4)[0], id='11379224')
    item['sim'] = dict(item['sim'], id='4397515', iccid_with_luhn='89883030887512211110')
    result = host_vars(item)
    assert (result['emnify_endpoint_id'], result['emnify_sim_id']) == (11379224, 4397515)
    assert result['emnify_iccid_with_luhn'] == '89883030887512211110'


def test_hosts_are_named_by_endpoint_name():
    assert host_names([record(1, 'tracker-1'), record(2, ' tracker-2 ')]) == ['tracker-1', 'tracker-2']


def test_unnamed_endpoints_are_named_by_id():
    assert host_names([record(5, None), record(6, ''), record(7, '   ')]) == ['endpoint-5', 'endpoint-6', 'endpoint-7']


def test_every_endpoint_sharing_a_name_gets_its_id_appended():
    names = host_names([record(1, 'meter'), record(2, 'other'), record(3, 'meter')])
    assert names == ['meter-1', 'other', 'meter-3']


def test_a_fallback_that_is_another_endpoints_name_stays_unique():
    names = host_names([record(7, 'endpoint-7'), record(8, None), record(9, None), record(7000, 'x')])
    assert names[0] == 'endpoint-7'
    records = [record(7, None), record(70, 'endpoint-7'), record(3, 'a'), record(4, 'a'), record(5, 'a-3')]
    names = host_names(records)
    assert len(set(names)) == len(names)
    assert names == ['endpoint-7-7', 'endpoint-7', 'a-3-3', 'a-4', 'a-3']


def test_filters():
    items = [host_vars(item) for item in recorded_list('create_device.yaml', 4)]
    assert [item['emnify_name'] for item in items if matches(item)] == ['Luboi', 'no sms 1', 'sms experiment 2', 'syobg5zuaujrrc246gva']
    assert [item['emnify_name'] for item in items if matches(item, statuses=['disabled'])] == ['no sms 1', 'sms experiment 2']
    assert [item['emnify_name'] for item in items if matches(item, tags=['demo'])] == ['Luboi']
    assert [item['emnify_name'] for item in items if matches(item, tags=['demo', 'other'])] == []
    assert [item['emnify_name'] for item in items if matches(item, name_pattern='*sms*')] == ['no sms 1', 'sms experiment 2']
    assert [item['emnify_name'] for item in items if matches(item, name_pattern='luboi')] == []
    assert [item['emnify_name'] for item in items if matches(item, sms_ready=True)] == ['Luboi', 'syobg5zuaujrrc246gva']
    assert [item['emnify_name'] for item in items if matches(item, sms_ready=False)] == ['no sms 1', 'sms experiment 2']
    assert [item['emnify_name'] for item in items if matches(item, sim_statuses=['activated'], statuses=['enabled'])] == \
        ['Luboi', 'syobg5zuaujrrc246gva']
