# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout definition: defaults applied, mistakes named before anything is sent."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout_plan

DEFAULTS = {'source_address': None, 'source_address_type': None, 'encoding': 'auto', 'validity': None, 'max_parts': 10,
            'wait': 'delivered', 'wait_timeout': 300}


def _define(commands, devices=({'id': 1},), lookup=True, **defaults):
    return _rollout_plan.definition(commands, dict(DEFAULTS, **defaults), list(devices), lookup)


def test_defaults_apply_and_templates_stay_unrendered():
    commands, problems = _define([{'payload': 'APN,{{ device.vars.apn }}'}, {'name': 'Ask', 'payload': 'Q', 'wait': 'reply', 'timeout': '60'}],
                                 validity='1h')
    assert problems == []
    assert commands[0]['label'] == 'command 1' and commands[0]['wait'] == 'delivered' and commands[0]['timeout'] == 300
    assert commands[0]['payload'] == 'APN,{{ device.vars.apn }}' and commands[0]['validity'] == '1h'
    assert commands[1]['label'] == 'Ask' and commands[1]['timeout'] == 60 and commands[1]['reply_pattern'] is None


def test_an_empty_command_list_is_refused():
    assert _define([]) == ([], ['sms_provisioning_commands: must be a list of at least one command, got an empty list'])
    assert _define(None)[1] == ['sms_provisioning_commands: must be a list of at least one command, got NoneType']


def test_each_mistake_names_the_command_and_the_rule():
    _commands, problems = _define([
        {'payload': ''},
        {'name': 'Ask', 'payload': 'Q', 'wait': 'reply', 'source_address': 'FleetOps'},
        {'name': 'Pattern', 'payload': 'P', 'reply_pattern': '^OK', 'wait': 'none'},
        {'name': 'Bad', 'payload': 'P', 'wait': 'reply', 'reply_pattern': '(', 'timeout': 0, 'max_parts': 300, 'paylod': 'x'},
        {'name': 'Ask', 'payload': 'again', 'encoding': 'latin1'},
    ], devices=[{'name': 'x'}], lookup=False)
    assert problems[0] == 'command 1: payload must not be empty'
    assert problems[1] == 'Ask: waits for a reply, but its sender FleetOps is alphanumeric and a device cannot answer it'
    assert problems[2] == 'Pattern: reply_pattern is only used with wait=reply (wait is none)'
    assert problems[3].startswith("sms_provisioning_commands[3]: unknown option paylod")
    assert problems[4].startswith('Bad: reply_pattern is not a regular expression')
    assert problems[5:7] == ['Bad: timeout must be a positive number of seconds', 'Bad: max_parts must be between 1 and 255']
    assert problems[7] == "Ask: encoding must be one of auto, gsm7, ucs2, got 'latin1'"
    assert problems[8] == 'command names must be unique: command 1, Ask, Pattern, Bad, Ask'
    assert problems[9] == 'sms_provisioning_lookup=false needs every device given by id (1 are not)'


def test_a_numeric_sender_may_wait_for_a_reply():
    assert _define([{'payload': 'Q', 'wait': 'reply'}], source_address='4915112345678')[1] == []
    assert _define([{'payload': 'Q', 'wait': 'reply'}], source_address='12345', source_address_type='alphanumeric')[1] != []


def test_settings_out_of_range():
    assert _rollout_plan.setting_problems(101, 0, 65) == ['sms_provisioning_max_fail_percentage must be between 0 and 100',
                                                          'sms_provisioning_poll_interval must be positive',
                                                          'sms_provisioning_concurrency must be between 1 and 64']
    assert _rollout_plan.setting_problems(0, 0.5, 1) == []
