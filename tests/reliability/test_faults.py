"""200 daemon passes with 20 % of requests faulted while a user keeps changing things.

On each backend (Radicale, Xandikos, the Google fake) the daemon runs behind a
fault proxy (tests/reliability/fault_proxy.py) that faults 20 % of its requests:
500, 502, 503, 429 with Retry-After, resets, stalls past the source's 2 s
timeout, answers cut short, garbage for XML or JSON, and writes carried out by
the server whose answer is lost. Between passes the seeded driver
(tests/reliability/driver.py) adds, moves, renames, cancels and deletes
interviews, marks them heard back, edits and deletes follow-ups (a new title, a
new time, ``#heard-back`` in a call's title), and once in the run a calendar
shared read-only turns up, one is made read-only and one is deleted (each of the
last two after the daemon caught up without faults, as the soak does: what they
hold then is what stays). Sometimes the user changes an interview while a pass runs.

Then 3 passes without faults, and the calendars must be the oracle's
(tests/reliability/oracle.py): every follow-up the planner wants for the final
interviews, minus what the user edited or deleted, exactly once, where routing
says; every object of the user's byte for byte as left. The daemon never exited.
Lost answers are found again: syncd's state ends holding as edited by the user
only what the user edited, and as deleted by the user only what the user
deleted; a create whose answer was lost is no duplicate, an update whose answer
was lost is no edit. The faults injected are printed by kind.

``make test`` runs 40 passes on Radicale, 30 on Xandikos and 12 on the Google fake
(the suite's time budget); ``make reliability`` (``SYNCD_RELIABILITY=full``) 200 on each.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import oracle
import pytest
from driver import Driver, statuses
from rig import (
    Run,
    calendar_changes,
    faults_line,
    open_faulted,
    run_once,
    skipped,
    source_name,
    sources_ok,
    write_config,
)

RATE = 0.2
SEED = 20261212
FULL = os.environ.get("SYNCD_RELIABILITY") == "full"
PASSES = {"radicale": 200 if FULL else 40, "xandikos": 200 if FULL else 30,
          "google": 200 if FULL else 12}  # fmt: skip
CLEAN = 3  # passes without faults at the end


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["radicale", "xandikos", "google"])
def test_two_hundred_faulted_passes_end_where_the_oracle_says(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    passes, rng = PASSES[kind], random.Random(SEED)
    account, proxy = open_faulted(
        kind, tmp_path / "server", monkeypatch.setenv, seed=SEED, rate=RATE
    )
    state = tmp_path / "state"
    config = write_config(account, proxy, tmp_path / "user", state)
    driver = Driver(account, rng, state)
    run: Run | None = None
    try:
        for home in driver.homes * 2:  # the account has interviews already
            driver.new(home)
        run = Run(config, tmp_path / "syncd.log", {})
        run.wait_pass()
        changes = calendar_changes(rng, passes)
        for number in range(1, passes):
            change = changes.get(number)
            if change == "appear":
                driver.appear()
            elif change is not None:  # what the calendar holds now is what stays
                run.catch_up(proxy, RATE, driver.calendars_status())
                verdict = oracle.check(driver, config, source_name(kind))
                lost = skipped(run.daemon.log(), state)
                assert not verdict.unexplained(lost), f"before {change}: {verdict}"
                getattr(driver, change)()
            for _ in range(rng.choice((0, 1, 1, 2))):
                driver.step()
            run.kick()
            if rng.random() < 0.2:  # while the pass runs
                driver.change()
            run.wait_pass()
        run.catch_up(proxy, 0.0, driver.calendars_status())
        for _ in range(CLEAN):
            run.kick()
            assert sources_ok(run.wait_pass()), run.daemon.log()[-3000:]
        verdict = oracle.check(driver, config, source_name(kind))
        run.alive()
        assert run.stop() == 0
        again = run_once(config)
    finally:
        if run is not None:
            run.close()
        proxy.close()
        account.close()
    faults = faults_line(proxy)
    with capsys.disabled():
        print(f"\n{kind}: {passes} passes + {CLEAN} clean; {faults}; {verdict}; {driver.done}")
    log = (tmp_path / "syncd.log").read_text()
    lost_changes = skipped(log, state)
    assert not verdict.unexplained(lost_changes), f"{verdict}\n{faults}"
    assert "Traceback" not in log and "unexpected" not in log, log[-5000:]
    if passes >= 200:  # enough passes for answers lost to both, and every kind of change
        assert {"create", "update"} <= {item.op for item in proxy.lost}, faults
        assert all(driver.done[what] for what in ("retitle", "delete", "heard-call")), driver.done
    # A lost answer is never taken for the user's doing: syncd's state holds as edited
    # and as deleted by the user exactly what the driver edited and deleted.
    held = statuses(state)
    edited = {fid for fid, status in held.items() if status == "edited-by-user"}
    deleted = {fid for fid, status in held.items() if status == "deleted-by-user"}
    told = edited ^ {edit.slot for edit in driver.edited.values()}
    told |= deleted ^ set(driver.deleted.values())
    assert told <= lost_changes, f"{told - lost_changes}\n{faults}"
    assert again.endswith("did create 0, update 0, delete 0")
