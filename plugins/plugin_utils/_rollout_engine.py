# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``sms_provisioning`` rollout from start to end: resolve, render, preflight, send and wait, report.

The engine talks to the API only through the collection's modules, called by ``run_module(name, args, check)``
(``emnify_endpoint_info`` to resolve, ``emnify_sms`` with ``messages`` to send in bulk, ``emnify_sms_info`` to
wait). It writes the report files itself, with the functions of the ``sms_rollout_report`` module. Templates
are rendered by ``render(text, device, endpoint)``, time comes from ``clock`` and progress lines go to ``emit``: the
action plugin ``emnify.iot.sms_rollout`` gives the real ones, the unit tests fakes.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import math

from ansible_collections.emnify.iot.plugins.module_utils._rollout_report import write_files
from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout_forecast, _rollout_plan, _rollout_progress
from ansible_collections.emnify.iot.plugins.plugin_utils import _rollout_report, _rollout_state
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_pace import RequestWindow
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_state import SELECTORS, _result_key, module_error, plain

POLL_CAP = 30.0
# Sends and reads are split into module runs that each end within about this long, so that progress shows.
CHUNK_SECONDS = 15.0
# A module run starts when the requests it needs are free within this long (it starts up in the meantime).
START_AHEAD = 2.0


class RenderError(Exception):
    """A payload or reply pattern template that cannot be rendered for a device."""


def _moment(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def _omit_none(args):
    return dict((key, value) for key, value in args.items() if value is not None)


class Engine:
    """One rollout. ``settings`` holds the role-wide values (see the action plugin's options); ``window`` is the request
    window the modules pace by (``_rollout_pace.RequestWindow``; by default one that knows only this rollout's requests)."""

    def __init__(self, settings, commands, devices, run_module, render, clock, emit, window=None):
        self.settings = settings
        self.raw_commands = commands
        self.devices = devices or []
        self.run_module = run_module
        self.render = render
        self.clock = clock
        self.started = clock.time()
        self.progress = _rollout_progress.Progress(clock, emit, self.started)
        self.emit = emit
        self.commands = []
        self.prefix = ''
        self.state = None
        self.endpoints = {}
        limit, seconds = self._limits()
        self.window = window or RequestWindow(limit, seconds, clock)
        # Requests per second of a module run; measured from each run, first guessed from the concurrency.
        self.throughput = 5.0 * max(1, int(settings.get('concurrency') or 4))
        self.paused_until = None

    # helpers ----------------------------------------------------------------------------------------
    def _module(self, name, args, check=False):
        args = _omit_none(dict(args, **self.settings.get('connection') or {}))
        return self.run_module(name, args, check) or {}

    def _check(self):
        return bool(self.settings.get('check'))

    def _limits(self):
        """The requests per window the modules are paced to (emnify's 2,000 per 300 s unless set otherwise)."""
        try:
            limit, seconds = int(self.settings.get('rate_limit_requests') or 2000), float(self.settings.get('rate_limit_window') or 300)
        except (TypeError, ValueError):  # the modules refuse such a value by its option's name
            return 2000, 300.0
        return (limit, seconds) if limit > 0 and seconds > 0 else (2000, 300.0)

    def _rate(self):
        """Requests per second, sustained."""
        limit, seconds = self._limits()
        return limit / seconds

    def _in_chunks(self, items, per_item, run, describe):
        """Yield ``(chunk, result)`` for consecutive parts of ``items``, each handed to ``run`` (one module run that
        makes about ``per_item`` requests per item). Each part is as large as the request window lets go within
        CHUNK_SECONDS at the measured speed of module runs; while it lets too little go, wait here, showing progress."""
        least = max(1, min(2 * int(self.settings.get('concurrency') or 4), self.window.limit // max(1, per_item)))
        start = 0
        while start < len(items):
            rest = len(items) - start
            smallest = min(rest, least)
            wait = self.window.time_until(smallest * per_item)
            if wait > START_AHEAD:
                self.paused_until = self.clock.time() + wait
                self.progress.show(describe)
                self.progress.sleep(wait - START_AHEAD)
                self.paused_until = None
                continue
            most = self.window.capacity(rest * per_item, self.throughput, CHUNK_SECONDS) // max(1, per_item)
            chunk = items[start:start + max(smallest, min(rest, most))]
            self.progress.show(describe)  # a line at most MIN_GAP before a module run: never silent for long
            began = self.clock.time()
            result = run(chunk) or {}
            used = (result.get('api_usage') or {}).get('requests', 0) or 0
            self.window.record(used, began)
            took = self.clock.time() - began
            if used and took > 0:
                self.throughput = max(used / took, self._rate())
            start += len(chunk)
            yield chunk, result

    def _paused(self):
        """The progress line's note while the engine waits for the request window."""
        if self.paused_until is None:
            return ''
        return '; waiting %s for the rate limit (%d requests per %s)' % (
            _rollout_progress.duration(self.paused_until - self.clock.time()), self.window.limit,
            _rollout_progress.duration(self.window.window))

    # steps ------------------------------------------------------------------------------------------
    def run(self):
        """The whole rollout; returns the action's result without ``failed`` for a rollout that ran (the role
        decides from ``failure_message``)."""
        settings = self.settings
        started_at = _rollout_state.stamp(_moment(self.started))
        names = ('source_address', 'source_address_type', 'encoding', 'validity', 'max_parts', 'wait', 'wait_timeout')
        defaults = dict((name, settings.get(name)) for name in names)
        self.commands, problems = _rollout_plan.definition(self.raw_commands, defaults, self.devices, settings.get('lookup', True))
        problems += _rollout_plan.setting_problems(settings.get('max_fail_percentage', 100), settings.get('poll_interval', 2),
                                                   settings.get('concurrency', 4), settings.get('report_slice'))
        waves, wave_problems = _rollout_plan.waves(settings.get('waves'), len(self.devices))
        problems += wave_problems
        problems += _rollout_plan.guard_problems(settings.get('halt_failure_percentage', 100), settings.get('halt_min_devices', 1),
                                                 settings.get('budget'), settings.get('price_per_part'), settings.get('wave_pause', 0))
        if problems:
            message = 'The rollout definition has mistakes, nothing was sent: %s' % '; '.join(problems)
            return {'changed': False, 'report': {}, 'summary': [], 'failure_message': message}
        lookup = self._resolve()
        if lookup is not None and lookup.get('failed'):
            message = 'The devices could not be looked up, nothing was sent: %s' % module_error(lookup)
            return {'changed': False, 'report': {}, 'summary': [], 'failure_message': message}
        self._render()
        self._preflight()
        forecast = _rollout_forecast.forecast(self.state, self.commands, self._rate(), settings.get('price_per_part'), self._check())
        self.progress.show(lambda: _rollout_report.forecast_line(forecast), force=True)
        exceeded = _rollout_forecast.over_budget(forecast, settings.get('budget'))
        if exceeded:
            self.state = _rollout_state.stop(self.state, '%s; nothing was sent' % exceeded)
        elif not self._check():
            self._waves(waves)
        report = _rollout_report.report(self.state, self.commands, self._check(), settings.get('title'), started_at, self.started,
                                        settings.get('api_url'), settings.get('no_log', True), now=_moment(self.clock.time()),
                                        forecast=forecast)
        written = self._write(report)
        summary = _rollout_report.summary_lines(report)
        failure = _rollout_report.failure_message(report, settings.get('fail_on_device_errors', True), written.get('path'))
        if written.get('error'):
            failure = ('%s ' % failure if failure else '') + 'The report could not be written: %s' % written['error']
        return {'changed': report['summary']['parts_sent'] > 0, 'report': report, 'summary': summary, 'failure_message': failure,
                'report_files': written.get('files') or {}}

    def _waves(self, waves):
        """Each wave runs every command before the next wave starts; a wave whose failure rate passes the halt
        threshold halts the rollout."""
        keys = [device['key'] for device in self.state['devices']]
        self.state = _rollout_state.queue(self.state, keys)
        start = 0
        for number, end in enumerate(waves, 1):
            wave = keys[start:end]
            start = end
            self.state = _rollout_state.release(self.state, wave)
            released = [key for key in wave if self.state['status'][key]['state'] == 'pending']
            self.prefix = ('wave %d of %d: ' % (number, len(waves))) if len(waves) > 1 else ''
            for command in self.commands:
                if self.state['aborted'] or self._halted(number, released):
                    break
                self._send(command)
                if command['wait'] != 'none':
                    self._wait(command)
            halted = self.state['aborted'] or self.state.get('halted_wave') or self._halted(number, released)
            self.state = _rollout_state.finish(self.state, released)
            if halted:
                break
            pause = float(self.settings.get('wave_pause') or 0)
            if number < len(waves) and pause > 0:
                self.progress.show(lambda: 'wave %d of %d done; pausing %s before the next wave' % (
                    number, len(waves), _rollout_progress.duration(pause)), force=True)
                self.progress.sleep(pause)
        self.prefix = ''

    def _halted(self, number, released):
        """Whether wave ``number`` failed too often (and halt the rollout if so)."""
        if self.state.get('halted_wave'):
            return True
        threshold = float(self.settings.get('halt_failure_percentage', 100))
        failed = sum(1 for key in released if self.state['status'][key]['state'] == 'failed')
        settled = sum(1 for key in released if self.state['status'][key]['state'] in ('failed', 'done') or
                      all((self.state['results'].get(_result_key(key, command['index'])) or {}).get('state')
                          in _rollout_state.DONE_STATES for command in self.commands))
        if not released or settled < int(self.settings.get('halt_min_devices', 1)):
            return False
        rate = 100.0 * failed / len(released)
        if rate <= threshold:
            return False
        reason = ('%d of %d devices of wave %d failed (%.1f %%, more than sms_provisioning_halt_failure_percentage %g); '
                  'no later wave was sent anything' % (failed, len(released), number, rate, threshold))
        self.state = _rollout_state.halt(self.state, reason, number)
        return True

    def _resolve(self):
        lookup = None
        if self.settings.get('lookup', True):
            selectors = dict((field, []) for field in SELECTORS)
            for item in self.devices:
                for field in SELECTORS:
                    if isinstance(item, dict) and item.get(field) is not None:
                        value = item[field]
                        selectors[field].append(value if field == 'id' else str(value).strip())
            self.progress.show(lambda: 'Looking up %d devices' % len(self.devices), force=True)
            lookup = self._module('emnify.iot.emnify_endpoint_info', dict((key, value) for key, value in selectors.items() if value))
            self.window.record((lookup.get('api_usage') or {}).get('requests', 0))
            if lookup.get('failed'):
                return lookup
            self.endpoints = dict((str(endpoint.get('id')), endpoint) for endpoint in lookup.get('endpoints') or [])
        self.state = _rollout_state.resolve(self.devices, lookup, float(self.settings.get('max_fail_percentage', 100)))
        return lookup

    def _render(self):
        rendered, failures = {}, {}
        for device in self.state['devices']:
            if self.state['status'][device['key']]['state'] != 'pending':
                continue
            item = plain(self.devices[device['number'] - 1])
            item['vars'] = item.get('vars') or {}
            item['label'] = device['label']
            endpoint = self.endpoints.get(str(device['endpoint_id'])) or {'id': device['endpoint_id']}
            payloads, patterns = [], []
            try:
                for command in self.commands:
                    payloads.append(self._field(command, 'payload', item, endpoint))
                    patterns.append(self._field(command, 'reply_pattern', item, endpoint))
            except RenderError as exc:
                failures[device['key']] = str(exc)
                continue
            rendered[device['key']] = {'payloads': payloads, 'patterns': patterns}
        self.state = _rollout_state.with_rendered(self.state, rendered, failures)

    def _field(self, command, name, item, endpoint):
        text = command.get(name)
        if text is None:
            return ''
        if _rollout_plan.is_template(text):
            try:
                text = self.render(text, item, endpoint)
            except RenderError as exc:
                raise RenderError('%s: the %s template failed: %s' % (command['label'], name.replace('_', ' '), exc))
        text = '' if text is None else str(text).strip()
        if name == 'reply_pattern' and text:
            try:
                _rollout_plan.re.compile(text)
            except _rollout_plan.re.error as exc:
                raise RenderError('%s: the reply pattern %s is not a regular expression: %s' % (command['label'], text, exc))
        return text

    def _preflight(self):
        since, no_log = self.settings.get('since'), self.settings.get('no_log', True)
        if not self._check():
            self.state = _rollout_plan.plan(self.state, self.commands, since, no_log)
            return
        results = []
        groups = _rollout_state.groups(self.state, [command['index'] for command in self.commands])
        for position, group in enumerate(groups, 1):
            command = self.commands[group['command']]
            done = {'devices': 0}

            def describe():
                return 'Planning: message %d of %d, %d of %d devices read%s' % (
                    position, len(groups), done['devices'], len(group['keys']), self._paused())

            def check(positions):
                args = self._sms_args(command, endpoint_id=[group['endpoint_ids'][one] for one in positions], payload=group['payload'])
                return self._module('emnify.iot.emnify_sms', args, check=True)

            self.progress.show(describe)
            for positions, result in self._in_chunks(list(range(len(group['keys']))), 1, check, describe):
                part = dict(group, keys=[group['keys'][one] for one in positions],
                            endpoint_ids=[group['endpoint_ids'][one] for one in positions])
                results.append(dict(result, item=part))
                done['devices'] += len(positions)
                self.progress.show(describe)
        self.state = _rollout_plan.checked_plan(self.state, self.commands, results, no_log)

    def _sms_args(self, command, **args):
        return _omit_none(dict(args, source_address=command.get('source_address'), source_address_type=command.get('source_address_type'),
                               encoding=command['encoding'], validity=command.get('validity'), max_parts=command['max_parts'],
                               since=self.settings.get('since'), concurrency=self.settings.get('concurrency', 4),
                               hide_payload=self.settings.get('no_log', True)))

    def _send(self, command):
        messages = _rollout_state.messages(self.state, command['index'])
        if not messages:
            return
        started_at = _rollout_state.stamp(_moment(self.clock.time()))
        parts = max([result.get('parts') or 1 for result in self.state['results'].values()] or [1])
        combined = {'messages': [], 'api_usage': {'requests': 0}}
        tally = {'done': 0, 'parts': 0, 'failed': 0}

        def describe():
            left = self.window.eta((len(messages) - tally['done']) * (1 + parts), self.throughput) if tally['done'] < len(messages) else 0
            return self.prefix + _rollout_progress.send_line(command, tally['done'], len(messages), tally['parts'], tally['failed'],
                                                             left) + self._paused()

        def send(chunk):
            return self._module('emnify.iot.emnify_sms', self._sms_args(command, messages=chunk))

        self.progress.show(describe)
        for chunk, result in self._in_chunks(messages, 1 + parts, send, describe):
            answered = dict((str(message.get('endpoint_id')), message) for message in result.get('messages') or [])
            for message in chunk:
                one = answered.get(str(message['endpoint_id']))
                if one is None:
                    one = {'endpoint_id': message['endpoint_id'], 'failed': True, 'msg': str(module_error(result))}
                combined['messages'].append(one)
                tally['parts'] += sum(1 for part in one.get('parts') or [] if part.get('sent') is True)
                tally['failed'] += 1 if one.get('failed') else 0
            combined['api_usage']['requests'] += (result.get('api_usage') or {}).get('requests', 0) or 0
            tally['done'] += len(chunk)
            self.progress.show(describe, force=tally['done'] == len(messages))
        self.state = _rollout_state.sent(self.state, command, combined, started_at, now=_moment(self.clock.time()))

    def _wait(self, command):
        deadline = self.clock.time() + command['timeout']
        interval = float(self.settings.get('poll_interval', 2))
        direction = 'all' if command['wait'] == 'reply' else 'mt'
        rounds = {'done': 0}
        rate = self._rate()

        def describe():
            counts = _rollout_progress.count_states(self.state, command['index'])
            left = deadline - self.clock.time()
            estimate = _rollout_progress.wait_estimate(counts.get('waiting', 0), rounds['done'], rate, math.ceil(interval), left)
            return self.prefix + _rollout_progress.wait_line(command, counts, left, estimate) + self._paused()

        def read(endpoint_ids):
            return self._module('emnify.iot.emnify_sms_info', {'endpoint_id': endpoint_ids, 'direction': direction})

        while True:
            waiting = _rollout_state.waiting_ids(self.state, command['index'])
            if not waiting:
                break
            self.progress.show(describe)
            # Whole seconds, as the role always paused: the same rounds, and so the same requests, as before.
            self.progress.sleep(max(0.0, min(math.ceil(interval), deadline - self.clock.time())))
            for endpoint_ids, history in self._in_chunks(waiting, 1, read, describe):
                self.state = _rollout_state.polled(self.state, command, history, deadline, now=_moment(self.clock.time()),
                                                   endpoint_ids=endpoint_ids)
                self.progress.show(describe)
            interval = min(interval * 1.5, POLL_CAP)
            rounds['done'] += 1
        self.progress.show(describe, force=True)

    def _write(self, report):
        """The report files, written on the controller, where the rollout runs (in check mode too: a plan is a report)."""
        directory = self.settings.get('report_dir')
        if not directory:
            return {}
        name = self.settings.get('report_name') or 'sms-provisioning'
        if self.settings.get('report_slice'):
            name += '-%s' % self.settings['report_slice']
        try:
            files, _written = write_files(report, directory, name)
        except (OSError, ValueError) as exc:
            return {'path': directory, 'error': 'cannot write to %s: %s' % (directory, exc)}
        return {'path': directory, 'files': files}
