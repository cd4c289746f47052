#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: emnify_sms_info
short_description: Read the SMS sent to and by emnify endpoints, reassembled, and wait for device replies
version_added: 0.1.0
description:
  - Reads each endpoint's SMS history (both directions) once and returns logical messages, newest first.
  - Parts of a concatenated SMS are reassembled by their User Data Header; every field the API returns is kept and
    normalised (numbers as numbers, dates as ISO 8601 UTC).
  - With O(wait_timeout), it polls (one request per endpoint per round, with a growing interval) until at least one
    message matches every filter, for example the device's reply to a command.
author:
  - emnify.iot maintainers (@emnify)
options:
  endpoint_id:
    description: The endpoint id, or a list of them.
    type: list
    elements: int
    required: true
    aliases: [endpoint_ids]
  sms_id:
    description: Return only this SMS (one request, no reassembly); needs exactly one O(endpoint_id).
    type: int
  direction:
    description: V(mt) messages sent to the device, V(mo) messages sent by it, or V(all).
    type: str
    choices: [all, mt, mo]
    default: all
  status:
    description:
      - Keep only messages in one of these statuses (of a multi-part message, the least advanced part counts).
    type: list
    elements: str
    choices: [delivery_attempt_pending, in_progress, buffered, delivered, failed, expired, canceled]
    default: []
  since:
    description: Keep only messages submitted after this moment, an ISO 8601 date-time or an age such as V(30m) or V(2d).
    type: str
  payload_regex:
    description: Keep only messages whose (reassembled) text matches this Python regular expression (search, not full match).
    type: str
  reassemble:
    description: Join the parts of concatenated messages. With V(false) every part is a message of its own.
    type: bool
    default: true
  wait_timeout:
    description:
      - Poll until at least one message matches every filter, for at most this many seconds; fail cleanly at the timeout.
      - V(0) (the default) reads once and returns what is there.
    type: int
    default: 0
  poll_interval:
    description: First interval between polls in seconds; it grows by half each round, up to 30 seconds.
    type: float
    default: 2
  limit:
    description: Return at most this many messages per endpoint (newest first). V(0) means no limit.
    type: int
    default: 0
extends_documentation_fragment:
  - emnify.iot.connection
  - emnify.iot.attributes
  - emnify.iot.attributes.info_module
seealso:
  - module: emnify.iot.emnify_sms
'''

EXAMPLES = r'''
- name: Send a command
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "APN,iot.example.net"
  delegate_to: localhost
  register: sent

- name: Wait up to two minutes for the device's answer
  emnify.iot.emnify_sms_info:
    endpoint_id: 11380001
    direction: mo
    since: 10m
    payload_regex: "^OK APN"
    wait_timeout: 120
  delegate_to: localhost
  register: reply

- name: Show it
  ansible.builtin.debug:
    msg: "{{ reply.messages[0].payload }}"

- name: What is still undelivered on a set of devices
  emnify.iot.emnify_sms_info:
    endpoint_id: [11380001, 11380002, 11380010]
    direction: mt
    status: [delivery_attempt_pending, buffered, in_progress]
  delegate_to: localhost
  register: undelivered

- name: Details of one SMS
  emnify.iot.emnify_sms_info:
    endpoint_id: 11380001
    sms_id: 19650001
  delegate_to: localhost
'''

RETURN = r'''
messages:
  description: Logical messages of all endpoints that match the filters, newest first within each endpoint.
  returned: success
  type: list
  elements: dict
  contains:
    endpoint_id:
      description: The endpoint.
      type: int
      sample: 11380001
    direction:
      description: V(mt) (to the device) or V(mo) (from the device).
      type: str
      sample: mo
    payload:
      description: The text; for a concatenated message, the parts joined in order (the parts present, if incomplete).
      type: str
      sample: OK APN
    complete:
      description: Whether every part of the message is present.
      type: bool
      sample: true
    total:
      description: Number of parts the message has (from the UDH), 1 for a single SMS.
      type: int
      sample: 2
    reference:
      description: Concatenation reference, null for a single SMS.
      type: int
      sample: 204
    reference_bits:
      description: 8 or 16, null for a single SMS.
      type: int
    dcs:
      description: Data Coding Scheme.
      type: int
      sample: 0
    encoding:
      description: Alphabet from the DCS, V(gsm7), V(ucs2) or V(binary).
      type: str
      sample: gsm7
    status:
      description: C(id) and C(name) of the status; for a multi-part message the least advanced part (a failed part wins).
      type: dict
      sample: {id: 4, name: delivered}
    source_address:
      description: The sender.
      type: str
    source_address_type:
      description: The sender type with C(id), C(description) and C(name).
      type: dict
    submit_date:
      description: When the (first part of the) message was submitted, ISO 8601 UTC.
      type: str
      sample: "2026-11-24T10:00:00Z"
    final_date:
      description: When the last part became final, ISO 8601 UTC; null while a part is not final.
      type: str
    sms_ids:
      description: The emnify SMS ids of the parts, in part order.
      type: list
      elements: int
    parts:
      description: The parts as the API returned them, normalised (every field kept), with C(seq) and C(total) for concatenated parts.
      type: list
      elements: dict
endpoints:
  description: Per endpoint, how many SMS items its history held.
  returned: success
  type: list
  elements: dict
  sample: [{endpoint_id: 11380001, items: 12, messages: 9}]
polls:
  description: How many times the histories were read (more than 1 only with O(wait_timeout)).
  returned: success
  type: int
  sample: 1
api_usage:
  description: Requests this task made to the emnify API.
  returned: always
  type: dict
  sample: {requests: 2, authentications: 1, retries: 0, status_429: 0, by_method: {GET: 1, POST: 1}}
'''

import time

from ansible_collections.emnify.iot.plugins.module_utils._module import EmnifyModule, ModuleInputError, endpoint_ids
from ansible_collections.emnify.iot.plugins.module_utils._normalize import normalize_sms
from ansible_collections.emnify.iot.plugins.module_utils._polling import Rounds
from ansible_collections.emnify.iot.plugins.module_utils._sms_history import compile_regex, filter_messages, group_messages
from ansible_collections.emnify.iot.plugins.module_utils._time import TimeInputError, parse_moment


def _validate(params):
    ids = endpoint_ids(params['endpoint_id'], 'endpoint_id')
    if params['sms_id'] is not None:
        if params['sms_id'] <= 0:
            raise ModuleInputError('sms_id: SMS ids are positive integers, got %s' % params['sms_id'])
        if len(ids) != 1:
            raise ModuleInputError('sms_id: needs exactly one endpoint_id')
    if params['wait_timeout'] < 0:
        raise ModuleInputError('wait_timeout: must be 0 or a positive number of seconds, got %s' % params['wait_timeout'])
    if params['poll_interval'] <= 0:
        raise ModuleInputError('poll_interval: must be a positive number of seconds, got %s' % params['poll_interval'])
    if params['limit'] < 0:
        raise ModuleInputError('limit: must be 0 (no limit) or positive, got %s' % params['limit'])
    since = None
    if params['since'] is not None:
        try:
            since = parse_moment(params['since'], 'since')
        except TimeInputError as exc:
            raise ModuleInputError(str(exc))
    regex = None
    if params['payload_regex'] is not None:
        try:
            regex = compile_regex(params['payload_regex'])
        except ValueError as exc:
            raise ModuleInputError(str(exc))
    return ids, since, regex


def _read(client, params, ids, since, regex):
    messages, endpoints = [], []
    for endpoint_id in ids:
        if params['sms_id'] is not None:
            items = [normalize_sms(client.get_sms(endpoint_id, params['sms_id']))]
        else:
            items = [normalize_sms(item) for item in client.list_sms(endpoint_id)]
        grouped = group_messages(items, params['reassemble'])
        kept = filter_messages(grouped, params['direction'], params['status'], since, regex)
        if params['limit']:
            kept = kept[:params['limit']]
        endpoints.append(dict(endpoint_id=endpoint_id, items=len(items), messages=len(grouped)))
        messages.extend(kept)
    return messages, endpoints


def run(module, sleep=time.sleep, clock=time.monotonic):
    params = module.params
    ids, since, regex = _validate(params)
    rounds = Rounds(params['wait_timeout'], params['poll_interval'], clock=clock, sleep=sleep)
    polls = 0
    while True:
        messages, endpoints = _read(module.client, params, ids, since, regex)
        polls += 1
        if messages or params['wait_timeout'] == 0:
            break
        if not rounds.next():
            filters = ['direction=%s' % params['direction']]
            for option in ('status', 'since', 'payload_regex', 'sms_id'):
                if params[option]:
                    filters.append('%s=%s' % (option, params[option]))
            module.fail('wait_timeout: no message matched (%s) on endpoint %s within %s seconds (%d reads)'
                        % (', '.join(filters), ', '.join(str(value) for value in ids), params['wait_timeout'], polls),
                        messages=[], endpoints=endpoints, polls=polls)
    return dict(changed=False, messages=messages, endpoints=endpoints, polls=polls)


def main():
    module = EmnifyModule(
        argument_spec=dict(
            endpoint_id=dict(type='list', elements='int', required=True, aliases=['endpoint_ids']),
            sms_id=dict(type='int'),
            direction=dict(type='str', choices=['all', 'mt', 'mo'], default='all'),
            status=dict(type='list', elements='str', default=[],
                        choices=['delivery_attempt_pending', 'in_progress', 'buffered', 'delivered', 'failed', 'expired', 'canceled']),
            since=dict(type='str'),
            payload_regex=dict(type='str'),
            reassemble=dict(type='bool', default=True),
            wait_timeout=dict(type='int', default=0),
            poll_interval=dict(type='float', default=2),
            limit=dict(type='int', default=0),
        ),
    )
    module.run(run)


if __name__ == '__main__':
    main()
