"""A source's calendars for one pass: listed by the provider, cached in the state
store, listed again every REFRESH_EVERY passes, at once when a calendar is not
found, and when the source's ``calendars`` or ``target_calendar`` change. A
missing target calendar is created (again). Which calendars are read and where
follow-ups go are the core's rules (``syncd.routing``); the zone a source is
planned in is ``zone_for``.
"""

from __future__ import annotations

import dataclasses
import logging

from providers import Provider
from syncd.config import Config, SourceConfig, zone_in_force
from syncd.model import CalendarInfo
from syncd.routing import Watch, account_zone, main_calendar, watch
from syncd.state import StateStore

log = logging.getLogger(__name__)

REFRESH_EVERY = 12  # passes of a source between two listings of its calendars


@dataclasses.dataclass(frozen=True)
class Calendars:
    """What a pass knows of a source's calendars.

    ``listed``: every calendar the account lists. ``watch``: which are read for
    interviews, the target, the names that name nothing readable. ``vanished``:
    calendars read before that this listing no longer holds. ``created``: the
    target calendar, when this listing had to create it (again, perhaps under the
    same id, when the one it ``replaced`` vanished).
    """

    listed: tuple[CalendarInfo, ...]
    watch: Watch
    vanished: tuple[CalendarInfo, ...] = ()
    created: CalendarInfo | None = None
    replaced: str = ""  # the id of a target calendar that was gone and is ``created`` again
    fresh: bool = False  # listed in this pass

    @property
    def target(self) -> CalendarInfo | None:
        return self.watch.target

    def reads(self) -> list[tuple[CalendarInfo, bool]]:
        """The calendars to read, each with whether interviews are looked for there.

        The watched calendars and the target (as always); and the account's main
        calendar when follow-ups may go there (a watched calendar is read-only and
        no writable target is set) though it is not watched: read for syncd's
        follow-ups only, so that the user's edits and deletions there are seen.
        """
        out = {c.id: (c, True) for c in self.watch.watched}
        target = self.target
        if target is not None:
            out.setdefault(target.id, (target, True))
        main = main_calendar(self.listed)
        routed = any(not c.writable for c in self.watch.watched)
        if main is not None and routed and not (target is not None and target.writable):
            out.setdefault(main.id, (main, False))
        return list(out.values())

    def name(self, calendar: str) -> str:
        """The display name of a calendar id (the id when it is not listed)."""
        return next((c.name for c in self.listed if c.id == calendar), calendar)


def resolve(
    source: SourceConfig,
    provider: Provider,
    store: StateStore,
    *,
    dry_run: bool,
    relist: bool = False,
) -> Calendars:
    """The source's calendars: cached, or listed anew (``relist``: now).

    A missing target calendar is created, except in a dry run. Raises the
    provider's errors (a ``target_calendar`` URL that names nothing: NotFoundError).
    """
    signature = source.signature()
    cached = store.calendars(source.name, signature)
    if cached is not None and not relist and store.count_pass(source.name) < REFRESH_EVERY:
        listed = [CalendarInfo(*row) for row in cached]
        return Calendars(tuple(listed), _watch(source, listed))
    previous = [CalendarInfo(*row) for row in store.calendars(source.name) or []]
    listed = provider.list_calendars()
    ids = {c.id for c in listed}
    before = _watch(source, previous)
    read_before = [*before.watched, *([before.target] if before.target else [])]
    vanished = tuple(c for c in read_before if c.id not in ids)
    created = None
    if source.target_calendar and _watch(source, listed).target is None:
        if dry_run:
            created = CalendarInfo(source.target_calendar, source.target_calendar)
        else:
            created = provider.ensure_calendar(source.target_calendar)
            log.info("%s: created calendar %r", source.name, created.name)
        listed.append(created)
    lost = before.target
    replaced = lost.id if created is not None and lost is not None and lost in vanished else ""
    store.set_calendars(source.name, signature, [dataclasses.astuple(c) for c in listed])
    chosen = _watch(source, listed)
    return Calendars(tuple(listed), chosen, vanished, created, replaced, fresh=True)


def _watch(source: SourceConfig, listed: list[CalendarInfo]) -> Watch:
    return watch(source.calendars, source.target_calendar, listed)


def zone_for(source: str, config: Config, found: Calendars, store: StateStore) -> Config:
    """``config`` with the zone the source is planned in (remembered for ``syncd status``).

    The config's ``timezone`` when set; else the zone of the account's main
    calendar; else the system's. Warns once when the config's zone is not the
    main calendar's.
    """
    theirs = account_zone(found.listed, found.watch.watched)
    zone, origin = zone_in_force(config, theirs)
    store.set_zone(source, zone.key, origin)
    differs = origin == "config" and theirs and theirs != zone.key
    if differs and store.first_time(source, f"zone {zone.key} {theirs}"):
        log.warning(
            "%s: timezone is %s, but the account's main calendar is in %s;"
            " follow-ups are planned in %s (take `timezone` out of the config to"
            " follow the calendar)",
            source,
            zone.key,
            theirs,
            zone.key,
        )
    return dataclasses.replace(config, timezone=zone)
