#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: sms_rollout
short_description: Roll provisioning commands out to many devices by SMS, in order, from the controller
version_added: 0.1.0
description:
  - The engine of the P(emnify.iot.sms_provisioning#role) role, an action plugin that runs on the controller. Use the
    role; its variables are this plugin's options with the prefix C(sms_provisioning_).
  - Resolves every device with one M(emnify.iot.emnify_endpoint_info) run, renders each command's payload and reply
    pattern per device, checks every message before anything is sent, sends each command to every device still
    healthy with M(emnify.iot.emnify_sms) (O(emnify.iot.emnify_sms#module:messages)), waits with
    M(emnify.iot.emnify_sms_info), and builds the report. The modules are the only code that talks to the API.
  - Sends and reads go in module runs sized to what the request window lets go within about 15 seconds, read from the
    request ledger the modules share on the controller (or, when they run on another host, from the rollout's own count
    of requests); when the window lets nothing go, the rollout waits on the controller and prints how long.
  - Prints a forecast (SMS parts by encoding, API requests, time at the rate limit, cost) before it sends, a
    progress line at most every 5 seconds, and at least every 20 seconds while it sends or waits, and the summary
    (RV(summary)) at the end.
  - Sets the fact C(sms_provisioning_result), the report (RV(ansible_facts.sms_provisioning_result)); the report is
    returned only there, once, because every copy of it in a task's result makes later tasks slower on large fleets.
author:
  - emnify.iot maintainers (@emnify)
options:
  devices:
    description: The devices, as the role's C(sms_provisioning_devices).
    type: list
    elements: dict
    required: true
  commands:
    description:
      - The commands, as the role's C(sms_provisioning_commands). Ansible renders these before the plugin sees them,
        so a payload that refers to C(device) or C(endpoint) must be marked C(!unsafe) here; O(commands_var) avoids that.
      - Exactly one of O(commands) and O(commands_var) is required.
    type: list
    elements: raw
  commands_var:
    description:
      - >-
        The name of the variable that holds the commands. The plugin reads it unrendered, so a payload written plainly,
        C(payload: "APN,{{ device.vars.apn }}"), is rendered per device. A variable whose value only names another
        variable (C("{{ my_commands }}")) is followed.
    type: str
  source_address:
    description: The default sender of the commands.
    type: str
  source_address_type:
    description: The default type of the sender.
    type: str
  encoding:
    description: The default encoding of the commands.
    type: str
    choices: [auto, gsm7, ucs2]
    default: auto
  validity:
    description: The default validity of each SMS, for example V(1h).
    type: str
  max_parts:
    description: The default most parts a payload may need.
    type: int
    default: 10
  wait:
    description: The default wait condition of a command.
    type: str
    choices: [none, delivered, reply]
    default: delivered
  wait_timeout:
    description: The default seconds to wait for a command's condition.
    type: int
    default: 300
  poll_interval:
    description: The first interval in seconds between two reads of the SMS history; it grows by half each round, up to 30.
    type: float
    default: 2
  concurrency:
    description: How many devices each module run works on at the same time.
    type: int
    default: 4
  since:
    description: Count an SMS of a device's history only when it was submitted after this moment (ISO 8601 or an age such as V(30d)).
    type: str
  lookup:
    description: Look the devices up before anything is sent; V(false) trusts the ids of the device list.
    type: bool
    default: true
  max_fail_percentage:
    description: Stop the rollout when more than this percentage of the devices has failed.
    type: float
    default: 100
  fail_on_device_errors:
    description: Whether a failed device makes RV(failure_message) non-empty.
    type: bool
    default: true
  hide_payload:
    description: Keep payloads out of the report and the output.
    type: bool
    default: true
  plan_only:
    description: Only plan, as in check mode.
    type: bool
    default: false
  waves:
    description:
      - Split the devices, in list order, into consecutive waves. Each entry is the cumulative number of devices reached
        by the end of that wave, a count or a percentage of all devices (V("10%")); the last is normally V("100%").
        Devices after the last entry are sent nothing.
      - Each wave runs every command before the next starts. Without it, one wave of all devices.
    type: list
    elements: raw
  wave_pause:
    description: Seconds to pause between two waves.
    type: float
    default: 0
  halt_failure_percentage:
    description:
      - Halt the rollout when more than this percentage of a wave's devices has failed (once at least
        O(halt_min_devices) of them failed or finished); later waves are sent nothing and the report says V(halted).
    type: float
    default: 100
  halt_min_devices:
    description: How many devices of a wave must have failed or finished before the wave can halt the rollout.
    type: int
    default: 1
  price_per_part:
    description: The price of one SMS part, for the cost in the forecast.
    type: float
  budget:
    description:
      - Limits the forecast must keep, a dict with C(parts) and/or C(requests). A forecast over either fails the
        rollout in its preflight, with nothing sent and a message naming what was exceeded.
    type: dict
  report_dir:
    description:
      - The directory of the report files on the controller (relative to the current directory), created when missing;
        none are written without it. They are written in check mode too, so a pipeline can publish the plan.
    type: str
  report_name:
    description: The base name of the report files.
    type: str
    default: sms-provisioning
  report_slice:
    description:
      - The name of this run's slice, when a rollout runs in parts side by side; the report files are then named
        C(NAME-SLICE.json) and so on. Letters, digits, C(.), C(_) and C(-) only.
    type: str
  title:
    description: The title of the report and the summary.
    type: str
    default: SMS provisioning
extends_documentation_fragment:
  - emnify.iot.connection
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - In check mode (or with O(plan_only)) the plugin reads the devices and their SMS history and reports the plan; it
        sends nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: none
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
notes:
  - The task does not fail when devices fail or the definition has mistakes (nothing is sent then); it prints the
    summary and returns RV(failure_message), and the role's next task fails with it. A task that fails sets no facts,
    so this way the fact is there for a C(rescue) or a later play.
seealso:
  - name: The sms_provisioning role
    description: The role that runs this plugin.
    link: https://github.com/emnify/ansible-collection-iot/blob/main/docs/role-sms_provisioning.md
'''

EXAMPLES = r'''
- name: The role runs the engine like this; use the role instead
  emnify.iot.sms_rollout:
    devices: [{name: tracker-0001, vars: {apn: iot.example.net}}]
    commands_var: my_commands
    report_dir: reports/wave-1
  vars:
    my_commands:
      - name: Set the APN
        payload: "APN,{{ device.vars.apn }}"
'''

RETURN = r'''
ansible_facts:
  description: The fact the rollout sets.
  returned: always
  type: dict
  contains:
    sms_provisioning_result:
      description:
        - The whole rollout as data, the content of the JSON report (empty when the definition had mistakes).
        - Its C(outcome) is V(planned), V(succeeded), V(completed_with_failures), V(stopped) or V(halted); C(halted_wave)
          names the wave that halted; C(forecast) holds C(parts), C(parts_by_encoding), C(requests), C(requests_by_kind),
          C(seconds) and C(cost) (with O(price_per_part)); each of C(devices) has C(facts), the named groups its replies
          matched.
      returned: always
      type: dict
summary:
  description: The summary lines, printed at the end of the task.
  returned: always
  type: list
  elements: str
failure_message:
  description: Why the role fails (the rollout stopped, devices failed, or the definition had mistakes), or null.
  returned: always
  type: str
report_files:
  description: The path of each report file, by format.
  returned: when report_dir is set
  type: dict
'''
