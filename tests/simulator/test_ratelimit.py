# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""emnify's documented rate limits: windows, buckets, scaling (ratelimit.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import http.client
import time

import pytest

from conftest import ENDPOINT_BASE, Client
from emnify_sim.ratelimit import LIMIT_AUTH, LIMIT_ENDPOINT_LIST, LIMIT_OVERALL, RateLimiter, RollingWindow, TokenBucket


TOO_MANY = {"error_code": 1105, "error_token": "TooManyRequests"}


def assert_429(response):
    assert response.status_code == 429, response.text
    body = response.json()
    assert dict((key, body[key]) for key in TOO_MANY) == TOO_MANY
    assert isinstance(body["message"], str) and body["message"]


def test_authentications_are_limited_per_scaled_window(sim_factory):
    sim = sim_factory("--endpoints", "3", "--rate-limit-scale", "0.1")  # 100 per 30 s instead of per 300 s
    client = Client(sim)
    limits = client.admin_json("GET", "/limits")
    assert limits["limits"]["authenticate"] == {"kind": "window", "requests": 100, "window_seconds": 30.0,
                                                "per": "organisation"}
    assert limits["limits"]["overall"]["requests"] == 2000
    started = time.monotonic()
    for _attempt in range(100):
        client.authenticate()
    response = client.session.post(sim.url + "/api/v1/authenticate", json={"application_token": sim.token})
    if time.monotonic() - started < 30.0:
        assert_429(response)
        assert "Retry-After" not in response.headers
        assert client.stats()["status_429"] == 1
    else:  # a machine this slow spreads the attempts over more than one window
        assert response.status_code in (200, 429)


def _burst(client, path, count):
    """Send ``count`` requests back to back; return the statuses and how long they took."""
    started = time.monotonic()
    statuses = [client.api("GET", path).status_code for _attempt in range(count)]
    return statuses, time.monotonic() - started


def _check_bucket(statuses, elapsed, rate, burst):
    """A token bucket admits at most its burst plus what refilled while the requests ran, never fewer than the burst."""
    admitted = statuses.count(200)
    assert set(statuses) <= {200, 429}
    assert statuses[:burst] == [200] * burst
    assert admitted <= burst + rate * elapsed + 1
    if elapsed < (len(statuses) - burst - 1) / float(rate):
        assert 429 in statuses


def test_endpoint_list_and_get_bursts(sim_factory):
    sim = sim_factory("--endpoints", "3", "--retry-after")
    client = Client(sim)
    client.authenticate()
    statuses, elapsed = _burst(client, "/api/v1/endpoint", 12)
    _check_bucket(statuses, elapsed, 10, 5)
    limited = [response for response in (client.api("GET", "/api/v1/endpoint") for _attempt in range(12)) if response.status_code == 429]
    if limited:
        assert_429(limited[0])
        assert int(limited[0].headers["Retry-After"]) >= 1
    assert client.api("GET", "/api/v1/endpoint/%d/sms" % (ENDPOINT_BASE + 1)).status_code == 200  # other limits are separate
    statuses, elapsed = _burst(client, "/api/v1/endpoint/%d" % (ENDPOINT_BASE + 1), 60)
    _check_bucket(statuses, elapsed, 50, 25)
    time.sleep(0.6)
    assert client.api("GET", "/api/v1/endpoint").status_code == 200


def test_no_rate_limit_switch(sim_factory):
    sim = sim_factory("--endpoints", "3", "--no-rate-limit")
    client = Client(sim)
    assert client.admin_json("GET", "/limits")["enabled"] is False
    client.authenticate()
    assert all(client.api("GET", "/api/v1/endpoint").status_code == 200 for _attempt in range(20))


def test_rolling_window_allows_the_documented_amount():
    window = RollingWindow(2000, 300.0)
    for number in range(2000):
        assert window.wait("ip", number * 0.01) == 0.0
        window.take("ip", number * 0.01)
    assert window.wait("ip", 20.0) > 0
    assert window.wait("other", 20.0) == 0.0
    assert window.wait("ip", 300.0) == 0.0  # the first request left the window


def test_token_bucket_burst_and_rate():
    bucket = TokenBucket(10.0, 5)
    for _number in range(5):
        assert bucket.wait("ip", 0.0) == 0.0
        bucket.take("ip", 0.0)
    assert bucket.wait("ip", 0.0) == pytest.approx(0.1)
    assert bucket.wait("ip", 0.1) == 0.0


def test_rate_limiter_scale_and_refusals_consume_nothing():
    limiter = RateLimiter(scale=0.01)
    for _number in range(100):
        assert limiter.admit("ip", "org", (LIMIT_OVERALL, LIMIT_AUTH), 0.0) == (True, 0.0)
    allowed, wait = limiter.admit("ip", "org", (LIMIT_OVERALL, LIMIT_AUTH), 1.0)
    assert not allowed and wait == pytest.approx(2.0)
    assert len(limiter.limits[LIMIT_OVERALL].hits["ip"]) == 100
    assert limiter.admit("ip", "org", (LIMIT_OVERALL, LIMIT_AUTH), 3.0)[0]
    assert RateLimiter(enabled=False).admit("ip", "org", (LIMIT_AUTH,), 0.0) == (True, 0.0)


def test_the_general_limit_counts_per_ip_and_the_path_limits_per_organisation():
    limiter = RateLimiter(scale=0.01)
    # 100 authentications of one organisation from two IPs use up its 100 per window: the 101st waits, from any IP.
    for number in range(100):
        assert limiter.admit("ip-%d" % (number % 2), "org", (LIMIT_OVERALL, LIMIT_AUTH), 0.0) == (True, 0.0)
    assert not limiter.admit("ip-2", "org", (LIMIT_OVERALL, LIMIT_AUTH), 0.5)[0]
    assert limiter.admit("ip-2", "other-org", (LIMIT_OVERALL, LIMIT_AUTH), 0.5) == (True, 0.0)
    # The general limit is each IP's own: 2000 requests from one IP leave another IP's 2000 untouched.
    for _number in range(2000):
        assert limiter.admit("ip-3", "org", (LIMIT_OVERALL,), 1.0) == (True, 0.0)
    assert not limiter.admit("ip-3", "org", (LIMIT_OVERALL,), 1.0)[0]
    assert limiter.admit("ip-4", "org", (LIMIT_OVERALL,), 1.0) == (True, 0.0)
    # The endpoint list's burst of 5 is shared by the organisation's IPs.
    for number in range(5):
        assert limiter.admit("list-%d" % number, "org", (LIMIT_OVERALL, LIMIT_ENDPOINT_LIST), 2.0) == (True, 0.0)
    assert not limiter.admit("list-5", "org", (LIMIT_OVERALL, LIMIT_ENDPOINT_LIST), 2.0)[0]
    assert limiter.describe()["limits"][LIMIT_OVERALL]["per"] == "ip"
    assert limiter.describe()["limits"][LIMIT_ENDPOINT_LIST]["per"] == "organisation"


def _list_endpoints_from(sim, token, source_ip):
    """GET /api/v1/endpoint from a given loopback address (every 127.x.y.z address reaches 127.0.0.1's server)."""
    host, port = sim.url.split("//", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source_ip, 0))
    try:
        connection.request("GET", "/api/v1/endpoint?per_page=1", headers={"Authorization": "Bearer " + token})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_over_http_a_second_client_ip_shares_the_organisations_endpoint_list_burst(sim_factory):
    sim = sim_factory("--endpoints", "3")
    client = Client(sim)
    token = client.authenticate()
    first = [_list_endpoints_from(sim, token, "127.0.0.1") for _number in range(5)]
    second = _list_endpoints_from(sim, token, "127.0.0.2")
    assert first == [200] * 5 and second == 429
    clients = [item["client"] for item in client.admin_json("GET", "/requests")["requests"] if item["path"] == "/api/v1/endpoint"]
    assert clients == ["127.0.0.1"] * 5 + ["127.0.0.2"]
