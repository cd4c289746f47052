# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _lookup.EndpointFinder: selectors, exact matching and request counts.

Boundary: the unit tests' fake API (tests/unit/fake_api.py) under a real client, answering the endpoint list,
the endpoint details and the SIM list of an account; the requests it receives are counted. Its ``q`` filter
matches names as substrings, the less convenient of the two possible service behaviours.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError
from ansible_collections.emnify.iot.plugins.module_utils._lookup import EndpointFinder
from ansible_collections.emnify.iot.tests.unit.fake_api import JSON_HEADERS, FakeApi, make_client, ok

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


class Fleet:
    """The endpoint and SIM lists of an emnify account, answered through the unit tests' fake API."""

    def __init__(self, endpoints):
        self.endpoints = endpoints

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

    def _sims(self, query):
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
        return sims

    def __call__(self, sent):
        assert sent.method == 'GET', sent.method
        query = sent.query.get('q')
        if sent.path == '/api/v1/endpoint':
            return ok([dict(item) for item in self.endpoints if query is None or self._matches(item, query)], PAGE)
        if sent.path == '/api/v1/sim':
            return ok(self._sims(query), PAGE)
        endpoint_id = int(sent.path.rpartition('/')[2])
        for item in self.endpoints:
            if item['id'] == endpoint_id:
                return ok(dict(item))
        return 404, JSON_HEADERS, {'error_code': 1201, 'error_token': 'NotFound', 'message': 'Endpoint not found'}


PAGE = dict(JSON_HEADERS, **{'X-Total-Pages': '1'})


def finder_for(endpoints, route=None):
    """An EndpointFinder over a real client and the fake API; ``calls()`` lists the requests it made."""
    api = FakeApi(route=route or Fleet(endpoints))
    client, _clock = make_client(api)
    finder = EndpointFinder(client)

    def calls():
        found = []
        for sent in api.requests('GET'):
            if sent.path == '/api/v1/endpoint':
                found.append(('endpoints', sent.query.get('q')))
            elif sent.path == '/api/v1/sim':
                found.append(('sims', sent.query.get('q')))
            else:
                found.append(('endpoint', int(sent.path.rpartition('/')[2])))
        return found
    finder.calls = calls
    return finder


@pytest.fixture
def fleet():
    return recorded_endpoints() + [synthetic(1, 'pump'), synthetic(2, 'pump-2', tags='a,b'), synthetic(3, 'valve', tags='a', status=1),
                                   synthetic(4, 'meter', sim_status=2)]


def test_single_name_is_one_filtered_request_and_exact(fleet):
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(names=['pump'])
    assert [item['id'] for item in endpoints] == [1]
    assert finder.calls() == [('endpoints', 'name:pump')]
    assert lookups == [dict(field='name', value='pump', endpoint_ids=[1])]


def test_recorded_name_with_space(fleet):
    finder = finder_for(fleet)
    endpoints, _lookups = finder.find(names=['no sms 1'])
    assert [item['id'] for item in endpoints] == [11379818]
    assert endpoints[0]['sms_ready'] is False and endpoints[0]['sms_not_ready_reasons'][-1] == 'no SIM assigned'


def test_single_id_is_one_detail_request(fleet):
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(ids=[11379224, ])
    assert finder.calls() == [('endpoint', 11379224)]
    assert endpoints[0]['name'] == 'Luboi' and endpoints[0]['sms_ready'] is True
    missing, lookups = finder_for(fleet).find(ids=[99])
    assert missing == [] and lookups == [dict(field='id', value=99, endpoint_ids=[])]


def test_other_errors_from_detail_request_propagate():
    def forbidden(sent):
        return 403, JSON_HEADERS, {'error_code': 1104, 'error_token': 'Forbidden', 'message': 'Forbidden'}
    with pytest.raises(EmnifyApiError) as caught:
        finder_for([], route=forbidden).find(ids=[1])
    assert caught.value.status == 403


def test_several_selectors_walk_the_list_once(fleet):
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(ids=[3, 77], names=['pump', 'Luboi'], iccids=['8988303000000000002'])
    assert finder.calls() == [('endpoints', None)]
    assert [item['id'] for item in endpoints] == [1, 2, 3, 11379224]
    assert [entry['endpoint_ids'] for entry in lookups] == [[3], [], [1], [11379224], [2]]


def test_walk_matches_every_endpoint_of_a_shared_name_and_each_iccid_form():
    fleet = [synthetic(number, 'pump' if number in (4, 9) else 'meter-%d' % number) for number in range(1, 3001)]
    iccid = fleet[6]['sim']['iccid']
    fleet[6]['sim']['iccid_with_luhn'] = iccid + luhn_digit(iccid)
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(ids=[2999, 5000], names=['pump', 'meter-10', 'meter'],
                                     iccids=[iccid, iccid + luhn_digit(iccid), iccid + str((int(luhn_digit(iccid)) + 1) % 10)])
    assert finder.calls() == [('endpoints', None)]
    assert [entry['endpoint_ids'] for entry in lookups] == [[2999], [], [4, 9], [10], [], [7], [7], []]
    assert [item['id'] for item in endpoints] == [4, 7, 9, 10, 2999]


def test_iccid_with_or_without_luhn_digit(fleet):
    finder = finder_for(fleet)
    endpoints, _lookups = finder.find(iccids=['89883030887512211118'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert finder.calls() == [('endpoints', 'iccid_with_luhn:89883030887512211118')]
    finder = finder_for(fleet)
    endpoints, _lookups = finder.find(iccids=['8988303088751221111'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert finder.calls() == [('endpoints', 'iccid:8988303088751221111')]


def test_iccid_with_a_wrong_luhn_digit_matches_nothing(fleet):
    endpoints, lookups = finder_for(fleet).find(iccids=['89883030887512211117'])
    assert endpoints == [] and lookups[0]['endpoint_ids'] == []


def test_iccid_with_luhn_is_compared_with_the_field_the_answer_carries(fleet):
    # Some recorded SIMs carry iccid_with_luhn next to iccid; the 20-digit form is compared with that field.
    carrier = synthetic(5, 'tank')
    carrier['sim']['iccid_with_luhn'] = '89883035598692740131'
    fleet = fleet + [carrier]
    endpoints, _lookups = finder_for(fleet).find(iccids=['89883035598692740131'])
    assert [item['id'] for item in endpoints] == [5]
    # Two selectors walk the whole list and compare on the client, with the same result.
    endpoints, _lookups = finder_for(fleet).find(iccids=['89883035598692740131'], names=['pump'])
    assert [item['id'] for item in endpoints] == [1, 5]
    endpoints, _lookups = finder_for(fleet).find(iccids=[carrier['sim']['iccid'] + '9'], names=['pump'])
    assert [item['id'] for item in endpoints] == [1]


def test_imsi_and_msisdn_go_through_sims(fleet):
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(imsis=['295050522429023'])
    assert [item['id'] for item in endpoints] == [11379224]
    assert finder.calls() == [('sims', 'imsi:295050522429023'), ('endpoint', 11379224)]
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(msisdns=['423660000000001', '423660000000002', '000'])
    assert finder.calls()[0] == ('sims', None)
    assert [entry['endpoint_ids'] for entry in lookups] == [[1], [2], []]
    assert [item['id'] for item in endpoints] == [1, 2]


def test_tags_and_status_filters(fleet):
    finder = finder_for(fleet)
    endpoints, lookups = finder.find(tags=['a'], status='enabled')
    assert [item['id'] for item in endpoints] == [2]
    assert finder.calls() == [('endpoints', 'status:0,tags:a')]
    assert lookups == []
    endpoints, _lookups = finder_for(fleet).find(tags=['a', 'b'])
    assert [item['id'] for item in endpoints] == [2]
    endpoints, _lookups = finder_for(fleet).find(names=['pump', 'valve'], status='disabled')
    assert [item['id'] for item in endpoints] == [3]


def test_query_values_cannot_add_criteria(fleet):
    finder = finder_for(fleet)
    finder.find(names=['pump,status:1'])
    assert finder.calls() == [('endpoints', 'name:pump status:1')]
