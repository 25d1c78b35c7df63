"""providers.caldav.ical: real-world objects in, neutral events out; follow-ups out and back."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup as build_followup
from fixtures.ics import expected
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.caldav.ical import (
    ObjectError,
    followup_href_name,
    followup_uid,
    may_matter,
    parse_object,
)
from providers.caldav.render import render_followup
from syncd.config import DetectConfig
from syncd.model import CalendarEvent, FollowUp, FollowUpKind, ReadScope, content_fingerprint

EXPECTED = expected
ZONE = ZoneInfo(EXPECTED.CONFIG_ZONE)
START, END = (dt.datetime.fromisoformat(t) for t in EXPECTED.WINDOW)
BY_FILE = {f["file"]: f for f in EXPECTED.FIXTURES}


def parse(raw: bytes | str, tz: ZoneInfo = ZONE, resource: str = "x.ics") -> list[CalendarEvent]:
    return parse_object(
        raw,
        calendar="https://dav.example.com/cal/",
        resource=resource,
        etag='"e1"',
        tz=tz,
        me=EXPECTED.ME,
        start=START,
        end=END,
    )


def raw_of(name: str) -> bytes:
    data: bytes = (EXPECTED.DIR / name).read_bytes()
    return data


def local(text: str, zone: str) -> dt.date:
    if "T" not in text:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def utc(value: dt.date) -> dt.date:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def wrap(*lines: str) -> str:
    body = "".join(line + "\r\n" for line in lines)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


# --- fixtures -------------------------------------------------------------------------


def test_every_fixture_file_is_in_the_table() -> None:
    files = {p.name for p in EXPECTED.DIR.glob("*.ics")}
    assert files == set(BY_FILE)
    assert len(files) >= 15


@pytest.mark.parametrize("name", sorted(BY_FILE))
def test_fixture_parses_to_expected_events(name: str, caplog: pytest.LogCaptureFixture) -> None:
    fixture = BY_FILE[name]
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        events = parse(raw_of(name), resource=name)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == (1 if fixture.get("warns") else 0), [r.message for r in warnings]

    got = [
        (e.title, utc(e.start), utc(e.end), e.all_day, e.status, e.recurrence_id, e.reminders)
        for e in events
    ]
    want = [
        (
            x["title"],
            local(x["start"], x["zone"]),
            local(x["end"], x["zone"]),
            x["all_day"],
            x["status"],
            x["recurrence_id"],
            tuple(x["reminders"]),
        )
        for x in fixture["events"]
    ]
    assert got == want
    for event in events:
        assert event.id == fixture["uid"]
        assert event.resource == name and event.etag == '"e1"'
        assert event.conference == fixture["conference"]
        assert event.categories == tuple(fixture.get("categories", ()))
        if isinstance(event.start, dt.datetime):  # timed values come back in the config zone
            assert isinstance(event.end, dt.datetime)
            assert event.start.tzinfo == ZONE and event.end.tzinfo == ZONE
        me = [a for a in event.attendees if a.is_self]
        assert [a.response for a in me] == (
            [fixture["self_response"]] if "self_response" in fixture else []
        )
        if "organizer" in fixture:
            assert event.organizer is not None and event.organizer.email == fixture["organizer"]
        if "markers" in fixture:
            assert event.markers is not None
            assert {
                "kind": str(event.markers.kind),
                "interview": event.markers.interview,
                "calendar": event.markers.calendar,
                "fingerprint": event.markers.fingerprint,
            } == fixture["markers"]
            assert content_fingerprint(event) == event.markers.fingerprint  # unedited
        else:
            assert event.markers is None


def _is_interview(event: CalendarEvent) -> bool:
    """SPEC section 3 (title, category, exclude, cancelled, declined, marker) as a test oracle."""
    detect = DetectConfig(categories=EXPECTED.DETECT_CATEGORIES)
    title = event.title.casefold()
    by_word = any(re.search(rf"\b{re.escape(k)}\b", event.title, re.I) for k in detect.keywords)
    wanted = {c.casefold() for c in detect.categories}
    by_category = any(c.casefold() in wanted for c in event.categories)
    declined = any(a.is_self and a.response == "declined" for a in event.attendees)
    return (
        (by_word or by_category)
        and not any(x in title for x in detect.exclude)
        and event.status != "cancelled"
        and not declined
        and event.markers is None
    )


@pytest.mark.parametrize("name", sorted(BY_FILE))
def test_table_interview_flags_agree_with_the_spec(name: str) -> None:
    events = parse(raw_of(name), resource=name)
    assert [_is_interview(e) for e in events] == [x["interview"] for x in BY_FILE[name]["events"]]


def test_bytes_and_text_and_bare_lf_read_alike() -> None:
    raw = raw_of("outlook-windows-tzid.ics")
    assert parse(raw) == parse(raw.decode()) == parse(raw.replace(b"\r\n", b"\n"))


def test_single_event_outside_the_window_is_still_returned() -> None:
    raw = wrap("BEGIN:VEVENT", "UID:old", "DTSTART:20200101T100000Z", "END:VEVENT")
    assert [e.start for e in parse(raw)] == [dt.datetime(2020, 1, 1, 10, tzinfo=dt.UTC)]


def test_orphan_override_keeps_its_recurrence_id() -> None:
    raw = wrap(
        "BEGIN:VEVENT",
        "UID:orphan",
        "RECURRENCE-ID;VALUE=DATE:20261210",
        "DTSTART;VALUE=DATE:20261211",
        "SUMMARY:Interview day",
        "END:VEVENT",
    )
    [event] = parse(raw)
    assert (event.recurrence_id, event.start, event.end) == (
        "20261210",
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 12),
    )


def test_series_instance_ids_are_stable_whatever_the_config_zone() -> None:
    raw = raw_of("thunderbird-recurring-overrides.ics")
    ids = [e.recurrence_id for e in parse(raw)]
    assert ids == [e.recurrence_id for e in parse(raw, tz=ZoneInfo("Asia/Tokyo"))]
    assert ids == [e.recurrence_id for e in parse(raw)]


# --- time zones -----------------------------------------------------------------------

UNKNOWN = raw_of("unknown-tzid.ics")


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_unknown_tzid_is_read_in_the_config_zone_with_one_warning(
    zone: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        [event] = parse(UNKNOWN, tz=ZoneInfo(zone), resource="personio.ics")
    assert event.start == dt.datetime(2026, 12, 4, 11, tzinfo=ZoneInfo(zone))
    [record] = caplog.records
    assert "Custom Zone" in record.message and "personio.ics" in record.message
    assert "Phone interview - Initech" in record.message


def test_unknown_tzid_in_a_series_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    raw = wrap(
        "BEGIN:VEVENT",
        "UID:s",
        "SUMMARY:Interview series",
        "DTSTART;TZID=Lotus Zone:20261201T100000",
        "DTEND;TZID=Lotus Zone:20261201T110000",
        "RRULE:FREQ=DAILY;COUNT=4",
        "EXDATE;TZID=Lotus Zone:20261202T100000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:s",
        "SUMMARY:Interview series (moved)",
        "RECURRENCE-ID;TZID=Lotus Zone:20261203T100000",
        "DTSTART;TZID=Lotus Zone:20261203T120000",
        "DTEND;TZID=Lotus Zone:20261203T130000",
        "END:VEVENT",
    )
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        events = parse(raw, tz=ZoneInfo("Europe/Berlin"))
    assert len(caplog.records) == 1
    assert [(e.recurrence_id, e.start.hour) for e in events] == [  # type: ignore[union-attr]
        ("20261201T090000Z", 10),
        ("20261203T090000Z", 12),
        ("20261204T090000Z", 10),
    ]


def test_one_objects_vtimezone_does_not_leak_into_another() -> None:
    """icalendar caches VTIMEZONEs per TZID process-wide; each object must mean its own."""

    def custom(offset: str) -> str:
        return wrap(
            "BEGIN:VTIMEZONE",
            "TZID:Custom Zone",
            "BEGIN:STANDARD",
            "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "UID:c",
            "DTSTART;TZID=Custom Zone:20261204T110000",
            "END:VEVENT",
        )

    assert utc(parse(custom("+0500"))[0].start) == dt.datetime(2026, 12, 4, 6, tzinfo=dt.UTC)
    assert utc(parse(custom("-0300"))[0].start) == dt.datetime(2026, 12, 4, 14, tzinfo=dt.UTC)
    # without a VTIMEZONE of its own, "Custom Zone" is unknown: the config zone
    assert utc(parse(UNKNOWN)[0].start) == dt.datetime(2026, 12, 4, 11, tzinfo=dt.UTC)


@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Eastern Standard Time", "America/New_York"),
        ("/mozilla.org/20050126_1/Europe/Paris", "Europe/Paris"),
        ('"(UTC-05:00) Eastern Time (US & Canada)"', "America/New_York"),
        ('"(UTC+00:00) Dublin, Edinburgh, Lisbon, London"', "Europe/London"),
        ('"(GMT+01.00) Amsterdam / Berlin / Bern / Rome / Stockholm / Vienna"', "Europe/Berlin"),
        ('"(UTC+05:30) Chennai, Kolkata, Mumbai, New Delhi"', "Asia/Kolkata"),
    ],
)
def test_windows_and_outlook_zone_names_resolve(
    tzid: str, zone: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = wrap("BEGIN:VEVENT", "UID:w", f"DTSTART;TZID={tzid}:20260701T100000", "END:VEVENT")
    with caplog.at_level(logging.WARNING):
        [event] = parse(raw, tz=ZoneInfo("Pacific/Auckland"))
    assert utc(event.start) == dt.datetime(2026, 7, 1, 10, tzinfo=ZoneInfo(zone))
    assert not caplog.records


def test_unknown_x_wr_timezone_keeps_utc_times_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = raw_of("google-xwr-html.ics").replace(b"America/Los_Angeles", b"Mars/Olympus_Mons")
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        [event] = parse(raw)
    assert utc(event.start) == dt.datetime(2026, 12, 11, 18, tzinfo=dt.UTC)
    assert "Mars/Olympus_Mons" in caplog.records[0].message


# --- broken input ---------------------------------------------------------------------


def test_broken_override_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    raw = wrap(
        "BEGIN:VEVENT",
        "UID:b",
        "SUMMARY:Interview",
        "DTSTART:20261201T100000Z",
        "RRULE:FREQ=DAILY;COUNT=2",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:b",
        "SUMMARY:Interview (moved)",
        "RECURRENCE-ID:20261202T100000Z",
        "DTSTART:2026-12-02 15:00",
        "END:VEVENT",
    )
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        events = parse(raw, resource="b.ics")
    assert [(e.title, e.recurrence_id) for e in events] == [
        ("Interview", "20261201T100000Z"),
        ("Interview", "20261202T100000Z"),
    ]
    [record] = caplog.records
    assert "b.ics" in record.message and "'b'" in record.message and "DTSTART" in record.message


def test_vevent_without_dtstart_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    raw = wrap("BEGIN:VEVENT", "UID:n", "SUMMARY:Interview", "END:VEVENT")
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        assert parse(raw) == []
    assert "no DTSTART" in caplog.records[0].message


def test_bad_alarm_drops_only_the_alarm(caplog: pytest.LogCaptureFixture) -> None:
    """icalendar fails the whole text on a bad VALARM value; the event must survive."""
    raw = wrap(
        "BEGIN:VEVENT",
        "UID:a",
        "SUMMARY:Interview with Acme",
        "DTSTART:20261201T100000Z",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:soon",
        "END:VALARM",
        "END:VEVENT",
    )
    with caplog.at_level(logging.WARNING, logger="providers.caldav.ical"):
        [event] = parse(raw)
    assert (event.title, event.reminders) == ("Interview with Acme", ())
    assert "alarms" in caplog.records[0].message


def test_other_bad_properties_do_not_lose_the_event() -> None:
    raw = wrap(
        "BEGIN:VEVENT",
        "UID:p",
        "SUMMARY:Interview",
        "DTSTART:20261201T100000Z",
        "LAST-MODIFIED:yesterday",
        "THIS LINE IS NOT ICALENDAR",
        "END:VEVENT",
    )
    assert [e.title for e in parse(raw)] == ["Interview"]


_JUNK = [":", ";", '"', "\\", "T", "Z", ",", "0", "BEGIN:VEVENT\r\n", "END:VEVENT\r\n", "x"]
_EXTRA = [
    "RRULE:FREQ=DAILY;COUNT=3\r\n",
    "RDATE;VALUE=PERIOD:20261201T100000Z/PT1H\r\n",
    "RECURRENCE-ID:20261202T100000Z\r\n",
    "DTSTART:20261203T100000Z\r\n",
    "DTEND:20200101T000000Z\r\n",
    "DURATION:bad\r\n",
    "X-WR-TIMEZONE:Nowhere\r\n",
    "ORGANIZER;CN=x:\r\n",
    "BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n",
]


def _mangle(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        i, op = rng.randrange(len(lines)), rng.randrange(6)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, rng.choice(lines))
        elif op == 2:
            j = rng.randrange(max(1, len(lines[i])))
            lines[i] = lines[i][:j] + rng.choice(_JUNK) + lines[i][j + 1 :]
        elif op == 3:
            lines[i] = lines[i].replace("2026", rng.choice(["0000", "9999", "20261"]))
        elif op == 4:
            lines = lines[: rng.randrange(len(lines))]
        else:
            lines.insert(i, rng.choice(_EXTRA))
    return "".join(lines)


def test_mangled_objects_raise_nothing_but_object_error() -> None:
    """Seeded fuzzing of the fixtures: whatever the damage, the daemon gets events or
    ObjectError (found: duplicate DTSTART/TRIGGER/ORGANIZER, broken VTIMEZONEs, year 9999)."""
    rng = random.Random(20261125)
    texts = [raw_of(name).decode() for name in sorted(BY_FILE)]
    logging.disable(logging.WARNING)
    try:
        for _ in range(400):
            with contextlib.suppress(ObjectError):
                parse(_mangle(rng.choice(texts), rng))
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.parametrize("raw", ["", "hello world", "<html>503 Service Unavailable</html>"])
def test_unparseable_object_raises_object_error_naming_it(raw: str) -> None:
    with pytest.raises(ObjectError, match="broken.ics"):
        parse(raw, resource="broken.ics")


# --- rendering ------------------------------------------------------------------------

STAMP = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def make_followup(
    reminders: tuple[int, ...] = (10,),
    description: str = "Call Jane Doe at Acme (+44 20 7946 0000).\nCall once, not more.",
    start: dt.datetime = dt.datetime(2026, 12, 4, 10, 0, tzinfo=ZONE),
    interview: str = "abc-uid;20261201T090000Z",
) -> FollowUp:
    return build_followup(
        start=start, source="work", calendar="https://dav.example.com/cal/",
        interview=interview, kind=FollowUpKind.CALL_MORNING, minutes=15,
        title="Follow-up call: Acme, Inc.; #1", description=description, reminders=reminders,
    )  # fmt: skip


def roundtrip(followup: FollowUp, tz: ZoneInfo = ZONE) -> CalendarEvent:
    [event] = parse(render_followup(followup, tz, dtstamp=STAMP), tz=tz)
    return event


@pytest.mark.parametrize("reminders", [(), (0,), (10,), (0, 60), (60, 0, 10)])
@pytest.mark.parametrize("zone", ["Europe/London", "UTC", "America/New_York"])
def test_render_parse_roundtrip(reminders: tuple[int, ...], zone: str) -> None:
    followup = make_followup(reminders)
    event = roundtrip(followup, ZoneInfo(zone))
    assert event.id == followup_uid(followup.id)
    assert event.markers == followup.markers
    assert content_fingerprint(event) == followup.fingerprint
    assert event.reminders == tuple(sorted(reminders))
    assert (event.start, event.end) == (followup.start, followup.end)
    assert (event.title, event.description) == (followup.title, followup.description)


@pytest.mark.parametrize(("reminders", "alarms"), [((), 0), ((0,), 1), ((10,), 1), ((0, 60), 2)])
def test_rendered_text(reminders: tuple[int, ...], alarms: int) -> None:
    followup = make_followup(reminders)
    text = render_followup(followup, ZONE, dtstamp=STAMP).decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "PRODID:-//syncd//syncd//EN\r\n" in text and "VERSION:2.0\r\n" in text
    assert text.count("BEGIN:VTIMEZONE") == 1 and "TZID:Europe/London" in text
    assert text.count("BEGIN:VEVENT") == 1
    assert text.count("BEGIN:VALARM") == alarms == text.count("ACTION:DISPLAY")
    assert re.search(r"^UID:[0-9a-f]{32}@syncd\r$", text, re.M)
    assert f"UID:{followup.id}@syncd\r\n" in text
    assert "DTSTAMP:20261125T080000Z\r\n" in text
    assert "DTSTART;TZID=Europe/London:20261204T100000\r\n" in text
    # iCloud refuses an event without DTEND; Cyrus one with a METHOD; no scheduling object
    assert re.search(r"^DTEND;TZID=Europe/London:20261204T\d{6}\r$", text, re.M)
    assert not re.search(r"^(METHOD|ORGANIZER|ATTENDEE)[:;]", text, re.M)
    assert "STATUS:CONFIRMED\r\n" in text and "TRANSP:TRANSPARENT\r\n" in text
    assert f"X-SYNCD-FINGERPRINT:{followup.fingerprint}\r\n" in text
    assert "X-SYNCD-KIND:call-morning\r\n" in text
    for minutes in reminders:
        assert (f"TRIGGER:-PT{minutes}M\r\n" if minutes else "TRIGGER:PT0M\r\n") in text
    # narrow VTIMEZONE: no transitions from 1970 on
    assert "19700" not in text and text.count("BEGIN:STANDARD") <= 3


def test_render_in_utc_has_no_vtimezone() -> None:
    text = render_followup(make_followup(), ZoneInfo("UTC"), dtstamp=STAMP).decode()
    assert "BEGIN:VTIMEZONE" not in text and "DTSTART:20261204T100000Z\r\n" in text


def test_render_is_deterministic_and_stamps_now_by_default() -> None:
    followup = make_followup()
    assert render_followup(followup, ZONE, dtstamp=STAMP) == render_followup(
        followup, ZONE, dtstamp=STAMP
    )
    assert "DTSTAMP:" in render_followup(followup, ZONE).decode()


def test_ids() -> None:
    assert (
        followup_uid("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef@syncd"
    )
    assert followup_href_name("0123456789abcdef0123456789abcdef") == (
        "0123456789abcdef0123456789abcdef.ics"
    )


def test_edited_followup_no_longer_matches_its_fingerprint() -> None:
    followup = make_followup()
    raw = render_followup(followup, ZONE, dtstamp=STAMP).replace(
        b"SUMMARY:Follow-up call", b"SUMMARY:#heard-back Follow-up call"
    )
    [event] = parse(raw)
    assert event.markers == followup.markers
    assert content_fingerprint(event) != followup.fingerprint


@pytest.mark.parametrize(
    "change",
    [
        (b"X-SYNCD-KIND:call-morning", b"X-SYNCD-KIND:lunch"),
        (b"X-SYNCD-CALENDAR:", b"X-SYNCD-CALENDAR-OLD:"),
    ],
)
def test_incomplete_or_invalid_markers_read_as_none(change: tuple[bytes, bytes]) -> None:
    raw = render_followup(make_followup(), ZONE, dtstamp=STAMP).replace(*change)
    assert parse(raw)[0].markers is None


@settings(max_examples=60, deadline=None)
@given(
    description=st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.just("\n")
    ),
    reminders=st.lists(st.integers(0, 40320), max_size=5).map(tuple),
    minutes=st.integers(0, 60 * 24 * 400),
    interview=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1).filter(
        lambda s: s.strip() == s
    ),
)
def test_roundtrip_property(
    description: str, reminders: tuple[int, ...], minutes: int, interview: str
) -> None:
    start = dt.datetime(2026, 11, 25, 9, 0, tzinfo=ZONE) + dt.timedelta(minutes=minutes)
    followup = make_followup(reminders, description, start, interview)
    event = roundtrip(followup)
    assert event.markers == followup.markers
    assert content_fingerprint(event) == followup.fingerprint


# --- prefilter ------------------------------------------------------------------------


def prefilter(detect: DetectConfig) -> Callable[[str | bytes], bool]:
    """ical.may_matter with the scope the core builds from these detection rules."""
    scope = ReadScope.of(START, END, [*detect.keywords, *detect.categories], detect.patterns)
    return lambda raw: may_matter(raw, scope)


def _title_needles(title: str) -> set[str]:
    words = title.split()
    return {w for w in words} | {" ".join(pair) for pair in zip(words, words[1:], strict=False)}


@pytest.mark.parametrize("name", sorted(BY_FILE))
def test_prefilter_never_misses_what_parsing_would_match(name: str) -> None:
    raw = raw_of(name).decode()
    for event in parse(raw):
        for needle in _title_needles(event.title):
            if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", event.title, re.I):
                assert prefilter(DetectConfig(keywords=(needle.upper(),)))(raw), needle
            pattern = DetectConfig(keywords=("zzz",), patterns=(re.escape(needle.lower()),))
            assert prefilter(pattern)(raw), needle
        for category in event.categories:
            detect = DetectConfig(keywords=("zzz",), categories=(category.upper(),))
            assert prefilter(detect)(raw), category
        if event.markers is not None:
            assert prefilter(DetectConfig(keywords=("zzz",)))(raw)


def test_prefilter_with_default_rules() -> None:
    detect = DetectConfig(categories=EXPECTED.DETECT_CATEGORIES)
    for fixture in EXPECTED.FIXTURES:
        raw = raw_of(fixture["file"]).decode()
        relevant = any(e["interview"] for e in fixture["events"]) or "markers" in fixture
        if relevant:
            assert prefilter(detect)(raw), fixture["file"]
    assert not prefilter(detect)(raw_of("icloud-dentist.ics").decode())
    assert not prefilter(detect)(raw_of("icloud-dentist.ics"))  # bytes too


def test_prefilter_sees_keywords_across_folds_and_escapes() -> None:
    raw = wrap(
        "BEGIN:VEVENT", "UID:f", "SUMMARY:Technical inter", " view: Acme\\, Inc.", "END:VEVENT"
    )
    assert prefilter(DetectConfig())(raw)
    assert prefilter(DetectConfig(keywords=("acme, inc",)))(raw)
    patterns = DetectConfig(keywords=("zzz",), patterns=(r"^technical interview: acme, inc\.$",))
    assert prefilter(patterns)(raw)
    assert not prefilter(DetectConfig(keywords=("zzz",), patterns=(r"dentist",)))(raw)


def test_prefilter_pattern_reads_summary_with_quoted_parameters() -> None:
    raw = wrap(
        "BEGIN:VEVENT",
        'SUMMARY;ALTREP="cid:part1.0001@example.org";LANGUAGE=en:Panel with ACME: round 2',
        "END:VEVENT",
    )
    assert prefilter(DetectConfig(keywords=("zzz",), patterns=(r"^panel with acme",)))(raw)


def test_prefilter_timing_sanity() -> None:
    """10,000 small objects, 1% relevant: count only, the time is printed, not asserted."""
    objects = [
        wrap(
            "BEGIN:VEVENT",
            f"UID:{i}@example.com",
            "DTSTAMP:20261101T000000Z",
            "DTSTART:20261201T100000Z",
            "DTEND:20261201T110000Z",
            f"SUMMARY:{'Interview with Acme' if i % 100 == 0 else 'Team sync'} #{i}",
            "DESCRIPTION:Weekly catch-up\\, agenda in the doc.",
            "END:VEVENT",
        )
        for i in range(10_000)
    ]
    matches = prefilter(DetectConfig(categories=("Job search",), patterns=(r"\bpanel\b",)))
    began = time.perf_counter()
    hits = sum(matches(raw) for raw in objects)
    print(f"prefilter: 10,000 objects in {time.perf_counter() - began:.3f} s")
    assert hits == 100


@pytest.mark.parametrize(
    "title",
    [
        "İNTERVIEW WITH ACME",
        "Inte\u0301rview".replace("\u0301", "") + " with Acme",
        "Job  interview at Acme",
        "Vorstellungsgespra\u0308ch bei Müller",
    ],
    ids=["dotted-capital-I", "plain", "double-space", "decomposed-umlaut"],
)
def test_prefilter_folds_like_detection(title: str) -> None:
    detect_config = DetectConfig(keywords=("interview", "job interview", "Vorstellungsgespräch"))
    raw = f"BEGIN:VEVENT\r\nSUMMARY:{title}\r\nEND:VEVENT\r\n"
    assert prefilter(detect_config)(raw)
