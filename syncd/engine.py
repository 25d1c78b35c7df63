"""One pass over one source: read changes, detect, plan, reconcile, apply, commit.

This is the only code that sequences those steps. Per watched calendar the
changes read and the new sync token commit in one transaction; then the plan
of the whole source is reconciled with the records, and each write commits its
record as soon as the server has accepted it, so a crash between two writes
leaves state and calendar agreeing (a re-run finds the rest by identity).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable

from providers import CalendarInfo, ChangeSet, Provider, ReadScope
from syncd import detect as detection
from syncd.config import Config, SourceConfig
from syncd.errors import ConflictError, GoneError, NotFoundError
from syncd.model import Action, FollowUpRecord, Interview, Op, RecordStatus
from syncd.observe import observe_event, observe_gone, observed_id
from syncd.planner import plan
from syncd.reconcile import reconcile, record_for
from syncd.state import StateStore

log = logging.getLogger(__name__)

# Interviews this far past are forgotten: every follow-up of theirs is long past.
FORGET_AFTER = dt.timedelta(days=400)
# Detection window for an interview already known: it stays known when it ages
# out of `detect.lookback`, as its decision-day calls may still lie ahead.
_WIDE = dt.timedelta(days=36500)


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
        self.config = config
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        wide = dataclasses.replace(config.detect, lookback=_WIDE, lookahead=_WIDE)
        self._wide_config = dataclasses.replace(config, detect=wide)

    def run_source(
        self, source: SourceConfig, provider: Provider, *, dry_run: bool = False
    ) -> PassReport:
        """One pass over ``source``; with ``dry_run`` nothing is written anywhere.

        Raises the provider's typed errors (TransientError, AuthError, ...);
        what was committed before stays committed.
        """
        if dry_run:
            with self.store.transaction(rollback=True):
                return self._pass(source, provider, dry_run=True)
        return self._pass(source, provider, dry_run=False)

    def _pass(self, source: SourceConfig, provider: Provider, *, dry_run: bool) -> PassReport:
        now = self.clock()
        report = PassReport(source.name)
        watched, target = self._calendars(source, provider, dry_run)
        report.calendars = watched
        reads = {c.id: c for c in watched}
        if target is not None:
            reads.setdefault(target.id, target)
        for calendar in reads.values():
            self._read(source, provider, calendar, now)
        report.actions = self._plan(source, target, now)
        if not dry_run:
            for action in report.actions:
                self._apply(source, provider, action, report)
            self._forget(source, now)
        return report

    # -- calendars

    def _calendars(
        self, source: SourceConfig, provider: Provider, dry_run: bool
    ) -> tuple[list[CalendarInfo], CalendarInfo | None]:
        """Watched calendars and the target calendar, resolved once and then cached."""
        signature = json.dumps([source.kind, source.url, source.calendars, source.target_calendar])
        cached = self.store.calendars(source.name, signature)
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
        self.store.set_calendars(source.name, signature, resolved)
        return watched, target

    # -- reading

    def _read(
        self, source: SourceConfig, provider: Provider, calendar: CalendarInfo, now: dt.datetime
    ) -> None:
        start, end = now - self.config.detect.lookback, now + self.config.detect.lookahead
        detect = self.config.detect
        scope = ReadScope.of(start, end, [*detect.keywords, *detect.categories], detect.patterns)
        token = self.store.token(source.name, calendar.id)
        records = self.store.records(source.name)
        known = {
            r.resource: r.etag
            for r in records.values()
            if r.target == calendar.id and r.status == RecordStatus.WRITTEN
        }
        try:
            changes = provider.read_changes(calendar, token, scope, known)
        except GoneError:
            log.info("%s: %s: sync token expired, reading it whole", source.name, calendar.name)
            changes = provider.read_changes(calendar, None, scope, known)
        with self.store.transaction():
            self._observe(source, calendar, changes, records, now, (start, end))
            self.store.set_token(source.name, calendar.id, changes.token)

    def _observe(
        self,
        source: SourceConfig,
        calendar: CalendarInfo,
        changes: ChangeSet,
        records: dict[str, FollowUpRecord],
        now: dt.datetime,
        window: tuple[dt.datetime, dt.datetime],
    ) -> None:
        """Fold a change set into the known interviews and follow-up records."""
        known = self.store.interviews(source.name, calendar.id)
        here = {r.id: r for r in records.values() if r.target == calendar.id}
        seen_interviews: set[str] = set()
        seen_followups: set[str] = set()
        changed_resources: set[str] = set()
        for event in changes.events:
            changed_resources.add(event.resource)
            fid = observed_id(source.name, event)
            if fid is not None:
                record = observe_event(source.name, event, records.get(fid))
                if record is not None:
                    self.store.put_record(record)
                    seen_followups.add(fid)
                continue
            interview = detection.detect(event, source, self.config, now)
            if interview is None and (calendar.id, event.key) in known:
                interview = detection.detect(event, source, self._wide_config, now)
                if interview is not None and not _ended_before(interview, window[0]):
                    interview = None  # moved past the lookahead: no longer planned
            if interview is not None:
                self.store.put_interview(interview)
                seen_interviews.add(event.key)
        deleted = set(changes.deleted)
        for (_, key), interview in known.items():
            if key in seen_interviews:
                continue
            if interview.resource in changed_resources or _deleted(interview.resource, deleted):
                self._bury(interview)
        for record in here.values():
            if record.resource in deleted and record.id not in seen_followups:
                self.store.put_record(observe_gone(record))
        if changes.full:
            self._observe_full(source, calendar, changes, known, here, window)

    def _observe_full(
        self,
        source: SourceConfig,
        calendar: CalendarInfo,
        changes: ChangeSet,
        known: dict[tuple[str, str], Interview],
        here: dict[str, FollowUpRecord],
        window: tuple[dt.datetime, dt.datetime],
    ) -> None:
        """A complete read: what is known but was not in it is gone (with the guard)."""
        keys = {e.key for e in changes.events}
        ids = {observed_id(source.name, e) for e in changes.events}
        ids |= {r.id for r in here.values() if r.resource in changes.unchanged}
        if not changes.events and not changes.unchanged and (known or here):
            log.warning(
                "%s: %s: a full read came back empty; deleting nothing (mass-deletion guard)",
                source.name,
                calendar.name,
            )
            return
        for (_, key), interview in known.items():
            if key not in keys and _overlaps(interview, window):
                self._bury(interview)
        for record in here.values():
            if record.id not in ids and window[0] <= record.start < window[1]:
                self.store.put_record(observe_gone(record))

    def _bury(self, interview: Interview) -> None:
        log.info("%s: interview %r is gone", interview.source, interview.title)
        self.store.put_interview(interview, gone=True)

    # -- planning

    def _plan(
        self, source: SourceConfig, target: CalendarInfo | None, now: dt.datetime
    ) -> list[Action]:
        interviews = self.store.interviews(source.name)
        gone = set(self.store.interviews(source.name, gone=True))
        records = self.store.records(source.name)
        marker = self.config.detect.heard_back_marker
        heard = {
            (r.calendar, r.interview)
            for r in records.values()
            if r.status != RecordStatus.DELETED and detection.heard_back_in_title(r.title, marker)
        }
        facts = [
            dataclasses.replace(iv, heard_back=True) if key in heard else iv
            for key, iv in interviews.items()
        ]
        desired = plan(facts, self.config, now, target_calendar=target.id if target else "")
        return reconcile(desired, records, active=set(interviews), gone=gone, now=now)

    # -- writing

    def _apply(
        self, source: SourceConfig, provider: Provider, action: Action, report: PassReport
    ) -> None:
        """Carry out one action; a conflict is re-read and decided again, never forced."""
        with self.store.transaction():
            outcome = self._write(source, provider, action)
        if outcome:
            report.left_alone.append((action, outcome))
            log.info("%s: left %s alone: %s", source.name, _describe(action), outcome)
        else:
            report.applied.append(action)
            log.info("%s: %s (%s)", source.name, _describe(action), action.reason)

    def _write(self, source: SourceConfig, provider: Provider, action: Action) -> str:
        """Returns "" when done, else why the calendar was left as it is."""
        record = self.store.record(action.followup_id)
        try:
            self._attempt(provider, action, record)
        except ConflictError:
            return self._after_conflict(source, provider, action, record)
        except NotFoundError:
            if record is None:
                return "its calendar is gone"
            if action.op == Op.DELETE:
                self.store.put_record(dataclasses.replace(record, status=RecordStatus.REMOVED))
                return ""
            self.store.put_record(observe_gone(record))
            return "deleted by the user meanwhile"
        return ""

    def _attempt(self, provider: Provider, action: Action, record: FollowUpRecord | None) -> None:
        """One conditional write, and its record once the server accepted it."""
        followup = action.followup
        if action.op == Op.DELETE:
            assert record is not None, "a delete is only planned from a record"
            provider.delete(action.target, action.resource, action.etag)
            self.store.put_record(dataclasses.replace(record, status=RecordStatus.REMOVED))
            return
        assert followup is not None, "create and update carry the follow-up"
        if action.op == Op.CREATE:
            event = provider.create(followup)
        else:
            event = provider.update(followup, action.resource, action.etag)
        self.store.put_record(record_for(followup, event))

    def _after_conflict(
        self,
        source: SourceConfig,
        provider: Provider,
        action: Action,
        record: FollowUpRecord | None,
    ) -> str:
        """A conditional write failed: re-read it and decide again, once."""
        current = provider.get(action.target, action.followup_id)
        if current is None:
            if record is not None:
                self.store.put_record(observe_gone(record))
            return "gone meanwhile"
        seen = observe_event(source.name, current, record)
        if seen is None:
            return "an event that is not syncd's holds its identity"
        self.store.put_record(seen)
        if seen.status == RecordStatus.EDITED:
            return "edited by the user"
        followup = action.followup
        if action.op == Op.DELETE:
            provider.delete(action.target, seen.resource, seen.etag)
            self.store.put_record(dataclasses.replace(seen, status=RecordStatus.REMOVED))
            return ""
        if followup is None or seen.fingerprint == followup.fingerprint:
            return ""
        event = provider.update(followup, seen.resource, seen.etag)
        self.store.put_record(record_for(followup, event))
        return ""

    def _forget(self, source: SourceConfig, now: dt.datetime) -> None:
        """Drop tombstones with no future follow-up left, and long-past interviews."""
        records = self.store.records(source.name)
        pending = {
            (r.calendar, r.interview)
            for r in records.values()
            if r.status == RecordStatus.WRITTEN and r.start > now
        }
        with self.store.transaction():
            for key in self.store.interviews(source.name, gone=True):
                if key not in pending:
                    self.store.drop_interview(source.name, *key)
            for key, interview in self.store.interviews(source.name).items():
                if _ended_before(interview, now - FORGET_AFTER):
                    self.store.drop_interview(source.name, *key)


def _pick(available: list[CalendarInfo], wanted: str, source: str) -> CalendarInfo:
    for calendar in available:
        if calendar.answers_to(wanted):
            return calendar
    names = ", ".join(sorted(c.name for c in available)) or "none"
    raise NotFoundError(f"{source}: no calendar {wanted!r} (there are: {names})")


def _deleted(resource: str, deleted: set[str]) -> bool:
    """Whether the resource, or the series it is an instance of, is gone.

    Google instance ids are "<series id>_<start>" (no "/", unlike CalDAV hrefs).
    """
    series = resource.split("_", 1)[0] if "/" not in resource else resource
    return resource in deleted or series in deleted


def _instant(value: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)


def _ended_before(interview: Interview, moment: dt.datetime) -> bool:
    return _instant(interview.end) < moment


def _overlaps(interview: Interview, window: tuple[dt.datetime, dt.datetime]) -> bool:
    return _instant(interview.end) >= window[0] and _instant(interview.start) < window[1]


def _describe(action: Action) -> str:
    what = action.followup.title if action.followup else action.followup_id
    when = f" at {action.followup.start:%Y-%m-%d %H:%M}" if action.followup else ""
    return f"{action.op} {what!r}{when}"
