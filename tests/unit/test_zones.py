"""The zone in force and the public holidays it implies: zone_in_force, and the
planner's holidays when ``calls.holidays`` is unset, "none" or a country."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tomllib
from zoneinfo import ZoneInfo

import pytest

from providers import config_sections
from syncd import countries, workdays
from syncd.config import CallsConfig, Config, parse_config, zone_in_force
from syncd.model import Interview
from syncd.planner import decision_day, plan
from syncd.workdays import holidays_in_force, is_working_day

LONDON = ZoneInfo("Europe/London")
CHICAGO = ZoneInfo("America/Chicago")
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system's zone, for a config that leaves ``timezone`` unset."""
    monkeypatch.setenv("TZ", "America/Chicago")


def parse(text: str) -> Config:
    return parse_config(tomllib.loads(text), "test.toml", config_sections())


# --- where the zone came from ---


def test_the_loader_records_where_the_zone_came_from() -> None:
    assert parse('timezone = "Europe/London"').zone_origin == "config"
    unset = parse("")
    assert (unset.timezone, unset.zone_origin) == (CHICAGO, "system")
    assert Config(timezone=LONDON).zone_origin == "config"  # built in code: stated


SET = 'timezone = "Europe/London"'


@pytest.mark.parametrize(
    ("config", "account_zone", "expected"),
    [
        pytest.param(SET, "", ("Europe/London", "config"), id="set"),
        pytest.param(SET, "America/New_York", ("Europe/London", "config"), id="set-wins"),
        pytest.param("", "America/New_York", ("America/New_York", "calendar"), id="calendar"),
        pytest.param("", "Asia/Calcutta", ("Asia/Calcutta", "calendar"), id="calendar-alias"),
        pytest.param("", "UTC", ("UTC", "calendar"), id="calendar-utc"),
        pytest.param("", "", ("America/Chicago", "system"), id="none-stated"),
        pytest.param("", "Mars/Olympus_Mons", ("America/Chicago", "system"), id="unknown"),
        pytest.param("", "Eastern Standard Time", ("America/Chicago", "system"), id="windows"),
        pytest.param("", "europe/london", ("America/Chicago", "system"), id="wrong-case"),
        pytest.param("", "Europe", ("America/Chicago", "system"), id="a-folder"),
        pytest.param("", "../../etc/passwd", ("America/Chicago", "system"), id="path"),
        pytest.param("", "/usr/share/zoneinfo/UTC", ("America/Chicago", "system"), id="abs"),
        pytest.param("", "posix/Europe/Paris", ("America/Chicago", "system"), id="posix"),
        pytest.param("", "localtime", ("America/Chicago", "system"), id="localtime"),
        pytest.param("", "zone.tab", ("America/Chicago", "system"), id="a-table"),
        pytest.param("", "Europe/" + "x" * 5000, ("America/Chicago", "system"), id="huge"),
        pytest.param("", " Europe/Paris", ("America/Chicago", "system"), id="spaced"),
    ],
)
def test_zone_in_force(config: str, account_zone: str, expected: tuple[str, str]) -> None:
    zone, origin = zone_in_force(parse(config), account_zone)
    assert (zone.key, origin) == expected


def test_zone_in_force_of_a_config_built_in_code_is_its_zone() -> None:
    assert zone_in_force(Config(timezone=LONDON), "Asia/Tokyo") == (LONDON, "config")
    system = Config(timezone=LONDON, zone_origin="system")
    assert zone_in_force(system, "Asia/Tokyo") == (ZoneInfo("Asia/Tokyo"), "calendar")
    assert zone_in_force(system) == (LONDON, "system")


# --- the planner's public holidays ---


def interview(day: str, key: str = "iv1") -> Interview:
    start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(14), tzinfo=LONDON)
    return Interview(
        source="work",
        calendar="cal",
        key=key,
        start=start,
        end=start + dt.timedelta(hours=1),
        company=f"Acme {key}",
        title=f"Interview with Acme {key}",
    )


def call_days(config: Config, day: str) -> list[str]:
    planned = plan([interview(day)], config, LONG_AGO)
    return [f"{f.start.astimezone(config.timezone):%a %Y-%m-%d %H:%M}" for f in planned[1:]]


def test_christmas_day_in_london_with_holidays_unset_moves_the_call() -> None:
    # Mon 21 Dec 2026, end of week: Fri 25 is Christmas Day; the nearest earlier
    # working day strictly after the interview is Thu 24.
    config = parse(SET)
    assert config.calls.holidays == ""
    assert call_days(config, "2026-12-21") == ["Thu 2026-12-24 10:00", "Thu 2026-12-24 15:00"]


def test_christmas_eve_interview_goes_to_the_next_working_day_after_boxing_day() -> None:
    # Nothing earlier is strictly after Thu 24: the next working day is Tue 29
    # (Mon 28 is the substitute Boxing Day).
    assert call_days(parse(SET), "2026-12-24") == ["Tue 2026-12-29 10:00", "Tue 2026-12-29 15:00"]


def test_holidays_none_keeps_christmas_day() -> None:
    config = parse(SET + '\n[calls]\nholidays = "None"\n')
    assert config.calls.holidays == "none"
    assert call_days(config, "2026-12-21") == ["Fri 2026-12-25 10:00", "Fri 2026-12-25 15:00"]


def test_a_zone_without_a_country_has_no_public_holidays() -> None:
    config = parse('timezone = "Etc/GMT"')
    assert call_days(config, "2026-12-21") == ["Fri 2026-12-25 10:00", "Fri 2026-12-25 15:00"]


def test_the_engine_sets_the_zone_in_force_and_the_holidays_follow_it() -> None:
    # A config without timezone on a machine in Chicago; the calendar says London.
    loaded = parse("")
    zone, _ = zone_in_force(loaded, "Europe/London")
    config = dataclasses.replace(loaded, timezone=zone)
    assert call_days(config, "2026-12-21") == ["Thu 2026-12-24 10:00", "Thu 2026-12-24 15:00"]


def test_a_country_without_a_holiday_table_means_none_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(workdays, "_has_table", lambda country: False)
    monkeypatch.setattr(workdays, "_warned", set())
    config = parse(SET)
    with caplog.at_level(logging.WARNING, logger="syncd.workdays"):
        first = call_days(config, "2026-12-21")
        assert call_days(config, "2026-12-21") == first
    assert first == ["Fri 2026-12-25 10:00", "Fri 2026-12-25 15:00"]
    (record,) = caplog.records
    assert "GB" in record.getMessage() and "Europe/London" in record.getMessage()


def test_an_explicit_country_is_used_as_it_is() -> None:
    assert holidays_in_force(CallsConfig(holidays="US"), LONDON) == "US"
    assert holidays_in_force(CallsConfig(holidays="none"), LONDON) == ""
    assert holidays_in_force(CallsConfig(), LONDON) == "GB"


def test_working_days_and_decision_days_take_the_zone_in_force() -> None:
    christmas = dt.date(2026, 12, 25)
    assert not is_working_day(christmas, CallsConfig(), LONDON)
    assert is_working_day(christmas, CallsConfig(holidays="none"), LONDON)
    assert is_working_day(christmas, CallsConfig())  # the default zone, UTC: no country
    monday = dt.date(2026, 12, 21)
    assert decision_day(monday, "friday", CallsConfig(), LONDON) == dt.date(2026, 12, 24)
    assert decision_day(monday, "friday", CallsConfig()) == christmas


def test_the_tables_are_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    read = countries._read

    def counted(name: str) -> bytes | None:
        reads.append(name)
        return read(name)

    monkeypatch.setattr(countries, "_read", counted)
    for cache in (countries._tables, countries._country_of, countries._by_content):
        cache.cache_clear()
    try:
        interviews = [interview(f"2026-12-{day:02d}", key=f"iv{day}") for day in range(1, 29)]
        workdays._public_holidays.cache_clear()
        plan(interviews, Config(timezone=LONDON), LONG_AGO)
        plan(interviews, Config(timezone=LONDON), LONG_AGO)
        assert reads == ["zone.tab", "zone1970.tab"]
        # one holiday table per country and year (the calls of late December reach 2027)
        assert workdays._public_holidays.cache_info().currsize == 2
    finally:
        for cache in (countries._tables, countries._country_of, countries._by_content):
            cache.cache_clear()
