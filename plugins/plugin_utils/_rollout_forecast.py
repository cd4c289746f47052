# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The size, request count, duration and cost of an ``sms_provisioning`` rollout, from its preflight; the budget.

Computed from the planned results, before anything is sent: the SMS parts by encoding (outside check mode every
planned part; in check mode only the parts a device does not hold yet), the API requests (the lookup already
made, one history read per device and command, one request per part, and for each waiting command an expected
``POLL_ROUNDS`` reads per device), the seconds those requests take at the rate limit, and with a price per part
the cost.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_state import _result_key

# History reads per device that a waiting command is expected to cost (the first read usually finds the SMS
# in flight, the second settled).
POLL_ROUNDS = 2


def forecast(state, commands, rate, price_per_part=None, check=False):
    """The forecast as the report's ``forecast`` object."""
    parts, by_encoding, reads, polls = 0, {}, 0, 0
    for device in state['devices']:
        if state['status'][device['key']]['state'] == 'failed' and state['status'][device['key']]['step'] == 'resolve':
            continue
        for command in commands:
            result = state['results'].get(_result_key(device['key'], command['index']))
            if result is None or result.get('state') != 'planned':
                continue
            count = result.get('parts') or 0
            if check:
                count = 0 if result.get('action') == 'already_sent' else max(count - (result.get('present_parts') or 0), 0)
            parts += count
            if count:
                by_encoding[result.get('encoding') or 'unknown'] = by_encoding.get(result.get('encoding') or 'unknown', 0) + count
            reads += 1
            if command['wait'] != 'none':
                polls += POLL_ROUNDS
    lookup = state['requests'].get('lookup', 0)
    requests = lookup + reads + parts + polls
    out = {'parts': parts, 'parts_by_encoding': by_encoding, 'requests': requests,
           'requests_by_kind': {'lookup': lookup, 'history_reads': reads, 'sends': parts, 'expected_polls': polls},
           'seconds': round(requests / rate, 1) if rate else 0.0}
    if price_per_part is not None:
        out['cost'] = round(parts * float(price_per_part), 4)
    return out


def over_budget(forecast_data, budget):
    """Why the forecast exceeds the budget (``{parts, requests}``), or None."""
    reasons = []
    for name in ('parts', 'requests'):
        limit = (budget or {}).get(name)
        if limit is not None and forecast_data[name] > int(limit):
            reasons.append('the forecast of %d %s exceeds sms_provisioning_budget.%s %d' % (
                forecast_data[name], 'SMS parts' if name == 'parts' else 'API requests', name, int(limit)))
    return '; '.join(reasons) if reasons else None
