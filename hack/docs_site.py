# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the documentation site: antsibull-docs for the code, the Markdown guides as extra docs, Sphinx for HTML.

Usage: python hack/docs_site.py BUILD_DIR (run with build/docs-venv's Python; `make docs` does)

1. The collection is copied to BUILD_DIR/collections/ansible_collections/emnify/iot, and its
   docs/docsite/extra-docs.yml is written there (not in the checkout): a section with README.md and the
   role's README, and a section with every guide in docs/, in the order of README.md's "Documentation" list.
2. antsibull-docs renders the modules, plugins and the role from that copy into BUILD_DIR/src.
3. The Markdown pages are copied next to what antsibull-docs wrote, into collections/emnify/iot/ at their
   place in the repository (docs/modules.md to collections/emnify/iot/docs/modules.md), so their relative
   links work unchanged. Every file they link to that is not a page (a playbook, the credential type, a
   picture) is copied the same way and becomes a download. A link to a file that does not exist fails the
   build. MyST renders the pages; extra-docs.yml points at them as ../README, ../docs/modules, ...
4. Sphinx (hack/docs-site/conf.py) builds BUILD_DIR/html with warnings as errors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF_DIR = os.path.join(ROOT, 'hack', 'docs-site')
NAMESPACE, NAME = 'emnify', 'iot'
# Pages beside the guides in docs/.
OVERVIEW = ('README.md', 'roles/sms_provisioning/README.md')
# A Markdown link or image: [text](target) or ![alt](target), outside code.
LINK = re.compile(r'(!?\[(?:[^\[\]]|\[[^\]]*\])*\]\()([^)\s]+)(\))')
FENCE = re.compile(r'^\s*(```|~~~)')
# The README links to the built site, which is this site's own start page.
SITE_LINK = 'build/docs/html/index.html'


class SiteError(Exception):
    pass


def guides_in_readme_order():
    """docs/*.md in the order of README.md's Documentation list; every guide must be listed there."""
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        readme = handle.read()
    section = readme.partition('\n## Documentation\n')[2].split('\n## ')[0]
    listed = []
    for target in re.findall(r'^- \[[^\]]*\]\((docs/[^)#]+\.md)\)', section, re.MULTILINE):
        if target not in listed:
            listed.append(target)
    present = sorted('docs/' + name for name in os.listdir(os.path.join(ROOT, 'docs')) if name.endswith('.md'))
    missing = [path for path in present if path not in listed]
    if missing:
        raise SiteError('README.md lists no link to %s in its "Documentation" section' % ', '.join(missing))
    return [path for path in listed if path in present]


def title_of(path):
    with open(os.path.join(ROOT, path), encoding='utf-8') as handle:
        for line in handle:
            if line.startswith('# '):
                return line[2:].strip().replace('`', '')
    raise SiteError('%s has no "# " title' % path)


def local_targets(path, text):
    """(line number, target) of every relative link of a Markdown text, outside code blocks and spans."""
    in_fence = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for match in LINK.finditer(re.sub(r'`[^`]*`', lambda span: ' ' * len(span.group(0)), line)):
            target = match.group(2)
            if re.match(r'^[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
                continue
            yield number, target


def rewrite_site_link(text, page):
    """Point the README's link to the built site at the site's start page."""
    start = os.path.relpath('index.md', os.path.dirname(os.path.join('collections', NAMESPACE, NAME, page)))
    return text.replace('](%s)' % SITE_LINK, '](%s)' % start)


def copy_pages(pages, dest):
    """Copy the pages and every local file they link to; return the problems found."""
    problems = []
    copied = set()
    for page in pages:
        with open(os.path.join(ROOT, page), encoding='utf-8') as handle:
            text = handle.read()
        for number, target in local_targets(page, text):
            if target == SITE_LINK:
                continue
            rel = os.path.normpath(os.path.join(os.path.dirname(page), target.split('#')[0]))
            source = os.path.join(ROOT, rel)
            if rel.startswith('..') or not os.path.isfile(source):
                problems.append('%s:%d: the link %s points to no file of the repository' % (page, number, target))
                continue
            if rel.endswith('.md') and rel not in pages:
                problems.append('%s:%d: the link %s points to a Markdown file that is not part of the site'
                                % (page, number, target))
                continue
            if rel not in pages and rel not in copied:
                os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
                shutil.copy2(source, os.path.join(dest, rel))
                copied.add(rel)
        os.makedirs(os.path.dirname(os.path.join(dest, page)), exist_ok=True)
        with open(os.path.join(dest, page), 'w', encoding='utf-8') as handle:
            handle.write(rewrite_site_link(text, page))
    return problems


def run(command, **kwargs):
    print('+ ' + ' '.join(command), flush=True)
    if subprocess.run(command, check=False, **kwargs).returncode != 0:
        raise SiteError('%s failed' % os.path.basename(command[0]))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'build', 'docs'))
    bin_dir = os.path.dirname(sys.executable)
    collections = os.path.join(build, 'collections')
    copy = os.path.join(collections, 'ansible_collections', NAMESPACE, NAME)
    src = os.path.join(build, 'src')
    html = os.path.join(build, 'html')
    try:
        guides = guides_in_readme_order()
    except SiteError as exc:
        print('docs: %s' % exc, file=sys.stderr)
        return 1

    try:
        build_site(guides, copy, collections, src, html, bin_dir)
    except SiteError as exc:
        print('docs: %s' % exc, file=sys.stderr)
        return 1
    pages = sum(name.endswith('.html') for walked in os.walk(html) for name in walked[2])
    print('docs: %d pages in %s (start page: %s)' % (pages, html, os.path.join(html, 'index.html')))
    return 0


def build_site(guides, copy, collections, src, html, bin_dir):
    run([sys.executable, os.path.join(ROOT, 'hack', 'sync_collection.py'), copy])
    extra = dict(sections=[
        dict(title='Overview', toctree=[dict(ref='../' + page[:-3], title=title_of(page)) for page in OVERVIEW]),
        dict(title='Guides', toctree=[dict(ref='../' + page[:-3], title=title_of(page)) for page in guides]),
    ])
    os.makedirs(os.path.join(copy, 'docs', 'docsite'), exist_ok=True)
    with open(os.path.join(copy, 'docs', 'docsite', 'extra-docs.yml'), 'w', encoding='utf-8') as handle:
        handle.write('---\n# Written by hack/docs_site.py for the documentation site.\n')
        yaml.safe_dump(extra, handle, sort_keys=False)

    # antsibull-docs wants its destination readable by its owner only.
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src, mode=0o755)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''),
               ANSIBLE_NOCOLOR='1', NO_COLOR='1')
    env.pop('ANSIBLE_COLLECTIONS_PATHS', None)
    run([os.path.join(bin_dir, 'antsibull-docs'), '--config-file', os.path.join(CONF_DIR, 'antsibull-docs.cfg'),
         'collection', '--use-current', '--fail-on-error', '--dest-dir', src, '%s.%s' % (NAMESPACE, NAME)], env=env)
    for name in ('index.md', 'ansible-references.rst'):
        shutil.copy2(os.path.join(CONF_DIR, name), os.path.join(src, name))

    problems = copy_pages(list(OVERVIEW) + guides, os.path.join(src, 'collections', NAMESPACE, NAME))
    if problems:
        raise SiteError('broken links:\n  ' + '\n  '.join(problems))

    shutil.rmtree(html, ignore_errors=True)
    run([os.path.join(bin_dir, 'sphinx-build'), '-b', 'html', '-c', CONF_DIR, '-W', '--keep-going', '-q', '-n',
         '-d', os.path.join(os.path.dirname(src), 'doctrees'), src, html], env=env)


if __name__ == '__main__':
    sys.exit(main())
