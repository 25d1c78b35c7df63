"""Which calendars a pass reads and writes: the config's names resolved to a
provider's calendars once, then cached in the state store.
"""

from __future__ import annotations

import logging

from providers import Provider
from syncd.config import SourceConfig
from syncd.errors import NotFoundError
from syncd.model import CalendarInfo
from syncd.state import StateStore

log = logging.getLogger(__name__)


def resolve(
    source: SourceConfig, provider: Provider, store: StateStore, *, dry_run: bool
) -> tuple[list[CalendarInfo], CalendarInfo | None]:
    """The watched calendars and the target calendar (None: each interview's own).

    A missing target calendar is created, except in a dry run. The answer is
    cached under the config values it depends on. Raises NotFoundError when a
    configured calendar does not exist.
    """
    signature = source.signature()
    cached = store.calendars(source.name, signature)
    if cached is not None:
        infos = [CalendarInfo(*calendar) for calendar in cached]
        if source.target_calendar:
            return infos[:-1], infos[-1]
        return infos, None
    available = provider.list_calendars()
    if source.calendars:
        watched = [_pick(available, wanted, source.name) for wanted in source.calendars]
    else:
        watched = available
    target = None
    if source.target_calendar:
        found = [c for c in available if c.answers_to(source.target_calendar)]
        if found:
            target = found[0]
        elif dry_run:
            target = CalendarInfo(source.target_calendar, source.target_calendar)
        else:
            target = provider.ensure_calendar(source.target_calendar)
            log.info("%s: created calendar %r", source.name, target.name)
    if source.calendars == () and target is not None:
        watched = [c for c in watched if c.id != target.id]
    resolved = [(c.id, c.name, c.aliases) for c in [*watched, *([target] if target else [])]]
    store.set_calendars(source.name, signature, resolved)
    return watched, target


def _pick(available: list[CalendarInfo], wanted: str, source: str) -> CalendarInfo:
    for calendar in available:
        if calendar.answers_to(wanted):
            return calendar
    names = ", ".join(sorted(c.name for c in available)) or "none"
    raise NotFoundError(f"{source}: no calendar {wanted!r} (there are: {names})")
