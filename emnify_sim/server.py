# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP side of the simulator: a threading HTTP/1.1 server with keep-alive, TLS, faults and latency."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import socket
import ssl
import struct
import sys
import threading
import time
import traceback

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .admin import ADMIN_PREFIX, Admin
from .api import ROUTER, Api, Request
from .callbacks import Sender
from .common import Response, JSON_PLAIN, STATUS_REASONS

MAX_BODY = 1024 * 1024
IDLE_TIMEOUT = 300
REDACTED = "<redacted>"
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie")


def parse_json(raw):
    """(data, None) or (None, problem); an empty body is (None, None)."""
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw.decode("utf-8")), None
    except (ValueError, UnicodeDecodeError) as exc:
        return None, str(exc)


def redacted_body(body):
    """The body as logged: the application token never appears in the log."""
    if isinstance(body, dict) and "application_token" in body:
        body = dict(body)
        body["application_token"] = REDACTED
    return body


def redacted_headers(headers):
    out = {}
    for key, value in headers:
        out[key] = REDACTED if key.lower() in SECRET_HEADERS else value
    return out


class Handler(BaseHTTPRequestHandler):
    """One connection; requests are answered in turn (HTTP/1.1 keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "emnify-api-simulator"
    sys_version = ""
    timeout = IDLE_TIMEOUT

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()
        self.server.sim.state.connection_opened()

    def finish(self):
        try:
            BaseHTTPRequestHandler.finish(self)
        finally:
            self.server.sim.state.connection_closed()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if not self.server.sim.options.quiet:
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    def __getattr__(self, name):
        # Every method reaches the routes (the standard library answers a method without a do_ handler with its
        # HTML 501 page): a method the API does not have gets the API's JSON 405 or 404.
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    # plumbing ---------------------------------------------------------------------------------------------

    def read_body(self):
        """(bytes, None) or (None, Response) when the body cannot be read."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            size = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    length = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    return None, Response(400, {"message": "malformed chunked body"}, JSON_PLAIN)
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks), None
                size += length
                if size > MAX_BODY:
                    return None, Response(413, {"message": "request body too large"}, JSON_PLAIN)
                chunks.append(self.rfile.read(length))
                self.rfile.readline(1024)
        text = self.headers.get("Content-Length")
        if text is None:
            return b"", None
        try:
            length = int(text)
        except ValueError:
            length = -1
        if length < 0:
            return None, Response(400, {"message": "invalid Content-Length"}, JSON_PLAIN)
        if length > MAX_BODY:
            return None, Response(413, {"message": "request body too large"}, JSON_PLAIN)
        return self.rfile.read(length), None

    def send(self, response):
        status = response.status
        data = response.encoded()
        self.send_response(status, STATUS_REASONS.get(status))
        bodyless = status in (204, 304) or 100 <= status < 200
        if not bodyless:
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(data)))
        for key, value in response.headers:
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        # Head and body leave in one write: two small writes meet Nagle and delayed ACKs (40 ms per answer).
        self._headers_buffer.append(b"\r\n")
        if data and not bodyless and self.command != "HEAD":
            self._headers_buffer.append(data)
        self.flush_headers()

    def reset_connection(self):
        """Drop the connection without an answer (an RST, like a load balancer losing it)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def base_url(self):
        sim = self.server.sim
        host = self.headers.get("Host")
        return "%s://%s" % (sim.scheme, host) if host else sim.base_url

    # requests ---------------------------------------------------------------------------------------------

    def serve(self):
        sim = self.server.sim
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        raw, problem = self.read_body()
        if problem is not None:
            self.close_connection = True
            self.send(problem)
            return
        body, body_error = parse_json(raw)
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            try:
                response = sim.admin.respond(self.command, path, query, body, body_error)
            except Exception:  # pylint: disable=broad-except
                traceback.print_exc()
                response = Response(500, {"error": "internal error of the simulator (see its log)"}, JSON_PLAIN)
            self.send(response)
            return
        self.serve_api(path, split.query, query, body, body_error)

    def serve_api(self, path, query_text, query, body, body_error):
        sim = self.server.sim
        state = sim.state
        method = self.command
        match = ROUTER.match(method, path)
        authentication = match.route is not None and not match.route.authenticated
        entry = state.begin_request(method, path, query_text, redacted_body(body), match.name, self.client_address[0],
                                    redacted_headers(self.headers.items()), authentication)
        outcome = "answered"
        try:
            response, outcome = self.api_response(path, query, body, body_error, match)
        except Exception:  # pylint: disable=broad-except
            traceback.print_exc()
            response = Response(500, {"message": "Internal server error"}, JSON_PLAIN)
        if response is None:
            state.end_request(entry, None, outcome)
            self.reset_connection()
            return
        state.end_request(entry, response.status, outcome)
        self.send(response)

    def api_response(self, path, query, body, body_error, match):
        """(Response, outcome) or (None, outcome) for a dropped connection."""
        sim = self.server.sim
        state = sim.state
        with state.lock:
            rule = state.faults.match(self.command, path)
            if rule is not None:
                state.stats["faults_applied"] += 1
                if rule.action == "revoke_tokens":
                    state.revoke_tokens_locked()
        action = rule.action if rule is not None else None
        if action == "delay":
            time.sleep(rule.delay_ms / 1000.0)
        if action == "reset_before":
            return None, "reset_before"
        if sim.options.latency_ms > 0:
            time.sleep(sim.options.latency_ms / 1000.0)
        if action == "status":
            return rule.response(), "fault_status"
        request = Request(self.command, path, query, body, body_error, list(self.headers.items()),
                          self.client_address[0], self.base_url())
        if action == "status_store_later":
            # A gateway that gives up while the backend goes on: answer now, process delay_ms later. The request
            # counts against the rate limits when it arrives, like any request the gateway passes on.
            with state.lock:
                limited = sim.api.rate_limited_locked(request, match)
            if limited is not None:
                return limited, "answered"
            later = threading.Timer(rule.delay_ms / 1000.0, sim.api.respond, (request, match), {"check_limits": False})
            later.daemon = True
            later.start()
            return rule.response(), "fault_status_store_later"
        response = sim.api.respond(request, match)
        if action == "status_after":
            return rule.response(), "fault_status_after"
        if action == "reset_after":
            return None, "reset_after"
        return response, "answered" if action is None else "fault_" + action


class Server(ThreadingHTTPServer):
    """A threading HTTP server that keeps quiet about clients that go away."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, tls_context=None):
        self.sim = sim
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        ThreadingHTTPServer.__init__(self, address, Handler)
        if tls_context is not None:
            self.socket = tls_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, ssl.SSLError)):
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)


class Simulator:
    """Ties the state, the two APIs and the HTTP server together."""

    def __init__(self, options, state, started):
        self.options = options
        self.state = state
        self.api = Api(state, options)
        self.admin = Admin(state, options, started)
        self.scheme = "https" if options.tls_cert else "http"
        tls = None
        if options.tls_cert:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(options.tls_cert, options.tls_key)
        self.server = Server((options.host, options.port), self, tls)
        host = options.host if ":" not in options.host else "[%s]" % options.host
        self.base_url = "%s://%s:%d" % (self.scheme, host, self.server.server_address[1])
        self.admin.base_url = self.base_url
        self.callback_sender = Sender(state)
