# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs ansible-inventory with emnify.iot.endpoints against a simulator and compares with the simulator's fleet.

    python check.py URL TOKEN WORKDIR

The expected values come from the simulator's admin view of its fleet (GET /_simulator/fleet), not from the
plugin; the requests are counted by the simulator (GET /_simulator/stats).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import math
import os
import re
import subprocess
import sys
import urllib.request

URL, TOKEN, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
JWT = re.compile(r'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*')
STATUS = {0: 'enabled', 1: 'disabled', 2: 'deleted'}
SIM_STATUS = {0: 'issued', 1: 'activated', 2: 'suspended', 3: 'deleted', 4: 'factory_test'}
VARIABLES = ('emnify_endpoint_id', 'emnify_name', 'emnify_status', 'emnify_tags', 'emnify_iccid', 'emnify_iccid_with_luhn',
             'emnify_imsi', 'emnify_msisdn', 'emnify_sim_id', 'emnify_sim_status', 'emnify_sms_ready',
             'emnify_sms_not_ready_reasons', 'emnify_service_profile', 'emnify_tariff_profile', 'emnify_ip_address',
             'emnify_imei', 'emnify_created', 'emnify_last_updated')
FAILURES = []
OUTPUTS = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print('FAILED: %s' % message)


def admin(method, path):
    request = urllib.request.Request(URL + '/_simulator' + path, method=method, data=b'' if method == 'POST' else None)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode('utf-8'))


def requests_by_route():
    stats = admin('GET', '/stats')
    return stats['requests'], stats['by_route']


def write_config(name, text):
    path = os.path.join(WORK, name)
    with open(path, 'w') as handle:
        handle.write(text.replace('@WORK@', WORK))
    return path


def inventory(config, *args, **env):
    """Run ansible-inventory; return (exit status, stdout, stderr). A source that fails to parse fails the command."""
    environ = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED='true', ANSIBLE_NOCOLOR='1', PYTHONWARNINGS='ignore')
    environ.update(EMNIFY_API_URL=URL, EMNIFY_APPLICATION_TOKEN=TOKEN)
    for key, value in env.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    process = subprocess.run(['ansible-inventory', '-i', config] + list(args), env=environ, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=600, check=False)
    OUTPUTS.append(process.stdout + process.stderr)
    return process.returncode, process.stdout, process.stderr


def listed(config, **env):
    status, out, err = inventory(config, '--list', **env)
    check(status == 0, '%s: ansible-inventory --list exited %d: %s' % (os.path.basename(config), status, err[-2000:]))
    check('Failed to parse' not in err and 'Traceback' not in err, '%s: warnings: %s' % (os.path.basename(config), err[-2000:]))
    return plain(json.loads(out)) if status == 0 else {'_meta': {'hostvars': {}}}


def plain(value):
    """A value of --list output without ansible-core's marker of text that is never templated (before 2.19)."""
    if isinstance(value, dict) and list(value) == ['__ansible_unsafe']:
        return value['__ansible_unsafe']
    if isinstance(value, dict):
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def members(data, group):
    return set((data.get(group) or {}).get('hosts') or [])


def expected_vars(device):
    status = STATUS[device['status']]
    sim_status = SIM_STATUS.get(device['sim_status'])
    return {
        'emnify_endpoint_id': device['id'],
        'emnify_name': device['name'],
        'emnify_status': status,
        'emnify_tags': device['tags'].split(','),
        'emnify_iccid': device.get('iccid'),
        'emnify_imsi': device.get('imsi'),
        'emnify_msisdn': device.get('msisdn'),
        'emnify_sim_status': sim_status,
        'emnify_sms_ready': status == 'enabled' and sim_status == 'activated',
    }


def main():
    admin('POST', '/reset')
    fleet = admin('GET', '/fleet')
    by_name = dict((device['name'], device) for device in fleet)
    pages = int(math.ceil(len(fleet) / 1000.0))
    print('simulator: %d endpoints, %d pages of 1,000' % (len(fleet), pages))

    # 1. Every endpoint, with the documented variables, keyed groups by tag and status, one request per page.
    full = write_config('full.emnify.yml', '''
plugin: emnify.iot.endpoints
token_cache_dir: "@WORK@/tokens"
keyed_groups:
  - key: emnify_tags
    prefix: tag
  - key: emnify_status
    prefix: status
groups:
  sms_ready: emnify_sms_ready
compose:
  ansible_connection: "'local'"
''')
    admin('POST', '/stats/reset')
    data = listed(full)
    total, routes = requests_by_route()
    hostvars = data['_meta']['hostvars']
    check(set(hostvars) == set(by_name), 'hosts: %d listed, %d endpoints; missing %s, extra %s' % (
        len(hostvars), len(fleet), sorted(set(by_name) - set(hostvars))[:5], sorted(set(hostvars) - set(by_name))[:5]))
    check(routes.get('GET /api/v1/endpoint') == pages, 'endpoint list requests: %s, expected %d (one per 1,000)' % (routes, pages))
    check(total == pages + 1, 'requests: %d (%s), expected %d list pages and one authentication' % (total, routes, pages))
    wrong = []
    for name, device in by_name.items():
        got = hostvars.get(name, {})
        missing = [key for key in VARIABLES if key not in got]
        if missing:
            wrong.append('%s lacks %s' % (name, missing))
            continue
        for key, value in expected_vars(device).items():
            if got[key] != value:
                wrong.append('%s: %s is %r, expected %r' % (name, key, got[key], value))
        if got.get('ansible_connection') != 'local':
            wrong.append('%s: compose did not set ansible_connection' % name)
    check(not wrong, 'host variables: %d wrong, first: %s' % (len(wrong), wrong[:5]))
    tags = sorted(set(tag for device in fleet for tag in device['tags'].split(',')))
    check(len(tags) >= 3, 'the fleet has tags %s' % tags)
    for tag in tags:
        want = set(name for name, device in by_name.items() if tag in device['tags'].split(','))
        check(members(data, 'tag_' + tag) == want, 'group tag_%s: %d hosts, expected %d' % (tag, len(members(data, 'tag_' + tag)), len(want)))
    for number, status in STATUS.items():
        want = set(name for name, device in by_name.items() if device['status'] == number)
        check(members(data, 'status_' + status) == want, 'group status_%s: %d hosts, expected %d' % (
            status, len(members(data, 'status_' + status)), len(want)))
    check(members(data, 'status_disabled'), 'the fleet has disabled endpoints')
    want = set(name for name, device in by_name.items() if device['status'] == 0 and device['sim_status'] == 1)
    check(members(data, 'sms_ready') == want and 0 < len(want) < len(fleet), 'group sms_ready: %d hosts, expected %d' % (
        len(members(data, 'sms_ready')), len(want)))
    check(members(data, 'emnify_endpoints') == set(by_name), 'group emnify_endpoints holds every host')

    status, graph, err = inventory(full, '--graph', 'tag_tracker')
    graph_hosts = set(line.strip().lstrip('|-') for line in graph.splitlines() if not line.strip().startswith('@'))
    check(status == 0 and graph_hosts == members(data, 'tag_tracker'), '--graph tag_tracker: exit %d, %d hosts: %s' % (
        status, len(graph_hosts), err[-500:]))
    status, out, err = inventory(full, '--host', 'device-0013')
    check(status == 0 and plain(json.loads(out or '{}')).get('emnify_endpoint_id') == by_name['device-0013']['id'],
          '--host device-0013: exit %d: %s' % (status, err[-500:]))

    # 2. Filters: status, tags, name pattern, SMS readiness, SIM status.
    filtered = write_config('filtered.emnify.yml', '''
plugin: emnify.iot.endpoints
token_cache_dir: "@WORK@/tokens"
status: [enabled]
tags: [tracker, fleet]
name_pattern: "device-0[0-4]*"
sms_ready: true
''')
    data = listed(filtered)
    want = set(name for name, device in by_name.items()
               if device['status'] == 0 and device['sim_status'] == 1 and 'tracker' in device['tags'].split(',')
               and re.match(r'device-0[0-4]', name))
    check(set(data['_meta']['hostvars']) == want and want, 'filters: %d hosts, expected %d' % (len(data['_meta']['hostvars']), len(want)))
    not_ready = write_config('notready.emnify.yml', '''
plugin: emnify.iot.endpoints
token_cache_dir: "@WORK@/tokens"
sms_ready: false
sim_status: [suspended]
''')
    data = listed(not_ready)
    want = set(name for name, device in by_name.items() if device['sim_status'] == 2)
    check(set(data['_meta']['hostvars']) == want and want, 'sim_status suspended: %d hosts, expected %d' % (
        len(data['_meta']['hostvars']), len(want)))

    # 3. Cache: the first run fills it, the second makes no request and lists the same; no token in the cache.
    cached = write_config('cached.emnify.yml', '''
plugin: emnify.iot.endpoints
token_cache_dir: "@WORK@/tokens"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: "@WORK@/inventory-cache"
keyed_groups:
  - key: emnify_status
    prefix: status
''')
    admin('POST', '/stats/reset')
    first = listed(cached)
    after_first = requests_by_route()[0]
    admin('POST', '/stats/reset')
    second = listed(cached)
    after_second, routes = requests_by_route()
    print('cache: first run %d requests, second run %d requests' % (after_first, after_second))
    check(after_first == pages, 'first cached run: %d requests, expected %d (the JWT is cached already)' % (after_first, pages))
    check(after_second == 0, 'second cached run: %d requests (%s), expected none' % (after_second, routes))
    check(first == second and len(first['_meta']['hostvars']) == len(fleet), 'the cached run lists the same inventory')
    # ansible-inventory takes --flush-cache from ansible-core 2.17 on, ansible-playbook in every release.
    playbook = write_config('noop.yml', '- hosts: localhost\n  gather_facts: false\n  tasks: []\n')
    flushed = subprocess.run(['ansible-playbook', '-i', cached, '--flush-cache', playbook], env=dict(
        os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED='true', EMNIFY_API_URL=URL, EMNIFY_APPLICATION_TOKEN=TOKEN),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600, check=False)
    OUTPUTS.append(flushed.stdout)
    check(flushed.returncode == 0 and requests_by_route()[0] == pages, '--flush-cache lists from the API again: exit %d, %d requests: %s' % (
        flushed.returncode, requests_by_route()[0], flushed.stdout[-1000:]))
    cache_files = [os.path.join(root, name) for root, _dirs, names in os.walk(os.path.join(WORK, 'inventory-cache')) for name in names]
    check(cache_files, 'the inventory cache has files')
    for path in cache_files:
        with open(path) as handle:
            text = handle.read()
        check(TOKEN not in text and not JWT.search(text), 'no token in the cache file %s' % path)

    # 4. A bad configuration fails with a message that names the option, without a traceback.
    def fails(config, needle, **env):
        status, _out, err = inventory(config, '--list', **env)
        # ansible-core before 2.19 wraps warnings at the terminal width.
        err = ' '.join(err.split())
        check(status != 0, '%s: ansible-inventory exited 0' % os.path.basename(config))
        check(needle in err, '%s: %r not in: %s' % (os.path.basename(config), needle, err[-1500:]))
        check('Traceback' not in err, '%s: a traceback' % os.path.basename(config))
        print('%s fails: ...%s' % (os.path.basename(config), err[max(0, err.find(needle) - 120):err.find(needle) + len(needle) + 40]))

    fails(write_config('typo.emnify.yml', 'plugin: emnify.iot.endpoints\nstauts: [enabled]\n'),
          "unknown option 'stauts' (did you mean 'status'?)")
    fails(write_config('notoken.emnify.yml', 'plugin: emnify.iot.endpoints\ntoken_cache_dir: "%s/tokens"\n' % WORK),
          'application_token: must not be empty (set it or EMNIFY_APPLICATION_TOKEN)', EMNIFY_APPLICATION_TOKEN=None)
    fails(write_config('unreachable.emnify.yml', 'plugin: emnify.iot.endpoints\napi_url: http://127.0.0.1:9\nretries: 1\n'
                       'retry_backoff: 0.1\ntoken_cache: false\ntoken_cache_dir: "%s/tokens"\n' % WORK),
          'cannot list the endpoints (api_url http://127.0.0.1:9): cannot authenticate at http://127.0.0.1:9: could not connect')
    fails(write_config('badtype.emnify.yml', 'plugin: emnify.iot.endpoints\nstatus: [sleeping]\n'), 'sleeping')
    fails(write_config('refused.emnify.yml', 'plugin: emnify.iot.endpoints\ntoken_cache_dir: "%s/tokens"\n' % WORK),
          'emnify refused the application token', EMNIFY_APPLICATION_TOKEN='wrong-token-0123456789abcdef')

    # 5. No token in any output.
    for text in OUTPUTS:
        check(TOKEN not in text and not JWT.search(text), 'a token in the output of ansible-inventory')
    print('inventory_endpoints: %d runs of ansible-inventory, %d failures' % (len(OUTPUTS), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == '__main__':
    sys.exit(main())
