"""Values of the model that are more than data: ``instant``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from syncd.model import instant

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (dt.datetime(2026, 7, 1, 10, tzinfo=LONDON), dt.UTC, dt.datetime(2026, 7, 1, 9)),
        (dt.datetime(2026, 7, 1, 10), LONDON, dt.datetime(2026, 7, 1, 9)),
        (dt.datetime(2026, 7, 1, 10), dt.UTC, dt.datetime(2026, 7, 1, 10)),
        (dt.date(2026, 7, 1), LONDON, dt.datetime(2026, 6, 30, 23)),
        (dt.date(2026, 7, 1), dt.UTC, dt.datetime(2026, 7, 1, 0)),
    ],
)
def test_instant_is_an_aware_utc_time(
    value: dt.datetime | dt.date, zone: dt.tzinfo, expected: dt.datetime
) -> None:
    got = instant(value, zone)
    assert got == expected.replace(tzinfo=dt.UTC) and got.tzinfo is dt.UTC


TOKYO, HONOLULU = ZoneInfo("Asia/Tokyo"), ZoneInfo("Pacific/Honolulu")
EARLIEST, LATEST = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        (dt.date(1, 1, 1), TOKYO, EARLIEST),  # midnight in Tokyo is the year 0 in UTC
        (dt.datetime(1, 1, 1, 3), TOKYO, EARLIEST),
        (dt.datetime(9999, 12, 31, 23), HONOLULU, LATEST),
        (dt.datetime(9999, 12, 31, 23, tzinfo=HONOLULU), dt.UTC, LATEST),
    ],
)
def test_instant_at_the_edge_of_python_dates_never_overflows(
    value: dt.datetime | dt.date, zone: dt.tzinfo, expected: dt.datetime
) -> None:
    assert instant(value, zone) == expected
