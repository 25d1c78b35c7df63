"""What the Graph fake holds: calendars, events, weekly series, and delta rounds.

Events are stored as Graph's JSON fields (times as UTC ``dateTime`` text); a
weekly series is one master whose occurrences are made when read, each with an
id of its own and ``seriesMasterId``; an occurrence moved is an exception, one
deleted is gone from the view. Every change takes a new change number; a delta
round keeps (server side, as Graph does) the change number it started at and
the ids it reported, so the next round reports what changed since and, as
``@removed``, what left the view.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import threading
from typing import Any

WEEK = dt.timedelta(weeks=1)


def utc_text(moment: dt.datetime) -> str:
    """A time as Graph writes one in UTC: seven fraction digits, no offset."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def parse_time(value: Any) -> dt.datetime:
    """A dateTimeTimeZone (UTC, or an IANA zone) as an aware datetime; ValueError if bad."""
    from zoneinfo import ZoneInfo

    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise ValueError("a dateTimeTimeZone is required")
    text, zone = value["dateTime"], value.get("timeZone") or "UTC"
    head, _, fraction = text.partition(".")
    moment = dt.datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC if zone == "UTC" else ZoneInfo(zone))
    return moment.astimezone(dt.UTC)


def opaque(*parts: str) -> str:
    """An id in the shape Graph's have (base64 of an Exchange entry id): opaque."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return "AAMkAGI2" + digest[:40] + "AAA="


@dataclasses.dataclass
class Stored:
    """A single event or a series' master: its fields, as Graph stores them."""

    id: str
    fields: dict[str, Any]
    change: int
    change_key: str
    count: int = 0  # a weekly series of this many occurrences; 0: a single event
    moved: dict[int, tuple[dt.datetime, dt.datetime]] = dataclasses.field(default_factory=dict)
    dropped: set[int] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Calendar:
    id: str
    name: str
    can_edit: bool = True
    default: bool = False
    events: dict[str, Stored] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class DeltaState:
    """A round's state: its window, the change number it began at, the ids it reported."""

    calendar: str
    start: dt.datetime
    end: dt.datetime
    change: int
    seen: frozenset[str]


class Store:
    """Everything the fake's account holds; ``lock`` guards it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calendars: dict[str, Calendar] = {}
        self.transactions: dict[str, tuple[str, str]] = {}  # transactionId -> (event id, body)
        self.rounds: dict[str, DeltaState] = {}
        self._changes = itertools.count(1)
        self._ids = itertools.count(1)
        self.change = 0

    def next_change(self) -> int:
        self.change = next(self._changes)
        return self.change

    def new_id(self, kind: str) -> str:
        return opaque(kind, str(next(self._ids)))

    def add_calendar(self, name: str, *, can_edit: bool = True, default: bool = False) -> Calendar:
        with self.lock:
            calendar = Calendar(self.new_id("calendar"), name, can_edit, default)
            self.calendars[calendar.id] = calendar
            return calendar

    def put(self, calendar: Calendar, fields: dict[str, Any], *, count: int = 0) -> Stored:
        """A new event (a weekly series of ``count`` when given) with ``fields``."""
        with self.lock:
            change = self.next_change()
            stored = Stored(self.new_id("event"), dict(fields), change, f"ck{change}", count)
            calendar.events[stored.id] = stored
            return stored

    def touch(self, stored: Stored) -> None:
        stored.change = self.next_change()
        stored.change_key = f"ck{stored.change}"

    # -- what a calendar view holds

    def instances(self, calendar: Calendar) -> list[tuple[str, Stored, dict[str, Any]]]:
        """Every single event and occurrence: (id, the stored object, its fields)."""
        found = []
        for stored in calendar.events.values():
            if not stored.count:
                found.append((stored.id, stored, {**stored.fields, "type": "singleInstance"}))
                continue
            first = parse_time(stored.fields["start"])
            length = parse_time(stored.fields["end"]) - first
            for index in range(stored.count):
                if index in stored.dropped:
                    continue
                start, end = stored.moved.get(
                    index, (first + index * WEEK, first + index * WEEK + length)
                )
                fields = {
                    **stored.fields,
                    "start": {"dateTime": utc_text(start), "timeZone": "UTC"},
                    "end": {"dateTime": utc_text(end), "timeZone": "UTC"},
                    "type": "exception" if index in stored.moved else "occurrence",
                    "seriesMasterId": stored.id,
                }
                fields.pop("recurrence", None)
                found.append((opaque(stored.id, str(index)), stored, fields))
        return found

    def view(
        self, calendar: Calendar, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, Stored, dict[str, Any]]]:
        """The instances with a part in [start, end), as calendarView has them."""
        inside = []
        for key, stored, fields in self.instances(calendar):
            first, last = parse_time(fields["start"]), parse_time(fields["end"])
            if first < end and (last > start or (last == first and first >= start)):
                inside.append((key, stored, fields))
        return inside

    def occurrence(self, calendar: Calendar, key: str) -> tuple[Stored, int] | None:
        """The series and index of occurrence ``key``."""
        for stored in calendar.events.values():
            for index in range(stored.count):
                if opaque(stored.id, str(index)) == key:
                    return stored, index
        return None

    def find(self, key: str) -> tuple[Calendar, Stored] | None:
        """The calendar and stored object of an event id (a single event or a master)."""
        for calendar in self.calendars.values():
            if key in calendar.events:
                return calendar, calendar.events[key]
        return None
