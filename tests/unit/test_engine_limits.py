"""The limits of syncd/limits.py through whole passes of the engine, on the memory provider:
what the user sees of a series that floods the window, and of a pass with too many writes."""

from __future__ import annotations

import datetime as dt
import logging
import time
import tracemalloc
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from factories import make_source

from providers.memory import MemoryProvider
from syncd import limits
from syncd.config import Config
from syncd.engine import Engine
from syncd.model import CalendarEvent, FollowUpKind
from syncd.state import StateStore

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
SOURCE = make_source("mem", url="http://127.0.0.1/")
CONFIG = Config(timezone=LONDON, sources=(SOURCE,))


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.provider = MemoryProvider(("Personal",))
        self.cal = self.provider.calendar_id("Personal")
        self.store = StateStore(tmp_path / "state")
        self.now = NOW
        self.engine = Engine(CONFIG, self.store, clock=lambda: self.now)

    def control(self) -> None:
        start = dt.datetime(2026, 12, 1, 10, tzinfo=LONDON)
        self.provider.put(CalendarEvent(id="control", calendar=self.cal, resource="control",
                                        title="Interview with Acme", start=start,
                                        end=start + dt.timedelta(hours=1)))  # fmt: skip

    def flood(self, count: int, every: dt.timedelta, title: str = "Interview with Flood") -> None:
        first = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)
        self.provider.put_series(
            self.cal,
            "flood",
            (
                CalendarEvent(
                    id="flood",
                    calendar=self.cal,
                    title=title,
                    start=first + n * every,
                    end=first + n * every + every / 2,
                    recurrence_id=f"{n}",
                )  # fmt: skip
                for n in range(count)
            ),
        )

    def run(self) -> None:
        self.engine.run_source(SOURCE, self.provider)

    def followups(self) -> list[CalendarEvent]:
        return [e for e in self.provider.events(self.cal) if e.markers is not None]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_minutely_series_gets_the_follow_ups_of_its_first_interviews_only(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.control()
    world.flood(5_000, dt.timedelta(minutes=1))
    with caplog.at_level(logging.INFO):
        world.run()
    followups = world.followups()
    flood = [f for f in followups if f.markers and f.markers.interview.startswith("flood")]
    control = {f.markers.kind for f in followups if f.markers and f.markers.interview == "control"}
    assert control == set(FollowUpKind)
    # 50 thank-yous, and two calls: one company, one decision day.
    assert len(flood) == limits.INTERVIEWS_PER_SERIES + 2
    # One warning says both limits.
    assert warnings(caplog) == [
        "mem: Personal: series 'Interview with Flood': more than 500 instances in the window:"
        " only the first 500 are read, and at most 50 interviews of a series get follow-ups"
        " at a time",
    ]
    caplog.clear()
    world.now += dt.timedelta(minutes=5)
    world.run()
    assert warnings(caplog) == []  # said once; nothing of the series was read again


def test_a_series_of_many_interviews_within_the_instance_limit_is_said_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.control()
    world.flood(120, dt.timedelta(hours=1))  # 120 hourly interviews: all are read
    with caplog.at_level(logging.WARNING):
        world.run()
        world.now += dt.timedelta(minutes=5)
        world.run()
    flood = [f for f in world.followups() if f.markers and f.markers.interview != "control"]
    assert len({f.markers.interview for f in flood if f.markers}) == limits.INTERVIEWS_PER_SERIES
    assert warnings(caplog) == [
        "mem: Personal: series 'Interview with Flood': more than 50 interviews; only 50 of"
        " them get follow-ups at a time, the earliest still ahead (70 left out now)",
    ]


def test_a_flooding_series_costs_a_bounded_pass(world: World) -> None:
    world.control()
    world.flood(20_000, dt.timedelta(minutes=1))  # 14 days of minutes, 40 times the limit
    tracemalloc.start()
    cpu = time.process_time()
    world.run()
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(world.followups()) == 3 + limits.INTERVIEWS_PER_SERIES + 2
    assert cpu < 2.0, cpu  # the bound of docs/reliability.md, with tracemalloc on (slower)
    assert peak < 200 * 2**20


def test_a_pass_writes_at_most_the_limit_and_the_next_pass_the_rest(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for n in range(90):  # 90 separate interviews: 270 follow-ups
        start = dt.datetime(2026, 12, 1, 9, tzinfo=LONDON) + dt.timedelta(hours=n)
        world.provider.put(CalendarEvent(id=f"iv{n}", calendar=world.cal, resource=f"iv{n}",
                                         title=f"Interview with Company{n}", start=start,
                                         end=start + dt.timedelta(minutes=30)))  # fmt: skip
    with caplog.at_level(logging.WARNING):
        world.run()
    first = world.followups()
    assert len(first) == limits.WRITES_PER_PASS
    assert warnings(caplog) == [
        "mem: 200 writes in this pass, the most one pass makes; 70 more at the next"
    ]
    caplog.clear()
    world.now += dt.timedelta(minutes=5)
    world.run()
    assert len(world.followups()) == 270
    assert warnings(caplog) == []
    # The soonest were written first.
    later = [f for f in world.followups() if f.id not in {g.id for g in first}]
    assert max(f.start for f in first) <= min(f.start for f in later)


def test_an_interview_for_the_year_9999_is_skipped_with_one_warning(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.control()
    edge = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    world.provider.put(CalendarEvent(id="edge", calendar=world.cal, resource="edge",
                                     title="Interview with Edge", start=edge,
                                     end=dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)))  # fmt: skip
    start = dt.datetime(2026, 12, 2, 10, tzinfo=LONDON)
    world.provider.put(CalendarEvent(id="late", calendar=world.cal, resource="late",
                                     title="Interview with Late", start=start,
                                     end=start + dt.timedelta(hours=1),
                                     description="decision: 9999-12-31"))  # fmt: skip
    with caplog.at_level(logging.WARNING):
        world.run()
    kinds = {(f.markers.interview, f.markers.kind) for f in world.followups() if f.markers}
    assert {k for i, k in kinds if i == "control"} == set(FollowUpKind)
    assert {k for i, k in kinds if i == "late"} == set(FollowUpKind)  # decision: end of week
    assert not any(i == "edge" for i, _ in kinds)
    found = warnings(caplog)
    assert len(found) == 2
    assert found[0].startswith("mem: mem://Personal: event 'Interview with Edge' (edge) skipped:")
    assert "decision '9999-12-31' not understood" in found[1]
