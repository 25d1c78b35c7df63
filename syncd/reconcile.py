"""Reconciliation (SPEC section 6): desired follow-ups and what is known of the
existing ones in, actions out. Pure: no I/O, ``now`` is a parameter.

Two steps, both pure:

- ``observe`` folds what a read showed of follow-up events (seen with their
  content, or reported deleted) into the records: edited-by-user, deleted-by-user.
- ``reconcile`` compares the desired follow-ups with the records and returns the
  writes that make the calendar match, never touching an edited, user-deleted or
  past follow-up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from syncd.model import (
    Action,
    CalendarEvent,
    FollowUp,
    FollowUpRecord,
    Op,
    RecordStatus,
    content_fingerprint,
    followup_id,
)

# Records in these states are the user's now, or gone: syncd writes nothing to them.
_HANDS_OFF = frozenset({RecordStatus.EDITED, RecordStatus.DELETED})


def observed_id(source: str, event: CalendarEvent) -> str | None:
    """The follow-up identity an event with syncd markers claims, or None.

    The identity is recomputed from the markers, so an event whose id does not
    start with it (a copy the user made, say) is not taken for ours.
    """
    if event.markers is None:
        return None
    m = event.markers
    fid = followup_id(source, m.calendar, m.interview, m.kind)
    return fid if event.id.startswith(fid) else None


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
    """The record after its event was reported deleted (by someone other than syncd)."""
    if record.status == RecordStatus.REMOVED:
        return record
    return dataclasses.replace(record, status=RecordStatus.DELETED)


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
        if record.id in wanted or record.status != RecordStatus.WRITTEN or record.start <= now:
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
