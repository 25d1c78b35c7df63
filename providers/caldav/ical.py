"""iCalendar <-> the neutral model: read one CalDAV object, write one follow-up.

No network here. ``parse_object`` turns a stored object (one UID: a master and
its RECURRENCE-ID overrides) into ``CalendarEvent`` values, series expanded;
``render_followup`` (``providers.caldav.render``) writes the object syncd stores
for a follow-up;
``may_matter`` cheaply skips objects that cannot matter before any parsing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from providers.caldav import datelists, recurrence
from providers.caldav.budget import cpu_budget
from providers.caldav.salvage import ObjectError as ObjectError
from providers.caldav.salvage import read_calendar, unfold
from providers.caldav.zones import make_aware, own_zones, standardise
from syncd import limits
from syncd.model import (
    Attendee,
    CalendarEvent,
    FollowUpKind,
    Markers,
    ReadScope,
    is_followup_id,
)

log = logging.getLogger(__name__)

UID_SUFFIX = "@syncd"
PRODID = "-//syncd//syncd//EN"
MARKER_PREFIX = "X-SYNCD-"
# Properties that say the event has a video call attached (Google, RFC 7986, Teams).
CONFERENCE_PROPS = (
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
)
# Before DTEND, DURATION or RRULE are read, these must have parsed.
_VITAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
_SINGLE = ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "STATUS")
UTC_KEYS = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Etc/GMT", "GMT"}
_SUMMARY = re.compile(r'^SUMMARY(?:;(?:[^:;"\r\n]|"[^"\r\n]*")*)*:(.*?)\r?$', re.M | re.I)
_ESCAPE = re.compile(r"\\([\\;,nN])")
_MARKER = re.compile(re.escape(MARKER_PREFIX), re.I)


def followup_uid(followup_id: str) -> str:
    """The CalDAV UID of a follow-up: ``<id>@syncd``."""
    return f"{followup_id}{UID_SUFFIX}"


def followup_href_name(followup_id: str) -> str:
    """The resource name a follow-up is stored under: ``<id>.ics``."""
    return f"{followup_id}.ics"


def slot_of(name: str) -> str:
    """The follow-up identity an object name stands for (``<id>.ics``), else ""."""
    stem = name.removesuffix(".ics")
    return stem if stem != name and is_followup_id(stem) else ""


def unescape(text: str) -> str:
    """A TEXT value with its backslash escapes resolved."""
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def may_matter(raw: str | bytes, scope: ReadScope) -> bool:
    """False only when the object certainly is neither an interview nor a follow-up.

    The core's interest test (``scope.may_matter``) on the unfolded text and its
    titles, or syncd's own markers (``X-SYNCD-``) anywhere in it. Cheap: no parsing.
    """
    text = unfold(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)
    if _MARKER.search(text):
        return True
    titles = [unescape(m.group(1)) for m in _SUMMARY.finditer(text)] if scope.patterns else []
    return scope.may_matter(text, titles)


def parse_object(
    raw: bytes | str,
    *,
    calendar: str,
    resource: str,
    etag: str,
    tz: ZoneInfo,
    me: tuple[str, ...],
    start: dt.datetime,
    end: dt.datetime,
    slot: str = "",
) -> list[CalendarEvent]:
    """The events of one stored object; a series gives its instances in [start, end).

    A single event is returned whatever its time. The events of a series (an
    RRULE or RDATE, or instances named by RECURRENCE-ID) carry ``series`` =
    ``resource``; every event carries ``slot``, the follow-up identity its place
    stands for (the caller knows where follow-ups are written). Timed values come back aware
    in ``tz``; floating times and TZIDs nobody can resolve are read in ``tz``
    (the latter with one warning). A VEVENT that cannot be read is skipped with
    a warning. Bounded (syncd.limits): a series gives at most INSTANCES_PER_SERIES
    instances, plus one when it has more (the core says so); titles and
    descriptions are read one character past their limits (the core cuts them
    and says so); an object that takes more than OBJECT_SECONDS of CPU to read
    gives nothing, with one warning. Raises ObjectError when the text is not
    iCalendar at all, or has more than OBJECT_LINES lines.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text, left_out = datelists.bounded(unfold(text), start, end)
    if left_out:  # past the series' first instances: the core says so, if it matters
        log.debug("%s: %d RDATE and EXDATE values left out", resource, left_out)
    lines = text.count("\n")
    if lines > limits.OBJECT_LINES:  # parsing alone would take seconds
        raise ObjectError(
            f"{limits.shown(resource, 200)}: {lines:,} lines, more than the"
            f" {limits.OBJECT_LINES:,} syncd reads of one object"
        )
    parsed = read_calendar(text, resource)
    readable: list[icalendar.Component] = []
    # What can run away (dateutil's zones and rules) runs within a CPU budget.
    with cpu_budget(limits.OBJECT_SECONDS) as budget:
        cal = _readable(parsed, resource, tz, readable)
        components = readable
        if any(_is_master(c) and ("RRULE" in c or "RDATE" in c) for c in readable):
            components = _expanded(cal, readable, resource, start, end)
    if budget.over:
        log.warning(
            "%s: skipped: reading it took more than %g s of CPU (a recurrence rule or a"
            " time zone that cannot be expanded at a bounded cost)",
            resource,
            limits.OBJECT_SECONDS,
        )
        return []
    series = (
        resource if any(not _is_master(c) or "RRULE" in c or "RDATE" in c for c in readable) else ""
    )
    me_set = {address.casefold() for address in me}
    events = []
    for c in components:
        try:
            read = _to_event(c, calendar, resource, etag, tz, me_set)
            events.append(dataclasses.replace(read, series=series, slot=slot))
        except Exception as error:  # a value no check above foresaw: lose this one only
            log.warning("%s: skipping unreadable VEVENT %s: %s", resource, _describe(c), error)
    return events


def _readable(
    parsed: icalendar.Calendar, resource: str, tz: ZoneInfo, readable: list[icalendar.Component]
) -> icalendar.Calendar:
    """The calendar with X-WR-TIMEZONE applied; its VEVENTs that can be read go to
    ``readable``, every time in them aware (one warning per TZID that fell back)."""
    cal, problem = standardise(parsed)
    if problem:
        log.warning("%s: %s", resource, problem)
    zones = own_zones(cal)
    unresolved: dict[str, tuple[str, str]] = {}  # TZID -> (why, the first event using it)
    for vevent in [c for c in cal.subcomponents if c.name == "VEVENT"]:
        why = _broken(vevent)
        if why:
            log.warning("%s: skipping unreadable VEVENT %s: %s", resource, _describe(vevent), why)
            continue
        for name in _SINGLE:  # some writers repeat them; the first one counts
            if isinstance(vevent.get(name), list):
                vevent[name] = _first(vevent, name)
        for tzid, reason in make_aware(vevent, zones, tz).items():
            unresolved.setdefault(tzid, (reason, _describe(vevent)))
        readable.append(vevent)
    for tzid, (reason, event) in unresolved.items():
        shown = limits.shown(tzid, 80)  # anyone's text: a TZID can be 10 KB of escapes
        log.warning("%s: VEVENT %s: %s %r, read in %s", resource, event, reason, shown, tz)
    return cal


def _expanded(
    cal: icalendar.Calendar,
    readable: list[icalendar.Component],
    resource: str,
    start: dt.datetime,
    end: dt.datetime,
) -> list[icalendar.Component]:
    """The instances of the object's series in [start, end) (recurrence.instances); none,
    with one warning, when the series cannot be expanded."""
    cal.subcomponents = [c for c in cal.subcomponents if c.name != "VEVENT"] + readable
    try:
        return recurrence.instances(cal, start, end, limits.INSTANCES_PER_SERIES)
    except Exception as error:  # untrusted input: the library fails in many ways
        log.warning("%s: cannot expand series %s: %s", resource, _describe(readable[0]), error)
        return []


def _broken(vevent: icalendar.Component) -> str:
    """Why the VEVENT cannot be used, or "" when it can."""
    for name, message in vevent.errors:
        if name in _VITAL:
            return f"bad {name}: {message}"
    if "DTSTART" not in vevent:
        return "no DTSTART"
    try:
        values = [v.dt for n in _VITAL - {"RRULE"} for p in _all(vevent, n) for v in _dts(p)]
    except Exception as error:
        return f"bad value: {error}"
    if not all(isinstance(v, dt.date | dt.timedelta | tuple) for v in values):
        return "bad date or time value"
    if not isinstance(_value(vevent, "DTSTART"), dt.date):
        return "bad DTSTART"
    return ""


def _dts(prop: Any) -> list[Any]:
    return list(prop.dts) if isinstance(prop, icalendar.vDDDLists) else [prop]


def _describe(vevent: icalendar.Component) -> str:
    uid, summary = _text(vevent.get("UID"), 200).strip(), _text(vevent.get("SUMMARY"), 200)
    text = f"{limits.shown(uid, 80)!r} ({limits.shown(summary)!r})"
    if "RECURRENCE-ID" in vevent:
        with contextlib.suppress(Exception):  # unreadable: name the event without it
            text += f" RECURRENCE-ID {_recurrence_text(_value(vevent, 'RECURRENCE-ID'))}"
    return text


def _is_master(vevent: icalendar.Component) -> bool:
    return "RECURRENCE-ID" not in vevent


def _to_event(
    c: icalendar.Component,
    calendar: str,
    resource: str,
    etag: str,
    tz: ZoneInfo,
    me: set[str],
) -> CalendarEvent:
    start, end = _span(c)
    recurrence = _value(c, "RECURRENCE-ID")
    return CalendarEvent(
        id=_text(c.get("UID")) or resource,
        calendar=calendar,
        title=_text(c.get("SUMMARY"), limits.TITLE_CHARS + 1),
        start=start.astimezone(tz) if isinstance(start, dt.datetime) else start,
        end=end.astimezone(tz) if isinstance(end, dt.datetime) else end,
        recurrence_id="" if recurrence is None else _recurrence_text(recurrence),
        description=_text(c.get("DESCRIPTION"), limits.DESCRIPTION_CHARS + 1),
        location=_text(c.get("LOCATION"), limits.DESCRIPTION_CHARS + 1),
        status=(_text(c.get("STATUS")) or "confirmed").lower(),
        attendees=tuple(_attendee(a, me) for a in _all(c, "ATTENDEE")),
        organizer=_attendee(_first(c, "ORGANIZER"), me) if "ORGANIZER" in c else None,
        categories=tuple(
            str(cat).strip() for prop in _all(c, "CATEGORIES") for cat in getattr(prop, "cats", [])
        ),
        conference=any(name in c for name in CONFERENCE_PROPS),
        etag=etag,
        resource=resource,
        markers=_markers(c),
        reminders=_reminders(c),
    )


def _span(c: icalendar.Component) -> tuple[dt.date, dt.date]:
    """DTSTART and the end: DTEND, else DURATION, else one day (DATE) or zero length."""
    start = _value(c, "DTSTART")
    timed = isinstance(start, dt.datetime)
    end = _value(c, "DTEND")
    if end is None and "DURATION" in c:
        end = start + _value(c, "DURATION")
    if end is None or isinstance(end, dt.datetime) != timed or end < start:
        end = start if timed else start + dt.timedelta(days=1)
    return start, end


def _value(c: icalendar.Component, name: str) -> Any:
    """The parsed value (``.dt``) of a date, time or duration property; None if absent."""
    prop = _first(c, name)
    return None if prop is None else prop.dt


def _first(c: icalendar.Component, name: str) -> Any:
    """The property, or the first of several; None if absent."""
    found = _all(c, name)
    return found[0] if found else None


def _recurrence_text(value: dt.date) -> str:
    """RECURRENCE-ID as text: UTC ``YYYYMMDDTHHMMSSZ`` when timed, ``YYYYMMDD`` for a date."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def _all(c: icalendar.Component, name: str) -> list[Any]:
    found = c.get(name)
    return [] if found is None else found if isinstance(found, list) else [found]


def _text(value: Any, chars: int | None = None) -> str:
    """A property's text; with ``chars``, its first ``chars`` characters (sliced before
    it is copied: a series shares one long value between its instances)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return ""
    return str(value[:chars] if chars is not None and isinstance(value, str) else value)


def _attendee(address: Any, me: set[str]) -> Attendee:
    value = str(address).strip()
    if value[:7].lower() == "mailto:":
        value = value[7:]
    elif "EMAIL" in address.params:  # Apple: urn:uuid:... with the address in EMAIL=
        value = str(address.params["EMAIL"])
    email = value.strip().lower()
    return Attendee(
        email=email,
        name=str(address.params.get("CN", "")),
        response=str(address.params.get("PARTSTAT", "")).lower(),
        is_self=email.casefold() in me,
    )


def _markers(c: icalendar.Component) -> Markers | None:
    # X- values come back raw (vUnknown): undo TEXT escaping, which we write.
    values = {
        name: unescape(_text(c.get(MARKER_PREFIX + name)).strip())
        for name in ("KIND", "INTERVIEW", "CALENDAR", "FINGERPRINT")
    }
    if not all(values.values()):
        return None
    try:
        kind = FollowUpKind(values["KIND"])
    except ValueError:
        return None
    return Markers(kind, values["INTERVIEW"], values["CALENDAR"], values["FINGERPRINT"])


def _reminders(c: icalendar.Component) -> tuple[int, ...]:
    """Minutes before start of the alarms that fire at or before the start."""
    minutes = set()
    for alarm in c.subcomponents:
        trigger = _first(alarm, "TRIGGER") if alarm.name == "VALARM" else None
        if trigger is None or str(alarm.get("ACTION", "")).upper() == "NONE":
            continue
        offset = getattr(trigger, "dt", None)
        related = str(trigger.params.get("RELATED", "START")).upper()
        if isinstance(offset, dt.timedelta) and related == "START" and offset <= dt.timedelta(0):
            minutes.add(int(-offset.total_seconds()) // 60)
    return tuple(sorted(minutes))
