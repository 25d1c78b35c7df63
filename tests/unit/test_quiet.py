"""An idle pass plans nothing again while the plan of the last pass with nothing to do
stands (syncd.quiet): and does exactly what a pass that plans would have done.

Two worlds take the same user and the same clock, one engine with a ``Quiet``,
one without; after every pass their actions, follow-ups and state must agree.
The clock jumps across what makes time matter: follow-ups starting, interviews
ending (a series past INTERVIEWS_PER_SERIES moves its later interviews up 45 days
after the earlier ones end), tombstones and interviews forgotten.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from factories import make_source

from providers.memory import MemoryProvider
from syncd import limits
from syncd.config import Config
from syncd.engine import Engine
from syncd.model import (
    CalendarEvent,
    FollowUp,
    FollowUpKind,
    FollowUpRecord,
    Interview,
    RecordStatus,
)
from syncd.observe import FORGET_AFTER
from syncd.planner import FOLLOWUP_REACH
from syncd.quiet import NEVER, Quiet, settled_until
from syncd.state import StateStore

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SOURCE = make_source("mem", url="http://127.0.0.1/")
CONFIG = Config(timezone=LONDON, sources=(SOURCE,))
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


def at(days: float, hour: int = 10) -> dt.datetime:
    return (NOW + dt.timedelta(days=days)).astimezone(LONDON).replace(hour=hour, minute=0)


# -- the instant itself


def followup(start: dt.datetime) -> FollowUp:
    return FollowUp(
        id="f", source="mem", calendar="c", interview="k", kind=FollowUpKind.THANK_YOU,
        title="Thank-you letter: Acme", start=start, end=start + HOUR, target="c",
        description="", reminders=(),
    )  # fmt: skip


def record(start: dt.datetime) -> FollowUpRecord:
    return FollowUpRecord(
        id="r", source="mem", calendar="c", interview="k", kind=FollowUpKind.THANK_YOU,
        target="c", resource="r", etag="1", fingerprint="x", status=RecordStatus.WRITTEN,
        start=start, title="Thank-you letter: Acme",
    )  # fmt: skip


def interview(end: dt.datetime | dt.date) -> Interview:
    return Interview(
        source="mem", calendar="c", key="k", title="Interview with Acme", start=end, end=end,
        company="Acme",
    )  # fmt: skip


def test_the_plan_stands_until_the_earliest_instant_ahead_it_compares_now_with() -> None:
    assert settled_until([], [], [], NOW, LONDON) == NEVER
    assert settled_until([followup(NOW + HOUR)], [record(NOW + DAY)], [], NOW, LONDON) == (
        NOW + HOUR
    )
    assert settled_until([followup(NOW - HOUR)], [record(NOW + DAY)], [], NOW, LONDON) == (
        NOW + DAY
    )
    ended = NOW - FOLLOWUP_REACH + HOUR  # its follow-ups' reach ends in an hour
    assert settled_until([], [], [interview(ended)], NOW, LONDON) == NOW + HOUR
    long_ago = NOW - FOLLOWUP_REACH - DAY  # past its reach: forgotten after FORGET_AFTER
    assert settled_until([], [], [interview(long_ago)], NOW, LONDON) == long_ago + FORGET_AFTER


def test_a_floating_end_counts_in_the_zone_and_in_utc() -> None:
    summer = dt.datetime(2026, 7, 1, 12, 0)  # floating: 11:00 UTC in London, 12:00 in UTC
    june = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    until = settled_until([], [], [interview(summer)], june, LONDON)
    assert until == dt.datetime(2026, 7, 1, 11, 0, tzinfo=dt.UTC) + FOLLOWUP_REACH


# -- two worlds, one quiet


class World:
    """A memory account, a state store and an engine on a clock the test moves."""

    def __init__(self, folder: Path, quiet: Quiet | None) -> None:
        self.provider = MemoryProvider(("Personal",))
        self.cal = self.provider.calendar_id("Personal")
        self.now = NOW
        self.store = StateStore(folder)
        self.engine = Engine(CONFIG, self.store, clock=lambda: self.now, quiet=quiet)

    def run(self) -> list[tuple[str, str]]:
        report = self.engine.run_source(SOURCE, self.provider)
        return [(str(a.op), a.followup_id) for a in report.actions]

    def followups(self) -> list[tuple[str, str, str]]:
        return sorted(
            (str(e.title), str(e.start), e.resource)
            for e in self.provider.events(self.cal)
            if e.markers is not None
        )

    def interview(self, key: str, start: dt.datetime, **kw: object) -> None:
        values: dict[str, object] = dict(
            id=key, calendar=self.cal, title=f"Interview with {key.title()}", start=start,
            end=start + HOUR, location="1 High St, London",
        )  # fmt: skip
        values.update(kw)
        self.provider.put(CalendarEvent(**values))  # type: ignore[arg-type]

    def series(self, count: int) -> None:
        """A daily series of interviews, more than one series may plan at a time."""
        instances = [
            CalendarEvent(
                id="globex",
                calendar=self.cal,
                title="Interview with Globex",
                start=at(n + 1, 9),
                end=at(n + 1, 9) + HOUR,
                recurrence_id=f"{n}",
                location="2 Low St, London",
            )  # fmt: skip
            for n in range(count)
        ]
        self.provider.put_series(self.cal, "globex", instances)

    def delete_a_followup(self, rng: random.Random) -> None:
        ours = sorted(e.resource for e in self.provider.events(self.cal) if e.markers is not None)
        if ours:
            self.provider.remove(self.cal, rng.choice(ours))


def two_worlds(folder: Path, series: int) -> tuple[Quiet, list[World]]:
    """A world whose engine skips while it may and one whose engine always plans, each
    with a daily series of ``series`` interviews."""
    quiet = Quiet()
    worlds = [World(folder / "quiet", quiet), World(folder / "planning", None)]
    for world in worlds:
        world.series(series)
    return quiet, worlds


def test_an_idle_pass_plans_nothing_again_and_does_what_a_planning_pass_does(
    tmp_path: Path,
) -> None:
    quiet, worlds = two_worlds(tmp_path, limits.INTERVIEWS_PER_SERIES + 10)
    for world in worlds:
        for n, key in enumerate(("acme", "initech", "umbrella")):
            world.interview(key, at(2 + 3 * n, 14))
    rng = random.Random(20261130)
    steps = (dt.timedelta(minutes=1), HOUR, 7 * HOUR, DAY, 3 * DAY, 20 * DAY, 50 * DAY)
    passes = 0
    for step in range(160):
        change = rng.random()
        target = rng.choice(("acme", "initech", "umbrella"))
        ahead = rng.choice((DAY, 5 * DAY))
        for world in worlds:
            if change < 0.05:
                world.interview(target, world.now + ahead)
            elif change < 0.08:
                world.interview(target, at(2, 14), status="cancelled")
            elif change < 0.11:
                world.delete_a_followup(random.Random(step))
        actions = [world.run() for world in worlds]
        passes += 1
        assert actions[0] == actions[1], (step, worlds[0].now)
        assert worlds[0].followups() == worlds[1].followups(), step
        assert worlds[0].store.digest("mem") == worlds[1].store.digest("mem"), step
        jump = rng.choice(steps) if rng.random() < 0.3 else dt.timedelta(minutes=1)
        for world in worlds:
            world.now += jump
    # most passes found nothing new: they planned nothing again
    assert quiet.skipped > passes / 2, (quiet.skipped, passes)


def test_a_series_moving_up_its_next_interview_is_planned_at_that_instant(
    tmp_path: Path,
) -> None:
    quiet, worlds = two_worlds(tmp_path, limits.INTERVIEWS_PER_SERIES + 5)
    for world in worlds:
        world.run()
    first_end = at(1, 9) + HOUR  # the series' first interview's end: 45 days on, it is over
    for world in worlds:
        world.now = first_end + FOLLOWUP_REACH - 2 * HOUR
    assert [w.run() for w in worlds] == [[], []]  # the last pass before: nothing to do
    for world in worlds:
        world.now = first_end + FOLLOWUP_REACH + dt.timedelta(minutes=1)
    actions = [w.run() for w in worlds]
    assert actions[0] == actions[1]
    assert any(op == "create" for op, _ in actions[0])  # the 51st's follow-ups, at last
    assert quiet.skipped == 0
