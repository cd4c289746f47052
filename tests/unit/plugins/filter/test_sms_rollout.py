# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sms_rollout filter dispatches to the rollout steps and turns bad calls into filter errors."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.emnify.iot.plugins.filter.sms_rollout import FilterModule, sms_rollout


def test_the_filter_is_registered():
    assert FilterModule().filters() == {'sms_rollout': sms_rollout}


def test_resolve_then_messages():
    lookup = {'lookups': [{'field': 'id', 'value': '7', 'endpoint_ids': [7]}],
              'endpoints': [{'id': 7, 'name': 'a', 'sms_ready': True, 'status': {'name': 'enabled'}}]}
    state = sms_rollout([{'id': 7}], 'resolve', lookup=lookup, max_fail_percentage=50.0, commands=[{'payload': 'PING'}])
    assert sms_rollout(state, 'messages', index=0) == [{'endpoint_id': 7, 'payload': 'PING'}]
    assert sms_rollout([{'payload': '{{ x }}'}], 'templated') is True


def test_unknown_steps_and_missing_arguments_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='step must be one of'):
        sms_rollout({}, 'launch')
    with pytest.raises(AnsibleFilterError, match=r"sms_rollout\(plan\): missing 'commands'"):
        sms_rollout({}, 'plan')
