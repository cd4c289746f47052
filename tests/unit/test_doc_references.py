# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation of modules, plugins and roles parses, and points only to files that exist, by their path.

ansible-doc and the documentation site show these texts without the repository around them, so "see the README"
does not tell a reader which README; a path such as roles/sms_provisioning/README.md does, and it must exist.
"""

from __future__ import (absolute_import, division, print_function)

__metaclass__ = type

import ast
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPOSITORY_URL = 'https://github.com/emnify/ansible-collection-iot/blob/main/'
PATH = re.compile(r'(?<![\w./-])((?:docs|roles|plugins|playbooks|meta|tests)/[\w./-]*\w)')
UNNAMED = re.compile(r'\bthe README\b(?!\.md)', re.IGNORECASE)


def _strings(data):
    if isinstance(data, dict):
        data = list(data.values())
    if isinstance(data, list):
        for value in data:
            yield from _strings(value)
    elif isinstance(data, str):
        yield data


def _plugin_docs(path):
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                    yield yaml.safe_load(item.value.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            if any(getattr(target, 'id', None) in ('DOCUMENTATION', 'EXAMPLES', 'RETURN') for target in node.targets):
                yield yaml.safe_load(node.value.value)


def _documents():
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', '*', '*.py'))
                       + glob.glob(os.path.join(ROOT, 'extensions', 'eda', 'plugins', '*', '*.py'))):
        if os.sep + 'module_utils' + os.sep in path or os.sep + 'plugin_utils' + os.sep in path:
            continue
        for data in _plugin_docs(path):
            yield os.path.relpath(path, ROOT), data
    for path in sorted(glob.glob(os.path.join(ROOT, 'plugins', '*', '*.yml'))
                       + glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml'))):
        with open(path) as handle:
            yield os.path.relpath(path, ROOT), yaml.safe_load(handle)


DOCUMENTS = list(_documents())


def test_documents_are_found():
    names = [name for name, dummy in DOCUMENTS]
    assert 'plugins/modules/emnify_sms.py' in names and 'roles/sms_provisioning/meta/argument_specs.yml' in names


@pytest.mark.parametrize('name,data', DOCUMENTS, ids=[name for name, dummy in DOCUMENTS])
def test_references_name_existing_files(name, data):
    problems = []
    for text in _strings(data):
        if UNNAMED.search(text):
            problems.append('says "the README" without naming the file: %r' % text[:120])
        for path in PATH.findall(text.replace(REPOSITORY_URL, '')):
            if not os.path.exists(os.path.join(ROOT, path.split('#')[0])):
                problems.append('refers to %s, which does not exist' % path)
    assert not problems, '%s: %s' % (name, '; '.join(problems))
