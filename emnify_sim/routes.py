# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Routing: a route is a method, a path template, a handler and the rate-limit buckets it counts against.

A template is a path whose `{name}` segments match any one segment; the matched texts reach the handler
as `params`. The name of a request in the stats and the request log is "METHOD TEMPLATE" of the
template its path matches (whatever the method), or the path with its numbers replaced by `{id}`.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class Route:
    """One route. `handler(context, request, params)` answers it; `limits` names rate-limit buckets."""

    __slots__ = ("method", "template", "handler", "limits", "authenticated", "segments", "literals")

    def __init__(self, method, template, handler, limits=(), authenticated=True):
        self.method = method
        self.template = template
        self.handler = handler
        self.limits = tuple(limits)
        self.authenticated = authenticated
        self.segments = template.split("/")
        self.literals = sum(1 for segment in self.segments if not _is_placeholder(segment))

    @property
    def name(self):
        return "%s %s" % (self.method, self.template)

    def params_of(self, parts):
        """The placeholders' texts when the path's segments match the template, else None."""
        if len(parts) != len(self.segments):
            return None
        params = {}
        for part, segment in zip(parts, self.segments):
            if _is_placeholder(segment):
                params[segment[1:-1]] = part
            elif part != segment:
                return None
        return params


def _is_placeholder(segment):
    return segment.startswith("{") and segment.endswith("}")


def generic_name(method, path):
    """A request name for a path no route knows: numbers become {id}."""
    return "%s %s" % (method, "/".join("{id}" if part.lstrip("-").isdigit() else part for part in path.split("/")))


class Match:
    """What the router found for a request: the route (or None), its params, the allowed methods and the name."""

    __slots__ = ("route", "params", "allowed", "name")

    def __init__(self, route, params, allowed, name):
        self.route = route
        self.params = params
        self.allowed = allowed
        self.name = name


class Router:
    """Finds the route of a request among a table of routes."""

    def __init__(self, routes):
        self.routes = tuple(routes)
        seen = set()
        for route in self.routes:
            if route.name in seen:
                raise ValueError("route %s is declared twice" % route.name)
            seen.add(route.name)

    def match(self, method, path):
        parts = path.split("/")
        best = None
        for route in self.routes:
            params = route.params_of(parts)
            if params is None:
                continue
            if best is None or route.literals > best[0]:
                best = (route.literals, route.template, [], params)
            if route.template == best[1]:
                best[2].append(route)
        if best is None:
            return Match(None, {}, (), generic_name(method, path))
        _literals, template, routes, params = best
        name = "%s %s" % (method, template)
        for route in routes:
            if route.method == method:
                return Match(route, params, (), name)
        return Match(None, params, tuple(sorted(route.method for route in routes)), name)
