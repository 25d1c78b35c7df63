"""What Google's listings say, in the neutral model: calendarList entries and events.list items.

``calendars_of``: the entries of the account's calendar list as ``CalendarInfo``
(what the account may do there, from its ``accessRole``; ``hidden``; its
``timeZone``; ``primary``). ``change_set``: the items of one events.list as a
``ChangeSet`` (the window, ``known``, tombstones). No request is made here.

An item that is not what the API promises (not an object, no id, a start that
cannot be read) is skipped, and the rest read: one warning per listing names the
first few (syncd.limits.SHOWN_ITEMS) and counts the others. Fields of the wrong
type read as absent (``events.event_of``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from providers.google.answers import json_kind
from providers.google.events import event_of, markers_of
from syncd import limits
from syncd.model import CalendarEvent, CalendarInfo, ChangeSet, ReadScope

log = logging.getLogger(__name__)

# calendarList accessRole values: owner and writer may write events, a reader may
# read them; a freeBusyReader sees busy times only (no title, no description).
WRITERS = frozenset({"owner", "writer"})
READERS = WRITERS | {"reader"}


def calendars_of(entries: Iterable[object], source: str) -> list[CalendarInfo]:
    """The calendars of a calendarList listing, but those the account lost (``deleted``);
    an entry that is no calendar (not an object, no id) is skipped, one warning for all."""
    found, skipped = [], Skipped(source, "calendar list", ("entry", "entries"))
    for entry in entries:
        if not isinstance(entry, Mapping) or not _id(entry):
            skipped.add(entry, "no id" if isinstance(entry, Mapping) else "not an object")
        elif not entry.get("deleted"):
            found.append(calendar_of(entry, source))
    skipped.say()
    return found


def calendar_of(entry: Mapping[str, Any], source: str) -> CalendarInfo:
    """A calendarList entry (with an id) as a CalendarInfo; the primary calendar answers
    to "primary".

    No accessRole (Google always sends one) reads as a reader's: syncd writes
    only where the server said it may.
    """
    role = entry.get("accessRole", "reader")
    names = [entry.get("summaryOverride"), entry.get("summary"), entry["id"]]
    return CalendarInfo(
        id=entry["id"],
        name=next(n for n in names if isinstance(n, str) and n),
        aliases=("primary",) if entry.get("primary") is True else (),
        writable=role in WRITERS,
        readable=role in READERS,
        hidden=bool(entry.get("hidden")),
        zone=zone_of(entry, source),
        default=entry.get("primary") is True,
    )


def zone_of(resource: Mapping[str, Any], source: str) -> str:
    """A calendar's ``timeZone`` when it is an IANA name this machine knows, else ""."""
    name = resource.get("timeZone")
    if not isinstance(name, str) or not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe", a folder
        calendar = limits.shown(str(resource.get("id", "?")), 120)
        log.info("%s: calendar %s: unknown time zone %r; ignored", source, calendar, name[:64])
        return ""
    return name


def change_set(
    items: Iterable[Mapping[str, Any]],
    calendar: CalendarInfo,
    *,
    token: str,
    full: bool,
    known: Mapping[str, str],
    scope: ReadScope,
    me: frozenset[str],
    zone: Any,
    source: str,
) -> ChangeSet:
    """The change set of one listing's items read from ``calendar``.

    Items whose etag equals ``known[id]`` go to ``unchanged``. In an incremental
    read (not ``full``) an event outside the scope's window is reported gone (an
    incremental read lists it wherever it went). A cancelled item is a deletion,
    reported in ``deleted``; but one that carries syncd's markers (Google keeps a
    deleted event's fields on its organizer's calendar) is a tombstone, reported
    as an event of status "cancelled" with its markers, slot and etag: it says
    which follow-up the user deleted. ``zone`` reads all-day events for the window.
    """
    events: list[CalendarEvent] = []
    deleted: list[str] = []
    unchanged: list[str] = []
    skipped = Skipped(source, calendar.name, ("event", "events"))
    for item in items:
        key = _id(item)
        if not isinstance(item, Mapping) or not key:
            skipped.add(item, "no id" if isinstance(item, Mapping) else "not an object")
            continue
        cancelled = item.get("status") == "cancelled"
        if cancelled and markers_of(item) is None:
            deleted.append(key)
            continue
        etag = item.get("etag")
        if not cancelled and isinstance(etag, str) and etag and known.get(key) == etag:
            unchanged.append(key)
            continue
        try:
            event = event_of(item, calendar.id, me)
        except ValueError as error:
            if cancelled:  # a tombstone without its times: its deletion is all there is
                deleted.append(key)
            else:
                skipped.add(item, str(error))
            continue
        if scope.overlaps(event.start, event.end, zone):
            events.append(event)
        elif not full:
            deleted.append(key)
    skipped.say()
    return ChangeSet(tuple(events), tuple(deleted), token, full, tuple(unchanged))


def _id(item: object) -> str:
    """An item's id when it has one as the API promises (text, not empty); else ""."""
    key = item.get("id") if isinstance(item, Mapping) else None
    return key if isinstance(key, str) else ""


class Skipped:
    """The unreadable items of one listing, said in one warning: ``SOURCE: WHERE: skipped
    N unreadable KINDS: 'title' (id): why; ...; and M more``."""

    def __init__(self, source: str, where: str, kind: tuple[str, str]) -> None:
        self.prefix = f"{source}: {limits.shown(where, 120)}: skipped"
        self.kind = kind  # (one, several)
        self.named: list[str] = []
        self.count = 0

    def add(self, item: object, why: str) -> None:
        self.count += 1
        if len(self.named) < limits.SHOWN_ITEMS:
            self.named.append(f"{_name(item)}: {why}")

    def say(self) -> None:
        if not self.count:
            return
        one, several = self.kind
        what = f"{self.count} unreadable {several}" if self.count > 1 else f"an unreadable {one}"
        more = self.count - len(self.named)
        listed = "; ".join(self.named) + (f"; and {more} more" if more else "")
        log.warning("%s %s: %s", self.prefix, what, listed)


def _name(item: object) -> str:
    """How a warning names an item: its title (cut, control characters dropped) and id."""
    if not isinstance(item, Mapping):
        return json_kind(item)
    title = item.get("summary")
    key = _id(item)
    shown = repr(limits.shown(title)) if isinstance(title, str) and title else "untitled"
    return f"{shown} ({limits.shown(key, 80)})" if key else shown
