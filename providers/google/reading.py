"""What Google's listings say, in the neutral model: calendarList entries and events.list items.

``calendar_of``: an entry of the account's calendar list as a ``CalendarInfo``
(what the account may do there, from its ``accessRole``; ``hidden``; its
``timeZone``; ``primary``). ``change_set``: the items of one events.list as a
``ChangeSet`` (the window, ``known``, tombstones). No request is made here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from providers.google.events import event_of, markers_of
from syncd.model import CalendarEvent, CalendarInfo, ChangeSet, ReadScope

log = logging.getLogger(__name__)

# calendarList accessRole values: owner and writer may write events, a reader may
# read them; a freeBusyReader sees busy times only (no title, no description).
WRITERS = frozenset({"owner", "writer"})
READERS = WRITERS | {"reader"}


def calendar_of(entry: Mapping[str, Any], source: str) -> CalendarInfo:
    """A calendarList entry as a CalendarInfo; the primary calendar answers to "primary".

    No accessRole (Google always sends one) reads as a reader's: syncd writes
    only where the server said it may.
    """
    role = entry.get("accessRole", "reader")
    return CalendarInfo(
        id=entry["id"],
        name=entry.get("summaryOverride") or entry.get("summary") or entry["id"],
        aliases=("primary",) if entry.get("primary") else (),
        writable=role in WRITERS,
        readable=role in READERS,
        hidden=bool(entry.get("hidden")),
        zone=zone_of(entry, source),
        default=bool(entry.get("primary")),
    )


def zone_of(resource: Mapping[str, Any], source: str) -> str:
    """A calendar's ``timeZone`` when it is an IANA name this machine knows, else ""."""
    name = resource.get("timeZone")
    if not isinstance(name, str) or not name:
        return ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        calendar = resource.get("id", "?")
        log.info("%s: calendar %s: unknown time zone %r; ignored", source, calendar, name)
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
    for item in items:
        cancelled = item.get("status") == "cancelled"
        if cancelled and markers_of(item) is None:
            deleted.append(item["id"])
            continue
        if not cancelled and known.get(item["id"]) == item.get("etag"):
            unchanged.append(item["id"])
            continue
        try:
            event = event_of(item, calendar.id, me)
        except ValueError:
            if cancelled:  # a tombstone without its times: its deletion is all there is
                deleted.append(item["id"])
            else:
                log.warning(
                    "%s: %s: skipped event %s: unreadable start or end",
                    source,
                    calendar.name,
                    item["id"],
                )
            continue
        if scope.overlaps(event.start, event.end, zone):
            events.append(event)
        elif not full:
            deleted.append(item["id"])
    return ChangeSet(tuple(events), tuple(deleted), token, full, tuple(unchanged))
