"""Reconciliation: desired follow-ups and the records of the existing ones in,
actions out (docs/behaviour.md). Pure: no I/O, ``now`` is a parameter.

What a read showed of the follow-ups (edited, deleted by the user) is already
in the records (``syncd.observe``); ``reconcile`` returns the writes that make
the calendar match, never touching an edited, user-deleted or past follow-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from syncd import limits
from syncd.model import Action, CalendarEvent, FollowUp, FollowUpRecord, Op, RecordStatus

# Records in these states are the user's now, or gone: syncd writes nothing to them.
_HANDS_OFF = frozenset({RecordStatus.EDITED, RecordStatus.DELETED})
# Records of follow-ups that may be in the calendar as syncd wrote them: a delete whose
# answer never came may not have been carried out.
_OURS = frozenset({RecordStatus.WRITTEN, RecordStatus.REMOVING})


def reconcile(
    desired: Iterable[FollowUp],
    records: Mapping[str, FollowUpRecord],
    *,
    active: set[tuple[str, str]],
    gone: set[tuple[str, str]],
    now: dt.datetime,
) -> list[Action]:
    """The writes that bring the calendars in line with ``desired``.

    ``records`` are all known follow-ups of the source by id. ``active`` holds
    (calendar, interview key) of every interview that was planned, ``gone`` those
    reported cancelled, deleted or no longer an interview. A follow-up of an
    interview in neither set (aged out of the window, say) is left alone.
    Rules: create what was never written (or what syncd itself removed); update
    an unedited one whose content differs; delete an unedited future one that
    is no longer wanted; never touch an edited, user-deleted or past one.
    """
    actions: list[Action] = []
    wanted: set[str] = set()
    for f in desired:
        wanted.add(f.id)
        record = records.get(f.id)
        if f.start <= now:
            continue
        if record is None or record.status == RecordStatus.REMOVED:
            actions.append(Action(Op.CREATE, f.id, f.target, f, reason="new follow-up"))
        elif record.status in _HANDS_OFF or record.start <= now:
            continue
        elif record.fingerprint != f.fingerprint:
            actions.append(
                Action(
                    Op.UPDATE,
                    f.id,
                    record.target,
                    f,
                    etag=record.etag,
                    resource=record.resource,
                    reason="interview changed",
                )
            )
    for record in sorted(records.values(), key=lambda r: (r.start, r.id)):
        if record.id in wanted or record.status not in _OURS or record.start <= now:
            continue
        interview = (record.calendar, record.interview)
        if interview in gone:
            reason = "interview cancelled, deleted or no longer an interview"
        elif interview in active:
            reason = (
                "no longer planned (interview moved, heard back, or a later one of the company)"
            )
        else:
            continue
        actions.append(
            Action(
                Op.DELETE,
                record.id,
                record.target,
                etag=record.etag,
                resource=record.resource,
                reason=reason,
            )
        )
    return actions


def this_pass(
    actions: Iterable[Action],
    records: Mapping[str, FollowUpRecord],
    limit: int = limits.WRITES_PER_PASS,
) -> tuple[list[Action], int]:
    """The writes of one pass: at most ``limit`` (syncd.limits), those of the soonest
    follow-ups first; and how many wait for the next pass, which finds them again."""
    ordered = sorted(actions, key=lambda a: _when(a, records))
    return ordered[:limit], max(0, len(ordered) - limit)


def _when(action: Action, records: Mapping[str, FollowUpRecord]) -> dt.datetime:
    if action.followup is not None:
        return action.followup.start.astimezone(dt.UTC)
    record = records.get(action.followup_id)
    return record.start.astimezone(dt.UTC) if record else dt.datetime.max.replace(tzinfo=dt.UTC)


def record_for(followup: FollowUp, event: CalendarEvent) -> FollowUpRecord:
    """The record of a follow-up syncd has just written as ``event``."""
    return FollowUpRecord(
        id=followup.id,
        source=followup.source,
        calendar=followup.calendar,
        interview=followup.interview,
        kind=followup.kind,
        target=followup.target,
        resource=event.resource,
        etag=event.etag,
        fingerprint=followup.fingerprint,
        status=RecordStatus.WRITTEN,
        start=followup.start,
        title=followup.title,
    )
