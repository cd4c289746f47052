# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event source for ansible-rulebook: emnify API callbacks (device SMS and delivery reports) as events.

emnify sends a device's SMS as a POST and a delivery report as a PATCH to the API callback URL of the
endpoint's service profile, each signed with the profile's API secret (``Authorization: Bearer <JWT>``).
This source checks the token, joins the parts of a concatenated device SMS with the collection's SMS
codec, drops redelivered callbacks, and puts one event per message on the rulebook's queue.
See docs/eda.md.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
short_description: Receive emnify API callbacks (device SMS and SMS delivery reports) as events
description:
  - An HTTP(S) server for the API callback URL of an emnify service profile. emnify POSTs each SMS a device sends
    and PATCHes each delivery report of an SMS sent through the API to that URL.
  - "Every callback must carry C(Authorization: Bearer <JWT>) signed with the service profile's API secret by one of
    O(algorithms). A missing, malformed, forged or expired token is answered 401 and makes no event; a body that is
    not a documented callback is answered 400 and makes no event. An accepted callback is answered 200."
  - The parts of a concatenated device SMS (C(multi_part_info), or a concatenation C(udh)) are joined into one event
    once all have arrived; after O(part_timeout) the parts that did arrive make one event flagged C(partial).
  - A callback that emnify delivers again (same kind, SMS id and status) within O(dedup_seconds) is answered 200
    and makes no second event.
  - C(GET /health) answers 200 without authentication, for load balancers and probes.
  - 'Events look like C({"emnify": {"kind": "device_sms", "endpoint_id": 11380001, "sms_id": 123, "payload": "OK APN",
    ...}, "meta": {...}}); the token and the Authorization header are never part of an event, a log line or an
    error. docs/eda.md lists every field.'
  - Needs the Python packages aiohttp and PyJWT where ansible-rulebook runs.
options:
  host:
    description: Address to listen on.
    type: str
    default: 0.0.0.0
  port:
    description: TCP port to listen on (1 to 65535).
    type: int
    required: true
  secret:
    description:
      - The API secret attached to the service profile, or a list of them (every one is tried, for rotating the
        secret without losing callbacks).
      - When not given, the environment variable E(EMNIFY_CALLBACK_SECRET) is used. One of the two is required.
    type: raw
  algorithms:
    description: JWT algorithms accepted; only HMAC algorithms can be listed.
    type: list
    elements: str
    choices: [HS256, HS384, HS512]
    default: [HS256, HS384, HS512]
  leeway:
    description: Seconds of clock difference tolerated when checking a token's C(exp) claim.
    type: float
    default: 30
  certfile:
    description: PEM file with the server certificate (and its chain) to serve HTTPS; without it the source serves HTTP.
    type: path
  keyfile:
    description: PEM file with the private key of O(certfile), when the key is not in that file.
    type: path
  part_timeout:
    description: Seconds to wait for the missing parts of a concatenated device SMS before emitting the parts that arrived.
    type: float
    default: 300
  dedup_seconds:
    description: Seconds to remember a callback for recognising redeliveries.
    type: float
    default: 86400
'''

EXAMPLES = r'''
- name: Device replies and delivery reports
  hosts: localhost
  sources:
    - emnify.iot.sms_callbacks:
        host: 0.0.0.0
        port: 5000
        certfile: /etc/eda/tls/callbacks.crt
        keyfile: /etc/eda/tls/callbacks.key
  rules:
    - name: A device booted
      condition: event.emnify.kind == "device_sms" and event.emnify.payload is match("BOOT.*")
      action:
        run_playbook:
          name: emnify.iot.provision_device
'''

import asyncio
import collections
import importlib.util
import json
import logging
import math
import os
import ssl
import time

try:
    from aiohttp import web
except ImportError:  # reported by main()
    web = None

try:
    import jwt
except ImportError:  # reported by main()
    jwt = None


def _module_util(name):
    """A module of the collection's plugins/module_utils that uses the standard library only.

    ansible-rulebook runs this file with runpy, without the collection loader, so the module is loaded from the
    collection this file belongs to; the import through ansible_collections is the fallback for a copy of this
    file that lives elsewhere.
    """
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    path = os.path.join(root, 'plugins', 'module_utils', name + '.py')
    if os.path.isfile(path):
        spec = importlib.util.spec_from_file_location('_emnify_iot' + name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module('ansible_collections.emnify.iot.plugins.module_utils.' + name)


SECRET_ENV = 'EMNIFY_CALLBACK_SECRET'
HMAC_ALGORITHMS = ('HS256', 'HS384', 'HS512')
DEFAULTS = {
    'host': '0.0.0.0',
    'algorithms': list(HMAC_ALGORITHMS),
    'leeway': 30.0,
    'part_timeout': 300.0,
    'dedup_seconds': 86400.0,
}
OPTIONS = ('host', 'port', 'secret', 'algorithms', 'leeway', 'certfile', 'keyfile', 'part_timeout', 'dedup_seconds')
HEALTH_PATH = '/health'
MAX_BODY_BYTES = 64 * 1024
MAX_REMEMBERED = 200000
MAX_PENDING_MESSAGES = 10000
MAX_PARTS = 255
CREDENTIAL_HEADERS = frozenset(('authorization', 'proxy-authorization', 'cookie'))

DEVICE_SMS = 'device_sms'
DELIVERY_REPORT = 'delivery_report'
KIND_BY_METHOD = {'POST': DEVICE_SMS, 'PATCH': DELIVERY_REPORT}

# SMS status ids of the emnify API (shared by the SMS history and delivery reports), with their descriptions.
_IDS = _module_util('_api_ids')
STATUS_NAMES = dict((number, _IDS.sms_status_description(number)) for number in _IDS.SMS_STATUS)

# Claims this source checks: the signature always, ``exp`` when the token has one. emnify does not document its
# claims, so no other claim is required or checked.
_JWT_OPTIONS = {
    'verify_signature': True,
    'verify_exp': True,
    'verify_nbf': False,
    'verify_iat': False,
    'verify_aud': False,
    'verify_iss': False,
    'verify_sub': False,
    'verify_jti': False,
    'require': [],
}

logger = logging.getLogger('emnify.iot.sms_callbacks')


class OptionError(ValueError):
    """An option of the source that cannot be used; the message names the option and the rule."""


class Refusal(Exception):
    """A callback answered with an error status and no event."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------
# Options
# ---------------------------------------------------------------------------

class Settings:
    """The checked options of the source."""

    __slots__ = ('host', 'port', 'secrets', 'algorithms', 'leeway', 'certfile', 'keyfile', 'part_timeout', 'dedup_seconds')

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values[name])

    def __repr__(self):
        # The secrets are never part of a representation.
        return 'Settings(host={0!r}, port={1!r}, secrets=<{2} hidden>, algorithms={3!r})'.format(
            self.host, self.port, len(self.secrets), self.algorithms)


def _number(args, name, minimum, allow_equal=True):
    value = args.get(name, DEFAULTS[name])
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise OptionError('{0}: {1!r} is not a number of seconds'.format(name, value))
    if value < minimum or (value == minimum and not allow_equal):
        raise OptionError('{0}: {1!r} must be {2} {3}'.format(name, value, 'at least' if allow_equal else 'greater than', minimum))
    return float(value)


def _port(args):
    if args.get('port') is None:
        raise OptionError('port: the TCP port to listen on is required')
    value = args['port']
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise OptionError('port: {0!r} is not a TCP port; it must be an integer from 1 to 65535'.format(value))
    return value


def _secrets(args, environ):
    value = args.get('secret')
    source = 'secret'
    if value is None or value == '' or value == []:
        value = environ.get(SECRET_ENV) or None
        source = SECRET_ENV
    if value is None:
        raise OptionError('secret: no API secret given; set the option secret or the environment variable {0} to the API secret '
                          'attached to the service profile (unsigned callbacks are never accepted)'.format(SECRET_ENV))
    values = value if isinstance(value, list) else [value]
    secrets = []
    for index, item in enumerate(values):
        if not isinstance(item, str) or not item:
            # Say where the problem is, never what the value is.
            raise OptionError('{0}: item {1} is not a non-empty string'.format(source, index + 1)
                              if isinstance(value, list) else '{0}: must be a non-empty string or a list of them'.format(source))
        secrets.append(item.encode('utf-8'))
    return secrets


def _algorithms(args):
    value = args.get('algorithms', DEFAULTS['algorithms'])
    if isinstance(value, str):
        value = [item.strip() for item in value.split(',')]
    if not isinstance(value, list) or not value:
        raise OptionError('algorithms: must be a non-empty list of {0}'.format(', '.join(HMAC_ALGORITHMS)))
    chosen = []
    for item in value:
        if item not in HMAC_ALGORITHMS:
            raise OptionError('algorithms: {0!r} is not accepted; the API secret is a shared secret, so only the HMAC algorithms {1} '
                              'can be listed'.format(item, ', '.join(HMAC_ALGORITHMS)))
        if item not in chosen:
            chosen.append(item)
    return chosen


def _path(args, name):
    value = args.get(name)
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise OptionError('{0}: {1!r} is not a file path'.format(name, value))
    path = os.path.expanduser(value)
    if not os.path.isfile(path):
        raise OptionError('{0}: {1} is not a readable file'.format(name, value))
    return path


def parse_args(args, environ=None):
    """Check the source's arguments; return Settings or raise OptionError naming the option."""
    if environ is None:
        environ = os.environ
    if not isinstance(args, dict):
        raise OptionError('the arguments of emnify.iot.sms_callbacks must be a mapping of options')
    unknown = sorted(name for name in args if name not in OPTIONS and not str(name).startswith('eda_'))
    if unknown:
        raise OptionError('{0}: unknown option; the options are {1}'.format(', '.join(map(str, unknown)), ', '.join(OPTIONS)))
    host = args.get('host', DEFAULTS['host'])
    if not isinstance(host, str) or not host.strip():
        raise OptionError('host: must be a non-empty address to listen on')
    certfile = _path(args, 'certfile')
    keyfile = _path(args, 'keyfile')
    if keyfile and not certfile:
        raise OptionError('keyfile: needs certfile, the certificate the key belongs to')
    return Settings(
        host=host.strip(),
        port=_port(args),
        secrets=_secrets(args, environ),
        algorithms=_algorithms(args),
        leeway=_number(args, 'leeway', 0),
        certfile=certfile,
        keyfile=keyfile,
        part_timeout=_number(args, 'part_timeout', 0, allow_equal=False),
        dedup_seconds=_number(args, 'dedup_seconds', 0, allow_equal=False),
    )


def tls_context(settings):
    """An SSLContext serving settings.certfile, or None for plain HTTP."""
    if not settings.certfile:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.certfile, settings.keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise OptionError('certfile: cannot load the certificate and key from {0}{1}: {2}'.format(
            settings.certfile, ' and {0}'.format(settings.keyfile) if settings.keyfile else '',
            getattr(exc, 'reason', None) or exc.strerror or exc)) from None
    return context


# ---------------------------------------------------------------------------
# The collection's SMS codec
# ---------------------------------------------------------------------------

def load_codec():
    """The collection's SMS codec (plugins/module_utils/_sms_codec.py)."""
    return _module_util('_sms_codec')


# ---------------------------------------------------------------------------
# Callback bodies
# ---------------------------------------------------------------------------

class Callback:
    """One accepted callback body, checked and normalised."""

    __slots__ = ('kind', 'sms_id', 'endpoint_id', 'endpoint_name', 'status', 'status_id', 'seq', 'total', 'group', 'body')

    def __init__(self, kind, body, sms_id, endpoint_id, endpoint_name):
        self.kind = kind
        self.body = body
        self.sms_id = sms_id
        self.endpoint_id = endpoint_id
        self.endpoint_name = endpoint_name
        self.status = None
        self.status_id = None
        self.seq = None
        self.total = 1
        self.group = None

    @property
    def dedup_key(self):
        return (self.kind, self.sms_id, self.status)

    @property
    def payload(self):
        return self.body.get('payload')


def _integer(name, value, low=None, high=None):
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal(400, 'body: {0} must be an integer'.format(name))
    if (low is not None and value < low) or (high is not None and value > high):
        raise Refusal(400, 'body: {0} must be from {1} to {2}'.format(name, low, high))
    return value


def _endpoint(body, required):
    endpoint = body.get('endpoint')
    if isinstance(endpoint, dict) and endpoint.get('id') is not None:
        name = endpoint.get('name')
        return _integer('endpoint.id', endpoint['id']), name if isinstance(name, str) else None
    if endpoint is not None and not isinstance(endpoint, dict):
        raise Refusal(400, 'body: endpoint must be an object {id, name}')
    if body.get('endpoint_id') is not None:
        return _integer('endpoint_id', body['endpoint_id']), None
    if required:
        raise Refusal(400, 'body: endpoint {id, name} is required')
    return None, None


def _multipart(callback, body, codec):
    """Set seq, total and group from multi_part_info or a concatenation UDH."""
    info = body.get('multi_part_info')
    if info is not None:
        if not isinstance(info, dict):
            raise Refusal(400, 'body: multi_part_info must be an object {partno, total, identifier}')
        total = _integer('multi_part_info.total', info.get('total'), 1, MAX_PARTS)
        seq = _integer('multi_part_info.partno', info.get('partno'), 1, total)
        reference = info.get('identifier')
        if isinstance(reference, (dict, list)):
            raise Refusal(400, 'body: multi_part_info.identifier must be a number or a string')
        if total > 1:
            callback.seq, callback.total, callback.group = seq, total, ('multi_part_info', str(reference))
        return
    udh = body.get('udh')
    if udh in (None, ''):
        return
    if not isinstance(udh, str):
        raise Refusal(400, 'body: udh must be a hexadecimal string')
    try:
        parsed = codec.parse_udh(udh)
    except codec.SmsCodecError as exc:
        raise Refusal(400, 'body: {0}'.format(exc.message)) from None
    if parsed and parsed['total'] and parsed['total'] > 1:
        callback.seq, callback.total = parsed['seq'], parsed['total']
        callback.group = ('udh', parsed['ref_bits'], parsed['reference'])


def _status(body):
    status = body.get('status')
    name = None
    status_id = None
    if isinstance(status, dict):
        for key in ('description', 'status', 'name'):
            if isinstance(status.get(key), str) and status[key].strip():
                name = status[key].strip().upper()
                break
        if status.get('id') is not None:
            status_id = _integer('status.id', status['id'])
    elif isinstance(status, str) and status.strip():
        name = status.strip().upper()
    elif status is not None:
        raise Refusal(400, 'body: status must be an object {id, description}')
    if name is None and status_id in STATUS_NAMES:
        name = STATUS_NAMES[status_id]
    if name is None:
        raise Refusal(400, 'body: a delivery report needs status {id, description} with a known status')
    if status_id is None:
        status_id = dict((value, key) for key, value in STATUS_NAMES.items()).get(name)
    return name, status_id


def parse_callback(kind, body, codec):
    """Check a callback body for its kind; return a Callback or raise Refusal(400)."""
    if not isinstance(body, dict):
        raise Refusal(400, 'body: a callback is a JSON object')
    sms_id = _integer('id', body.get('id'))
    if kind == DEVICE_SMS:
        endpoint_id, endpoint_name = _endpoint(body, required=True)
        if not isinstance(body.get('payload'), str):
            raise Refusal(400, 'body: payload (the text of the device SMS) must be a string')
        callback = Callback(kind, body, sms_id, endpoint_id, endpoint_name)
        _multipart(callback, body, codec)
        return callback
    endpoint_id, endpoint_name = _endpoint(body, required=False)
    callback = Callback(kind, body, sms_id, endpoint_id, endpoint_name)
    callback.status, callback.status_id = _status(body)
    return callback


# ---------------------------------------------------------------------------
# Receiving
# ---------------------------------------------------------------------------

class _Pending:
    """The parts of one concatenated device SMS received so far."""

    __slots__ = ('total', 'parts', 'handle', 'meta')

    def __init__(self, total):
        self.total = total
        self.parts = {}
        self.handle = None
        self.meta = None


class CallbackReceiver:
    """Authenticates, checks, deduplicates and joins callbacks, and puts events on the queue."""

    def __init__(self, settings, queue, codec, clock=time.monotonic):
        self.settings = settings
        self.queue = queue
        self.codec = codec
        self.clock = clock
        self.remembered = collections.OrderedDict()
        self.pending = collections.OrderedDict()
        self.tasks = set()
        self.counters = collections.Counter()

    # authentication -----------------------------------------------------------------------------------

    def authenticate(self, header):
        """Check the bearer token; raise Refusal(401) with a reason that never contains the token."""
        if not header:
            raise Refusal(401, 'missing Authorization header; callbacks must be signed with the API secret')
        scheme, _space, token = header.strip().partition(' ')
        token = token.strip()
        if scheme.lower() != 'bearer' or not token:
            raise Refusal(401, 'the Authorization header is not a bearer token')
        try:
            algorithm = jwt.get_unverified_header(token).get('alg')
        except jwt.PyJWTError:
            raise Refusal(401, 'the bearer token is not a JWT') from None
        if algorithm not in self.settings.algorithms:
            raise Refusal(401, 'the token algorithm {0} is not in algorithms ({1})'.format(
                algorithm if isinstance(algorithm, str) and len(algorithm) <= 16 else 'given',
                ', '.join(self.settings.algorithms)))
        for secret in self.settings.secrets:
            try:
                jwt.decode(token, secret, algorithms=self.settings.algorithms, options=_JWT_OPTIONS, leeway=self.settings.leeway)
                return
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise Refusal(401, 'the token has expired (exp)') from None
            except jwt.PyJWTError:
                raise Refusal(401, 'the token is malformed') from None
        raise Refusal(401, 'the token signature does not match the API secret')

    # deduplication ------------------------------------------------------------------------------------

    def _forget_expired(self):
        now = self.clock()
        while self.remembered:
            key, expiry = next(iter(self.remembered.items()))
            if expiry > now and len(self.remembered) <= MAX_REMEMBERED:
                break
            self.remembered.popitem(last=False)

    def seen_before(self, key):
        """True when key was accepted within dedup_seconds; otherwise remember it and return False."""
        self._forget_expired()
        if key in self.remembered:
            return True
        self.remembered[key] = self.clock() + self.settings.dedup_seconds
        return False

    # events -------------------------------------------------------------------------------------------

    async def accept(self, callback, meta):
        """Handle one authenticated, well-formed callback; return what happened (for the answer)."""
        if self.seen_before(callback.dedup_key):
            self.counters['duplicates'] += 1
            logger.info('%s %s: delivered again, no event', callback.kind, callback.sms_id)
            return 'duplicate'
        if callback.kind == DELIVERY_REPORT:
            await self._emit(self._report_event(callback, meta))
            return 'event'
        if callback.group is None:
            await self._emit(self._sms_event([callback], 1, meta))
            return 'event'
        return await self._add_part(callback, meta)

    async def _add_part(self, callback, meta):
        key = (callback.endpoint_id, callback.body.get('source_address'), callback.total) + callback.group
        pending = self.pending.get(key)
        if pending is None:
            if len(self.pending) >= MAX_PENDING_MESSAGES:
                await self._flush(next(iter(self.pending)))
            pending = self.pending[key] = _Pending(callback.total)
            pending.handle = asyncio.get_running_loop().call_later(self.settings.part_timeout, self._timed_out, key)
        pending.meta = meta
        if callback.seq in pending.parts:
            self.counters['duplicates'] += 1
            return 'duplicate'
        pending.parts[callback.seq] = callback
        if len(pending.parts) < pending.total:
            return 'part'
        del self.pending[key]
        pending.handle.cancel()
        await self._emit(self._sms_event(list(pending.parts.values()), pending.total, meta))
        return 'event'

    def _timed_out(self, key):
        task = asyncio.ensure_future(self._flush(key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush(self, key):
        """Emit the parts of an incomplete message as one partial event."""
        pending = self.pending.pop(key, None)
        if pending is None:
            return
        pending.handle.cancel()
        await self._emit(self._sms_event(list(pending.parts.values()), pending.total, pending.meta))

    async def _emit(self, event):
        emnify = event['emnify']
        self.counters['events'] += 1
        if emnify.get('partial'):
            self.counters['partial_events'] += 1
            logger.warning('device_sms %s from endpoint %s: %d of %d parts arrived within %ss; emitting a partial event',
                           emnify['sms_id'], emnify['endpoint_id'], len(emnify['parts_received']), emnify['parts_total'],
                           self.settings.part_timeout)
        else:
            logger.info('%s %s from endpoint %s: event', emnify['kind'], emnify['sms_id'], emnify['endpoint_id'])
        await self.queue.put(event)

    def _sms_event(self, parts, total, meta):
        parts = self.codec.in_sequence(parts)
        first = parts[0]
        body = first.body
        received = [part.seq or 1 for part in parts]
        payload = self.codec.reassemble(parts)
        organisation = body.get('organisation') if isinstance(body.get('organisation'), dict) else {}
        emnify = {
            'kind': DEVICE_SMS,
            'endpoint_id': first.endpoint_id,
            'endpoint_name': first.endpoint_name,
            'sms_id': first.sms_id,
            'sms_ids': [part.sms_id for part in parts],
            'payload': payload,
            'source_address': body.get('source_address'),
            'dest_address': body.get('dest_address'),
            'organisation_id': organisation.get('id'),
            'dcs': body.get('dcs'),
            'pid': body.get('pid'),
            'submit_date': body.get('submit_date'),
            'parts_total': total,
            'parts_received': received,
            'missing_parts': [seq for seq in range(1, total + 1) if seq not in received],
            'partial': len(received) < total,
            'callbacks': [part.body for part in parts],
        }
        return {'emnify': emnify, 'meta': dict(meta)}

    @staticmethod
    def _report_event(callback, meta):
        body = callback.body
        emnify = {
            'kind': DELIVERY_REPORT,
            'endpoint_id': callback.endpoint_id,
            'endpoint_name': callback.endpoint_name,
            'sms_id': callback.sms_id,
            'status': callback.status,
            'status_id': callback.status_id,
            'submit_date': body.get('submit_date'),
            'delivery_date': body.get('delivery_date'),
            'final_date': body.get('final_date'),
            'callbacks': [body],
        }
        return {'emnify': emnify, 'meta': dict(meta)}

    def close(self):
        """Stop the part timers; parts of incomplete messages are dropped (and logged)."""
        for key, pending in list(self.pending.items()):
            pending.handle.cancel()
            logger.warning('stopping with %d of %d parts of a device SMS from endpoint %s; no event for them',
                           len(pending.parts), pending.total, key[0])
        self.pending.clear()
        for task in list(self.tasks):
            task.cancel()

    # HTTP ---------------------------------------------------------------------------------------------

    async def handle_callback(self, request):
        kind = KIND_BY_METHOD[request.method]
        try:
            self.authenticate(request.headers.get('Authorization'))
            try:
                raw = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise Refusal(413, 'body: larger than {0} bytes'.format(MAX_BODY_BYTES)) from None
            try:
                body = json.loads(raw.decode('utf-8'))
            except (UnicodeDecodeError, ValueError):
                raise Refusal(400, 'body: not JSON') from None
            callback = parse_callback(kind, body, self.codec)
        except Refusal as refusal:
            self.counters['refused_{0}'.format(refusal.status)] += 1
            logger.warning('%s %s from %s refused with %d: %s', request.method, request.path, request.remote, refusal.status, refusal.message)
            headers = {'WWW-Authenticate': 'Bearer'} if refusal.status == 401 else None
            return web.json_response({'error': refusal.message}, status=refusal.status, headers=headers)
        meta = {
            'endpoint': request.path,
            'method': request.method,
            'headers': dict((key, value) for key, value in request.headers.items() if key.lower() not in CREDENTIAL_HEADERS),
        }
        result = await self.accept(callback, meta)
        return web.json_response({'result': result})

    async def handle_health(self, _request):
        return web.json_response({
            'status': 'ok',
            'pending_messages': len(self.pending),
            'events': self.counters['events'],
            'duplicates': self.counters['duplicates'],
            'refused': sum(count for name, count in self.counters.items() if name.startswith('refused_')),
        })


def build_app(receiver):
    """The aiohttp application: GET /health, and callbacks as POST or PATCH on any path."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_get(HEALTH_PATH, receiver.handle_health)
    app.router.add_route('POST', '/{path:.*}', receiver.handle_callback)
    app.router.add_route('PATCH', '/{path:.*}', receiver.handle_callback)
    return app


async def main(queue, args):
    """Entry point of ansible-rulebook: serve callbacks until cancelled."""
    missing = [name for name, module in (('aiohttp', web), ('PyJWT', jwt)) if module is None]
    if missing:
        raise OptionError('emnify.iot.sms_callbacks needs the Python package(s) {0} where ansible-rulebook runs'.format(' and '.join(missing)))
    settings = parse_args(args)
    context = tls_context(settings)
    receiver = CallbackReceiver(settings, queue, load_codec())
    runner = web.AppRunner(build_app(receiver))
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port, ssl_context=context)
        try:
            await site.start()
        except OSError as exc:
            raise OptionError('port: cannot listen on {0}:{1}: {2}'.format(settings.host, settings.port, exc.strerror or exc)) from None
        logger.info('listening for emnify callbacks on %s://%s:%d', 'https' if context else 'http', settings.host, settings.port)
        await asyncio.Event().wait()
    finally:
        receiver.close()
        await runner.cleanup()
