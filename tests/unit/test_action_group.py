# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``emnify`` action group in meta/runtime.yml lists exactly the modules that take the connection options."""

from __future__ import (absolute_import, division, print_function)

__metaclass__ = type

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _runtime():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        return yaml.safe_load(handle)


def _modules():
    directory = os.path.join(ROOT, 'plugins', 'modules')
    if not os.path.isdir(directory):
        return set()
    names = set()
    for name in os.listdir(directory):
        if name.endswith('.py') and not name.startswith('_') and name != '__init__.py':
            with open(os.path.join(directory, name)) as handle:
                if '- emnify.iot.connection' in handle.read():
                    names.add(name[:-3])
    return names


def test_action_group_lists_every_module():
    group = _runtime()['action_groups']['emnify'] or []
    assert sorted(group) == sorted(_modules()), (
        'meta/runtime.yml action group emnify differs from the modules with the connection options; run: make action-group'
    )


def test_action_group_has_no_duplicates():
    group = _runtime()['action_groups']['emnify'] or []
    assert len(group) == len(set(group))
