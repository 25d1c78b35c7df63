"""The hostile corpus (tests/hostile_corpus.py) below the servers: every CalDAV object
through the parser, and what the corpus found wrong, each on its own.

The end-to-end checks (tests/e2e/test_hostile_corpus.py) show what the user sees;
these name the cause: a TZID naming a folder of tzdata made its whole object
unreadable; 200,000 short lines took 4.3 s to parse; an end before the start put
the thank-you before the interview (Google); a lone surrogate in a Google title
failed the write of every follow-up after it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

import hostile_corpus as corpus
import pytest

from providers.caldav.ical import ObjectError, parse_object
from syncd import limits
from syncd.config import Config, SourceConfig
from syncd.detect import detect
from syncd.model import CalendarEvent

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
START, END = NOW - dt.timedelta(days=9), NOW + dt.timedelta(days=225)  # a pass's window
SLOT = corpus.Slot("h001", dt.datetime(2026, 12, 1, 14, 0, tzinfo=LONDON))
CPU_SECONDS = 2.0


def parse(raw: bytes) -> list[CalendarEvent]:
    return parse_object(raw, calendar="https://dav.example.com/cal/", resource="/cal/h001.ics",
                        etag='"e1"', tz=LONDON, me=(), start=START, end=END)  # fmt: skip


@pytest.mark.parametrize("case", corpus.DAV, ids=[case.name for case in corpus.DAV])
def test_every_corpus_object_is_read_or_refused_within_the_bound(case: corpus.Case) -> None:
    for raw in case.make(SLOT):
        if len(raw) > limits.OBJECT_BYTES:
            continue  # never parsed: the provider skips it as it reads the answer
        begun = time.process_time()
        with contextlib.suppress(ObjectError):  # skipped by the provider, one warning
            parse(raw)
        assert time.process_time() - begun < CPU_SECONDS, case.name


@pytest.mark.parametrize("tzid", ["Europe", "America/Argentina", "Europe/London/x"])
def test_a_tzid_naming_a_folder_of_tzdata_is_an_unknown_zone(
    tzid: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw = corpus.calendar(corpus.vevent(SLOT, DTSTART=f"DTSTART;TZID={tzid}:20261201T140000"))[0]

    with caplog.at_level(logging.WARNING):
        [event] = parse(raw)

    assert event.start == dt.datetime(2026, 12, 1, 14, 0, tzinfo=LONDON)
    [warning] = caplog.messages
    assert f"unknown TZID {tzid!r}, read in Europe/London" in warning


def test_a_tzid_of_10_kb_is_shown_cut(caplog: pytest.LogCaptureFixture) -> None:
    tzid = "Zone/" + "x" * 10_240
    raw = corpus.calendar(corpus.vevent(SLOT, DTSTART=f'DTSTART;TZID="{tzid}":20261201T140000'))

    with caplog.at_level(logging.WARNING):
        parse(raw[0])

    [warning] = caplog.messages
    assert len(warning) < 300 and "Zone/xxx" in warning


def test_an_object_of_too_many_lines_is_refused_unparsed() -> None:
    lines = ["X-A:1"] * limits.OBJECT_LINES
    too_many = corpus.calendar(corpus.vevent(SLOT, *lines))[0]

    begun = time.process_time()
    with pytest.raises(ObjectError, match=f"more than the {limits.OBJECT_LINES:,} syncd reads"):
        parse(too_many)
    assert time.process_time() - begun < 0.2

    fewer = corpus.calendar(corpus.vevent(SLOT, *lines[:-20]))[0]
    [event] = parse(fewer)
    assert event.title == SLOT.title


# --- the core, on what a Google event may say -------------------------------------------


def found(**fields: Any) -> Any:
    start = dt.datetime(2026, 12, 1, 14, 0, tzinfo=LONDON)
    values: dict[str, Any] = {"id": "ev1", "calendar": "cal", "title": "Interview with Acme",
                              "start": start, "end": start + dt.timedelta(hours=1)}  # fmt: skip
    values.update(fields)
    source = SourceConfig(name="gmail", kind="google")
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)
    return detect(CalendarEvent(**values), source, Config(timezone=LONDON), now)


def test_an_end_before_the_start_plans_from_the_start() -> None:
    start = dt.datetime(2026, 12, 1, 14, 0, tzinfo=LONDON)

    assert found(end=start - dt.timedelta(days=1)).end == start
    assert found(start=start.date(), end=start).end == start.date() + dt.timedelta(days=1)
    assert found(end=start + dt.timedelta(hours=2)).end == start + dt.timedelta(hours=2)


def test_a_lone_surrogate_is_never_copied_into_a_follow_up() -> None:
    interview = found(title="Interview with Acme \ud800 Ltd", description="contact: Ann \udfff")

    assert interview.company == "Acme  Ltd" and interview.contact.strip() == "Ann"
    for value in (interview.title, interview.company, interview.contact):
        value.encode("utf-8")  # raises on a surrogate


def test_the_noncharacters_no_xml_carries_are_never_copied_into_a_follow_up() -> None:
    interview = found(title="Interview with Acme\uffff Ltd", description="contact: Ann \ufffe")

    assert interview.company == "Acme Ltd" and interview.contact.strip() == "Ann"
    assert "\uffff" not in interview.title
