"""``syncd status``: each source's health and the follow-ups coming up, from the state store."""

from __future__ import annotations

import datetime as dt

from syncd.config import Config
from syncd.model import RecordStatus
from syncd.state import StateStore

UPCOMING = 10


def describe_status(config: Config, store: StateStore, now: dt.datetime) -> str:
    """Sources (last sync, last error, paused) and the next follow-ups syncd wrote."""
    lines = ["Sources:"]
    upcoming = []
    for source in config.sources:
        status = store.source_status(source.name)
        if status is None:
            state = "never synced"
        elif status.paused:
            state = f"PAUSED: {status.last_error}"
        elif status.last_error:
            state = f"failing: {status.last_error} (last good sync {status.last_sync or 'never'})"
        else:
            state = f"ok, last sync {_local(status.last_sync, config)}"
        lines.append(f"  {source.name} ({source.kind}): {state}")
        upcoming += [
            (r.start, r.title, source.name)
            for r in store.records(source.name).values()
            if r.status == RecordStatus.WRITTEN and r.start > now
        ]
    if not config.sources:
        lines.append("  none configured")
    lines.append("Upcoming follow-ups:")
    for start, title, name in sorted(upcoming)[:UPCOMING]:
        lines.append(f"  {start.astimezone(config.timezone):%a %Y-%m-%d %H:%M}  {title}  ({name})")
    if not upcoming:
        lines.append("  none")
    elif len(upcoming) > UPCOMING:
        lines.append(f"  ... and {len(upcoming) - UPCOMING} more")
    return "\n".join(lines)


def _local(stamp: str, config: Config) -> str:
    if not stamp:
        return "never"
    return f"{dt.datetime.fromisoformat(stamp).astimezone(config.timezone):%Y-%m-%d %H:%M}"
