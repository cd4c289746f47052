# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _lookup.EndpointFinder: selectors, exact matching and request counts.

Boundary: a fake client object with the three EmnifyClient calls the finder uses
(iter_endpoints, iter_sims, get_endpoint). Each call is logged, so the tests can count
what would be requests. Its ``q`` filter matches names as substrings, the less
convenient of the two possible service behaviours.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError
from ansible_collections.emnify.iot.plugins.module_utils._lookup import EndpointFinder

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'emnify-recordings.json')


def recorded_endpoints():
    with open(FIXTURES) as handle:
        for recording in json.load(handle)['recordings']:
            if recording['recording'] == 'get_all_devices.yaml':
                return [item['body'] for item in recording['interactions'] if item['status'] == 200 and item['method'] == 'GET'][0]
    raise AssertionError('recording missing')


def synthetic(number, name, tags='', status=0, sim_status=1):
    return {'id': number, 'name': name, 'tags': tags, 'status': {'id': status, 'description': 'x'},
            'sim': {'id': number * 10, 'iccid': '89883030000000%05d' % number, 'imsi': '2950500000%05d' % number,
                    'msisdn': '4236600000%05d' % number, 'status': {'id': sim_status, 'description': 'x'}}}


def luhn_digit(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return str((10 - total % 10) % 10)


def with_luhn(sim):
    """What the service filters ``iccid_with_luhn`` on: the field when the SIM carries it, else ICCID + check digit."""
    iccid = str(sim.get('iccid') or '')
    return str(sim.get('iccid_with_luhn') or (iccid + luhn_digit(iccid) if iccid else ''))


class FakeClient:
    def __init__(self, endpoints):
        self.endpoints = endpoints
        self.calls = []

    @staticmethod
    def _matches(item, query):
        for criterion in query.split(','):
            field, _sep, value = criterion.partition(':')
            if field == 'name' and value not in (item.get('name') or ''):
                return False
            if field == 'iccid' and value not in str((item.get('sim') or {}).get('iccid') or ''):
                return False
            if field == 'iccid_with_luhn' and value not in with_luhn(item.get('sim') or {}):
                return False
            if field == 'status' and str(item['status']['id']) != value:
                return False
            if field == 'tags' and value not in [tag.strip() for tag in (item.get('tags') or '').split(',')]:
                return False
        return True

    def iter_endpoints(self, query=None, sort=None, per_page=1000):
        self.calls.append(('endpoints', query))
        return iter([dict(item) for item in self.endpoints if query is None or self._matches(item, query)])

    def iter_sims(self, query=None, per_page=1000):
        self.calls.append(('sims', query))
        sims = []
        for item in self.endpoints:
            sim = dict(item.get('sim') or {})
            if not sim:
                continue
            sim['endpoint'] = {'id': str(item['id']), 'name': item['name']}
            if query:
                field, _sep, value = query.partition(':')
                if value not in str(sim.get(field)):
                    continue
            sims.append(sim)
        return iter(sims)

    def get_endpoint(self, endpoint_id):
        self.calls.append(('endpoint', endpoint_id))
        for item in self.endpoints:
            if item['id'] == endpoint_id:
                return dict(item)
        raise EmnifyApiError(404, 'GET', '/api/v1/endpoint/%d' % endpoint_id, error_code=1201, error_token='NotFound')


@pytest.fixture
def fleet():
    return recorded_endpoints() + [synthetic(1, 'pump'), synthetic(2, 'pump-2', tags='a,b'), synthetic(3, 'valve', tags='a', status=1),
                                   synthetic(4, 'meter', sim_status=2)]


def test_single_name_is_one_filtered_request_and_exact(fleet):
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(names=['pump'])
    assert [item['id'] for item in endpoints] == [1]
    assert client.calls == [('endpoints', 'name:pump')]
    assert lookups == [dict(field='name', value='pump', endpoint_ids=[1])]


def test_recorded_name_with_space(fleet):
    client = FakeClient(fleet)
    endpoints, _lookups = EndpointFinder(client).find(names=['no sms 1'])
    assert [item['id'] for item in endpoints] == [11379818]
    assert endpoints[0]['sms_ready'] is False and endpoints[0]['sms_not_ready_reasons'][-1] == 'no SIM assigned'


def test_single_id_is_one_detail_request(fleet):
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(ids=[11379224, ])
    assert client.calls == [('endpoint', 11379224)]
    assert endpoints[0]['name'] == 'Luboi' and endpoints[0]['sms_ready'] is True
    missing, lookups = EndpointFinder(FakeClient(fleet)).find(ids=[99])
    assert missing == [] and lookups == [dict(field='id', value=99, endpoint_ids=[])]


def test_other_errors_from_detail_request_propagate():
    class Broken(FakeClient):
        def get_endpoint(self, endpoint_id):
            raise EmnifyApiError(403, 'GET', '/api/v1/endpoint/1', error_code=1104, error_token='Forbidden')
    with pytest.raises(EmnifyApiError):
        EndpointFinder(Broken([])).find(ids=[1])


def test_several_selectors_walk_the_list_once(fleet):
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(ids=[3, 77], names=['pump', 'Luboi'], iccids=['8988303000000000002'])
    assert client.calls == [('endpoints', None)]
    assert [item['id'] for item in endpoints] == [1, 2, 3, 11379224]
    assert [entry['endpoint_ids'] for entry in lookups] == [[3], [], [1], [11379224], [2]]


def test_iccid_with_or_without_luhn_digit(fleet):
    client = FakeClient(fleet)
    endpoints, _lookups = EndpointFinder(client).find(iccids=['89883030887512211118'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert client.calls == [('endpoints', 'iccid_with_luhn:89883030887512211118')]
    client = FakeClient(fleet)
    endpoints, _lookups = EndpointFinder(client).find(iccids=['8988303088751221111'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert client.calls == [('endpoints', 'iccid:8988303088751221111')]


def test_iccid_with_a_wrong_luhn_digit_matches_nothing(fleet):
    endpoints, lookups = EndpointFinder(FakeClient(fleet)).find(iccids=['89883030887512211117'])
    assert endpoints == [] and lookups[0]['endpoint_ids'] == []


def test_iccid_with_luhn_is_compared_with_the_field_the_answer_carries(fleet):
    # Some recorded SIMs carry iccid_with_luhn next to iccid; the 20-digit form is compared with that field.
    carrier = synthetic(5, 'tank')
    carrier['sim']['iccid_with_luhn'] = '89883035598692740131'
    fleet = fleet + [carrier]
    endpoints, _lookups = EndpointFinder(FakeClient(fleet)).find(iccids=['89883035598692740131'])
    assert [item['id'] for item in endpoints] == [5]
    # Two selectors walk the whole list and compare on the client, with the same result.
    endpoints, _lookups = EndpointFinder(FakeClient(fleet)).find(iccids=['89883035598692740131'], names=['pump'])
    assert [item['id'] for item in endpoints] == [1, 5]
    endpoints, _lookups = EndpointFinder(FakeClient(fleet)).find(iccids=[carrier['sim']['iccid'] + '9'], names=['pump'])
    assert [item['id'] for item in endpoints] == [1]


def test_imsi_and_msisdn_go_through_sims(fleet):
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(imsis=['295050522429023'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert client.calls == [('sims', 'imsi:295050522429023'), ('endpoint', 11379224)]
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(msisdns=['423660000000001', '423660000000002', '000'])
    assert client.calls[0] == ('sims', None)
    assert [entry['endpoint_ids'] for entry in lookups] == [[1], [2], []]
    assert [item['id'] for item in endpoints] == [1, 2]


def test_tags_and_status_filters(fleet):
    client = FakeClient(fleet)
    endpoints, lookups = EndpointFinder(client).find(tags=['a'], status='enabled')
    assert [item['id'] for item in endpoints] == [2]
    assert client.calls == [('endpoints', 'status:0,tags:a')]
    assert lookups == []
    endpoints, _lookups = EndpointFinder(FakeClient(fleet)).find(tags=['a', 'b'])
    assert [item['id'] for item in endpoints] == [2]
    endpoints, _lookups = EndpointFinder(FakeClient(fleet)).find(names=['pump', 'valve'], status='disabled')
    assert [item['id'] for item in endpoints] == [3]


def test_query_values_cannot_add_criteria(fleet):
    client = FakeClient(fleet)
    EndpointFinder(client).find(names=['pump,status:1'])
    assert client.calls == [('endpoints', 'name:pump status:1')]
