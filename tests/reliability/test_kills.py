"""A hundred SIGKILLs of a driver-run daemon, at random moments and between a server's
write and the state's commit; restarted each time.

Before each start the seeded driver (tests/reliability/driver.py) changes
interviews and follow-ups, so that every start has writes to make. Then the
daemon is killed: at a random moment of its first seconds (starting, reading,
planning, writing, committing, waiting), or, one time in three, at the first
write the server carries out: the proxy in front of the server
(tests/reliability/fault_proxy.py) kills it after the server took the write and
before the answer goes back, so the write is on the server and not in the state.
After every kill ``PRAGMA integrity_check`` of the state says ok. Once in the run
a calendar appears, one is made read-only and one is deleted (after a run that
is not killed has caught up, as the fault test does).

At the end a daemon that is not killed catches up, and the calendars are the
oracle's (tests/reliability/oracle.py), with no duplicate; syncd's state holds
as edited and deleted by the user exactly what the driver edited and deleted (a
kill between a delete and its commit is not the user's deletion); a last
``run --once`` has nothing to do.

``make test`` kills the daemon 30 times on Radicale (the suite's time budget);
``make reliability`` (``SYNCD_RELIABILITY=full``) 100 times on each backend.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import oracle
import pytest
from driver import Driver, statuses
from rig import (
    Run,
    calendar_changes,
    open_faulted,
    run_once,
    skipped,
    source_name,
    sources_ok,
    write_config,
)

from syncd.state_files import DB_NAME

SEED = 20261213
KILLS = 100 if os.environ.get("SYNCD_RELIABILITY") == "full" else 30  # the suite's budget
FULL = os.environ.get("SYNCD_RELIABILITY") == "full"
KINDS = ["radicale", "xandikos", "google"] if FULL else ["radicale"]
AT_WRITE = 1 / 3  # the share of kills forced between a server's write and the commit
LATEST = 1.5  # seconds after the start a random kill comes at the latest (a pass: 0.2-0.5 s)


def integrity(state: Path) -> str:
    """``PRAGMA integrity_check`` of the state file, as the next start would open it."""
    db = sqlite3.connect(state / DB_NAME)
    try:
        return ", ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
    finally:
        db.close()


def killed(run: Run) -> None:
    """Wait for the daemon's end by SIGKILL."""
    code = run.daemon.process.wait(timeout=15)
    assert code == -signal.SIGKILL, f"exit {code}:\n{run.daemon.log()[-3000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_a_hundred_kills_end_where_the_oracle_says(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    account, proxy = open_faulted(kind, tmp_path / "server", monkeypatch.setenv, seed=SEED, rate=0)
    state = tmp_path / "state"
    config = write_config(account, proxy, tmp_path / "user", state)
    log = tmp_path / "syncd.log"
    driver = Driver(account, rng, state)
    how: Counter[str] = Counter()
    changes = calendar_changes(rng, KILLS)
    try:
        for home in driver.homes * 2:
            driver.new(home)
        for number in range(KILLS):
            change = changes.get(number)
            if change == "appear":
                driver.appear()
            elif change is not None:  # what the calendar holds now is what stays
                run = Run(config, log, {})
                try:
                    run.catch_up(proxy, 0, driver.calendars_status())
                    assert run.stop() == 0
                finally:
                    run.close()
                getattr(driver, change)()
            for _ in range(rng.choice((1, 2, 3))):
                driver.step()
            how[kill_once(config, log, proxy, rng)] += 1
            assert integrity(state) == "ok", f"after kill {number + 1}"
        run = Run(config, log, {})
        try:
            run.catch_up(proxy, 0, driver.calendars_status())
            for _ in range(3):
                run.kick()
                assert sources_ok(run.wait_pass())
            verdict = oracle.check(driver, config, source_name(kind))
            assert run.stop() == 0
        finally:
            run.close()
        again = run_once(config)
    finally:
        proxy.close()
        account.close()
    text = log.read_text()
    ops = Counter(item.op for item in proxy.lost)
    with capsys.disabled():
        print(
            f"\n{kind}: {sum(how.values())} kills {dict(how)}; at a write: {dict(ops)}; {verdict}"
        )
    assert not verdict.unexplained(skipped(text, state)), verdict
    assert "Traceback" not in text and "unexpected" not in text, text[-5000:]
    assert integrity(state) == "ok"
    held = statuses(state)
    edited = {fid for fid, status in held.items() if status == "edited-by-user"}
    deleted = {fid for fid, status in held.items() if status == "deleted-by-user"}
    assert edited == {edit.slot for edit in driver.edited.values()}
    assert deleted == set(driver.deleted.values())
    assert sum(how.values()) == KILLS and how["at a write"] >= KILLS // 5, how
    assert again.endswith("did create 0, update 0, delete 0")


def kill_once(config: Path, log: Path, proxy: object, rng: random.Random) -> str:
    """Start the daemon and kill it: at the first write the server carries out (a share
    AT_WRITE of the time), else at a random moment; how it was killed."""
    forced = rng.random() < AT_WRITE
    run = Run(config, log, {})
    done = threading.Event()

    def at_write(_method: str, _path: str) -> bool:
        if done.is_set():
            return False
        done.set()
        os.kill(run.daemon.pid, signal.SIGKILL)
        return True  # the answer is lost: the daemon is gone

    try:
        if forced:
            proxy.on_applied = at_write  # type: ignore[attr-defined]
            # no write in the first passes (nothing to do): killed at random after all
            if done.wait(timeout=LATEST + 1):
                killed(run)
                return "at a write"
            proxy.on_applied = None  # type: ignore[attr-defined]
        else:
            time.sleep(rng.uniform(0, LATEST))
        if done.is_set():  # the hook fired meanwhile
            killed(run)
            return "at a write"
        run.daemon.signal(signal.SIGKILL)
        killed(run)
        return "at random"
    finally:
        proxy.on_applied = None  # type: ignore[attr-defined]
        run.close()
