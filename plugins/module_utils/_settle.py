# -*- coding: utf-8 -*-
# Copyright: Contributors to the emnify.iot collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The settle rule: a part whose send has an unknown outcome is not sent again until emnify had time to store it.

emnify has no idempotency key, and its API gateway answers 504 ("Endpoint request timed out") while the
backend may still store the SMS; a client timeout or a connection lost after sending leave the same doubt.
So, after any unknown outcome of a POST of an SMS part:

1. the part is written to the send journal (below) with the moment of the answer, or of the client timeout;
2. the endpoint's SMS history is read again with backoff (``_polling.Rounds``: after 0.25 s, then each pause half
   as long again, up to 2 s) until the part shows up, or until ``settle_time`` seconds after that moment have
   passed (one last read then);
3. only a part that the history still does not hold then is taken to have never reached emnify, and is sent
   again by the same run, in order, before the parts after it (at most ``MAX_RESENDS`` times per endpoint).

The send journal is a short-lived private file in the state directory (``_state_dir``), one per lock stripe of
endpoints, read and written only while that stripe's lock is held. Per endpoint it lists each part (its
sequence, a fingerprint of its body, never the text) whose outcome was unknown, and each part this controller
sent, with the moment and the end of its settle time; entries are dropped after that end. A retried task
(``until:``/``retries:``) or a rerun that finds a part of its message in the journal as unknown waits for it
the same way (until the recorded end) instead of sending it again. A part of the message that the history shows
as submitted within the settle time, and that the journal does not list, was sent by another run this
controller does not coordinate with (another controller or user): the run warns, and waits the settle time for
the missing parts before sending them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import json
import time

from ansible_collections.emnify.iot.plugins.module_utils._polling import Rounds
from ansible_collections.emnify.iot.plugins.module_utils._state_dir import digest, read_private, remove, write_atomic
from ansible_collections.emnify.iot.plugins.module_utils._time import parse_date

# Seconds after the answer (or the client timeout) during which emnify may still store a part.
SETTLE_TIME = 5.0
MAX_SETTLE_TIME = 600.0
FIRST_READ = 0.25
MAX_READ_INTERVAL = 2.0
# Unknown outcomes per endpoint whose part is then sent again, before the endpoint fails.
MAX_RESENDS = 3
# Endpoints share this many lock files and journal files (by id modulo), so the directory stays small for any fleet.
STRIPES = 1024


def check_settle_time(value):
    """A message naming ``settle_time`` when it is out of range, else None."""
    if value is None or not 0 <= value <= MAX_SETTLE_TIME:
        return 'settle_time: must be between 0 and %d seconds, got %s' % (MAX_SETTLE_TIME, value)
    return None


def fingerprint(part, spec):
    """What identifies a part's request body in the journal, without its text."""
    return digest(part.udh, part.dcs, part.payload, spec.sender or '', spec.dest_address or '')[:24]


def stripe_names(api_url, endpoint_id):
    """The lock file and the journal file of the stripe that ``endpoint_id`` belongs to."""
    stem = '%s-%04d' % (digest(api_url.rstrip('/')), int(endpoint_id) % STRIPES)
    return 'endpoints-%s.lock' % stem, 'journal-%s.json' % stem


class Journal:
    """The journal entries of one endpoint; ``path`` None keeps them in memory only (no usable state directory).

    Entries: fingerprint -> ``{'kind': 'unknown' | 'sent', 'seq': n, 'total': n, 'at': t, 'until': t}``. The file
    holds the entries of every endpoint of the stripe; the caller holds the stripe's lock while using it.
    """

    def __init__(self, path, endpoint_id, now):
        self.path = path
        self.key = str(int(endpoint_id))
        self._others = {}
        self.entries = {}
        if path is None:
            return
        raw = read_private(path)
        try:
            data = json.loads(raw.decode('utf-8')) if raw else {}
        except (ValueError, UnicodeError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        for key, entries in data.items():
            if not isinstance(entries, dict):
                continue
            live = dict((fp, entry) for fp, entry in entries.items()
                        if isinstance(entry, dict) and isinstance(entry.get('until'), (int, float)) and entry['until'] > now)
            if key == self.key:
                self.entries = live
            elif live:
                self._others[key] = live

    @property
    def shared(self):
        """True when the journal is kept in the state directory (other runs of this controller read it)."""
        return self.path is not None

    def unknown(self, fp):
        entry = self.entries.get(fp)
        return entry if entry is not None and entry.get('kind') == 'unknown' else None

    def note(self, fp, kind, part, at, until):
        self.entries[fp] = dict(kind=kind, seq=part.seq, total=part.total, at=at, until=until)
        self._save()

    def _save(self):
        if self.path is None:
            return
        data = dict(self._others)
        if self.entries:
            data[self.key] = self.entries
        if data:
            write_atomic(self.path, json.dumps(data, sort_keys=True).encode('utf-8'))
        else:
            remove(self.path)


class Settle:
    """The timing of the rule: ``settle_time`` seconds after each unknown outcome, reads with backoff."""

    def __init__(self, settle_time=SETTLE_TIME, clock=time.time, sleep=time.sleep):
        self.settle_time = float(settle_time)
        self.clock = clock
        self.sleep = sleep

    def deadline(self, at):
        return at + self.settle_time

    def wait(self, read, arrived, deadline):
        """Call ``read()`` with backoff until ``arrived(history)`` or ``deadline`` has passed; return (history, arrived).

        At least one read is made; when the deadline comes first, the last read is made at the deadline.
        """
        rounds = Rounds(deadline - self.clock(), FIRST_READ, clock=self.clock, sleep=self.sleep, max_interval=MAX_READ_INTERVAL)
        history = None
        while rounds.next():
            history = read()
            if arrived(history):
                return history, True
        if history is None:
            history = read()
            return history, arrived(history)
        return history, False

    def recent(self, item):
        """True when a history item was submitted within the settle time of now (by the API's date; either side, for clock skew)."""
        submitted = parse_date(item.get('submit_date'))
        if submitted is None:
            return False
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.timezone.utc)
        return abs((now - submitted).total_seconds()) <= self.settle_time
