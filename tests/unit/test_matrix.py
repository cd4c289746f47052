# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What README.md, meta/runtime.yml and tests/config.yml say about supported versions is the tested matrix.

hack/matrix.mk is what `make test` runs: the ansible-core releases, the controller Python of each, the releases
that run the integration tests, and the target Pythons the module code is compiled for.
"""

from __future__ import (absolute_import, division, print_function)

__metaclass__ = type

import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return handle.read()


def _matrix():
    values = dict(re.findall(r'^([A-Z_0-9.]+) *:= *(.*)$', _read('hack', 'matrix.mk'), re.MULTILINE))
    cores = values['CORES'].split()
    return dict(cores=cores, python=dict((core, values['PYTHON_' + core]) for core in cores),
                integration=values['INTEGRATION_CORES'].split(), targets=values['TARGET_PYTHONS'].split())


def _key(version):
    return tuple(int(part) for part in version.split('.'))


MATRIX = _matrix()


def test_matrix_is_ordered_and_complete():
    cores = MATRIX['cores']
    assert cores == sorted(cores, key=_key) and len(set(cores)) == len(cores)
    assert MATRIX['integration'] == [cores[0], cores[-1]]
    for core in cores:
        pinned = _read('hack', 'requirements', 'ansible-core-%s.txt' % core).strip().splitlines()
        assert [line for line in pinned if not line.startswith('#')][0].startswith('ansible-core==%s.' % core)


def test_readme_lists_the_tested_versions():
    readme = _read('README.md')
    rows = re.findall(r'^\| (2\.\d+) \| (3\.\d+) \| ([a-z, ]+) \|$', readme, re.MULTILINE)
    expected = [(core, MATRIX['python'][core],
                 'sanity, unit, integration' if core in MATRIX['integration'] else 'sanity, unit')
                for core in MATRIX['cores']]
    assert rows == expected
    targets = ', '.join(MATRIX['targets'][:-1]) + ' and ' + MATRIX['targets'][-1]
    assert 'compiled for target Python %s' % targets in readme.replace('\n', ' ')
    assert "requires_ansible: '%s'" % _requires_ansible() in readme


def _requires_ansible():
    return yaml.safe_load(_read('meta', 'runtime.yml'))['requires_ansible']


def test_requires_ansible_is_the_tested_range():
    oldest, newest = MATRIX['cores'][0], MATRIX['cores'][-1]
    major, minor = _key(newest)
    assert _requires_ansible() == '>=%s.0,<%d.%d.0' % (oldest, major, minor + 1)


def test_module_code_supports_the_target_pythons():
    config = yaml.safe_load(_read('tests', 'config.yml'))
    assert config['modules']['python_requires'] == '>=%s' % MATRIX['targets'][0]
    assert MATRIX['targets'] == sorted(MATRIX['targets'], key=_key)
