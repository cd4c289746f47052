# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""python3 -m emnify_sim: run the emnify API simulator (see cli.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import sys

from .cli import main

sys.exit(main())
