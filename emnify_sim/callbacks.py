# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API callbacks: the resources that configure them and the deliveries to the receiver.

- /api/v1/api_callback and /api/v1/api_secret: list, create, read and delete, as emnify's API has them; the list
  of secrets never shows a secret's value.
- /api/v1/service_profile/{id}: read a service profile, and attach or detach its `api_callback` and `api_secret`
  with a PATCH of `{"api_callback": {"id": N}, "api_secret": {"id": M}}` (`{"id": null}` detaches).
- Deliveries: a device's SMS whose destination address has 7 digits or fewer is POSTed to the API callback of its
  endpoint's service profile (the parts of a concatenated SMS one by one, each with `multi_part_info`), and each
  SMS sent through the API gets a PATCH with its final status (the delivery report). With an API secret attached,
  each request carries `Authorization: Bearer <JWT>`, an HS256 token signed with the secret. A delivery is tried
  again, with a doubling wait, until the receiver answers 2xx.

The state (CallbackBook) lives in State and is guarded by its lock; the Sender thread does the HTTP requests
outside the lock. Routes are declared in api.py and admin.py.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import datetime
import heapq
import json
import os
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from . import gsm, tokens
from .common import Response, JSON_UTF8, empty, error, fmt_date, iso_now, parse_long
from .fleet import ORGANISATION_ID, SERVICE_PROFILE_NO_SMS, SERVICE_PROFILE_SMS
from .sms import FINAL, STATUS_DESCRIPTION

# A device's SMS reaches the callback when its destination is not a valid MSISDN: 7 digits or fewer (docs).
A2P_MAX_DIGITS = 7
TOKEN_LIFETIME = 300  # exp - iat of a callback's JWT (emnify documents no claims: a choice)
SEND_TIMEOUT = 10.0
MAX_BACKOFF = 300.0
TICK_SECONDS = 0.2
DELIVERY_LOG_SIZE = 10000
SERVICE_PROFILES = dict((profile["id"], profile) for profile in (SERVICE_PROFILE_SMS, SERVICE_PROFILE_NO_SMS))
USER_AGENT = "emnify-api-simulator"


def created_date(epoch):
    """The `created` format of emnify's api_callback and api_secret objects: 2019-10-11 08:54:20."""
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def forwarded_to_callback(dest_address):
    """Whether a device's SMS to this destination address is an A2P SMS, which goes to the API callback."""
    digits = (dest_address or "").lstrip("+")
    return len(digits) <= A2P_MAX_DIGITS


class Delivery:
    """One callback to deliver: what, where, signed with which secret, and every attempt so far."""

    __slots__ = ("seq", "kind", "method", "url", "secret", "secret_id", "sms_id", "body", "attempts", "delivered",
                 "next_attempt", "redelivery_of")

    def __init__(self, seq, kind, method, url, secret, secret_id, sms_id, body, redelivery_of=None):
        self.seq = seq
        self.kind = kind
        self.method = method
        self.url = url
        self.secret = secret
        self.secret_id = secret_id
        self.sms_id = sms_id
        self.body = body
        self.attempts = []
        self.delivered = False
        self.next_attempt = time.time()
        self.redelivery_of = redelivery_of

    def view(self):
        """What the admin API shows: never the secret or the token."""
        return {
            "seq": self.seq, "kind": self.kind, "method": self.method, "url": self.url, "sms_id": self.sms_id,
            "signed": self.secret is not None, "api_secret_id": self.secret_id, "body": self.body,
            "delivered": self.delivered, "attempts": list(self.attempts), "redelivery_of": self.redelivery_of,
            "next_attempt": None if self.delivered else iso_now(self.next_attempt),
        }


class CallbackBook:
    """API callbacks, API secrets, their attachment to service profiles, and the deliveries (under State.lock)."""

    def __init__(self, backoff):
        self.backoff = backoff
        self.reset_locked()

    def reset_locked(self):
        self.callbacks = {}
        self.secrets = {}
        self.profiles = dict((profile_id, {"api_callback": None, "api_secret": None}) for profile_id in SERVICE_PROFILES)
        self.next_callback_id = 0
        self.next_secret_id = 0
        self.deliveries = collections.OrderedDict()
        self.due = []  # heap of (next attempt, seq)
        self.delivery_seq = 0
        self.awaiting_report = set()  # ids of MT SMS whose delivery report is not sent yet
        self.counters = collections.Counter()

    # resources -----------------------------------------------------------------------------------------

    def callback_view(self, callback_id):
        item = self.callbacks[callback_id]
        return {"id": item["id"], "url": item["url"], "purpose": item["purpose"], "organisation_id": str(ORGANISATION_ID),
                "created": created_date(item["created"])}

    def secret_view(self, secret_id, with_secret=False):
        item = self.secrets[secret_id]
        view = {"id": item["id"], "purpose": item["purpose"], "organisation_id": str(ORGANISATION_ID),
                "created": created_date(item["created"])}
        if with_secret:
            view["secret"] = item["secret"].decode("utf-8")
        return view

    def profile_view(self, profile_id):
        attached = self.profiles[profile_id]
        profile = SERVICE_PROFILES[profile_id]
        callback_id, secret_id = attached["api_callback"], attached["api_secret"]
        return {
            "id": profile_id, "name": profile["name"], "organisation_id": str(ORGANISATION_ID),
            "allowed_3g": True, "allowed_4g": True, "allowed_nb_iot": True, "apply_sms_quota": False,
            "api_callback": self.callback_view(callback_id) if callback_id is not None else None,
            "api_secret": self.secret_view(secret_id) if secret_id is not None else None,
            "esme_interface_type": {"id": 1, "description": "RestAPI"},
        }

    def add_callback_locked(self, url, purpose, now):
        self.next_callback_id += 1
        self.callbacks[self.next_callback_id] = {"id": self.next_callback_id, "url": url, "purpose": purpose, "created": now}
        return self.next_callback_id

    def add_secret_locked(self, secret, purpose, now):
        self.next_secret_id += 1
        self.secrets[self.next_secret_id] = {"id": self.next_secret_id, "secret": secret, "purpose": purpose, "created": now}
        return self.next_secret_id

    def delete_locked(self, kind, item_id):
        """Remove an api_callback or api_secret; service profiles that held it lose it."""
        items = self.callbacks if kind == "api_callback" else self.secrets
        del items[item_id]
        for attached in self.profiles.values():
            if attached[kind] == item_id:
                attached[kind] = None

    def target_locked(self, endpoint):
        """(url, secret bytes or None, secret id) of the endpoint's service profile, or None without a callback."""
        attached = self.profiles.get(endpoint.service_profile["id"])
        if not attached or attached["api_callback"] is None:
            return None
        secret_id = attached["api_secret"]
        secret = self.secrets[secret_id]["secret"] if secret_id is not None else None
        return self.callbacks[attached["api_callback"]]["url"], secret, secret_id

    def active_locked(self):
        """Whether there is anything to watch or send (otherwise the sender only sleeps)."""
        return bool(self.due) or bool(self.awaiting_report) or any(
            attached["api_callback"] is not None for attached in self.profiles.values())

    # what emnify sends ---------------------------------------------------------------------------------

    def mo_stored_locked(self, sms, endpoint):
        """A device's SMS became visible: POST it to the callback when it is an A2P SMS."""
        target = self.target_locked(endpoint)
        if target is None or not forwarded_to_callback(sms.dest_address):
            return
        body = {
            "id": sms.id,
            "endpoint": {"id": endpoint.id, "name": endpoint.name},
            "organisation": {"id": ORGANISATION_ID, "name": "Simulated Organisation"},
            "source_address": sms.source_address,
            "dest_address": sms.dest_address or "",
            "payload": sms.payload,
            "dcs": sms.dcs,
            "pid": 0,
            "submit_date": fmt_date(sms.submit),
        }
        _problem, concat = gsm.parse_udh(sms.udh) if sms.udh else (None, None)
        if concat is not None and concat["total"] > 1:
            body["multi_part_info"] = {"partno": concat["seq"], "total": concat["total"], "identifier": concat["ref"]}
        self._enqueue_locked("device_sms", "POST", target, sms.id, body)

    def mt_stored_locked(self, sms):
        """An SMS was sent through the API: its delivery report goes out once its status is final."""
        self.awaiting_report.add(sms.id)

    def tick_locked(self, state):
        """Bring the SMS up to the clock and queue the delivery reports of SMS that became final."""
        state.settle_locked()
        if not self.awaiting_report:
            return
        now = state.now()
        for sms_id in sorted(self.awaiting_report):
            sms = state.sms.get(sms_id)
            if sms is None:
                self.awaiting_report.discard(sms_id)
                continue
            snapshot = sms.state_at(now)
            if snapshot["status"] not in FINAL:
                continue
            self.awaiting_report.discard(sms_id)
            endpoint = state.by_id.get(sms.endpoint_id)
            target = self.target_locked(endpoint) if endpoint is not None else None
            if target is None:
                continue
            status = snapshot["status"]
            body = {
                "id": sms.id,
                "endpoint": {"id": endpoint.id, "name": endpoint.name},
                "status": {"status": STATUS_DESCRIPTION[status], "id": status},
                "source_address": sms.source_address,
                "submit_date": fmt_date(sms.submit),
                "final_date": fmt_date(snapshot["final"] if snapshot["final"] is not None else now),
            }
            self._enqueue_locked("delivery_report", "PATCH", target, sms.id, body)

    def _enqueue_locked(self, kind, method, target, sms_id, body, redelivery_of=None):
        url, secret, secret_id = target
        self.delivery_seq += 1
        delivery = Delivery(self.delivery_seq, kind, method, url, secret, secret_id, sms_id, body, redelivery_of)
        self.deliveries[delivery.seq] = delivery
        while len(self.deliveries) > DELIVERY_LOG_SIZE:
            self.deliveries.popitem(last=False)
        heapq.heappush(self.due, (delivery.next_attempt, delivery.seq))
        self.counters[kind] += 1
        return delivery

    def redeliver_locked(self, seq):
        """Deliver a callback again, as emnify does when it did not see the receiver's answer."""
        original = self.deliveries[seq]
        target = (original.url, original.secret, original.secret_id)
        return self._enqueue_locked(original.kind, original.method, target, original.sms_id, original.body, redelivery_of=seq)

    # the sender's side ---------------------------------------------------------------------------------

    def take_due_locked(self, now):
        """The deliveries whose next attempt is due, in the order they were queued."""
        taken = []
        while self.due and self.due[0][0] <= now:
            _at, seq = heapq.heappop(self.due)
            delivery = self.deliveries.get(seq)
            if delivery is not None and not delivery.delivered:
                taken.append(delivery)
        return taken

    def record_locked(self, delivery, status, problem, now):
        """Note an attempt's outcome; schedule the next one unless the receiver answered 2xx."""
        if self.deliveries.get(delivery.seq) is not delivery:
            return  # forgotten meanwhile (a reset)
        delivery.attempts.append({"at": iso_now(now), "status": status, "error": problem})
        self.counters["attempts"] += 1
        if status is not None and 200 <= status < 300:
            delivery.delivered = True
            self.counters["delivered"] += 1
            return
        wait = min(MAX_BACKOFF, self.backoff * (2 ** (len(delivery.attempts) - 1)))
        delivery.next_attempt = now + wait
        heapq.heappush(self.due, (delivery.next_attempt, delivery.seq))

    def summary_locked(self):
        return {
            "device_sms": self.counters["device_sms"], "delivery_report": self.counters["delivery_report"],
            "attempts": self.counters["attempts"], "delivered": self.counters["delivered"],
            "pending": sum(1 for delivery in self.deliveries.values() if not delivery.delivered),
            "awaiting_report": len(self.awaiting_report),
        }


def callback_token(secret):
    """The bearer token of one attempt: HS256 over the API secret, valid for a few minutes."""
    issued = int(time.time())
    return tokens.sign(secret, {"iss": "emnify-simulator", "iat": issued, "exp": issued + TOKEN_LIFETIME})


class Sender(threading.Thread):
    """Delivers due callbacks, one at a time, until stopped; a plain urllib client that ignores proxy settings."""

    def __init__(self, state):
        super(Sender, self).__init__(name="callbacks")
        self.daemon = True
        self.state = state
        self.stopping = threading.Event()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def stop(self):
        self.stopping.set()

    def run(self):
        while not self.stopping.wait(TICK_SECONDS):
            self.step()

    def step(self):
        with self.state.lock:
            book = self.state.callbacks
            if not book.active_locked():
                return
            book.tick_locked(self.state)
            due = book.take_due_locked(time.time())
        for delivery in due:
            if self.stopping.is_set():
                return
            status, problem = self.send(delivery)
            with self.state.lock:
                self.state.callbacks.record_locked(delivery, status, problem, time.time())

    def send(self, delivery):
        """(HTTP status, None) or (None, what went wrong)."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if delivery.secret is not None:
            headers["Authorization"] = "Bearer " + callback_token(delivery.secret)
        data = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(delivery.url, data=data, headers=headers, method=delivery.method)
        try:
            with self.opener.open(request, timeout=SEND_TIMEOUT) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            return None, str(reason)


# ---------------------------------------------------------------------------
# REST routes (declared in api.py); each runs under the state lock
# ---------------------------------------------------------------------------

def _invalid(errors):
    return error(422, 1400, "InputValidationFailed", "Validation error", errors)


def _field_error(code, token, message):
    return {"error_code": code, "error_token": token, "message": message}


def _body_object(request):
    if request.body_error is not None:
        return None, error(400, 1000, "BadRequest", "Malformed JSON body: %s" % request.body_error)
    if not isinstance(request.body, dict):
        return None, error(400, 1000, "BadRequest", "The request body must be a JSON object")
    return request.body, None


def _unknown_fields(body, allowed):
    return [_field_error(1403, "InvalidFormat", "%s is not a field of this resource" % key) for key in sorted(set(body) - set(allowed))]


def _purpose(body, errors):
    purpose = body.get("purpose")
    if purpose is not None and not isinstance(purpose, str):
        errors.append(_field_error(1403, "InvalidFormat", "purpose must be a string"))
    return purpose


def _item_id(kind, text, items):
    number = parse_long(text)
    if number is None or number not in items:
        label = "API Callback" if kind == "api_callback" else "API Secret"
        return None, error(404, 1201, "NotFound", "%s with Id '%s' not found." % (label, text))
    return number, None


def _created(request, kind, item_id):
    return empty(201, headers=[("Location", "%s/api/v1/%s/%d" % (request.base_url, kind, item_id))])


def list_api_callbacks(api, _request, _params):
    book = api.state.callbacks
    return Response(200, [book.callback_view(item_id) for item_id in sorted(book.callbacks)], JSON_UTF8)


def create_api_callback(api, request, _params):
    body, problem = _body_object(request)
    if problem is not None:
        return problem
    errors = _unknown_fields(body, ("url", "purpose", "organisation_id", "id"))
    url = body.get("url")
    split = urlsplit(url) if isinstance(url, str) else None
    if url is None:
        errors.append(_field_error(1402, "Required", "url is required"))
    elif split is None or split.scheme not in ("http", "https") or not split.netloc:
        errors.append(_field_error(1403, "InvalidFormat", "url must be an http:// or https:// URL"))
    purpose = _purpose(body, errors)
    if errors:
        return _invalid(errors)
    item_id = api.state.callbacks.add_callback_locked(url, purpose, api.state.now())
    return _created(request, "api_callback", item_id)


def get_api_callback(api, _request, params):
    book = api.state.callbacks
    item_id, problem = _item_id("api_callback", params["id"], book.callbacks)
    if problem is not None:
        return problem
    return Response(200, book.callback_view(item_id), JSON_UTF8)


def delete_api_callback(api, _request, params):
    book = api.state.callbacks
    item_id, problem = _item_id("api_callback", params["id"], book.callbacks)
    if problem is not None:
        return problem
    book.delete_locked("api_callback", item_id)
    return empty(204, None)


def list_api_secrets(api, _request, _params):
    book = api.state.callbacks
    return Response(200, [book.secret_view(item_id) for item_id in sorted(book.secrets)], JSON_UTF8)


def create_api_secret(api, request, _params):
    body, problem = _body_object(request)
    if problem is not None:
        return problem
    errors = _unknown_fields(body, ("secret", "purpose", "organisation_id", "id"))
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or not secret):
        errors.append(_field_error(1403, "InvalidFormat", "secret must be a non-empty string"))
    purpose = _purpose(body, errors)
    if errors:
        return _invalid(errors)
    value = secret.encode("utf-8") if secret is not None else os.urandom(32).hex().encode("ascii")
    book = api.state.callbacks
    item_id = book.add_secret_locked(value, purpose, api.state.now())
    # emnify documents neither where a secret's value comes from nor the answer: the simulator takes the value from
    # the body or makes one, and shows it in this answer only.
    location = "%s/api/v1/api_secret/%d" % (request.base_url, item_id)
    return Response(201, book.secret_view(item_id, with_secret=True), JSON_UTF8, [("Location", location)])


def get_api_secret(api, _request, params):
    book = api.state.callbacks
    item_id, problem = _item_id("api_secret", params["id"], book.secrets)
    if problem is not None:
        return problem
    return Response(200, book.secret_view(item_id), JSON_UTF8)


def delete_api_secret(api, _request, params):
    book = api.state.callbacks
    item_id, problem = _item_id("api_secret", params["id"], book.secrets)
    if problem is not None:
        return problem
    book.delete_locked("api_secret", item_id)
    return empty(204, None)


def _profile_id(text):
    number = parse_long(text)
    if number is None or number not in SERVICE_PROFILES:
        return None, error(404, 1201, "NotFound", "Service Profile with Id '%s' not found." % text)
    return number, None


def get_service_profile(api, _request, params):
    profile_id, problem = _profile_id(params["id"])
    if problem is not None:
        return problem
    return Response(200, api.state.callbacks.profile_view(profile_id), JSON_UTF8)


def patch_service_profile(api, request, params):
    profile_id, problem = _profile_id(params["id"])
    if problem is not None:
        return problem
    body, problem = _body_object(request)
    if problem is not None:
        return problem
    book = api.state.callbacks
    errors = [_field_error(1403, "InvalidFormat", "the simulator changes only api_callback and api_secret of a service profile, not %s" % key)
              for key in sorted(set(body) - {"api_callback", "api_secret"})]
    changes = {}
    for kind, items in (("api_callback", book.callbacks), ("api_secret", book.secrets)):
        if kind not in body:
            continue
        value = body[kind]
        if value is None or (isinstance(value, dict) and "id" in value and value["id"] is None):
            changes[kind] = None
        elif isinstance(value, dict) and isinstance(value.get("id"), int) and not isinstance(value.get("id"), bool):
            if value["id"] not in items:
                errors.append(_field_error(1401, "InvalidReference", "%s with id %d does not exist" % (kind, value["id"])))
            changes[kind] = value["id"]
        else:
            errors.append(_field_error(1403, "InvalidFormat", '%s must be {"id": <id>} or {"id": null}' % kind))
    if errors:
        return _invalid(errors)
    book.profiles[profile_id].update(changes)
    return empty(204, None)
