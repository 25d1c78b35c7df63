"""Google Calendar event JSON <-> the neutral model.

Reading: an Events resource becomes a ``CalendarEvent`` (an instance keeps its
own instance id, so ``recurrence_id`` stays empty, and names its series);
descriptions stay as Google stores them (HTML when typed in the web editor:
detection converts). Writing: a ``FollowUp`` becomes the body syncd owns: times
in the config's zone, popup reminders only, the markers in
``extendedProperties.private``, and ``transparency: transparent`` so follow-ups
never block free/busy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd import limits
from syncd.model import (
    Attendee,
    CalendarEvent,
    FollowUp,
    FollowUpKind,
    Markers,
    When,
    is_followup_id,
)

MARKER_KEYS = ("syncd.kind", "syncd.interview", "syncd.calendar", "syncd.fingerprint")
RESPONSES = {
    "needsAction": "needs-action",
    "declined": "declined",
    "accepted": "accepted",
    "tentative": "tentative",
}

Json = dict[str, Any]


def event_of(item: Mapping[str, Any], calendar: str, me: frozenset[str]) -> CalendarEvent:
    """The neutral event of an Events resource read from ``calendar`` (a cancelled one
    too, when Google kept its fields: then its status says "cancelled").

    ``me`` holds the source's own addresses (lowercase), besides Google's ``self``.
    An instance of a series names it in ``series`` (``recurringEventId``); an
    event whose id has the form of a follow-up id stands for that slot (syncd
    inserts follow-ups under their own id). Title, description and location are
    read one character past their limits (syncd.limits). A field of the wrong
    type reads as absent. Raises ValueError, saying why, when the item has no id
    or its start or end cannot be read.
    """
    key = item.get("id")
    if not isinstance(key, str) or not key:
        raise ValueError("no id")
    default_zone = _str(_mapping(item.get("start")).get("timeZone")) or None
    organizer = item.get("organizer")
    return CalendarEvent(
        id=key,
        calendar=calendar,
        title=_text(item.get("summary"), limits.TITLE_CHARS + 1),
        start=_when(item, "start", default_zone),
        end=_when(item, "end", default_zone),
        description=_text(item.get("description"), limits.DESCRIPTION_CHARS + 1),
        location=_text(item.get("location"), limits.DESCRIPTION_CHARS + 1),
        status=_str(item.get("status")) or "confirmed",
        attendees=tuple(_person(a, me) for a in _list(item.get("attendees")) if _is_map(a)),
        organizer=_person(organizer, me) if _is_map(organizer) and organizer else None,
        conference=_conference(item),
        etag=_str(item.get("etag")),
        resource=key,
        markers=markers_of(item),
        reminders=reminders_of(item),
        series=_str(item.get("recurringEventId")),
        slot=key if is_followup_id(key) else "",
        event_type=_str(item.get("eventType")) or "default",
    )


def _text(value: object, chars: int) -> str:
    """A text field read up to one character past its limit (syncd.limits): the core
    cuts it to the limit and says so."""
    return value[:chars] if isinstance(value, str) else ""


def _str(value: object) -> str:
    """A short text field (an id, a status, a zone); "" when it is not text."""
    return value if isinstance(value, str) else ""


def _is_map(value: object) -> bool:
    return isinstance(value, Mapping)


def _mapping(value: object) -> Mapping[str, Any]:
    """An object field; empty when it is not an object."""
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    """A list field; empty when it is not a list."""
    return value if isinstance(value, list) else []


def _when(item: Mapping[str, Any], field: str, zone_name: str | None) -> When:
    try:
        return when_of(item.get(field), zone_name)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"unreadable {field}") from None


def when_of(value: object, zone_name: str | None = None) -> When:
    """An EventDateTime: ``date`` -> date; ``dateTime`` -> aware datetime.

    A ``dateTime`` without offset (Google always sends one) takes its
    ``timeZone``, else ``zone_name``, else UTC. Raises ValueError when it is
    missing or unreadable.
    """
    fields = _mapping(value)
    day, moment_text = _str(fields.get("date")), _str(fields.get("dateTime"))
    if day:
        return dt.date.fromisoformat(day)
    if not moment_text:
        raise ValueError("event without start or end")
    moment = dt.datetime.fromisoformat(moment_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(_str(fields.get("timeZone")) or zone_name))
    return moment


def markers_of(item: Mapping[str, Any]) -> Markers | None:
    """syncd's markers from ``extendedProperties.private``: all four and a known kind."""
    private = _mapping(_mapping(item.get("extendedProperties")).get("private"))
    values = [private.get(key) for key in MARKER_KEYS]
    if not all(isinstance(v, str) and v for v in values):
        return None
    kind, interview, calendar, fingerprint = values
    try:
        return Markers(FollowUpKind(str(kind)), str(interview), str(calendar), str(fingerprint))
    except ValueError:
        return None


def reminders_of(item: Mapping[str, Any]) -> tuple[int, ...]:
    """Popup reminder minutes when the event overrides the defaults; else ()."""
    reminders = _mapping(item.get("reminders"))
    if reminders.get("useDefault", True):
        return ()
    return tuple(
        o["minutes"]
        for o in _list(reminders.get("overrides"))
        if _is_map(o)
        and o.get("method") == "popup"
        and isinstance(o.get("minutes"), int)
        and not isinstance(o.get("minutes"), bool)
    )


def owned_body(followup: FollowUp, zone: ZoneInfo) -> Json:
    """The fields syncd owns in a follow-up: what an update patches, and no more."""
    return {
        "summary": followup.title,
        "description": followup.description,
        "start": _event_time(followup.start, zone),
        "end": _event_time(followup.end, zone),
        "reminders": {
            "useDefault": False,
            # Always present, also empty: a patch replaces the list whole.
            "overrides": [
                {"method": "popup", "minutes": m} for m in sorted(set(followup.reminders))
            ],
        },
        "extendedProperties": {"private": markers_body(followup)},
        "transparency": "transparent",
    }


def full_body(followup: FollowUp, zone: ZoneInfo) -> Json:
    """The whole follow-up as inserted (with its id), or as a deleted one is revived."""
    return {"id": followup.id, **owned_body(followup, zone), "status": "confirmed"}


def rfc3339(moment: dt.datetime) -> str:
    """An aware datetime as RFC 3339 with its offset (``Z`` for UTC)."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _event_time(moment: dt.datetime, zone: ZoneInfo) -> Json:
    return {"dateTime": rfc3339(moment.astimezone(zone)), "timeZone": zone.key}


def markers_body(followup: FollowUp) -> dict[str, str]:
    """The follow-up's markers as ``extendedProperties.private`` entries."""
    m = followup.markers
    values = (str(m.kind), m.interview, m.calendar, m.fingerprint)
    return dict(zip(MARKER_KEYS, values, strict=True))


def _person(person: Mapping[str, Any], me: frozenset[str]) -> Attendee:
    email = _str(person.get("email")).lower()
    return Attendee(
        email=email,
        name=_str(person.get("displayName")),
        response=RESPONSES.get(_str(person.get("responseStatus")), ""),
        is_self=bool(person.get("self")) or email in me,
    )


def _zone(name: str | None) -> dt.tzinfo:
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe", a folder
        return dt.UTC


def _conference(item: Mapping[str, Any]) -> bool:
    """Whether the event has a video call: a Meet link, or conference data with an
    entry point (as Google writes it; anything else in its place says nothing)."""
    link = item.get("hangoutLink")
    points = _mapping(item.get("conferenceData")).get("entryPoints")
    return (isinstance(link, str) and bool(link)) or any(
        _is_map(p) and isinstance(p.get("uri"), str) and p.get("uri") for p in _list(points)
    )
