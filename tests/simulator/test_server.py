# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP server: keep-alive, concurrency, latency and TLS (server.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import shutil
import subprocess
import threading
import time
import http.client
from urllib.parse import urlsplit

import pytest
import requests

from conftest import ENDPOINT_BASE, SILENT, Client


def test_keep_alive_with_exact_content_lengths(client):
    parts = urlsplit(client.url)
    token = client.authenticate()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        for _round in range(3):
            connection.request("GET", "/api/v1/endpoint/%d" % SILENT, headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200 and int(response.getheader("Content-Length")) == len(data)
            connection.request("POST", "/api/v1/endpoint/%d/sms" % SILENT, body=json.dumps({"payload": "k"}),
                               headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 201 and response.read() == b""
            connection.request("DELETE", "/api/v1/endpoint/%d/sms/1" % SILENT, headers={"Authorization": "Bearer " + token})
            response = connection.getresponse()
            assert response.status == 404 and json.loads(response.read().decode("utf-8"))["error_code"]
    finally:
        connection.close()
    assert client.stats()["max_connections"] >= 1


def test_concurrent_posts_get_distinct_ids(client):
    client.authenticate()
    ids = []
    lock = threading.Lock()

    def post(number):
        own = Client(client.sim)
        own.token = client.token
        for part in range(5):
            sms_id = own.send_sms(ENDPOINT_BASE + 1 + number, {"payload": "c%d" % part})
            with lock:
                ids.append(sms_id)

    threads = [threading.Thread(target=post, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 40 and len(set(ids)) == 40
    assert client.stats()["sms_posted"] == 40


def test_latency_option(sim_factory):
    sim = sim_factory("--endpoints", "2", "--latency-ms", "1500")
    client = Client(sim)
    started = time.monotonic()
    client.authenticate()
    assert time.monotonic() - started >= 1.5
    started = time.monotonic()
    client.admin_json("GET", "/health")
    assert time.monotonic() - started < 1.5  # the admin API is not slowed down


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 made with openssl."""
    openssl = shutil.which("openssl")
    assert openssl, "the TLS test needs the openssl command"
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def test_tls(sim_factory, tmp_path):
    cert, key = make_certificate(str(tmp_path))
    sim = sim_factory("--endpoints", "3", "--tls-cert", cert, "--tls-key", key)
    assert sim.url.startswith("https://127.0.0.1:")
    client = Client(sim, verify=cert)
    client.authenticate()
    response = client.api("POST", "/api/v1/endpoint/%d/sms" % (ENDPOINT_BASE + 1), json={"payload": "tls"})
    assert response.status_code == 201
    assert response.headers["Location"].startswith(sim.url + "/api/v1/endpoint/")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url + "/_simulator/health", timeout=10)  # not trusted without the certificate
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sim.url.replace("https", "http") + "/_simulator/health", timeout=10)
    assert client.admin_json("GET", "/health")["ok"] is True
