"""``syncd status``: each source's health, zone and calendars, and the follow-ups coming
up, from the state store.

Titles, calendar names and error texts come from invitations and servers: each is
printed cut and without control characters (syncd.limits.shown), so that no escape
sequence reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from syncd import limits
from syncd.config import Config
from syncd.log_hygiene import redact
from syncd.model import RecordStatus
from syncd.state import StateStore
from syncd.state_health import FAILING, STATES, VANISHED, CalendarHealth

UPCOMING = 10

ORIGINS = {
    "config": "set in the config",
    "calendar": "the account's main calendar's",
    "system": "the system's",
}


def describe_status(config: Config, store: StateStore, now: dt.datetime) -> str:
    """Sources (last sync, last error, paused; the zone in force and where it came from;
    each calendar's state, by state then name) and the next follow-ups syncd wrote."""
    lines = ["Sources:"]
    upcoming = []
    for source in config.sources:
        status = store.source_status(source.name)
        # Every time of a source is shown in the zone it is planned in.
        zone = ZoneInfo(status.zone) if status is not None and status.zone else config.timezone
        if status is None:
            state = "never synced"
        elif status.paused:
            state = f"PAUSED: {_error(status.last_error)}"
        elif status.last_error:
            last = _local(status.last_sync, zone)
            state = f"failing: {_error(status.last_error)} (last good sync {last})"
        else:
            state = f"ok, last sync {_local(status.last_sync, zone)}"
        lines.append(f"  {source.name} ({source.kind}): {state}")
        if status is not None and status.zone:
            lines.append(f"    zone {status.zone} ({ORIGINS.get(status.zone_origin, '?')})")
        calendars = sorted(store.calendar_health(source.name), key=_order)
        lines += [f"    {_calendar(h, zone)}" for h in calendars]
        upcoming += [
            (r.start, r.title, source.name, zone)
            for r in store.records(source.name).values()
            if r.status == RecordStatus.WRITTEN and r.start > now
        ]
    if not config.sources:
        lines.append("  none configured")
    lines.append("Upcoming follow-ups:")
    for start, title, name, zone in sorted(upcoming, key=lambda u: u[:3])[:UPCOMING]:
        title = limits.shown(title, limits.LISTED_CHARS)
        lines.append(f"  {start.astimezone(zone):%a %Y-%m-%d %H:%M}  {title}  ({name})")
    if not upcoming:
        lines.append("  none")
    elif len(upcoming) > UPCOMING:
        lines.append(f"  ... and {len(upcoming) - UPCOMING} more")
    return "\n".join(lines)


def _order(health: CalendarHealth) -> tuple[int, str]:
    """Calendars by state (ok, read-only, failing, vanished), then name: the server's
    listing order is no order a reader can follow."""
    state = STATES.index(health.state) if health.state in STATES else len(STATES)
    return state, health.name.casefold()


def _calendar(health: CalendarHealth, zone: ZoneInfo) -> str:
    name = limits.shown(health.name, limits.LISTED_CHARS)
    if health.state in (FAILING, VANISHED):
        since = _local(health.since, zone)
        return f"calendar {name!r}: {health.state} since {since}: {_error(health.error)}"
    return f"calendar {name!r}: {health.state}"


def _error(text: str) -> str:
    return redact(limits.shown(text, limits.LOGGED_CHARS))


def _local(stamp: str, zone: ZoneInfo) -> str:
    if not stamp:
        return "never"
    return f"{dt.datetime.fromisoformat(stamp).astimezone(zone):%Y-%m-%d %H:%M}"
