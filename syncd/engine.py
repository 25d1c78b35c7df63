"""One pass over one source: calendars -> read -> observe -> plan -> reconcile ->
apply -> commit. The rules are the core's (observe, detect, routing, planner,
reconcile); this only sequences them between a provider and the state store
(docs/architecture.md). A calendar's observations commit with its sync token;
each write commits with its record once the server took it, so a crash between
two writes leaves state and calendar agreeing (a re-run finds the rest by identity).
A calendar that fails stays with that calendar (``syncd.health``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Callable

from providers import Provider
from syncd import calendars, limits, observe, routing
from syncd.apply import Writer
from syncd.calendars import Calendars
from syncd.config import Config, SourceConfig
from syncd.health import Health
from syncd.model import Action, CalendarInfo, FollowUp, ReadScope
from syncd.planner import plan
from syncd.reconcile import reconcile, this_pass
from syncd.series import left_out_notes
from syncd.state import StateStore

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PassReport:
    """What a pass did (or, dry, would do) for one source."""

    source: str
    actions: list[Action] = dataclasses.field(default_factory=list)
    applied: list[Action] = dataclasses.field(default_factory=list)
    left_alone: list[tuple[Action, str]] = dataclasses.field(default_factory=list)
    calendars: list[CalendarInfo] = dataclasses.field(default_factory=list)
    failures: list[str] = dataclasses.field(default_factory=list)  # calendars failed or gone


class Engine:
    """Runs passes; holds the config and the state store, nothing of a provider's."""

    def __init__(
        self, config: Config, store: StateStore, *, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.config, self.store = config, store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))

    def run_source(
        self, source: SourceConfig, provider: Provider, *, dry_run: bool = False
    ) -> PassReport:
        """One pass over ``source``; with ``dry_run`` nothing is written anywhere.

        Raises the provider's typed errors (TransientError, AuthError, ...);
        what was committed before stays committed.
        """
        one = _Pass(self.config, self.store, source, provider, self.clock())
        if not dry_run:
            return one.run(dry_run=False)
        with self.store.transaction(rollback=True):
            return one.run(dry_run=True)


@dataclasses.dataclass
class _Pass:
    """One pass over one source at ``now``; ``desired``, ``active``, ``gone``: its plan."""

    config: Config
    store: StateStore
    source: SourceConfig
    provider: Provider
    now: dt.datetime
    desired: list[FollowUp] = dataclasses.field(default_factory=list)
    active: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    gone: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    # (calendar, series) cut to the limit by a read of this pass, and said so already
    cut: set[tuple[str, str]] = dataclasses.field(default_factory=set)

    def run(self, *, dry_run: bool) -> PassReport:
        name = self.source.name
        health = Health(name, self.store, self.now)
        found = self.calendars(health, dry_run=dry_run)
        self.config = calendars.zone_for(name, self.config, found, self.store)
        scope = observe.read_scope(self.config.detect, self.now)
        for calendar, looking in found.reads():
            health.read(calendar, functools.partial(self.read, calendar, scope, looking))
        if health.not_found:  # gone, or a glitch: the calendars are listed again at once
            retry, done = set(health.not_found), {c.id for c, _ in found.reads()}
            found = self.calendars(health, dry_run=dry_run, relist=True)
            for calendar, looking in found.reads():
                if calendar.id in retry or calendar.id not in done:
                    health.read(calendar, functools.partial(self.read, calendar, scope, looking))
        report = PassReport(name, calendars=list(found.watch.watched))
        report.failures = health.settle(found)
        self.plan(found)
        report.actions, waiting = this_pass(self.reconcile(), self.store.records(name))
        if waiting:
            log.warning(
                "%s: %d writes in this pass, the most one pass makes; %d more at the next",
                name,
                len(report.actions),
                waiting,
            )
        if not dry_run:
            self.apply(report, found)
            self.forget()
        return report

    def calendars(self, health: Health, *, dry_run: bool, relist: bool = False) -> Calendars:
        found = calendars.resolve(
            self.source, self.provider, self.store, dry_run=dry_run, relist=relist
        )
        with self.store.transaction():
            health.listed(found)
        return found

    def read(self, calendar: CalendarInfo, scope: ReadScope, looking: bool) -> None:
        """Read one calendar, observe what changed, commit that with the new token.

        ``looking``: for interviews too; else only for syncd's follow-ups there.
        """
        name, records = self.source.name, self.store.records(self.source.name)
        known = observe.known_etags(records.values(), calendar.id)
        token = self.store.token(name, calendar.id)
        interviews = self.store.interviews(name, calendar.id).values() if looking else ()
        scope = observe.reaching_back(scope, interviews, records.values(), self.now)
        changes = self.provider.read_changes(calendar, token, scope, known)
        seen = observe.observe(
            changes, calendar, interviews, records, scope, self.now, self.source, self.config,
            detecting=looking,
        )  # fmt: skip
        for line in filter(None, (seen.guard, *seen.notes)):
            log.warning("%s", line)
        self.cut |= {(calendar.id, series) for series in seen.cut}
        for interview in seen.gone:
            log.info("%s: interview %r is gone", name, limits.shown(interview.title))
        if seen.refound:
            log.info("%s: %s: %d follow-ups found again", name, calendar.name, len(seen.refound))
        with self.store.transaction():  # while the guard holds, the next read is whole again
            self.store.commit_read(name, calendar.id, seen, None if seen.holding else changes.token)
            if seen.retry and (changes.full or calendar.writable):  # refused writes: again
                self.store.clear_refusals(name, calendar.id)

    def plan(self, found: Calendars) -> None:
        """Plan the interviews of the calendars read for them (those of a calendar no
        longer read are left as they are, with their follow-ups), where routing says."""
        name = self.source.name
        read = {c.id for c, looking in found.reads() if looking}
        interviews = {k: i for k, i in self.store.interviews(name).items() if k[0] in read}
        routes = routing.routes(interviews.values(), found.listed, found.target)
        for note in routes.notes:
            if self.store.first_time(name, note.key):
                log.log(logging.WARNING if note.warning else logging.INFO, "%s: %s", name, note)
        records = self.store.records(name).values()
        marker = self.config.detect.heard_back_marker
        routed = [i for key, i in interviews.items() if key in routes.where]
        for (calendar, series), said in left_out_notes(routed, self.config, self.now).items():
            # once per series, unless its read this pass said so already
            once = self.store.first_time(name, f"series-limit {calendar} {series}")
            if once and (calendar, series) not in self.cut:
                log.warning("%s: %s: %s", name, found.name(calendar), said)
        facts = observe.heard_back(routed, records, marker)
        self.desired = plan(facts, self.config, self.now, targets=routes.where)
        self.active = set(routes.where)
        self.gone = set(self.store.interviews(name, gone=True))

    def apply(self, report: PassReport, found: Calendars) -> None:
        """Carry out the actions; never in a calendar the server lists as read-only, nor
        a write refused before (until the next full read of its calendar)."""
        name = self.source.name
        read_only = frozenset(c.id for c in found.listed if not c.writable)
        held = frozenset(self.store.refusals(name))
        writer = Writer(name, self.provider, self.store, self.reconcile, read_only, held)
        report.applied, report.left_alone = writer.apply_all(report.actions, found.name)

    def reconcile(self, only: str = "") -> list[Action]:
        """The plan's actions against the records (of one follow-up, with ``only``)."""
        records = self.store.records(self.source.name)
        if only:
            records = {only: records[only]} if only in records else {}
        desired = [f for f in self.desired if not only or f.id == only]
        return reconcile(desired, records, active=self.active, gone=self.gone, now=self.now)

    def forget(self) -> None:
        """Retention: drop the interviews ``observe.forget`` says are no longer needed."""
        name = self.source.name
        live, gone = self.store.interviews(name), self.store.interviews(name, gone=True)
        records = self.store.records(name).values()
        with self.store.transaction():
            for key in observe.forget(live.values(), gone.values(), records, self.now):
                self.store.drop_interview(name, *key)
