"""Observation: what a read of one calendar shows, folded into what syncd knows.

Pure: no store, no provider, no clock (``now`` is a parameter). A change set,
the interviews known of that calendar and the source's follow-up records go in;
a ``Delta`` comes out: interviews new or changed, interviews gone, follow-ups
read back (edited by the user, found again after the state was lost) or
deleted by the user, and whether the mass-deletion guard held. Beside it: the
window a pass reads, heard-back from follow-up titles, and retention. The rules
are those of docs/behaviour.md; what a change set promises is docs/providers.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from syncd import guard
from syncd.config import Config, DetectConfig, SourceConfig
from syncd.detect import detect
from syncd.facts import heard_back_in_title
from syncd.model import (
    CalendarEvent,
    CalendarInfo,
    ChangeSet,
    FollowUpRecord,
    Interview,
    ReadScope,
    RecordStatus,
    content_fingerprint,
    followup_id,
    instant,
)
from syncd.planner import FOLLOWUP_REACH
from syncd.series import series_notes, within_series_limit

# Interviews this far past are forgotten: every follow-up of theirs is long past.
FORGET_AFTER = dt.timedelta(days=400)


@dataclasses.dataclass(frozen=True)
class Delta:
    """What one read changed in what syncd knows of a calendar.

    ``interviews``: new or changed, to keep. ``gone``: known ones that were
    cancelled, deleted, moved past the lookahead or are no interview any more
    (kept as tombstones until their follow-ups are dealt with). ``buried``: cancelled
    interviews syncd did not know (its state lost or reset meanwhile), kept as
    tombstones too, so that their follow-ups, found again, are deleted. ``followups``:
    records of follow-ups read back, written (a new etag) or edited by the
    user; ``refound`` names those among them syncd held no record of (the
    state was lost). ``deleted``: records of follow-ups the user deleted.
    ``guard``: the warnings to log of the mass-deletion guard (``syncd.guard``), one
    line each, else "". ``holding``: the guard holds interviews of this calendar,
    so it is to be read whole again next time. ``retry``: writes refused in this
    calendar may be tried again (a full read the guard believes, or a read
    showing a change of the user's: the event that held a follow-up's place may
    be gone). ``notes``: other warnings to log, one line each: a series of
    interviews cut to the limit, whose resources are in ``cut``.
    """

    interviews: tuple[Interview, ...] = ()
    gone: tuple[Interview, ...] = ()
    buried: tuple[Interview, ...] = ()
    followups: tuple[FollowUpRecord, ...] = ()
    deleted: tuple[FollowUpRecord, ...] = ()
    refound: tuple[str, ...] = ()
    guard: str = ""
    notes: tuple[str, ...] = ()
    cut: tuple[str, ...] = ()
    holding: bool = False
    retry: bool = False

    @property
    def records(self) -> tuple[FollowUpRecord, ...]:
        """Every follow-up record to store."""
        return (*self.followups, *self.deleted)

    @property
    def edited(self) -> tuple[FollowUpRecord, ...]:
        """The follow-ups read back that are the user's now."""
        return tuple(r for r in self.followups if r.status == RecordStatus.EDITED)


def read_scope(rules: DetectConfig, now: dt.datetime) -> ReadScope:
    """What a pass reads: from ``now - lookback`` to ``now + lookahead`` plus the reach
    of follow-ups (so what was planned is read back), and the detection words."""
    return ReadScope.of(
        now - rules.lookback,
        now + rules.lookahead + FOLLOWUP_REACH,
        [*rules.keywords, *rules.categories],
        rules.patterns,
    )


def reaching_back(
    scope: ReadScope,
    known: Iterable[Interview],
    records: Iterable[FollowUpRecord],
    now: dt.datetime,
) -> ReadScope:
    """``scope`` reaching back to every ``known`` interview whose follow-ups are still
    ahead, though it aged out of the lookback.

    A provider reports an object changed so that nothing of it is in the window
    as deleted (docs/providers.md): an edit of such an interview must be read as
    an edit, not as its deletion, while its follow-ups are pending.
    """
    pending = {(r.calendar, r.interview) for r in records if r.start > now}
    starts = [instant(i.start) for i in known if (i.calendar, i.key) in pending]
    if not starts or min(starts) >= scope.start:
        return scope
    return dataclasses.replace(scope, start=min(starts))


def observe(
    changes: ChangeSet,
    calendar: CalendarInfo,
    known: Iterable[Interview],
    records: Mapping[str, FollowUpRecord],
    scope: ReadScope,
    now: dt.datetime,
    source: SourceConfig,
    config: Config,
    *,
    detecting: bool = True,
) -> Delta:
    """Fold one calendar's change set into its ``known`` interviews and the source's
    follow-up ``records`` (by id).

    An event is syncd's follow-up only when its markers name the identity of
    its slot; any other event goes through detection (unless not ``detecting``:
    a calendar read only for the follow-ups syncd wrote there), where a known
    one stays known when it ages out of the lookback. A known interview is gone
    when its event was read and is no interview any more, or its resource or
    series is in ``deleted``. A full read also buries what it should have shown
    in ``scope``'s window and did not, unless the mass-deletion guard holds
    (``syncd.guard``: it came back empty while syncd knew of something there, or
    misses most known interviews at once): then nothing is buried. Of a series
    with more than INSTANCES_PER_SERIES instances only the earliest are read
    (syncd.limits), with one note: a known interview past them is gone.
    """
    part = observe_followups(source.name, changes, records, calendar.id)
    before = {i.key: i for i in known}
    events, cut = within_series_limit(changes.events, config.timezone)
    found: dict[str, Interview] = {}
    buried: dict[str, Interview] = {}
    for event in events:
        if not detecting or observed_id(source.name, event) is not None:
            continue
        interview = detect(event, source, config, now, known=event.key in before)
        if interview is not None:
            found[event.key] = interview
        elif event.key not in before and _cancelled(event):
            was = detect(dataclasses.replace(event, status="confirmed"), source, config, now)
            if was is not None:
                buried[event.key] = was
    deleted = set(changes.deleted)
    touched = {e.resource for e in changes.events} | deleted
    gone = {
        key: interview
        for key, interview in before.items()
        if key not in found
        and (interview.resource in touched or interview.series in deleted - {""})
    }
    more: list[FollowUpRecord] = []
    verdict = guard.Verdict(gone={}, held={})
    if changes.full:
        here = [r for r in records.values() if r.target == calendar.id]
        window = {key: i for key, i in before.items() if _overlaps(i, scope)}
        keys = {e.key for e in events}
        # Known interviews whose object the read shows without them are gone for sure;
        # those whose object it does not show at all are what the guard judges.
        places = (touched | {e.series for e in changes.events}) - {""}
        absent = {key: i for key, i in window.items() if key not in keys and key not in gone}
        missing = {k: i for k, i in absent.items() if not {i.resource, i.series} & places}
        empty = not changes.events and not changes.unchanged and bool(before or here)
        verdict = guard.judge(missing, len(window), empty=empty, now=now)
        gone |= {k: i for k, i in absent.items() if k not in missing} | verdict.gone
        if not verdict.holds:
            ids = {observed_id(source.name, e) for e in changes.events}
            ids |= {r.id for r in here if r.resource in changes.unchanged}
            seen = {r.id for r in part.deleted}
            more = [
                r
                for r in here
                if r.id not in ids | seen and scope.start <= r.start < scope.end and _gone(r)
            ]
    notes = series_notes(cut, found.values())
    where = f"{source.name}: {calendar.name}"
    held, let_go = guard.warnings(verdict, where, now, config.timezone)
    return dataclasses.replace(
        part,
        interviews=tuple(i for key, i in {**found, **verdict.held}.items() if before.get(key) != i),
        gone=tuple(gone.values()),
        buried=tuple(buried.values()),
        deleted=(*part.deleted, *(observe_gone(r) for r in more)),
        guard=held,
        notes=(*(f"{where}: {note}" for note in notes.values()), *filter(None, [let_go])),
        cut=tuple(notes),
        holding=bool(verdict.held),
        retry=not verdict.holds if changes.full else _users_change(source.name, changes, records),
    )


def _users_change(source: str, changes: ChangeSet, records: Mapping[str, FollowUpRecord]) -> bool:
    """Whether an incremental read shows an event that is not syncd's changed or deleted:
    one that held a follow-up's place or UID may be gone."""
    ours = {r.resource for r in records.values()}
    return any(r not in ours for r in changes.deleted) or any(
        observed_id(source, e) is None for e in changes.events
    )


def observe_followups(
    source: str, changes: ChangeSet, records: Mapping[str, FollowUpRecord], calendar: str
) -> Delta:
    """The follow-ups part of ``observe``: what ``changes`` of ``calendar`` show of
    syncd's follow-ups (also how one follow-up re-read after a write conflict is seen).

    A cancelled event at a follow-up's slot, markers and all (Google keeps a
    deleted event so), is a follow-up deleted: by the user, unless syncd removed
    it itself; so it is known as deleted even after the state was lost.

    Returns a Delta with ``followups``, ``refound`` and ``deleted`` only.
    """
    seen: dict[str, FollowUpRecord] = {}
    tombs: dict[str, FollowUpRecord] = {}
    for event in changes.events:
        fid = observed_id(source, event)
        if fid is None:
            continue
        if _cancelled(event):
            if tomb := observe_tombstone(source, event, records.get(fid)):
                tombs[fid] = tomb
        elif record := observe_event(source, event, records.get(fid)):
            seen[fid] = record
    deleted = set(changes.deleted)
    return Delta(
        followups=tuple(seen.values()),
        refound=tuple(fid for fid in seen if fid not in records),
        deleted=(
            *tombs.values(),
            *(
                observe_gone(r)
                for r in records.values()
                if r.target == calendar
                and r.resource in deleted
                and r.id not in seen | tombs.keys()
                and _gone(r)
            ),
        ),
    )


def observe_tombstone(
    source: str, event: CalendarEvent, record: FollowUpRecord | None
) -> FollowUpRecord | None:
    """The record after a follow-up's event was read cancelled; None: no change.

    Deleted by the user, unless the record says syncd removed it (or knew it
    deleted already); with no record (the state was lost) one is made from the
    markers, deleted by the user.
    """
    if record is not None:
        return observe_gone(record) if _gone(record) else None
    made = observe_event(source, dataclasses.replace(event, status="confirmed"), None)
    return dataclasses.replace(made, status=RecordStatus.DELETED) if made else None


def observe_slot(
    source: str,
    followup_id: str,
    calendar: str,
    current: CalendarEvent | None,
    record: FollowUpRecord | None,
) -> Delta:
    """What a re-read of one follow-up's slot shows (after a write conflict): ``current``
    is the event there now (None: nothing), ``record`` what syncd knew of it."""
    deleted = (record.resource,) if current is None and record is not None else ()
    changes = ChangeSet((current,) if current else (), deleted, token="", full=False)
    return observe_followups(source, changes, {followup_id: record} if record else {}, calendar)


def known_etags(records: Iterable[FollowUpRecord], calendar: str) -> dict[str, str]:
    """Resource -> etag of the follow-ups syncd wrote to ``calendar`` and holds as written:
    what a read may report unchanged instead of fetching again."""
    return {
        r.resource: r.etag
        for r in records
        if r.target == calendar and r.status == RecordStatus.WRITTEN
    }


def observed_id(source: str, event: CalendarEvent) -> str | None:
    """The follow-up identity an event is syncd's follow-up for, or None.

    The identity is recomputed from the markers and must be the one the
    event's place stands for (``slot``): markers anywhere else, a copy the user
    made say, make nothing syncd's (docs/providers.md).
    """
    if event.markers is None:
        return None
    m = event.markers
    fid = followup_id(source, m.calendar, m.interview, m.kind)
    return fid if fid == event.slot else None


def observe_event(
    source: str, event: CalendarEvent, record: FollowUpRecord | None
) -> FollowUpRecord | None:
    """The record after seeing a follow-up event's current content.

    Unedited (content matches its marker fingerprint): written, with the new
    etag. Edited: edited-by-user, from then on. No record (state lost): one is
    made from the markers. Returns None for an event that is not a follow-up.
    """
    fid = observed_id(source, event)
    if fid is None or event.markers is None or not isinstance(event.start, dt.datetime):
        return None
    edited = content_fingerprint(event) != event.markers.fingerprint
    if record is not None and record.status == RecordStatus.EDITED:
        edited = True
    status = RecordStatus.EDITED if edited else RecordStatus.WRITTEN
    return FollowUpRecord(
        id=fid,
        source=source,
        calendar=event.markers.calendar,
        interview=event.markers.interview,
        kind=event.markers.kind,
        target=event.calendar,
        resource=event.resource,
        etag=event.etag,
        fingerprint=event.markers.fingerprint,
        status=status,
        start=event.start,
        title=event.title,
    )


def observe_gone(record: FollowUpRecord) -> FollowUpRecord:
    """The record after its event was reported deleted: by the user, unless syncd had
    deleted it (or sent its delete and never heard back)."""
    if record.status in (RecordStatus.REMOVED, RecordStatus.REMOVING):
        return dataclasses.replace(record, status=RecordStatus.REMOVED)
    return dataclasses.replace(record, status=RecordStatus.DELETED)


def heard_back(
    interviews: Iterable[Interview], records: Iterable[FollowUpRecord], marker: str
) -> list[Interview]:
    """The interviews, each marked heard back when one of its follow-ups still in the
    calendar (not deleted by the user) carries ``marker`` in its title."""
    heard = {
        (r.calendar, r.interview)
        for r in records
        if r.status != RecordStatus.DELETED and heard_back_in_title(r.title, marker)
    }
    return [
        dataclasses.replace(i, heard_back=True) if (i.calendar, i.key) in heard else i
        for i in interviews
    ]


def forget(
    live: Iterable[Interview],
    tombstones: Iterable[Interview],
    records: Iterable[FollowUpRecord],
    now: dt.datetime,
) -> set[tuple[str, str]]:
    """(calendar, key) of the interviews to drop: tombstones with no written follow-up
    ahead of ``now`` left, once no follow-up of theirs can lie ahead any more (ended
    more than FOLLOWUP_REACH ago); and interviews that ended more than FORGET_AFTER ago.

    A tombstone outlives its records: a follow-up whose write syncd never heard back
    of (a lost answer, a crash before the commit) is found again by a later read,
    and only while the tombstone is kept is it known as one to delete.
    """
    pending = {
        (r.calendar, r.interview)
        for r in records
        if r.status in (RecordStatus.WRITTEN, RecordStatus.REMOVING) and r.start > now
    }
    over = {(i.calendar, i.key) for i in tombstones if instant(i.end) < now - FOLLOWUP_REACH}
    return (over - pending) | {
        (i.calendar, i.key) for i in live if instant(i.end) < now - FORGET_AFTER
    }


def _cancelled(event: CalendarEvent) -> bool:
    return event.status.strip().casefold() in ("cancelled", "canceled")


def _gone(record: FollowUpRecord) -> bool:
    """Whether reporting the record's event deleted changes the record."""
    return record.status not in (RecordStatus.DELETED, RecordStatus.REMOVED)


def _overlaps(interview: Interview, scope: ReadScope) -> bool:
    return instant(interview.end) >= scope.start and instant(interview.start) < scope.end
