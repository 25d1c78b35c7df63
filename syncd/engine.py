"""One pass over one source: calendars -> read -> observe -> plan -> reconcile ->
apply -> commit. The rules are the core's (observe, detect, planner, reconcile);
this only sequences them between a provider and the state store
(docs/architecture.md). A calendar's observations commit with its sync token;
each write commits with its record once the server took it, so a crash between
two writes leaves state and calendar agreeing (a re-run finds the rest by identity).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from providers import Provider
from syncd import calendars, observe
from syncd.apply import REFUSED, Writer
from syncd.config import Config, SourceConfig
from syncd.model import Action, CalendarInfo, FollowUp, ReadScope
from syncd.planner import plan
from syncd.reconcile import reconcile
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

    def run(self, *, dry_run: bool) -> PassReport:
        name = self.source.name
        watched, target = calendars.resolve(self.source, self.provider, self.store, dry_run=dry_run)
        report = PassReport(name, calendars=watched)
        reads = {c.id: c for c in [*watched, *([target] if target else [])]}
        scope = observe.read_scope(self.config.detect, self.now)
        for calendar in reads.values():
            self.read(calendar, scope)
        self.plan(target)
        report.actions = self.reconcile()
        writer = Writer(name, self.provider, self.store, self.reconcile)
        for action in [] if dry_run else report.actions:
            outcome = writer.apply(action)
            where = reads[action.target].name if action.target in reads else action.target
            if outcome:
                report.left_alone.append((action, outcome))
                level = logging.WARNING if outcome.startswith(REFUSED) else logging.INFO
                log.log(level, "%s: %s: left %s alone: %s", name, where, _say(action), outcome)
            else:
                report.applied.append(action)
                log.info("%s: %s (%s)", name, _say(action), action.reason)
        if not dry_run:
            self.forget()
        return report

    def read(self, calendar: CalendarInfo, scope: ReadScope) -> None:
        """Read one calendar, observe what changed, commit that with the new token."""
        name, records = self.source.name, self.store.records(self.source.name)
        known = observe.known_etags(records.values(), calendar.id)
        token = self.store.token(name, calendar.id)
        interviews = self.store.interviews(name, calendar.id).values()
        scope = observe.reaching_back(scope, interviews, records.values(), self.now)
        changes = self.provider.read_changes(calendar, token, scope, known)
        seen = observe.observe(
            changes, calendar, interviews, records, scope, self.now, self.source, self.config
        )
        if seen.guard:
            log.warning("%s", seen.guard)
        for interview in seen.gone:
            log.info("%s: interview %r is gone", name, interview.title)
        if seen.refound:
            log.info("%s: %s: %d follow-ups found again", name, calendar.name, len(seen.refound))
        self.store.commit_read(name, calendar.id, seen, changes.token)

    def plan(self, target: CalendarInfo | None) -> None:
        interviews = self.store.interviews(self.source.name)
        records = self.store.records(self.source.name).values()
        marker = self.config.detect.heard_back_marker
        facts = observe.heard_back(interviews.values(), records, marker)
        self.desired = plan(
            facts, self.config, self.now, target_calendar=target.id if target else ""
        )
        self.active = set(interviews)
        self.gone = set(self.store.interviews(self.source.name, gone=True))

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


def _say(action: Action) -> str:
    what = action.followup.title if action.followup else action.followup_id
    when = f" at {action.followup.start:%Y-%m-%d %H:%M}" if action.followup else ""
    return f"{action.op} {what!r}{when}"
