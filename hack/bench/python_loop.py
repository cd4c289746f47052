# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plain sequential Python loop with requests, as an SDK script sends a command to a fleet.

  python python_loop.py VARS_JSON

Authenticates once, then sends one POST per device and per part (the parts and their UDH are given
ready-made in ``bench_parts``), one after the other. It reads no history, so a rerun sends everything
again. A 429 answer is retried after one second, at most ten times; any other error stops the loop.
The connection comes from EMNIFY_API_URL and EMNIFY_APPLICATION_TOKEN.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import sys
import time

import requests


def main():
    with open(sys.argv[1], encoding='utf-8') as handle:
        config = json.load(handle)
    api = os.environ['EMNIFY_API_URL'].rstrip('/') + '/api/v1'
    session = requests.Session()
    answer = session.post(api + '/authenticate', json={'application_token': os.environ['EMNIFY_APPLICATION_TOKEN']}, timeout=30)
    answer.raise_for_status()
    session.headers['Authorization'] = 'Bearer ' + answer.json()['auth_token']
    sent = 0
    for endpoint_id in config['bench_endpoint_ids']:
        for part in config['bench_parts']:
            for _attempt in range(11):
                answer = session.post('%s/endpoint/%d/sms' % (api, endpoint_id), json=part, timeout=30)
                if answer.status_code != 429:
                    break
                time.sleep(1.0)
            answer.raise_for_status()
            sent += 1
    print('sent %d parts' % sent)
    return 0


if __name__ == '__main__':
    sys.exit(main())
