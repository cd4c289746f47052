# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lists of the REST API: q= filters, sort= keys, page/per_page and the paging headers."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math

from .common import error, parse_long


class Paging:
    """How one list pages and sorts: default and largest per_page, whether unknown sort fields are accepted,
    whether a filtered answer carries X-Filter."""

    def __init__(self, default_per_page, max_per_page, lenient_sort=False, filter_header=False):
        self.default_per_page = default_per_page
        self.max_per_page = max_per_page
        self.lenient_sort = lenient_sort
        self.filter_header = filter_header


def query_error(message):
    return error(422, 1301, "InvalidQueryCriteria", message)


def parse_criteria(text, allowed):
    """Split q=field:value[,field:value] into [(field, value)]; a comma inside a value stays in it.

    Raises ValueError for an unknown field or a criterion without a colon.
    """
    criteria = []
    for piece in text.split(","):
        field, sep, value = piece.partition(":")
        field = field.strip()
        if sep and field in allowed:
            criteria.append((field, value))
        elif criteria:
            criteria[-1] = (criteria[-1][0], criteria[-1][1] + "," + piece)
        elif not sep:
            raise ValueError("Invalid query criteria '%s': expected field:value" % piece)
        else:
            raise ValueError("Unknown query field '%s'; allowed: %s" % (field, ", ".join(allowed)))
    return criteria


def parse_sort(text, allowed, lenient=False):
    """Split sort=[-]field[,[-]field] into [(field, descending)].

    An unknown field raises ValueError, or is left out when `lenient` (the list then keeps its order for it).
    """
    keys = []
    for piece in text.split(","):
        piece = piece.strip()
        descending = piece.startswith("-")
        field = piece.lstrip("+-")
        if field not in allowed:
            if lenient:
                continue
            raise ValueError("Invalid sort criteria '%s'; allowed: %s" % (piece, ", ".join(allowed)))
        keys.append((field, descending))
    return keys


def text_match(actual, wanted):
    """Case-insensitive substring match (whether the service matches exactly is unknown)."""
    return actual is not None and wanted.strip().lower() in str(actual).lower()


def int_match(actual, wanted):
    try:
        return actual is not None and int(actual) == int(wanted.strip())
    except ValueError:
        return False


def _sort_value(value):
    """Sort numbers before text, None last, without comparing unlike types."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value).lower())


def sort_items(items, keys, getter):
    for field, descending in reversed(keys):
        items.sort(key=lambda item, f=field: _sort_value(getter(item, f)), reverse=descending)
    return items


def page_of(items, query, paging):
    """Apply page/per_page: (page items, headers) or raise ValueError for a bad parameter."""
    per_page = _int_param(query, "per_page", paging.default_per_page)
    page = _int_param(query, "page", 1)
    if per_page < 1 or per_page > paging.max_per_page:
        raise ValueError("per_page must be from 1 to %d" % paging.max_per_page)
    total = len(items)
    pages = int(math.ceil(total / float(per_page)))
    # A page out of range returns the first or last page, not an error.
    page = max(1, min(page, max(pages, 1)))
    start = (page - 1) * per_page
    headers = [
        ("X-Count-Per-Page", str(per_page)),
        ("X-Current-Page", str(page)),
        ("X-Total-Count", str(total)),
        ("X-Total-Pages", str(pages)),
    ]
    return items[start:start + per_page], headers


def _int_param(query, name, default):
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    number = parse_long(values[-1].strip())
    if number is None:
        raise ValueError("%s must be an integer, not '%s'" % (name, values[-1]))
    return number


def last_value(query, name):
    values = query.get(name)
    return values[-1] if values else None


def listing(request, items, filters, sorts, matcher, getter, paging):
    """Filter, sort and page `items` by the request's query: (page, headers, None) or (None, None, error response)."""
    query = request.query
    q_text = last_value(query, "q")
    sort_text = last_value(query, "sort") or "id"
    try:
        criteria = parse_criteria(q_text, filters) if q_text else []
    except ValueError as exc:
        return None, None, query_error(str(exc))
    try:
        keys = parse_sort(sort_text, sorts, paging.lenient_sort)
    except ValueError as exc:
        return None, None, error(422, 1302, "InvalidSortCriteria", str(exc))
    items = [item for item in items if matcher(item, criteria)]
    sort_items(items, keys, getter)
    try:
        page, headers = page_of(items, query, paging)
    except ValueError as exc:
        return None, None, query_error(str(exc))
    headers.insert(2, ("X-Sort", sort_text))
    if q_text and paging.filter_header:
        headers.insert(0, ("X-Filter", q_text))
    return page, headers, None
