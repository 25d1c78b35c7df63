"""In-memory calendars and events of the Google fake, with Google's rules for writes.

Every write (insert, patch, update, delete, also of one instance of a series) takes a
new etag and a new change number; sync tokens are change numbers, so an incremental
read returns exactly what changed since. Deleting keeps the event with status
``cancelled``: ``get`` still returns it, a second delete is 410 ``deleted``, and its id
stays taken (insert with it is 409 ``duplicate``). Reads are in google_listing.py.
"""

from __future__ import annotations

import base64
import copy
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .google_errors import ApiError, bad_request, not_found
from .google_recurrence import (
    When,
    instance_id,
    occurrences,
    parse_when,
    split_instance_id,
    zone_named,
)
from .google_validate import check_event, merge_patch, writable_part

EVENT_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuv")
DEFAULT_REMINDERS = [{"method": "popup", "minutes": 10}]


@dataclass
class StoredEvent:
    """An event (or an exception of a series) as kept, with its last change number."""

    resource: dict[str, Any]
    change: int

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"

    @property
    def is_exception(self) -> bool:
        return "recurringEventId" in self.resource

    @property
    def is_series(self) -> bool:
        return bool(self.resource.get("recurrence")) and not self.is_exception


@dataclass
class Calendar:
    """One calendar of the account, owning its events in insertion order."""

    id: str
    summary: str
    time_zone: str
    primary: bool
    change: int
    etag: str
    description: str = ""
    events: dict[str, StoredEvent] = field(default_factory=dict)
    access_role: str = "owner"  # reader / freeBusyReader: event writes answer 403

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class CalendarStore:
    """Calendars and events of one account; every public method takes the lock."""

    def __init__(self, account: str, time_zone: str, clock: Callable[[], datetime]) -> None:
        zone_named(time_zone, field="calendar")
        self.account = account
        self.time_zone = time_zone
        self.clock = clock
        self.lock = threading.RLock()
        self.change = 0  # the last change number handed out, across calendars
        self.token_generation = 0
        self.calendars: dict[str, Calendar] = {}
        self.add_calendar(account, calendar_id=account, primary=True)

    # -- calendars --------------------------------------------------------------------

    def add_calendar(
        self,
        summary: str,
        *,
        calendar_id: str | None = None,
        time_zone: str | None = None,
        primary: bool = False,
    ) -> Calendar:
        """Create a calendar (id like Google's group calendars unless given) and return it."""
        if not summary:
            raise ApiError(400, "required", "Missing title.")
        zone = time_zone or self.time_zone
        zone_named(zone, field="calendar")
        with self.lock:
            cal_id = calendar_id or f"{_random_id()}@group.calendar.google.com"
            change = self._next_change()
            cal = Calendar(cal_id, summary, zone, primary, change, self._etag(change))
            self.calendars[cal_id] = cal
            return cal

    def calendar(self, calendar_id: str) -> Calendar:
        """Return the calendar ``calendar_id`` ("primary" is the account's); 404 when unknown."""
        cal_id = self.account if calendar_id == "primary" else calendar_id
        cal = self.calendars.get(cal_id)
        if cal is None:
            raise not_found()
        return cal

    def calendar_resource(self, cal: Calendar) -> dict[str, Any]:
        return {
            "kind": "calendar#calendar",
            "etag": cal.etag,
            "id": cal.id,
            "summary": cal.summary,
            "description": cal.description,
            "timeZone": cal.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }

    def calendar_list_entry(self, cal: Calendar) -> dict[str, Any]:
        entry = {
            "kind": "calendar#calendarListEntry",
            "etag": cal.etag,
            "id": cal.id,
            "summary": cal.summary,
            "timeZone": cal.time_zone,
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": cal.access_role,
            "defaultReminders": copy.deepcopy(DEFAULT_REMINDERS),
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if cal.primary:
            entry["primary"] = True
        return entry

    # -- event writes -------------------------------------------------------------------

    def insert(
        self,
        calendar_id: str,
        body: dict[str, Any],
        *,
        conference: bool = False,
        trusted: bool = False,
    ) -> StoredEvent:
        """Insert an event; a client-chosen id must be base32hex, 5-1024 chars, unused."""
        with self.lock:
            cal = self.calendar(calendar_id)
            event_id = body.get("id")
            if event_id is None:
                event_id = _random_id()
            elif not _valid_event_id(event_id):
                raise bad_request("Invalid resource id value.")
            elif event_id in cal.events:
                raise ApiError(409, "duplicate")
            resource = writable_part(body, conference=conference, trusted=trusted)
            if "iCalUID" in body and not trusted:
                resource["iCalUID"] = body["iCalUID"]
            check_event(resource)
            return self._store(cal, event_id, resource, previous=None)

    def patch(
        self,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        *,
        if_match: str | None = None,
        conference: bool = False,
        trusted: bool = False,
    ) -> StoredEvent:
        """Merge ``body`` into the event (also a deleted one, to restore it)."""
        with self.lock:
            cal = self.calendar(calendar_id)
            current = self._writable_target(cal, event_id, if_match)
            changes = writable_part(body, conference=conference, trusted=trusted)
            merged = merge_patch(current.resource, changes)
            check_event(merged)
            return self._store(cal, event_id, merged, previous=current)

    def update(
        self,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        *,
        if_match: str | None = None,
        conference: bool = False,
    ) -> StoredEvent:
        """Replace the event's writable fields with ``body`` (fields left out are cleared)."""
        with self.lock:
            cal = self.calendar(calendar_id)
            current = self._writable_target(cal, event_id, if_match)
            resource = writable_part(body, conference=conference, trusted=False)
            kept = ("organizer", "creator", "hangoutLink", "iCalUID")
            for name in (*kept, "recurringEventId", "originalStartTime"):
                if name in current.resource:
                    resource[name] = copy.deepcopy(current.resource[name])
            if not conference and "conferenceData" in current.resource:
                resource["conferenceData"] = copy.deepcopy(current.resource["conferenceData"])
            check_event(resource)
            return self._store(cal, event_id, resource, previous=current)

    def delete(self, calendar_id: str, event_id: str, *, if_match: str | None = None) -> None:
        """Mark the event (or one instance) cancelled; a series takes its exceptions along."""
        with self.lock:
            cal = self.calendar(calendar_id)
            current = self._writable_target(cal, event_id, if_match)
            if current.cancelled:
                raise ApiError(410, "deleted")
            self._store(cal, event_id, {**current.resource, "status": "cancelled"}, current)
            if current.is_series:
                for exception in list(self.exceptions_of(cal, event_id).values()):
                    if not exception.cancelled:
                        resource = {**exception.resource, "status": "cancelled"}
                        self._store(cal, exception.resource["id"], resource, exception)

    def get(self, calendar_id: str, event_id: str) -> StoredEvent:
        """Return the stored event, a stored exception, or a generated instance; else 404."""
        with self.lock:
            cal = self.calendar(calendar_id)
            stored = cal.events.get(event_id)
            if stored is not None:
                return stored
            generated = self._generated_instance(cal, event_id)
            if generated is None:
                raise not_found()
            return generated

    # -- series ----------------------------------------------------------------------

    def exceptions_of(self, cal: Calendar, series_id: str) -> dict[str, StoredEvent]:
        """The stored exceptions (modified or cancelled instances) of a series."""
        return {
            event_id: stored
            for event_id, stored in cal.events.items()
            if stored.resource.get("recurringEventId") == series_id
        }

    def instances(
        self, cal: Calendar, series: StoredEvent, *, before: datetime | None
    ) -> Iterator[StoredEvent]:
        """Yield the instances of ``series``: generated ones, or its stored exceptions."""
        resource = series.resource
        start = parse_when(resource["start"], "start time")
        length = _length(start, parse_when(resource["end"], "end time"))
        exceptions = self.exceptions_of(cal, resource["id"])
        for original in occurrences(
            start, resource["recurrence"], before=before, calendar_zone=cal.zone
        ):
            event_id = instance_id(resource["id"], original)
            stored = exceptions.pop(event_id, None)
            yield stored or StoredEvent(_instance(resource, original, length), series.change)
        # Exceptions moved in from beyond the expanded range.
        yield from exceptions.values()

    def _generated_instance(self, cal: Calendar, event_id: str) -> StoredEvent | None:
        parts = split_instance_id(event_id)
        series = cal.events.get(parts[0]) if parts else None
        if parts is None or series is None or not series.is_series:
            return None
        stamp = parts[1]
        if "T" in stamp:
            moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            day = datetime.strptime(stamp, "%Y%m%d").date()
            moment = When(day=day).utc(cal.zone)
        for instance in self.instances(cal, series, before=moment + timedelta(seconds=1)):
            if instance.resource["id"] == event_id:
                return instance
        return None

    # -- internals ---------------------------------------------------------------------

    def _writable_target(self, cal: Calendar, event_id: str, if_match: str | None) -> StoredEvent:
        current = cal.events.get(event_id) or self._generated_instance(cal, event_id)
        if current is None:
            raise not_found()
        if if_match is not None and if_match.strip() not in ("*", current.resource["etag"]):
            raise ApiError(412, "conditionNotMet", location="If-Match", location_type="header")
        return current

    def _store(
        self,
        cal: Calendar,
        event_id: str,
        resource: dict[str, Any],
        previous: StoredEvent | None,
    ) -> StoredEvent:
        now = _rfc3339(self.clock())
        change = self._next_change()
        resource = copy.deepcopy(resource)
        resource.update({"kind": "calendar#event", "id": event_id, "etag": self._etag(change)})
        resource.setdefault("status", "confirmed")
        resource.setdefault("reminders", {"useDefault": True})
        resource.setdefault("eventType", "default")
        resource.setdefault("iCalUID", f"{event_id}@google.com")
        resource.setdefault("htmlLink", _html_link(event_id, cal.id))
        organizer = resource.setdefault("organizer", _organizer(cal))
        # Someone else's invitation was created by them; our own events by the account.
        by_other = organizer.get("email", cal.id) != cal.id
        resource.setdefault("creator", {"email": organizer["email"] if by_other else self.account})
        if previous is None:
            resource["created"] = now
            resource["updated"] = now
            resource["sequence"] = 0
        else:
            old = previous.resource
            resource["created"] = old.get("created", now)
            # Google: changing reminders alone does not move `updated` (the etag moves).
            resource["updated"] = now if _content(old) != _content(resource) else old["updated"]
            moved = any(old.get(k) != resource.get(k) for k in ("start", "end", "recurrence"))
            resource["sequence"] = old.get("sequence", 0) + (1 if moved else 0)
        stored = StoredEvent(resource, change)
        cal.events[event_id] = stored
        return stored

    def _next_change(self) -> int:
        self.change += 1
        return self.change

    @staticmethod
    def _etag(change: int) -> str:
        return f'"{3_300_000_000_000_000 + change}"'


def _content(resource: dict[str, Any]) -> dict[str, Any]:
    ignored = ("etag", "updated", "reminders", "sequence")
    return {k: v for k, v in resource.items() if k not in ignored}


def _instance(series: dict[str, Any], original: When, length: timedelta) -> dict[str, Any]:
    instance = {k: copy.deepcopy(v) for k, v in series.items() if k != "recurrence"}
    instance.update(
        id=instance_id(series["id"], original),
        recurringEventId=series["id"],
        originalStartTime=original.stored(),
        start=original.stored(),
        end=original.shifted(length).stored(),
    )
    return instance


def _length(start: When, end: When) -> timedelta:
    if start.day is not None and end.day is not None:
        return end.day - start.day
    assert start.instant is not None and end.instant is not None
    return end.instant - start.instant


def _organizer(cal: Calendar) -> dict[str, Any]:
    organizer: dict[str, Any] = {"email": cal.id}
    if not cal.primary:
        organizer["displayName"] = cal.summary
    return organizer


def _html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def _valid_event_id(event_id: Any) -> bool:
    return (
        isinstance(event_id, str) and 5 <= len(event_id) <= 1024 and set(event_id) <= EVENT_ID_CHARS
    )


def _random_id() -> str:
    # Google's own ids are 26 base32hex characters.
    return base64.b32hexencode(os.urandom(16)).decode("ascii").rstrip("=").lower()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_token() -> str:
    """An opaque random token (page tokens)."""
    return secrets.token_urlsafe(18)
