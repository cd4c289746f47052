# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: the collection, an ansible.builtin.uri loop and a plain Python loop, side by side.

  python3 hack/bench.py [--sizes 100,1000,5000] [--quick] [--out docs/benchmark] [--scale 0.1]

Creates build/bench-venv (hack/requirements/bench.txt) and a copy of the collection under
build/bench-collections, then runs itself again inside that venv. Per fleet size it starts the
emnify API simulator (50 ms latency, emnify's documented rate limits, windows scaled by --scale
for fleets of more than 100 devices); per case it resets the simulator, makes the first run and
the rerun, and reads the simulator's request counters; then one run at the real window (see
real_window_case). It prints a table and writes the report
page OUT.md with the plot OUT.png; raw results and logs stay in build/bench-state/run-*.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'hack', 'bench')
VENV = os.path.join(ROOT, 'build', 'bench-venv')
COLLECTIONS = os.path.join(ROOT, 'build', 'bench-collections')
STATE = os.path.join(ROOT, 'build', 'bench-state')
# `python3 -m emnify_sim` finds the simulator's package at the checkout's root.
SIMULATOR_ENV = dict(os.environ, PYTHONPATH=ROOT)

# emnify: 2,000 requests per IP in any rolling 300 s.
LIMIT, WINDOW = 2000, 300.0
LATENCY_MS = 50
CONCURRENCY = 8
ONE_PART = 'APN,iot.example.net'
TWO_PART = ('CFG,APN=iot.example.net,USER=fleet,PASS=s3cr3t,SERVER=tcp://telemetry.example.net:5055,INTERVAL=300,'
            'HEARTBEAT=3600,GPS=ON,ODO=ON,LED=OFF,TZ=UTC,APNAUTH=PAP,RETRY=3,SLEEP=DEEP,WAKE=MOTION,REPORT=JSON,FW=AUTO,'
            'NTP=pool.ntp.org,LOG=WARN,ID=FLEET-A')
COMMANDS = {1: ONE_PART, 2: TWO_PART}
TOOLS = ('role', 'role_ids', 'collection', 'uri', 'python')
OURS = ('role', 'role_ids', 'collection')
LABELS = {'role': 'emnify.iot role', 'role_ids': 'emnify.iot role, ids trusted', 'collection': 'emnify.iot modules',
          'uri': 'ansible.builtin.uri loop', 'python': 'Python requests loop'}
# The playbook of each tool in hack/bench/; the two role cases differ only in sms_provisioning_lookup.
PLAYBOOKS = {'role': 'role', 'role_ids': 'role', 'collection': 'collection', 'uri': 'uri'}
# The phase of the runs at emnify's real window (see real_window_case), and their cases: the role with the lookup and one
# part, whose requests are just over whole windows (2,003 and 10,007 for 2,000 per window), so that the last request
# waits a whole window and the run's fixed cost is not hidden in a wait.
REAL_WINDOW = 'first run, 300 s window'
REAL_WINDOW_CASES = ((1000, 'role', 1), (5000, 'role', 1))
# The markers of the page's scale-out section, which hack/bench_slices.py writes.
SLICES_START, SLICES_END = '<!-- slices:start -->', '<!-- slices:end -->'


def parts_by_hand(parts):
    """The API bodies a user writes by hand: one part, or two with a concatenation UDH (reference 0xA7)."""
    text = COMMANDS[parts]
    if parts == 1:
        return [{'payload': text, 'dcs': 0}]
    return [{'payload': text[:153], 'udh': '050003A70201', 'dcs': 0},
            {'payload': text[153:], 'udh': '050003A70202', 'dcs': 0}]


def ready_indexes(count):
    """Fleet indexes of the simulator whose endpoints can receive SMS (see docs/simulator.md, "The fleet")."""
    found, index = [], 0
    while len(found) < count:
        index += 1
        if index % 25 not in (11, 12, 13, 14):
            found.append(index)
    return found


def plan(sizes, quick, tools):
    """(size, tool, parts, rerun) cases. The loops have no history read: their rerun repeats the first run."""
    cases = []
    for size in sizes:
        for parts in (1, 2):
            for tool in OURS:
                if tool in tools:
                    cases.append((size, tool, parts, True))
            if 'uri' in tools and size <= 100:
                cases.append((size, 'uri', parts, parts == 1 and not quick))
            if 'python' in tools and (size <= 1000 or parts == 1):
                cases.append((size, 'python', parts, size <= 100))
    return cases


# -- bootstrap -----------------------------------------------------------------------------------------


def bootstrap():
    subprocess.run([os.path.join(ROOT, 'hack', 'bootstrap-venv.sh'), 'bench', os.path.join(ROOT, 'hack', 'requirements', 'bench.txt')],
                   check=True)
    subprocess.run([sys.executable, os.path.join(ROOT, 'hack', 'sync_collection.py'),
                    os.path.join(COLLECTIONS, 'ansible_collections', 'emnify', 'iot')], check=True, stdout=subprocess.DEVNULL)


# -- simulator -----------------------------------------------------------------------------------------


class Simulator:
    def __init__(self, endpoints, scale, lifetime):
        self.state = os.path.join(STATE, 'sim')
        command = [sys.executable, '-m', 'emnify_sim', 'start', self.state, '--endpoints', str(endpoints), '--seed', '1',
                   '--lifetime', str(int(lifetime)), '--latency-ms', str(LATENCY_MS), '--rate-limit-scale', repr(scale), '--quiet']
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=SIMULATOR_ENV)
        with open(os.path.join(self.state, 'url'), encoding='utf-8') as handle:
            self.url = handle.read().strip()
        with open(os.path.join(self.state, 'token'), encoding='utf-8') as handle:
            self.token = handle.read().strip()

    def admin(self, method, path):
        request = urllib.request.Request(self.url + '/_simulator/' + path, method=method, data=b'' if method == 'POST' else None)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read().decode() or 'null')

    def stop(self):
        subprocess.run([sys.executable, '-m', 'emnify_sim', 'stop', self.state], check=False, stdout=subprocess.DEVNULL, env=SIMULATOR_ENV)


# -- one measured run ------------------------------------------------------------------------------------


def _copy_lines(stream, out, silence):
    """Copy the output to the log; keep in ``silence`` the longest time between two lines (and from the start to the
    first, and from the last to the end)."""
    for line in iter(stream.readline, b''):
        now = time.monotonic()
        silence['longest'] = max(silence['longest'], now - silence['last'])
        silence['last'] = now
        out.write(line)
    now = time.monotonic()
    silence['longest'] = max(silence['longest'], now - silence['last'])


def measure(command, env, log):
    """Run ``command``; return (seconds, peak RSS of its process tree in MiB, exit code, longest silence in seconds)."""
    import psutil  # pylint: disable=import-outside-toplevel
    import threading  # pylint: disable=import-outside-toplevel
    start = time.monotonic()
    silence = {'longest': 0.0, 'last': start}
    with open(log, 'ab') as out:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=BENCH)  # pylint: disable=consider-using-with
        reader = threading.Thread(target=_copy_lines, args=(process.stdout, out, silence))
        reader.start()
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            total = 0
            try:
                for proc in [root] + root.children(recursive=True):
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(0.05)
        reader.join()
        process.stdout.close()
    return time.monotonic() - start, peak / 2.0 ** 20, process.returncode, silence['longest']


def run_case(sim, size, tool, parts, rerun, scale, work):
    ids = [11380000 + index for index in ready_indexes(size)]
    config = {'bench_endpoint_ids': ids, 'bench_devices': [{'id': endpoint_id} for endpoint_id in ids], 'bench_payload': COMMANDS[parts],
              'bench_parts': parts_by_hand(parts), 'bench_concurrency': CONCURRENCY, 'bench_report_dir': os.path.join(work, 'report'),
              'bench_lookup': tool != 'role_ids'}
    vars_file = os.path.join(work, 'vars-%d-%s-%d.json' % (size, tool, parts))
    with open(vars_file, 'w', encoding='utf-8') as handle:
        json.dump(config, handle)
    env = dict(os.environ, EMNIFY_API_URL=sim.url, EMNIFY_APPLICATION_TOKEN=sim.token, ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, EMNIFY_RATE_LIMIT_REQUESTS=str(LIMIT), EMNIFY_RATE_LIMIT_WINDOW=repr(WINDOW * scale),
               EMNIFY_SIMULATOR_RATE_LIMIT_SCALE=repr(scale),
               EMNIFY_TOKEN_CACHE_DIR=os.path.join(work, 'token-cache-%d-%s-%d' % (size, tool, parts)),
               ANSIBLE_LOCAL_TEMP=os.path.join(work, 'ansible-tmp'), PATH=os.path.join(VENV, 'bin') + os.pathsep + os.environ.get('PATH', ''))
    if tool == 'python':
        command = [os.path.join(VENV, 'bin', 'python'), os.path.join(BENCH, 'python_loop.py'), vars_file]
    else:
        command = [os.path.join(VENV, 'bin', 'ansible-playbook'), os.path.join(BENCH, PLAYBOOKS[tool] + '.yml'), '-e', '@' + vars_file]
    log = os.path.join(work, 'log-%d-%s-%d.txt' % (size, tool, parts))
    sim.admin('POST', 'reset')
    rows = []
    for phase in ('first run', 'rerun') if rerun else ('first run',):
        if phase == 'rerun':
            # A rerun "later": let the first run's requests leave emnify's rolling window when together they would not fit.
            if rows[0]['requests'] + size + 3 > LIMIT:
                time.sleep(WINDOW * scale + 1)
            sim.admin('POST', 'stats/reset')
        seconds, memory, code, silence = measure(command, env, log)
        stats = sim.admin('GET', 'stats')
        routes = stats.get('by_route', {})
        requests = stats['requests']
        sent = routes.get('POST /api/v1/endpoint/{id}/sms', 0)
        rows.append({
            'size': size, 'tool': tool, 'parts': parts, 'phase': phase, 'exit': code, 'seconds': round(seconds, 2),
            'memory_mib': round(memory, 1), 'requests': requests, 'sends': stats['sms_posted'], 'post_requests': sent,
            'history_reads': routes.get('GET /api/v1/endpoint/{id}/sms', 0), 'lookups': routes.get('GET /api/v1/endpoint', 0),
            'authentications': stats['authentications'], 'status_429': stats['status_429'],
            'requests_per_part': round(requests / stats['sms_posted'], 3) if stats['sms_posted'] else None,
            'floor_real': round(requests * WINDOW / LIMIT, 1), 'floor_scaled': round(requests * WINDOW * scale / LIMIT, 2),
            'scale': scale, 'silence': round(silence, 1),
        })
        row = rows[-1]
        values = (size, tool, parts, phase, row['seconds'], row['memory_mib'], requests, row['sends'], row['history_reads'],
                  row['lookups'], row['authentications'], row['status_429'], silence, code)
        print('%5d %-10s %d part(s) %-9s %7.1f s %6.0f MiB %6d req (%d sends, %d reads, %d lookups, %d auth, %d x 429) '
              'silent at most %.1f s, exit %d' % values, flush=True)
    return rows


# -- report --------------------------------------------------------------------------------------------


def table(rows):
    head = ('| devices | tool | parts | run | wall s | scaled floor s | wall / floor | real-time floor s | requests | sends | reads | '
            'lookups | auth | 429 | req / part | peak MiB | longest silence s |')
    lines = [head, '|' + '---|' * 17]
    for row in rows:
        ratio = row['seconds'] / row['floor_scaled'] if row['floor_scaled'] else 0
        lines.append('| %d | %s | %d | %s | %.1f | %.1f | %.2f | %.0f | %d | %d | %d | %d | %d | %d | %s | %.0f | %s |' % (
            row['size'], LABELS[row['tool']], row['parts'], row['phase'], row['seconds'], row['floor_scaled'], ratio, row['floor_real'],
            row['requests'], row['sends'], row['history_reads'], row['lookups'], row['authentications'], row['status_429'],
            '%.2f' % row['requests_per_part'] if row['requests_per_part'] else '-', row['memory_mib'],
            '%.1f' % row['silence'] if row.get('silence') is not None else '-'))
    return '\n'.join(lines)


def find(rows, size, tool, parts, phase='first run'):
    for row in rows:
        if (row['size'], row['tool'], row['parts'], row['phase']) == (size, tool, parts, phase):
            return row
    return None


# The role before the rollout engine (docs/benchmark.md as of commit e41829f), which the engine must not fall behind:
# requests per case, (size, tool, parts, phase) -> requests; its 100 x 2 parts speed against the uri loop; its peak
# memory at 5,000 devices.
BEFORE_ENGINE_REQUESTS = dict(
    ((size, tool, parts, phase), requests)
    for size, tool, parts, first, rerun in (
        (100, 'role', 1, 202, 101), (100, 'role_ids', 1, 201, 100), (100, 'role', 2, 302, 101), (100, 'role_ids', 2, 301, 100),
        (1000, 'role', 1, 2003, 1002), (1000, 'role_ids', 1, 2001, 1000), (1000, 'role', 2, 3003, 1002), (1000, 'role_ids', 2, 3001, 1000),
        (5000, 'role', 1, 10007, 5006), (5000, 'role_ids', 1, 10001, 5000), (5000, 'role', 2, 15007, 5006),
        (5000, 'role_ids', 2, 15001, 5000))
    for phase, requests in (('first run', first), ('rerun', rerun)))
BEFORE_ENGINE_URI_SPEEDUP = 13.0
BEFORE_ENGINE_PEAK_MIB_5000 = 365.0
FLOOR_RATIO = 1.1
# The longest a rollout may leave the operator without output.
MAX_SILENCE = 30


def targets(rows):
    """(target, met, detail) for each target that this run measured."""
    out = []
    for row in rows:
        if row['tool'] not in OURS:
            continue
        what = '%s, %d devices, %d part(s), %s' % (row['tool'], row['size'], row['parts'], row['phase'])
        before = BEFORE_ENGINE_REQUESTS.get((row['size'], row['tool'], row['parts'], 'first run' if row['phase'] == REAL_WINDOW else row['phase']))
        if before is not None:
            out.append(('requests not above the role before the engine (%s)' % what, row['requests'] <= before and row['exit'] == 0,
                        '%d requests, before %d' % (row['requests'], before)))
        if row['phase'] == 'rerun':
            out.append(('rerun sends nothing (%s)' % what, row['sends'] == 0 and row['exit'] == 0, '%d sends' % row['sends']))
        if row['phase'] == REAL_WINDOW:
            ratio = row['seconds'] / row['floor_scaled']
            out.append(('wall <= %.1f x the rate-limit floor at emnify\'s real window (%s)' % (FLOOR_RATIO, what),
                        ratio <= FLOOR_RATIO and row['exit'] == 0, '%.1f s / %.1f s = %.2f' % (row['seconds'], row['floor_scaled'], ratio)))
        if row['size'] >= 1000:
            out.append(('zero 429 (%s)' % what, row['status_429'] == 0, '%d x 429' % row['status_429']))
        if row.get('silence') is not None:
            out.append(('never silent for more than %d s (%s)' % (MAX_SILENCE, what), row['silence'] <= MAX_SILENCE,
                        'longest silence %.1f s' % row['silence']))
        if row['size'] == 5000:
            out.append(('peak memory at 5,000 devices not above %.0f MiB (%s)' % (BEFORE_ENGINE_PEAK_MIB_5000, what),
                        row['memory_mib'] <= BEFORE_ENGINE_PEAK_MIB_5000, '%.0f MiB' % row['memory_mib']))
    uri, loop = find(rows, 100, 'uri', 2), find(rows, 100, 'python', 2)
    for tool in OURS:
        mine = find(rows, 100, tool, 2)
        if mine and uri:
            out.append(('100 x 2 parts: %s >= %.0fx faster than the uri loop' % (tool, BEFORE_ENGINE_URI_SPEEDUP),
                        uri['seconds'] >= BEFORE_ENGINE_URI_SPEEDUP * mine['seconds'],
                        '%.1f s vs %.1f s (%.1fx)' % (mine['seconds'], uri['seconds'], uri['seconds'] / mine['seconds'])))
        if mine and loop:
            out.append(('100 x 2 parts: %s faster than the Python loop' % tool, loop['seconds'] > mine['seconds'],
                        '%.1f s vs %.1f s' % (mine['seconds'], loop['seconds'])))
    return out


def plot(rows, path):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    colours = {'role': 'tab:purple', 'role_ids': 'tab:orange', 'collection': 'tab:green', 'uri': 'tab:red', 'python': 'tab:blue'}
    for tool in TOOLS:
        for parts, style in ((1, 'o-'), (2, 's--')):
            points = sorted((r['size'], r['seconds']) for r in rows if r['tool'] == tool and r['parts'] == parts and r['phase'] == 'first run')
            if points:
                left.plot([p[0] for p in points], [p[1] for p in points], style, color=colours[tool], label='%s, %d part(s)' % (LABELS[tool], parts))
    for parts, style in ((1, ':'), (2, '-.')):
        points = sorted(dict((r['size'], r['floor_scaled']) for r in rows if r['tool'] in OURS and r['parts'] == parts and r['phase'] == 'first run').items())
        left.plot([p[0] for p in points], [p[1] for p in points], style, color='grey', label='rate-limit floor (scaled), %d part(s)' % parts)
    left.set_xscale('log')
    left.set_yscale('log')
    left.set_xlabel('devices')
    left.set_ylabel('wall time, first run (s)')
    left.set_title('Wall time (50 ms latency; windows scaled above 100 devices)')
    left.legend(fontsize=7)
    labels, values, colors = [], [], []
    smallest = min(row['size'] for row in rows)
    for row in rows:
        if row['size'] == smallest:
            labels.append('%s\n%dp %s' % (row['tool'], row['parts'], 'rerun' if row['phase'] == 'rerun' else 'first'))
            values.append(row['requests'] / float(row['size']))
            colors.append(colours[row['tool']])
    right.bar(range(len(values)), values, color=colors)
    right.set_xticks(range(len(values)))
    right.set_xticklabels(labels, fontsize=7, rotation=60)
    right.set_ylabel('requests per device')
    right.set_title('Requests per device, %d devices (a rerun of the loops sends again)' % smallest)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def machine():
    """A one-line description of the machine the run was made on."""
    model = 'unknown CPU'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ''
    try:
        with open('/proc/meminfo', encoding='utf-8') as handle:
            memory = ', %.0f GiB RAM' % (int(handle.readline().split()[1]) / 2.0 ** 20)
    except (OSError, ValueError, IndexError):
        pass
    return '%d CPUs (%s)%s, Linux %s' % (os.cpu_count() or 0, model, memory, os.uname().release)


METHOD = """\
## Method

One run of `make bench` (`python3 hack/bench.py`) does, per fleet size:

- starts the emnify API simulator (`python3 -m emnify_sim`) on 127.0.0.1 with `--latency-ms {latency}` (every API
  answer takes at least 50 ms) and emnify's documented rate limits: 2,000 requests per rolling 300 s, 100
  authentications per 300 s, 10 endpoint-list calls per second. At 100 devices the limits are the real ones
  (`--rate-limit-scale 1`). Above 100 devices every window is scaled by `--rate-limit-scale {scale}` (2,000 requests
  per {window:.0f} s) so that the run takes minutes instead of hours, and the collection's pacing is set to match
  (`rate_limit_window: {window:.0f}`, through `EMNIFY_RATE_LIMIT_WINDOW`, and the per-path limits through the
  test setting `EMNIFY_SIMULATOR_RATE_LIMIT_SCALE={scale}`);
- gives every case the same devices (the first N endpoints of the simulated fleet that can receive SMS) and the same
  commands: a one-part command (`{one}`) and a two-part command of {two} GSM characters;
- resets the simulator before each case (`POST /_simulator/reset`), runs the first run, resets the request counters
  (`POST /_simulator/stats/reset`), runs the rerun, and reads the simulator's counters after each run
  (`GET /_simulator/stats`). Requests are counted by the simulator, outside the code under test. When the first run and
  the rerun would not fit in one window together, the rerun starts one (scaled) window later, as a rerun "later" would;
- after the sizes, runs the role (with the lookup, one part, first run) once more at 1,000 and at 5,000 devices with
  emnify's real window (2,000 requests per 300 s, the runs "{real}"), each with a simulator and a token cache of its
  own. A scaled window shortens only the waiting, not Ansible's own fixed cost per run, so the scaled runs overstate
  that cost against the floor tenfold; these runs show it at its real weight, and the floor target is checked on them
  (`--no-real-window` skips them; they take about 5 and 26 minutes). Their case is the one furthest above its floor in
  the scaled runs: 2,003 and 10,007 requests, just over whole windows, so the last request waits for a whole window
  and nothing of the fixed cost hides in a wait. The other cases stay below their floor at the real window by
  construction: a rerun (1,002 or 5,006 requests) or a two-part run (3,003 or 15,007) ends about half a window before
  its floor;
- measures wall time from the start to the end of the process, and peak memory as the largest sum of the resident set
  sizes of the process and all its children (the `ansible-playbook` controller, its workers and the module processes),
  sampled every 50 ms with psutil.

The ways of doing the work:

1. **emnify.iot role** (`hack/bench/role.yml`): the `emnify.iot.sms_provisioning` role with the device list (by
   endpoint id), one command with `wait: none` and its defaults otherwise. It looks up all devices with one
   `emnify_endpoint_info` call (one request per 1,000 endpoints of the fleet), splits the message on the controller
   with the code of `emnify_sms` (no request), sends with `emnify_sms` module runs of about 15 s each, and writes its
   JSON, JUnit and Markdown reports with the code of `sms_rollout_report`, all from one task (the
   `emnify.iot.sms_rollout` action plugin, whose bookkeeping runs in Python). **emnify.iot role, ids trusted**: the same role with `sms_provisioning_lookup:
   false`, which trusts the ids and makes no lookup. **emnify.iot modules** (`hack/bench/collection.yml`, with
   `--tools collection`): the same work with the two modules alone. All use `concurrency: {concurrency}` (the default
   is 4; the benchmark uses {concurrency} so that, with the windows scaled down, the rate limit and not the 50 ms
   latency is the bottleneck, as it is at the real limits). `emnify_sms` reads each device's SMS history once and sends
   only the parts that are missing, so the rerun sends nothing. The token cache is on (the default), in a directory of
   its own per case.
2. **ansible.builtin.uri loop** (`hack/bench/uri.yml`): authenticates once, then one `ansible.builtin.uri` POST per
   device and per part in a loop, with the parts and the UDH of the two-part command written by hand, 429 answers
   retried with `until`/`retries`/`delay`. No history read, so the rerun sends everything again.
3. **Python requests loop** (`hack/bench/python_loop.py`): authenticates once and POSTs each part in a sequential loop
   with one `requests.Session`, as a script with the official SDK does; 429 answers are retried after one second. No
   history read either.

The `ansible.builtin.uri` loop costs about 0.6 s per loop item on this machine (a module process per item),
so it runs at 100 devices only: 1,000 devices would take about 10 minutes per one-part command and 20 per two-part
command. Its rerun and the Python loop's rerun repeat the first run (same requests, everything sent again); they are
measured at 100 devices and not repeated at larger sizes. At 5,000 devices the Python loop runs the one-part command
only (10,001 sequential requests for the two-part command would take another 9 minutes).
"""

MEANING = """\
## What the numbers mean

- **wall s**: seconds from the start to the end of the process, including Ansible's start-up.
- **scaled floor s**: the time emnify's request budget needs at a sustained rate for the requests the run made:
  `requests / (2000 / window)` with the window of this run (300 s at 100 devices, {window:.0f} s above). **wall / floor**
  divides by it. Because the limit is a rolling window and not a rate, a client may send 2,000 requests at once and
  then wait, so a run can finish below this floor (ratio under 1), most visibly below 2,000 requests.
- **real-time floor s**: the same floor with emnify's real 300 s window. It is what the same requests cost against the
  real service, whatever the tool: at the real limits a 5,000-device one-part rollout cannot take less than about 25
  minutes, and the sequential loops, which send up to 18 requests per second, would run into 429 answers after 2,000
  requests unless they slow down. The scaled runs do not show those 429s for the loops because a scaled window
  (2,000 per {window:.0f} s) allows more than a sequential loop can send.
- **requests**: every `/api/v1` request the simulator received, including refused ones (429); **sends**: SMS parts
  stored; **reads**: SMS history reads (`GET /endpoint/{{id}}/sms`); **lookups**: endpoint list pages (`GET /endpoint`,
  one per 1,000 endpoints of the fleet); **auth**: `POST /authenticate`; **429**: answers refused by the rate limit.
- **req / part**: requests divided by parts sent. The collection spends one history read per device on top of the
  sends; that read is what makes the rerun free of sends and a resumed run send only the missing parts.
- **longest silence s**: the longest time the process printed nothing (between two lines of output, or from its
  start to its first line). Ansible prints a line per task; the role prints progress lines while it sends and waits.
- **peak MiB**: peak resident memory of the whole process tree. For Ansible this is dominated by the controller
  and the forked worker, about 150 MiB, plus the rollout's data, which grows with the fleet.
"""


FINDINGS = """\
## How the targets are met, and where they are not

**Requests.** A first run makes one authentication, the device lookup, one SMS history read per device and one POST
per part; a rerun makes the lookup and the history reads: at every size exactly as many as the role made before the
rollout engine. The role's preflight makes no request outside check mode: it splits each distinct message on the
controller with the code `emnify_sms` uses (`plugins/module_utils/_sms_plan.py`), so a message over its part limit or
outside its alphabet still fails its devices before anything is sent. The lookup costs one request per 1,000
endpoints of the organisation: 2 pages for the 1,000-device fleet and 6 for the 5,952 endpoints the 5,000-device fleet
needs. That is the price of the role's default preflight, which finds unknown devices and devices that cannot receive
SMS before anything is sent and puts every device's name and ICCID in the report; emnify's endpoint list cannot be
filtered by a list of ids, so any other preflight would cost a request per device. With
`sms_provisioning_lookup: false` (the rows "ids trusted") the role makes no lookup: parts + devices + 1 requests on a
first run, devices on a rerun. emnify itself then refuses an unknown id (404 on the history read) or a device that
cannot receive SMS (409 on the send), which fails that device only.

**No history read where the history cannot hold the message.** Not done, because it cannot be proven with emnify's
API: there is no organisation-wide SMS search, and the endpoint object carries no SMS count or date of the last SMS,
so reading an endpoint's history is the only way to know it lacks the message. A journal on the controller would
only know what this controller sent, not what a previous run elsewhere, another pipeline or the portal sent, and
skipping the read on its word could send a message twice.

**Zero 429s.** Met at every size. Each module run paces itself under the documented limits and shares its rolling
windows (requests and authentications) with every other module run of the user on the controller through a ledger
file in the private cache directory (`plugins/module_utils/_pace_ledger.py`), so the send task does not start with a
full budget that the lookup task just spent. Each request counts for its window plus a margin of 1 % of the window,
which covers the time between a request leaving and arriving.

**Wall time against the floor.** The role runs as one task: the `emnify.iot.sms_rollout` action plugin keeps the
rollout's state in Python on the controller, calls `emnify_endpoint_info` once, `emnify_sms` once per module run of
at most about 15 s (so progress shows), and writes the three report files itself. Before each module run it reads the
request ledger the modules share and sizes the run to what the rolling window lets go in those seconds, and it sizes
the first run from the concurrency and the later ones from how fast the earlier went. The floor is
requests / (2,000 / window). A rolling window lets 2,000 requests go at once and then makes the client wait for each
to leave the window, so the 2,001st request of a run cannot go before the first has left it. A run's ratio is
therefore close to 1 when the requests dominate, and grows with the fixed cost of a run, which no window shortens:
Ansible's start and the role's argument validation (about 3 s at 5,000 devices), the lookup with matching and
rendering every device (about 4.5 s at 5,000 devices: 6 pages and the endpoints' data), the report, the summary, the
fact and the role's last task at the end (about 4 s at 5,000 devices), and a module start (about 0.7 s) per module run. In the scaled runs
those costs weigh ten times more than against emnify's real window, where the target applies and is checked. {real_window} {above}

**Never silent.** Every run of the role printed a line at least every {silence_max:.0f} s (column "longest silence s"), also
while the window was full: the rollout then waits on the controller and says for how long
(`waiting 5s for the rate limit (2000 requests per 30s)`). The `ansible.builtin.uri` loop prints a line per item; the
Python loop prints nothing until it ends.

**Speed against the loops.** The role is faster than both loops although it makes one more request per device (the
history read): the `ansible.builtin.uri` loop pays Ansible's cost for every loop item (a module process each, about
0.6 s here), the Python loop pays the 50 ms latency once per request, one after the other, while
`emnify_sms` sends from a pool of threads and is bound only by the rate limit. At the real limits every tool is bound
by the real-time floor: there, the collection's advantages are that it stays under the limit without 429s, and that
a rerun or a resumed run sends nothing twice, where a plain loop stops at its first error and, run again, sends
everything again.

**Memory.** The controller's peak grows far slower than the fleet: it is dominated by Ansible's controller and worker
processes, about 150 MiB, plus the rollout state.
"""


def failures(rows):
    """Lines that name the runs that ended with an error (their log says why)."""
    failed = [row for row in rows if row['exit'] != 0]
    if not failed:
        return []
    lines = ['', 'Runs that ended with an error (see their log in `build/bench-state/run-*`); their numbers cover the work done until then:', '']
    for row in failed:
        lines.append('- %s, %d devices, %d part(s), %s: exit code %d after %d of %d parts sent, %.1f s.' % (
            LABELS[row['tool']], row['size'], row['parts'], row['phase'], row['exit'], row['sends'], row['size'] * row['parts'], row['seconds']))
    return lines


def report(result, out):
    """Print the table and the targets; write OUT.md (the whole page) and OUT.png."""
    rows = result['rows']
    scale = result.get('scale', 0.1)
    window = WINDOW * scale
    out = os.path.join(ROOT, out) if not os.path.isabs(out) else out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    text = table(rows)
    checks = targets(rows)
    lines = ['- **%s** %s: %s' % ('met' if met else 'NOT MET', what, detail) for what, met, detail in checks]
    plot(rows, out + '.png')
    sizes = ','.join(str(size) for size in result.get('sizes') or sorted(set(row['size'] for row in rows)))
    page = [
        '# Benchmark: the collection, an `ansible.builtin.uri` loop and a Python loop',
        '',
        ('Generated by `make bench` (`python3 hack/bench.py --sizes %s`) on %s.' % (sizes, result['started'])) if not result.get('runs') else
        ('Generated by `hack/bench.py` from %s, one after the other on the same machine: %s.' % (
            'one run' if len(result['runs']) == 1 else '%d runs' % len(result['runs']), '; '.join(result['runs']))),
        '',
        'Machine: %s; Python %s; load average %.1f before and %.1f after the run (1-minute averages; on these 2 CPUs a '
        'value above 1 means other work shared the machine and lengthened the wall times).' % (
            result.get('machine', '%s CPUs' % result.get('cpus')), result.get('python'), result['load_before'][0], result['load_after'][0]),
        '',
        '![wall time and requests per device](%s.png)' % os.path.basename(out),
        '',
        '## Results',
        '',
        text,
        '',
        '## Targets',
        '',
    ] + lines + failures(rows) + [
        '',
        METHOD.format(latency=result.get('latency_ms', LATENCY_MS), scale=scale, window=window, one=ONE_PART, two=len(TWO_PART), real=REAL_WINDOW,
                      concurrency=result.get('concurrency', CONCURRENCY)),
        MEANING.format(window=window),
        FINDINGS.format(real_window=real_window_finding(rows), above=above_floor_finding(rows),
                        silence_max=max([row['silence'] for row in rows if row['tool'] in OURS and row.get('silence') is not None] or [0])),
        '## Reproduce',
        '',
        '```console',
        '$ make bench        # python3 hack/bench.py: role, uri and Python loops at 100, 1,000 and 5,000 devices%s; then the slices' % duration(result),
        '$ python3 hack/bench.py --quick --out build/bench-quick   # 20 and 300 devices, a few minutes',
        '$ python3 hack/bench.py --sizes 100,1000 --tools role,collection   # the role and the bare modules only',
        '$ make bench-slices   # as root: 4,000 devices from one client IP, then in 4 slices from 4 (network namespaces)',
        '```',
        '',
        '`hack/bench.py` creates `build/bench-venv` from `hack/requirements/bench.txt` and a copy of the collection under '
        '`build/bench-collections`, and keeps the logs and the raw results (`result.json`) of each run in '
        '`build/bench-state/run-*`. `python3 hack/bench.py --from-json build/bench-state/run-*/result.json` writes this '
        'page and the plot again from raw results.',
        '',
    ]
    # The scale-out section is written by hack/bench_slices.py: keep it.
    kept = ''
    if os.path.exists(out + '.md'):
        with open(out + '.md', encoding='utf-8') as handle:
            before = handle.read()
        if SLICES_START in before and SLICES_END in before:
            kept = before[before.index(SLICES_START):before.index(SLICES_END) + len(SLICES_END)] + '\n'
    with open(out + '.md', 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(page) + kept)
    print()
    print(text)
    print()
    print('\n'.join(lines))
    print('\nwrote %s.md and %s.png' % (out, out))


# -- main ----------------------------------------------------------------------------------------------


def duration(result):
    """How long the run took, as the page's reproduce line says it (nothing for merged or older raw results)."""
    if not result.get('finished') or result.get('runs') and len(result['runs']) > 1:
        return ''
    stamps = [time.mktime(time.strptime(result[key], '%Y-%m-%d %H:%M:%S')) for key in ('started', 'finished')]
    spent = stamps[1] - stamps[0]
    return ', about %d minutes' % round(spent / 60.0)


def real_window_finding(rows):
    """The sentence of the findings on the runs at the real window, from their numbers."""
    found = [find(rows, size, tool, parts, REAL_WINDOW) for size, tool, parts in REAL_WINDOW_CASES]
    found = [row for row in found if row is not None]
    if not found:
        return 'The runs at the real window were skipped.'
    return ('At emnify\'s real window (the runs "%s"), where the fixed cost weighs as it does for users: %s.' % (
        REAL_WINDOW, '; '.join('%s, %d devices, %d part(s): %.1f s against a floor of %.1f s, %.2f x' % (
            LABELS[row['tool']], row['size'], row['parts'], row['seconds'], row['floor_scaled'], row['seconds'] / row['floor_scaled'])
            for row in found)))


def above_floor_finding(rows):
    """The sentence of the findings that names the scaled runs of the collection above the floor ratio of the target."""
    above = ['%s at %d devices, %d part(s), %s: %.2f x, %.1f s over the floor' % (
        LABELS[row['tool']], row['size'], row['parts'], row['phase'], row['seconds'] / row['floor_scaled'],
        row['seconds'] - row['floor_scaled'])
        for row in rows if row['tool'] in OURS and row['size'] >= 1000 and row['phase'] != REAL_WINDOW and
        row['seconds'] > FLOOR_RATIO * row['floor_scaled']]
    if not above:
        return 'Every scaled run of the collection at 1,000 devices and more also stayed within %.1f x its floor.' % FLOOR_RATIO
    return ('With windows scaled tenfold, these runs were above %.1f x their floor, by their fixed cost: %s.' % (
        FLOOR_RATIO, '; '.join(above)))


def real_window_case(work, size, tool, parts):
    """One case against emnify's real window (300 s, not scaled): the fixed cost of a run (Ansible's start, the lookup,
    the module runs, the report) weighs ten times less than in the scaled runs, as it does for users."""
    directory = os.path.join(work, 'real-window-%d-%s-%d' % (size, tool, parts))  # its own token cache
    os.makedirs(directory)
    sim = Simulator(ready_indexes(size)[-1], 1.0, lifetime=3600)
    try:
        rows = run_case(sim, size, tool, parts, False, 1.0, directory)
    finally:
        sim.stop()
    for row in rows:
        row['phase'] = REAL_WINDOW
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', default='100,1000,5000', help='fleet sizes, comma-separated (default 100,1000,5000)')
    parser.add_argument('--quick', action='store_true', help='a short run: 20 and 300 devices, no uri rerun')
    parser.add_argument('--out', default='docs/benchmark', help='prefix of the report files OUT.md and OUT.png (default docs/benchmark)')
    parser.add_argument('--scale', type=float, default=0.1, help='rate-limit window scale for fleets above 100 devices (default 0.1)')
    parser.add_argument('--tools', default='role,role_ids,uri,python',
                        help='cases to run, comma-separated, from %s (default role,role_ids,uri,python)' % ','.join(TOOLS))
    parser.add_argument('--no-real-window', dest='real_window', action='store_false',
                        help='skip the one-part runs of the role at 1,000 and 5,000 devices at the real 300 s window (about 5 and 26 minutes)')
    parser.add_argument('--from-json', action='append', help='write the report from the raw results of earlier runs (repeat to merge), without running')
    parser.add_argument('--in-venv', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.in_venv:
        bootstrap()
        python = os.path.join(VENV, 'bin', 'python')
        return subprocess.call([python, os.path.abspath(__file__), '--in-venv'] + sys.argv[1:])
    if args.from_json:
        results = []
        for path in args.from_json:
            with open(path, encoding='utf-8') as handle:
                results.append(json.load(handle))
        merged = dict(results[0], rows=[row for result in results for row in result['rows']])
        merged['sizes'] = sorted(set(row['size'] for row in merged['rows']))
        merged['runs'] = ['%s: %s at %s devices' % (result['started'], ', '.join(sorted(set(row['tool'] for row in result['rows']))),
                                                    ', '.join(str(size) for size in sorted(set(row['size'] for row in result['rows']))))
                          for result in results]
        report(merged, args.out)
        return 0
    tools = [tool.strip() for tool in args.tools.split(',') if tool.strip() in TOOLS]
    sizes = [20, 300] if args.quick else [int(size) for size in args.sizes.split(',') if size.strip()]
    os.makedirs(STATE, exist_ok=True)
    work = tempfile.mkdtemp(prefix='run-', dir=STATE)
    rows = []
    started = time.strftime('%Y-%m-%d %H:%M:%S')
    load_before = os.getloadavg()
    for size in sizes:
        scale = 1.0 if size <= 100 else args.scale
        endpoints = ready_indexes(size)[-1]
        sim = Simulator(endpoints, scale, lifetime=3600)
        try:
            for case in plan([size], args.quick, tools):
                rows.extend(run_case(sim, case[0], case[1], case[2], case[3], scale, work))
        finally:
            sim.stop()
    if args.real_window and not args.quick:
        for size, tool, parts in REAL_WINDOW_CASES:
            if size in sizes and tool in tools:
                rows.extend(real_window_case(work, size, tool, parts))
    result = {'started': started, 'finished': time.strftime('%Y-%m-%d %H:%M:%S'), 'load_before': load_before, 'load_after': os.getloadavg(),
              'cpus': os.cpu_count(),
              'python': sys.version.split()[0], 'concurrency': CONCURRENCY, 'latency_ms': LATENCY_MS, 'scale': args.scale,
              'sizes': sizes, 'machine': machine(), 'rows': rows}
    with open(os.path.join(work, 'result.json'), 'w', encoding='utf-8') as handle:
        json.dump(result, handle, indent=1)
    shutil.rmtree(os.path.join(work, 'ansible-tmp'), ignore_errors=True)
    print('raw results: %s' % os.path.join(work, 'result.json'))
    report(result, args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
