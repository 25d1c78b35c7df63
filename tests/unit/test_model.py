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
