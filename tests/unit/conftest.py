# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property-based tests draw the same examples on every run, so a failure reproduces and CI results do not vary."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from hypothesis import settings

settings.register_profile('emnify-iot', derandomize=True, database=None, print_blob=True)
settings.load_profile('emnify-iot')
