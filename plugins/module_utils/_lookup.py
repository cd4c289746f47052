# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding endpoints by id, name, ICCID, IMSI, MSISDN, tags and status with the fewest requests.

The endpoint list filters on ``id``, ``name``, ``iccid`` (19 digits), ``iccid_with_luhn`` (20 digits),
``tags`` and ``status`` but not on IMSI or MSISDN (those go through the SIM list). Whether ``name:`` matches exactly or as a
substring is not documented, so every match is confirmed on the client with an exact
comparison. One selector costs one filtered request; two or more are served from one walk
of the whole list (one request per 1,000 endpoints), whichever is cheaper.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import ENDPOINT_STATUS_IDS
from ansible_collections.emnify.iot.plugins.module_utils._normalize import as_int, normalize_endpoint, split_tags


def _query_value(value):
    """A value safe inside ``q=field:value`` (commas separate criteria there)."""
    return str(value).replace(',', ' ')


# emnify's ICCIDs have 19 digits; the form with the Luhn check digit (20) is a field of its own.
ICCID_DIGITS = 19


def _iccid_field(value):
    """The endpoint filter field for an ICCID: ``iccid`` cannot match the 20-digit form, ``iccid_with_luhn`` can."""
    return 'iccid_with_luhn' if len(str(value)) == ICCID_DIGITS + 1 else 'iccid'


def _iccid_matches(item, value):
    """ICCIDs match with or without the trailing Luhn check digit (19 or 20 digits).

    A 20-digit value is compared with the SIM's ``iccid_with_luhn`` when the answer carries it (so a wrong
    check digit matches nothing), else with the ICCID plus any last digit.
    """
    iccid = str(item.get('iccid') or '')
    value = str(value)
    if not iccid:
        return False
    if iccid == value:
        return True
    if len(value) != len(iccid) + 1:
        return False
    with_luhn = (item.get('sim') or {}).get('iccid_with_luhn')
    if with_luhn:
        return str(with_luhn) == value
    return value[:-1] == iccid


class EndpointFinder:
    """Resolves selectors to normalised endpoint records. ``client`` is an EmnifyClient."""

    def __init__(self, client):
        self.client = client
        self._all = None
        self._index = {}

    def _walk_all(self, query=None):
        return [normalize_endpoint(item) for item in self.client.iter_endpoints(query=query)]

    def _everything(self):
        if self._all is None:
            self._all = self._walk_all()
            # Indexes of the walk, so that thousands of selectors are matched without a scan each.
            keys = {'id': lambda item: item.get('id'), 'name': lambda item: item.get('name'), 'iccid': lambda item: item.get('iccid'),
                    'iccid_with_luhn': lambda item: (item.get('sim') or {}).get('iccid_with_luhn')}
            for field, key in keys.items():
                index = self._index[field] = {}
                for item in self._all:
                    if key(item) is not None:
                        index.setdefault(str(key(item)), []).append(item)
        return self._all

    def _candidates(self, field, value):
        """The endpoints of the walk that can match ``field`` = ``value``: all with the same ``id`` or ``name``; for an
        ICCID, all with it as ICCID or as ICCID with the check digit, or with the ICCID it has without its last digit."""
        value = str(value)
        if field != 'iccid':
            return self._index[field].get(value, [])
        found = self._index['iccid'].get(value, []) + self._index['iccid_with_luhn'].get(value, [])
        found += self._index['iccid'].get(value[:-1], []) if len(value) > 1 else []
        unique = dict((item['id'], item) for item in found)
        return list(unique.values())

    def _by_field(self, field, value, exact):
        """Endpoints whose ``field`` equals ``value`` (exact, confirmed on the client)."""
        if self._all is not None:
            pool = self._candidates('iccid' if field.startswith('iccid') else field, value)
        else:
            pool = self._walk_all('%s:%s' % (field, _query_value(value)))
        return [item for item in pool if exact(item, value)]

    def _sim_endpoint_ids(self, field, values):
        """Endpoint ids for IMSIs or MSISDNs, through the SIM list."""
        found = {}
        if len(values) > 1:
            sims = list(self.client.iter_sims())
            index = dict((str(sim.get(field)), sim) for sim in sims if sim.get(field))
            for value in values:
                sim = index.get(str(value))
                endpoint = (sim or {}).get('endpoint') or {}
                found[value] = as_int(endpoint.get('id')) if endpoint.get('id') is not None else None
        else:
            for value in values:
                sims = [sim for sim in self.client.iter_sims('%s:%s' % (field, _query_value(value))) if str(sim.get(field)) == str(value)]
                endpoint = (sims[0].get('endpoint') or {}) if sims else {}
                found[value] = as_int(endpoint.get('id')) if endpoint.get('id') is not None else None
        return found

    def find(self, ids=(), names=(), iccids=(), imsis=(), msisdns=(), tags=(), status=None):
        """Return ``(endpoints, lookups)``.

        ``endpoints`` is the list of matching records (union of the selectors, then filtered by
        ``tags`` and ``status``), sorted by id; ``lookups`` lists each selector value with the ids it matched.
        """
        selectors = len(ids) + len(names) + len(iccids)
        sim_selectors = len(imsis) + len(msisdns)
        if selectors + sim_selectors == 0:
            query = []
            if status is not None:
                query.append('status:%d' % ENDPOINT_STATUS_IDS[status])
            if len(tags) == 1:
                query.append('tags:%s' % _query_value(tags[0]))
            pool = self._walk_all(','.join(query) or None)
            return self._filter(pool, tags, status), []
        if selectors > 1 or (selectors and sim_selectors):
            self._everything()
        matched = {}
        lookups = []

        def record(field, value, items):
            lookups.append(dict(field=field, value=value, endpoint_ids=sorted(item['id'] for item in items)))
            for item in items:
                matched[item['id']] = item

        for value in ids:
            if self._all is not None:
                items = [item for item in self._candidates('id', value) if item['id'] == value]
            else:
                items = self._get_one(value)
            record('id', value, items)
        for value in names:
            record('name', value, self._by_field('name', value, lambda item, v: item.get('name') == v))
        for value in iccids:
            record('iccid', value, self._by_field(_iccid_field(value), value, _iccid_matches))
        for field, values in (('imsi', imsis), ('msisdn', msisdns)):
            if not values:
                continue
            ids_for = self._sim_endpoint_ids(field, list(values))
            for value in values:
                endpoint_id = ids_for.get(value)
                items = []
                if endpoint_id is not None:
                    if self._all is not None:
                        items = [item for item in self._candidates('id', endpoint_id) if item['id'] == endpoint_id]
                    else:
                        items = self._get_one(endpoint_id)
                record(field, value, items)
        endpoints = self._filter(sorted(matched.values(), key=lambda item: item['id']), tags, status)
        return endpoints, lookups

    def _get_one(self, endpoint_id):
        try:
            return [normalize_endpoint(self.client.get_endpoint(endpoint_id))]
        except EmnifyApiError as exc:
            if exc.status == 404:
                return []
            raise

    @staticmethod
    def _filter(items, tags, status):
        wanted = set(tags or ())
        result = []
        for item in items:
            if wanted and not wanted.issubset(set(split_tags(item.get('tags')))):
                continue
            if status is not None and (item.get('status') or {}).get('name') != status:
                continue
            result.append(item)
        return result
