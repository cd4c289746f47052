# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module code runs in a module process, never in the controller.

ansible-core 2.19 sends module warnings to the controller's display once any controller code has been
imported in the same process (the filter plugin tests import some); module tests must see them in the result.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

try:
    from ansible.module_utils import _internal
except ImportError:  # ansible-core before 2.19
    _internal = None


@pytest.fixture(autouse=True)
def module_process(monkeypatch):
    if _internal is not None and hasattr(_internal, 'is_controller'):
        monkeypatch.setattr(_internal, 'is_controller', False)
