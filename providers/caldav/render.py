"""The iCalendar object syncd stores for a follow-up: ``render_followup``.

Deterministic given ``dtstamp``; what it writes is read back by
``providers.caldav.ical.parse_object`` (its markers, its reminders).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import vDuration

from providers.caldav.ical import MARKER_PREFIX, PRODID, UTC_KEYS, followup_uid
from syncd.model import FollowUp


class _Trigger(vDuration):
    """A TRIGGER written as docs/behaviour.md says: ``-PT{n}M`` (``PT0M`` for 0)."""

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
    zone: dt.tzinfo = dt.UTC if str(tz) in UTC_KEYS or tz is dt.UTC else tz
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
