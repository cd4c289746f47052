# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulator's whole mutable state behind one lock: clock, fleet, SMS, tokens, limits, faults, stats, log.

Methods whose name ends in `_locked` expect the caller to hold `self.lock`; the others take it themselves.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import collections
import heapq
import os
import re
import threading
import time

from . import gsm, tokens
from .callbacks import CallbackBook
from .faults import Faults
from .fleet import build_fleet, ORGANISATION_ID
from .ratelimit import RateLimiter
from .sms import Sms, MT, MO, DELIVERED

SMS_ID_START = 19650000
REQUEST_LOG_SIZE = 20000
REPLY_COMMAND_END = re.compile(r"[, :]")


def reply_payload(text):
    """What a replying device answers to a command: 'OK ' + the text up to the first ',', ' ' or ':'."""
    command = REPLY_COMMAND_END.split(text, 1)[0]
    return "OK " + command if command else "OK"


class State:
    """Everything that changes while the simulator runs."""

    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.secret = os.urandom(32)
        self.app_tokens = tuple(options.application_token)
        self.token_serial = 0
        self.min_token_serial = 1
        self.limiter = RateLimiter(options.rate_limit_scale, not options.no_rate_limit)
        self.log = collections.deque(maxlen=REQUEST_LOG_SIZE)
        self.log_seq = 0
        self.connections = 0
        self.max_connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.callbacks = CallbackBook(options.callback_backoff)
        self._reset_locked()

    # whole-state ------------------------------------------------------------------------------------------

    def _reset_locked(self):
        self.clock_offset = 0.0
        self.fleet = build_fleet(self.options.endpoints, self.options.seed)
        self.by_id = dict((endpoint.id, endpoint) for endpoint in self.fleet)
        self.sms = {}
        self.sms_by_endpoint = collections.defaultdict(list)
        self.concat_parts = collections.defaultdict(dict)
        self.next_sms_id = SMS_ID_START
        self.pending_mo = []  # heap of (at, serial, endpoint id, payload, udh, dcs, source address, dest address)
        self.pending_serial = 0
        self.wakeups = []  # heap of (time, endpoint id): a delivery that may make the device reply
        self.faults = Faults()
        self.callbacks.reset_locked()
        self.limiter.reset()
        self.log.clear()
        self._reset_stats_locked()

    def reset(self):
        with self.lock:
            self._reset_locked()

    def now(self):
        """The simulated clock (epoch seconds): real time plus every admin advance."""
        return time.time() + self.clock_offset

    def advance(self, seconds):
        with self.lock:
            self.clock_offset += seconds
            return self.now()

    # tokens -----------------------------------------------------------------------------------------------

    def issue_token_locked(self):
        self.token_serial += 1
        issued = int(self.now())
        payload = {
            "sub": "application_token",
            "iss": "emnify-simulator",
            "iat": issued,
            "exp": issued + int(self.options.token_lifetime),
            "jti": self.token_serial,
            "esc.app": 1,
            "esc.appName": "simulator",
            "esc.org": ORGANISATION_ID,
            "esc.orgName": "Simulated Organisation",
            "esc.user": None,
        }
        return tokens.sign(self.secret, payload)

    def check_token_locked(self, token):
        """TOKEN_OK, TOKEN_MALFORMED, TOKEN_INVALID or TOKEN_EXPIRED (expired or revoked)."""
        verdict, payload = tokens.check(self.secret, token)
        if verdict != tokens.TOKEN_OK:
            return verdict
        serial = payload.get("jti")
        exp = payload.get("exp")
        if not isinstance(serial, int) or not isinstance(exp, (int, float)):
            return tokens.TOKEN_INVALID
        if serial < self.min_token_serial or self.now() >= exp:
            return tokens.TOKEN_EXPIRED
        return tokens.TOKEN_OK

    def revoke_tokens_locked(self):
        self.min_token_serial = self.token_serial + 1

    # stats and request log --------------------------------------------------------------------------------

    def _reset_stats_locked(self):
        self.stats = {
            "requests": 0, "by_route": collections.Counter(), "by_status": collections.Counter(), "writes": 0,
            "authentications": 0, "authentications_failed": 0, "status_401": 0, "status_429": 0,
            "sms_posted": 0, "sms_canceled": 0, "mo_injected": 0, "replies_generated": 0, "faults_applied": 0,
            "connection_resets": 0,
        }
        self.max_connections = self.connections
        self.max_in_flight = self.in_flight

    def reset_stats(self):
        with self.lock:
            self._reset_stats_locked()

    def stats_view(self):
        with self.lock:
            out = dict(self.stats)
            out["by_route"] = dict(self.stats["by_route"])
            out["by_status"] = dict((str(k), v) for k, v in self.stats["by_status"].items())
            out["connections_open"] = self.connections
            out["max_connections"] = self.max_connections
            out["requests_in_flight"] = self.in_flight
            out["max_requests_in_flight"] = self.max_in_flight
            out["sms_stored"] = len(self.sms)
            out["clock"] = self.now()
            return out

    def connection_opened(self):
        with self.lock:
            self.connections += 1
            self.max_connections = max(self.max_connections, self.connections)

    def connection_closed(self):
        with self.lock:
            self.connections -= 1

    def begin_request(self, method, path, query, body, route, client, headers=None, authentication=False):
        """Count and log an /api/v1 request as it arrives; returns its log entry (secrets already redacted by the caller).

        `route` is the request's name ("METHOD TEMPLATE"); `authentication` tells a call of the authentication route.
        """
        with self.lock:
            self.log_seq += 1
            entry = {"seq": self.log_seq, "time": self.now(), "client": client, "method": method, "path": path,
                     "query": query, "body": body, "headers": headers or {}, "route": route, "status": None,
                     "outcome": None}
            self.log.append(entry)
            self.stats["requests"] += 1
            self.stats["by_route"][route] += 1
            if authentication:
                self.stats["authentications"] += 1
            elif method in ("POST", "PATCH", "PUT", "DELETE"):
                self.stats["writes"] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return entry

    def end_request(self, entry, status, outcome="answered"):
        with self.lock:
            self.in_flight -= 1
            entry["status"] = status
            entry["outcome"] = outcome
            if status is not None:
                self.stats["by_status"][status] += 1
                if status == 401:
                    self.stats["status_401"] += 1
                elif status == 429:
                    self.stats["status_429"] += 1
            else:
                self.stats["connection_resets"] += 1

    def count(self, key, amount=1):
        with self.lock:
            self.stats[key] += amount

    def log_since(self, since, limit):
        with self.lock:
            items = [dict(entry) for entry in self.log if entry["seq"] > since]
            last = self.log_seq
        return items[:limit], last

    # SMS --------------------------------------------------------------------------------------------------

    def _new_sms_id_locked(self):
        self.next_sms_id += 1
        return self.next_sms_id

    def create_mt_locked(self, endpoint, fields):
        self.settle_locked()
        now = self.now()
        expiry = fields["expiry"] if fields.get("expiry") is not None else now + 86400
        sms = Sms(self._new_sms_id_locked(), endpoint, MT, now, expiry, fields)
        if endpoint.reachable():
            self._start_attempt_locked(sms, now)
        else:
            sms.buffer(now)
        self.sms[sms.id] = sms
        self.sms_by_endpoint[endpoint.id].append(sms.id)
        self.stats["sms_posted"] += 1
        self.callbacks.mt_stored_locked(sms)
        return sms

    def _start_attempt_locked(self, sms, now, via_alert=False):
        sms.start_attempt(now, self.options.delivery_seconds, via_alert)
        heapq.heappush(self.wakeups, (sms.deliver_at, sms.endpoint_id))

    def create_mo_locked(self, endpoint, payload, udh, dcs, source_address=None, dest_address=None):
        """Store a device-originated SMS submitted now."""
        self.settle_locked()
        return self._store_mo_locked(endpoint, payload, udh, dcs, self.now(), source_address, dest_address)

    def _store_mo_locked(self, endpoint, payload, udh, dcs, submit, source_address, dest_address):
        if source_address is None:
            source_address = endpoint.sim["msisdn"] if endpoint.sim else ""
        address_type = 145 if source_address.lstrip("+").isdigit() else 208
        fields = {"payload": payload, "udh": udh, "dcs": dcs, "source_address": source_address,
                  "source_address_type": address_type, "dest_address": dest_address}
        sms = Sms(self._new_sms_id_locked(), endpoint, MO, submit, submit + 86400, fields)
        self.sms[sms.id] = sms
        self.sms_by_endpoint[endpoint.id].append(sms.id)
        self.callbacks.mo_stored_locked(sms, endpoint)
        return sms

    def schedule_mo_locked(self, endpoint, payload, udh, dcs, at, source_address=None, dest_address=None):
        """Queue a device-originated SMS for `at`; it is stored, and gets its id, once the clock reaches it."""
        heapq.heappush(self.pending_mo, (at, self.pending_serial, endpoint.id, payload, udh, dcs, source_address, dest_address))
        self.pending_serial += 1

    def settle_locked(self):
        """Bring every SMS up to the simulated clock: replies of devices and queued MO SMS due by now are stored.

        SMS ids are given in submit order, as production's lists show (newest first by id and by submit date
        alike): every place that stores an SMS or lists them calls this first, so an MO SMS due earlier gets its
        id before anything submitted later.
        """
        now = self.now()
        while self.wakeups and self.wakeups[0][0] <= now:
            _at, endpoint_id = heapq.heappop(self.wakeups)
            endpoint = self.by_id.get(endpoint_id)
            if endpoint is not None:
                self._materialize_locked(endpoint, now)
        while self.pending_mo and self.pending_mo[0][0] <= now:
            at, _serial, endpoint_id, payload, udh, dcs, source_address, dest_address = heapq.heappop(self.pending_mo)
            self._store_mo_locked(self.by_id[endpoint_id], payload, udh, dcs, at, source_address, dest_address)

    def _materialize_locked(self, endpoint, now):
        """Let the device answer every complete command delivered by now (in delivery order)."""
        delivered = []
        for sms_id in self.sms_by_endpoint.get(endpoint.id, ()):
            sms = self.sms[sms_id]
            if sms.reply_done:
                continue
            at = sms.delivered_at(now)
            if at is not None:
                delivered.append((at, sms.id, sms))
            elif sms.status_at(now) != DELIVERED and sms.frozen is not None:
                sms.reply_done = True
        delivered.sort(key=lambda item: (item[0], item[1]))
        for at, _sms_id, sms in delivered:
            sms.reply_done = True
            if sms.source_address_type == 208 or not endpoint.replies or endpoint.sim is None:
                continue  # alphanumeric senders are one-way; some devices never answer
            if sms.concat is None:
                self._reply_locked(endpoint, sms.payload, at, sms.source_address)
                continue
            key = (sms.concat["ref_bits"], sms.concat["ref"], sms.concat["total"])
            parts = self.concat_parts[endpoint.id].setdefault(key, {})
            parts.setdefault(sms.concat["seq"], (sms.payload, at))
            if len(parts) == sms.concat["total"]:
                text = "".join(parts[seq][0] for seq in range(1, sms.concat["total"] + 1))
                done = max(item[1] for item in parts.values())
                del self.concat_parts[endpoint.id][key]
                self._reply_locked(endpoint, text, done, sms.source_address)

    def _reply_locked(self, endpoint, text, delivered, command_sender):
        """Queue the device's answer to a command; it goes to the command's sender."""
        payload = endpoint.reply_text if endpoint.reply_text is not None else reply_payload(text)
        dcs = 0 if gsm.gsm7_septets(payload) is not None else 8
        self.schedule_mo_locked(endpoint, payload, "", dcs, delivered + self.options.reply_seconds, dest_address=command_sender)
        self.stats["replies_generated"] += 1

    def endpoint_sms_locked(self, endpoint):
        """The endpoint's SMS, newest first (by id, which is also by submit date)."""
        self.settle_locked()
        return [self.sms[sms_id] for sms_id in sorted(self.sms_by_endpoint.get(endpoint.id, ()), reverse=True)]

    def reachability_changed_locked(self, endpoint, was_reachable):
        """Move the endpoint's pending SMS between in-flight and buffered when its reachability changed."""
        if endpoint.reachable() == was_reachable:
            return
        now = self.now()
        for sms_id in self.sms_by_endpoint.get(endpoint.id, ()):
            sms = self.sms[sms_id]
            if sms.direction != MT or sms.frozen is not None or now >= sms.expiry:
                continue
            status = sms.status_at(now)
            if status in (4, 5, 6, 7):
                continue
            if endpoint.reachable() and sms.deliver_at is None:
                self._start_attempt_locked(sms, now, via_alert=True)
            elif not endpoint.reachable() and sms.deliver_at is not None:
                sms.buffer(now)
