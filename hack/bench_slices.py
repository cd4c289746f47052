# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: one rollout from one controller, then the same rollout in slices, each from a client IP of its own.

  python3 hack/bench_slices.py [--devices 4000] [--slices 4] [--scale 0.2] [--out docs/benchmark.md] [--from-json RESULT]

emnify counts its general rate limit (2,000 requests per 5 minutes) per client IP, so a rollout split over machines
with their own addresses (AWX execution nodes, for instance) finishes sooner. This proves it locally: it needs root,
creates network namespaces (one for the simulator, one per slice, joined by a bridge on 10.213.0.0/24; all removed at
the end), starts the emnify API simulator in its own namespace with emnify's limits (windows scaled by --scale), runs
the sms_provisioning role for all devices from one namespace, then for devices[k::N] from N namespaces at once, each
slice with a private state directory of its own as on separate machines. It reads the simulator's counters and
request log after each run and writes the table and the findings into the section of OUT between the markers
`<!-- slices:start -->` and `<!-- slices:end -->` (hack/bench.py keeps that section when it rewrites the page).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402 pylint: disable=wrong-import-position

SUBNET = '10.213.0'
SIM_NS = 'emnify-bench-sim'
SLICE_NS = 'emnify-bench-s%d'
ROOT_LINK = 'emnify-bench0'
START, END = bench.SLICES_START, bench.SLICES_END
TARGET_RATIO = 0.35


def ip(*args, check=True):
    return subprocess.run(('ip',) + args, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not check else None)


def network_down(slices):
    for number in range(1, slices + 1):
        ip('netns', 'del', SLICE_NS % number, check=False)
    ip('netns', 'del', SIM_NS, check=False)
    ip('link', 'del', ROOT_LINK, check=False)


def network_up(slices):
    """The simulator's namespace with a bridge (SUBNET.1), the host on it (SUBNET.2) and one namespace per slice."""
    network_down(slices)
    ip('netns', 'add', SIM_NS)
    ip('-n', SIM_NS, 'link', 'set', 'lo', 'up')
    ip('-n', SIM_NS, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', SIM_NS, 'addr', 'add', SUBNET + '.1/24', 'dev', 'br0')
    ip('-n', SIM_NS, 'link', 'set', 'br0', 'up')
    ip('link', 'add', ROOT_LINK, 'type', 'veth', 'peer', 'name', 'host0', 'netns', SIM_NS)
    ip('addr', 'add', SUBNET + '.2/24', 'dev', ROOT_LINK)
    ip('link', 'set', ROOT_LINK, 'up')
    ip('-n', SIM_NS, 'link', 'set', 'host0', 'master', 'br0', 'up')
    for number in range(1, slices + 1):
        namespace = SLICE_NS % number
        ip('netns', 'add', namespace)
        ip('-n', namespace, 'link', 'set', 'lo', 'up')
        ip('-n', namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'slice%d' % number, 'netns', SIM_NS)
        ip('-n', namespace, 'addr', 'add', '%s.%d/24' % (SUBNET, 10 + number), 'dev', 'eth0')
        ip('-n', namespace, 'link', 'set', 'eth0', 'up')
        ip('-n', SIM_NS, 'link', 'set', 'slice%d' % number, 'master', 'br0', 'up')


class Simulator:
    """The simulator in its own namespace, listening on the bridge's address; its admin API reached from the host."""

    def __init__(self, state, endpoints, scale):
        self.state = state
        command = ['ip', 'netns', 'exec', SIM_NS, sys.executable, '-m', 'emnify_sim', 'start', state, '--host', SUBNET + '.1',
                   '--endpoints', str(endpoints), '--seed', '1', '--lifetime', '3600', '--latency-ms', str(bench.LATENCY_MS),
                   '--rate-limit-scale', repr(scale), '--quiet']
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=bench.SIMULATOR_ENV)
        with open(os.path.join(state, 'url'), encoding='utf-8') as handle:
            self.url = handle.read().strip()
        with open(os.path.join(state, 'token'), encoding='utf-8') as handle:
            self.token = handle.read().strip()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def admin(self, method, path):
        request = urllib.request.Request(self.url + '/_simulator/' + path, method=method, data=b'' if method == 'POST' else None)
        with self.opener.open(request, timeout=60) as answer:
            return json.loads(answer.read().decode() or 'null')

    def stop(self):
        subprocess.run([sys.executable, '-m', 'emnify_sim', 'stop', self.state], check=False, stdout=subprocess.DEVNULL,
                       env=bench.SIMULATOR_ENV)


def rollout(sim, namespace, ids, name, scale, work):
    """Start the role for ``ids`` from ``namespace``; returns the process."""
    vars_file = os.path.join(work, 'vars-%s.json' % name)
    with open(vars_file, 'w', encoding='utf-8') as handle:
        json.dump({'bench_devices': [{'id': endpoint_id} for endpoint_id in ids], 'bench_payload': bench.ONE_PART,
                   'bench_concurrency': bench.CONCURRENCY, 'bench_lookup': False,
                   'bench_report_dir': os.path.join(work, 'report-%s' % name)}, handle)
    env = dict(os.environ, EMNIFY_API_URL=sim.url, EMNIFY_APPLICATION_TOKEN=sim.token, ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=bench.COLLECTIONS, EMNIFY_RATE_LIMIT_REQUESTS=str(bench.LIMIT),
               EMNIFY_RATE_LIMIT_WINDOW=repr(bench.WINDOW * scale), EMNIFY_SIMULATOR_RATE_LIMIT_SCALE=repr(scale),
               # Each slice keeps its state (token cache, request ledger, locks) apart, as on a machine of its own.
               EMNIFY_TOKEN_CACHE_DIR=os.path.join(work, 'state-%s' % name), ANSIBLE_LOCAL_TEMP=os.path.join(work, 'tmp-%s' % name),
               NO_PROXY=SUBNET + '.1', no_proxy=SUBNET + '.1',
               PATH=os.path.join(bench.VENV, 'bin') + os.pathsep + os.environ.get('PATH', ''))
    log = open(os.path.join(work, 'log-%s.txt' % name), 'wb')  # pylint: disable=consider-using-with
    command = ['ip', 'netns', 'exec', namespace, os.path.join(bench.VENV, 'bin', 'ansible-playbook'),
               os.path.join(bench.BENCH, 'role.yml'), '-e', '@' + vars_file]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=bench.BENCH)  # pylint: disable=consider-using-with


def measure(sim, label, runs, scale, work):
    """Run the rollouts (namespace, ids, name) side by side; the wall time to the last end and what the simulator saw."""
    sim.admin('POST', 'reset')
    before = sim.admin('GET', 'requests?since=0&limit=1')['last']
    started = time.monotonic()
    processes = [rollout(sim, namespace, ids, name, scale, work) for namespace, ids, name in runs]
    codes = [process.wait() for process in processes]
    seconds = time.monotonic() - started
    stats = sim.admin('GET', 'stats')
    clients, since = collections.Counter(), before
    while True:
        page = sim.admin('GET', 'requests?since=%d&limit=20000' % since)
        clients.update(item['client'] for item in page['requests'])
        if not page['requests']:
            break
        since = page['last']
    stored = collections.Counter(int(item['endpoint_id']) for item in sim.admin('GET', 'sms') if item['direction'] == 'MT')
    ids = [endpoint_id for _namespace, run_ids, _name in runs for endpoint_id in run_ids]
    row = {'run': label, 'slices': len(runs), 'devices': len(ids), 'seconds': round(seconds, 1), 'exit_codes': codes,
           'requests': stats['requests'], 'status_429': stats['status_429'], 'authentications': stats['authentications'],
           'sms_stored': sum(stored.values()), 'exactly_once': all(stored.get(endpoint_id) == 1 for endpoint_id in ids) and len(stored) == len(ids),
           'client_ips': dict(sorted(clients.items()))}
    print('%-28s %6.1f s %6d requests %3d x 429 %2d auth %5d parts stored, exactly once: %s, exit %s, per IP %s' % (
        label, row['seconds'], row['requests'], row['status_429'], row['authentications'], row['sms_stored'], row['exactly_once'],
        codes, row['client_ips']), flush=True)
    return row


def section(result):
    single, sliced = result['rows']
    ratio = sliced['seconds'] / single['seconds']
    floor_single = single['requests'] * bench.WINDOW * result['scale'] / bench.LIMIT
    lines = [
        START,
        '## Scale-out: one rollout in %d slices, each from its own client IP' % sliced['slices'],
        '',
        'Generated by `make bench` (`hack/bench_slices.py --devices %d --slices %d --scale %s`) on %s; %s.' % (
            single['devices'], sliced['slices'], result['scale'], result['started'], result['machine']),
        '',
        '| run | slices | devices | wall s | requests | 429 | auth | parts stored | every part exactly once | requests per client IP |',
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for row in (single, sliced):
        lines.append('| %s | %d | %d | %.1f | %d | %d | %d | %d | %s | %s |' % (
            row['run'], row['slices'], row['devices'], row['seconds'], row['requests'], row['status_429'], row['authentications'],
            row['sms_stored'], 'yes' if row['exactly_once'] else 'NO', ', '.join('%s: %d' % item for item in row['client_ips'].items())))
    met = ratio <= TARGET_RATIO and sliced['status_429'] == 0 and single['status_429'] == 0 and sliced['exactly_once'] \
        and single['exactly_once'] and not any(single['exit_codes'] + sliced['exit_codes'])
    lines += [
        '',
        '- **%s** %d slices on %d client IPs finish in at most %.2f x the single controller\'s wall time, with zero 429 and '
        'every part exactly once: %.1f s / %.1f s = %.2f.' % ('met' if met else 'NOT MET', sliced['slices'], len(sliced['client_ips']),
                                                              TARGET_RATIO, sliced['seconds'], single['seconds'], ratio),
        '',
        'How it is measured: the simulator runs in a network namespace of its own with emnify\'s rate limits, every window '
        'scaled by %s (2,000 requests per %.0f s per client IP; per organisation 100 authentications per %.0f s and the '
        'endpoint list at 10 calls per %.1f s), and 50 ms latency. Each rollout runs the `emnify.iot.sms_provisioning` role '
        '(`hack/bench/role.yml`: one one-part command, `wait: none`, devices by trusted id, so no endpoint-list call) in a '
        'namespace of its own with its own address on a bridge to the simulator, and its own state directory, as on '
        'separate machines. The single run sends to all %d devices from one address; the sliced run starts %d rollouts at '
        'once, slice k taking devices[k::%d], and its wall time runs from the first start to the last end. The simulator '
        'counts requests, 429 answers and stored parts, and its request log gives the requests per client address.' % (
            result['scale'], bench.WINDOW * result['scale'], bench.WINDOW * result['scale'], result['scale'], single['devices'],
            sliced['slices'], sliced['slices']),
        '',
        'What it shows: each run is bound by its address\'s budget, not by the controller. The single run makes %d '
        'requests from one address: after the first 2,000, each waits for an earlier one to leave the rolling %.0f s window, '
        'so it cannot end before about %.0f s. Each slice makes a quarter of them, %d: 2,000 go at once and the rest waits '
        'for one window, so the slices end after about one window plus Ansible\'s fixed cost of a run, which is why the '
        'ratio is near 1/3 and not 1/4 here; with more requests per slice the fixed cost and that one window weigh less. '
        'The organisation-wide limits do not grow with addresses: each slice authenticates once, and with devices by id no '
        'slice calls the endpoint list. At emnify\'s real limits the same arithmetic gives about 3 requests per device and '
        'command (history read, send, a poll when waiting), so 100,000 devices need about 12.5 hours from one address and '
        'about 3 hours from 4 ([awx.md](awx.md)).' % (
            single['requests'], bench.WINDOW * result['scale'], floor_single, max(sliced['client_ips'].values())),
        '',
        ('Load average before and after the run: %.1f and %.1f.' % (result['load_before'], result['load_after']))
        if 'load_before' in result else 'The machine was shared with other work during this run (its load was not recorded).',
        END,
    ]
    return '\n'.join(lines)


def write_section(path, text):
    page = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as handle:
            page = handle.read()
    if START in page and END in page:
        page = page[:page.index(START)] + text + page[page.index(END) + len(END):]
    else:
        page = page.rstrip('\n') + '\n\n' + text + '\n'
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(page)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--devices', type=int, default=4000, help='devices in the rollout (default 4000)')
    parser.add_argument('--slices', type=int, default=4, help='slices, each from its own client IP (default 4)')
    parser.add_argument('--scale', type=float, default=0.2, help='rate-limit window scale (default 0.2: 2,000 requests per 60 s)')
    parser.add_argument('--out', default='docs/benchmark.md', help='the page whose slices section is rewritten (default docs/benchmark.md)')
    parser.add_argument('--from-json', help='write the section from the raw results of an earlier run, without running')
    parser.add_argument('--in-venv', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    out = args.out if os.path.isabs(args.out) else os.path.join(bench.ROOT, args.out)
    if args.from_json:
        with open(args.from_json, encoding='utf-8') as handle:
            write_section(out, section(json.load(handle)))
        print('wrote the slices section of %s' % out)
        return 0
    if os.geteuid() != 0:
        print('bench_slices: needs root to create network namespaces (ip netns): run it as root', file=sys.stderr)
        return 2
    if not args.in_venv:
        bench.bootstrap()
        return subprocess.call([os.path.join(bench.VENV, 'bin', 'python'), os.path.abspath(__file__), '--in-venv'] + sys.argv[1:])
    os.makedirs(bench.STATE, exist_ok=True)
    work = tempfile.mkdtemp(prefix='slices-', dir=bench.STATE)
    indexes = bench.ready_indexes(args.devices)
    ids = [11380000 + index for index in indexes]
    started = time.strftime('%Y-%m-%d %H:%M:%S')
    load_before = os.getloadavg()[0]
    network_up(args.slices)
    sim = None
    try:
        sim = Simulator(os.path.join(work, 'sim'), indexes[-1], args.scale)
        rows = [measure(sim, 'one controller', [(SLICE_NS % 1, ids, 'single')], args.scale, work),
                measure(sim, '%d slices' % args.slices,
                        [(SLICE_NS % (k + 1), ids[k::args.slices], 'slice%d' % (k + 1)) for k in range(args.slices)], args.scale, work)]
    finally:
        if sim is not None:
            sim.stop()
        network_down(args.slices)
    result = {'started': started, 'scale': args.scale, 'machine': bench.machine(), 'rows': rows, 'load_before': load_before,
              'load_after': os.getloadavg()[0]}
    with open(os.path.join(work, 'result.json'), 'w', encoding='utf-8') as handle:
        json.dump(result, handle, indent=1)
    text = section(result)
    write_section(out, text)
    print('\n' + text + '\n\nraw results: %s\nwrote the slices section of %s' % (os.path.join(work, 'result.json'), out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
