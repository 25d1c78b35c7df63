"""Hostile iCalendar objects: what an invitation from anyone may hold, built around a time.

Each function returns the bytes of one stored object whose events are titled as
interviews (so syncd reads them); the unit tests parse them, the end-to-end
tests put them straight into real servers. docs/reliability.md lists what syncd
does with each.
"""

from __future__ import annotations

import datetime as dt

HOSTILE_ZONE = "Hostile Zone"  # no IANA, Windows or Outlook name: only its VTIMEZONE says


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def wrap(*blocks: str) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
    return (head + "".join(blocks) + "END:VCALENDAR\r\n").encode()


def vevent(uid: str, start: dt.datetime, end: dt.datetime, title: str, *lines: str) -> str:
    props = [f"UID:{uid}", "DTSTAMP:20260101T000000Z", f"DTSTART:{utc(start)}",
             f"DTEND:{utc(end)}", f"SUMMARY:{title}", *lines]  # fmt: skip
    return "BEGIN:VEVENT\r\n" + "".join(f"{p}\r\n" for p in props) + "END:VEVENT\r\n"


def fold(line: str) -> str:
    """A long content line folded at 72 characters, as RFC 5545 asks."""
    return "\r\n ".join(line[i : i + 72] for i in range(0, len(line), 72))


def repeating(first: dt.datetime, rule: str, title: str = "Interview with Flood") -> bytes:
    """One series of half-hour events from ``first`` by ``rule`` (an RRULE value)."""
    return wrap(vevent("flood@hostile", first, first + dt.timedelta(minutes=30), title,
                       f"RRULE:{rule}"))  # fmt: skip


def minutely(first: dt.datetime) -> bytes:
    """Every minute, for ever: 330,000 instances in syncd's default window."""
    return repeating(first, "FREQ=MINUTELY")


def secondly(first: dt.datetime) -> bytes:
    """Every second, for ever: 20 million instances in the window."""
    return repeating(first, "FREQ=SECONDLY")


def byxxx_million(first: dt.datetime) -> bytes:
    """BYxxx lists multiplying to every second of every day: 86,400 instances a day."""
    every = ",".join(map(str, range(60)))
    hours = ",".join(map(str, range(24)))
    return repeating(first, f"FREQ=DAILY;BYHOUR={hours};BYMINUTE={every};BYSECOND={every}")


def never_again(first: dt.datetime) -> bytes:
    """A rule no second ever matches: dateutil steps through every second, for ever."""
    return repeating(first, "FREQ=SECONDLY;BYSETPOS=2")


def rdates(first: dt.datetime, count: int = 50_000) -> bytes:
    """``count`` RDATEs five minutes apart (50,000 span 174 days)."""
    values = ",".join(utc(first + dt.timedelta(minutes=5 * n)) for n in range(count))
    return wrap(vevent("rdates@hostile", first, first + dt.timedelta(minutes=30),
                       "Interview with Rdates", fold(f"RDATE:{values}")))  # fmt: skip


def zone_every_second(onset: dt.datetime, rule: str = "FREQ=SECONDLY") -> str:
    """A VTIMEZONE whose daylight time starts again every second from ``onset`` (naive,
    local): dateutil walks those onsets on every conversion of a time in it."""
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{HOSTILE_ZONE}\r\n"
        "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        f"BEGIN:DAYLIGHT\r\nDTSTART:{onset:%Y%m%dT%H%M%S}\r\nTZOFFSETFROM:+0100\r\n"
        f"TZOFFSETTO:+0200\r\nRRULE:{rule}\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
    )


def in_hostile_zone(start: dt.datetime, rule: str = "FREQ=SECONDLY") -> bytes:
    """An interview at ``start`` (naive, local) in a zone whose rule repeats every second
    since 1970 (``rule``: the daylight part's RRULE)."""
    end = start + dt.timedelta(hours=1)
    event = (
        "BEGIN:VEVENT\r\nUID:zone@hostile\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID={HOSTILE_ZONE}:{start:%Y%m%dT%H%M%S}\r\n"
        f"DTEND;TZID={HOSTILE_ZONE}:{end:%Y%m%dT%H%M%S}\r\n"
        "SUMMARY:Interview with Zone\r\nEND:VEVENT\r\n"
    )
    return wrap(zone_every_second(dt.datetime(1970, 3, 29, 2), rule), event)


def decision(start: dt.datetime, said: str = "9999-12-31") -> bytes:
    """An interview whose description says ``decision: <said>``."""
    return wrap(vevent("decision@hostile", start, start + dt.timedelta(hours=1),
                       "Interview with Farfuture", f"DESCRIPTION:decision: {said}"))  # fmt: skip


def edge_years() -> bytes:
    """Interviews in the years 0001 and 9999, and one spanning them."""
    first, last = dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, 22, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    return wrap(
        vevent("year1@hostile", first, first + hour, "Interview with Year One"),
        vevent("year9999@hostile", last, last + hour, "Interview with Year 9999"),
        vevent("span@hostile", first, last, "Interview with Forever"),
    )
