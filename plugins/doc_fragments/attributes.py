# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Attributes shared by the modules of the collection."""

    # Every module belongs to the action group.
    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/emnify.iot.emnify) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - emnify.iot.emnify
'''

    # Modules that only read.
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - This module only reads from the emnify API, so it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: N/A
    details:
      - This module never changes anything.
'''
