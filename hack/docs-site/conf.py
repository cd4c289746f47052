# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sphinx settings of the documentation site (built by hack/docs_site.py, `make docs`).

The reference pages come from antsibull-docs (reStructuredText), the guides are the repository's Markdown files,
rendered by MyST. The site builds offline: no intersphinx inventories are fetched.
"""

project = 'emnify.iot'
copyright = 'Contributors to the emnify.iot collection'  # pylint: disable=redefined-builtin
html_title = 'emnify.iot collection documentation'
html_short_title = 'emnify.iot'

extensions = ['sphinx_antsibull_ext', 'myst_parser']
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
root_doc = 'index'

# Headings get anchors, so links such as README.md#outputs work between pages.
myst_heading_anchors = 4
myst_enable_extensions = ['colon_fence']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_theme_options = {'collapse_navigation': False, 'navigation_depth': 3}
html_show_sphinx = False
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_context = {'display_github': False}
default_role = 'any'
nitpicky = True
