# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the collection's files into an ``ansible_collections/<namespace>/<name>`` tree.

ansible-test needs the collection at a path ending in ``ansible_collections/emnify/iot`` and inside
a git repository (it lists files through git), and it resolves real paths, so the files are
copied, not linked. Only files that git tracks or would track (tracked plus untracked-but-not-
ignored) are copied; files that vanished from the checkout are removed from the copy; unchanged
files are left alone so the copy is cheap to refresh. Caches that tools keep inside the copy
(``tests/output`` with ansible-test's virtual environments, ``.ansible``) survive a refresh.

Usage: python3 hack/sync_collection.py [--git] DESTINATION
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEP = ('.git', 'tests/output', '.ansible')


def source_files() -> list[str]:
    out = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
        cwd=ROOT, check=True, stdout=subprocess.PIPE,
    ).stdout.decode()
    return sorted({p for p in out.split('\0') if p and os.path.isfile(os.path.join(ROOT, p))})


def kept(rel: str) -> bool:
    return any(rel == k or rel.startswith(k + '/') for k in KEEP)


def sync(dest: str) -> tuple[int, int]:
    files = source_files()
    wanted = set(files)
    copied = removed = 0
    for rel in files:
        src = os.path.join(ROOT, rel)
        dst = os.path.join(dest, rel)
        if os.path.isfile(dst) and not os.path.islink(dst) and filecmp.cmp(src, dst, shallow=False):
            if os.stat(src).st_mode != os.stat(dst).st_mode:
                shutil.copymode(src, dst)
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst) and not os.path.isfile(dst):
            shutil.rmtree(dst) if os.path.isdir(dst) and not os.path.islink(dst) else os.unlink(dst)
        shutil.copy2(src, dst)
        copied += 1
    for dirpath, dirnames, filenames in os.walk(dest, topdown=True):
        reldir = os.path.relpath(dirpath, dest)
        reldir = '' if reldir == '.' else reldir
        dirnames[:] = [d for d in dirnames if not kept(os.path.join(reldir, d))]
        for name in filenames:
            rel = os.path.join(reldir, name)
            if rel not in wanted and not kept(rel):
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    # Drop directories left empty, deepest first.
    for dirpath, dirnames, filenames in os.walk(dest, topdown=False):
        rel = os.path.relpath(dirpath, dest)
        if rel != '.' and not kept(rel) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return copied, removed


def git_index(dest: str) -> None:
    """Make the copy a git repository whose index holds exactly the copied files."""
    def git(*args: str) -> None:
        subprocess.run(['git', *args], cwd=dest, check=True, stdout=subprocess.DEVNULL)

    if not os.path.isdir(os.path.join(dest, '.git')):
        git('init', '--quiet')
    git('add', '--all', '.')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--git', action='store_true', help='keep a git repository in the copy')
    parser.add_argument('dest')
    args = parser.parse_args()
    dest = os.path.abspath(args.dest)
    os.makedirs(dest, exist_ok=True)
    copied, removed = sync(dest)
    if args.git:
        git_index(dest)
    print(f'collection copy {dest}: {copied} file(s) updated, {removed} removed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
