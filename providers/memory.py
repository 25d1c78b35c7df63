"""An in-memory provider: the reference implementation of the Provider protocol.

It keeps objects as neutral ``CalendarEvent`` values (a single event, or the
instances of a series under one resource), changes an object's etag on every
write, hands out sync tokens that are change counters, and makes every write
conditional the way the real services do. It reads the window as every provider
must (docs/providers.md): a full read returns exactly the events overlapping
[scope.start, scope.end). The core's tests drive the engine through it; the real
providers pass the same contract suite (tests/contract) against real servers.

Follow-ups live at the resource of their identity: an event whose resource is
its id, a follow-up id in form, stands for that slot (docs/providers.md).

It can model what real accounts hold (Google's, mostly): calendars that are
read-only, hidden, not readable (free/busy only), in a zone of their own, the
account's main one, or failing to read; calendars deleted between passes;
events of other types (``event_type``); and, with ``tombstones``, deleted
events kept as cancelled ones, fields and markers and all, as Google keeps them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from providers import CalendarInfo, ChangeSet, ReadScope
from syncd.errors import ConflictError, NotFoundError, ProviderError, RefusedError
from syncd.model import CalendarEvent, FollowUp, is_followup_id


@dataclasses.dataclass
class _Calendar:
    info: CalendarInfo
    # resource -> its events (one, or the instances of a series)
    objects: dict[str, tuple[CalendarEvent, ...]] = dataclasses.field(default_factory=dict)
    etags: dict[str, str] = dataclasses.field(default_factory=dict)  # resource -> etag
    # resource -> (change number of its last write or deletion, alive)
    changes: dict[str, tuple[int, bool]] = dataclasses.field(default_factory=dict)


class MemoryProvider:
    """A whole account held in memory; ``requests`` counts calls as a server would.

    ``refuse_tokens`` makes it refuse every sync token (as a server that lost its
    state); ``expire_tokens`` refuses only the tokens handed out so far. A
    refused token costs one request more, then a full read. The first calendar
    is the account's main one. ``tombstones``: a deleted event stays as a
    cancelled one; a read reports those that carry syncd's markers as events,
    the others as deleted (as the Google provider does).
    """

    def __init__(
        self,
        calendars: tuple[str, ...] = ("Personal",),
        tz: dt.tzinfo = dt.UTC,
        *,
        tombstones: bool = False,
    ) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._calendars: dict[str, _Calendar] = {}
        self._expired = 0  # tokens up to this change number are refused
        self.tz = tz  # where all-day dates start, for the window
        self.requests: list[str] = []
        self.refuse_tokens = False
        self.tombstones = tombstones
        self.failing: dict[str, ProviderError] = {}  # calendar id -> what its reads raise
        for number, name in enumerate(calendars):
            self.add_calendar(name, default=number == 0)

    # -- the protocol

    def list_calendars(self) -> list[CalendarInfo]:
        self.requests.append("list_calendars")
        return [c.info for c in self._calendars.values()]

    def ensure_calendar(self, name: str) -> CalendarInfo:
        self.requests.append("ensure_calendar")
        for cal in self._calendars.values():
            if cal.info.answers_to(name):
                return cal.info
        return self.add_calendar(name)

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        """Changes since ``token`` (a refused one: a full read) within the scope's window."""
        self.requests.append(f"read {calendar.id}")
        cal = self._calendar(calendar.id)
        if calendar.id in self.failing:
            raise self.failing[calendar.id]
        if not cal.info.readable:
            raise RefusedError(f"{cal.info.name}: this account may only see free/busy times")
        since = self._since(token)
        if token is not None and since is None:
            self.requests.append(f"read {calendar.id}")  # the full read after the refusal
        known = known or {}
        with self._lock:
            now_token = str(next(self._counter))
            events: list[CalendarEvent] = []
            deleted: list[str] = []
            unchanged: list[str] = []
            for resource, (number, alive) in cal.changes.items():
                if since is not None and number <= since:
                    continue
                if not alive:
                    if since is not None:
                        deleted.append(resource)
                    continue
                stored = cal.objects[resource]
                if self._dead(stored) and stored[0].markers is None:
                    if since is not None:
                        deleted.append(resource)
                    continue
                inside = [e for e in stored if scope.overlaps(e.start, e.end, self.tz)]
                if since is None and not inside:
                    continue  # a full read lists only what lies in the window
                if known.get(resource) == cal.etags[resource]:
                    unchanged.append(resource)
                elif inside:
                    events.extend(inside)
                else:
                    deleted.append(resource)  # changed, and nothing of it in the window
            full = since is None
            return ChangeSet(tuple(events), tuple(deleted), now_token, full, tuple(unchanged))

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        self.requests.append(f"get {followup_id}")
        stored = self._calendar(calendar).objects.get(followup_id)
        return stored[0] if stored and not self._dead(stored) else None

    def create(self, followup: FollowUp) -> CalendarEvent:
        self.requests.append(f"create {followup.id}")
        cal = self._writable(followup.target)
        if followup.id in cal.objects and not self._dead(cal.objects[followup.id]):
            raise ConflictError(f"{followup.id} exists")
        return self._store(cal, followup.id, [self.event_of(followup, followup.id)])[0]

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        self.requests.append(f"update {followup.id}")
        cal = self._writable(followup.target)
        self._check(cal, resource, etag)
        return self._store(cal, resource, [self.event_of(followup, resource)])[0]

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        self.requests.append(f"delete {resource}")
        cal = self._writable(calendar)
        self._check(cal, resource, etag)
        self._remove(cal, resource)

    def close(self) -> None:
        pass

    # -- what a user (or a test) does in a calendar app, or to the account

    def put(self, event: CalendarEvent) -> CalendarEvent:
        """Store a user's event (new or changed) under its resource or id."""
        cal = self._calendar(event.calendar)
        return self._store(cal, event.resource or event.id, [event])[0]

    def put_series(
        self, calendar: str, resource: str, instances: Iterable[CalendarEvent]
    ) -> tuple[CalendarEvent, ...]:
        """Store a series as its instances (each with its own ``recurrence_id``) under one
        resource; a cancelled instance is one left out, or one with status cancelled."""
        return self._store(self._calendar(calendar), resource, list(instances), series=True)

    def remove(self, calendar: str, resource: str) -> None:
        self._remove(self._calendar(calendar), resource)

    def events(self, calendar: str) -> list[CalendarEvent]:
        stored = self._calendar(calendar).objects.values()
        return sorted((e for obj in stored for e in obj), key=lambda e: str(e.start))

    def calendar_id(self, name: str) -> str:
        return next(c.info.id for c in self._calendars.values() if c.info.name == name)

    def add_calendar(self, name: str, **server_says: Any) -> CalendarInfo:
        """A calendar of the account; ``server_says``: CalendarInfo's writable, readable,
        hidden, zone, default."""
        cal = _Calendar(dataclasses.replace(CalendarInfo(f"mem://{name}", name), **server_says))
        self._calendars[cal.info.id] = cal
        return cal.info

    def expire_tokens(self) -> None:
        """Refuse every sync token handed out so far (a server that lost its history)."""
        with self._lock:
            self._expired = next(self._counter)

    def set_writable(self, calendar: str, writable: bool) -> None:
        """Let this account write to the calendar, or make it read-only (writes: RefusedError)."""
        cal = self._calendar(calendar)
        cal.info = dataclasses.replace(cal.info, writable=writable)

    def remove_calendar(self, calendar: str) -> None:
        """The calendar is deleted (reads and writes there: NotFoundError)."""
        del self._calendars[self._calendar(calendar).info.id]

    @staticmethod
    def event_of(followup: FollowUp, resource: str) -> CalendarEvent:
        return CalendarEvent(
            id=followup.id,
            calendar=followup.target,
            title=followup.title,
            start=followup.start,
            end=followup.end,
            description=followup.description,
            resource=resource,
            markers=followup.markers,
            reminders=followup.reminders,
        )

    # -- internals

    def _calendar(self, calendar_id: str) -> _Calendar:
        try:
            return self._calendars[calendar_id]
        except KeyError:
            raise NotFoundError(f"no calendar {calendar_id}") from None

    def _writable(self, calendar_id: str) -> _Calendar:
        cal = self._calendar(calendar_id)
        if not cal.info.writable:
            raise RefusedError(f"{calendar_id}: read-only for this account")
        return cal

    def _check(self, cal: _Calendar, resource: str, etag: str) -> None:
        current = cal.objects.get(resource)
        if current is None or self._dead(current):
            raise NotFoundError(f"{resource} is gone")
        if cal.etags[resource] != etag:
            raise ConflictError(f"{resource} changed")

    def _since(self, token: str | None) -> int | None:
        """The change number a token stands for; None for no token or a refused one."""
        if token is None or self.refuse_tokens or not token.isdigit():
            return None
        number = int(token)
        return number if number > self._expired else None

    def _store(
        self, cal: _Calendar, resource: str, events: list[CalendarEvent], *, series: bool = False
    ) -> tuple[CalendarEvent, ...]:
        with self._lock:
            number = next(self._counter)
            stored = tuple(
                dataclasses.replace(
                    event,
                    calendar=cal.info.id,
                    etag=f'"{number}"',
                    resource=resource,
                    series=resource if series else event.series,
                    slot=resource if event.id == resource and is_followup_id(resource) else "",
                )
                for event in events
            )
            cal.objects[resource] = stored
            cal.etags[resource] = f'"{number}"'
            cal.changes[resource] = (number, True)
            return stored

    def _remove(self, cal: _Calendar, resource: str) -> None:
        kept = cal.objects.get(resource, ())
        if self.tombstones and kept and not self._dead(kept):
            cancelled = [dataclasses.replace(e, status="cancelled") for e in kept]
            self._store(cal, resource, cancelled, series=any(e.series == resource for e in kept))
            return
        with self._lock:
            cal.objects.pop(resource, None)
            cal.etags.pop(resource, None)
            cal.changes[resource] = (next(self._counter), False)

    def _dead(self, stored: tuple[CalendarEvent, ...]) -> bool:
        """Whether a stored object is a deleted one kept as cancelled (``tombstones``)."""
        return self.tombstones and bool(stored) and all(e.status == "cancelled" for e in stored)
