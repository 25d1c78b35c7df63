"""Sixty-odd hostile objects a calendar may hold, for CalDAV (iCalendar) and for Google (JSON).

Each case is one object (two for duplicate UIDs) anyone could put into the user's
calendar by an invitation, or a broken client could store: broken lines, missing and
impossible times, floods, huge values, bad and path-like time zones, nested garbage,
bytes and characters that are no text, injection attempts, syncd's own markers on
someone else's event, and what real invitations were seen to break in other tools
(Outlook's empty alarm durations and attendees, Office 365's ``(no TZ description)``,
Apple's ``X-APPLE-RADIUS=`` line without a colon, Google's UNTIL given as a date, a
quote inside a quoted parameter).

A case is built for a ``Slot``: its tag (``h07``), which names it in its resource
name, its UID and its title ("Interview with H07 Ltd"), so that a warning can be
told to name it; and the start of its interview, in the window of a pass. What syncd
does with it is the case's ``expect``:

- ``PROCESSED``: read as any event is. An interview gets ``followups`` follow-ups
  (3; 52 for a series that floods the window: 50 thank-yous and two calls); with
  ``warning``, one warning naming it holds that text; without, none names it.
- ``SKIPPED``: one warning naming it, holding ``warning``; nothing written for it.

``tolerant``: it holds what an XML answer cannot carry (or is past OBJECT_BYTES), so
syncd gets past it only by reading an unreadable answer again in pieces, down to
single objects, and the one object still unreadable by a GET of its own (one past
OBJECT_BYTES is skipped with one warning); the rest of the answer is read.
tests/e2e/test_hostile_corpus.py puts every case into real Radicale and Xandikos and
into the Google fake; docs/reliability.md ("Sixty hostile objects") lists them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from hostile_objects import HOSTILE_ZONE, zone_every_second

PROCESSED, SKIPPED = "processed", "skipped"
MB = 2**20
FLOODED = 52  # the follow-ups of a flooding interview series: syncd.limits
HOUR = dt.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Slot:
    """Where a case goes: ``tag`` names it (resource ``<tag>.ics``, UID ``<tag>@hostile``,
    title "Interview with <TAG> Ltd"); ``start`` is its interview's start (aware);
    ``later`` two weeks on, where series start (their many follow-ups then come after
    every other interview's, which one pass writes first)."""

    tag: str
    start: dt.datetime

    @property
    def uid(self) -> str:
        return f"{self.tag}@hostile"

    @property
    def title(self) -> str:
        return f"Interview with {self.tag.upper()} Ltd"

    @property
    def later(self) -> dt.datetime:
        return self.start + dt.timedelta(days=14)


@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile object (or two), what it is, and what syncd does with it."""

    name: str
    what: str
    make: Callable[[Slot], Any]  # CalDAV: list of object bytes; Google: list of event dicts
    expect: str = PROCESSED
    followups: int = 3
    warning: str = ""  # a part of the one warning naming it ("" when none is expected)
    tolerant: bool = False  # read only when unreadable answers are read in pieces
    # Services that cannot store or serve it as it is: a CalDAV server there keeps a
    # harmless twin, which a proxy turns into the object; the Google fake lists it raw.
    twin_on: tuple[str, ...] = ()
    # When its interview's thank-you starts, after the slot's start (None: not checked).
    thank_you: dt.timedelta | None = 2 * HOUR
    # A defect seen and reported, not fixed yet: what goes wrong (the test expects it to).
    known: str = ""


# --- iCalendar text --------------------------------------------------------------------


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def local(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def fold(line: str) -> str:
    """A long content line folded at 72 characters, as RFC 5545 asks."""
    return "\r\n ".join(line[i : i + 72] for i in range(0, len(line), 72))


HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//corpus//EN\r\n"


def lines(slot: Slot, *extra: str, start: dt.datetime | None = None, **props: str | None) -> str:
    """A VEVENT's content lines (CRLF each): UID, DTSTAMP, DTSTART, DTEND and SUMMARY of
    the slot, each replaced by a keyword's whole line (``DTSTART="DTSTART;TZID=..."``) or
    left out (None); then ``extra``."""
    start = start or slot.start
    base: dict[str, str | None] = {
        "UID": f"UID:{slot.uid}",
        "DTSTAMP": "DTSTAMP:20260101T000000Z",
        "DTSTART": f"DTSTART:{utc(start)}",
        "DTEND": f"DTEND:{utc(start + HOUR)}",
        "SUMMARY": f"SUMMARY:{slot.title}",
    }
    base.update(props)
    return "".join(f"{line}\r\n" for line in [*base.values(), *extra] if line is not None)


def vevent(slot: Slot, *extra: str, **props: str | None) -> str:
    return f"BEGIN:VEVENT\r\n{lines(slot, *extra, **props)}END:VEVENT\r\n"


def calendar(*blocks: str, head: str = HEAD, tail: str = "END:VCALENDAR\r\n") -> list[bytes]:
    return [(head + "".join(blocks) + tail).encode()]


def one(*extra: str, **props: str | None) -> Callable[[Slot], list[bytes]]:
    """A case's maker: one object, one VEVENT with ``extra`` lines and ``props`` replaced."""
    return lambda slot: calendar(vevent(slot, *extra, **props))


def raw(text: Callable[[Slot], str | bytes]) -> Callable[[Slot], list[bytes]]:
    """A case's maker for text made whole by ``text`` (bytes kept as they are)."""

    def make(slot: Slot) -> list[bytes]:
        made = text(slot)
        return [made if isinstance(made, bytes) else made.encode()]

    return make


def series(rule: str) -> Callable[[Slot], list[bytes]]:
    """A series of half-hour interviews from the slot's ``later`` by ``rule``."""

    def make(slot: Slot) -> list[bytes]:
        first = slot.later
        end = f"DTEND:{utc(first + dt.timedelta(minutes=30))}"
        return calendar(vevent(slot, rule, DTSTART=f"DTSTART:{utc(first)}", DTEND=end))

    return make


def in_zone(tzid: str, *blocks: str) -> Callable[[Slot], list[bytes]]:
    """An interview at the slot's wall time in TZID ``tzid`` (quoted), with ``blocks``."""

    def make(slot: Slot) -> list[bytes]:
        start = f'DTSTART;TZID="{tzid}":{local(slot.start)}'
        end = f'DTEND;TZID="{tzid}":{local(slot.start + HOUR)}'
        return calendar(*blocks, vevent(slot, DTSTART=start, DTEND=end))

    return make


def london_plus_14() -> str:
    """A VTIMEZONE that calls itself Europe/London and is 14 hours ahead of UTC."""
    return (
        "BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+1400\r\nTZOFFSETTO:+1400\r\nTZNAME:LST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )


def nested(depth: int) -> Callable[[Slot], list[bytes]]:
    """The interview with ``depth`` VEVENTs nested inside it, each in the one before."""

    def make(slot: Slot) -> list[bytes]:
        inner = "".join(f"BEGIN:VEVENT\r\nUID:inner-{n}\r\n" for n in range(depth))
        inner += "END:VEVENT\r\n" * depth
        return calendar(f"BEGIN:VEVENT\r\n{lines(slot)}{inner}END:VEVENT\r\n")

    return make


def big_description(size: int, title: str | None = None) -> Callable[[Slot], list[bytes]]:
    """An event whose DESCRIPTION is ``size`` bytes, folded."""

    def make(slot: Slot) -> list[bytes]:
        text = ("An agenda pasted in. " * (size // 21 + 1))[:size]
        summary = f"SUMMARY:{title}" if title else f"SUMMARY:{slot.title}"
        return calendar(vevent(slot, fold(f"DESCRIPTION:{text}"), SUMMARY=summary))

    return make


def attendees(count: int) -> Callable[[Slot], list[bytes]]:
    def make(slot: Slot) -> list[bytes]:
        people = [
            fold(f"ATTENDEE;CN=Person {n};PARTSTAT=NEEDS-ACTION:mailto:p{n}@example.com")
            for n in range(count)
        ]
        return calendar(vevent(slot, "ORGANIZER;CN=Ann:mailto:ann@example.com", *people))

    return make


def alarms(count: int) -> Callable[[Slot], list[bytes]]:
    def make(slot: Slot) -> list[bytes]:
        alarm = (
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT{n}M\r\nEND:VALARM\r\n"
        )
        body = lines(slot) + "".join(alarm.format(n=n % 40320) for n in range(count))
        return calendar(f"BEGIN:VEVENT\r\n{body}END:VEVENT\r\n")

    return make


def two_at_once(slot: Slot) -> list[bytes]:
    """Two objects (two resources) holding one UID, at different times."""
    later = slot.start + 2 * HOUR
    return [
        calendar(vevent(slot))[0],
        calendar(vevent(slot, DTSTART=f"DTSTART:{utc(later)}", DTEND=f"DTEND:{utc(later + HOUR)}"))[
            0
        ],
    ]


def markers(interview: str, kind: str = "thank-you") -> tuple[str, ...]:
    return (
        f"X-SYNCD-KIND:{kind}",
        f"X-SYNCD-INTERVIEW:{interview}",
        "X-SYNCD-CALENDAR:/somewhere/else/",
        "X-SYNCD-FINGERPRINT:0123456789abcdef",
    )


def title_with(part: str) -> Callable[[Slot], list[bytes]]:
    """The interview with ``part`` at the end of its title (escapes are the case's own)."""
    return lambda slot: calendar(vevent(slot, SUMMARY=f"SUMMARY:{slot.title} {part}"))


def title_bytes(part: bytes) -> Callable[[Slot], list[bytes]]:
    """The interview with the bytes ``part`` at the end of its title, as they are."""

    def make(slot: Slot) -> list[bytes]:
        [data] = calendar(vevent(slot, SUMMARY=f"SUMMARY:{slot.title} @@PART@@"))
        return [data.replace(b"@@PART@@", part)]

    return make


def numbers(values: range) -> str:
    return ",".join(map(str, values))


# BYxxx lists that multiply: every second of every day, every minute of every month day.
EVERY_SECOND = (
    f"FREQ=DAILY;BYHOUR={numbers(range(24))};BYMINUTE={numbers(range(60))}"
    f";BYSECOND={numbers(range(60))}"
)
EVERY_MINUTE_MONTHLY = (
    f"FREQ=MONTHLY;BYMONTHDAY={numbers(range(1, 32))};BYHOUR={numbers(range(24))}"
    f";BYMINUTE={numbers(range(60))}"
)


def until_a_date(slot: Slot) -> list[bytes]:
    """A weekly series whose UNTIL is a date while its DTSTART is a time (Google's)."""
    return calendar(vevent(slot, f"RRULE:FREQ=WEEKLY;UNTIL={slot.start + 24 * HOUR:%Y%m%d}"))


def every_five_minutes(first: dt.datetime, count: int = 50_000) -> str:
    """``count`` - 1 UTC times five minutes apart after ``first``, for an RDATE."""
    return ",".join(utc(first + dt.timedelta(minutes=5 * n)) for n in range(1, count))


def rdates(slot: Slot) -> list[bytes]:
    """50,000 RDATEs five minutes apart from the slot's ``later``."""
    first, rdate = slot.later, fold(f"RDATE:{every_five_minutes(slot.later)}")
    end = f"DTEND:{utc(first + dt.timedelta(minutes=30))}"
    return calendar(vevent(slot, rdate, DTSTART=f"DTSTART:{utc(first)}", DTEND=end))


def floating_in(zone: str) -> Callable[[Slot], list[bytes]]:
    """Floating times (no zone) under ``X-WR-TIMEZONE:<zone>``."""

    def make(slot: Slot) -> list[bytes]:
        start, end = f"DTSTART:{local(slot.start)}", f"DTEND:{local(slot.start + HOUR)}"
        head = f"{HEAD}X-WR-TIMEZONE:{zone}\r\n"
        return calendar(vevent(slot, DTSTART=start, DTEND=end), head=head)

    return make


def vcalendar_in_vevent(slot: Slot) -> list[bytes]:
    inner = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    return calendar(f"BEGIN:VEVENT\r\n{lines(slot)}{inner}END:VEVENT\r\n")


TEN_MB = 10 * MB
# Where a server cannot store or serve an object (or hangs on it), the test stores a twin.
BOTH, RADICALE, XANDIKOS = ("radicale", "xandikos"), ("radicale",), ("xandikos",)

# fmt: off
DAV: list[Case] = [
    # -- broken lines
    Case("no-colon", "Apple's `X-APPLE-RADIUS=49.9` line: no colon",
         one("X-APPLE-RADIUS=49.91307046514149"), twin_on=RADICALE),
    Case("no-colon-summary", "`SUMMARY Interview with ...`: the title's line has no colon",
         raw(lambda s: calendar(vevent(s, SUMMARY=f"SUMMARY {s.title}"))[0]), followups=0,
         twin_on=RADICALE),
    Case("bad-folding", "a folded line whose next part does not start with a space",
         one("DESCRIPTION:contact: Ann Smith, who will\r\nbe late"), twin_on=RADICALE),
    Case("fold-in-name", "a fold inside a property name (`SUMM` / ` ARY:`)",
         raw(lambda s: calendar(vevent(s, SUMMARY=f"SUMM\r\n ARY:{s.title}"))[0])),
    Case("fold-in-utf8", "a fold splitting one UTF-8 character in two",
         title_bytes(b"Soci\xc3\r\n \xa9t\xc3\xa9"), tolerant=True, twin_on=BOTH),
    Case("lf-only", "lines ending in LF alone",
         raw(lambda s: calendar(vevent(s))[0].replace(b"\r\n", b"\n"))),
    Case("cr-only", "lines ending in CR alone (old Mac)",
         raw(lambda s: calendar(vevent(s))[0].replace(b"\r\n", b"\r")), twin_on=BOTH),
    Case("unterminated-vevent", "`BEGIN:VEVENT` that never ends",
         raw(lambda s: HEAD + f"BEGIN:VEVENT\r\n{lines(s)}END:VCALENDAR\r\n"), expect=SKIPPED,
         warning="unreadable", twin_on=BOTH),
    Case("unterminated-vcalendar", "no `END:VCALENDAR`", raw(lambda s: HEAD + vevent(s)),
         twin_on=BOTH),
    Case("stray-end", "a stray `END:VTODO` after the event",
         raw(lambda s: HEAD + vevent(s) + "END:VTODO\r\nEND:VCALENDAR\r\n"), twin_on=BOTH),
    Case("mismatched-end", "`BEGIN:VEVENT` closed by `END:VTODO`",
         raw(lambda s: HEAD + f"BEGIN:VEVENT\r\n{lines(s)}END:VTODO\r\nEND:VCALENDAR\r\n"),
         twin_on=RADICALE),
    Case("trailing-garbage", "a line `X` after `END:VCALENDAR`",
         raw(lambda s: HEAD + vevent(s) + "END:VCALENDAR\r\nX\r\n"), twin_on=BOTH),
    Case("empty", "an empty object (0 bytes)", raw(lambda s: b""), twin_on=BOTH, followups=0),
    Case("html", "an HTML page where iCalendar was due",
         raw(lambda s: "<html><body>Interview with " + s.tag + "</body></html>"), expect=SKIPPED,
         warning="unreadable", twin_on=BOTH),
    Case("bom-and-blank-lines", "a byte-order mark and blank lines",
         raw(lambda s: "\ufeff\r\n" + HEAD + "\r\n" + vevent(s) + "\r\nEND:VCALENDAR\r\n"),
         twin_on=BOTH),
    Case("quote-in-quoted-param", 'a `"` inside a quoted parameter (X-RESPONSE-COMMENT)',
         one('ATTENDEE;CN="Ann";X-RESPONSE-COMMENT="say "yes"":mailto:ann@example.com'),
         twin_on=RADICALE),
    Case("unclosed-quote", "a quoted parameter never closed",
         one('ATTENDEE;CN="Ann:mailto:ann@example.com'), twin_on=RADICALE),
    # -- times
    Case("no-start", "no DTSTART", one(DTSTART=None), expect=SKIPPED, warning="no DTSTART",
         twin_on=BOTH),
    Case("start-empty", "`DTSTART:` with no value", one(DTSTART="DTSTART:"), expect=SKIPPED,
         warning="DTSTART", twin_on=BOTH),
    Case("start-garbage", "`DTSTART:tomorrow`", one(DTSTART="DTSTART:tomorrow"), expect=SKIPPED,
         warning="DTSTART", twin_on=RADICALE),
    Case("end-before-start", "DTEND a day before DTSTART",
         raw(lambda s: calendar(vevent(s, DTEND=f"DTEND:{utc(s.start - 24 * HOUR)}"))[0]),
         thank_you=HOUR),
    Case("impossible-end", "`DTEND:20262802T100000Z` (month 28)",
         one(DTEND="DTEND:20262802T100000Z"), expect=SKIPPED, warning="DTEND", twin_on=RADICALE),
    Case("negative-duration", "`DURATION:-PT1H` instead of DTEND",
         one(DTEND=None, DURATION="DURATION:-PT1H"), thank_you=HOUR),
    Case("date-and-datetime", "DTSTART a date, DTEND a date-time",
         raw(lambda s: calendar(vevent(s, DTSTART=f"DTSTART;VALUE=DATE:{s.start:%Y%m%d}"))[0]),
         twin_on=RADICALE, thank_you=4 * HOUR),
    Case("value-date-with-time", "`DTSTART;VALUE=DATE:` holding a date-time",
         raw(lambda s: calendar(vevent(s, DTSTART=f"DTSTART;VALUE=DATE:{utc(s.start)}"))[0]),
         twin_on=RADICALE),
    Case("two-dtstarts", "two DTSTART lines, a day apart",
         raw(lambda s: calendar(vevent(s, f"DTSTART:{utc(s.start + 24 * HOUR)}"))[0]),
         twin_on=RADICALE),
    Case("until-a-date", "Google's `RRULE:...;UNTIL=<date>` with a timed DTSTART",
         until_a_date),
    Case("year-0001", "an interview in the year 0001",
         one(DTSTART="DTSTART:00010101T100000Z", DTEND="DTEND:00010101T110000Z"), followups=0,
         twin_on=BOTH),
    Case("year-9999", "an interview on 9999-12-31, ending in 10000",
         one(DTSTART="DTSTART:99991231T230000Z", DTEND="DTEND:99991231T235959Z"), followups=0,
         twin_on=BOTH),
    Case("years-0001-9999", "an interview from 0001-01-01 to 9999-12-31 (dates)",
         one(DTSTART="DTSTART;VALUE=DATE:00010101", DTEND="DTEND;VALUE=DATE:99991231"),
         expect=SKIPPED, warning="out of range", twin_on=BOTH),
    Case("year-10000", "`DTSTART:100000101T100000Z`", one(DTSTART="DTSTART:100000101T100000Z"),
         expect=SKIPPED, warning="DTSTART", twin_on=RADICALE),
    Case("decision-9999", "`decision: 9999-12-31` in the description",
         one("DESCRIPTION:decision: 9999-12-31"), warning="decision"),
    # -- floods
    Case("minutely", "`RRULE:FREQ=MINUTELY`, no end", series("RRULE:FREQ=MINUTELY"),
         followups=FLOODED, warning="more than 500 instances", twin_on=XANDIKOS),
    Case("secondly", "`RRULE:FREQ=SECONDLY`, no end", series("RRULE:FREQ=SECONDLY"),
         followups=FLOODED, warning="more than 500 instances", twin_on=XANDIKOS),
    Case("byxxx-million", "BYHOUR x BYMINUTE x BYSECOND: every second of every day",
         series(f"RRULE:{EVERY_SECOND}"),
         followups=FLOODED, warning="more than 500 instances", twin_on=XANDIKOS),
    Case("bymonthday-byminute", "MONTHLY by 31 month days x 24 hours x 60 minutes",
         series(f"RRULE:{EVERY_MINUTE_MONTHLY}"),
         followups=FLOODED, warning="more than 500 instances", twin_on=XANDIKOS),
    Case("count-ten-million", "`FREQ=MINUTELY;COUNT=10000000`",
         series("RRULE:FREQ=MINUTELY;COUNT=10000000"), followups=FLOODED,
         warning="more than 500 instances", twin_on=BOTH),
    Case("never-again", "`FREQ=SECONDLY;BYSETPOS=2`: a rule no second matches",
         series("RRULE:FREQ=SECONDLY;BYSETPOS=2"), expect=SKIPPED, warning="more than 1 s of CPU",
         twin_on=BOTH),
    Case("rdates-50000", "50,000 RDATEs",
         rdates,
         followups=FLOODED, warning="more than 500 instances", twin_on=XANDIKOS),
    Case("interval-zero", "`FREQ=DAILY;INTERVAL=0`", one("RRULE:FREQ=DAILY;INTERVAL=0"),
         twin_on=BOTH, expect=SKIPPED, warning="more than 1 s of CPU"),
    Case("freq-garbage", "`RRULE:FREQ=SOMETIMES`", one("RRULE:FREQ=SOMETIMES"), expect=SKIPPED,
         warning="RRULE", twin_on=RADICALE),
    # -- huge
    Case("description-10mb", "a 10 MB description (folded)", big_description(TEN_MB),
         expect=SKIPPED, warning="MiB", tolerant=True, twin_on=RADICALE),
    Case("description-10mb-meeting", "a 10 MB description on an ordinary meeting",
         big_description(TEN_MB, "Planning meeting"), expect=SKIPPED, followups=0,
         warning="MiB", tolerant=True, twin_on=RADICALE),
    Case("description-3mb", "a 3 MB description", big_description(3 * MB),
         warning="description cut"),
    Case("title-1mb", "a 1 MB title",
         raw(lambda s: calendar(vevent(s, SUMMARY=fold(f"SUMMARY:{s.title} " + "x" * MB)))[0]),
         warning="title cut"),
    Case("attendees-5000", "5,000 attendees", attendees(5000)),
    Case("valarms-10000", "10,000 VALARMs", alarms(10_000), expect=SKIPPED,
         warning="lines, more than"),
    Case("x-props-200000", "200,000 one-word X- lines (1.4 MB)", one(*["X-A:1"] * 200_000),
         expect=SKIPPED, warning="lines, more than"),
    # -- time zones
    Case("tz-path", "`TZID=../../etc/passwd`", in_zone("../../etc/passwd"),
         warning="../../etc/passwd"),
    Case("tz-zoneinfo-path", "`TZID=/usr/share/zoneinfo/Europe/London`",
         in_zone("/usr/share/zoneinfo/Europe/London")),
    Case("tz-empty", "`TZID=` (empty)", in_zone("")),
    Case("tz-10kb", "a TZID of 10 KB", in_zone("Zone/" + "x" * 10_240), warning="Zone/"),
    Case("tz-no-description", "Office 365's `TZID=(no TZ description)`",
         in_zone("(no TZ description)"), warning="no TZ description"),
    Case("tz-europe", "`TZID=Europe` (crashed icalendar)",
         raw(lambda s: calendar(vevent(s, DTSTART=f"DTSTART;TZID=Europe:{local(s.start)}"))[0]),
         twin_on=XANDIKOS, warning="unknown TZID 'Europe'"),
    Case("london-plus-14", "a VTIMEZONE `Europe/London` with offset +14:00",
         in_zone("Europe/London", london_plus_14())),
    Case("zone-every-second", "a VTIMEZONE whose daylight rule repeats every second",
         lambda s: in_zone(HOSTILE_ZONE, zone_every_second(dt.datetime(1970, 3, 29, 2)))(s),
         warning="read in Europe/London", twin_on=BOTH),
    Case("x-wr-timezone-path", "`X-WR-TIMEZONE:../../etc/passwd`",
         floating_in("../../etc/passwd"),
         warning="X-WR-TIMEZONE"),
    # -- nested and foreign components
    Case("vevent-in-vevent", "a VEVENT inside the VEVENT", nested(1)),
    Case("nested-1000", "1,000 VEVENTs nested in each other", nested(1000), twin_on=RADICALE),
    Case("vcalendar-in-vevent", "a VCALENDAR inside the VEVENT",
         vcalendar_in_vevent),
    Case("vjournal", "a VJOURNAL titled as an interview",
         raw(lambda s: HEAD + vevent(s).replace("VEVENT", "VJOURNAL") + "END:VCALENDAR\r\n"),
         followups=0, twin_on=BOTH),
    # -- UIDs
    Case("duplicate-uid", "one UID at two resources, two hours apart", two_at_once,
         thank_you=None),  # one interview: either one, as the server lists them
    Case("no-id", "no UID", one(UID=None), twin_on=RADICALE),
    Case("id-10kb", "a UID of 10 KB", one(UID="UID:" + "u" * 10_240)),
    Case("id-path", "`UID:../../../etc/passwd`", one(UID="UID:../../../etc/passwd")),
    Case("orphan-override", "a RECURRENCE-ID with no series",
         raw(lambda s: calendar(vevent(s, f"RECURRENCE-ID:{utc(s.start)}"))[0])),
    # -- bytes and characters
    Case("latin-1", "Latin-1 bytes (`Soci\\xe9t\\xe9`), not UTF-8", title_bytes(b"Soci\xe9t\xe9"),
         tolerant=True, twin_on=BOTH),
    Case("surrogate-bytes", "UTF-8 of a lone surrogate (`\\xed\\xa0\\x80`)",
         title_bytes(b"\xed\xa0\x80"), tolerant=True, twin_on=BOTH),
    Case("nul", "NUL in the title", title_bytes(b"\x00"), tolerant=True, twin_on=RADICALE),
    Case("esc", "ESC `[31m` in the title", title_bytes(b"\x1b[31m"), tolerant=True,
         twin_on=RADICALE),
    Case("vt", "VT in the title", title_bytes(b"\x0b"), tolerant=True, twin_on=RADICALE),
    Case("uffff", "U+FFFF in the title", title_with("\uffff"), tolerant=True),
    Case("c1-controls", "C1 controls (U+0085, U+009B) in the title", title_with("\u0085\u009b2J")),
    Case("bidi-override", "a right-to-left override (U+202E) in the title",
         title_with("\u202eevil")),
    Case("rtl-title", "a Hebrew and Arabic title", title_with("שלום مرحبا")),
    Case("emoji-title", "emoji, a ZWJ sequence and a flag in the title",
         title_with("🚀 👩\u200d💻 🇬🇧")),
    Case("combining-flood", "10,000 combining marks on one letter",
         title_with("e" + "\u0301" * 10_000), warning="title cut"),
    # -- injection
    Case("newlines", "`\\n` escapes in the title spelling `END:VEVENT` and markers",
         title_with("\\nEND:VEVENT\\nBEGIN:VEVENT\\nX-SYNCD-KIND:thank-you\\n")),
    Case("literal-cr", "a bare CR inside the title's line", title_with("\rX-INJECTED:1")),
    Case("forged-log-line", "`\\n` escapes spelling a log line",
         title_with("\\n2026-01-01 00:00:00,000 WARNING forged")),
    Case("newline-in-param", "a CN parameter holding `\\n` and `;`",
         one('ORGANIZER;CN="Ann\\nX-SYNCD-KIND:call-morning;":mailto:ann@example.com')),
    # -- syncd's markers on someone else's objects
    Case("markers-foreign", "a thank-you's X-SYNCD markers on someone else's event",
         one(*markers("someone@else"), SUMMARY="SUMMARY:Thank-you letter: Someone"), followups=0),
    Case("markers-partial", "X-SYNCD-KIND alone on an interview", one("X-SYNCD-KIND:thank-you")),
    Case("markers-for-control", "the control interview's thank-you markers, at another resource",
         one(*markers("control"), SUMMARY="SUMMARY:Thank-you letter: Acme"), followups=0),
    # -- seen in real invitations
    Case("empty-trigger", "Outlook's `TRIGGER:` with no duration",
         one("BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:", "END:VALARM"), twin_on=BOTH,
         warning="unreadable alarms"),
    Case("trigger-p", "`TRIGGER:-P` (a duration of nothing)",
         one("BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-P", "END:VALARM")),
    Case("empty-attendee", "Outlook's `ATTENDEE;CN=;RSVP=TRUE:mailto`",
         one("ATTENDEE;CN=;RSVP=TRUE:mailto")),
    Case("organizer-no-value", "`ORGANIZER;CN=` with no value", one("ORGANIZER;CN="),
         twin_on=RADICALE),
    Case("cancelled", "`STATUS:CANCELLED` interview", one("STATUS:CANCELLED"), followups=0),
    Case("exdate-impossible", "`EXDATE:20261329T100000Z` (month 13)",
         one("RRULE:FREQ=DAILY;COUNT=1", "EXDATE:20261329T100000Z"), expect=SKIPPED,
         warning="EXDATE", twin_on=RADICALE),
]
# fmt: on


# --- Google: the JSON equivalents --------------------------------------------------------


def when(moment: dt.datetime, zone: str | None = "Europe/London") -> dict[str, str]:
    return {"dateTime": moment.isoformat(), **({"timeZone": zone} if zone is not None else {})}


def event(slot: Slot, **fields: Any) -> dict[str, Any]:
    """An event of the slot (id ``<tag>event``: base32hex, as Google's are), with ``fields``
    replaced (None: left out)."""
    base: dict[str, Any] = {
        "id": f"{slot.tag}event",
        "summary": slot.title,
        "start": when(slot.start),
        "end": when(slot.start + HOUR),
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def gone(**fields: Any) -> Callable[[Slot], list[dict[str, Any]]]:
    """A case's maker: one event with ``fields`` replaced (a callable value gets the slot)."""
    return lambda slot: [
        event(slot, **{k: v(slot) if callable(v) else v for k, v in fields.items()})
    ]


def gseries(*recurrence: str) -> Callable[[Slot], list[dict[str, Any]]]:
    """A series of half-hour interviews from the slot's ``later``."""
    return lambda slot: [
        event(
            slot,
            start=when(slot.later),
            end=when(slot.later + dt.timedelta(minutes=30)),
            recurrence=list(recurrence),
        )
    ]


def gtitle(part: str) -> Callable[[Slot], list[dict[str, Any]]]:
    return lambda slot: [event(slot, summary=f"{slot.title} {part}")]


def gmarkers(interview: str, kind: str = "thank-you") -> dict[str, Any]:
    return {
        "private": {
            "syncd.kind": kind,
            "syncd.interview": interview,
            "syncd.calendar": "somewhere-else",
            "syncd.fingerprint": "0123456789abcdef",
        }
    }


def in_tz(zone: str) -> Callable[[Slot], list[dict[str, Any]]]:
    """The interview at the slot's wall time, with ``timeZone`` ``zone`` and no offset."""

    def make(slot: Slot) -> list[dict[str, Any]]:
        start = {"dateTime": local_iso(slot.start), "timeZone": zone}
        end = {"dateTime": local_iso(slot.start + HOUR), "timeZone": zone}
        return [event(slot, start=start, end=end)]

    return make


def local_iso(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat()


def twice(slot: Slot) -> list[dict[str, Any]]:
    """Two events (two ids) holding one iCalUID, two hours apart."""
    later = slot.start + 2 * HOUR
    return [
        event(slot, iCalUID=f"{slot.tag}@hostile"),
        event(slot, id=f"{slot.tag}second", iCalUID=f"{slot.tag}@hostile",
              start=when(later), end=when(later + HOUR)),
    ]  # fmt: skip


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def floating(slot: Slot) -> list[dict[str, Any]]:
    """The interview at the slot's wall time, with no offset and no ``timeZone``."""
    start, end = local_iso(slot.start), local_iso(slot.start + HOUR)
    return [event(slot, start={"dateTime": start}, end={"dateTime": end})]


def grdates(slot: Slot) -> list[dict[str, Any]]:
    return gseries(f"RDATE:{every_five_minutes(slot.later)}")(slot)


def reminders(*minutes: Any) -> dict[str, Any]:
    overrides = [None if m is None else {"method": "popup", "minutes": m} for m in minutes]
    return {"useDefault": False, "overrides": overrides}


PEOPLE = [{"email": f"p{n}@example.com", "displayName": f"Person {n}"} for n in range(5000)]


RAW = ("google",)  # the fake would refuse or change it: listed as it is
# fmt: off
GOOGLE: list[Case] = [
    # -- missing and impossible times
    Case("no-start", "no `start`", gone(start=None), SKIPPED, warning="unreadable", twin_on=RAW),
    Case("no-end", "no `end`", gone(end=None), twin_on=RAW, expect=SKIPPED,
         warning="unreadable end"),
    Case("start-a-string", "`start` a string", gone(start="tomorrow"), SKIPPED,
         warning="unreadable", twin_on=RAW),
    Case("start-empty", "`start: {}`", gone(start={}), SKIPPED, warning="unreadable", twin_on=RAW),
    Case("start-garbage", '`start.dateTime: "tomorrow"`', gone(start={"dateTime": "tomorrow"}),
         SKIPPED, warning="unreadable", twin_on=RAW),
    Case("end-before-start", "`end` a day before `start`",
         gone(end=lambda s: when(s.start - 24 * HOUR)), twin_on=RAW, thank_you=HOUR),
    Case("date-and-datetime", "`start` a date, `end` a date-time",
         gone(start=lambda s: {"date": s.start.date().isoformat()}), twin_on=RAW,
         thank_you=4 * HOUR),
    Case("offset-against-zone", "`dateTime` at +14:00 in `timeZone` Europe/London",
         gone(start=lambda s: {**when(s.start), "dateTime": local_iso(s.start) + "+14:00"}),
         thank_you=None),
    Case("year-0001", "an interview in the year 0001",
         gone(start={"dateTime": "0001-01-01T10:00:00Z"}, end={"dateTime": "0001-01-01T11:00:00Z"}),
         followups=0, twin_on=RAW),
    Case("year-9999", "an interview on 9999-12-31",
         gone(start={"dateTime": "9999-12-31T23:00:00Z"}, end={"dateTime": "9999-12-31T23:59:59Z"}),
         followups=0, twin_on=RAW),
    Case("years-0001-9999", "an all-day interview from 0001-01-01 to 9999-12-31",
         gone(start={"date": "0001-01-01"}, end={"date": "9999-12-31"}), SKIPPED,
         warning="out of range", twin_on=RAW),
    Case("year-10000", '`start.dateTime: "10000-01-01T10:00:00Z"`',
         gone(start={"dateTime": "10000-01-01T10:00:00Z"}), SKIPPED, warning="unreadable",
         twin_on=RAW),
    Case("decision-9999", "`decision: 9999-12-31` in the description",
         gone(description="decision: 9999-12-31"), warning="decision"),
    # -- time zones
    # A floating dateTime (Google always sends an offset) in a zone no one knows is read in
    # UTC, without a word: the thank-you's hour is that of UTC, not of the zone in force.
    Case("tz-path", "`timeZone: ../../etc/passwd`", in_tz("../../etc/passwd"), twin_on=RAW,
         thank_you=None),
    Case("tz-zoneinfo-path", "`timeZone: /usr/share/zoneinfo/Europe/London`",
         in_tz("/usr/share/zoneinfo/Europe/London"), twin_on=RAW, thank_you=None),
    Case("tz-empty", '`timeZone: ""`', in_tz(""), twin_on=RAW),
    Case("tz-10kb", "a `timeZone` of 10 KB", in_tz("Zone/" + "x" * 10_240), twin_on=RAW,
         thank_you=None),
    Case("tz-no-description", "`timeZone: (no TZ description)`", in_tz("(no TZ description)"),
         twin_on=RAW, thank_you=None),
    Case("tz-europe", "`timeZone: Europe` (a folder of tzdata)", in_tz("Europe"), twin_on=RAW),
    Case("floating", "a `dateTime` with no offset and no `timeZone`",
         floating,
         twin_on=RAW),
    # -- floods (the fake expands series itself, up to 1,000 instances, as Google does)
    Case("minutely", "`RRULE:FREQ=MINUTELY`, no end", gseries("RRULE:FREQ=MINUTELY"),
         followups=FLOODED, warning="more than 500 instances"),
    Case("secondly", "`RRULE:FREQ=SECONDLY`, no end", gseries("RRULE:FREQ=SECONDLY"),
         followups=FLOODED, warning="more than 500 instances"),
    Case("byxxx-million", "BYHOUR x BYMINUTE x BYSECOND: every second of every day",
         gseries(f"RRULE:{EVERY_SECOND}"),
         followups=FLOODED, warning="more than 500 instances"),
    Case("count-ten-million", "`FREQ=MINUTELY;COUNT=10000000`",
         gseries("RRULE:FREQ=MINUTELY;COUNT=10000000"), followups=FLOODED,
         warning="more than 500 instances"),
    Case("rdates-50000", "50,000 RDATEs",
         grdates,
         followups=FLOODED, warning="more than 500 instances"),
    Case("recurrence-garbage", '`recurrence: ["RRULE:FREQ=SOMETIMES"]`',
         gone(recurrence=["RRULE:FREQ=SOMETIMES"]), twin_on=RAW),
    Case("recurrence-a-string", "`recurrence` a string, not a list",
         gone(recurrence="RRULE:FREQ=MINUTELY"), twin_on=RAW),
    # -- huge
    Case("description-10mb", "a 10 MB description",
         gone(description="An agenda pasted in. " * (TEN_MB // 21)), warning="description cut"),
    Case("description-3mb-html", "3 MB of `<a x=` as an HTML description",
         gone(description="<a x=" * (3 * MB // 5)), warning="description cut"),
    Case("title-1mb", "a 1 MB title", lambda s: [event(s, summary=f"{s.title} " + "x" * MB)],
         warning="title cut"),
    Case("attendees-5000", "5,000 attendees",
         gone(attendees=PEOPLE),
         warning="contact cut"),
    Case("reminders-10000", "10,000 reminder overrides",
         gone(reminders=reminders(*range(10_000))),
         twin_on=RAW),
    Case("reminders-garbage", 'reminders of minutes -5, `"x"` and `null`',
         gone(reminders=reminders(-5, "x", None)),
         twin_on=RAW),
    Case("attendees-garbage", "attendees that are strings, `null` and numbers",
         gone(attendees=["ann@example.com", None, 5, {"email": None}]), twin_on=RAW),
    Case("nested-200", "extendedProperties nested 200 deep",
         gone(extendedProperties={"shared": deep(200)}), twin_on=RAW),
    # -- characters
    Case("nul", "NUL in the title", gtitle("\x00")),
    Case("esc", "ESC `[31m` in the title", gtitle("\x1b[31m")),
    Case("vt", "VT in the title", gtitle("\x0b")),
    Case("uffff", "U+FFFF in the title", gtitle("\uffff")),
    Case("lone-surrogate", "a lone surrogate (`\\ud800`) in the title", gtitle("\ud800")),
    Case("c1-controls", "C1 controls (U+0085, U+009B) in the title", gtitle("\u0085\u009b2J")),
    Case("bidi-override", "a right-to-left override (U+202E) in the title", gtitle("\u202eevil")),
    Case("rtl-title", "a Hebrew and Arabic title", gtitle("שלום مرحبا")),
    Case("emoji-title", "emoji, a ZWJ sequence and a flag in the title",
         gtitle("🚀 👩\u200d💻 🇬🇧")),
    Case("combining-flood", "10,000 combining marks on one letter", gtitle("e" + "\u0301" * 10_000),
         warning="title cut"),
    # -- injection
    Case("newlines", "line breaks in the title spelling `END:VEVENT` and markers",
         gtitle("\nEND:VEVENT\nBEGIN:VEVENT\nX-SYNCD-KIND:thank-you\n")),
    Case("literal-cr", "a CR in the title", gtitle("\rX-INJECTED:1")),
    Case("forged-log-line", "a line break and a log line in the title",
         gtitle("\n2026-01-01 00:00:00,000 WARNING forged")),
    # -- syncd's markers on someone else's events; ids
    Case("markers-foreign", "a thank-you's markers on someone else's event",
         gone(summary="Thank-you letter: Someone", extendedProperties=gmarkers("someone0else")),
         followups=0),
    Case("markers-partial", "`syncd.kind` alone on an interview",
         gone(extendedProperties={"private": {"syncd.kind": "thank-you"}})),
    Case("markers-for-control", "the control interview's thank-you markers, on another event",
         gone(summary="Thank-you letter: Acme", extendedProperties=gmarkers("control0event")),
         followups=0),
    Case("markers-not-text", "`syncd.kind: 5`, `syncd.interview: null`",
         gone(extendedProperties={"private": {"syncd.kind": 5, "syncd.interview": None}}),
         twin_on=RAW),
    Case("syncd-shaped-id", "an interview whose id has syncd's form (32 hex digits)",
         lambda s: [event(s, id="0123456789abcdef0123456789abcdef", summary=s.title)]),
    Case("duplicate-uid", "one iCalUID at two events, two hours apart", twice, followups=4),
    Case("no-id", "no `id`", gone(id=None), SKIPPED, warning="no id", twin_on=RAW),
    Case("id-10kb", "an id of 10 KB", gone(id=lambda s: s.tag + "event" + "v" * 10_240),
         twin_on=RAW),
    Case("id-path", "`id: ../../etc/passwd/<tag>`", gone(id=lambda s: f"../../etc/passwd/{s.tag}"),
         twin_on=RAW),
    # -- fields of the wrong type
    Case("summary-an-object", "`summary: {}`", gone(summary={"text": "Interview"}), followups=0,
         twin_on=RAW),
    Case("description-a-list", "`description: [...]`", gone(description=["contact: Ann"]),
         twin_on=RAW),
    Case("status-garbage", '`status: "maybe"`', gone(status="maybe"), twin_on=RAW),
    Case("cancelled", "`status: cancelled` interview", gone(status="cancelled"), followups=0),
    Case("out-of-office", "an out-of-office event titled as an interview",
         gone(eventType="outOfOffice"), followups=0, twin_on=RAW),
    Case("event-type-garbage", "`eventType: 5`", gone(eventType=5), twin_on=RAW),
    Case("recurring-id-orphan", "`recurringEventId` of no series, `originalStartTime` garbage",
         gone(recurringEventId="nothing", originalStartTime={"dateTime": "x"}), twin_on=RAW),
    Case("conference-garbage", "`conferenceData` and `hangoutLink` of the wrong types",
         gone(conferenceData="zoom", hangoutLink={"a": 1}), twin_on=RAW),
    Case("organizer-a-string", '`organizer: "ann"`', gone(organizer="ann"), twin_on=RAW),
]
# fmt: on
