# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue between AnsibleModule and the emnify client: connection options, client set-up, errors.

Every module builds an :class:`EmnifyModule` with its own argument spec; the connection
options (documented in the ``emnify.iot.connection`` doc fragment) are added here, once.
Errors leave through :meth:`EmnifyModule.fail`, outside any ``except`` block, so a failure
never carries a Python traceback, and the application token and the JWT are registered as
values Ansible must mask in any output.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.errors import AnsibleFallbackNotFound, UnsupportedError

from ansible_collections.emnify.iot.plugins.module_utils._client import (
    DEFAULT_API_URL,
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    EmnifyClient,
)
from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyApiError, EmnifyError, redact
from ansible_collections.emnify.iot.plugins.module_utils._pacer import simulator_scale
from ansible_collections.emnify.iot.plugins.module_utils._sms_codec import SmsCodecError, check_characters
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import StateDir

LOOPBACK_HOSTS = ('localhost', '127.0.0.1', '::1', '[::1]')
_LONE_SURROGATE = re.compile(u'[\ud800-\udfff]')

# emnify application tokens are long JWTs. A shorter value is a mistake, and it would be harmful: Ansible masks every
# occurrence of a no_log value in every output, so a token such as "T" garbles all results ("OK IN********ERVAL").
MIN_TOKEN_LENGTH = 16


def nonempty_env_fallback(*names):
    """Like env_fallback, but an empty variable counts as unset.

    Credential injectors (AWX/AAP) render an input left empty as an empty string; the option then keeps its default.
    """
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip():
            return value
    raise AnsibleFallbackNotFound


def connection_argument_spec():
    """The argument spec of the connection options (see the connection doc fragment)."""
    return dict(
        application_token=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['EMNIFY_APPLICATION_TOKEN'])),
        api_url=dict(type='str', default=DEFAULT_API_URL, fallback=(nonempty_env_fallback, ['EMNIFY_API_URL'])),
        validate_certs=dict(type='bool', default=True, fallback=(nonempty_env_fallback, ['EMNIFY_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(nonempty_env_fallback, ['EMNIFY_CA_PATH'])),
        timeout=dict(type='int', default=30, fallback=(nonempty_env_fallback, ['EMNIFY_TIMEOUT'])),
        retries=dict(type='int', default=5),
        retry_backoff=dict(type='float', default=1.0),
        rate_limit_requests=dict(type='int', default=2000, fallback=(nonempty_env_fallback, ['EMNIFY_RATE_LIMIT_REQUESTS'])),
        rate_limit_window=dict(type='float', default=300, fallback=(nonempty_env_fallback, ['EMNIFY_RATE_LIMIT_WINDOW'])),
        token_cache=dict(type='bool', default=True, fallback=(nonempty_env_fallback, ['EMNIFY_TOKEN_CACHE'])),
        token_cache_dir=dict(type='path', fallback=(nonempty_env_fallback, ['EMNIFY_TOKEN_CACHE_DIR'])),
    )


def connection_setting(name, value=None):
    """The value a module uses for connection option ``name`` when the task gives ``value``: ``value`` itself when
    set, else the option's environment variable, else its default (for the controller, which plans by it)."""
    if value is not None:
        return value
    spec = connection_argument_spec()[name]
    fallback = spec.get('fallback')
    if fallback:
        try:
            return fallback[0](*fallback[1])
        except AnsibleFallbackNotFound:
            pass
    return spec.get('default')


def check_connection_params(params):
    """Return a list of messages for connection options out of range (each names the option and the rule)."""
    problems = []
    url = params.get('api_url') or ''
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        problems.append('api_url: must be an http:// or https:// URL such as https://cdn.emnify.net, got %r' % url)
    elif parts.path.rstrip('/').endswith('/api/v1') or parts.path.rstrip('/').endswith('/api'):
        problems.append('api_url: give the base URL without the /api or /api/v1 path (got %r)' % url)
    if params.get('timeout') is not None and params['timeout'] <= 0:
        problems.append('timeout: must be a positive number of seconds, got %s' % params['timeout'])
    if params.get('retries') is not None and not 0 <= params['retries'] <= 20:
        problems.append('retries: must be between 0 and 20, got %s' % params['retries'])
    if params.get('retry_backoff') is not None and params['retry_backoff'] < 0:
        problems.append('retry_backoff: must not be negative, got %s' % params['retry_backoff'])
    if params.get('rate_limit_requests') is not None and params['rate_limit_requests'] < 0:
        problems.append('rate_limit_requests: must be 0 (no pacing) or a positive number, got %s' % params['rate_limit_requests'])
    if params.get('rate_limit_window') is not None and params['rate_limit_window'] <= 0:
        problems.append('rate_limit_window: must be a positive number of seconds, got %s' % params['rate_limit_window'])
    token = params.get('application_token') or ''
    if not token.strip():
        problems.append('application_token: must not be empty (set it or EMNIFY_APPLICATION_TOKEN)')
    elif len(token) < MIN_TOKEN_LENGTH:
        problems.append(short_token_message(len(token)))
    return problems


def build_client(params, pool_size=10, scale=1.0, state=None):
    """An EmnifyClient for validated connection options (see :func:`connection_argument_spec`).

    The private state directory (the token cache, the shared request ledger; see ``_state_dir``) is ``state``, or
    one resolved from ``token_cache_dir`` (the default one, or the fallback when it cannot be used); the JWT is cached
    there only with ``token_cache``.
    """
    state_dir = state if state is not None else StateDir(params['token_cache_dir'])
    cache_dir = state_dir.directory if params['token_cache'] and state_dir.usable else None
    return EmnifyClient(
        params['api_url'], params['application_token'], timeout=params['timeout'],
        validate_certs=params['validate_certs'], ca_path=params['ca_path'], retries=params['retries'],
        retry_backoff=params['retry_backoff'], rate_limit_requests=params['rate_limit_requests'],
        rate_limit_window=params['rate_limit_window'], token_cache_dir=cache_dir, pool_size=pool_size,
        state_dir=state_dir, simulator_scale=scale)


def short_token_message(length):
    return ('application_token: too short (%d character%s); emnify application tokens are JWTs of hundreds of '
            'characters and at least %d are required, since Ansible hides the token wherever it occurs in the output: '
            'copy the whole token from the emnify Portal' % (length, '' if length == 1 else 's', MIN_TOKEN_LENGTH))


def is_plain_http_remote(url):
    parts = urlsplit(url or '')
    return parts.scheme == 'http' and (parts.hostname or '') not in LOOPBACK_HOSTS and not (parts.hostname or '').startswith('127.')


def plain_http_warning(url):
    """The warning for an ``api_url`` that sends the token unencrypted over the network, or None."""
    if is_plain_http_remote(url):
        return ('api_url uses plain http:// to a host other than the loopback interface; '
                'the auth token crosses the network unencrypted')
    return None


def connection_problems(params):
    """(problems, simulator scale) of validated connection options: the options' rules and the scale's variable."""
    problems = check_connection_params(params)
    scale = None
    try:
        scale = simulator_scale(os.environ)
    except ValueError as exc:
        problems.append(str(exc))
    return problems, scale


def _without_surrogates(name, value, problems, hidden):
    """``value`` with every lone surrogate replaced by U+FFFD; each text that held one adds a problem naming ``name``.

    A replaced text whose original is hidden (in ``hidden``, the no_log values) is hidden too.
    """
    if isinstance(value, str):
        try:
            check_characters(value, name)
        except SmsCodecError as exc:
            problems.append(str(exc))
            clean = _LONE_SURROGATE.sub(u'\ufffd', value)
            if value in hidden:
                hidden.add(clean)
            return clean
        return value
    if isinstance(value, list):
        return [_without_surrogates('%s[%d]' % (name, index), item, problems, hidden) for index, item in enumerate(value)]
    if isinstance(value, dict):
        return dict((key, _without_surrogates('%s.%s' % (name, key), item, problems, hidden)) for key, item in value.items())
    return value


class _AnsibleModule(AnsibleModule):
    """AnsibleModule that reports an unknown option first and survives arguments its invocation log cannot encode.

    ansible-core reports only the first argument error, and unknown options come after checks such as
    required_together: a mistyped option (``paylod``) would be reported as the option it was meant to be missing.

    ansible-core writes the arguments to the system log as UTF-8, which a lone surrogate (text read from a file
    that is not UTF-8) cannot be; it would end the module with a traceback. The log is skipped instead, and
    :class:`EmnifyModule` refuses the text by its option.
    """

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        result = getattr(self, 'validation_result', None)
        errors = getattr(getattr(result, 'errors', None), 'errors', None) or []
        unknown = [error for error in errors if isinstance(error, UnsupportedError)]
        if unknown and errors[0] is not unknown[0]:
            msg = 'Unsupported parameters for (%s) module: %s' % (self._name, unknown[0].args[0])
        super(_AnsibleModule, self).fail_json(msg, **kwargs)

    def _log_invocation(self):
        try:
            super(_AnsibleModule, self)._log_invocation()
        except UnicodeEncodeError:
            pass


class EmnifyModule:
    """An AnsibleModule with the connection options, a lazily built client and clean failures."""

    def __init__(self, argument_spec, pool_size=10, hidden_values=None, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault('supports_check_mode', True)
        self.ansible = _AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.ansible.params
        if hidden_values is not None:
            # Values the user asked to hide (hide_payload) are masked before any check can fail.
            for value in hidden_values(self.params):
                if value:
                    self.ansible.no_log_values.add(value)
        self.check_mode = self.ansible.check_mode
        self._pool_size = pool_size
        self._client = None
        self._state = None
        self._refuse_short_token()
        self._refuse_lone_surrogates()
        if not HAS_REQUESTS:
            self.ansible.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        problems, self._simulator_scale = connection_problems(self.params)
        if problems:
            self.fail('; '.join(problems))
        warning = plain_http_warning(self.params['api_url'])
        if warning:
            self.ansible.warn(warning)

    def _refuse_short_token(self):
        """Fail, readably, when the application token is too short to be one.

        Ansible masks every occurrence of a no_log value in the output, so the message about a one-letter token would
        itself be garbled. The value is refused here, before anything uses it, and it is not a credential emnify could
        have issued: it is taken out of the masked values for this failure only, and the invocation shows the option
        as hidden, as it does for any no_log option. Every accepted token stays masked everywhere.
        """
        token = self.params.get('application_token') or ''
        if not token.strip() or len(token) >= MIN_TOKEN_LENGTH:
            return
        self.ansible.no_log_values.discard(token)
        module_args = dict(self.params, application_token='VALUE_SPECIFIED_IN_NO_LOG_PARAMETER')
        self.ansible.fail_json(msg=short_token_message(len(token)), invocation=dict(module_args=module_args),
                               api_usage=self.api_usage())

    def _refuse_lone_surrogates(self):
        """Fail, naming the option, when an argument holds a lone surrogate (text from a file that is not UTF-8).

        The result repeats the arguments with U+FFFD in their place: ansible-core refuses a result it cannot
        encode as UTF-8, and would show that instead of the message.
        """
        problems = []
        shown = dict((name, _without_surrogates(name, value, problems, self.ansible.no_log_values))
                     for name, value in self.params.items())
        if problems:
            self.fail('; '.join(problems), invocation=dict(module_args=shown))

    @property
    def state(self):
        """The private state directory of this run (O(token_cache_dir), or the fallback; see ``_state_dir``)."""
        if self._state is None:
            self._state = StateDir(self.params['token_cache_dir'])
        return self._state

    @property
    def client(self):
        if self._client is None:
            self._client = build_client(self.params, pool_size=self._pool_size, scale=self._simulator_scale, state=self.state)
        return self._client

    def api_usage(self):
        """Requests made by this run, for the module result (no secrets in here)."""
        if self._client is None:
            return dict(requests=0, authentications=0, retries=0, status_429=0, by_method={})
        stats = self._client.stats
        return dict(requests=stats['requests'], authentications=stats['authentications'], retries=stats['retries'],
                    status_429=stats['status_429'], by_method=dict(stats['by_method']))

    def _warn_state(self):
        """Say once per run, with the result, which state directory could not be used and what that means."""
        if self._state is not None and self._state.warning:
            self.ansible.warn(self._state.warning)

    def _mask_secrets(self):
        if self._client is not None:
            for secret in self._client.secrets:
                self.ansible.no_log_values.add(secret)

    def exit(self, **result):
        self._warn_state()
        self._mask_secrets()
        result.setdefault('api_usage', self.api_usage())
        self.ansible.exit_json(**result)

    def fail(self, msg, **result):
        """Fail the task with ``msg``; call it outside ``except`` blocks so no traceback is attached."""
        self._warn_state()
        self._mask_secrets()
        secrets = self._client.secrets if self._client is not None else (self.params.get('application_token'),)
        result.setdefault('api_usage', self.api_usage())
        self.ansible.fail_json(msg=redact(msg, secrets), **result)

    def run(self, work):
        """Call ``work(self)``; turn client errors into a clean failure, else exit with its result."""
        failure = None
        try:
            result = work(self)
        except EmnifyApiError as exc:
            failure = (str(exc), dict(error=exc.to_dict()))
        except EmnifyError as exc:
            failure = (str(exc), {})
        except ModuleInputError as exc:
            failure = (str(exc), {})
        if failure is not None:
            self.fail(failure[0], **failure[1])
        self.exit(**result)


class ModuleInputError(Exception):
    """Bad task input found after argument-spec validation; the message names the option and the rule."""


def check_endpoint_id(value, option):
    """``value`` if it can be an endpoint id (a positive integer), else ModuleInputError naming ``option``."""
    if value <= 0:
        raise ModuleInputError('%s: endpoint ids are positive integers, got %s' % (option, value))
    return value


def endpoint_ids(values, option, required=True):
    """The distinct endpoint ids of an option, in their order; ModuleInputError naming ``option`` for one that
    cannot be an endpoint id, or for none at all when ``required``."""
    found = []
    for value in values:
        if check_endpoint_id(value, option) not in found:
            found.append(value)
    if required and not found:
        raise ModuleInputError('%s: give at least one endpoint id' % option)
    return found
