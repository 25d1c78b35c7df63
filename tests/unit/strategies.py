"""Hypothesis strategies of interviews, configs and clocks, shared by property tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from syncd.config import CallsConfig, Config
from syncd.model import Interview

ZONES = [ZoneInfo(z) for z in ("Europe/London", "America/New_York", "Asia/Tokyo", "UTC")]
COMPANIES = ["Acme", "ACME", "acme ", "Globex", "Initech", "the employer"]
FORMS = ["end of week", "end of next week", "next week", "monday", "wednesday", "friday",
         "saturday", "sunday"]  # fmt: skip
# Instants around DST changes of the zones above (UTC), where wall clocks jump.
DST_EDGES = [
    dt.datetime(2027, 3, 14, 7, 0, tzinfo=dt.UTC),  # New York spring forward
    dt.datetime(2027, 11, 7, 6, 0, tzinfo=dt.UTC),  # New York fall back
    dt.datetime(2027, 3, 28, 1, 0, tzinfo=dt.UTC),  # London spring forward
    dt.datetime(2027, 10, 31, 1, 0, tzinfo=dt.UTC),  # London fall back
    dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC),
]
EARLIEST = dt.datetime(2026, 1, 1)
LATEST = dt.datetime(2028, 12, 31)
LONG_AGO = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

starts = st.one_of(
    st.datetimes(EARLIEST, LATEST, timezones=st.just(dt.UTC)),
    st.builds(
        lambda edge, minutes: edge + dt.timedelta(minutes=minutes),
        st.sampled_from(DST_EDGES),
        st.integers(-36 * 60, 36 * 60),
    ),
)


@st.composite
def interviews(draw: st.DrawFn, key: str) -> Interview:
    zone = draw(st.sampled_from(ZONES))
    begin = draw(starts).astimezone(zone)
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    if draw(st.booleans()):
        start = begin
        end = begin + dt.timedelta(minutes=draw(st.integers(15, 12 * 60)))
    else:
        start = begin.date()
        end = start + dt.timedelta(days=draw(st.integers(1, 4)))
    iso = (begin.date() + dt.timedelta(days=draw(st.integers(-10, 30)))).isoformat()
    return Interview(
        source="work",
        calendar=draw(st.sampled_from(["personal", "work"])),
        key=key,
        title="Interview",
        start=start,
        end=end,
        company=draw(st.sampled_from(COMPANIES)),
        remote=draw(st.booleans()),
        heard_back=draw(st.booleans()),
        decision=draw(st.sampled_from([*FORMS, iso])),
        agency=draw(st.sampled_from(["", "StaffCo"])),
    )


@st.composite
def interview_lists(draw: st.DrawFn) -> list[Interview]:
    count = draw(st.integers(1, 8))
    return [draw(interviews(f"ev{n}")) for n in range(count)]


configs = st.builds(
    lambda zone, country, skip: Config(
        timezone=zone, calls=CallsConfig(holidays=country, skip_dates=tuple(skip))
    ),
    st.sampled_from(ZONES),
    st.sampled_from(["", "none", "GB", "US"]),  # "": the zone's country
    st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2029, 1, 31)), max_size=40),
)
nows = st.one_of(
    st.datetimes(EARLIEST, LATEST, timezones=st.just(dt.UTC)),
    st.sampled_from(DST_EDGES),
)
