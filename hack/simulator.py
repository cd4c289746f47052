# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start and stop the emnify API simulator (tests/simulator/emnify_sim.py) for test runs.

  python3 hack/simulator.py start STATE_DIR [--endpoints N] [--lifetime SECONDS] [-- EXTRA_SIMULATOR_ARGS...]
  python3 hack/simulator.py stop STATE_DIR

``start`` launches the simulator on 127.0.0.1 with a free port, a random application token and a
lifetime (it exits by itself when that runs out, whatever happens to this script), waits until
it reports ready, then writes into STATE_DIR:

  pid    the simulator's process id (``stop`` signals only that process)
  url    its base URL, e.g. http://127.0.0.1:40123 (REST API under /api/v1, admin API under /_simulator)
  token  the application token it accepts
  env    the same as shell assignments: EMNIFY_SIM_PID, EMNIFY_API_URL, EMNIFY_APPLICATION_TOKEN
  log    its output
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT = 60.0


def parse_ready(text: str) -> str | None:
    """Return the base URL from whatever the ready file holds: JSON, a URL, host:port or a port."""
    text = text.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ('url', 'base_url', 'api_url'):
            if isinstance(data.get(key), str) and data[key]:
                return data[key].rstrip('/')
        if data.get('port'):
            return f"http://{data.get('host') or '127.0.0.1'}:{int(data['port'])}"
        return None
    if isinstance(data, int):
        return f'http://127.0.0.1:{data}'
    first = text.splitlines()[0].strip()
    if re.match(r'^https?://', first):
        return first.rstrip('/')
    match = re.match(r'^([\w.\-\[\]:]+):(\d+)$', first)
    if match:
        return f'http://{match.group(1)}:{match.group(2)}'
    if first.isdigit():
        return f'http://127.0.0.1:{first}'
    return None


def alive(pid: int) -> bool:
    """True while ``pid`` is a running simulator (not a later process that reused the id)."""
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as handle:
            if b'emnify_sim.py' not in handle.read():
                return False
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(args: argparse.Namespace) -> int:
    state = os.path.abspath(args.state)
    os.makedirs(state, exist_ok=True)
    for name in ('pid', 'url', 'token', 'env', 'ready'):
        if os.path.exists(os.path.join(state, name)):
            os.unlink(os.path.join(state, name))
    script = os.path.join(args.tree or ROOT, 'tests', 'simulator', 'emnify_sim.py')
    if not os.path.isfile(script):
        print(f'simulator: {script} does not exist', file=sys.stderr)
        return 1
    token = secrets.token_urlsafe(24)
    ready = os.path.join(state, 'ready')
    command = [
        args.python, script,
        '--host', '127.0.0.1', '--port', '0',
        '--application-token', token,
        '--endpoints', str(args.endpoints),
        '--seed', str(args.seed),
        '--lifetime', str(args.lifetime),
        '--ready-file', ready,
    ] + args.extra
    log = open(os.path.join(state, 'log'), 'wb')  # pylint: disable=consider-using-with
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, cwd=os.path.dirname(script),
    )
    with open(os.path.join(state, 'pid'), 'w', encoding='utf-8') as handle:
        handle.write(f'{process.pid}\n')
    deadline = time.monotonic() + READY_TIMEOUT
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if os.path.exists(ready):
            with open(ready, encoding='utf-8') as handle:
                url = parse_ready(handle.read())
            if url:
                break
        time.sleep(0.1)
    if not url:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
        with open(os.path.join(state, 'log'), encoding='utf-8', errors='replace') as handle:
            sys.stderr.write(handle.read()[-4000:])
        print(f'simulator: not ready after {READY_TIMEOUT:.0f}s (exit code {process.poll()})', file=sys.stderr)
        return 1
    for name, value in (('url', url), ('token', token)):
        with open(os.path.join(state, name), 'w', encoding='utf-8') as handle:
            handle.write(value + '\n')
    with open(os.path.join(state, 'env'), 'w', encoding='utf-8') as handle:
        handle.write(f'EMNIFY_SIM_PID={process.pid}\nEMNIFY_API_URL={url}\nEMNIFY_APPLICATION_TOKEN={token}\n')
    print(f'simulator: pid {process.pid} ready at {url} (lifetime {args.lifetime}s, log {state}/log)')
    return 0


def stop(args: argparse.Namespace) -> int:
    path = os.path.join(os.path.abspath(args.state), 'pid')
    if not os.path.exists(path):
        return 0
    with open(path, encoding='utf-8') as handle:
        pid = int(handle.read().strip())
    os.unlink(path)
    if not alive(pid):
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            if not alive(pid):
                break
        time.sleep(0.1)
    else:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    print(f'simulator: pid {pid} stopped')
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description='Start or stop the emnify API simulator.')
    sub = parser.add_subparsers(dest='action', required=True)
    begin = sub.add_parser('start')
    begin.add_argument('state')
    begin.add_argument('--tree', help='collection tree holding tests/simulator (default: this checkout)')
    begin.add_argument('--python', default=sys.executable)
    begin.add_argument('--endpoints', type=int, default=60)
    begin.add_argument('--seed', type=int, default=1)
    begin.add_argument('--lifetime', type=int, default=3000)
    end = sub.add_parser('stop')
    end.add_argument('state')
    # Everything after the first `--` goes to the simulator unchanged.
    argv = sys.argv[1:]
    extra = argv[argv.index('--') + 1:] if '--' in argv else []
    argv = argv[:argv.index('--')] if '--' in argv else argv
    args = parser.parse_args(argv)
    args.extra = extra
    return start(args) if args.action == 'start' else stop(args)


if __name__ == '__main__':
    sys.exit(main())
