# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""emnify API simulator: a local stand-in for the emnify REST API with a seeded fleet of devices.

Run it with `python3 -m emnify_sim` from the directory that holds this package (the collection's root);
docs/simulator.md describes it. Standard library only, Python 3.8 or later.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type
