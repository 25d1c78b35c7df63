"""Soak: ``syncd run`` every second while the user keeps changing interviews, on each backend.

For a while the test adds, moves, renames, cancels, marks heard-back and
deletes interviews at random (seeded) while the real daemon runs. When it has
caught up, what it left in the calendar must be exactly what one clean pass of
a fresh syncd writes for the final interviews in a fresh calendar: no
duplicate, nothing stale, nothing missing. Its open files must not grow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import BACKENDS, LONDON, Backend, open_backend
from daemon_process import SYNCD, NotifySocket, Syncd, daemon_env
from servers import ServerError

STEPS = 60  # user changes during the soak
PAUSE = 0.15  # seconds between two changes: several changes per pass, several passes in all
SEED = 20261125


@pytest.fixture(params=BACKENDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclasses.dataclass
class Interview:
    """The test's own record of one interview as the user left it."""

    company: str
    start: dt.datetime
    role: str = ""
    state: str = "live"  # live, cancelled, heard (both final), removed

    @property
    def title(self) -> str:
        role = f" - {self.role}" if self.role else ""
        heard = " #heard-back" if self.state == "heard" else ""
        return f"Interview with {self.company}{role}{heard}"


def random_start(rng: random.Random) -> dt.datetime:
    """A weekday of next week or the week after, 09:00-16:00 London."""
    today = dt.datetime.now(LONDON).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=rng.choice([1, 2]))
    day = monday + dt.timedelta(days=rng.randrange(5))
    return dt.datetime.combine(day, dt.time(rng.randrange(9, 17)), tzinfo=LONDON)


def put(backend: Backend, key: str, interview: Interview) -> None:
    start = interview.start
    backend.put(key, interview.title, start, start + dt.timedelta(hours=1))


def retried(change: Callable[[], None]) -> None:
    """Xandikos answers 423 while syncd's write holds its repository; apps try again."""
    for _ in range(100):
        try:
            return change()
        except ServerError as error:
            if "HTTP 423" not in str(error):
                raise
            time.sleep(0.05)
    raise AssertionError("the calendar stayed locked for 5 s")


def mutate(backend: Backend, rng: random.Random, interviews: dict[str, Interview]) -> None:
    """One change a user might make: mostly to live interviews, sometimes a new one."""
    live = [key for key, i in interviews.items() if i.state == "live"]
    action = rng.choices(
        ["new", "move", "rename", "cancel", "heard", "remove"], weights=[4, 4, 2, 1, 1, 1]
    )[0]
    if action == "new" or not live:
        key = f"company-{len(interviews)}"
        interviews[key] = Interview(f"Company{len(interviews)}", random_start(rng))
        retried(lambda: put(backend, key, interviews[key]))
        return
    key = rng.choice(live)
    interview = interviews[key]
    if action == "move":
        interview.start = random_start(rng)
        retried(lambda: put(backend, key, interview))
    elif action == "rename":
        interview.role = rng.choice(["Engineer", "Senior Engineer", "Lead", "Manager"])
        retried(lambda: backend.change(key, title=interview.title))
    elif action == "cancel":
        interview.state = "cancelled"
        retried(lambda: backend.change(key, status="cancelled"))
    elif action == "heard":
        interview.state = "heard"
        retried(lambda: backend.change(key, title=interview.title))
    else:
        interview.state = "removed"
        retried(lambda: backend.remove(key))


def settled(backend: Backend) -> Counter[tuple[Any, ...]]:
    """The follow-ups in the calendar, as a user sees them."""
    return Counter(
        (seen.kind, seen.title, seen.start, seen.reminders, seen.description)
        for items in backend.followups().values()
        for seen in items
    )


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def run_once(config: Path) -> str:
    result = subprocess.run(
        [str(SYNCD), "--config", str(config), "run", "--once"],
        env=daemon_env(None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def backends(
    request: pytest.FixtureRequest, kind: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Backend, Backend]]:
    """The soaked calendar and a fresh one for the reference pass, on the same service."""
    soaked, fresh = (open_backend(kind, request, monkeypatch) for _ in range(2))
    yield soaked, fresh
    soaked.close()
    fresh.close()


@pytest.mark.slow
def test_the_daemon_under_a_stream_of_user_changes_ends_where_one_clean_pass_does(
    tmp_path: Path, backends: tuple[Backend, Backend]
) -> None:
    soaked, fresh = backends
    rng = random.Random(SEED)
    interviews: dict[str, Interview] = {}
    folder = tmp_path / "soaked"
    folder.mkdir()
    config = folder / "config.toml"
    head = f'timezone = "Europe/London"\ninterval = "1s"\nstate_dir = "{folder / "state"}"\n'
    config.write_text(head + soaked.source_toml(folder))

    notify = NotifySocket()
    daemon = Syncd(config, tmp_path / "syncd.log", daemon_env(notify))
    try:
        notify.wait_for("STATUS", count=2, timeout=60)  # the first pass is done
        files = open_files(daemon.pid)
        for _ in range(STEPS):
            mutate(soaked, rng, interviews)
            time.sleep(PAUSE)
        turns = len(notify.fields("STATUS"))
        notify.wait_for("STATUS", count=turns + 2, timeout=60)  # a whole pass after the last change
        assert open_files(daemon.pid) <= files + 5, "open files grow"
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=10) == 0
    finally:
        daemon.stop()
        notify.close()
    assert run_once(config).endswith("did create 0, update 0, delete 0")
    log = (tmp_path / "syncd.log").read_text()
    assert "ERROR" not in log and "Traceback" not in log, log

    reference = tmp_path / "reference"
    reference.mkdir()
    for key, interview in interviews.items():
        if interview.state == "removed":
            continue
        put(fresh, key, interview)
        if interview.state == "cancelled":
            fresh.change(key, status="cancelled")
    (reference / "config.toml").write_text(
        head.replace(str(folder), str(reference)) + fresh.source_toml(reference)
    )
    run_once(reference / "config.toml")
    states = Counter(i.state for i in interviews.values())
    expected = settled(fresh)
    assert all(states[state] for state in ("live", "cancelled", "heard", "removed")), states
    assert settled(soaked) == expected, f"interviews: {states}"
