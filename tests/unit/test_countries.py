"""The country of a time zone: zone.tab, zone1970.tab, aliases, zones in no country."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from syncd.countries import public_holiday_country, zone_country

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/London", "GB"),
        ("America/New_York", "US"),
        ("Europe/Berlin", "DE"),
        ("Europe/Oslo", "NO"),  # a link to Berlin since 2022: zone.tab keeps its own line
        ("Arctic/Longyearbyen", "SJ"),
        ("Europe/Jersey", "JE"),
        ("Asia/Kolkata", "IN"),
        ("Asia/Calcutta", "IN"),  # an old alias, in neither table: the zone it copies
        ("US/Eastern", "US"),
        ("GB", "GB"),
        ("Europe/Kiev", "UA"),
        ("Antarctica/Troll", "AQ"),
        ("UTC", None),
        ("Etc/UTC", None),
        ("Etc/GMT-3", None),
        ("GMT", None),
        ("CET", None),
        ("EST5EDT", None),
        ("Factory", None),
        ("Nowhere/Atlantis", None),
        ("../etc/passwd", None),
        ("Europe", None),
        ("", None),
    ],
)
def test_zone_country(zone: str, country: str | None) -> None:
    assert zone_country(zone) == country


@pytest.mark.parametrize(
    ("setting", "zone", "country"),
    [
        ("", LONDON, "GB"),
        ("", ZoneInfo("America/New_York"), "US"),
        ("", ZoneInfo("UTC"), ""),
        ("none", LONDON, ""),
        ("US", LONDON, "US"),
    ],
)
def test_public_holiday_country(setting: str, zone: ZoneInfo, country: str) -> None:
    assert public_holiday_country(setting, zone) == country
