"""providers.caldav on hostile objects (tests/hostile_objects.py): series and zones whose
expansion would not end are read within the limits of syncd/limits.py, at a bounded cost."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import hostile_objects as hostile
import pytest

from providers.caldav.budget import cpu_budget
from providers.caldav.ical import parse_object
from syncd import limits
from syncd.model import CalendarEvent

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
START, END = NOW - dt.timedelta(days=9), NOW + dt.timedelta(days=225)  # a pass's window
FIRST = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def parse(raw: bytes, tz: ZoneInfo = LONDON) -> list[CalendarEvent]:
    return parse_object(raw, calendar="https://dav.example.com/cal/", resource="/cal/x.ics",
                        etag='"e1"', tz=tz, me=(), start=START, end=END)  # fmt: skip


def measured(raw: bytes) -> tuple[list[CalendarEvent], float, float]:
    """The events, the CPU seconds and the peak MiB of one parse: the CPU time on one
    run, the memory on a second one under tracemalloc (which slows it down)."""
    cpu = time.process_time()
    events = parse(raw)
    cpu = time.process_time() - cpu
    logging.disable(logging.WARNING)  # its warnings were said on the first run
    tracemalloc.start()
    try:
        parse(raw)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
    return events, cpu, peak


# --- series -----------------------------------------------------------------------------

FLOODS = [
    ("minutely", hostile.minutely(FIRST), dt.timedelta(minutes=1)),
    ("secondly", hostile.secondly(FIRST), dt.timedelta(seconds=1)),
    ("byxxx-million", hostile.byxxx_million(FIRST), dt.timedelta(seconds=1)),
    ("rdates-50000", hostile.rdates(FIRST), dt.timedelta(minutes=5)),
]


@pytest.mark.parametrize(("raw", "step"), [f[1:] for f in FLOODS], ids=[f[0] for f in FLOODS])
def test_a_flooding_series_gives_one_instance_past_the_limit_quickly(
    raw: bytes, step: dt.timedelta, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        events, cpu, peak = measured(raw)
    # The first ones, in order: the core reads 500 and says there were more.
    assert len(events) == limits.INSTANCES_PER_SERIES + 1
    assert [e.start for e in events] == [FIRST + n * step for n in range(len(events))]
    assert {e.series for e in events} == {"/cal/x.ics"}
    assert not caplog.records
    assert cpu < 2.0 and peak < 200, (cpu, peak)


def test_exdates_among_the_first_instances_still_give_one_past_the_limit() -> None:
    skipped = ",".join(hostile.utc(FIRST + dt.timedelta(minutes=n)) for n in range(0, 40, 2))
    raw = hostile.minutely(FIRST).replace(b"RRULE:", f"EXDATE:{skipped}\r\nRRULE:".encode())
    events = parse(raw)
    assert len(events) == limits.INSTANCES_PER_SERIES + 1
    assert FIRST not in {e.start for e in events}


def test_a_series_within_the_limit_is_read_whole() -> None:
    events = parse(hostile.repeating(FIRST, "FREQ=DAILY;COUNT=200"))
    assert len(events) == 200


def test_a_rule_that_never_matches_again_is_skipped_within_the_budget(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        events, cpu, _ = measured(hostile.never_again(FIRST))
    assert events == []
    assert [r.getMessage() for r in caplog.records] == [
        "/cal/x.ics: skipped: reading it took more than 1 s of CPU (a recurrence rule or a"
        " time zone that cannot be expanded at a bounded cost)"
    ]
    assert cpu < 2.0


def test_a_long_description_is_read_up_to_its_limit_in_every_instance() -> None:
    raw = hostile.wrap(
        hostile.vevent(
            "long@x",
            FIRST,
            FIRST + dt.timedelta(hours=1),
            "Interview with Acme",
            "RRULE:FREQ=DAILY;COUNT=200",
            "DESCRIPTION:" + "y" * 3_000_000,
            "LOCATION:" + "z" * 100_000,
        )  # fmt: skip
    )
    events, _, peak = measured(raw)
    assert len(events) == 200
    assert {len(e.description) for e in events} == {limits.DESCRIPTION_CHARS + 1}
    assert {len(e.location) for e in events} == {limits.DESCRIPTION_CHARS + 1}
    assert peak < 200


def test_a_long_title_is_read_one_character_past_its_limit() -> None:
    raw = hostile.wrap(hostile.vevent("t@x", FIRST, FIRST, "Interview " + "x" * 50_000))
    [event] = parse(raw)
    assert len(event.title) == limits.TITLE_CHARS + 1


def test_times_at_the_edges_of_python_dates_raise_nothing() -> None:
    events = parse(hostile.edge_years())
    assert len(events) <= 3  # those that convert at all; the core skips them by year


# --- zones an object defines ------------------------------------------------------------

WALL = dt.datetime(2026, 12, 1, 10, 0)  # 10:00 in the hostile zone, whatever it is


@pytest.mark.parametrize(
    "rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY"]
)
def test_a_zone_past_its_limits_falls_back_to_the_zone_in_force_with_one_warning(
    rule: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        events, cpu, _ = measured(hostile.in_hostile_zone(WALL, rule))
    [event] = events
    assert event.start == WALL.replace(tzinfo=LONDON)
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("/cal/x.ics: VEVENT 'zone@hostile' ('Interview with Zone'): its")
    assert warning.endswith("TZID 'Hostile Zone', read in Europe/London")
    assert cpu < 2.0


def test_a_zone_with_too_many_rdates_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    onsets = ",".join(f"{2000 + n // 12}{n % 12 + 1:02d}01T020000" for n in range(2_400))
    raw = hostile.in_hostile_zone(WALL, "FREQ=YEARLY").replace(
        b"RRULE:FREQ=YEARLY\r\nEND:DAYLIGHT", f"RDATE:{onsets}\r\nEND:DAYLIGHT".encode()
    )
    with caplog.at_level(logging.WARNING):
        [event] = parse(raw)
    assert event.start == WALL.replace(tzinfo=LONDON)
    assert "more than 2,000 transitions up to 2200" in caplog.records[0].getMessage()


def test_an_ordinary_zone_of_its_own_is_still_used() -> None:
    # Outlook's way: yearly rules from 1601, under a name no zone database knows.
    raw = (
        hostile.in_hostile_zone(WALL, "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")
        .replace(b"DTSTART:19700329T020000", b"DTSTART:16010325T020000")
        .replace(b"DTSTART:19701025T030000", b"DTSTART:16011028T030000")
    )
    [event] = parse(raw, tz=ZoneInfo("Asia/Tokyo"))
    # 1 December: standard time, UTC+1 in that zone.
    assert event.start.astimezone(dt.UTC) == dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


# --- the budget -------------------------------------------------------------------------


def spin() -> None:
    def step() -> int:
        return 1

    while True:
        step()


def test_the_budget_stops_python_work_past_it() -> None:
    cpu = time.process_time()
    with cpu_budget(0.2) as budget:
        spin()
    assert budget.over
    assert 0.2 <= time.process_time() - cpu < 1.0


def test_a_library_catching_exception_cannot_swallow_the_budget() -> None:
    def stubborn() -> None:
        while True:
            try:
                spin()
            except Exception:
                continue

    with cpu_budget(0.1) as budget:
        stubborn()
    assert budget.over


def test_an_inner_budget_stops_its_block_and_the_outer_goes_on() -> None:
    with cpu_budget(5.0) as outer:
        with cpu_budget(0.1) as inner:
            spin()
        after = True
        with cpu_budget(0.1) as again:  # the tracer is back: a second inner one stops too
            spin()
    assert inner.over and again.over and after and not outer.over


def test_an_outer_budget_running_out_stops_the_inner_block_too() -> None:
    with cpu_budget(0.2) as outer:
        with cpu_budget(5.0) as inner:
            spin()
        raise AssertionError("not reached")
    assert outer.over and not inner.over


def test_a_tracer_set_before_is_called_and_set_back() -> None:
    seen: list[str] = []

    def outer_tracer(frame: Any, event: str, arg: Any) -> None:
        seen.append(event)

    previous = sys.gettrace()
    sys.settrace(outer_tracer)
    try:
        with cpu_budget(0.1) as budget:
            spin()
        assert sys.gettrace() is outer_tracer
    finally:
        sys.settrace(previous)
    assert budget.over and "call" in seen


def test_work_within_the_budget_is_untouched() -> None:
    def few() -> Iterator[int]:
        yield from range(1000)

    with cpu_budget(1.0) as budget:
        assert sum(few()) == 499500
    assert not budget.over
    assert sys.gettrace() is None or sys.gettrace() is not None  # left as it was
