# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official emnify Python SDK (emnify-sdk, hack/requirements/sdk.txt) works against the simulator.

Run it in a virtualenv that has the SDK (make simulator-tests does): it fails, rather than skips, without it.
The SDK reads its base URL from EMNIFY_SDK_API_ENDPOINT_URL when it is imported, so the fixture sets that
variable before the first import.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import importlib
import os
import sys

import pytest

from conftest import ENDPOINT_BASE, Client, wait_for

FLEET = 12


@pytest.fixture(scope="module")
def sdk_sim(sim_factory):
    return sim_factory("--endpoints", str(FLEET), "--delivery-seconds", "0.2", "--reply-seconds", "0.2")


@pytest.fixture(scope="module")
def emnify_package(sdk_sim):
    """The SDK, imported once its base URL variable points at the simulator."""
    os.environ["EMNIFY_SDK_API_ENDPOINT_URL"] = sdk_sim.url + "/api"
    try:
        emnify = importlib.import_module("emnify")
    except ImportError as exc:
        pytest.fail("the emnify SDK is not installed for %s (%s): run this file with the virtualenv of hack/requirements/sdk.txt"
                    % (sys.executable, exc))
    api_manager = importlib.import_module("emnify.api_manager")
    assert api_manager.MAIN_URL == sdk_sim.url + "/api", "the SDK was imported before its base URL was set"
    return emnify


@pytest.fixture
def sdk(sdk_sim, emnify_package):
    """(emnify package, a fresh EMnify client, admin client) with the simulator reset."""
    emnify = emnify_package
    admin = Client(sdk_sim)
    admin.admin("POST", "/reset", expect=200)
    return emnify, emnify.EMnify(app_token=sdk_sim.token), admin


def test_the_sdk_version_is_the_pinned_one(emnify_package):
    assert emnify_package.EMnify
    version = importlib.import_module("emnify.version")
    assert version.EMNIFY_PACKAGE_VERSION == "0.5.3"


def test_the_sdk_authenticates_after_its_first_401_and_lists_devices(sdk):
    _emnify, client, admin = sdk
    devices = list(client.devices.get_devices_list())
    assert [device.id for device in devices] == list(range(ENDPOINT_BASE + 1, ENDPOINT_BASE + FLEET + 1))
    fleet = dict((item["id"], item) for item in admin.admin_json("GET", "/fleet"))
    for device in devices:
        assert device.name == fleet[device.id]["name"]
        assert device.tags == fleet[device.id]["tags"]
        assert device.status.id == fleet[device.id]["status"]
        if fleet[device.id]["iccid"] is None:
            assert device.sim is None
        else:  # the SDK's device model keeps only the SIM's id and status
            assert device.sim.id == 4400000 + device.id - ENDPOINT_BASE
            assert device.sim.status.id == fleet[device.id]["sim_status"]
        assert device.created is not None and device.created.utcoffset().total_seconds() == 0
    stats = admin.stats()
    # The SDK's first call carries "Bearer None": the gateway's 401, one authentication, then the retry.
    assert stats["status_401"] == 1 and stats["authentications"] == 1
    assert stats["by_route"]["GET /api/v1/endpoint"] == 2


def test_the_sdk_filters_devices(sdk):
    emnify, client, _admin = sdk
    model = client.devices.get_device_filter_model(tags="meter", status=0)
    devices = list(client.devices.get_devices_list(filter_model=model))
    assert devices and all(device.tags == "fleet,meter" and device.status.id == 0 for device in devices)
    assert emnify.EMnify is type(client)


def test_the_sdk_sends_an_sms_and_reads_the_reply(sdk):
    _emnify, client, admin = sdk
    model = client.devices.sms_create_model(payload="STATUS", source_address="12345")
    assert client.devices.send_sms(device=ENDPOINT_BASE + 1, sms=model) is True
    stored = admin.admin_json("GET", "/sms?endpoint_id=%d" % (ENDPOINT_BASE + 1))
    assert [(item["payload"], item["source_address"]) for item in stored] == [("STATUS", "12345")]

    def both():
        items = list(client.devices.get_device_sms_list(device=ENDPOINT_BASE + 1))
        return len(items) == 2 and items

    items = wait_for(both)
    assert [item.payload for item in items] == ["OK STATUS", "STATUS"]
    assert [item.sms_type["description"] for item in items] == ["MO", "MT"]
    assert items[1].status["description"] == "DELIVERED"
    assert items[1].dcs == 0 and items[1].id == stored[0]["id"]


def test_the_sdk_reports_validation_errors(sdk):
    emnify, client, admin = sdk
    errors = importlib.import_module("emnify.errors")
    model = client.devices.sms_create_model(payload="a" * 161, source_address="12345")
    with pytest.raises(errors.ValidationErrorException) as caught:
        client.devices.send_sms(device=ENDPOINT_BASE + 1, sms=model)
    assert "InputValidationFailed" in str(caught.value)
    model = client.devices.sms_create_model(payload="x", source_address="12345")
    with pytest.raises(errors.ValidationErrorException):
        client.devices.send_sms(device=ENDPOINT_BASE + 11, sms=model)  # disabled endpoint: 409
    assert admin.stats()["sms_posted"] == 0
    assert emnify.EMnify is type(client)


def test_the_sdk_refuses_a_wrong_application_token(sdk_sim, sdk):
    emnify, _client, _admin = sdk
    errors = importlib.import_module("emnify.errors")
    wrong = emnify.EMnify(app_token="not-" + sdk_sim.token)
    with pytest.raises(errors.UnauthorisedException):
        list(wrong.devices.get_devices_list())
