"""Series bounds: at most INSTANCES_PER_SERIES of each series read, and at most
INTERVIEWS_PER_SERIES of its interviews planned (``planner.beyond_series_limit``).

One invitation repeating every minute would otherwise hold hundreds of thousands
of instances in a pass's window (docs/reliability.md). Pure, as ``observe``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from syncd import limits
from syncd.config import Config
from syncd.model import CalendarEvent, Interview, instant
from syncd.planner import beyond_series_limit


def within_series_limit(
    events: Iterable[CalendarEvent], zone: dt.tzinfo
) -> tuple[list[CalendarEvent], dict[str, str]]:
    """The events, with at most INSTANCES_PER_SERIES of each series: the earliest.

    The same bound for every provider, whether the server expands a series
    (Google) or the provider does (CalDAV, which may stop expanding one past the
    limit). Returns the events kept, in their order, and the series cut, each
    with its title.
    """
    events = list(events)
    of_series: defaultdict[str, list[CalendarEvent]] = defaultdict(list)
    for event in events:
        if event.series:
            of_series[event.series].append(event)
    dropped: set[int] = set()
    cut = {}
    for series, instances in of_series.items():
        if len(instances) <= limits.INSTANCES_PER_SERIES:
            continue
        ordered = sorted(instances, key=lambda e: (_start_of(e, zone), e.key))
        dropped |= {id(e) for e in ordered[limits.INSTANCES_PER_SERIES :]}
        cut[series] = ordered[0].title if isinstance(ordered[0].title, str) else ""
    return [e for e in events if id(e) not in dropped], cut


def series_notes(cut: Mapping[str, str], found: Iterable[Interview]) -> dict[str, str]:
    """A note for each series cut that holds interviews (a flood of anything else is
    not worth a warning), by series."""
    holding = {i.series for i in found}
    return {
        series: f"series {limits.shown(title)!r}: more than {limits.INSTANCES_PER_SERIES}"
        f" instances in the window: only the first {limits.INSTANCES_PER_SERIES} are read,"
        f" and at most {limits.INTERVIEWS_PER_SERIES} interviews of a series get follow-ups"
        " at a time"
        for series, title in cut.items()
        if series in holding
    }


def _start_of(event: CalendarEvent, zone: dt.tzinfo) -> dt.datetime:
    try:
        return instant(event.start, zone)
    except (TypeError, AttributeError):  # no usable start: last; detect names it
        return dt.datetime.max.replace(tzinfo=dt.UTC)


def left_out_notes(
    interviews: Iterable[Interview], config: Config, now: dt.datetime
) -> dict[tuple[str, str], str]:
    """A note for each series (calendar, series) whose interviews past the first
    INTERVIEWS_PER_SERIES get no follow-ups now (the planner leaves them out)."""
    return {
        series: f"series {limits.shown(left_out[0].title)!r}: more than"
        f" {limits.INTERVIEWS_PER_SERIES} interviews; only {limits.INTERVIEWS_PER_SERIES} of"
        f" them get follow-ups at a time, the earliest still ahead ({len(left_out)} left out now)"
        for series, left_out in beyond_series_limit(interviews, config, now).items()
    }
