# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
name: sms_rollout
short_description: Advance the state of an sms_provisioning rollout (internal to the role)
version_added: 0.1.0
description:
  - The steps of the M(emnify.iot.emnify_sms)-based rollout that the P(emnify.iot.sms_provisioning#role) role runs on the
    controller, written in Python so that a rollout to thousands of devices does not spend its time in Jinja loops.
  - Each step takes the rollout state (or, for O(step=resolve), the device list) and a module result, and returns the new
    state or a value derived from it.
  - Preflight outside check mode (O(step=plan)) splits each distinct message with the same code as
    M(emnify.iot.emnify_sms), so it refuses exactly what the module would refuse, without an API request.
  - The structure of the state is internal to the role and may change in any release. Use the role; do not build on
    this filter.
author:
  - emnify.iot maintainers
options:
  _input:
    description:
      - The rollout state, or the role's device list for O(step=resolve), or the role's commands for
        O(step=templated).
    type: raw
    required: true
  step:
    description:
      - V(resolve) builds the state from the device list and the O(lookup) result of M(emnify.iot.emnify_endpoint_info);
        with O(commands) (the role's raw commands) and no template in them, every device gets their payloads as they are,
        and with O(plan_commands) too they are planned as by V(plan) in the same step.
      - V(templated) says whether any payload or reply pattern of the commands holds a Jinja template.
      - V(render_input) lists what the payload templates see per device (with the O(lookup) result); V(rendered) adds
        their rendered output (O(rendered)).
      - V(groups) groups the pending devices by payload for the commands O(indexes); V(messages) lists the
        C(messages) of M(emnify.iot.emnify_sms) for command O(index).
      - V(plan) plans every message on the controller; V(checked_plan) records check-mode results (O(result), a
        looped task's result).
      - V(sent) records the send O(result) of O(command); V(waiting) lists the endpoint ids still waiting for
        command O(index); V(polled) settles them from an M(emnify.iot.emnify_sms_info) O(result).
      - V(report) builds the report.
    type: str
    required: true
    choices: [resolve, templated, render_input, rendered, groups, messages, plan, checked_plan, sent, waiting,
              polled, report]
  lookup:
    description: The result of M(emnify.iot.emnify_endpoint_info) (O(step=resolve), O(step=render_input)).
    type: dict
  max_fail_percentage:
    description: The failure threshold in percent of the devices (O(step=resolve)).
    type: float
    default: 100
  commands:
    description:
      - The role's raw commands (O(step=resolve)) or its normalised commands (O(step=plan),
        O(step=checked_plan), O(step=report)).
    type: list
    elements: dict
  plan_commands:
    description: The role's normalised commands, to plan plain payloads at once (O(step=resolve)).
    type: list
    elements: dict
  devices:
    description: The role's device list (O(step=render_input)).
    type: list
    elements: dict
  rendered:
    description: The rendered payloads and reply patterns per device key (O(step=rendered)).
    type: dict
  indexes:
    description: Command indexes (O(step=groups)).
    type: list
    elements: int
  index:
    description: One command index (O(step=messages), O(step=waiting)).
    type: int
  command:
    description: One normalised command (O(step=sent), O(step=polled)).
    type: dict
  result:
    description: A registered module result (O(step=checked_plan), O(step=sent), O(step=polled)).
    type: raw
  since:
    description: The role's C(sms_provisioning_since) (O(step=plan), O(step=resolve)).
    type: str
  no_log:
    description: Leave payloads out of the results and the report.
    type: bool
    default: true
  started_at:
    description: When the send or the rollout started, ISO 8601 (O(step=sent), O(step=report)).
    type: str
  started_ts:
    description: When the rollout started, POSIX seconds (O(step=report)).
    type: float
  deadline:
    description: When waiting for the command ends, POSIX seconds (O(step=polled)).
    type: float
  check:
    description: Whether the rollout is a plan only (O(step=report)).
    type: bool
    default: false
  title:
    description: The report title (O(step=report)).
    type: str
  api_url:
    description: The API URL for the report; credentials in it are removed (O(step=report)).
    type: str
'''

EXAMPLES = r'''
- name: The role uses the filter like this; use the role instead
  ansible.builtin.set_fact:
    rollout_state: "{{ devices | emnify.iot.sms_rollout('resolve', lookup=lookup_result) }}"
'''

RETURN = r'''
_value:
  description: The new rollout state, or for O(step=templated), O(step=render_input), O(step=groups),
    O(step=messages), O(step=waiting) and O(step=report) the value that step derives from it.
  type: raw
'''

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import wrap_var

try:
    from ansible.template import trust_as_template  # noqa: F401 pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19 templates a filter's output again unless it is marked unsafe
    MARK_UNSAFE = True
else:  # ansible-core 2.19 and later never template a filter's output again
    MARK_UNSAFE = False

from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout


def _steps():
    return {
        'resolve': lambda data, kw: _rollout.resolve(data, kw.get('lookup'), kw.get('max_fail_percentage', 100), kw.get('commands'),
                                                     kw.get('plan_commands'), kw.get('since'), kw.get('no_log', True)),
        'templated': lambda data, kw: _rollout.is_templated(data),
        'render_input': lambda data, kw: _rollout.render_input(data, kw['devices'], kw.get('lookup')),
        'rendered': lambda data, kw: _rollout.with_rendered(data, kw['rendered']),
        'groups': lambda data, kw: _rollout.groups(data, kw['indexes']),
        'messages': lambda data, kw: _rollout.messages(data, int(kw['index'])),
        'plan': lambda data, kw: _rollout.plan(data, kw['commands'], kw.get('since'), kw.get('no_log', True)),
        'checked_plan': lambda data, kw: _rollout.checked_plan(data, kw['commands'], (kw.get('result') or {}).get('results'),
                                                               kw.get('no_log', True)),
        'sent': lambda data, kw: _rollout.sent(data, kw['command'], kw.get('result'), kw.get('started_at')),
        'waiting': lambda data, kw: _rollout.waiting_ids(data, int(kw['index'])),
        'polled': lambda data, kw: _rollout.polled(data, kw['command'], kw.get('result'), kw['deadline']),
        'report': lambda data, kw: _rollout.report(data, kw['commands'], kw.get('check', False), kw.get('title'),
                                                   kw.get('started_at'), kw.get('started_ts'), kw.get('api_url'),
                                                   kw.get('no_log', True)),
    }


def sms_rollout(data, step, **kwargs):
    """Run one step of the rollout; see DOCUMENTATION."""
    steps = _steps()
    if step not in steps:
        raise AnsibleFilterError('sms_rollout: step must be one of %s, got %r' % (', '.join(sorted(steps)), step))
    try:
        value = steps[step](data, kwargs)
        return wrap_var(value) if MARK_UNSAFE else value
    except KeyError as exc:
        raise AnsibleFilterError('sms_rollout(%s): missing %s' % (step, exc))
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise AnsibleFilterError('sms_rollout(%s): %s' % (step, exc))


class FilterModule(object):
    """The sms_rollout filter."""

    def filters(self):
        return {'sms_rollout': sms_rollout}
