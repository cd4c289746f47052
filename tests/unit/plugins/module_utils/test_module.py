# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for _module: connection options, their checks, failures and secret masking.

Boundaries: AnsibleModule gets its arguments the supported way for the running
ansible-core; where a test needs the API, the unit tests' fake API (tests/unit/fake_api.py, a
scripted ``requests`` transport adapter) is mounted on the client's own Session (no other layer is replaced). Output is read from
what exit_json / fail_json print.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import json
import os
import tempfile

import pytest
import yaml
from jinja2 import meta as jinja_meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.emnify.iot.plugins.module_utils._errors import EmnifyTransportError
from ansible_collections.emnify.iot.plugins.module_utils._module import (
    MIN_TOKEN_LENGTH,
    EmnifyModule,
    ModuleInputError,
    check_connection_params,
    check_endpoint_id,
    connection_argument_spec,
    connection_setting,
    endpoint_ids,
    is_plain_http_remote,
)
from ansible_collections.emnify.iot.tests.unit.fake_api import JSON_HEADERS, FakeApi, ok

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    patch_module_args = None

APP_TOKEN = 'app-token-93c1e0d2b4a5f6e7d8c9b0a1'
API = 'https://api.example.test'


@contextlib.contextmanager
def module_args(args):
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


# The internal argument that makes ansible-core 2.21 and later return the invocation (older releases always do).
INJECT_INVOCATION = dict(_ansible_inject_invocation=True) if 'inject_invocation' in PASS_VARS else dict()


def base_args(**extra):
    args = dict(application_token=APP_TOKEN, api_url=API, token_cache=False)
    args.update(extra)
    return args


def build(args, spec=None):
    with module_args(args):
        return EmnifyModule(spec or dict(name=dict(type='str')))


def finish(capsys, call):
    with pytest.raises(SystemExit):
        call()
    return json.loads(capsys.readouterr().out)


# -- argument spec and checks --------------------------------------------------------------------------------------

def test_only_the_application_token_is_hidden():
    # Ansible masks a no_log value wherever it occurs in the output: any other hidden option would garble results.
    assert [name for name, option in connection_argument_spec().items() if option.get('no_log')] == ['application_token']


def test_endpoint_ids_are_distinct_positive_and_in_order():
    assert endpoint_ids([7, 3, 7, 1], 'endpoint_id') == [7, 3, 1]
    assert endpoint_ids([], 'id', required=False) == []
    assert check_endpoint_id(5, 'messages[0].endpoint_id') == 5


@pytest.mark.parametrize('values,option,message', [
    ([3, 0], 'endpoint_id', 'endpoint_id: endpoint ids are positive integers, got 0'),
    ([-4], 'id', 'id: endpoint ids are positive integers, got -4'),
    ([], 'endpoint_id', 'endpoint_id: give at least one endpoint id'),
])
def test_endpoint_ids_refused_naming_the_option(values, option, message):
    with pytest.raises(ModuleInputError) as caught:
        endpoint_ids(values, option)
    assert str(caught.value) == message


GOOD = dict(api_url='https://cdn.emnify.net', timeout=30, retries=5, retry_backoff=1.0, rate_limit_requests=2000,
            rate_limit_window=300, application_token=APP_TOKEN)


@pytest.mark.parametrize('change,option', [
    (dict(api_url='cdn.emnify.net'), 'api_url'),
    (dict(api_url='ftp://cdn.emnify.net'), 'api_url'),
    (dict(api_url='https://cdn.emnify.net/api/v1/'), 'api_url'),
    (dict(api_url='https://cdn.emnify.net/api'), 'api_url'),
    (dict(timeout=0), 'timeout'),
    (dict(retries=21), 'retries'),
    (dict(retries=-1), 'retries'),
    (dict(retry_backoff=-0.5), 'retry_backoff'),
    (dict(rate_limit_requests=-1), 'rate_limit_requests'),
    (dict(rate_limit_window=0), 'rate_limit_window'),
    (dict(application_token='  '), 'application_token'),
    (dict(application_token='T'), 'application_token'),
    (dict(application_token='x' * (MIN_TOKEN_LENGTH - 1)), 'application_token'),
])
def test_check_connection_params(change, option):
    params = dict(GOOD)
    params.update(change)
    problems = check_connection_params(params)
    assert len(problems) == 1 and problems[0].startswith(option + ':')


def test_good_params_pass():
    assert check_connection_params(GOOD) == []
    assert check_connection_params(dict(GOOD, api_url='http://127.0.0.1:8089', rate_limit_requests=0, retries=0)) == []


@pytest.mark.parametrize('url,plain', [('http://cdn.emnify.net', True), ('http://127.0.0.1:8089', False), ('http://localhost', False),
                                       ('http://[::1]:80', False), ('http://127.8.0.1', False), ('https://cdn.emnify.net', False)])
def test_is_plain_http_remote(url, plain):
    assert is_plain_http_remote(url) is plain


# -- EmnifyModule ------------------------------------------------------------------------------------------------------

def test_token_from_environment_and_client_settings(monkeypatch):
    monkeypatch.setenv('EMNIFY_APPLICATION_TOKEN', APP_TOKEN)
    monkeypatch.setenv('EMNIFY_TIMEOUT', '12')
    module = build(dict(api_url=API, token_cache=False, retries=2, validate_certs=False))
    assert module.params['application_token'] == APP_TOKEN
    assert module.api_usage() == dict(requests=0, authentications=0, retries=0, status_429=0, by_method={})
    client = module.client
    assert client is module.client
    assert client.timeout == 12 and client.retries == 2 and client.api_url == API
    assert client._cache is None


def test_token_cache_dir_is_used(tmp_path):
    module = build(base_args(token_cache=True, token_cache_dir=str(tmp_path)))
    assert module.client._cache.directory == str(tmp_path)


def test_an_unusable_state_directory_falls_back_and_warns_once(capsys, tmp_path, monkeypatch):
    blocker = tmp_path / 'file'
    blocker.write_text(u'not a directory')
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    (tmp_path / 'tmp').mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', None)
    with module_args(base_args(token_cache=True, token_cache_dir=str(blocker / 'state'))):
        module = EmnifyModule(dict())
        fallback = os.path.join(str(tmp_path / 'tmp'), 'emnify.iot-%d' % os.getuid())
        assert module.client._cache.directory == fallback
        result = finish(capsys, lambda: module.exit(changed=False))
    warnings = [text for text in json.dumps(result.get('warnings', [])).split('", "') if 'state directory' in text]
    assert len(warnings) == 1
    assert str(blocker / 'state') in warnings[0] and fallback in warnings[0]


def test_bad_params_fail_with_every_problem(capsys):
    with module_args(base_args(timeout=0, retries=50)):
        with pytest.raises(SystemExit):
            EmnifyModule(dict())
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True
    assert 'timeout:' in result['msg'] and 'retries:' in result['msg']
    assert APP_TOKEN not in json.dumps(result)


def test_connection_setting_is_the_option_else_its_environment_variable_else_its_default(monkeypatch):
    monkeypatch.delenv('EMNIFY_RATE_LIMIT_WINDOW', raising=False)
    assert connection_setting('rate_limit_window') == 300
    monkeypatch.setenv('EMNIFY_RATE_LIMIT_WINDOW', ' ')
    assert connection_setting('rate_limit_window') == 300
    monkeypatch.setenv('EMNIFY_RATE_LIMIT_WINDOW', '30')
    assert connection_setting('rate_limit_window') == '30'
    assert connection_setting('rate_limit_window', 60.0) == 60.0


def test_simulator_scale_reaches_the_pacer_only_when_set(monkeypatch):
    monkeypatch.delenv('EMNIFY_SIMULATOR_RATE_LIMIT_SCALE', raising=False)
    limits = build(base_args(rate_limit_window=60)).client.pacer._limits
    assert limits['auth'].window == 300.0 and limits['endpoint_list'].rate == 10.0 and limits['all'].window == 60.0
    monkeypatch.setenv('EMNIFY_SIMULATOR_RATE_LIMIT_SCALE', '0.1')
    limits = build(base_args(rate_limit_window=30)).client.pacer._limits
    assert limits['auth'].window == pytest.approx(30.0) and limits['endpoint_list'].rate == pytest.approx(100.0)


def test_bad_simulator_scale_fails_naming_the_variable(capsys, monkeypatch):
    monkeypatch.setenv('EMNIFY_SIMULATOR_RATE_LIMIT_SCALE', '5')
    with module_args(base_args()):
        with pytest.raises(SystemExit):
            EmnifyModule(dict())
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True and result['msg'].startswith('EMNIFY_SIMULATOR_RATE_LIMIT_SCALE:')


@pytest.fixture
def module_side_json(monkeypatch):
    """Decode module arguments as a module process does.

    ansible-core 2.19 refuses text that is not valid UTF-8 when decoding JSON only where its controller
    configuration can be imported; a module on a managed host gets such text as it is. Other tests in
    this process import the controller, so that check is switched off here.
    """
    try:
        from ansible.module_utils._internal._json import _profiles  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core before 2.19 has no such check
        return
    if hasattr(_profiles, '_string_encoding_check_enabled'):
        monkeypatch.setattr(_profiles, '_string_encoding_check_enabled', lambda: False)


SPEC_WITH_TEXTS = dict(payload=dict(type='str'), hide_payload=dict(type='bool', default=False),
                       messages=dict(type='list', elements='dict', options=dict(endpoint_id=dict(type='int'), payload=dict(type='str'))))


@pytest.mark.usefixtures('module_side_json')
@pytest.mark.parametrize('args,option', [
    (dict(payload=u'APN,caf\udce9'), 'payload: '),
    (dict(messages=[dict(endpoint_id=1, payload=u'ok'), dict(endpoint_id=2, payload=u'\ud800x')]), 'messages[1].payload: '),
])
def test_lone_surrogate_is_refused_naming_the_option(capsys, args, option):
    # Text read from a file that is not UTF-8 holds lone surrogates; ansible-core cannot even log such arguments.
    with module_args(base_args(**args)):
        with pytest.raises(SystemExit):
            EmnifyModule(SPEC_WITH_TEXTS)
    output = capsys.readouterr().out
    result = json.loads(output)
    assert result['failed'] is True and result['msg'].startswith(option) and 'lone surrogate' in result['msg']
    assert 'Traceback' not in output and 'exception' not in result
    output.encode('utf-8')
    assert result['api_usage']['requests'] == 0


@pytest.mark.usefixtures('module_side_json')
def test_lone_surrogate_in_a_hidden_payload_stays_hidden(capsys):
    with module_args(base_args(payload=u'PWD,s3cret\udce9', hide_payload=True)):
        with pytest.raises(SystemExit):
            EmnifyModule(SPEC_WITH_TEXTS, hidden_values=lambda params: [params.get('payload')])
    output = capsys.readouterr().out
    assert 's3cret' not in output and json.loads(output)['msg'].startswith('payload: ')


def test_plain_http_remote_warns(capsys):
    with module_args(base_args(api_url='http://cdn.emnify.net')):
        module = EmnifyModule(dict())
        result = finish(capsys, lambda: module.exit(changed=False))
    # ansible-core 2.19 reports warnings as structured objects, older versions as strings.
    assert 'plain http://' in json.dumps(result.get('warnings', []))


def test_run_success_masks_secrets_and_reports_usage(capsys):
    api = FakeApi(route=lambda sent: ok([{'id': 1}]), app_token=APP_TOKEN)

    def work(mod):
        data = mod.client.list_sms(5)
        return dict(changed=False, data=data, echo='token %s app %s' % (api.tokens[0], APP_TOKEN))
    with module_args(base_args()):
        module = EmnifyModule(dict())
        api.mount(module.client.session)
        result = finish(capsys, lambda: module.run(work))
    text = json.dumps(result)
    assert api.tokens[0] not in text and APP_TOKEN not in text
    assert result['data'] == [{'id': 1}]
    assert result['api_usage'] == dict(requests=2, authentications=1, retries=0, status_429=0, by_method={'POST': 1, 'GET': 1})
    assert [sent.path for sent in api.adapter.sent] == ['/api/v1/authenticate', '/api/v1/endpoint/5/sms']


def test_run_api_error_fails_with_details_and_no_secrets(capsys):
    def refuse(sent):
        echo = 'bad header Bearer %s for %s' % (sent.bearer, APP_TOKEN)
        return 409, JSON_HEADERS, {'error_code': 1405, 'error_token': 'Duplicated', 'message': echo}
    api = FakeApi(route=refuse, app_token=APP_TOKEN)
    with module_args(base_args()):
        module = EmnifyModule(dict())
        api.mount(module.client.session)
        result = finish(capsys, lambda: module.run(lambda mod: mod.client.list_sms(5)))
    text = json.dumps(result)
    assert result['failed'] is True
    assert api.tokens[0] not in text and APP_TOKEN not in text
    assert result['error']['status'] == 409 and result['error']['error_token'] == 'Duplicated'
    assert 'HTTP 409 Conflict' in result['msg']
    assert 'exception' not in result
    assert result['api_usage']['requests'] == 2


@pytest.mark.parametrize('error', [EmnifyTransportError('GET /x failed: could not connect after 6 attempts'),
                                   ModuleInputError('payload: must not be empty')])
def test_run_other_errors_fail_cleanly(capsys, error):
    def work(mod):
        raise error
    with module_args(base_args()):
        module = EmnifyModule(dict())
        result = finish(capsys, lambda: module.run(work))
    assert result['failed'] is True and result['msg'] == str(error)
    assert 'error' not in result and 'exception' not in result


def test_fail_redacts_application_token_before_the_client_exists(capsys):
    with module_args(base_args()):
        module = EmnifyModule(dict())
        result = finish(capsys, lambda: module.fail('token %s was refused' % APP_TOKEN))
    assert APP_TOKEN not in json.dumps(result)
    assert result['api_usage']['requests'] == 0


# -- what a user sees for common mistakes ------------------------------------------------------------------------------

def test_a_mistyped_option_is_named_before_the_checks_it_breaks(capsys):
    spec = dict(endpoint_id=dict(type='int'), payload=dict(type='str'))
    with module_args(base_args(endpoint_id=1, paylod='APN,iot.example.net')):
        with pytest.raises(SystemExit):
            EmnifyModule(spec, required_together=[('endpoint_id', 'payload')])
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True
    assert result['msg'].startswith('Unsupported parameters for (')
    assert 'paylod' in result['msg'] and 'required together' not in result['msg']


def test_the_other_argument_errors_are_reported_as_before(capsys):
    spec = dict(endpoint_id=dict(type='int'), payload=dict(type='str'))
    with module_args(base_args(endpoint_id=1)):
        with pytest.raises(SystemExit):
            EmnifyModule(spec, required_together=[('endpoint_id', 'payload')])
    assert 'required together: endpoint_id, payload' in json.loads(capsys.readouterr().out)['msg']


@pytest.mark.parametrize('token', ['T', 'a', 'OK', 'x' * (MIN_TOKEN_LENGTH - 1)])
def test_a_short_token_is_refused_with_a_readable_message(capsys, token):
    # ansible-core 2.21 returns the invocation only when asked to (its inject_invocation setting): ask for it,
    # so that the masking of the refused token is checked with every release.
    with module_args(base_args(application_token=token, **INJECT_INVOCATION)):
        with pytest.raises(SystemExit):
            EmnifyModule(dict(name=dict(type='str')))
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] is True
    assert result['msg'].startswith('application_token: too short (%d character%s); emnify application tokens are JWTs'
                                    % (len(token), '' if len(token) == 1 else 's'))
    assert 'at least %d' % MIN_TOKEN_LENGTH in result['msg'] and '********' not in result['msg']
    assert result['invocation']['module_args']['application_token'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert result['api_usage']['requests'] == 0


def test_a_token_of_the_minimum_length_is_accepted_and_masked(capsys):
    token = 'k' * MIN_TOKEN_LENGTH
    with module_args(base_args(application_token=token)):
        module = EmnifyModule(dict())
        result = finish(capsys, lambda: module.exit(changed=False, echo='token=%s' % token))
    assert token not in json.dumps(result)
    assert result['echo'] == 'token=********'


def test_empty_environment_variables_count_as_unset(monkeypatch):
    for name in ('EMNIFY_API_URL', 'EMNIFY_VALIDATE_CERTS', 'EMNIFY_CA_PATH', 'EMNIFY_TIMEOUT', 'EMNIFY_RATE_LIMIT_REQUESTS',
                 'EMNIFY_RATE_LIMIT_WINDOW', 'EMNIFY_TOKEN_CACHE', 'EMNIFY_TOKEN_CACHE_DIR'):
        monkeypatch.setenv(name, '')
    monkeypatch.setenv('EMNIFY_APPLICATION_TOKEN', APP_TOKEN)
    module = build(dict())
    defaults = dict((name, option.get('default')) for name, option in connection_argument_spec().items())
    for name in ('api_url', 'validate_certs', 'ca_path', 'timeout', 'rate_limit_requests', 'rate_limit_window',
                 'token_cache', 'token_cache_dir'):
        assert module.params[name] == defaults[name], name
    assert module.params['validate_certs'] is True


def test_set_environment_variables_are_used(monkeypatch, tmp_path):
    ca = tmp_path / 'ca.pem'
    ca.write_text(u'-----BEGIN CERTIFICATE-----\n')
    monkeypatch.setenv('EMNIFY_APPLICATION_TOKEN', APP_TOKEN)
    monkeypatch.setenv('EMNIFY_VALIDATE_CERTS', 'false')
    monkeypatch.setenv('EMNIFY_CA_PATH', str(ca))
    monkeypatch.setenv('EMNIFY_API_URL', 'http://127.0.0.1:8089')
    module = build(dict())
    assert module.params['validate_certs'] is False
    assert module.params['ca_path'] == str(ca)
    assert module.params['api_url'] == 'http://127.0.0.1:8089'


# -- the AWX / AAP credential type (docs/awx/credential-type.yml) --------------------------------------------------------

CREDENTIAL_TYPE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'docs', 'awx',
                               'credential-type.yml')
PEM = u'-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


class Tower:
    def __init__(self, filename):
        self.filename = filename


def awx_environment(inputs, directory):
    """The environment AWX gives a job for a credential with ``inputs``, built the way AWX builds it.

    AWX leaves empty inputs out of the template namespace, sets a boolean input that was never given to false,
    renders the file injectors into private files (their path is ``tower.filename``), then the env injectors, all in
    an immutable Jinja sandbox.
    """
    with open(CREDENTIAL_TYPE) as handle:
        credential_type = yaml.safe_load(handle)
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in credential_type['inputs']['fields']:
        if field['type'] == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment()
    filename = None
    for label, template in credential_type['injectors'].get('file', {}).items():
        assert label == 'template', 'the module options take one CA file'
        filename = os.path.join(directory, 'tmp_ca')
        with open(filename, 'w') as handle:
            handle.write(sandbox.from_string(template).render(**namespace))
    namespace['tower'] = Tower(filename)
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type['injectors']['env'].items())


def test_credential_type_templates_use_only_its_inputs():
    with open(CREDENTIAL_TYPE) as handle:
        credential_type = yaml.safe_load(handle)
    fields = set(field['id'] for field in credential_type['inputs']['fields'])
    injectors = credential_type['injectors']
    templates = list(injectors['env'].values()) + list(injectors.get('file', {}).values())
    sandbox = ImmutableSandboxedEnvironment()
    for template in templates:
        assert jinja_meta.find_undeclared_variables(sandbox.parse(template)) <= fields | set(['tower'])
    secrets = [field['id'] for field in credential_type['inputs']['fields'] if field.get('secret')]
    assert secrets == ['application_token']
    assert set(injectors['env']) == set(['EMNIFY_APPLICATION_TOKEN', 'EMNIFY_API_URL', 'EMNIFY_VALIDATE_CERTS',
                                         'EMNIFY_CA_PATH'])
    assert set(injectors['env']) <= set(option['fallback'][1][0] for option in connection_argument_spec().values() if 'fallback' in option)


@pytest.mark.parametrize('inputs,validate_certs,with_ca', [
    (dict(validate_certs=True, ca_certificate=PEM), True, True),
    (dict(validate_certs=True), True, False),
    (dict(validate_certs=''), True, False),
    (dict(validate_certs='', ca_certificate=PEM), True, True),
    (dict(validate_certs=False), False, False),
    (dict(ca_certificate=''), False, False),
    (dict(), False, False),
])
def test_credential_type_gives_the_modules_a_working_configuration(monkeypatch, tmp_path, inputs, validate_certs,
                                                                   with_ca):
    inputs = dict(inputs, application_token=APP_TOKEN, api_url='https://cdn.emnify.net')
    environment = awx_environment(inputs, str(tmp_path))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    module = build(dict())
    assert module.params['application_token'] == APP_TOKEN
    assert module.params['api_url'] == 'https://cdn.emnify.net'
    assert module.params['validate_certs'] is validate_certs
    if with_ca:
        with open(module.params['ca_path']) as handle:
            assert handle.read() == PEM
        assert module.client._verify == module.params['ca_path']
    else:
        assert module.params['ca_path'] is None
        assert module.client._verify is validate_certs
