#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: emnify_endpoint_info
short_description: Find emnify endpoints (devices) by id, name, ICCID, IMSI, MSISDN, tags or status
version_added: 0.1.0
description:
  - Looks up emnify endpoints and returns them normalised, with whether each one can receive SMS now.
  - Each selector takes one value or a list; the result is every endpoint matched by any selector,
    then narrowed by O(tags) and O(status). With no selector, it lists all endpoints (narrowed the same way).
  - Names and ICCIDs are compared exactly on the client, whatever the API's filter does.
  - One value costs one request; several values are served from one walk of the endpoint list (one request per
    1,000 endpoints). IMSIs and MSISDNs are resolved through the SIM list.
  - Unknown values give an empty result, not an error, unless O(exactly_one=true).
author:
  - emnify.iot maintainers (@emnify)
options:
  id:
    description: Endpoint ids.
    type: list
    elements: int
    default: []
  name:
    description: Exact endpoint names.
    type: list
    elements: str
    default: []
  iccid:
    description: ICCIDs of the endpoints' SIMs, with or without the trailing Luhn check digit.
    type: list
    elements: str
    default: []
  imsi:
    description: IMSIs of the endpoints' SIMs.
    type: list
    elements: str
    default: []
  msisdn:
    description: MSISDNs of the endpoints' SIMs.
    type: list
    elements: str
    default: []
  tags:
    description: Keep only endpoints that carry every one of these tags.
    type: list
    elements: str
    default: []
  status:
    description: Keep only endpoints in this status.
    type: str
    choices: [enabled, disabled, deleted]
  exactly_one:
    description:
      - Fail unless exactly one endpoint matches (and, with several selector values, unless every value matches one endpoint).
    type: bool
    default: false
extends_documentation_fragment:
  - emnify.iot.connection
  - emnify.iot.attributes
  - emnify.iot.attributes.info_module
'''

EXAMPLES = r'''
- name: Find a device by name
  emnify.iot.emnify_endpoint_info:
    name: device-0042
    exactly_one: true
  delegate_to: localhost
  register: found

- name: Find devices by ICCID and IMSI in one go
  emnify.iot.emnify_endpoint_info:
    iccid:
      - "8988303000000001234"
      - "8988303000000005678"
    imsi: "295050900000001"
  delegate_to: localhost
  register: devices

- name: All enabled trackers
  emnify.iot.emnify_endpoint_info:
    tags: tracker
    status: enabled
  delegate_to: localhost
  register: trackers

- name: Show which of them cannot receive SMS, and why
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.sms_not_ready_reasons | join(', ') }}"
  loop: "{{ trackers.endpoints | rejectattr('sms_ready') }}"
  loop_control:
    label: "{{ item.id }}"
'''

RETURN = r'''
endpoints:
  description: The matching endpoints, sorted by id. Every field the API returned is kept; these are normalised.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Endpoint id.
      type: int
      sample: 11380001
    name:
      description: Endpoint name.
      type: str
      sample: device-0001
    tags:
      description: Tags as a list (the API sends a comma-separated string).
      type: list
      elements: str
      sample: [fleet, tracker]
    status:
      description: Endpoint status with C(id), C(description) and a lower-case C(name) (enabled, disabled, deleted).
      type: dict
      sample: {id: 0, description: Enabled, name: enabled}
    iccid:
      description: ICCID of the SIM, or null without a SIM.
      type: str
      sample: "8988303000000001234"
    imsi:
      description: IMSI of the SIM, or null.
      type: str
      sample: "295050900000001"
    msisdn:
      description: MSISDN of the SIM, or null.
      type: str
      sample: "423600000000001"
    sim_status:
      description: SIM status name (issued, activated, suspended, deleted, factory_test), or null without a SIM.
      type: str
      sample: activated
    service_profile:
      description: The service profile (C(id), C(name)).
      type: dict
      sample: {id: 438035, name: Fleet profile}
    ip_address:
      description: The endpoint's IP address.
      type: str
      sample: 10.196.0.1
    sms_ready:
      description:
        - Whether the endpoint can receive SMS as far as the endpoint record tells (enabled, with an activated SIM).
        - Whether the service profile allows SMS MT is not part of the record; the send reports that refusal.
      type: bool
      sample: true
    sms_not_ready_reasons:
      description: Why RV(endpoints[].sms_ready) is false; empty when it is true.
      type: list
      elements: str
      sample: [endpoint is disabled, SIM is suspended]
lookups:
  description: Each selector value with the endpoint ids it matched (an empty list for a value that matched nothing).
  returned: success
  type: list
  elements: dict
  sample: [{field: name, value: device-0001, endpoint_ids: [11380001]}]
not_found:
  description: Selector values that matched no endpoint, as C(field=value) strings.
  returned: success
  type: list
  elements: str
  sample: [name=device-9999]
api_usage:
  description: Requests this task made to the emnify API.
  returned: always
  type: dict
  sample: {requests: 2, authentications: 1, retries: 0, status_429: 0, by_method: {GET: 1, POST: 1}}
'''

from ansible_collections.emnify.iot.plugins.module_utils._lookup import EndpointFinder
from ansible_collections.emnify.iot.plugins.module_utils._module import EmnifyModule, ModuleInputError, endpoint_ids


def _unique(values):
    """The values in their order, each once."""
    seen, unique = set(), []
    for value in values:
        if value not in seen:
            seen.add(value)
            unique.append(value)
    return unique


def run(module):
    params = module.params
    ids = endpoint_ids(params['id'], 'id', required=False)
    for option in ('name', 'iccid', 'imsi', 'msisdn', 'tags'):
        if any(not str(value).strip() for value in params[option]):
            raise ModuleInputError('%s: values must not be empty' % option)
    for option in ('iccid', 'imsi', 'msisdn'):
        for value in params[option]:
            if not str(value).strip().isdigit():
                raise ModuleInputError('%s: must contain digits only, got %r' % (option, value))
    finder = EndpointFinder(module.client)
    endpoints, lookups = finder.find(
        ids=ids, names=_unique(params['name']), iccids=_unique([v.strip() for v in params['iccid']]),
        imsis=_unique([v.strip() for v in params['imsi']]), msisdns=_unique([v.strip() for v in params['msisdn']]),
        tags=_unique(params['tags']), status=params['status'])
    not_found = ['%s=%s' % (item['field'], item['value']) for item in lookups if not item['endpoint_ids']]
    result = dict(changed=False, endpoints=endpoints, lookups=lookups, not_found=not_found)
    if params['exactly_one']:
        ambiguous = [item for item in lookups if len(item['endpoint_ids']) > 1]
        if len(endpoints) != 1 or not_found or ambiguous:
            detail = 'matched %d endpoints' % len(endpoints)
            if not_found:
                detail += '; nothing found for %s' % ', '.join(not_found)
            raise ModuleInputError('exactly_one: expected exactly one endpoint, %s' % detail)
    return result


def main():
    module = EmnifyModule(
        argument_spec=dict(
            id=dict(type='list', elements='int', default=[]),
            name=dict(type='list', elements='str', default=[]),
            iccid=dict(type='list', elements='str', default=[]),
            imsi=dict(type='list', elements='str', default=[]),
            msisdn=dict(type='list', elements='str', default=[]),
            tags=dict(type='list', elements='str', default=[]),
            status=dict(type='str', choices=['enabled', 'disabled', 'deleted']),
            exactly_one=dict(type='bool', default=False),
        ),
    )
    module.run(run)


if __name__ == '__main__':
    main()
