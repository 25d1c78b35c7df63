"""RDATE and EXDATE lists cut before parsing: the same instances, read at a bounded cost."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import hostile_objects as hostile

from providers.caldav import datelists
from providers.caldav.ical import parse_object
from syncd import limits

LONDON = ZoneInfo("Europe/London")
START = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)
END = dt.datetime(2027, 7, 1, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def starts(raw: bytes | str) -> list[dt.datetime]:
    events = parse_object(raw, calendar="c", resource="/cal/x.ics", etag='"e"', tz=LONDON,
                          me=(), start=START, end=END)  # fmt: skip
    return [e.start for e in events]  # type: ignore[misc]


def object_with(rdates: list[dt.datetime], exdates: list[dt.datetime]) -> str:
    def values(moments: list[dt.datetime]) -> str:
        return ",".join(hostile.utc(m) for m in moments)

    lines = [f"RDATE:{values(rdates)}"] + ([f"EXDATE:{values(exdates)}"] if exdates else [])
    return hostile.wrap(
        hostile.vevent("x", FIRST, FIRST + dt.timedelta(hours=1), "Interview", *lines)
    ).decode()


def test_lists_within_the_bound_are_left_as_they_are() -> None:
    text = object_with([FIRST + dt.timedelta(days=d) for d in range(1, 40)], [])
    assert datelists.bounded(text, START, END) == (text, 0)


def test_unsorted_lists_keep_the_earliest_values_in_the_window() -> None:
    # 3,000 RDATEs in random order, a third of them years away; 600 EXDATEs among them
    rng = random.Random(7)
    near = [FIRST + dt.timedelta(minutes=5 * i) for i in range(1, 2001)]
    far = [FIRST + dt.timedelta(days=800 + i) for i in range(1000)]
    rdates = near + far
    rng.shuffle(rdates)
    exdates = rng.sample(near[:1200], 600)
    text = object_with(rdates, exdates)
    cut, left_out = datelists.bounded(text, START, END)
    assert left_out == 3000 - limits.DATES_PER_OBJECT
    expected = sorted({FIRST, *near} - set(exdates))[: limits.INSTANCES_PER_SERIES + 1]
    assert starts(cut) == starts(text) == expected


def test_fifty_thousand_rdates_read_the_same_first_instances() -> None:
    raw = hostile.rdates(FIRST)
    first = [FIRST + dt.timedelta(minutes=5 * i) for i in range(limits.INSTANCES_PER_SERIES + 1)]
    assert starts(raw) == first


def test_a_list_with_no_value_near_the_window_goes_whole() -> None:
    far = [FIRST + dt.timedelta(days=900 + i) for i in range(limits.DATES_PER_OBJECT + 1)]
    cut, left_out = datelists.bounded(object_with(far, []), START, END)
    assert "RDATE" not in cut and left_out == len(far)
    assert starts(cut) == [FIRST]
