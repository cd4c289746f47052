# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deterministic, seeded fleet of endpoints and SIMs, and their JSON shapes as the service sends them."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import random

from .common import fmt_date

ENDPOINT_ID_BASE = 11380000
SIM_ID_BASE = 4400000
ORGANISATION_ID = 11931
FLEET_EPOCH = 1677657600  # 2023-03-01T08:00:00Z

SERVICE_PROFILE_SMS = {"id": 438035, "name": "Example service profile"}
SERVICE_PROFILE_NO_SMS = {"id": 438036, "name": "No SMS"}
TARIFF_PROFILE = {"id": 424560, "name": "All Covered"}
IP_ADDRESS_SPACE = {"id": 24746}
GERMANY = {"id": 74, "name": "Germany"}
CUSTOMER_ORG = {"id": ORGANISATION_ID, "name": "Simulated Organisation", "country": GERMANY}
EMNIFY_ORG = {"id": 2, "name": "emnify GmbH", "country": GERMANY}
# The field names of a SIM's model come from emnify's API description; the values are made up.
SIM_MODEL = {"id": 1, "description": "Multi-Form Factor SIM", "memory_size": 128,
             "formfactor": {"id": 1, "name": "Multi-Form Factor SIM"}, "manufacturer": {"id": 1, "name": "emnify"}}

ENDPOINT_STATUS = {0: "Enabled", 1: "Disabled", 2: "Deleted"}
SIM_STATUS = {0: "Issued", 1: "Activated", 2: "Suspended", 3: "Deleted", 4: "Factory Test"}
TAGS_BY_INDEX = ("fleet,gateway", "fleet,tracker", "fleet,meter")

FLEET_RULES = {
    "endpoint_id": "11380000 + index (index counts from 1)",
    "name": "device-%04d of the index (device-0001, device-0002, ...)",
    "tags": "index % 3 == 1: 'fleet,tracker'; index % 3 == 2: 'fleet,meter'; index % 3 == 0: 'fleet,gateway'",
    "offline": "index % 10 == 0: the device is not attached; SMS to it are BUFFERED, then EXPIRED (gsm_map_error 27)",
    "disabled": "index % 25 == 11: endpoint status 1 Disabled; SMS POST answers 409",
    "sim_suspended": "index % 25 == 12: SIM status 2 Suspended; SMS POST answers 409",
    "no_sim": "index % 25 == 13: no SIM assigned (the endpoint object has no 'sim' key, as recorded); SMS POST answers 409; "
              "its SIM (id 4400000 + index, status Issued) is in stock, listed by GET /api/v1/sim without an endpoint",
    "no_sms": "index % 25 == 14: service profile 'No SMS' does not allow SMS MT; SMS POST answers 409",
    "replies": "index 1..9, and every odd index: the device answers each complete command with an MO SMS 'OK <command>'",
    "normal": "every other index: enabled, SIM activated, SMS MT allowed, online; indexes 1..9 are always normal and reply",
    "identifiers": "ICCID 19 digits (8988303...), IMSI 15 digits (295050...), MSISDN 15 digits (4236...), IMEI 15 digits, "
                   "drawn from a random generator seeded with --seed; SIM id 4400000 + index; IP address 10.196.x.y from the index",
}


def luhn_digit(digits):
    """The Luhn check digit of a string of digits."""
    total = 0
    for pos, char in enumerate(reversed(digits)):
        value = int(char)
        if pos % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def initial_role(index):
    """The roles an index gets in a fresh fleet."""
    return {
        "online": index % 10 != 0,
        "disabled": index % 25 == 11,
        "sim_suspended": index % 25 == 12,
        "no_sim": index % 25 == 13,
        "no_sms": index % 25 == 14,
        "replies": index <= 9 or index % 2 == 1,
    }


class Endpoint:
    """One endpoint (device) with its SIM and the simulated radio state."""

    def __init__(self, index, rng):
        role = initial_role(index)
        self.index = index
        self.id = ENDPOINT_ID_BASE + index
        self.name = "device-%04d" % index
        self.tags = TAGS_BY_INDEX[index % 3]
        self.created = FLEET_EPOCH + index * 97 + rng.randint(0, 59)
        self.last_updated = self.created + rng.randint(0, 30 * 86400)
        self.status_id = 1 if role["disabled"] else 0
        self.sms_mt = not role["no_sms"]
        host = index % 65536
        self.ip_address = "10.196.%d.%d" % (host // 256, host % 256)
        self.imei = "35" + "".join(rng.choice("0123456789") for _digit in range(13))
        self.online = role["online"]
        self.replies = role["replies"]
        self.reply_text = None
        sim = {
            "id": SIM_ID_BASE + index,
            "iccid": None, "imsi": None, "msisdn": None,
            "status_id": 2 if role["sim_suspended"] else 1,
            "production_date": FLEET_EPOCH - 86400 * 30 + index,
            "activation_date": self.created,
        }
        self.sim = None
        self.spare_sim = None  # a SIM in stock, assigned to no endpoint
        if not role["no_sim"]:
            self.sim = sim
        else:
            sim["status_id"] = 0
            sim["activation_date"] = None
            self.spare_sim = sim
            self.imei = None

    @property
    def service_profile(self):
        return SERVICE_PROFILE_SMS if self.sms_mt else SERVICE_PROFILE_NO_SMS

    def reachable(self):
        """Whether an MT SMS can be delivered now: enabled, SIM activated and attached."""
        return self.online and self.status_id == 0 and self.sim is not None and self.sim["status_id"] == 1

    def sim_view(self):
        sim = self.sim
        return {
            "id": sim["id"],
            "iccid": sim["iccid"],
            "iccid_with_luhn": sim["iccid"] + luhn_digit(sim["iccid"]),
            "sim_profile_type_id": 1,
            "status": {"id": sim["status_id"], "description": SIM_STATUS[sim["status_id"]]},
            "imsi": sim["imsi"],
            "msisdn": sim["msisdn"],
        }

    def view(self):
        """The endpoint object as GET /api/v1/endpoint[/{id}] sends it (recorded 2024 shape)."""
        body = {
            "id": self.id,
            "created": fmt_date(self.created),
            "last_updated": fmt_date(self.last_updated),
            "name": self.name,
            "tags": self.tags,
            "ip_address": self.ip_address,
            "imei": self.imei,
            "imei_lock": False,
            "status": {"id": self.status_id, "description": ENDPOINT_STATUS[self.status_id]},
            "tariff_profile": dict(TARIFF_PROFILE),
            "service_profile": dict(self.service_profile),
        }
        if self.sim is not None:
            body["sim"] = self.sim_view()
        body["ip_address_space"] = dict(IP_ADDRESS_SPACE)
        return body

    def sim_list_view(self):
        """The endpoint's SIM as GET /api/v1/sim sends it."""
        return sim_list_view(self.sim, self)

    def role_view(self):
        """The device's current roles, for GET /_simulator/fleet."""
        roles = []
        if self.status_id != 0:
            roles.append("disabled" if self.status_id == 1 else "deleted")
        if self.sim is None:
            roles.append("no_sim")
        elif self.sim["status_id"] != 1:
            roles.append("sim_" + SIM_STATUS[self.sim["status_id"]].lower().replace(" ", "_"))
        if not self.sms_mt:
            roles.append("no_sms")
        if not self.online:
            roles.append("offline")
        return {
            "id": self.id,
            "index": self.index,
            "name": self.name,
            "tags": self.tags,
            "role": roles[0] if roles else "normal",
            "roles": roles,
            "online": self.online,
            "replies": self.replies,
            "reply_text": self.reply_text,
            "status": self.status_id,
            "sim_status": None if self.sim is None else self.sim["status_id"],
            "sms_mt": self.sms_mt,
            "accepts_sms": self.status_id == 0 and self.sim is not None and self.sim["status_id"] == 1 and self.sms_mt,
            "iccid": None if self.sim is None else self.sim["iccid"],
            "imsi": None if self.sim is None else self.sim["imsi"],
            "msisdn": None if self.sim is None else self.sim["msisdn"],
        }


def sim_list_view(sim, endpoint=None):
    """A SIM as GET /api/v1/sim sends it; a SIM in stock has no `endpoint` key. No `eid` key: the recorded SIM
    objects have none."""
    body = {
        "id": sim["id"],
        "iccid": sim["iccid"],
        "iccid_with_luhn": sim["iccid"] + luhn_digit(sim["iccid"]),
        "production_date": fmt_date(sim["production_date"]),
        "activation_date": fmt_date(sim["activation_date"]),
        "status": {"id": sim["status_id"], "description": SIM_STATUS[sim["status_id"]]},
        "customer_org": dict(CUSTOMER_ORG),
        "issuer_org": dict(EMNIFY_ORG),
        "reseller_org": dict(EMNIFY_ORG),
    }
    if endpoint is not None:
        body["endpoint"] = {
            "id": endpoint.id, "name": endpoint.name, "ip_address": endpoint.ip_address, "tags": endpoint.tags,
            "created": fmt_date(endpoint.created), "last_updated": fmt_date(endpoint.last_updated),
            "imei": endpoint.imei, "organisation_id": ORGANISATION_ID,
            "service_profile_id": endpoint.service_profile["id"], "tariff_profile_id": TARIFF_PROFILE["id"],
            "ip_address_space_id": IP_ADDRESS_SPACE["id"],
        }
    body["imsi"] = sim["imsi"]
    body["msisdn"] = sim["msisdn"]
    body["model"] = {"id": SIM_MODEL["id"], "description": SIM_MODEL["description"], "memory_size": SIM_MODEL["memory_size"],
                     "formfactor": dict(SIM_MODEL["formfactor"]), "manufacturer": dict(SIM_MODEL["manufacturer"])}
    return body


def fleet_sims(fleet):
    """Every SIM of the fleet with its endpoint (None for a SIM in stock), by SIM id."""
    sims = []
    for endpoint in fleet:
        if endpoint.sim is not None:
            sims.append((endpoint.sim, endpoint))
        elif endpoint.spare_sim is not None:
            sims.append((endpoint.spare_sim, None))
    return sorted(sims, key=lambda pair: pair[0]["id"])


def _unique_digits(rng, prefix, count, used):
    while True:
        value = prefix + "".join(rng.choice("0123456789") for _digit in range(count))
        if value not in used:
            used.add(value)
            return value


def build_fleet(count, seed):
    """Build the fleet: a list of Endpoint objects, the same for the same count and seed."""
    rng = random.Random(seed)
    used = set()
    fleet = []
    for index in range(1, count + 1):
        endpoint = Endpoint(index, rng)
        iccid = _unique_digits(rng, "8988303", 12, used)
        imsi = _unique_digits(rng, "295050", 9, used)
        msisdn = _unique_digits(rng, "4236", 11, used)
        sim = endpoint.sim if endpoint.sim is not None else endpoint.spare_sim
        sim["iccid"], sim["imsi"], sim["msisdn"] = iccid, imsi, msisdn
        fleet.append(endpoint)
    return fleet
