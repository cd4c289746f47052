# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line of the emnify API simulator (python3 -m emnify_sim).

  python3 -m emnify_sim --application-token TOKEN [OPTIONS]      serve in the foreground
  python3 -m emnify_sim start STATE_DIR [OPTIONS]                 serve in the background (see launcher.py)
  python3 -m emnify_sim stop STATE_DIR                            stop what `start` started there

In the foreground it prints its base URL on stdout once it listens (REST API under /api/v1, admin API under
/_simulator), keeps everything in memory, and exits by itself after --lifetime seconds or on SIGTERM/SIGINT.
See docs/simulator.md for the options, the fleet and the admin API.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import argparse
import os
import signal
import sys
import threading
import time

from . import launcher
from .server import Simulator
from .state import State

DEFAULT_TOKEN_LIFETIME = 604800  # exp - iat of real tokens (7 days); the docs say 240 minutes
MAX_ENDPOINTS = 100000
# The emnify.iot modules refuse application tokens shorter than this (plugins/module_utils/_module.py).
MIN_TOKEN_LENGTH = 16


def positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value
    return parse


def not_negative(kind):
    def parse(text):
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError("must not be negative")
        return value
    return parse


def build_parser(prog="python3 -m emnify_sim", token_required=True):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Simulate the emnify REST API (authentication, endpoints, SIMs, SMS) for tests, with an admin API. "
                    "'%s start STATE_DIR [OPTIONS]' runs it in the background, '%s stop STATE_DIR' stops it." % (prog, prog))
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=not_negative(int), default=8089, help="TCP port; 0 picks a free one (default 8089)")
    parser.add_argument("--application-token", action="append", required=token_required, metavar="TOKEN",
                        help="an application token that /api/v1/authenticate accepts (repeat for several)")
    parser.add_argument("--endpoints", type=positive(int), default=60, help="size of the simulated fleet (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fleet's identifiers (default 1)")
    parser.add_argument("--latency-ms", type=not_negative(float), default=0.0, help="delay added to every /api/v1 answer")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not enforce emnify's documented rate limits")
    parser.add_argument("--rate-limit-scale", type=positive(float), default=1.0, metavar="F",
                        help="multiply every rate-limit window by F (0.01: 2000 requests per 3 s instead of 300 s)")
    parser.add_argument("--retry-after", action="store_true", help="send a Retry-After header with 429 answers (emnify documents none)")
    parser.add_argument("--token-lifetime", type=positive(int), default=DEFAULT_TOKEN_LIFETIME,
                        help="seconds from iat to exp of issued auth tokens (default 604800, as real tokens)")
    parser.add_argument("--delivery-seconds", type=not_negative(float), default=2.0,
                        help="seconds from submit to DELIVERED for a reachable device (default 2)")
    parser.add_argument("--reply-seconds", type=not_negative(float), default=1.0,
                        help="seconds from delivery of a complete command to the device's reply (default 1)")
    parser.add_argument("--callback-backoff", type=positive(float), default=1.0, metavar="SECONDS",
                        help="wait before retrying an API callback the receiver did not answer with 2xx; it doubles "
                             "with each attempt, up to 300 s (default 1)")
    parser.add_argument("--lifetime", type=positive(float), default=3600.0, help="exit by itself after this many seconds (default 3600)")
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain (needs --tls-key)")
    parser.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    parser.add_argument("--ready-file", metavar="PATH", help="write the base URL to this file once listening")
    parser.add_argument("--quiet", action="store_true", help="do not log each request on stderr")
    return parser


def check_options(parser, options):
    """Refuse combinations argparse cannot express (exits with status 2 like argparse)."""
    if bool(options.tls_cert) != bool(options.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if options.endpoints > MAX_ENDPOINTS:
        parser.error("--endpoints must be at most %d" % MAX_ENDPOINTS)
    if any(not token for token in options.application_token or ()):
        parser.error("--application-token must not be empty")
    if any(len(token) < MIN_TOKEN_LENGTH for token in options.application_token or ()):
        parser.error("--application-token must be at least %d characters long, like emnify's application tokens (JWTs of "
                     "hundreds of characters): the emnify.iot modules refuse shorter ones, because Ansible hides the "
                     "token wherever it occurs in their output" % MIN_TOKEN_LENGTH)
    return options


def parse_args(argv=None):
    parser = build_parser()
    return check_options(parser, parser.parse_args(argv))


def write_ready(path, url):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
    os.rename(temporary, path)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("start", "stop"):
        return launcher.main(argv)
    return serve(parse_args(argv))


def serve(options):
    """Run the simulator in this process until its lifetime is over or a signal stops it."""
    started = time.time()
    try:
        simulator = Simulator(options, State(options), started)
    except (OSError, ValueError) as exc:
        sys.stderr.write("emnify_sim: cannot start: %s\n" % exc)
        return 1
    stop = threading.Event()

    def on_signal(signum, _frame):
        sys.stderr.write("emnify_sim: signal %d, stopping\n" % signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serving = threading.Thread(target=simulator.server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve")
    serving.daemon = True
    serving.start()
    simulator.callback_sender.start()
    sys.stdout.write(simulator.base_url + "\n")
    sys.stdout.flush()
    if options.ready_file:
        write_ready(options.ready_file, simulator.base_url)
    sys.stderr.write("emnify_sim: %d endpoints, lifetime %ss, pid %d\n" % (options.endpoints, options.lifetime, os.getpid()))
    deadline = started + options.lifetime
    while not stop.is_set():
        left = deadline - time.time()
        if left <= 0:
            sys.stderr.write("emnify_sim: lifetime of %ss is over, stopping\n" % options.lifetime)
            break
        stop.wait(min(left, 1.0))
    simulator.callback_sender.stop()
    simulator.server.shutdown()
    simulator.server.server_close()
    if options.ready_file:
        try:
            os.unlink(options.ready_file)
        except OSError:
            pass
    return 0
