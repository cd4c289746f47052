# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One SMS: its delivery lifecycle, computed lazily from the simulated clock, and its JSON shape."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from .common import fmt_date
from .fleet import ORGANISATION_ID

PENDING, IN_PROGRESS, BUFFERED, DELIVERED, FAILED, EXPIRED, CANCELED = 1, 2, 3, 4, 5, 6, 7
STATUS_DESCRIPTION = {
    PENDING: "DELIVERY ATTEMPT PENDING", IN_PROGRESS: "IN PROGRESS", BUFFERED: "BUFFERED", DELIVERED: "DELIVERED",
    FAILED: "FAILED", EXPIRED: "EXPIRED", CANCELED: "CANCELED",
}
FINAL = frozenset((DELIVERED, FAILED, EXPIRED, CANCELED))
SOURCE_ADDRESS_TYPES = {145: "International", 161: "National", 208: "Alphanumeric"}
MT, MO = 1, 2
SMS_TYPE_DESCRIPTION = {MT: "MT", MO: "MO"}
# A canceled SMS shows its next retry one hour after submit, as recorded.
CANCELED_RETRY_AFTER = 3600

# Retries of a buffered SMS, in seconds after it was buffered; then one every hour until it expires.
RETRY_AFTER_BUFFERED = (60, 360, 1260, 3060, 6660)
RETRY_LATER_EVERY = 3600


def retry_offset(number):
    """Seconds from buffering to the given retry (1 = first)."""
    if number <= len(RETRY_AFTER_BUFFERED):
        return RETRY_AFTER_BUFFERED[number - 1]
    return RETRY_AFTER_BUFFERED[-1] + RETRY_LATER_EVERY * (number - len(RETRY_AFTER_BUFFERED))


def retries_until(buffered_since, moment):
    """How many scheduled retries of a buffered SMS happen up to `moment`."""
    elapsed = moment - buffered_since
    if elapsed < RETRY_AFTER_BUFFERED[0]:
        return 0
    if elapsed < RETRY_AFTER_BUFFERED[-1]:
        return sum(1 for offset in RETRY_AFTER_BUFFERED if offset <= elapsed)
    return len(RETRY_AFTER_BUFFERED) + int((elapsed - RETRY_AFTER_BUFFERED[-1]) // RETRY_LATER_EVERY)


class Sms:
    """An MT or MO SMS. Times are simulated-clock epoch seconds."""

    def __init__(self, sms_id, endpoint, direction, submit, expiry, fields):
        self.id = sms_id
        self.direction = direction
        self.submit = submit
        self.expiry = expiry
        self.payload = fields["payload"]
        self.udh = fields.get("udh") or ""
        self.dcs = fields.get("dcs", 0)
        self.source_address = fields.get("source_address", "")
        self.source_address_type = fields.get("source_address_type", 161)
        self.dest_address = fields.get("dest_address")
        self.concat = fields.get("concat")
        self.endpoint_id = endpoint.id
        sim = endpoint.sim or {}
        self.sim_id = sim.get("id")
        self.iccid = sim.get("iccid")
        self.msisdn = sim.get("msisdn")
        # Delivery state of an MT SMS: either in flight (attempt_start set) or buffered (buffered_since set).
        self.attempts_before = 0
        self.attempt_start = None
        self.deliver_at = None
        self.via_alert = False
        self.buffered_since = None
        self.frozen = None  # computed state at the moment it was canceled
        self.reply_done = direction == MO

    # lifecycle -------------------------------------------------------------------------------------------

    def start_attempt(self, now, delivery_seconds, via_alert=False):
        """Begin a delivery attempt to a reachable device."""
        if self.buffered_since is not None:
            self.attempts_before += 1 + retries_until(self.buffered_since, now)
            self.buffered_since = None
        self.attempt_start = now
        self.deliver_at = now + delivery_seconds
        self.via_alert = via_alert

    def buffer(self, now):
        """The device cannot be reached: the current attempt (if any) fails and the SMS waits."""
        self.attempt_start = None
        self.deliver_at = None
        self.buffered_since = now

    def state_at(self, moment):
        """The computed delivery state at `moment`: a dict of status and date fields (epoch seconds)."""
        if self.frozen is not None:
            return self.frozen
        if self.direction == MO:
            return {"status": DELIVERED, "final": self.submit, "last_attempt": self.submit, "retry_date": None,
                    "retry_count": 0, "gsm_map_error": None}
        if self.deliver_at is not None:
            if self.deliver_at <= moment and self.deliver_at < self.expiry:
                return {"status": DELIVERED, "final": self.deliver_at, "last_attempt": self.attempt_start,
                        "retry_date": self.attempt_start + RETRY_AFTER_BUFFERED[0],
                        "retry_count": self.attempts_before, "gsm_map_error": None}
            at = min(moment, self.expiry)
            half = self.attempt_start + (self.deliver_at - self.attempt_start) / 2.0
            status = PENDING if (not self.via_alert and at < half) else IN_PROGRESS
            state = {"status": status, "final": None,
                     "last_attempt": self.attempt_start if status == IN_PROGRESS else None,
                     "retry_date": self.attempt_start + RETRY_AFTER_BUFFERED[0],
                     "retry_count": self.attempts_before, "gsm_map_error": None}
        else:
            at = min(moment, self.expiry)
            retries = retries_until(self.buffered_since, at)
            last = self.buffered_since + (retry_offset(retries) if retries else 0)
            state = {"status": BUFFERED, "final": None, "last_attempt": last,
                     "retry_date": self.buffered_since + retry_offset(retries + 1),
                     "retry_count": self.attempts_before + retries, "gsm_map_error": None}
        if moment >= self.expiry:
            # Recorded EXPIRED SMS all have gsm_map_error null, also those that were never delivered.
            state["status"] = EXPIRED
            state["final"] = self.expiry
        return state

    def status_at(self, moment):
        return self.state_at(moment)["status"]

    def delivered_at(self, moment):
        """When it was delivered, if it was delivered by `moment`; else None."""
        state = self.state_at(moment)
        return state["final"] if state["status"] == DELIVERED else None

    def cancel(self, moment):
        """Cancel a non-final SMS. Recorded: status 7, final_date and last_delivery_attempt null, retry_date submit + 1 h."""
        state = dict(self.state_at(moment))
        state["status"] = CANCELED
        state["final"] = None
        state["last_attempt"] = None
        state["retry_date"] = self.submit + CANCELED_RETRY_AFTER
        self.frozen = state

    # JSON -------------------------------------------------------------------------------------------------

    def view(self, moment):
        """The SMS object as the live service sends it (numbers as strings where it does so)."""
        state = self.state_at(moment)
        status = state["status"]
        sat = self.source_address_type
        return {
            "dlr_status_id": "4" if status in FINAL and status != CANCELED else "1",
            "organisation_id": str(ORGANISATION_ID),
            "submit_date": fmt_date(self.submit),
            "delivery_date": fmt_date(self.submit),
            "expiry_date": fmt_date(self.expiry),
            "final_date": fmt_date(state["final"]),
            "retry_date": fmt_date(state["retry_date"]),
            "last_delivery_attempt": fmt_date(state["last_attempt"]),
            "retry_count": str(max(state["retry_count"], 0)),
            "gsm_map_error": state["gsm_map_error"],
            "dcs": str(self.dcs),
            "pid": "0",
            "source_address": self.source_address,
            "endpoint_id": str(self.endpoint_id),
            "sim_id": None if self.sim_id is None else str(self.sim_id),
            "iccid": self.iccid,
            "called_party_prefix": None,
            "msisdn": self.msisdn,
            "imsi": "",
            "msc": None,
            "udh": self.udh,
            "payload": self.payload,
            "registered_delivery": "0",
            "smpp_bind_id": None,
            "p2p_ext": 0,
            "smpp_dlr_bind_id": None,
            "id": self.id,
            "status": {"description": STATUS_DESCRIPTION[status], "id": status},
            "sms_type": {"description": SMS_TYPE_DESCRIPTION[self.direction], "id": self.direction},
            "source_address_type": {"description": SOURCE_ADDRESS_TYPES.get(sat, "Unknown"), "id": sat},
            "esme_interface_type": {"description": "RestAPI", "id": 1},
        }
