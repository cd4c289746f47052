# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module of the collection."""

    DOCUMENTATION = r'''
options:
  application_token:
    description:
      - An emnify application token, created in the emnify Portal.
      - The collection exchanges it for an auth token (a JWT) once per run and never writes the application token anywhere.
      - A value shorter than 16 characters is refused before any request; emnify's application tokens are far longer.
      - If not set, the value of the E(EMNIFY_APPLICATION_TOKEN) environment variable is used
        (the custom credential type for AWX/AAP injects it there).
    type: str
    required: true
  api_url:
    description:
      - Base URL of the emnify API, without C(/api/v1).
      - Point it at the emnify API simulator shipped in this collection to run playbooks without an account.
      - If not set, the value of the E(EMNIFY_API_URL) environment variable is used.
      - A plain C(http://) URL to a host other than the loopback interface causes a warning.
    type: str
    default: https://cdn.emnify.net
  validate_certs:
    description:
      - Whether to validate the server's TLS certificate.
      - Only set to V(false) against a test server you control.
      - If not set, the value of the E(EMNIFY_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to trust instead of the system bundle, for example a private CA in front of a test server.
      - If not set, the value of the E(EMNIFY_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP response.
      - If not set, the value of the E(EMNIFY_TIMEOUT) environment variable is used.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503, 504 or a connection failure, with exponential backoff and jitter.
      - A C(Retry-After) header is honoured when the service sends one.
      - A write (sending or canceling an SMS) is retried only when the service provably did not process it; when its outcome is
        unknown the module reads the SMS history before deciding, so no SMS is sent twice.
    type: int
    default: 5
  retry_backoff:
    description:
      - Base of the exponential backoff in seconds; retry N waits between half of and the full O(retry_backoff) * 2^(N-1), at most 60 seconds.
    type: float
    default: 1.0
  rate_limit_requests:
    description:
      - The client never sends more than this many requests in any rolling O(rate_limit_window) seconds.
      - emnify allows 2,000 requests per IP in 5 minutes; lower this when other tools share the same public IP address.
      - V(0) disables client-side pacing.
      - If not set, the value of the E(EMNIFY_RATE_LIMIT_REQUESTS) environment variable is used.
    type: int
    default: 2000
  rate_limit_window:
    description:
      - Length in seconds of the rolling window of O(rate_limit_requests).
      - It changes only that overall budget. emnify's fixed per-path limits (100 authentications per 300 seconds, 10
        endpoint-list requests per second with a burst of 5, 50 endpoint-detail requests per second with a burst of 25)
        are always kept, whatever this window.
      - Tests against the API simulator started with C(--rate-limit-scale F) set the environment variable
        E(EMNIFY_SIMULATOR_RATE_LIMIT_SCALE=F) on the controller to scale those per-path windows too; never set it
        against emnify.
      - If not set, the value of the E(EMNIFY_RATE_LIMIT_WINDOW) environment variable is used.
    type: float
    default: 300
  token_cache:
    description:
      - Whether to reuse the auth token across the tasks and hosts of a run through a private on-disk cache.
      - The cache holds only the JWT, never the application token, in a file readable by the current user alone
        (directory mode 0700, file mode 0600), named by a hash of the API URL and the application token, until shortly before the JWT expires.
      - The same directory holds a request ledger (mode 0600, counts only) that shares the O(rate_limit_requests) window
        between the module runs of the user, since emnify counts requests per public IP address.
      - Without it, every task authenticates again and paces only its own requests; emnify allows 100 authentications per 5 minutes.
      - If not set, the value of the E(EMNIFY_TOKEN_CACHE) environment variable is used.
    type: bool
    default: true
  token_cache_dir:
    description:
      - Directory of the token cache, and of the files that coordinate the module runs of the user on the controller
        (the shared request ledger, and the per-endpoint send locks and send journal of M(emnify.iot.emnify_sms)), which are
        used even with O(token_cache=false); they hold no secret. The directory is made private (mode 0700, files 0600).
      - Defaults to C($XDG_RUNTIME_DIR/emnify.iot) when E(XDG_RUNTIME_DIR) is set, otherwise C(~/.cache/emnify.iot).
      - When this directory cannot be used (it cannot be created, is not writable, is on a read-only file system, or
        offers no file locking), the module uses C(<system temporary directory>/emnify.iot-<uid>) instead, which must be
        owned by the user, and warns once naming both directories. Runs that fall back share that directory with each
        other, not with runs that use this one. When neither can be used, the run coordinates with no other run and says so.
      - If not set, the value of the E(EMNIFY_TOKEN_CACHE_DIR) environment variable is used.
    type: path
notes:
  - "The modules talk to the emnify API from the host they run on; run them on the controller with C(delegate_to: localhost)
    or in a play with C(hosts: localhost)."
  - Use C(module_defaults) with the action group C(group/emnify.iot.emnify) to set the connection options once per play.
  - An environment variable named here that is set but empty counts as unset, so the option keeps its default.
requirements:
  - requests >= 2.25
'''
