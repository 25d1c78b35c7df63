"""The country of a time zone, and so the public holidays an unset ``calls.holidays`` means.

The tz database says where its zones are: ``zone.tab`` gives one country per
zone (a link such as Europe/Oslo keeps its own line, NO), ``zone1970.tab``
lists every country that shares a zone, its own first (Europe/London: GB, GG,
IM, JE). A name in neither, an old alias such as US/Eastern or Asia/Calcutta
(calendar services still send some), is the zone1970.tab zone whose compiled
file it is a copy of. UTC, the Etc/ zones and the rule zones named by an
abbreviation (CET, EST5EDT, ...) are in no country.

Reading these tables counts as reading installed data, not as I/O: they ship
with the ``tzdata`` package (else with the system's zoneinfo folder), the same
files ``ZoneInfo`` reads for every zone the core plans in. Nothing here reads a
user's file, the network, the clock or the environment; one install gives one
answer, read once per process and cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import zoneinfo
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

NO_HOLIDAYS = "none"  # calls.holidays: public holidays off

# A zone name as the tz database spells them: no dots, no leading slash, not long.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
_NO_COUNTRY = frozenset(
    ("CET", "EET", "MET", "WET", "EST", "MST", "HST", "CST6CDT", "EST5EDT", "MST7MDT", "PST8PDT")
    + ("UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu", "Factory")
)


def zone_country(zone: str) -> str | None:
    """The ISO 3166 code of the country ``zone`` (an IANA name) lies in; None when none.

    zone.tab first, else the first country of zone1970.tab, else the zone an
    alias is a copy of; None for UTC, Etc/ and abbreviation zones, and for any
    name the tables do not know.
    """
    if len(zone) > 64 or not _NAME.fullmatch(zone) or zone in _NO_COUNTRY:
        return None
    if zone.startswith("Etc/"):
        return None
    return _country_of(zone)


def public_holiday_country(setting: str, zone: ZoneInfo) -> str:
    """The country whose public holidays are not working days; "" for none.

    ``setting`` is ``calls.holidays``: a country code is that country; "none"
    turns public holidays off; "" means the country of ``zone``, the zone in
    force (none for a zone in no country). Whether the ``holidays`` package
    knows that country is the planner's question (it loads that package).
    """
    if setting == NO_HOLIDAYS:
        return ""
    if setting:
        return setting
    return zone_country(zone.key) or ""


def holidays_comment(setting: str, zone: ZoneInfo, settled: bool) -> str:
    """What ``calls.holidays = setting`` means in ``zone``, for ``syncd config check``.

    ``settled``: the config sets the zone (else a calendar's zone may replace it).
    """
    if setting == NO_HOLIDAYS:
        return "no public holidays"
    if setting:
        return f"from the config: {setting}"
    country = public_holiday_country(setting, zone)
    where = zone.key if settled else f"{zone.key}, the system's zone; a calendar's may name another"
    if not country:
        return f"the zone's country: none ({where}): no public holidays"
    return f"the zone's country: {country} ({where})"


@functools.lru_cache(maxsize=256)
def _country_of(zone: str) -> str | None:
    own, shared = _tables()
    found = own.get(zone) or shared.get(zone)
    if found is None and (data := _read(zone)) is not None:
        found = _by_content().get(hashlib.sha256(data).digest())
    return found


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """zone.tab's zone -> country, and zone1970.tab's zone -> its first country."""
    return _read_table("zone.tab"), _read_table("zone1970.tab")


def _read_table(name: str) -> dict[str, str]:
    # Lines "CODES<TAB>coordinates<TAB>zone[<TAB>comment]"; CODES comma-separated.
    table: dict[str, str] = {}
    text = (_read(name) or b"").decode("utf-8", "replace")
    for line in text.splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 3 or not fields[0]:
            continue
        table.setdefault(fields[2], fields[0].split(",")[0])
    return table


@functools.cache
def _by_content() -> dict[bytes, str]:
    """zone1970.tab's zones by a digest of their compiled file: an alias is a copy of one."""
    index: dict[bytes, str] = {}
    for zone, country in _tables()[1].items():
        if (data := _read(zone)) is not None:
            index.setdefault(hashlib.sha256(data).digest(), country)
    return index


def _read(name: str) -> bytes | None:
    """A file of the tz database: the tzdata package's copy, else the system's; None if absent."""
    parts = name.split("/")
    with contextlib.suppress(ImportError, OSError, ValueError):
        found = resources.files("tzdata").joinpath("zoneinfo")
        for part in parts:
            found = found.joinpath(part)
        return found.read_bytes()
    for folder in zoneinfo.TZPATH:
        with contextlib.suppress(OSError, ValueError):
            return Path(folder, *parts).read_bytes()
    return None
