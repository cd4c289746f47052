# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalisation of emnify API objects: ints as ints, dates as ISO 8601 UTC, names as names.

The live API drifts from its docs: ``dcs``, ``pid``, ``retry_count``, ``endpoint_id`` and
``sim_id`` arrive as strings, dates arrive as ``2022-08-04T01:45:24.000+0000`` or (older
docs) ``10/5/2019 1:56:59 PM``, and the docs show an ``endpoint {id, name}`` object where
the service sends ``endpoint_id``. Everything the API sends is kept; unknown fields pass
through unchanged, so nothing is dropped silently.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.emnify.iot.plugins.module_utils._api_ids import (
    ADDRESS_TYPES,
    ENDPOINT_STATUS,
    MO,
    MT,
    SIM_STATUS,
    SMS_STATUS,
    SMS_TYPES,
)
from ansible_collections.emnify.iot.plugins.module_utils._time import iso_utc


_INT_FIELDS = ('id', 'dcs', 'pid', 'retry_count', 'endpoint_id', 'sim_id', 'dlr_status_id', 'organisation_id',
               'registered_delivery', 'p2p_ext', 'gsm_map_error')
_DATE_FIELDS = ('submit_date', 'delivery_date', 'expiry_date', 'final_date', 'retry_date', 'last_delivery_attempt',
                'created', 'last_updated')


def as_int(value):
    """An int from an int or a decimal string; other values unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text and (text.isdigit() or (text[0] == '-' and text[1:].isdigit())):
            try:
                return int(text)
            except ValueError:
                return value
    return value


def _named(obj, names):
    """``{id, description}`` → ``{id, name, description}`` with ints and a stable lower-case name."""
    if not isinstance(obj, dict):
        return obj
    result = dict(obj)
    number = as_int(obj.get('id'))
    result['id'] = number
    name = names.get(number) if isinstance(number, int) else None
    if name is None and isinstance(obj.get('description'), str):
        name = re.sub(r'[^a-z0-9]+', '_', obj['description'].strip().lower()).strip('_')
    result['name'] = name
    return result


def sms_direction(item):
    """'mt' or 'mo' from ``sms_type`` (id 1 MT, 2 MO; MO is matched on its description too)."""
    sms_type = item.get('sms_type')
    if not isinstance(sms_type, dict):
        sms_type = {}
    description = str(sms_type.get('description') or '').strip().upper()
    number = as_int(sms_type.get('id'))
    if description == 'MO' or (number == MO and description != 'MT'):
        return SMS_TYPES[MO]
    return SMS_TYPES[MT]


def normalize_sms(item):
    """One SMS object from the API, normalised (a new dict; the input is not changed)."""
    result = dict(item)
    for field in _INT_FIELDS:
        if field in result:
            result[field] = as_int(result[field])
    for field in _DATE_FIELDS:
        if field in result:
            result[field] = iso_utc(result[field])
    if isinstance(result.get('endpoint'), dict):
        endpoint = dict(result['endpoint'])
        endpoint['id'] = as_int(endpoint.get('id'))
        result['endpoint'] = endpoint
        result.setdefault('endpoint_id', endpoint['id'])
    result['udh'] = str(result.get('udh') or '').upper()
    result['status'] = _named(result.get('status'), SMS_STATUS)
    result['sms_type'] = _named(result.get('sms_type'), SMS_TYPES)
    result['source_address_type'] = _named(result.get('source_address_type'), ADDRESS_TYPES)
    result['esme_interface_type'] = _named(result.get('esme_interface_type'), {})
    result['direction'] = sms_direction(item)
    return result


def status_id(item):
    status = item.get('status')
    if isinstance(status, dict):
        return as_int(status.get('id'))
    return as_int(status)


def split_tags(tags):
    if isinstance(tags, list):
        return [str(tag).strip() for tag in tags if str(tag).strip()]
    if not tags:
        return []
    return [tag.strip() for tag in str(tags).split(',') if tag.strip()]


def normalize_endpoint(item):
    """One endpoint object, normalised, with ``sms_ready`` and the reasons when it is not."""
    result = dict(item)
    result['id'] = as_int(item.get('id'))
    result['tags'] = split_tags(item.get('tags'))
    status = _named(item.get('status'), ENDPOINT_STATUS)
    result['status'] = status
    for field in ('created', 'last_updated'):
        if field in result:
            result[field] = iso_utc(result[field])
    sim = item.get('sim')
    reasons = []
    status_number = status.get('id') if isinstance(status, dict) else None
    if status_number != 0:
        reasons.append('endpoint is %s' % (status.get('name') if isinstance(status, dict) and status.get('name') else 'not enabled'))
    if isinstance(sim, dict):
        sim = dict(sim)
        sim['id'] = as_int(sim.get('id'))
        sim['status'] = _named(sim.get('status'), SIM_STATUS)
        result['sim'] = sim
        sim_status = sim['status'] if isinstance(sim['status'], dict) else {}
        result['iccid'] = sim.get('iccid')
        result['imsi'] = sim.get('imsi')
        result['msisdn'] = sim.get('msisdn')
        result['sim_id'] = sim['id']
        result['sim_status'] = sim_status.get('name')
        if sim_status.get('id') != 1:
            reasons.append('SIM is %s' % (sim_status.get('name') or 'not activated'))
    else:
        for field in ('iccid', 'imsi', 'msisdn', 'sim_id', 'sim_status'):
            result[field] = None
        reasons.append('no SIM assigned')
    result['sms_ready'] = not reasons
    result['sms_not_ready_reasons'] = reasons
    return result
