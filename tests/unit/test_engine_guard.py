"""The mass-deletion guard and the writes an event of the user's holds back, through whole
passes of the engine on the memory provider, with a clock the test moves.

A restore that keeps syncd's follow-ups but loses the interviews (or a listing that
lacks them) must delete nothing and warn once; the interviews coming back are taken
up again; still missing a day later, they count as deleted (syncd/guard.py). An
event of the user's at a follow-up's place is never touched: one warning, the write
held back until the calendar changes (syncd/apply.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_source

from providers.memory import MemoryProvider
from syncd import limits
from syncd.config import Config
from syncd.engine import Engine
from syncd.model import CalendarEvent, FollowUpKind, Op
from syncd.state import StateStore

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SOURCE = make_source("mem", url="http://127.0.0.1/")
CONFIG = Config(timezone=LONDON, sources=(SOURCE,))
COMPANIES = ("Acme", "Globex", "Initech")


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.provider = MemoryProvider(("Personal",))
        self.cal = self.provider.calendar_id("Personal")
        self.store = StateStore(tmp_path / "state")
        self.now = NOW
        self.engine = Engine(CONFIG, self.store, clock=lambda: self.now)
        self.interviews: list[CalendarEvent] = []

    def interview(self, n: int, company: str) -> None:
        start = dt.datetime(2026, 12, 1 + n, 10, tzinfo=LONDON)
        self.interviews.append(self.provider.put(CalendarEvent(
            id=f"iv{n}", calendar=self.cal, resource=f"iv{n}", title=f"Interview with {company}",
            start=start, end=start + dt.timedelta(hours=1))))  # fmt: skip

    def run(self) -> list[Op]:
        report = self.engine.run_source(SOURCE, self.provider)
        return [a.op for a in report.actions]

    def followups(self) -> list[CalendarEvent]:
        return [e for e in self.provider.events(self.cal) if e.markers is not None]

    def restore_without_interviews(self) -> None:
        """A backup restored: the follow-ups are there, the interviews are not, and the
        server's sync history is gone (every token refused: the next read is whole)."""
        for event in self.interviews:
            self.provider.remove(self.cal, event.resource)
        self.provider.expire_tokens()


@pytest.fixture
def world(tmp_path: Path) -> World:
    made = World(tmp_path)
    for n, company in enumerate(COMPANIES):
        made.interview(n, company)
    assert made.run() == [Op.CREATE] * 9
    return made


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_restore_losing_the_interviews_deletes_nothing_and_warns_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.restore_without_interviews()
    with caplog.at_level(logging.INFO):
        assert world.run() == []
        assert world.run() == [], "held: read whole again, still nothing deleted"
    [warning] = warnings(caplog)
    assert warning.startswith(
        "mem: Personal: a full read misses 3 of the 3 interviews known there, none of them"
        " reported cancelled or deleted; deleting none of their follow-ups"
    )
    assert len(world.followups()) == 9
    assert world.store.token(SOURCE.name, world.cal) is None, "the next read is whole"


def test_interviews_back_within_the_hold_are_taken_up_again(world: World) -> None:
    world.restore_without_interviews()
    world.run()
    world.now += limits.GUARD_HOLD / 2
    for event in world.interviews:  # the user restores them
        world.provider.put(event)
    assert world.run() == []
    assert len(world.followups()) == 9
    assert all(not i.held for i in world.store.interviews(SOURCE.name).values())
    assert world.store.token(SOURCE.name, world.cal) is not None, "incremental reads again"
    world.now += limits.GUARD_HOLD
    assert world.run() == []


def test_interviews_still_missing_a_day_later_lose_their_follow_ups_with_one_warning(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.restore_without_interviews()
    world.run()
    world.now += limits.GUARD_HOLD - dt.timedelta(minutes=5)
    assert world.run() == []
    world.now += dt.timedelta(minutes=5)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert world.run() == [Op.DELETE] * 9
    [warning] = warnings(caplog)
    assert warning.startswith("mem: Personal: 3 interviews still missing from a full read 24")
    assert world.followups() == []
    assert world.store.token(SOURCE.name, world.cal) is not None


def test_a_small_loss_is_believed_at_once(world: World) -> None:
    world.provider.remove(world.cal, world.interviews[0].resource)
    world.provider.expire_tokens()
    assert world.run() == [Op.DELETE] * 3
    assert len(world.followups()) == 6


def test_an_event_of_the_users_at_a_follow_ups_place_is_left_alone_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(tmp_path)
    world.interview(0, "Acme")
    planned = world.engine.run_source(SOURCE, world.provider, dry_run=True).actions
    [thanks] = [a.followup for a in planned if a.followup and a.followup.kind == "thank-you"]
    start = dt.datetime(2026, 12, 1, 13, tzinfo=LONDON)
    end = start + dt.timedelta(hours=1)
    lunch = world.provider.put(CalendarEvent(thanks.id, world.cal, "Lunch", start, end))
    with caplog.at_level(logging.INFO):
        world.run()
        assert world.run() == [Op.CREATE], "planned, but held back: not tried again"
    [warning] = warnings(caplog)
    assert warning == (
        "mem: Personal: left create 'Thank-you letter: Acme' at 2026-12-01 12:00 alone: an"
        f" event that is not syncd's holds its place: {thanks.id} ('Lunch') is where syncd"
        " writes it; delete that event; syncd tries again once the calendar changes"
    )
    assert world.provider.get(world.cal, thanks.id) == lunch
    kinds = {e.markers.kind for e in world.followups() if e.markers}
    assert kinds == {FollowUpKind.CALL_MORNING, FollowUpKind.CALL_AFTERNOON}

    world.provider.remove(world.cal, thanks.id)  # the user deletes it
    world.run()
    assert len(world.followups()) == 3
