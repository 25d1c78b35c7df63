"""One pass end to end through the in-memory reference provider.

The memory provider is the reference implementation of the provider protocol
(conditional writes, etags, sync tokens); the real providers run the same
scenarios against real servers in tests/e2e.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_source

from providers.memory import MemoryProvider
from syncd.config import Config, SourceConfig
from syncd.engine import Engine
from syncd.errors import ConflictError, RefusedError, TransientError
from syncd.model import CalendarEvent, FollowUp, FollowUpKind, Op, RecordStatus
from syncd.state import StateStore

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SOURCE = make_source("mem", url="http://127.0.0.1/")
CONFIG = Config(timezone=LONDON, sources=(SOURCE,))


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


class World:
    """A provider, a state store and an engine with a clock the test moves."""

    def __init__(self, tmp_path: Path, source: SourceConfig = SOURCE) -> None:
        self.tmp_path = tmp_path
        self.source = source
        self.config = dataclasses.replace(CONFIG, sources=(source,))
        self.provider = MemoryProvider(("Personal",))
        self.cal = self.provider.calendar_id("Personal")
        self.now = NOW
        self.open_state()

    def open_state(self) -> None:
        self.store = StateStore(self.tmp_path / "state")
        self.engine = Engine(self.config, self.store, clock=lambda: self.now)

    def interview(self, **kw: object) -> CalendarEvent:
        values: dict[str, object] = dict(
            id="iv1",
            calendar=self.cal,
            title="Interview with Acme - Engineer",
            start=local(1, 10),
            end=local(1, 11),
            location="Acme HQ, 1 High St, London",
        )
        values.update(kw)
        return self.provider.put(CalendarEvent(**values))  # type: ignore[arg-type]

    def run(self, dry_run: bool = False) -> list[tuple[Op, str]]:
        report = self.engine.run_source(self.source, self.provider, dry_run=dry_run)
        return [(a.op, a.followup.title if a.followup else a.followup_id) for a in report.actions]

    def followups(self, calendar: str | None = None) -> dict[FollowUpKind, CalendarEvent]:
        events = self.provider.events(calendar or self.cal)
        return {e.markers.kind: e for e in events if e.markers is not None}

    def user_events(self) -> list[CalendarEvent]:
        return [e for e in self.provider.events(self.cal) if e.markers is None]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def starts(world: World) -> dict[str, dt.datetime]:
    return {str(k): e.start.astimezone(LONDON) for k, e in world.followups().items()}  # type: ignore[union-attr]


def test_a_new_interview_gets_its_three_follow_ups(world: World) -> None:
    world.interview()
    assert [op for op, _ in world.run()] == [Op.CREATE] * 3
    assert starts(world) == {
        "thank-you": local(1, 12),
        "call-morning": local(4, 10),
        "call-afternoon": local(4, 15),
    }
    calls = world.followups()
    assert calls[FollowUpKind.THANK_YOU].title == "Thank-you letter: Acme"
    assert calls[FollowUpKind.CALL_MORNING].reminders == (10,)


def test_a_second_pass_reads_once_and_writes_nothing(world: World) -> None:
    world.interview()
    world.run()
    before = len(world.provider.requests)
    assert world.run() == []
    assert world.provider.requests[before:] == [f"read {world.cal}"]


def test_a_moved_interview_moves_its_follow_ups(world: World) -> None:
    world.interview()
    world.run()
    world.interview(start=local(8, 14), end=local(8, 15))
    assert [op for op, _ in world.run()] == [Op.UPDATE] * 3
    assert starts(world) == {
        "thank-you": local(8, 16),
        "call-morning": local(11, 10),
        "call-afternoon": local(11, 15),
    }
    assert world.run() == []


@pytest.mark.parametrize("how", ["cancelled", "deleted", "renamed"])
def test_a_cancelled_deleted_or_renamed_interview_loses_its_follow_ups(
    world: World, how: str
) -> None:
    event = world.interview()
    world.run()
    if how == "cancelled":
        world.interview(status="cancelled")
    elif how == "deleted":
        world.provider.remove(world.cal, event.resource)
    else:
        world.interview(title="Lunch with Acme")
    assert [op for op, _ in world.run()] == [Op.DELETE] * 3
    assert world.followups() == {}
    assert world.run() == []


def test_an_edited_thank_you_stays_while_the_calls_move(world: World) -> None:
    world.interview()
    world.run()
    thanks = world.followups()[FollowUpKind.THANK_YOU]
    world.provider.put(dataclasses.replace(thanks, title="Thank-you letter to Ann (posted)"))
    world.interview(start=local(8, 14), end=local(8, 15))
    ops = world.run()
    assert sorted(ops) == [
        (Op.UPDATE, "Follow-up call: Acme"),
        (Op.UPDATE, "Second follow-up call (only if no answer yet): Acme"),
    ]
    now = world.followups()
    assert now[FollowUpKind.THANK_YOU].title == "Thank-you letter to Ann (posted)"
    assert now[FollowUpKind.THANK_YOU].start == local(1, 12)


def test_a_call_the_user_deleted_is_never_recreated(world: World) -> None:
    world.interview()
    world.run()
    morning = world.followups()[FollowUpKind.CALL_MORNING]
    world.provider.remove(world.cal, morning.resource)
    assert world.run() == []
    world.interview(start=local(8, 14), end=local(8, 15))  # even when the interview moves
    assert FollowUpKind.CALL_MORNING not in world.followups()
    world.run()
    assert FollowUpKind.CALL_MORNING not in world.followups()


@pytest.mark.parametrize("where", ["interview title", "interview status line", "morning call"])
def test_heard_back_removes_the_remaining_calls(world: World, where: str) -> None:
    world.interview()
    world.run()
    if where == "interview title":
        world.interview(title="Interview with Acme - Engineer #heard-back")
    elif where == "interview status line":
        world.interview(description="status: offer")
    else:
        morning = world.followups()[FollowUpKind.CALL_MORNING]
        world.provider.put(dataclasses.replace(morning, title=morning.title + " #heard-back"))
    world.run()
    left = world.followups()
    assert FollowUpKind.CALL_AFTERNOON not in left
    assert FollowUpKind.THANK_YOU in left
    assert (FollowUpKind.CALL_MORNING in left) == (where == "morning call")


def test_a_target_calendar_is_created_and_holds_the_follow_ups(tmp_path: Path) -> None:
    world = World(tmp_path, dataclasses.replace(SOURCE, target_calendar="Follow-ups"))
    world.interview()
    world.run()
    target = world.provider.calendar_id("Follow-ups")
    assert len(world.followups(target)) == 3
    assert world.followups() == {}
    assert world.run() == []


def test_user_events_are_never_touched(world: World) -> None:
    world.interview()
    lunch = world.provider.put(
        CalendarEvent(
            id="lunch", calendar=world.cal, title="Lunch", start=local(2, 12), end=local(2, 13)
        )
    )
    world.run()
    world.interview(status="cancelled")
    world.run()
    assert [e for e in world.user_events() if e.id == "lunch"] == [lunch]
    assert not any(r.startswith(("update lunch", "delete lunch")) for r in world.provider.requests)


def test_a_lost_state_database_duplicates_nothing(world: World) -> None:
    world.interview()
    world.run()
    before = world.provider.events(world.cal)
    world.store.close()
    (world.tmp_path / "state" / "state.sqlite3").unlink()
    world.open_state()
    assert world.run() == []
    assert world.provider.events(world.cal) == before


def test_an_interview_cancelled_while_the_state_was_lost_loses_its_follow_ups(
    world: World,
) -> None:
    world.interview()
    world.run()
    world.store.close()
    (world.tmp_path / "state" / "state.sqlite3").unlink()  # reset, say
    world.interview(status="cancelled")
    world.open_state()
    assert sorted(op for op, _ in world.run()) == [Op.DELETE] * 3
    assert world.followups() == {}
    assert world.run() == []


def test_a_create_that_meets_an_existing_follow_up_ends_with_one_event(world: World) -> None:
    class Raced(MemoryProvider):
        def create(self, followup: FollowUp) -> CalendarEvent:
            super().create(followup)  # a pass that died before recording it wrote it already
            return super().create(followup)

    world.provider.__class__ = Raced
    world.interview()
    report = world.engine.run_source(world.source, world.provider)
    assert len(report.applied) == 3
    assert len(world.provider.events(world.cal)) == 4  # the interview and three follow-ups
    world.provider.__class__ = MemoryProvider
    assert world.run() == []


def test_a_delete_whose_answer_was_lost_is_not_taken_for_the_users(world: World) -> None:
    class LostAnswer(MemoryProvider):
        def delete(self, calendar: str, resource: str, etag: str) -> None:
            super().delete(calendar, resource, etag)  # carried out; the answer never came
            raise TransientError("no answer")

    world.interview()
    world.run()
    world.interview(status="cancelled")
    world.provider.__class__ = LostAnswer
    with pytest.raises(TransientError):
        world.run()
    world.provider.__class__ = MemoryProvider
    world.run()  # the read shows the thank-you gone: syncd's own delete, not the user's
    statuses = {r.kind: r.status for r in world.store.records(world.source.name).values()}
    assert statuses[FollowUpKind.THANK_YOU] == RecordStatus.REMOVED
    world.interview(status="confirmed")  # back on: every follow-up is written again
    assert sorted(op for op, _ in world.run()) == [Op.CREATE] * 3
    assert len(world.followups()) == 3


def test_a_conflict_with_a_user_edit_leaves_the_users_version(world: World) -> None:
    class RacingUser(MemoryProvider):
        def update(self, followup, resource, etag):  # type: ignore[no-untyped-def]
            current = self.get(followup.target, resource)
            if current is not None and current.markers and current.markers.kind == "thank-you":
                self.put(dataclasses.replace(current, title="Mine now"))
            return super().update(followup, resource, etag)

    world.provider.__class__ = RacingUser
    world.interview()
    world.run()
    world.interview(start=local(8, 14), end=local(8, 15))
    report = world.engine.run_source(world.source, world.provider)
    assert [why for _, why in report.left_alone] == ["edited by the user"]
    assert world.followups()[FollowUpKind.THANK_YOU].title == "Mine now"
    assert world.run() == []


def test_an_empty_full_read_deletes_nothing(world: World, caplog: pytest.LogCaptureFixture) -> None:
    event = world.interview()
    world.run()
    saved = world.provider.events(world.cal)
    for e in saved:  # a server glitch: the calendar reads back empty once
        world.provider.remove(world.cal, e.resource)
    world.provider.refuse_tokens = True
    before = len(world.provider.requests)
    with caplog.at_level(logging.WARNING):
        assert world.run() == []
    assert "mass-deletion guard" in caplog.text
    world.provider.refuse_tokens = False
    for e in saved:
        world.provider.put(e)
    assert world.run() == []
    assert len(world.followups()) == 3
    assert [e.title for e in world.user_events()] == [event.title]
    assert not any(r.startswith(("create", "delete")) for r in world.provider.requests[before:])


def test_a_refused_token_means_one_full_read_and_no_duplicate(world: World) -> None:
    world.interview()
    world.run()
    world.provider.refuse_tokens = True
    before = len(world.provider.requests)
    try:
        world.run()
    finally:
        world.provider.refuse_tokens = False
    assert world.provider.requests[before:] == [f"read {world.cal}"] * 2
    assert len(world.followups()) == 3


def test_dry_run_writes_nothing_and_keeps_no_state(world: World) -> None:
    world.interview()
    assert len(world.run(dry_run=True)) == 3
    assert world.followups() == {}
    assert world.store.token(SOURCE.name, world.cal) is None
    assert len(world.run()) == 3


def test_follow_ups_already_past_are_not_created(world: World) -> None:
    world.interview()
    world.now = local(4, 12).astimezone(dt.UTC)  # Friday noon: only the afternoon call is ahead
    assert world.run() == [(Op.CREATE, "Second follow-up call (only if no answer yet): Acme")]


def test_an_interview_that_ages_out_keeps_its_future_calls(world: World) -> None:
    world.interview(description="decision: 2026-12-18")
    world.run()
    world.now = local(15, 9).astimezone(dt.UTC)  # ended 14 days ago, calls on the 18th
    world.interview(description="decision: 2026-12-18\nnotes: went well")
    assert world.run() == []
    assert {k for k in world.followups()} == set(FollowUpKind)


def test_a_refused_write_is_left_alone_and_the_pass_goes_on(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class ReadOnlyForThanks(MemoryProvider):
        def create(self, followup: FollowUp) -> CalendarEvent:
            if followup.kind == FollowUpKind.THANK_YOU:
                raise RefusedError("403 Forbidden")
            return super().create(followup)

    world.provider.__class__ = ReadOnlyForThanks
    world.interview()
    with caplog.at_level(logging.WARNING):
        report = world.engine.run_source(world.source, world.provider)
    assert [a.followup.kind for a, _ in report.left_alone if a.followup] == ["thank-you"]
    assert len(report.applied) == 2
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("mem: Personal: left create 'Thank-you letter: Acme'")
    assert "refuses" in warning
    assert set(world.followups()) == {FollowUpKind.CALL_MORNING, FollowUpKind.CALL_AFTERNOON}


def test_an_update_that_finds_its_follow_up_deleted_meanwhile_leaves_it_deleted(
    world: World,
) -> None:
    class DeletedMeanwhile(MemoryProvider):
        """The user deletes the thank-you just before syncd's update reaches the server,
        which answers "changed" (as CalDAV servers answer 412 for a missing object)."""

        def update(self, followup, resource, etag):  # type: ignore[no-untyped-def]
            if followup.kind == FollowUpKind.THANK_YOU:
                self.remove(followup.target, resource)
                raise ConflictError(f"{resource} changed")
            return super().update(followup, resource, etag)

    world.provider.__class__ = DeletedMeanwhile
    world.interview()
    world.run()
    world.interview(start=local(8, 14), end=local(8, 15))
    report = world.engine.run_source(world.source, world.provider)
    assert [why for _, why in report.left_alone] == ["deleted by the user meanwhile"]
    assert FollowUpKind.THANK_YOU not in world.followups()
    world.provider.__class__ = MemoryProvider
    assert world.run() == []
    assert FollowUpKind.THANK_YOU not in world.followups()


def test_a_delete_that_meets_a_changed_etag_is_decided_again_and_done_once(
    world: World,
) -> None:
    class Touched(MemoryProvider):
        """A client rewrites the follow-up unchanged (a new etag) just before the delete."""

        touched = False

        def delete(self, calendar: str, resource: str, etag: str) -> None:
            current = self.get(calendar, resource)
            if current is not None and not self.touched:
                self.touched = True
                self.put(current)
            super().delete(calendar, resource, etag)

    world.interview()
    world.run()
    world.provider.__class__ = Touched
    world.interview(status="cancelled")
    report = world.engine.run_source(world.source, world.provider)
    assert (len(report.applied), report.left_alone) == (3, [])
    assert world.followups() == {}
    deletes = [r for r in world.provider.requests if r.startswith("delete")]
    assert len(deletes) == 4  # one met the new etag, was read again and deleted once more


def test_a_deleted_series_takes_its_instances_interviews_with_it(world: World) -> None:
    world.interview(id="tuesday-call", series="weekly")  # no id says which series it is in
    assert len(world.run()) == 3
    world.provider.remove(world.cal, "weekly")  # the server reports the series' resource
    assert [op for op, _ in world.run()] == [Op.DELETE] * 3
    assert world.followups() == {}
