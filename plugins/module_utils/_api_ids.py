# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ids the emnify API uses for SMS statuses, SMS types, sender address types, endpoint and SIM statuses.

Standard library only, with no imports: the event source sms_callbacks loads this file by its path.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

# SMS status (the SMS history and delivery reports share them).
DELIVERY_ATTEMPT_PENDING = 1
IN_PROGRESS = 2
BUFFERED = 3
DELIVERED = 4
FAILED = 5
EXPIRED = 6
CANCELED = 7
SMS_STATUS = {
    DELIVERY_ATTEMPT_PENDING: 'delivery_attempt_pending',
    IN_PROGRESS: 'in_progress',
    BUFFERED: 'buffered',
    DELIVERED: 'delivered',
    FAILED: 'failed',
    EXPIRED: 'expired',
    CANCELED: 'canceled',
}
SMS_STATUS_IDS = dict((name, number) for number, name in SMS_STATUS.items())
FINAL_STATUSES = (DELIVERED, FAILED, EXPIRED, CANCELED)
# Statuses after which the message did not reach the device and may be sent again.
UNSUCCESSFUL_STATUSES = (FAILED, EXPIRED, CANCELED)
# The statuses on the way to the device, least advanced first.
PROGRESS_ORDER = (DELIVERY_ATTEMPT_PENDING, BUFFERED, IN_PROGRESS, DELIVERED)


def sms_status_description(number):
    """The API's description of an SMS status (``DELIVERY ATTEMPT PENDING``), or None for an unknown id."""
    name = SMS_STATUS.get(number)
    return name.replace('_', ' ').upper() if name is not None else None


# SMS type: sent to the device (mobile terminated) or by it (mobile originated).
MT = 1
MO = 2
SMS_TYPES = {MT: 'mt', MO: 'mo'}

# Sender (source address) type.
ADDRESS_TYPES = {145: 'international', 161: 'national', 208: 'alphanumeric'}
ADDRESS_TYPE_IDS = dict((name, number) for number, name in ADDRESS_TYPES.items())

ENDPOINT_STATUS = {0: 'enabled', 1: 'disabled', 2: 'deleted'}
ENDPOINT_STATUS_IDS = dict((name, number) for number, name in ENDPOINT_STATUS.items())
SIM_STATUS = {0: 'issued', 1: 'activated', 2: 'suspended', 3: 'deleted', 4: 'factory_test'}
