# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the commands of README.md exactly as written, in order, in a fresh clone of the checkout.

Usage: python3 hack/readme_example.py   (`make readme-example`)

What runs is read from README.md each time, never kept here:
- the playbook of the "Example" section: the first ```yaml block after the words "Save this playbook as
  `FILE`", written to FILE in the clone;
- every line starting with "$ " in the ```console blocks of the sections "Try it", "Example" and "Install", in
  the order they appear, in one bash session (so a later command sees what an earlier one did), stopping at
  the first that fails.
Console blocks elsewhere in README.md may only hold `make test`, which this runs inside of; any other command
there fails this check, so no command of the README goes untested.

The clone is build/readme-example/clone: the files git tracks or would track, committed on a branch "main", as
a fresh clone has them. It reuses build/tools-venv (built by `make venvs` from the same pinned requirements, so
the clone's `make` finds it up to date); everything else (the collection copy, the tarball, simulators, the
user's virtual environment) is made inside the clone. HOME is an empty directory, so `~/...` paths and
~/.ansible land there, and ANSIBLE_* and EMNIFY_* variables of the caller are removed. Simulators the
commands started are stopped afterwards, also after a failure.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_SECTIONS = ('Try it', 'Example', 'Install')
ALLOWED_ELSEWHERE = ('make test',)
TIMEOUT = 1500


class ReadmeError(Exception):
    pass


def sections(text):
    """(heading, body) of every "## " section, in order."""
    parts = re.split(r'^## (.+)$', text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2]))


def blocks(body, language):
    return re.findall(r'^```%s\n(.*?)^```' % re.escape(language), body, flags=re.MULTILINE | re.DOTALL)


def commands_of(block):
    """The commands of a console block: lines starting with "$ ", without the prompt."""
    return [line[2:] for line in block.splitlines() if line.startswith('$ ')]


def read_readme():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    found = dict(sections(text))
    missing = [name for name in RUN_SECTIONS if name not in found]
    if missing:
        raise ReadmeError('README.md has no section "## %s"' % '", "## '.join(missing))
    example = found['Example']
    match = re.search(r'Save this playbook as `([^`]+)`', example)
    if not match:
        raise ReadmeError('the Example section does not say "Save this playbook as `FILE`"')
    playbooks = blocks(example[match.end():], 'yaml')
    if not playbooks:
        raise ReadmeError('the Example section has no ```yaml block after "Save this playbook as"')
    commands = []
    for heading, body in sections(text):
        for block in blocks(body, 'console'):
            for command in commands_of(block):
                if heading in RUN_SECTIONS:
                    commands.append(command)
                elif re.sub(r'\s+#.*$', '', command).strip() not in ALLOWED_ELSEWHERE:
                    raise ReadmeError('README.md section "%s" has the command %r, which this check would not run: '
                                      'move it to one of the sections %s' % (heading, command, ', '.join(RUN_SECTIONS)))
    if not commands:
        raise ReadmeError('README.md has no commands in the sections %s' % ', '.join(RUN_SECTIONS))
    return match.group(1), playbooks[0], commands


def fresh_clone(dest):
    """A git repository at ``dest`` holding the checkout's files in one commit on branch main."""
    shutil.rmtree(dest, ignore_errors=True)
    files = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=ROOT,
                           check=True, stdout=subprocess.PIPE).stdout.decode('utf-8').split('\0')
    for rel in files:
        if rel and os.path.isfile(os.path.join(ROOT, rel)):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, rel), os.path.join(dest, rel))

    def git(*args):
        subprocess.run(['git', '-c', 'user.name=readme-example', '-c', 'user.email=readme-example@localhost', *args],
                       cwd=dest, check=True, stdout=subprocess.DEVNULL)
    git('init', '-q', '-b', 'main')
    git('add', '-A')
    git('commit', '-q', '-m', 'Snapshot of the checkout')
    venv = os.path.join(ROOT, 'build', 'tools-venv')
    if not os.path.isdir(venv):
        raise ReadmeError('build/tools-venv is missing: run make venvs first')
    os.makedirs(os.path.join(dest, 'build'))
    os.symlink(venv, os.path.join(dest, 'build', 'tools-venv'))


def clean_environment(home):
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(('ANSIBLE_', 'EMNIFY_', 'VIRTUAL_ENV', 'PYTHONPATH', 'MAKE', 'MFLAGS')))
    pip_cache = os.path.join(os.path.expanduser('~'), '.cache', 'pip')
    env.update(HOME=home, PIP_CACHE_DIR=os.environ.get('PIP_CACHE_DIR', pip_cache), NO_COLOR='1',
               ANSIBLE_NOCOLOR='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
    # pyenv's shims find their versions through PYENV_ROOT, which defaults to ~/.pyenv.
    if 'PYENV_ROOT' not in env and os.path.isdir(os.path.join(os.path.expanduser('~'), '.pyenv')):
        env['PYENV_ROOT'] = os.path.join(os.path.expanduser('~'), '.pyenv')
    return env


def stop_simulators(clone, env):
    for state in sorted(glob.glob(os.path.join(clone, 'build', 'sim', '*'))):
        if os.path.isfile(os.path.join(state, 'pid')):
            subprocess.run([sys.executable, '-m', 'emnify_sim', 'stop', state], cwd=clone, env=env, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    work = os.path.join(ROOT, 'build', 'readme-example')
    clone = os.path.join(work, 'clone')
    home = os.path.join(work, 'home')
    try:
        name, playbook, commands = read_readme()
        fresh_clone(clone)
    except (ReadmeError, subprocess.CalledProcessError) as exc:
        print('readme-example: %s' % exc, file=sys.stderr)
        return 1
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    with open(os.path.join(clone, name), 'w', encoding='utf-8') as handle:
        handle.write(playbook)
    print('readme-example: %s written from README.md; %d commands to run in %s' % (name, len(commands), clone))
    script = ['set -euo pipefail']
    for command in commands:
        script.append('printf "%%s\\n" %s' % shlex.quote('$ ' + command))
        script.append(command)
    env = clean_environment(home)
    try:
        done = subprocess.run(['bash', '-c', '\n'.join(script)], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                              timeout=TIMEOUT, check=False)
        status = done.returncode
    except subprocess.TimeoutExpired:
        print('readme-example: the commands did not finish within %d s' % TIMEOUT, file=sys.stderr)
        status = 1
    finally:
        stop_simulators(clone, env)
    if status != 0:
        print('readme-example: FAILED: a command of README.md exited with status %d (see above)' % status,
              file=sys.stderr)
        return 1
    print('readme-example: every command of README.md worked, in order (%d)' % len(commands))
    return 0


if __name__ == '__main__':
    sys.exit(main())
