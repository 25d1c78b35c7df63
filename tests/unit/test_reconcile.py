"""The reconciler, one test per rule of SPEC section 6 (pure: no server, no clock)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from factories import make_followup as build_followup

from syncd.model import (
    Action,
    CalendarEvent,
    FollowUp,
    FollowUpKind,
    FollowUpRecord,
    Op,
    RecordStatus,
)
from syncd.observe import observe_event, observe_gone
from syncd.reconcile import reconcile, record_for, this_pass

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
CAL = "mem://Personal"
IV = "interview-1"


def followup(kind: FollowUpKind = FollowUpKind.THANK_YOU, hours: int = 5, **kw: Any) -> FollowUp:
    values: dict[str, Any] = dict(start=NOW + dt.timedelta(hours=hours), source="src",
                                  calendar=CAL, interview=IV, kind=kind, title=f"{kind}: Acme",
                                  description="Say thanks.")  # fmt: skip
    return build_followup(**{**values, **kw})


def written(f: FollowUp, status: RecordStatus = RecordStatus.WRITTEN) -> FollowUpRecord:
    event = CalendarEvent(
        id=f.id,
        calendar=f.target,
        title=f.title,
        start=f.start,
        end=f.end,
        etag='"e1"',
        resource=f"{f.id}.ics",
    )
    return dataclasses.replace(record_for(f, event), status=status)


def run(
    desired: list[FollowUp],
    records: list[FollowUpRecord],
    *,
    gone: bool = False,
    active: bool = True,
) -> list[Action]:
    key = {(CAL, IV)}
    return reconcile(
        desired,
        {r.id: r for r in records},
        active=key if active and not gone else set(),
        gone=key if gone else set(),
        now=NOW,
    )


def test_missing_and_never_written_is_created() -> None:
    f = followup()
    [action] = run([f], [])
    assert (action.op, action.followup, action.target) == (Op.CREATE, f, CAL)


def test_unedited_and_changed_is_updated_on_its_etag() -> None:
    old = followup()
    moved = followup(hours=30)
    [action] = run([moved], [written(old)])
    assert (action.op, action.followup, action.etag, action.resource) == (
        Op.UPDATE,
        moved,
        '"e1"',
        f"{old.id}.ics",
    )


def test_unchanged_gives_no_action() -> None:
    f = followup()
    assert run([f], [written(f)]) == []


def test_edited_by_user_is_left_alone_from_then_on() -> None:
    old = followup()
    assert run([followup(hours=30)], [written(old, RecordStatus.EDITED)]) == []
    assert run([], [written(old, RecordStatus.EDITED)], gone=True) == []


def test_deleted_by_user_is_never_recreated() -> None:
    f = followup()
    assert run([f], [written(f, RecordStatus.DELETED)]) == []


def test_removed_by_syncd_comes_back_when_wanted_again() -> None:
    f = followup()
    [action] = run([f], [written(f, RecordStatus.REMOVED)])
    assert action.op == Op.CREATE


def test_a_delete_never_answered_is_sent_again_while_unwanted() -> None:
    f = followup()
    [action] = run([], [written(f, RecordStatus.REMOVING)], gone=True)
    assert (action.op, action.etag) == (Op.DELETE, '"e1"')


def test_a_delete_never_answered_is_updated_when_wanted_again_and_changed() -> None:
    f = followup()
    record = dataclasses.replace(written(f, RecordStatus.REMOVING), fingerprint="old")
    [action] = run([f], [record])
    assert action.op == Op.UPDATE


def test_cancelled_or_deleted_interview_deletes_its_future_unedited_follow_ups() -> None:
    thanks, call = followup(), followup(FollowUpKind.CALL_MORNING, hours=50)
    edited = followup(FollowUpKind.CALL_AFTERNOON, hours=55)
    actions = run(
        [], [written(thanks), written(call), written(edited, RecordStatus.EDITED)], gone=True
    )
    assert [(a.op, a.followup_id, a.etag) for a in actions] == [
        (Op.DELETE, thanks.id, '"e1"'),
        (Op.DELETE, call.id, '"e1"'),
    ]


def test_heard_back_deletes_the_calls_only() -> None:
    thanks = followup()
    morning = followup(FollowUpKind.CALL_MORNING, hours=50)
    afternoon = followup(FollowUpKind.CALL_AFTERNOON, hours=55)
    # heard back: the planner no longer wants the calls; the thank-you stays wanted
    actions = run([thanks], [written(thanks), written(morning), written(afternoon)])
    assert {(a.op, a.followup_id) for a in actions} == {
        (Op.DELETE, morning.id),
        (Op.DELETE, afternoon.id),
    }


def test_a_follow_up_in_the_past_is_never_changed() -> None:
    past = followup(hours=-2)
    assert run([followup(hours=-1)], [written(past)]) == []  # no update
    assert run([], [written(past)], gone=True) == []  # no delete
    assert run([followup(hours=-1)], []) == []  # no create


def test_past_record_is_not_moved_into_the_future_either() -> None:
    assert run([followup(hours=20)], [written(followup(hours=-2))]) == []


def test_follow_ups_of_an_interview_neither_active_nor_gone_are_left_alone() -> None:
    # an interview that aged out of the lookback window: its calls may still lie ahead
    call = followup(FollowUpKind.CALL_MORNING, hours=50)
    assert run([], [written(call)], active=False) == []


def test_observe_marks_an_edited_follow_up_and_keeps_it_edited() -> None:
    f = followup()
    ours = CalendarEvent(
        id=f.id,
        calendar=CAL,
        title=f.title,
        start=f.start,
        end=f.end,
        description=f.description,
        reminders=f.reminders,
        etag='"e2"',
        resource="r",
        markers=f.markers,
        slot=f.id,
    )
    record = observe_event("src", ours, None)
    assert record is not None and record.status == RecordStatus.WRITTEN and record.etag == '"e2"'
    edited = dataclasses.replace(ours, title="Thank-you letter: Acme #heard-back")
    record = observe_event("src", edited, record)
    assert record is not None and record.status == RecordStatus.EDITED
    assert record.title.endswith("#heard-back")
    back = observe_event("src", ours, record)  # changed back: still the user's
    assert back is not None and back.status == RecordStatus.EDITED


def test_observe_ignores_a_copy_whose_id_does_not_match_its_markers() -> None:
    f = followup()
    copy = CalendarEvent(
        id="user-copy", calendar=CAL, title=f.title, start=f.start, end=f.end, markers=f.markers
    )
    assert observe_event("src", copy, None) is None


def test_gone_marks_deleted_by_user_but_not_what_syncd_removed() -> None:
    f = followup()
    assert observe_gone(written(f)).status == RecordStatus.DELETED
    removed = written(f, RecordStatus.REMOVED)
    assert observe_gone(removed).status == RecordStatus.REMOVED
    # syncd sent its delete and never heard back: its own deletion, not the user's
    assert observe_gone(written(f, RecordStatus.REMOVING)).status == RecordStatus.REMOVED


# --- writes per pass (syncd/limits.py) ------------------------------------------------


def test_a_pass_makes_at_most_the_limit_of_writes_soonest_first() -> None:
    soon = [followup(hours=h, interview=f"iv{h}") for h in range(1, 251)]
    old = [followup(hours=h, interview=f"gone{h}") for h in (3, 400)]
    records = {r.id: r for r in map(written, old)}
    actions = reconcile(
        list(reversed(soon)),
        records,
        active=set(),
        gone={(CAL, "gone3"), (CAL, "gone400")},
        now=NOW,
    )
    assert len(actions) == 252
    now, waiting = this_pass(actions, records, limit=200)
    assert waiting == 52 and len(now) == 200
    # The delete of a follow-up due in 3 hours comes among the first; one in 400 waits.
    assert [a.op for a in now[:5]] == [Op.CREATE] * 3 + [Op.DELETE, Op.CREATE]
    assert {a.followup_id for a in now if a.op == Op.DELETE} == {old[0].id}
    starts = [a.followup.start for a in now if a.followup]
    assert starts == sorted(starts) and starts[-1] == NOW + dt.timedelta(hours=199)


def test_within_the_limit_every_write_is_made() -> None:
    actions = run([followup()], [])
    assert this_pass(actions, {}) == (actions, 0)
