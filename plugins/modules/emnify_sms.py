#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: emnify_sms
short_description: Make sure emnify endpoints (devices) have been sent an SMS, exactly once
version_added: 0.1.0
description:
  - Declares that one or more emnify endpoints have been sent a message. The module reads each endpoint's SMS history
    once, sends only the parts that are not there yet, and never sends a part twice.
  - Long texts are split into concatenated parts with a User Data Header (UDH), one API request per part, following
    3GPP TS 23.038/23.040; the encoding (GSM 7-bit or UCS-2) is chosen for the whole message.
  - The concatenation reference is derived from the endpoint, the sender and the text, so a rerun recognises the parts
    it sent before and resumes an interrupted message where it stopped.
  - When the outcome of a send is unknown (no answer within O(timeout), a connection lost after the request went out, or any
    5xx answer, such as the API gateway's 504 while emnify may still store the SMS), the part is not sent again until
    emnify has had time to store it. The module records the part in a short-lived private journal in the state directory
    (see O(token_cache_dir)), reads the history again with backoff until the part shows up or O(settle_time) has passed
    since the answer, and only then sends a part that never reached emnify again, in order, before the parts after it.
  - A retried task (C(until)/C(retries)) or a rerun within O(settle_time) of such an answer reads the journal and waits for
    the part instead of sending it again.
  - When the history shows parts of the message, submitted within O(settle_time), that no run on this controller sent, another
    sender (another controller or user) is sending the same message; the module warns and waits O(settle_time) for the
    missing parts before sending them. Runs on different controllers are not coordinated otherwise (see the reliability
    documentation).
  - With O(state=absent) it cancels the parts of the message that are not delivered yet.
author:
  - emnify.iot maintainers (@emnify)
options:
  endpoint_id:
    description:
      - The endpoint id, or a list of endpoint ids to send the same message to in one task.
      - Use M(emnify.iot.emnify_endpoint_info) to find ids by name, ICCID, IMSI or tag.
      - Give either O(endpoint_id) and O(payload), or O(messages).
    type: list
    elements: int
    aliases: [endpoint_ids]
  payload:
    description:
      - The whole text of the message, any length up to O(max_parts) parts. It is NFC-normalised first.
      - With O(state=absent), the text of the message to cancel.
      - Required with O(endpoint_id).
    type: str
  messages:
    description:
      - A different text per endpoint, handled in one task like a list in O(endpoint_id) (one history read per endpoint,
        bounded concurrency). Use it when each device gets its own rendered command.
      - Every other option (sender, encoding, validity, O(max_parts), ...) applies to every message.
      - Each endpoint may appear once. All texts are checked before anything is sent; one invalid text fails the task.
    type: list
    elements: dict
    version_added: 0.1.0
    suboptions:
      endpoint_id:
        description: The endpoint.
        type: int
        required: true
      payload:
        description: The whole text for this endpoint.
        type: str
        required: true
  state:
    description:
      - V(present) makes sure every endpoint has been sent the message (and is not failed, expired or canceled).
      - V(absent) cancels the parts of the message that are still pending or buffered.
    type: str
    choices: [present, absent]
    default: present
  source_address:
    description:
      - "The sender shown on the device: a phone number, a short code, or a name of at most 11 characters."
      - At most 21 characters. Without it, emnify uses its default sender.
      - An alphanumeric sender is one-way, the device cannot reply to it.
    type: str
  source_address_type:
    description:
      - Type of O(source_address), by name or by emnify id (V(208) alphanumeric, V(145) international, V(161) national).
      - When omitted, it is inferred (letters mean alphanumeric, a leading C(+) or 8 digits or more mean international,
        otherwise national) and reported in RV(sender).
    type: raw
  dest_address:
    description:
      - Person-to-application (P2A) destination, a callback identifier. The device's replies to it are forwarded to the
        API callback of the endpoint's service profile.
    type: str
  expiry_date:
    description:
      - When delivery attempts stop and the SMS becomes EXPIRED, as an ISO 8601 date-time, for example C(2026-12-01T10:00:00Z).
      - It must be in the future. emnify's default is 24 hours after submission.
      - Mutually exclusive with O(validity).
    type: str
  validity:
    description:
      - How long delivery is attempted, relative to now, for example V(90s), V(30m), V(2h), V(1d) or V(1h30m).
      - Mutually exclusive with O(expiry_date).
    type: str
  encoding:
    description:
      - V(auto) uses GSM 7-bit when every character is in the GSM 7-bit default alphabet or its extension table, else UCS-2.
      - V(gsm7) fails when a character is not in the GSM 7-bit alphabet, instead of switching the whole message to UCS-2.
      - V(ucs2) always uses UCS-2 (70 characters per SMS, 67 per part).
    type: str
    choices: [auto, gsm7, ucs2]
    default: auto
  dcs:
    description:
      - Advanced. The Data Coding Scheme byte sent with every part (0 to 255). Its alphabet bits decide the limits;
        for example V(16) is a GSM 7-bit flash SMS (class 0), V(24) a UCS-2 flash SMS.
      - An 8-bit data DCS (for example V(4)) sends the payload as one part, never split.
    type: int
  udh:
    description:
      - Advanced. A User Data Header in hex, built by you, for example V(050003CC0201). The payload is sent as one part with
        this header as it is, never split; it must fit one SMS after the header.
    type: str
  max_parts:
    description:
      - Refuse a message that needs more parts than this (at most 255).
    type: int
    default: 10
  reference_bits:
    description:
      - Size of the concatenation reference in the UDH. V(8) is understood by every device; V(16) lowers the risk that a device
        mixes two long messages in flight, at one character per part.
    type: int
    choices: [8, 16]
    default: 8
  force:
    description:
      - Send the message even if the history already holds it. A forced copy gets a different concatenation reference.
    type: bool
    default: false
  since:
    description:
      - Count only history entries submitted after this moment, so a command can be sent again weeks later.
      - An ISO 8601 date-time, or an age such as V(12h) or V(30d) (that long before now).
    type: str
  wait:
    description:
      - V(delivered) waits until every part is final; a part that ends FAILED, EXPIRED or CANCELED fails the task for that
        endpoint with its status and C(gsm_map_error).
    type: str
    choices: [none, delivered]
    default: none
  wait_timeout:
    description: Seconds to wait with O(wait=delivered). At the timeout the task fails and lists the parts still pending.
    type: int
    default: 300
  poll_interval:
    description:
      - First interval in seconds between delivery checks with O(wait=delivered); it grows by half each round, up to 30 seconds.
      - Each round reads each endpoint's history once.
    type: float
    default: 2
  settle_time:
    description:
      - Seconds, counted from the answer (or from the client O(timeout)), during which emnify may still store a part whose send
        had an unknown outcome. Within that time the part is never sent again; the history is read with backoff (after 0.25 s,
        then each pause half as long again, up to 2 s), so a fault costs at most 6 extra history reads with the default.
      - A part the history still does not hold after that time is taken to have never reached emnify and is sent again, at most
        3 times per endpoint; then the endpoint fails. A part stored by emnify later than O(settle_time) after the answer would
        be sent twice, so raise it when the service is known to be slower.
      - V(0) reads the history once, right after the answer, and sends a missing part again at once.
    type: float
    default: 5
    version_added: 0.1.0
  concurrency:
    description:
      - How many endpoints are worked on at the same time. All of them share one authentication and one rate-limit budget.
    type: int
    default: 4
  hide_payload:
    description:
      - Keep the text out of the result and out of the task output (device commands often carry passwords);
        parts, ids and statuses are still reported.
      - "The module arguments are still written to the system log of the host the module runs on; set C(no_log: true) on the
        task as well to keep the text out of that log too."
    type: bool
    default: false
extends_documentation_fragment:
  - emnify.iot.connection
  - emnify.iot.attributes
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - In check mode the module reads each endpoint's history (so C(changed) and the planned parts are exact) and never
        sends or cancels anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: full
    details:
      - The diff shows, per endpoint, the parts of this message in the history before and after the task.
seealso:
  - module: emnify.iot.emnify_sms_info
  - module: emnify.iot.emnify_endpoint_info
'''

EXAMPLES = r'''
- name: Set the APN of a tracker (sent once; reruns send nothing)
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "APN,iot.example.net"
  delegate_to: localhost

- name: Alphanumeric sender (one-way, the device cannot reply)
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "Maintenance window tonight 02:00 UTC"
    source_address: FleetOps
    source_address_type: alphanumeric
  delegate_to: localhost

- name: Person-to-application, replies go to the service profile's API callback
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "STATUS?"
    source_address: "4915112345678"
    dest_address: "provisioning-callback"
  delegate_to: localhost

- name: A long configuration, split into concatenated parts with a 16-bit reference
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "{{ lookup('ansible.builtin.template', 'tracker-config.txt.j2') }}"
    reference_bits: 16
    max_parts: 4
  delegate_to: localhost

- name: Each tracker gets its own server address, in one task
  emnify.iot.emnify_sms:
    messages:
      - endpoint_id: 11380001
        payload: "SERVER,tracker-1.example.net,5683"
      - endpoint_id: 11380002
        payload: "SERVER,tracker-2.example.net,5683"
  delegate_to: localhost

- name: UCS-2 text, valid for two hours
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "Добро пожаловать! Устройство активировано."
    validity: 2h
  delegate_to: localhost

- name: A command that carries a password, kept out of the output
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "PWD,{{ device_password }},SERVER,mqtt.example.net,8883"
    hide_payload: true
  no_log: true
  delegate_to: localhost
  register: sent

- name: Wait until the device has received it
  emnify.iot.emnify_sms:
    endpoint_id: 11380001
    payload: "REBOOT"
    since: 1h
    wait: delivered
    wait_timeout: 120
  delegate_to: localhost

- name: Cancel it while it is still buffered for an offline device
  emnify.iot.emnify_sms:
    endpoint_id: 11380010
    payload: "REBOOT"
    state: absent
  delegate_to: localhost

- name: The same command to a whole fleet in one task (one authentication, one history read per device)
  emnify.iot.emnify_sms:
    endpoint_id: "{{ trackers.endpoints | map(attribute='id') | list }}"
    payload: "INTERVAL,300"
    concurrency: 8
  delegate_to: localhost

- name: Connection options once per play, from AWX/AAP credentials in the environment
  module_defaults:
    group/emnify.iot.emnify:
      api_url: "{{ lookup('ansible.builtin.env', 'EMNIFY_API_URL') | default('https://cdn.emnify.net', true) }}"
  block:
    - name: Send
      emnify.iot.emnify_sms:
        endpoint_id: 11380001
        payload: "PING"
      delegate_to: localhost
'''

RETURN = r'''
messages:
  description: One entry per endpoint, in the order of O(endpoint_id).
  returned: always
  type: list
  elements: dict
  contains:
    endpoint_id:
      description: The endpoint.
      type: int
      sample: 11380001
    action:
      description:
        - What happened. V(sent) all parts sent; V(resumed) some parts were already there and the rest were sent;
          V(already_sent) every part was there, nothing sent; V(would_send) / V(would_resume) the same in check mode;
          V(canceled) / V(would_cancel) / V(nothing_to_cancel) for O(state=absent); V(failed) nothing could be sent;
          V(partially_sent) some parts were sent before a failure (a rerun sends the rest).
      type: str
      sample: sent
    changed:
      description: Whether this endpoint was (or in check mode would be) changed.
      type: bool
      sample: true
    failed:
      description: Whether this endpoint failed; RV(messages[].msg) says why.
      type: bool
      sample: false
    msg:
      description: Why this endpoint failed.
      type: str
      returned: when failed
      sample: "part 1/1: emnify API answered HTTP 409 Conflict to POST /api/v1/endpoint/11380011/sms: ..."
    encoding:
      description: V(gsm7), V(ucs2) or V(binary).
      type: str
      sample: gsm7
    dcs:
      description: The Data Coding Scheme sent with every part.
      type: int
      sample: 0
    reference:
      description: The concatenation reference of a multi-part message, null for a single SMS.
      type: int
      sample: 204
    reference_bits:
      description: Size of the concatenation reference.
      type: int
      sample: 8
    delivered:
      description: True when O(wait=delivered) saw every part delivered.
      type: bool
      returned: with O(wait=delivered)
      sample: true
    parts:
      description: The parts of the message.
      type: list
      elements: dict
      contains:
        seq:
          description: Part number, from 1.
          type: int
        total:
          description: Number of parts.
          type: int
        payload:
          description: The text of this part (absent with O(hide_payload=true)).
          type: str
        udh:
          description: The UDH in hex, empty for a single SMS.
          type: str
          sample: "050003CC0201"
        dcs:
          description: The Data Coding Scheme of this part.
          type: int
        sms_id:
          description: The emnify SMS id (from the C(Location) header of the send, or from the history); null while only planned.
          type: int
          sample: 19650001
        status:
          description: >-
            C(id) and C(name) of the SMS status (delivery_attempt_pending, in_progress, buffered, delivered, failed, expired,
            canceled), V(submitted) just after sending, V(planned) when not sent (check mode).
          type: dict
          sample: {id: 4, name: delivered}
        sent:
          description: Whether this task sent this part.
          type: bool
        reconciled:
          description: True when the send's outcome was unknown and the history showed the part had arrived.
          type: bool
          returned: when it happened
        outcome_unknown:
          description:
            - True when the send of this part had an unknown outcome and the endpoint failed before the history could tell
              (for instance, the history reads failed too). The part may have been stored; a run within O(settle_time) waits
              for it, a later one sends it only if the history does not hold it.
          type: bool
          returned: when it happened
        canceled:
          description: Whether this task canceled this part (O(state=absent)).
          type: bool
          returned: with O(state=absent)
sender:
  description: The sender used, with its type and whether the type was inferred.
  returned: always
  type: dict
  sample: {source_address: FleetOps, source_address_type: alphanumeric, source_address_type_id: 208, inferred: true}
summary:
  description: Counts over all endpoints.
  returned: always
  type: dict
  sample: {endpoints: 2, changed: 1, failed: 0, parts_sent: 2, parts_present: 2, parts_canceled: 0, failed_endpoints: []}
api_usage:
  description: Requests this task made to the emnify API.
  returned: always
  type: dict
  sample: {requests: 4, authentications: 1, retries: 0, status_429: 0, by_method: {GET: 1, POST: 3}}
'''

from ansible_collections.emnify.iot.plugins.module_utils._module import (
    EmnifyModule,
    ModuleInputError,
    check_endpoint_id,
    endpoint_ids,
)
from ansible_collections.emnify.iot.plugins.module_utils._api_ids import ADDRESS_TYPE_IDS
from ansible_collections.emnify.iot.plugins.module_utils._settle import check_settle_time
from ansible_collections.emnify.iot.plugins.module_utils._sms_plan import PlanError, build_message
from ansible_collections.emnify.iot.plugins.module_utils._sms_send import SmsTask


def _diff(messages, hide):
    before, after = {}, {}
    for message in messages:
        key = str(message['endpoint_id'])
        lines_before, lines_after = [], []
        for part in message['parts']:
            label = 'part %d/%d udh=%s sms_id=%s %s' % (part['seq'], part['total'], part['udh'] or '-', part.get('sms_id'),
                                                        (part.get('status') or {}).get('name'))
            if not hide:
                label += ' %r' % part.get('payload')
            if part.get('sent') or (part.get('status') or {}).get('name') == 'planned':
                lines_after.append(label)
            elif part.get('canceled'):
                lines_before.append(label.replace((part.get('status') or {}).get('name') or '', 'pending'))
                lines_after.append(label)
            else:
                lines_before.append(label)
                lines_after.append(label)
        before[key] = lines_before
        after[key] = lines_after
    return dict(before=before, after=after)


def _targets(params):
    """The (endpoint id, text) pairs of the task, from O(endpoint_id) + O(payload) or from O(messages)."""
    if params['messages'] is not None:
        if not params['messages']:
            raise ModuleInputError('messages: give at least one message')
        targets = []
        for index, message in enumerate(params['messages']):
            check_endpoint_id(message['endpoint_id'], 'messages[%d].endpoint_id' % index)
            if any(message['endpoint_id'] == seen for seen, _text in targets):
                raise ModuleInputError('messages[%d].endpoint_id: endpoint %s appears more than once; give each endpoint one message'
                                       % (index, message['endpoint_id']))
            targets.append((message['endpoint_id'], message['payload']))
        return targets
    return [(endpoint_id, params['payload']) for endpoint_id in endpoint_ids(params['endpoint_id'], 'endpoint_id')]


def _specs(params, targets):
    """One MessageSpec per distinct text, checked before any request; returns {endpoint id: spec}."""
    by_text = {}
    specs = {}
    for index, (endpoint_id, text) in enumerate(targets):
        if text not in by_text:
            try:
                by_text[text] = build_message(dict(params, payload=text))
            except PlanError as exc:
                if params['messages'] is None:
                    raise ModuleInputError(str(exc))
                raise ModuleInputError('messages[%d] (endpoint %s): %s' % (index, endpoint_id, exc))
        specs[endpoint_id] = by_text[text]
    return specs


def run(module):
    params = module.params
    targets = _targets(params)
    ids = [endpoint_id for endpoint_id, _text in targets]
    if params['dcs'] is not None and not 0 <= params['dcs'] <= 255:
        raise ModuleInputError('dcs: must be between 0 and 255, got %s' % params['dcs'])
    if not 1 <= params['concurrency'] <= 64:
        raise ModuleInputError('concurrency: must be between 1 and 64, got %s' % params['concurrency'])
    if params['wait_timeout'] <= 0:
        raise ModuleInputError('wait_timeout: must be a positive number of seconds, got %s' % params['wait_timeout'])
    if params['poll_interval'] <= 0:
        raise ModuleInputError('poll_interval: must be a positive number of seconds, got %s' % params['poll_interval'])
    problem = check_settle_time(params['settle_time'])
    if problem:
        raise ModuleInputError(problem)
    if params['state'] == 'absent' and params['wait'] != 'none':
        raise ModuleInputError('wait: only with state=present')
    specs = _specs(params, targets)
    spec = specs[ids[0]]
    task = SmsTask(module.client, spec, check_mode=module.check_mode, force=params['force'],
                   hide_payload=params['hide_payload'], concurrency=params['concurrency'], specs=specs,
                   state=module.state, settle_time=params['settle_time'])
    if params['state'] == 'present':
        messages = task.present(ids)
        if params['wait'] == 'delivered' and not module.check_mode:
            task.wait_delivered(messages, params['wait_timeout'], params['poll_interval'])
    else:
        messages = task.absent(ids)
    for warning in task.warnings:
        module.ansible.warn(warning)
    failed = [message for message in messages if message.get('failed')]
    summary = dict(
        endpoints=len(messages),
        changed=sum(1 for message in messages if message['changed']),
        failed=len(failed),
        failed_endpoints=[message['endpoint_id'] for message in failed],
        parts_sent=sum(1 for message in messages for part in message['parts'] if part.get('sent')),
        parts_present=sum(1 for message in messages for part in message['parts']
                          if not part.get('sent') and (part.get('status') or {}).get('name') not in ('planned', None)),
        parts_canceled=sum(1 for message in messages for part in message['parts'] if part.get('canceled')),
    )
    sender = dict(source_address=spec.sender or None, source_address_type=spec.sender_type,
                  source_address_type_id=ADDRESS_TYPE_IDS.get(spec.sender_type), inferred=spec.sender_type_inferred)
    result = dict(changed=summary['changed'] > 0, messages=messages, summary=summary, sender=sender)
    if module.ansible._diff:
        result['diff'] = _diff(messages, params['hide_payload'])
    if failed:
        details = '; '.join('endpoint %s: %s' % (message['endpoint_id'], message.get('msg')) for message in failed)
        module.fail('%d of %d endpoints failed (each endpoint\'s outcome is in messages): %s'
                    % (len(failed), len(messages), details), **result)
    return result


def _hidden(params):
    """The texts to mask in every output when O(hide_payload=true)."""
    if not params.get('hide_payload'):
        return []
    texts = [params.get('payload')] + [message.get('payload') for message in params.get('messages') or [] if isinstance(message, dict)]
    return [text for text in texts if text]


def main():
    module = EmnifyModule(
        argument_spec=dict(
            endpoint_id=dict(type='list', elements='int', aliases=['endpoint_ids']),
            payload=dict(type='str'),
            messages=dict(type='list', elements='dict', options=dict(
                endpoint_id=dict(type='int', required=True),
                payload=dict(type='str', required=True),
            )),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            source_address=dict(type='str'),
            source_address_type=dict(type='raw'),
            dest_address=dict(type='str'),
            expiry_date=dict(type='str'),
            validity=dict(type='str'),
            encoding=dict(type='str', choices=['auto', 'gsm7', 'ucs2'], default='auto'),
            dcs=dict(type='int'),
            udh=dict(type='str'),
            max_parts=dict(type='int', default=10),
            reference_bits=dict(type='int', choices=[8, 16], default=8),
            force=dict(type='bool', default=False),
            since=dict(type='str'),
            wait=dict(type='str', choices=['none', 'delivered'], default='none'),
            wait_timeout=dict(type='int', default=300),
            poll_interval=dict(type='float', default=2),
            settle_time=dict(type='float', default=5),
            concurrency=dict(type='int', default=4),
            hide_payload=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('expiry_date', 'validity'), ('messages', 'endpoint_id'), ('messages', 'payload')],
        required_one_of=[('endpoint_id', 'messages')],
        required_together=[('endpoint_id', 'payload')],
        pool_size=16,
        hidden_values=_hidden,
    )
    module.run(run)


if __name__ == '__main__':
    main()
