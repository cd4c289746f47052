# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoints as inventory hosts: their variables, their host names and the filters of the endpoints inventory.

Pure functions on the endpoint objects of ``GET /api/v1/endpoint`` (normalised by ``_normalize.normalize_endpoint``,
which also decides SMS readiness); no request is made here. The inventory plugin ``emnify.iot.endpoints`` walks the
list, caches the variables made here and builds its hosts from them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch

from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_endpoint

PREFIX = 'emnify_'
UNNAMED = 'endpoint-%d'


def _profile(value):
    """``{id, name}`` of a service or tariff profile, or None."""
    if not isinstance(value, dict):
        return None
    return {'id': value.get('id'), 'name': value.get('name')}


def _named_status(value):
    return value.get('name') if isinstance(value, dict) else None


def host_vars(item):
    """The host variables of one endpoint list item (as the API sends it).

    The SIM's ICCID, IMSI and MSISDN come from the item's ``sim`` object; an endpoint without a SIM has none (None).
    """
    endpoint = normalize_endpoint(item)
    sim = endpoint.get('sim') if isinstance(endpoint.get('sim'), dict) else {}
    name = endpoint.get('name')
    return {
        'emnify_endpoint_id': endpoint['id'],
        'emnify_name': name if isinstance(name, str) else None,
        'emnify_status': _named_status(endpoint.get('status')),
        'emnify_tags': list(endpoint['tags']),
        'emnify_iccid': endpoint.get('iccid'),
        'emnify_iccid_with_luhn': sim.get('iccid_with_luhn'),
        'emnify_imsi': endpoint.get('imsi'),
        'emnify_msisdn': endpoint.get('msisdn'),
        'emnify_sim_id': endpoint.get('sim_id'),
        'emnify_sim_status': endpoint.get('sim_status'),
        'emnify_sms_ready': endpoint['sms_ready'],
        'emnify_sms_not_ready_reasons': list(endpoint['sms_not_ready_reasons']),
        'emnify_service_profile': _profile(endpoint.get('service_profile')),
        'emnify_tariff_profile': _profile(endpoint.get('tariff_profile')),
        'emnify_ip_address': endpoint.get('ip_address'),
        'emnify_imei': endpoint.get('imei'),
        'emnify_created': endpoint.get('created'),
        'emnify_last_updated': endpoint.get('last_updated'),
    }


def host_names(records):
    """A unique host name for each record (host variables), in the order given.

    An endpoint is named by its name, without surrounding spaces. An endpoint without a name is
    ``endpoint-<id>``; endpoints that share a name are each ``<name>-<id>``. A fallback that is the name of another
    endpoint gets ``-<id>`` appended until it is unique.
    """
    names = [(record.get('emnify_name') or '').strip() for record in records]
    counts = {}
    for name in names:
        if name:
            counts[name] = counts.get(name, 0) + 1
    taken = set(name for name in names if name and counts[name] == 1)
    result = []
    for name, record in zip(names, records):
        endpoint_id = record['emnify_endpoint_id']
        if name and counts[name] == 1:
            result.append(name)
            continue
        candidate = '%s-%d' % (name, endpoint_id) if name else UNNAMED % endpoint_id
        while candidate in taken:
            candidate = '%s-%d' % (candidate, endpoint_id)
        taken.add(candidate)
        result.append(candidate)
    return result


def matches(record, statuses=(), tags=(), name_pattern=None, sms_ready=None, sim_statuses=()):
    """Whether a record passes the inventory's filters (each one unset passes everything).

    ``statuses``/``sim_statuses``: one of them; ``tags``: all of them; ``name_pattern``: a shell-style pattern
    (``*``, ``?``, ``[...]``) the whole endpoint name matches, case-sensitive; ``sms_ready``: True or False.
    """
    if statuses and record.get('emnify_status') not in statuses:
        return False
    if sim_statuses and record.get('emnify_sim_status') not in sim_statuses:
        return False
    if tags and not set(tags).issubset(record.get('emnify_tags') or ()):
        return False
    if name_pattern is not None and not fnmatch.fnmatchcase(record.get('emnify_name') or '', name_pattern):
        return False
    if sms_ready is not None and bool(record.get('emnify_sms_ready')) != sms_ready:
        return False
    return True
