"""Working days: weekends, the user's skipped dates and public holidays.

Calls fall on working days (docs/behaviour.md, "Decision day"). Which country's
public holidays count is ``holidays_in_force``: the ``calls.holidays`` setting,
else the country of the zone in force. The ``holidays`` package loads lazily,
once a plan has public holidays to skip.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from zoneinfo import ZoneInfo

from syncd.config import CallsConfig
from syncd.countries import public_holiday_country

log = logging.getLogger(__name__)

_FRIDAY = 4
_UTC = ZoneInfo("UTC")
_warned: set[str] = set()  # the zones' countries without a holiday table, warned about


def is_working_day(day: dt.date, calls: CallsConfig, zone: ZoneInfo = _UTC) -> bool:
    """True for Monday to Friday, not in ``calls.skip_dates``, not a public holiday.

    Public holidays are those of ``holidays_in_force(calls, zone)``: the
    ``calls.holidays`` country, none for "none", and for "" the country of
    ``zone`` (the zone in force; UTC, the default, is in no country). Raises
    ValueError for an unknown country code.
    """
    return is_working(day, calls, holidays_in_force(calls, zone))


def holidays_in_force(calls: CallsConfig, zone: ZoneInfo) -> str:
    """The country whose public holidays are skipped; "" for none.

    ``calls.holidays`` when it names a country; none for "none"; else the
    country of ``zone`` when the ``holidays`` package has its table (else none,
    with one warning per country and process).
    """
    country = public_holiday_country(calls.holidays, zone)
    if country and not calls.holidays and not _has_table(country):
        if country not in _warned:
            _warned.add(country)
            log.warning(
                "calls.holidays: the holidays package has no table for %s (the country of %s):"
                ' no public holidays are skipped; set a country code, or "none"',
                country,
                zone.key,
            )
        return ""
    return country


@functools.cache
def _has_table(country: str) -> bool:
    import holidays  # lazy: only a plan with public holidays to skip loads it

    return country in holidays.list_supported_countries()


def is_working(day: dt.date, calls: CallsConfig, country: str) -> bool:
    """``is_working_day`` for the country ``holidays_in_force`` chose ("": none)."""
    if day.weekday() > _FRIDAY or day in calls.skip_dates:
        return False
    return not (country and day in _public_holidays(country, day.year))


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    # Cached per (country, year): building the table is slow and the planner runs
    # every pass. A frozenset, as the `holidays` object grows when looked up.
    import holidays  # lazy: only a plan with public holidays to skip pays for it

    try:
        table = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise ValueError(f"unknown holidays country code {country!r}") from None
    return frozenset(table)


def working_day_near(day: dt.date, after: dt.date, calls: CallsConfig, country: str) -> dt.date:
    """The nearest working day on or before ``day`` strictly after ``after``, else the
    nearest later one."""
    one = dt.timedelta(days=1)
    probe = day
    while probe > after:
        if is_working(probe, calls, country):
            return probe
        probe -= one
    probe = max(day, after) + one
    while not is_working(probe, calls, country):
        probe += one
    return probe
