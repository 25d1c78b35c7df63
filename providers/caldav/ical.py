"""iCalendar <-> the neutral model: read one CalDAV object, write one follow-up.

No network here. ``parse_object`` turns a stored object (one UID: a master and
its RECURRENCE-ID overrides) into ``CalendarEvent`` values, series expanded;
``render_followup`` writes the object syncd stores for a follow-up;
``Prefilter`` cheaply skips objects that cannot matter before any parsing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from icalendar.prop import vDuration

from providers.caldav.zones import make_aware, own_zones, standardise
from syncd.config import DetectConfig
from syncd.model import Attendee, CalendarEvent, FollowUp, FollowUpKind, Markers
from syncd.titles import fold

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
_UTC_KEYS = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Zulu", "Zulu", "Etc/GMT", "GMT"}
_FOLD = re.compile(r"\r?\n[ \t]")
_SUMMARY = re.compile(r'^SUMMARY(?:;(?:[^:;"\r\n]|"[^"\r\n]*")*)*:(.*?)\r?$', re.M | re.I)
_ESCAPE = re.compile(r"\\([\\;,nN])")
_SLOT = re.compile(r"(?:^|/)([0-9a-f]{32})\.ics$")  # where syncd writes a follow-up


class ObjectError(ValueError):
    """A stored object that is not iCalendar at all; the message names the resource."""


def followup_uid(followup_id: str) -> str:
    """The CalDAV UID of a follow-up: ``<id>@syncd``."""
    return f"{followup_id}{UID_SUFFIX}"


def followup_href_name(followup_id: str) -> str:
    """The resource name a follow-up is stored under: ``<id>.ics``."""
    return f"{followup_id}.ics"


def unfold(text: str) -> str:
    """The text with RFC 5545 line folds (CRLF or LF, then a space or tab) removed."""
    return _FOLD.sub("", text)


def unescape(text: str) -> str:
    """A TEXT value with its backslash escapes resolved."""
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


class Prefilter:
    """A cheap test on one object's raw text: could it be an interview or a follow-up?

    It may say yes to objects that are neither (the caller parses and decides);
    it never says no to one that the detection rules or the markers would match.
    """

    def __init__(self, detect: DetectConfig) -> None:
        # Folded as detection folds titles; a keyword of several words is looked
        # for word by word, as detection lets any run of spaces stand between them.
        needles = {
            fold(word) for kw in (*detect.keywords, *detect.categories) for word in kw.split()
        }
        # Writers escape "," ";" "\" in TEXT, or not: look for both spellings.
        needles |= {re.sub(r"([\\;,])", r"\\\1", word) for word in needles}
        needles.add(fold(MARKER_PREFIX))
        self._needles = tuple(sorted(word for word in needles if word))
        self._patterns = tuple(re.compile(p, re.IGNORECASE) for p in detect.patterns)

    def may_match(self, raw: str | bytes) -> bool:
        """True unless the object certainly is neither an interview nor a follow-up."""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        text = unfold(text)
        folded = fold(text)
        if any(needle in folded for needle in self._needles):
            return True
        if self._patterns:
            for match in _SUMMARY.finditer(text):
                title = unescape(match.group(1))
                if any(pattern.search(title) for pattern in self._patterns):
                    return True
        return False


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
) -> list[CalendarEvent]:
    """The events of one stored object; a series gives its instances in [start, end).

    A single event is returned whatever its time. Timed values come back aware
    in ``tz``; floating times and TZIDs nobody can resolve are read in ``tz``
    (the latter with one warning). A VEVENT that cannot be read is skipped with
    a warning. Raises ObjectError when the text is not iCalendar at all.
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    cal, problem = standardise(_parse_calendar(text, resource))
    if problem:
        log.warning("%s: %s", resource, problem)
    zones = own_zones(cal)
    readable: list[icalendar.Component] = []
    unresolved: dict[str, str] = {}  # TZID -> the first event using it
    for vevent in [c for c in cal.subcomponents if c.name == "VEVENT"]:
        why = _broken(vevent)
        if why:
            log.warning("%s: skipping unreadable VEVENT %s: %s", resource, _describe(vevent), why)
            continue
        for name in _SINGLE:  # some writers repeat them; the first one counts
            if isinstance(vevent.get(name), list):
                vevent[name] = _first(vevent, name)
        for tzid in make_aware(vevent, zones, tz):
            unresolved.setdefault(tzid, _describe(vevent))
        readable.append(vevent)
    for tzid, event in unresolved.items():
        log.warning("%s: VEVENT %s: unknown TZID %r, read in %s", resource, event, tzid, tz)
    components = readable
    if any(_is_master(c) and ("RRULE" in c or "RDATE" in c) for c in readable):
        cal.subcomponents = [c for c in cal.subcomponents if c.name != "VEVENT"] + readable
        try:
            components = list(recurring_ical_events.of(cal).between(start, end))
        except Exception as error:  # untrusted input: the library fails in many ways
            log.warning("%s: cannot expand series %s: %s", resource, _describe(readable[0]), error)
            return []
    me_set = {address.casefold() for address in me}
    events = []
    for c in components:
        try:
            events.append(_to_event(c, calendar, resource, etag, tz, me_set))
        except Exception as error:  # a value no check above foresaw: lose this one only
            log.warning("%s: skipping unreadable VEVENT %s: %s", resource, _describe(c), error)
    return events


def _parse_calendar(text: str, resource: str) -> icalendar.Calendar:
    try:
        return _from_ical(text)
    except Exception as error:  # icalendar raises more than ValueError on bad input
        return _salvage(text, resource, error)


def _from_ical(text: str) -> icalendar.Calendar:
    parsed = icalendar.Calendar.from_ical(text)
    if parsed.name == "VCALENDAR":
        return parsed
    if parsed.name == "VEVENT":  # a bare VEVENT: be lenient
        cal = icalendar.Calendar()
        cal.add_component(parsed)
        return cal
    raise ValueError(f"{parsed.name} is not a VCALENDAR")


def _salvage(text: str, resource: str, error: Exception) -> icalendar.Calendar:
    """Parse what can be parsed: each VEVENT on its own, without its alarms if need be.

    icalendar tolerates bad values only inside VEVENT; a bad VALARM, VTIMEZONE or
    calendar property fails the whole text.
    """
    text = unfold(text)
    header = "".join(
        m.group(0) + "\r\n" for m in re.finditer(r"^X-WR-TIMEZONE[;:].*?(?=\r?$)", text, re.M)
    )
    header = header if _parses(_wrap(header, [])) else ""
    zones = [z for z in _blocks(text, "VTIMEZONE") if _parses(_wrap(header, [z]))]
    events = _blocks(text, "VEVENT")
    if not events:
        raise ObjectError(f"{resource}: not a readable iCalendar object: {error}") from error
    kept: list[str] = []
    for block in events:
        uid = re.search(r"^UID[;:](.*?)\r?$", block, re.M)
        name = repr(uid.group(1)) if uid else "without UID"
        without_alarms = re.sub(r"^BEGIN:VALARM.*?^END:VALARM\r?\n", "", block, flags=re.M | re.S)
        if _parses(_wrap(header, [*zones, block])):
            kept.append(block)
        elif _parses(_wrap(header, [*zones, without_alarms])):
            log.warning("%s: VEVENT %s: unreadable alarms ignored", resource, name)
            kept.append(without_alarms)
        else:
            log.warning("%s: skipping unreadable VEVENT %s", resource, name)
    try:
        return _from_ical(_wrap(header, [*zones, *kept]))
    except Exception as again:
        raise ObjectError(f"{resource}: not a readable iCalendar object: {again}") from again


def _blocks(text: str, name: str) -> list[str]:
    pattern = rf"^BEGIN:{name}\r?\n.*?^END:{name}\r?(?:\n|\Z)"
    return [m.group(0) for m in re.finditer(pattern, text, re.M | re.S | re.I)]


def _wrap(header: str, blocks: list[str]) -> str:
    body = "".join(b if b.endswith("\n") else b + "\r\n" for b in blocks)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:{PRODID}\r\n{header}{body}END:VCALENDAR\r\n"


def _parses(text: str) -> bool:
    try:
        _from_ical(text)
    except Exception:
        return False
    return True


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
    text = f"{_text(vevent.get('UID')).strip()!r} ({_text(vevent.get('SUMMARY'))!r})"
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
        title=_text(c.get("SUMMARY")),
        start=start.astimezone(tz) if isinstance(start, dt.datetime) else start,
        end=end.astimezone(tz) if isinstance(end, dt.datetime) else end,
        recurrence_id="" if recurrence is None else _recurrence_text(recurrence),
        description=_text(c.get("DESCRIPTION")),
        location=_text(c.get("LOCATION")),
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
        series="" if recurrence is None else resource,
        slot=slot.group(1) if (slot := _SLOT.search(resource)) else "",
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


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value)


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


class _Trigger(vDuration):
    """A TRIGGER written the way SPEC section 6 says: ``-PT{n}M`` (``PT0M`` for 0)."""

    def to_ical(self) -> bytes:
        minutes = int(-self.td.total_seconds()) // 60
        return f"-PT{minutes}M".encode() if minutes else b"PT0M"


def render_followup(
    followup: FollowUp, tz: ZoneInfo, *, dtstamp: dt.datetime | None = None
) -> bytes:
    """The iCalendar object syncd stores for a follow-up (deterministic given ``dtstamp``).

    Times are written in ``tz`` with a VTIMEZONE covering a few weeks before to a
    year after the event (UTC: no VTIMEZONE). The event is TRANSPARENT: a
    follow-up is a reminder to act, it must not mark the user busy.
    """
    zone: dt.tzinfo = dt.UTC if str(tz) in _UTC_KEYS or tz is dt.UTC else tz
    event = icalendar.Event()
    event.add("UID", followup_uid(followup.id))
    event.add("DTSTAMP", (dtstamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
    event.add("DTSTART", followup.start.astimezone(zone))
    event.add("DTEND", followup.end.astimezone(zone))
    event.add("SUMMARY", followup.title)
    event.add("DESCRIPTION", followup.description)
    event.add("STATUS", "CONFIRMED")
    event.add("TRANSP", "TRANSPARENT")
    markers = followup.markers
    for name, value in (
        ("KIND", str(markers.kind)),
        ("INTERVIEW", markers.interview),
        ("CALENDAR", markers.calendar),
        ("FINGERPRINT", markers.fingerprint),
    ):
        event.add(MARKER_PREFIX + name, icalendar.vText(value))
    for minutes in sorted(set(followup.reminders)):
        alarm = icalendar.Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", followup.title)
        alarm.add("TRIGGER", _Trigger(dt.timedelta(minutes=-minutes)), encode=False)
        event.add_component(alarm)
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add_component(event)
    if zone is not dt.UTC:
        cal.add_missing_timezones(
            first_date=followup.start.date() - dt.timedelta(days=31),
            last_date=followup.end.date() + dt.timedelta(days=366),
        )
    return cal.to_ical()
