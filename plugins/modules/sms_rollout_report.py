#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
module: sms_rollout_report
short_description: Write the report of an sms_provisioning rollout, or the merge of its slices' reports, as JSON, JUnit XML and Markdown
version_added: 0.1.0
description:
  - Writes the report that the P(emnify.iot.sms_provisioning#role) role builds (its C(sms_provisioning_result) fact) to
    one file per format in one task, each written atomically. A file whose content is already the same is left alone.
  - The JUnit XML file has a test suite for the device checks and one per command, with one test case per device, so a
    CI server (GitLab, Jenkins, AWX) shows each device's result.
  - The role calls this module; use it yourself to write a report again from a saved JSON report.
  - With O(reports), it merges the reports of the slices of one rollout (the same commands run by several jobs on parts
    of the devices, for instance the slices of an AWX sliced job) into one report whose totals are those of a single run.
  - Makes no API request and takes no connection options, so it is not in the C(emnify.iot.emnify) action group.
author:
  - emnify.iot maintainers (@emnify)
options:
  report:
    description:
      - The report data, as the role's C(sms_provisioning_result) fact or its JSON file.
      - Exactly one of O(report) and O(reports) is required.
    type: dict
  reports:
    description:
      - The reports of the slices of one rollout, in slice order, to merge into one report. Each item is a report (a
        dict, such as a slice's C(sms_provisioning_result) passed on with C(ansible.builtin.set_stats)) or the path of
        a slice's JSON report on the host the module runs on.
      - The merged report adds up the counts of the slices, takes the most serious outcome of any slice
        (C(halted), then C(stopped), then C(completed_with_failures)), runs from the first start to the last finish,
        and lists the devices interleaved in slice order (the first device of slice 1, of slice 2, ..., then the
        second of each), which is the order of the device list that was split as C(hosts[k::N]), as AWX job slicing
        splits hosts sorted by name. It adds C(slices), one entry per slice with its name, outcome and device count.
      - The reports must come from the same rollout (the same commands, all in check mode or none); otherwise the
        task fails, naming the slice, and writes nothing.
    type: list
    elements: raw
  path:
    description: The directory to write to. It is created (mode C(0750)) when missing.
    type: path
    required: true
  name:
    description: The file name without extension; the files are C(NAME.json), C(NAME.junit.xml) and C(NAME.md).
    type: str
    default: sms-provisioning
  formats:
    description: The files to write.
    type: list
    elements: str
    choices: [json, junit, markdown]
    default: [json, junit, markdown]
  mode:
    description: The mode of the files, in octal.
    type: str
    default: '0640'
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - In check mode nothing is written; RV(written) lists the files that would change. The role runs this task with
        C(check_mode=false), so a plan is written too.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: none
notes:
  - The report never holds the application token. It holds payloads only when the role ran with
    C(sms_provisioning_no_log=false).
seealso:
  - name: The sms_provisioning role
    description: The role that builds the report.
    link: https://github.com/emnify/ansible-collection-iot/blob/main/docs/role-sms_provisioning.md
'''

EXAMPLES = r'''
- name: Merge the reports the three slices of a rollout wrote into one report
  emnify.iot.sms_rollout_report:
    reports:
      - reports/sms-provisioning-slice1.json
      - reports/sms-provisioning-slice2.json
      - reports/sms-provisioning-slice3.json
    path: reports
    name: sms-provisioning
- name: Write the JUnit file of a saved report again
  emnify.iot.sms_rollout_report:
    report: "{{ lookup('ansible.builtin.file', 'reports/sms-provisioning.json') | from_json }}"
    path: reports/again
    formats: [junit]
'''

RETURN = r'''
files:
  description: The path of each file, by format.
  returned: always
  type: dict
  sample: {"json": "/srv/reports/sms-provisioning.json", "junit": "/srv/reports/sms-provisioning.junit.xml"}
written:
  description: The formats whose file was written (or would be, in check mode) because its content changed.
  returned: always
  type: list
  elements: str
  sample: [json, junit, markdown]
outcome:
  description: The outcome of the merged rollout.
  returned: when O(reports) is given
  type: str
  sample: completed_with_failures
summary:
  description: The C(summary) of the merged report (the slices' counts added up).
  returned: when O(reports) is given
  type: dict
  sample: {"devices": 300, "succeeded": 297, "failed": 3, "stopped": 0, "parts_sent": 600}
slices:
  description: One entry per merged slice, in slice order.
  returned: when O(reports) is given
  type: list
  elements: dict
  sample: [{"name": "reports/sms-provisioning-slice1.json", "outcome": "succeeded", "devices": 100,
            "started_at": "2026-12-06T10:00:00Z", "finished_at": "2026-12-06T10:04:10Z"}]
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.emnify.iot.plugins.module_utils._rollout_report import (
    FORMATS, MergeError, merge, write_files)


def _load_slices(module, items):
    """The slices' reports and their names: each item is a report or the path of a JSON report."""
    reports, names = [], []
    for number, item in enumerate(items, 1):
        if isinstance(item, dict):
            reports.append(item)
            names.append('slice %d' % number)
            continue
        if not isinstance(item, str):
            module.fail_json(msg='reports: item %d must be a report (a dict) or the path of a JSON report, got %s'
                                 % (number, type(item).__name__))
        try:
            with open(item, 'rb') as handle:
                reports.append(json.loads(handle.read().decode('utf-8')))
        except (IOError, OSError) as exc:
            module.fail_json(msg='reports: cannot read %s: %s' % (item, exc.strerror or exc))
        except ValueError as exc:
            module.fail_json(msg='reports: %s is not a JSON document: %s' % (item, exc))
        names.append(item)
    return reports, names


def main():
    module = AnsibleModule(
        argument_spec=dict(
            report=dict(type='dict'),
            reports=dict(type='list', elements='raw'),
            path=dict(type='path', required=True),
            name=dict(type='str', default='sms-provisioning'),
            formats=dict(type='list', elements='str', choices=sorted(FORMATS), default=['json', 'junit', 'markdown']),
            mode=dict(type='str', default='0640'),
        ),
        mutually_exclusive=[('report', 'reports')],
        required_one_of=[('report', 'reports')],
        supports_check_mode=True,
    )
    params = module.params
    report, merged = params['report'], {}
    if params['reports'] is not None:
        if not params['reports']:
            module.fail_json(msg='reports: give the report of at least one slice')
        reports, names = _load_slices(module, params['reports'])
        try:
            report = merge(reports, names)
        except MergeError as exc:
            module.fail_json(msg='reports: %s' % exc)
        merged = dict(outcome=report['outcome'], summary=report['summary'], slices=report['slices'])
    try:
        mode = int(params['mode'], 8)
        if not 0 <= mode <= 0o7777:
            raise ValueError()
    except ValueError:
        module.fail_json(msg='mode: must be an octal file mode such as 0640, got %r' % params['mode'])
    name = params['name']
    if not name or os.sep in name or name in ('.', '..'):
        module.fail_json(msg='name: must be a plain file name without a directory, got %r' % name)
    directory = params['path']
    files = dict((fmt, os.path.join(directory, name + FORMATS[fmt])) for fmt in params['formats'])
    try:
        files, written = write_files(report, directory, name, params['formats'], mode, check=module.check_mode)
    except ValueError as exc:
        module.fail_json(msg='%s: %s' % ('report' if params['reports'] is None else 'reports', exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='path: cannot write the report to %s: %s' % (directory, exc), files=files)
    # The report can hold thousands of devices: do not echo it (or the slices' reports) back as the task's invocation.
    module.exit_json(changed=bool(written), files=files, written=written,
                     invocation={'module_args': dict((key, value) for key, value in params.items() if key not in ('report', 'reports'))},
                     **merged)


if __name__ == '__main__':
    main()
