# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of ``emnify.iot.sms_rollout`` (documented in plugins/modules/sms_rollout.py).

It reads the commands untemplated, renders each payload and reply pattern per device with the task's Templar,
and runs the rollout engine (``plugin_utils/_rollout_engine``), which calls the collection's modules through
``_execute_module``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re
import time

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19: a plain str is a template, an unsafe one is not
    trust_as_template = None
    from ansible.utils.unsafe_proxy import wrap_var
else:
    wrap_var = None

from ansible_collections.emnify.iot.plugins.module_utils._module import connection_setting
from ansible_collections.emnify.iot.plugins.module_utils._pace_ledger import LedgerUnavailable, PaceLedger, ledger_name
from ansible_collections.emnify.iot.plugins.module_utils._pacer import shared_limits, simulator_scale
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import StateDir
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_engine import Engine, RenderError
from ansible_collections.emnify.iot.plugins.plugin_utils._rollout_pace import RequestWindow

display = Display()

CONNECTION = ('api_url', 'application_token', 'validate_certs', 'ca_path', 'timeout', 'retries', 'retry_backoff', 'rate_limit_requests',
              'rate_limit_window', 'token_cache', 'token_cache_dir')
# A variable that only names another variable: followed without rendering anything else.
_REFERENCE = re.compile(r'^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$')

ARGUMENT_SPEC = dict(
    devices=dict(type='list', elements='dict', required=True),
    commands=dict(type='list', elements='raw'),
    commands_var=dict(type='str'),
    source_address=dict(type='str'),
    source_address_type=dict(type='str'),
    encoding=dict(type='str', default='auto', choices=['auto', 'gsm7', 'ucs2']),
    validity=dict(type='str'),
    max_parts=dict(type='int', default=10),
    wait=dict(type='str', default='delivered', choices=['none', 'delivered', 'reply']),
    wait_timeout=dict(type='int', default=300),
    poll_interval=dict(type='float', default=2),
    concurrency=dict(type='int', default=4),
    since=dict(type='str'),
    lookup=dict(type='bool', default=True),
    max_fail_percentage=dict(type='float', default=100),
    fail_on_device_errors=dict(type='bool', default=True),
    hide_payload=dict(type='bool', default=True),
    plan_only=dict(type='bool', default=False),
    waves=dict(type='list', elements='raw'),
    wave_pause=dict(type='float', default=0),
    halt_failure_percentage=dict(type='float', default=100),
    halt_min_devices=dict(type='int', default=1),
    price_per_part=dict(type='float'),
    budget=dict(type='dict'),
    report_dir=dict(type='str'),
    report_name=dict(type='str', default='sms-provisioning'),
    report_slice=dict(type='str'),
    title=dict(type='str', default='SMS provisioning'),
    api_url=dict(type='str'),
    application_token=dict(type='str', no_log=True),
    validate_certs=dict(type='bool'),
    ca_path=dict(type='path'),
    timeout=dict(type='int'),
    retries=dict(type='int'),
    retry_backoff=dict(type='float'),
    rate_limit_requests=dict(type='int'),
    rate_limit_window=dict(type='float'),
    token_cache=dict(type='bool'),
    token_cache_dir=dict(type='path'),
)


def _once(message):
    """ansible-core 2.16 repeats a Jinja error as "X. X"; say it once."""
    half = (len(message) - 2) // 2
    if len(message) > 2 and message[:half] == message[half + 2:] and message[half:half + 2] == '. ':
        return message[:half]
    return message


class _Clock:
    @staticmethod
    def time():
        return time.time()

    @staticmethod
    def sleep(seconds):
        time.sleep(seconds)


def raw_value(value, variables, depth=0):
    """``value`` with every string that only names a variable (``{{ name }}``) replaced by that variable's own,
    unrendered value; every other string is left as it is."""
    if depth > 20:
        return value
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        if match and match.group(1) in variables:
            return raw_value(variables[match.group(1)], variables, depth + 1)
        return value
    if isinstance(value, dict):
        return dict((key, raw_value(item, variables, depth + 1)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [raw_value(item, variables, depth + 1) for item in value]
    return value


def _request_window(settings, args):
    """The request window the modules pace by, read from their shared ledger on this controller (see
    ``_rollout_pace``); None when the settings are not numbers (the modules refuse them by name)."""
    try:
        limit, seconds = int(settings['rate_limit_requests']), float(settings['rate_limit_window'])
        scale = simulator_scale(os.environ)
    except (TypeError, ValueError):
        return None
    if limit <= 0 or seconds <= 0:
        return None
    ledger = None
    directory = connection_setting('token_cache_dir', args['token_cache_dir'])
    state = StateDir(os.path.expanduser(os.path.expandvars(directory)) if directory else None)
    if state.usable:
        try:
            ledger = PaceLedger(state.path(ledger_name(connection_setting('api_url', args['api_url']))),
                                shared_limits(limit, seconds, scale))
        except LedgerUnavailable:
            ledger = None

    def read(now):
        try:
            return ledger.live('all', now) if ledger is not None else None
        except LedgerUnavailable:
            return None
    return RequestWindow(limit, seconds, _Clock, ledger=read)


class ActionModule(ActionBase):
    """Run an sms_provisioning rollout on the controller (ActionBase's defaults: no file transfer, check mode
    supported)."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC,
                                                       mutually_exclusive=[['commands', 'commands_var']],
                                                       required_one_of=[['commands', 'commands_var']])
        try:
            commands = self._commands(args, task_vars)
        except AnsibleError as exc:
            result.update(failed=True, msg=to_text(exc))
            return result
        settings = dict((name, args[name]) for name in ARGUMENT_SPEC if name not in CONNECTION + ('devices', 'commands', 'commands_var'))
        settings['no_log'] = args['hide_payload']
        settings['check'] = bool(self._task.check_mode or args['plan_only'])
        settings['connection'] = dict((name, args[name]) for name in CONNECTION if args[name] is not None)
        # The chunks, the forecast and the time-left estimate follow the pace the modules keep (the option, else its
        # environment variable, else emnify's limit).
        settings['rate_limit_requests'] = connection_setting('rate_limit_requests', args['rate_limit_requests'])
        settings['rate_limit_window'] = connection_setting('rate_limit_window', args['rate_limit_window'])
        settings['api_url'] = args['api_url'] or os.environ.get('EMNIFY_API_URL')
        if args['report_dir']:
            settings['report_dir'] = os.path.realpath(os.path.expanduser(args['report_dir']))
        engine = Engine(settings, commands, args['devices'], self._run_module_for(task_vars), self._render_for(task_vars),
                        _Clock(), self._emit, window=_request_window(settings, args))
        result.update(engine.run())
        # The report is returned once, as the fact: every copy in a task's result costs Ansible time on each later task.
        result['ansible_facts'] = {'sms_provisioning_result': result.pop('report', None) or {}}
        for line in result.get('summary') or []:
            display.display(line)
        return result

    # the commands, untemplated -------------------------------------------------------------------
    def _commands(self, args, task_vars):
        if args.get('commands') is not None:
            return args['commands']
        name = args['commands_var']
        if name not in task_vars:
            raise AnsibleError('commands_var: no variable %s is defined' % name)
        value = raw_value(task_vars[name], task_vars)
        if isinstance(value, str):
            try:
                value = self._templar.template(value)
            except Exception as exc:  # any template error names the variable and the fix
                raise AnsibleError('%s: could not be read (%s). Give the commands as a list in the play or a vars file, or as '
                                   '"{{ other_variable }}" naming such a list, so that each payload template is rendered per '
                                   'device.' % (name, to_text(exc)))
        if isinstance(value, list):
            value = [self._settle(item) for item in value]
        return value

    def _settle(self, command):
        """A command with every option but the payload and the reply pattern rendered (they are rendered per device)."""
        if not isinstance(command, dict):
            return command
        out = {}
        for key, value in command.items():
            if key in ('payload', 'reply_pattern') or not isinstance(value, str) or '{' not in value:
                out[key] = value
                continue
            try:
                out[key] = self._templar.template(value)
            except Exception as exc:  # noqa pylint: disable=broad-except
                raise AnsibleError('%s: the %s option of a command could not be rendered (%s); only payload and reply_pattern '
                                   'may refer to device and endpoint' % ('sms_provisioning_commands', key, to_text(exc)))
        return out

    # what the engine is given ------------------------------------------------------------------
    def _render_for(self, task_vars):
        variables = dict(task_vars)

        def render(text, device, endpoint):
            text = u''.join([to_text(text)])
            if trust_as_template is not None:
                text = trust_as_template(text)
                variables['device'], variables['endpoint'] = device, endpoint
            else:
                variables['device'], variables['endpoint'] = wrap_var(device), wrap_var(endpoint)
            templar = self._templar.copy_with_new_env(available_variables=variables)
            try:
                value = templar.template(text)
            except Exception as exc:  # any Jinja error fails this device only, with its message
                raise RenderError(_once(to_text(exc)))
            return to_text(value)
        return render

    def _run_module_for(self, task_vars):
        def run_module(name, args, check):
            saved = self._task.check_mode
            self._task.check_mode = check
            try:
                return self._execute_module(module_name=name, module_args=args, task_vars=task_vars)
            except AnsibleError as exc:
                return {'failed': True, 'msg': to_text(exc)}
            finally:
                self._task.check_mode = saved
        return run_module

    @staticmethod
    def _emit(line):
        display.display('sms_rollout: %s' % line)
