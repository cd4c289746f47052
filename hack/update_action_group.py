# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rewrite the ``emnify`` action group in meta/runtime.yml from the modules in plugins/modules.

The group lets a playbook set connection options once, under ``module_defaults: group/emnify.iot.emnify``;
it holds every module that takes them (whose documentation uses the ``emnify.iot.connection`` fragment).
tests/unit/test_action_group.py fails when the group and the module files disagree; run
``make action-group`` after adding or removing a module.
"""

from __future__ import annotations

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNTIME = os.path.join(ROOT, 'meta', 'runtime.yml')
MODULES = os.path.join(ROOT, 'plugins', 'modules')


def module_names() -> list[str]:
    if not os.path.isdir(MODULES):
        return []
    return sorted(
        name[:-3] for name in os.listdir(MODULES)
        if name.endswith('.py') and not name.startswith('_') and name != '__init__.py' and _connects(name)
    )


def _connects(name: str) -> bool:
    with open(os.path.join(MODULES, name), encoding='utf-8') as handle:
        return '- emnify.iot.connection' in handle.read()


def render(names: list[str], head: str = "---\nrequires_ansible: '>=2.16.0'\n") -> str:
    group = ''.join(f'    - {name}\n' for name in names) if names else '    []\n'
    return (
        head +
        'action_groups:\n'
        '  # The modules that take the connection options, kept by hack/update_action_group.py (make action-group).\n'
        '  emnify:\n'
        f'{group}'
    )


def main() -> int:
    names = module_names()
    text = render(names)
    if os.path.exists(RUNTIME):
        with open(RUNTIME, encoding='utf-8') as handle:
            current = handle.read()
        # Keep what comes before the action group as it is (requires_ansible and its comment).
        head = current.split('\naction_groups:', 1)[0] + '\n' if '\naction_groups:' in current else ''
        if 'requires_ansible:' in head:
            text = render(names, head)
        # Keep any other top-level keys (plugin_routing, ...) that follow the action group.
        rest = re.split(r'^(?=[a-z_]+:)', current, flags=re.M)
        extra = ''.join(part for part in rest if part and not part.startswith(
            ('---', 'requires_ansible:', 'action_groups:')))
        text += ('\n' + extra.lstrip('\n')) if extra.strip() else ''
    with open(RUNTIME, 'w', encoding='utf-8') as handle:
        handle.write(text)
    print(f'meta/runtime.yml: action group emnify = {names}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
