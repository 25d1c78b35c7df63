"""Graph event JSON <-> the neutral model.

Reading: an event as calendarView and its delta give it (times in UTC, the body
as text: the ``Prefer`` headers of ``graph.PREFER``) becomes a ``CalendarEvent``:
an occurrence or exception keeps its own id and names its series
(``seriesMasterId``); Teams or Skype meetings (``isOnlineMeeting``,
``onlineMeeting.joinUrl``, ``onlineMeetingProvider``) make it remote; the user's
own answer (``responseStatus``) stands as an attendee of their own;
``isCancelled`` cancels it.

Writing: Graph chooses event ids, so a follow-up's identity lives in syncd's own
extended properties (namespace ``NAMESPACE``): ``ID_PROPERTY`` holds the
follow-up id (what ``get`` filters on), ``MARKERS_PROPERTY`` the markers and the
reminders syncd asked for as JSON. The ``transactionId`` of the create names the
follow-up too: it is what makes an event stand at a follow-up's slot (only the app
that creates an event through Graph sets one, Outlook's own apps none, and no one
can change it), and what makes
Graph answer a retried create with the event it made, not a second one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

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

# syncd's own property set (a GUID of its own, never a Microsoft one).
NAMESPACE = "{6f0b5c1e-2d4a-4c3b-9a7e-5e8d1f2a3b4c}"
ID_PROPERTY = f"String {NAMESPACE} Name X-Syncd-Id"
MARKERS_PROPERTY = f"String {NAMESPACE} Name X-Syncd-Markers"
# $expand of both (a listing or a get must ask for them: Graph sends them on no other way).
EXPAND = (
    f"singleValueExtendedProperties($filter=id eq '{ID_PROPERTY}' or id eq '{MARKERS_PROPERTY}')"
)
# A transactionId syncd sets: the follow-up id, a dot, when it was first sent (unique per
# create: Graph refuses one used before by another create).
_TRANSACTION = re.compile(r"([0-9a-f]{32})\.[0-9a-z]{1,16}")

RESPONSES = {
    "accepted": "accepted",
    "declined": "declined",
    "tentativelyAccepted": "tentative",
    "notResponded": "needs-action",
    "none": "",
    "organizer": "",
}
ONLINE_PROVIDERS = frozenset({"teamsForBusiness", "skypeForBusiness", "skypeForConsumer"})

Json = dict[str, Any]


def transaction_id(followup: FollowUp, stamp: int) -> str:
    """The transactionId of one create of ``followup`` (``stamp``: when, in ms)."""
    return f"{followup.id}.{_base36(stamp)}"


def slot_of(item: Mapping[str, Any]) -> str:
    """The follow-up id an event's place stands for: the one its transactionId names, "" when
    syncd did not create it."""
    found = _TRANSACTION.fullmatch(_str(item.get("transactionId")))
    return found.group(1) if found and is_followup_id(found.group(1)) else ""


def properties_of(item: Mapping[str, Any]) -> dict[str, str]:
    """syncd's extended properties of an event read with ``EXPAND``: id -> value."""
    found = {}
    for entry in _list(item.get("singleValueExtendedProperties")):
        if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
            found[_str(entry.get("id"))] = entry["value"]
    return found


def markers_of(properties: Mapping[str, str]) -> tuple[Markers | None, tuple[int, ...]]:
    """syncd's markers and the reminders it asked for, from the properties; (None, ())
    when they are not all there."""
    try:
        data = json.loads(properties.get(MARKERS_PROPERTY, ""))
        markers = Markers(
            FollowUpKind(data["kind"]), data["interview"], data["calendar"], data["fingerprint"]
        )
        asked = tuple(int(m) for m in data.get("reminders", ()))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, ()
    if not all(
        isinstance(v, str) and v for v in (markers.interview, markers.calendar, markers.fingerprint)
    ):
        return None, ()
    return markers, asked


def event_of(
    item: Mapping[str, Any],
    calendar: str,
    me: frozenset[str],
    properties: Mapping[str, str] | None = None,
) -> CalendarEvent:
    """The neutral event of a Graph event read from ``calendar`` (``properties``: syncd's
    extended properties, when they were read with it).

    Graph holds one reminder: when syncd's markers say which reminders syncd asked
    for and the event still has the first of them, those are its reminders (so
    that its content still matches what syncd wrote); else the one it has. Raises
    ValueError, saying why, when the item has no id or its times cannot be read.
    """
    key = item.get("id")
    if not isinstance(key, str) or not key:
        raise ValueError("no id")
    all_day = item.get("isAllDay") is True
    start, end = _when(item, "start", all_day), _when(item, "end", all_day)
    markers, asked = markers_of(properties or {})
    has = _reminder(item)
    reminders = asked if markers is not None and asked and has == asked[:1] else has
    own = RESPONSES.get(_str(_mapping(item.get("responseStatus")).get("response")), "")
    attendees = [_attendee(a, me) for a in _list(item.get("attendees")) if isinstance(a, Mapping)]
    if own:  # the user's own answer, which Graph gives apart from the attendees
        attendees.append(Attendee(email=next(iter(sorted(me)), ""), response=own, is_self=True))
    organizer = _mapping(_mapping(item.get("organizer")).get("emailAddress"))
    online = _mapping(item.get("onlineMeeting"))
    return CalendarEvent(
        id=key,
        calendar=calendar,
        title=_text(item.get("subject"), limits.TITLE_CHARS + 1),
        start=start,
        end=end,
        description=_text(_mapping(item.get("body")).get("content"), limits.DESCRIPTION_CHARS + 1),
        location=_text(
            _mapping(item.get("location")).get("displayName"), limits.DESCRIPTION_CHARS + 1
        ),
        status="cancelled" if item.get("isCancelled") is True else "confirmed",
        attendees=tuple(attendees),
        organizer=_person(organizer, me) if organizer else None,
        conference=bool(
            item.get("isOnlineMeeting") is True
            or _str(online.get("joinUrl"))
            or _str(item.get("onlineMeetingUrl"))
            or _str(item.get("onlineMeetingProvider")) in ONLINE_PROVIDERS
        ),
        etag=etag_of(item),
        resource=key,
        markers=markers,
        reminders=reminders,
        series=_str(item.get("seriesMasterId")),
        slot=slot_of(item),
    )


def etag_of(item: Mapping[str, Any]) -> str:
    """The event's etag (``@odata.etag``), else one made of its ``changeKey``; "" if neither."""
    etag = _str(item.get("@odata.etag"))
    if etag:
        return etag
    change = _str(item.get("changeKey"))
    return f'W/"{change}"' if change else ""


def owned_body(followup: FollowUp) -> Json:
    """The fields syncd owns in a follow-up: what an update patches, and no more. Graph
    holds one reminder: the first one configured."""
    m = followup.markers
    markers = {
        "kind": str(m.kind),
        "interview": m.interview,
        "calendar": m.calendar,
        "fingerprint": m.fingerprint,
        "reminders": list(followup.reminders),
    }
    return {
        "subject": followup.title,
        "body": {"contentType": "text", "content": followup.description},
        "start": _event_time(followup.start),
        "end": _event_time(followup.end),
        "isReminderOn": bool(followup.reminders),
        "reminderMinutesBeforeStart": followup.reminders[0] if followup.reminders else 0,
        "showAs": "free",  # follow-ups never block the user's free/busy
        "singleValueExtendedProperties": [
            {"id": ID_PROPERTY, "value": followup.id},
            {"id": MARKERS_PROPERTY, "value": json.dumps(markers, separators=(",", ":"))},
        ],
    }


def full_body(followup: FollowUp, stamp: int) -> Json:
    """The whole follow-up as created, with its transactionId."""
    return {**owned_body(followup), "transactionId": transaction_id(followup, stamp)}


def graph_time(moment: dt.datetime) -> str:
    """An aware datetime as Graph's query parameters take it: UTC, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_time(moment: dt.datetime) -> Json:
    return {"dateTime": moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _when(item: Mapping[str, Any], field: str, all_day: bool) -> When:
    """A dateTimeTimeZone: in UTC (as asked for), or with the offset it states; an all-day
    event's date. Raises ValueError when it cannot be read."""
    value = _mapping(item.get(field))
    text = _str(value.get("dateTime"))
    zone = _str(value.get("timeZone")) or "UTC"
    try:
        head, _, fraction = text.partition(".")
        moment = dt.datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    except ValueError:
        raise ValueError(f"unreadable {field}") from None
    if not limits.in_years(moment):
        raise ValueError(f"unreadable {field}")
    if all_day:
        return moment.date()
    if moment.tzinfo is None:
        if zone.upper() not in ("UTC", "ETC/UTC", "Z"):  # syncd asked for UTC
            raise ValueError(f"unreadable {field} (time zone {limits.shown(zone, 40)!r})")
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _reminder(item: Mapping[str, Any]) -> tuple[int, ...]:
    minutes = item.get("reminderMinutesBeforeStart")
    if (
        item.get("isReminderOn") is not True
        or not isinstance(minutes, int)
        or isinstance(minutes, bool)
    ):
        return ()
    return (minutes,)


def _attendee(entry: Mapping[str, Any], me: frozenset[str]) -> Attendee:
    person = _person(_mapping(entry.get("emailAddress")), me)
    response = RESPONSES.get(_str(_mapping(entry.get("status")).get("response")), "")
    return Attendee(person.email, person.name, response, person.is_self)


def _person(address: Mapping[str, Any], me: frozenset[str]) -> Attendee:
    email = _str(address.get("address")).lower()
    return Attendee(email=email, name=_str(address.get("name")), is_self=email in me)


def _text(value: object, chars: int) -> str:
    return value[:chars] if isinstance(value, str) else ""


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
