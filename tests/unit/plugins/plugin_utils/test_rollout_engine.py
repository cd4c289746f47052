# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole rollout with fake modules and a fake clock: what is called, in which order, and what is printed."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

import pytest

from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout_progress
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_engine import Engine, RenderError
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_pace import RequestWindow

START = 1796126400.0  # 2026-12-01T12:00:00Z


class Clock:
    def __init__(self):
        self.now = START

    def time(self):
        return self.now

    def sleep(self, seconds):
        assert seconds > 0
        self.now += seconds


class FakeApi:
    """The modules as the engine sees them: endpoints 100.. are ready; an SMS is delivered ``deliver_after`` seconds
    after it was sent, except to the ``offline`` endpoints, whose SMS expire."""

    def __init__(self, clock, count, offline=(), deliver_after=30, replies=None):
        self.clock = clock
        self.count = count
        self.offline = set(offline)
        self.deliver_after = deliver_after
        self.replies = replies or {}
        self.calls = []
        self.timed = []
        self.sent = {}
        self.next_id = 1

    def __call__(self, name, args, check):
        self.calls.append((name, dict(args), check))
        self.timed.append((name, dict(args), check, self.clock.now))
        self.clock.now += 0.5
        short = name.split('.')[-1]
        return getattr(self, short)(args, check)

    def emnify_endpoint_info(self, args, check):
        ids = args.get('id', [])
        return {'lookups': [{'field': 'id', 'value': str(one), 'endpoint_ids': [one] if 100 <= one < 100 + self.count else []}
                            for one in ids],
                'endpoints': [{'id': one, 'name': 'device-%d' % one, 'sms_ready': True, 'status': {'name': 'enabled'}}
                              for one in ids if 100 <= one < 100 + self.count],
                'api_usage': {'requests': 1}}

    def emnify_sms(self, args, check):
        messages = args.get('messages') or [{'endpoint_id': one, 'payload': args['payload']} for one in args['endpoint_id']]
        out = []
        for message in messages:
            if check:
                out.append({'endpoint_id': message['endpoint_id'], 'action': 'would_send', 'encoding': 'gsm7', 'parts': [{'sms_id': None}]})
                continue
            sms_id = self.next_id
            self.next_id += 1
            self.sent.setdefault(message['endpoint_id'], []).append((sms_id, message['payload'], self.clock.now))
            out.append({'endpoint_id': message['endpoint_id'], 'action': 'sent', 'encoding': 'gsm7',
                        'parts': [{'sms_id': sms_id, 'sent': True, 'status': {'name': 'buffered'}}]})
        return {'messages': out, 'api_usage': {'requests': (1 if check else 2) * len(messages)}}

    def emnify_sms_info(self, args, check):
        messages = []
        for endpoint_id in args['endpoint_id']:
            for sms_id, payload, at in self.sent.get(endpoint_id, []):
                if endpoint_id in self.offline:
                    status = (6, 'expired') if self.clock.now - at >= self.deliver_after else (3, 'buffered')
                else:
                    status = (4, 'delivered') if self.clock.now - at >= self.deliver_after else (3, 'buffered')
                date = '2026-12-01T12:%02d:%02dZ' % divmod(int(at - START), 60)
                messages.append({'endpoint_id': endpoint_id, 'direction': 'mt', 'parts': [
                    {'id': sms_id, 'status': {'id': status[0], 'name': status[1]}, 'submit_date': date}]})
                if status[0] == 4 and endpoint_id in self.replies:
                    messages.append({'endpoint_id': endpoint_id, 'direction': 'mo', 'payload': self.replies[endpoint_id],
                                     'submit_date': date})
        return {'messages': messages, 'api_usage': {'requests': len(args['endpoint_id'])}}


class PacedApi(FakeApi):
    """Modules that pace themselves as the real ones do: each request waits until the rolling window (``limit`` per
    ``window`` seconds, shared by every module run) lets it go, then takes ``1 / per_second`` seconds."""

    def __init__(self, clock, count, limit, window, per_second=40.0, **kwargs):
        super(PacedApi, self).__init__(clock, count, **kwargs)
        self.limit, self.window, self.per_second = limit, float(window), per_second
        self.requests = []
        self.runs = []

    def __call__(self, name, args, check):
        short = name.split('.')[-1]
        count = {'emnify_sms': (1 if check else 2) * len(args.get('messages') or args.get('endpoint_id') or []),
                 'emnify_sms_info': len(args.get('endpoint_id') or []), 'emnify_endpoint_info': 1}.get(short, 0)
        began = self.clock.now
        for _request in range(count):
            live = [at for at in self.requests if at > self.clock.now - self.window]
            if len(live) >= self.limit:
                self.clock.now = live[len(live) - self.limit] + self.window
            self.requests.append(self.clock.now)
            self.clock.now += 1.0 / self.per_second
        result = super(PacedApi, self).__call__(name, args, check)
        self.runs.append((short, count, began, self.clock.now))
        return result

    def ledger(self, now):
        """The shared ledger as the engine reads it: when each live request leaves the window."""
        return [(at + self.window, 1) for at in self.requests if at + self.window > now]


# The longest the output may stay silent during a rollout.
SILENCE = 30


def _gaps(stamps):
    return [later - earlier for earlier, later in zip(stamps, stamps[1:])]


SETTINGS = {'lookup': True, 'max_fail_percentage': 100, 'poll_interval': 2, 'concurrency': 4, 'no_log': True, 'title': 'T',
            'wait': 'delivered', 'wait_timeout': 300, 'encoding': 'auto', 'max_parts': 10, 'fail_on_device_errors': True,
            'report_dir': None}


def _render(text, device, endpoint):
    names = {'device': device, 'endpoint': endpoint}

    def value(match):
        path = match.group(1).split('.')
        current = names[path[0]]
        for part in path[1:]:
            if part not in current:
                raise RenderError("'dict object' has no attribute '%s'" % part)
            current = current[part]
        return str(current)
    return re.sub(r'\{\{\s*([a-z_.]+)\s*\}\}', value, text)


def _run(count=3, commands=None, api=None, clock=None, **settings):
    clock = clock or Clock()
    api = api or FakeApi(clock, count)
    lines = []
    devices = [{'id': 100 + number, 'vars': {'apn': 'apn%d' % number}} for number in range(count)]
    if commands is None:
        commands = [{'name': 'APN', 'payload': 'APN,{{ device.vars.apn }}'}]
    engine = Engine(dict(SETTINGS, **settings), commands, devices,
                    api, _render, clock, lines.append)
    return engine.run(), api, lines


def test_one_lookup_one_bulk_send_and_polls_until_delivered():
    result, api, lines = _run()
    names = [call[0].split('.')[-1] for call in api.calls]
    assert names[0] == 'emnify_endpoint_info' and names[1] == 'emnify_sms'
    assert set(names[2:]) == {'emnify_sms_info'}
    assert api.calls[1][1]['messages'] == [{'endpoint_id': 100, 'payload': 'APN,apn0'}, {'endpoint_id': 101, 'payload': 'APN,apn1'},
                                           {'endpoint_id': 102, 'payload': 'APN,apn2'}]
    assert not api.calls[1][2]
    assert result['report']['outcome'] == 'succeeded' and result['failure_message'] is None
    assert [device['commands'][0]['status'] for device in result['report']['devices']] == ['delivered'] * 3
    assert result['summary'][0].startswith('T: succeeded in')
    assert any('waiting for delivery: 3 delivered, 0 failed, 0 still waiting' in line for line in lines)


def test_check_mode_plans_with_check_mode_module_runs_and_sends_nothing():
    result, api, _lines = _run(check=True)
    assert all(call[2] for call in api.calls if call[0].endswith('emnify_sms'))
    assert api.sent == {}
    assert result['report']['outcome'] == 'planned' and result['report']['summary']['parts_to_send'] == 3


def test_a_template_error_fails_only_its_device_and_names_the_command():
    commands = [{'name': 'Server', 'payload': 'SERVER,{{ device.vars.server }}', 'wait': 'none'}]
    clock = Clock()
    api = FakeApi(clock, 2)
    lines = []
    devices = [{'id': 100, 'vars': {'server': 'a'}}, {'id': 101}]
    result = Engine(dict(SETTINGS), commands, devices, api, _render, clock, lines.append).run()
    first, second = result['report']['devices']
    assert first['status'] == 'succeeded'
    assert second['status'] == 'failed' and second['failed_at'] == 'preflight'
    assert second['reason'] == "Server: the payload template failed: 'dict object' has no attribute 'server'"
    assert result['failure_message'].startswith('1 of 2 devices failed: id=101')
    assert api.sent.keys() == {100}


def test_a_definition_mistake_sends_nothing_and_calls_no_module():
    result, api, _lines = _run(commands=[])
    assert api.calls == [] and result['report'] == {}
    assert result['failure_message'].startswith('The rollout definition has mistakes, nothing was sent: sms_provisioning_commands')


def test_wait_reply_without_a_pattern_takes_any_reply():
    clock = Clock()
    api = FakeApi(clock, 1, replies={100: 'whatever'})
    result, _api, _lines = _run(count=1, commands=[{'name': 'Ask', 'payload': 'Q', 'wait': 'reply'}], api=api, clock=clock)
    assert result['report']['devices'][0]['commands'][0]['status'] == 'replied'


def test_an_expired_sms_fails_its_device_and_the_next_command_skips_it():
    clock = Clock()
    api = FakeApi(clock, 3, offline={101})
    result, _api, _lines = _run(commands=[{'name': 'A', 'payload': 'A'}, {'name': 'B', 'payload': 'B', 'wait': 'none'}], api=api, clock=clock)
    assert [payload for _id, payload, _at in api.sent[101]] == ['A']
    assert [payload for _id, payload, _at in api.sent[100]] == ['A', 'B']
    assert result['report']['outcome'] == 'completed_with_failures'


def test_progress_lines_during_a_long_wait_are_spaced_and_never_silent_for_long():
    clock = Clock()
    api = FakeApi(clock, 60, deliver_after=90)
    stamps = []
    _result, _api, lines = _run(count=60, api=api, clock=clock)
    assert len(lines) >= 5
    # spacing: rerun with a recording emit
    clock = Clock()
    api = FakeApi(clock, 60, deliver_after=90)
    devices = [{'id': 100 + number, 'vars': {'apn': 'x'}} for number in range(60)]
    Engine(dict(SETTINGS), [{'name': 'APN', 'payload': 'APN,{{ device.vars.apn }}'}], devices, api, _render, clock,
           lambda line: stamps.append(clock.now)).run()
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:])]
    assert max(gaps) <= _rollout_progress.MAX_SILENCE + 1
    assert stamps[-1] - stamps[0] >= 90


def test_progress_prints_at_most_one_line_per_gap_unless_forced():
    clock = Clock()
    lines = []
    progress = _rollout_progress.Progress(clock, lines.append, clock.time())
    progress.show(lambda: 'a')
    progress.show(lambda: 'b')
    clock.now += 5
    progress.show(lambda: 'c')
    progress.show(lambda: 'd', force=True)
    progress.sleep(50)
    assert lines == ['a (0s elapsed)', 'c (5s elapsed)', 'd (5s elapsed)', 'd (25s elapsed)', 'd (45s elapsed)']
    assert _rollout_progress.duration(3725) == '1h02m' and _rollout_progress.duration(65) == '1m05s'


def test_named_groups_of_a_reply_become_the_device_facts():
    clock = Clock()
    api = FakeApi(clock, 2, replies={100: 'OK FW=1.2.3', 101: 'OK'})
    result, _api, _lines = _run(count=2, commands=[{'name': 'Version', 'payload': 'VERSION?', 'wait': 'reply',
                                                    'reply_pattern': r'^OK(?: FW=(?P<fw>\S+))?'}], api=api, clock=clock)
    first, second = result['report']['devices']
    assert first['facts'] == {'fw': '1.2.3'} and first['commands'][0]['facts'] == {'fw': '1.2.3'}
    assert second['status'] == 'succeeded' and second['facts'] == {}


def test_check_mode_forecasts_parts_requests_time_and_cost():
    result, api, lines = _run(check=True, price_per_part=0.05, rate_limit_requests=600, rate_limit_window=60)
    forecast = result['report']['forecast']
    # 1 lookup + 3 history reads + 3 parts + 2 expected polls for each of the 3 devices waiting for delivery
    assert forecast == {'parts': 3, 'parts_by_encoding': {'gsm7': 3}, 'requests': 13, 'seconds': 1.3, 'cost': 0.15,
                        'requests_by_kind': {'lookup': 1, 'history_reads': 3, 'sends': 3, 'expected_polls': 6}}
    assert any(line.startswith('Forecast: 3 SMS parts (3 gsm7), about 13 API requests, about 1s at the rate limit, '
                               'estimated cost 0.15') for line in lines)
    # The plan itself: the lookup and one history read per device.
    assert result['summary'][-2].startswith('Forecast: 3 SMS parts') and result['summary'][-1] == 'API requests: 4'


def test_a_budget_exceeded_fails_in_the_preflight_with_zero_sends():
    result, api, _lines = _run(budget={'parts': 2, 'requests': 1000})
    assert api.sent == {}
    assert result['report']['outcome'] == 'stopped'
    assert result['failure_message'] == ('The rollout stopped: the forecast of 3 SMS parts exceeds sms_provisioning_budget.parts 2; '
                                         'nothing was sent.')
    checked, api, _lines = _run(check=True, budget={'requests': 5})
    assert checked['report']['outcome'] == 'stopped' and 'sms_provisioning_budget.requests 5' in checked['failure_message']


def test_a_bad_wave_halts_the_rollout_and_later_waves_get_nothing():
    clock = Clock()
    api = FakeApi(clock, 10, offline={103, 104})
    result, api, lines = _run(count=10, commands=[{'name': 'A', 'payload': 'A'}, {'name': 'B', 'payload': 'B', 'wait': 'none'}],
                              api=api, clock=clock, waves=[2, '50%', '100%'], halt_failure_percentage=40, wave_pause=30)
    report = result['report']
    assert sorted(api.sent) == [100, 101, 102, 103, 104]
    assert [payload for _id, payload, _at in api.sent[100]] == ['A', 'B']
    assert [payload for _id, payload, _at in api.sent[103]] == ['A']
    assert report['outcome'] == 'halted' and report['halted_wave'] == 2
    assert report['stopped_reason'].startswith('2 of 3 devices of wave 2 failed (66.7 %, more than sms_provisioning_halt_failure_percentage 40)')
    assert [device['status'] for device in report['devices']][5:] == ['stopped'] * 5
    assert result['failure_message'].startswith('The rollout halted after wave 2: 2 of 3 devices')
    assert any(line.startswith('wave 1 of 3 done; pausing 30s before the next wave') for line in lines)
    assert any(line.startswith('wave 2 of 3: 1. A: waiting for delivery') for line in lines)


def test_waves_that_do_not_grow_are_refused():
    result, api, _lines = _run(count=4, waves=[2, '25%', 0, 'x'])
    assert api.calls == []
    assert "sms_provisioning_waves[1]: the waves are cumulative, so '25%' (1 devices)" in result['failure_message']
    assert 'sms_provisioning_waves[2]: must be a positive device count' in result['failure_message']


def test_the_waiting_rounds_grow_by_half_in_whole_seconds():
    clock = Clock()
    api = FakeApi(clock, 1, deliver_after=25)
    _run(count=1, api=api, clock=clock)
    polls = [at for name, _args, _check, at in api.timed if name.endswith('emnify_sms_info')]
    gaps = [round(later - earlier, 1) for earlier, later in zip(polls, polls[1:])]
    # each read takes 0.5 s of the fake clock; the pauses are 2, 3, 5, 7 and 11 s
    assert gaps == [3.5, 5.5, 7.5, 11.5]


def test_waiting_lines_estimate_the_time_left_from_the_reads_still_needed_at_the_rate_limit():
    # 2 history reads expected per waiting device, at least one more; at 1 request/s plus the next pause; capped by the timeout.
    assert _rollout_progress.wait_estimate(60, 0, 1.0, 2, 300) == 122.0
    assert _rollout_progress.wait_estimate(60, 1, 1.0, 3, 300) == 63.0
    assert _rollout_progress.wait_estimate(60, 5, 1.0, 3, 300) == 63.0
    assert _rollout_progress.wait_estimate(60, 0, 1.0, 2, 40) == 40.0
    assert _rollout_progress.wait_estimate(0, 0, 1.0, 2, 40) == 0.0
    clock = Clock()
    api = FakeApi(clock, 60, deliver_after=90)
    _result, _api, lines = _run(count=60, api=api, clock=clock, rate_limit_requests=600, rate_limit_window=60)
    waiting = [line for line in lines if 'waiting for delivery' in line]
    # The first line printed (the send line came less than 5 s before the first round): after the first round, 60
    # devices still waiting need one more read each, 6 s at 10 requests/s, after the next pause of 3 s (2, then 3 s).
    assert waiting[0].startswith('1. APN: waiting for delivery: 0 delivered, 0 failed, 60 still waiting, about 9s left (at most 4m54s left)')
    # Nothing waits any more: only the timeout left is shown.
    assert ', 0 still waiting, at most ' in waiting[-1] and 'about' not in waiting[-1]


def test_the_report_files_are_written_on_the_controller_without_a_module_run(tmp_path):
    result, api, _lines = _run(report_dir=str(tmp_path / 'reports'), report_slice='job7')
    names = sorted(path.name for path in (tmp_path / 'reports').iterdir())
    assert names == ['sms-provisioning-job7.json', 'sms-provisioning-job7.junit.xml', 'sms-provisioning-job7.md']
    assert result['report_files']['json'] == str(tmp_path / 'reports' / 'sms-provisioning-job7.json')
    assert '"outcome": "succeeded"' in (tmp_path / 'reports' / 'sms-provisioning-job7.json').read_text()
    assert not [call for call in api.calls if 'report' in call[0]]


def test_a_report_that_cannot_be_written_fails_the_rollout_naming_the_directory(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result, _api, _lines = _run(report_dir=str(blocker / 'reports'))
    assert result['report']['outcome'] == 'succeeded'
    assert 'The report could not be written: cannot write to %s' % (blocker / 'reports') in result['failure_message']


def _stamped(clock):
    """A progress sink that keeps when each line was printed."""
    stamps, lines = [], []

    def emit(line):
        stamps.append(clock.now)
        lines.append(line)
    return emit, stamps, lines


@pytest.mark.parametrize('shared', [True, False], ids=['ledger', 'own count'])
def test_a_send_larger_than_the_window_is_split_so_no_module_run_waits_long_and_progress_never_stops(shared):
    """3,000 devices, 6,000 requests at 2,000 per 300 s: after the first burst the window is full for minutes. The
    engine waits for it on the controller, printing lines, and starts each module run when its requests are free: as
    the modules' shared ledger says, or, without it, as the rollout's own count of requests says."""
    clock = Clock()
    api = PacedApi(clock, 3000, 2000, 300, deliver_after=0)
    emit, stamps, lines = _stamped(clock)
    devices = [{'id': 100 + number} for number in range(3000)]
    window = RequestWindow(2000, 300, clock, ledger=api.ledger) if shared else None
    engine = Engine(dict(SETTINGS, lookup=False, rate_limit_requests=2000, rate_limit_window=300), [{'name': 'Ping', 'payload': 'PING',
                    'wait': 'none'}], devices, api, _render, clock, emit, window=window)
    result = engine.run()
    assert result['report']['summary']['parts_sent'] == 3000
    assert sorted(api.sent) == list(range(100, 3100)) and all(len(sms) == 1 for sms in api.sent.values())
    sends = [run for run in api.runs if run[0] == 'emnify_sms']
    assert max(end - began for _name, _count, began, end in sends) <= 20
    assert max(_gaps(stamps)) <= SILENCE
    assert any('waiting' in line and 'for the rate limit (2000 requests per 5m00s)' in line for line in lines)
    # 6,000 requests need three windows; the first two are used whole: done soon after the third opens.
    assert 600 <= clock.now - START <= 600 + 2000 / 40.0 + 30


def test_a_send_that_fits_the_window_is_one_module_run():
    clock = Clock()
    api = PacedApi(clock, 100, 2000, 300, deliver_after=0)
    _run(count=100, commands=[{'name': 'Ping', 'payload': 'PING', 'wait': 'none'}], api=api, clock=clock,
         rate_limit_requests=2000, rate_limit_window=300)
    assert [run[1] for run in api.runs if run[0] == 'emnify_sms'] == [200]


def test_the_chunks_grow_with_the_measured_speed_of_module_runs():
    """The first run is sized from the concurrency (5 requests a second per thread); the next from how fast it went."""
    clock = Clock()
    api = PacedApi(clock, 1500, 2000, 30, per_second=160.0, deliver_after=0)
    _run(count=1500, commands=[{'name': 'Ping', 'payload': 'PING', 'wait': 'none'}], api=api, clock=clock,
         rate_limit_requests=2000, rate_limit_window=30, concurrency=8)
    counts = [run[1] for run in api.runs if run[0] == 'emnify_sms']
    assert counts[0] == 2 * 300 and counts[1] > counts[0] and sum(counts) == 3000


def test_a_poll_round_larger_than_the_window_is_split_and_progress_never_stops():
    clock = Clock()
    api = PacedApi(clock, 2500, 2000, 300, deliver_after=5)
    emit, stamps, _lines = _stamped(clock)
    devices = [{'id': 100 + number} for number in range(2500)]
    engine = Engine(dict(SETTINGS, lookup=False, rate_limit_requests=2000, rate_limit_window=300, wait_timeout=3600),
                    [{'name': 'Ping', 'payload': 'PING'}], devices, api, _render, clock, emit)
    result = engine.run()
    assert result['report']['summary']['succeeded'] == 2500
    reads = [run for run in api.runs if run[0] == 'emnify_sms_info']
    assert len(reads) > 1 and sum(run[1] for run in reads) >= 2500
    assert max(end - began for _name, _count, began, end in api.runs) <= 20
    assert max(_gaps(stamps)) <= SILENCE


def test_a_check_mode_plan_larger_than_the_window_is_read_in_parts():
    clock = Clock()
    api = PacedApi(clock, 2500, 2000, 300)
    emit, stamps, _lines = _stamped(clock)
    devices = [{'id': 100 + number} for number in range(2500)]
    engine = Engine(dict(SETTINGS, lookup=False, check=True, rate_limit_requests=2000, rate_limit_window=300),
                    [{'name': 'Ping', 'payload': 'PING'}], devices, api, _render, clock, emit)
    result = engine.run()
    assert result['report']['outcome'] == 'planned' and len(result['report']['devices']) == 2500
    checks = [run for run in api.runs if run[0] == 'emnify_sms']
    assert len(checks) > 1 and all(call[2] for call in api.calls)
    assert max(_gaps(stamps)) <= SILENCE
