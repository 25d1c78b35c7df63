"""In-memory calendars and events of the Google fake, with Google's rules for writes.

Every write (insert, patch, update, delete, also of one instance of a series) takes a
new etag and a new change number; sync tokens are change numbers, so an incremental
read returns exactly what changed since. Deleting keeps the event with status
``cancelled``: ``get`` still returns it, a second delete is 410 ``deleted``, and its id
stays taken (insert with it is 409 ``duplicate``). A client's own id is base32hex;
ids of other shapes come only from Google (test seeding). Writes keep the rules of
the event types (google_types). Calendars can be added, changed (role, hidden, name,
zone) and removed: a removed one answers 404 from then on. Reads are in
google_listing.py, series in google_series.py.
"""

from __future__ import annotations

import base64
import copy
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from .google_accounts import check_role
from .google_errors import ApiError, bad_request, not_found
from .google_model import Calendar, StoredEvent, random_id
from .google_recurrence import instance_id, parse_when, zone_named
from .google_series import (
    exceptions_of,
    generated_instance,
    instances,
    split_parts,
    until_before,
)
from .google_types import check_changed, check_created, check_type
from .google_validate import check_event, merge_patch, writable_part

EVENT_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuv")
# Ids Google makes itself besides base32hex ones: ``_...`` for an event that came from
# Outlook, ``<id>_R<start>`` for the part of a series split off ("this and following").
CALENDAR_SETTINGS = ("access_role", "hidden", "summary_override", "time_zone", "summary")
GOOGLE_ID = re.compile(r"[0-9A-Za-z_]{5,1024}")


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
        # Calendars the account no longer has (deleted, unshared), by id: their
        # calendarList entries read as deleted in an incremental listing.
        self.removed: dict[str, Calendar] = {}
        self.add_calendar(account, calendar_id=account, primary=True)

    # -- calendars --------------------------------------------------------------------

    def add_calendar(
        self,
        summary: str,
        *,
        calendar_id: str | None = None,
        time_zone: str | None = None,
        primary: bool = False,
        access_role: str = "owner",
    ) -> Calendar:
        """Create a calendar (id like Google's group calendars unless given) and return it."""
        if not summary:
            raise ApiError(400, "required", "Missing title.")
        zone = time_zone or self.time_zone
        zone_named(zone, field="calendar")
        with self.lock:
            cal_id = calendar_id or f"{random_id()}@group.calendar.google.com"
            if cal_id in self.calendars:
                raise ApiError(409, "duplicate")
            change = self._next_change()
            cal = Calendar(cal_id, summary, zone, primary, change, self._etag(change))
            cal.access_role = check_role(access_role)
            self.calendars[cal_id] = cal
            self.removed.pop(cal_id, None)
            return cal

    def change_calendar(self, calendar_id: str, **changes: Any) -> Calendar:
        """Set the calendar's ``access_role``, ``hidden``, ``summary_override``, ``time_zone``
        or ``summary`` (what its owner or the user changes); its entry changes with it."""
        with self.lock:
            cal = self.calendar(calendar_id)
            for name, value in changes.items():
                if name not in CALENDAR_SETTINGS:
                    raise TypeError(f"not a calendar setting: {name}")
                if name == "access_role":
                    check_role(value)
                if name == "time_zone":
                    zone_named(value, field="calendar")
                setattr(cal, name, value)
            cal.change = self._next_change()
            cal.etag = self._etag(cal.change)
            return cal

    def remove_calendar(self, calendar_id: str) -> None:
        """The calendar is gone for this account (deleted, or no longer shared with it)."""
        with self.lock:
            cal = self.calendar(calendar_id)
            if cal.primary:
                raise ValueError("the primary calendar cannot be removed")
            del self.calendars[cal.id]
            cal.change = self._next_change()
            cal.etag = self._etag(cal.change)
            self.removed[cal.id] = cal

    def calendar(self, calendar_id: str) -> Calendar:
        """Return the calendar ``calendar_id`` ("primary" is the account's); 404 when unknown."""
        cal_id = self.account if calendar_id == "primary" else calendar_id
        cal = self.calendars.get(cal_id)
        if cal is None:
            raise not_found()
        return cal

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
                event_id = random_id()
            elif not (_valid_google_id if trusted else _valid_event_id)(event_id):
                raise bad_request("Invalid resource id value.")
            elif event_id in cal.events:
                raise ApiError(409, "duplicate")
            resource = writable_part(body, conference=conference, trusted=trusted)
            if "iCalUID" in body and not trusted:
                resource["iCalUID"] = body["iCalUID"]
            check_event(resource)
            check_type(resource, primary=cal.primary)
            check_created(resource, trusted=trusted)
            return self._store(cal, event_id, resource, previous=None)

    def insert_raw(self, calendar_id: str, item: Any) -> str:
        """Keep ``item`` as it is, checked by nothing, for listings to send; its key (its
        ``id`` when that is text, else a new one)."""
        with self.lock:
            cal = self.calendar(calendar_id)
            key = item.get("id") if isinstance(item, dict) else None
            key = key if isinstance(key, str) and key not in cal.raw else random_id()
            cal.raw[key] = StoredEvent(copy.deepcopy(item), self._next_change())
            return key

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
            self._check_types(cal, current.resource, merged, trusted=trusted)
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
            kept = ("organizer", "creator", "hangoutLink", "iCalUID", "eventType")
            for name in (*kept, "recurringEventId", "originalStartTime"):
                if name in current.resource and (name != "eventType" or name not in resource):
                    resource[name] = copy.deepcopy(current.resource[name])
            if not conference and "conferenceData" in current.resource:
                resource["conferenceData"] = copy.deepcopy(current.resource["conferenceData"])
            check_event(resource)
            self._check_types(cal, current.resource, resource, trusted=False)
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
            generated = generated_instance(cal, event_id)
            if generated is None:
                raise not_found()
            return generated

    # -- series ----------------------------------------------------------------------

    def exceptions_of(self, cal: Calendar, series_id: str) -> dict[str, StoredEvent]:
        """The stored exceptions (modified or cancelled instances) of a series."""
        return exceptions_of(cal, series_id)

    def instances(
        self, cal: Calendar, series: StoredEvent, *, before: datetime | None
    ) -> Iterator[StoredEvent]:
        """Yield the instances of ``series``: generated ones, or its stored exceptions."""
        return instances(cal, series, before=before)

    def split_series(self, calendar_id: str, event_id: str, changes: dict[str, Any]) -> StoredEvent:
        """The web UI's "this and following events" on instance ``event_id``.

        Its series now ends before it, and the instances from it on read as
        cancelled; a new series (id ``<series>_R<original start>``) carries on
        from it, with ``changes``. Returns the new series.
        """
        with self.lock:
            cal = self.calendar(calendar_id)
            instance = self.get(calendar_id, event_id)
            series = cal.events.get(instance.resource.get("recurringEventId", ""))
            if series is None or not series.is_series:
                raise ValueError(f"{event_id} is no instance of a stored series")
            original = parse_when(instance.resource["originalStartTime"], "originalStartTime")
            later, new_id, body = split_parts(cal, series, original)
            leaving = {instance_id(series.resource["id"], o) for o in later}
            for stored in list(instances(cal, series, before=None)):
                event = stored.resource
                if event["id"] in leaving and not stored.cancelled:
                    self._store(cal, event["id"], {**event, "status": "cancelled"}, stored)
            ended = {**series.resource, "recurrence": until_before(series, original)}
            self._store(cal, series.resource["id"], ended, series)
            body = {**merge_patch(body, changes), "id": new_id}
            return self.insert(calendar_id, body, trusted=True)

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _check_types(
        cal: Calendar, old: dict[str, Any], new: dict[str, Any], *, trusted: bool
    ) -> None:
        new.setdefault("eventType", old.get("eventType", "default"))
        check_changed(old, new, trusted=trusted)
        check_type(new, primary=cal.primary)

    def _writable_target(self, cal: Calendar, event_id: str, if_match: str | None) -> StoredEvent:
        current = cal.events.get(event_id) or generated_instance(cal, event_id)
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


def _valid_google_id(event_id: Any) -> bool:
    return isinstance(event_id, str) and GOOGLE_ID.fullmatch(event_id) is not None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
