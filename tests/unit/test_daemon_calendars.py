"""The daemon and its sources' calendars: the STATUS line counts them, and a calendar
that fails is logged once while it lasts (a fake clock and a scripted sweep)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from factories import make_source

from syncd.config import Config
from syncd.daemon import Daemon
from syncd.engine import PassReport
from syncd.runner import SourceOutcome
from syncd.state import CalendarHealth, StateStore

GONE = "home: Team: the calendar is gone (deleted, or no longer shared with this account); ..."
BROKEN = "home: Shared: a broken answer; its interviews are kept as they are, ..."


def daemon(tmp_path: Path, failures: list[list[str]]) -> Daemon:
    """A daemon over one source "home" whose passes report these calendar failures."""
    config = Config(
        state_dir=tmp_path / "state", sources=(make_source("home", url="http://127.0.0.1:9/"),)
    )
    store = StateStore(config.state_dir)
    clock = [1000.0]

    def sweep(config: Config, store: StateStore, *, dry_run: bool = False) -> list[SourceOutcome]:
        lines = failures.pop(0) if failures else []
        return [SourceOutcome("home", PassReport("home", failures=lines))]

    def wait(seconds: float) -> None:
        clock[0] += max(seconds, 1.0)
        if not failures:
            made.stopping = True

    made = Daemon(tmp_path / "config.toml", config, store, sweep=sweep, clock=lambda: clock[0],
                  rand=lambda: 0.5, wait=wait)  # fmt: skip
    return made


def test_a_calendars_failure_is_logged_once_while_it_lasts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = [[GONE], [], [BROKEN], [BROKEN], [BROKEN], [], [BROKEN]]
    loop = daemon(tmp_path, script)
    with caplog.at_level(logging.WARNING):
        loop.run()
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == [GONE, BROKEN, BROKEN]
    assert loop.states["home"].health == "ok"  # the source goes on at its interval
    loop.store.close()


def test_the_status_line_counts_the_calendars(tmp_path: Path) -> None:
    loop = daemon(tmp_path, [])
    assert loop.status_line() == "last pass none yet; sources: 0 ok, 1 waiting (home)"
    now = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC).isoformat()
    for name, state in [("Personal", "ok"), ("Work", "ok"), ("Careers", "read-only"),
                        ("Shared", "failing"), ("Team", "vanished")]:  # fmt: skip
        loop.store.set_calendar_health(CalendarHealth("home", f"id-{name}", name, state, now))
    loop.store.set_calendar_health(CalendarHealth("gone-source", "x", "X", "failing", now))
    assert loop.status_line() == (
        "last pass none yet; calendars: 2 ok, 1 read-only, 1 failing, 1 vanished;"
        " sources: 0 ok, 1 waiting (home)"
    )
    loop.store.close()
