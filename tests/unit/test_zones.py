"""The zone in force: where the config's zone came from, and zone_in_force."""

from __future__ import annotations

import datetime as dt
import tomllib
from zoneinfo import ZoneInfo

import pytest

from providers import config_sections
from syncd.config import Config, parse_config, zone_in_force

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
