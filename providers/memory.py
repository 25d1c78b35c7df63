"""An in-memory provider: the reference implementation of the Provider protocol.

It keeps events as neutral ``CalendarEvent`` values, changes an object's etag on
every write, hands out sync tokens that are change counters, and makes every
write conditional the way the real services do. The core's tests drive the
engine through it; the real providers pass the same scenarios against real
servers.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Mapping

from providers import CalendarInfo, ChangeSet, ReadScope
from syncd.errors import ConflictError, GoneError, NotFoundError
from syncd.model import CalendarEvent, FollowUp


@dataclasses.dataclass
class _Calendar:
    info: CalendarInfo
    objects: dict[str, CalendarEvent] = dataclasses.field(default_factory=dict)
    # resource -> change number of its last write or deletion (None when deleted)
    changes: dict[str, tuple[int, bool]] = dataclasses.field(default_factory=dict)


class MemoryProvider:
    """A whole account held in memory; ``requests`` counts calls as a server would."""

    def __init__(self, calendars: tuple[str, ...] = ("Personal",)) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._calendars: dict[str, _Calendar] = {}
        self.requests: list[str] = []
        self.refuse_tokens = False
        for name in calendars:
            self._add_calendar(name)

    # -- the protocol

    def list_calendars(self) -> list[CalendarInfo]:
        self.requests.append("list_calendars")
        return [c.info for c in self._calendars.values()]

    def ensure_calendar(self, name: str) -> CalendarInfo:
        self.requests.append("ensure_calendar")
        for cal in self._calendars.values():
            if name in (cal.info.id, cal.info.name):
                return cal.info
        return self._add_calendar(name).info

    def read_changes(
        self,
        calendar: CalendarInfo,
        token: str | None,
        scope: ReadScope,
        known: Mapping[str, str] | None = None,
    ) -> ChangeSet:
        self.requests.append(f"read {calendar.id}")
        cal = self._calendar(calendar.id)
        known = known or {}
        with self._lock:
            now_token = str(next(self._counter))
            since = self._parse_token(token)
            alive = [
                r for r, (n, live) in cal.changes.items() if live and (since is None or n > since)
            ]
            deleted = [
                r
                for r, (n, live) in cal.changes.items()
                if not live and since is not None and n > since
            ]
            unchanged = [r for r in alive if known.get(r) == cal.objects[r].etag]
            events = tuple(cal.objects[r] for r in alive if r not in unchanged)
            return ChangeSet(events, tuple(deleted), now_token, since is None, tuple(unchanged))

    def get(self, calendar: str, followup_id: str) -> CalendarEvent | None:
        self.requests.append(f"get {followup_id}")
        return self._calendar(calendar).objects.get(followup_id)

    def create(self, followup: FollowUp) -> CalendarEvent:
        self.requests.append(f"create {followup.id}")
        cal = self._calendar(followup.target)
        if followup.id in cal.objects:
            raise ConflictError(f"{followup.id} exists")
        return self._store(cal, self.event_of(followup, followup.id))

    def update(self, followup: FollowUp, resource: str, etag: str) -> CalendarEvent:
        self.requests.append(f"update {followup.id}")
        cal = self._calendar(followup.target)
        current = cal.objects.get(resource)
        if current is None:
            raise NotFoundError(f"{resource} is gone")
        if current.etag != etag:
            raise ConflictError(f"{resource} changed")
        return self._store(cal, self.event_of(followup, resource))

    def delete(self, calendar: str, resource: str, etag: str) -> None:
        self.requests.append(f"delete {resource}")
        cal = self._calendar(calendar)
        current = cal.objects.get(resource)
        if current is None:
            raise NotFoundError(f"{resource} is gone")
        if current.etag != etag:
            raise ConflictError(f"{resource} changed")
        self._remove(cal, resource)

    def close(self) -> None:
        pass

    # -- what a user (or a test) does in a calendar app

    def put(self, event: CalendarEvent) -> CalendarEvent:
        """Store a user's event (new or changed) under its resource or id."""
        cal = self._calendar(event.calendar)
        return self._store(cal, dataclasses.replace(event, resource=event.resource or event.id))

    def remove(self, calendar: str, resource: str) -> None:
        self._remove(self._calendar(calendar), resource)

    def events(self, calendar: str) -> list[CalendarEvent]:
        return sorted(self._calendar(calendar).objects.values(), key=lambda e: str(e.start))

    def calendar_id(self, name: str) -> str:
        return next(c.info.id for c in self._calendars.values() if c.info.name == name)

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

    def _add_calendar(self, name: str) -> _Calendar:
        cal = _Calendar(CalendarInfo(id=f"mem://{name}", name=name))
        self._calendars[cal.info.id] = cal
        return cal

    def _calendar(self, calendar_id: str) -> _Calendar:
        try:
            return self._calendars[calendar_id]
        except KeyError:
            raise NotFoundError(f"no calendar {calendar_id}") from None

    def _parse_token(self, token: str | None) -> int | None:
        if token is None:
            return None
        if self.refuse_tokens or not token.isdigit():
            raise GoneError("sync token refused")
        return int(token)

    def _store(self, cal: _Calendar, event: CalendarEvent) -> CalendarEvent:
        with self._lock:
            number = next(self._counter)
            # A follow-up is stored under its identity: the place stands for it.
            slot = event.resource if event.resource == event.id else ""
            stored = dataclasses.replace(event, calendar=cal.info.id, etag=f'"{number}"', slot=slot)
            cal.objects[stored.resource] = stored
            cal.changes[stored.resource] = (number, True)
            return stored

    def _remove(self, cal: _Calendar, resource: str) -> None:
        with self._lock:
            cal.objects.pop(resource, None)
            cal.changes[resource] = (next(self._counter), False)
