"""The instances of one object's series in a window, expanded only as far as they are read.

recurring_ical_events expands a series with dateutil: every rule is walked
period by period from its DTSTART, and ``between`` builds the whole list of
instances in the window. One invitation repeating every second, BYxxx lists
that multiply into millions a year, or 50,000 RDATEs would take minutes and
gigabytes for instances the core never reads (it reads INSTANCES_PER_SERIES of
a series, syncd.limits). So each series is first counted lazily, its rules
merged in order, up to the instance that makes one too many; only the span up
to there is expanded. The caller bounds the CPU time of all of it
(``budget.cpu_budget``): a rule that never matches again walks on to the year
9999 without yielding anything to count.

The counting reads what recurring_ical_events built for the series (its
dateutil rules, its EXDATEs); pyproject.toml pins the major version it was
written against, and tests/unit/test_ical_limits.py checks the result.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from typing import Any

import icalendar
import recurring_ical_events
from recurring_ical_events.util import convert_to_datetime

_SECOND = dt.timedelta(seconds=1)


def instances(
    cal: icalendar.Calendar, start: dt.datetime, end: dt.datetime, limit: int
) -> list[icalendar.Component]:
    """The VEVENT instances of the object's series overlapping [start, end), sorted by start:
    all of them, or when there are more than ``limit``, the first ``limit + 1`` (so that the
    caller sees there were more).

    Raises what recurring_ical_events raises for a series it cannot expand.
    """
    query = recurring_ical_events.of(cal)
    found: list[icalendar.Component] = []
    for series in query.series:
        stop = _stop(series, start, end, limit + 1)
        keep = query.keep_recurrence_attributes
        found.extend(o.as_component(keep) for o in series.between(start, stop))
    found.sort(key=lambda c: _sortable(c.get("DTSTART"), start.tzinfo))
    return found[: limit + 1]


def _stop(series: Any, start: dt.datetime, end: dt.datetime, wanted: int) -> dt.datetime:
    """Where to stop expanding the series: just after the start of its ``wanted``-th
    instance from ``start``; ``end`` when it has no more than that before ``end``."""
    recurrence = getattr(series, "recurrence", None)
    rules = getattr(recurrence, "rrules", None)
    if not rules:  # no rule of its own: only its RECURRENCE-ID instances
        return end
    zone = getattr(recurrence, "tzinfo", None)
    low, high = convert_to_datetime(start, zone), convert_to_datetime(end, zone)
    skipped: set[dt.datetime] = getattr(recurrence, "exdates", set())
    count = 0
    for moment in _unique(heapq.merge(*(rule.xafter(low, inc=True) for rule in rules))):
        if moment >= high:
            break
        if moment in skipped:
            continue
        count += 1
        if count == wanted:
            aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=start.tzinfo)
            return min(aware + _SECOND, end)
    return end


def _unique(moments: Iterator[dt.datetime]) -> Iterator[dt.datetime]:
    last = None
    for moment in moments:
        if moment != last:
            yield moment
        last = moment


def _sortable(prop: Any, zone: dt.tzinfo | None) -> dt.datetime:
    """A DTSTART as an aware datetime to sort by (a date or a floating time in ``zone``)."""
    value = getattr(prop, "dt", None)
    if not isinstance(value, dt.date):
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo is not None else value.replace(tzinfo=zone or dt.UTC)
