"""Soak: ``syncd run`` every second while the user keeps changing interviews, on each backend.

The account (tests/reliability/soak_accounts.py) is watched with ``calendars =
[]``: a main calendar, a ``work`` calendar, a read-only ``shared`` one and a
read-only ``team`` one. For a while the test adds, moves, renames, cancels,
marks heard-back and deletes interviews at random (seeded) on all of them while
the real daemon runs; at seeded random steps the account itself changes:

- ``appear``: a calendar shared read-only (``rota``) turns up with an interview;
  it is watched from the next listing of the calendars;
- ``freeze``: ``work`` turns read-only (its owner takes the write access back)
  and its owner adds an interview there, which the random changes leave alone.
  Until syncd learns of it (a write refused there has the calendars listed
  again) it may try to write that interview's follow-ups into ``work``; they
  must end in main;
- ``vanish``: ``team`` is deleted by its owner. It comes after the other two, so
  that the listing its 404 causes at once is one that knows of all three (the
  periodic one, every 12 passes, would cost the soak a dozen seconds).

Before ``freeze`` and ``vanish`` the test lets the daemon catch up (no change
for a whole pass), so that what it leaves there is known. When it has caught
up after the last change, the calendars must hold exactly what one clean pass
of a fresh syncd writes over these interviews, placed by docs/behaviour.md
("Where follow-ups go", "The calendar list"):

- the follow-ups of an interview on a writable calendar are in that calendar;
  those of an interview on a read-only calendar (``shared``, ``rota``, ``team``,
  and ``work`` once frozen) in the main calendar;
- a follow-up already in ``work`` when it turned read-only is left as it is:
  ``work`` ends holding what a clean pass writes for its interviews as they were
  at the freeze, byte for byte as it was then, whatever its owner did since;
  its interviews that had none there then (added later) have theirs in main;
- ``team`` vanished: its interviews and their follow-ups are left as they are,
  so main keeps what a clean pass writes for ``team``'s interviews as they were
  when it went, and nothing of them is deleted.

The oracle is that clean pass: a fresh syncd over two fresh calendars of the
same service, one holding every interview whose follow-ups belong in main (as
the user left it, or as it was when ``team`` went), one the ``work`` interviews
as they were at the freeze. Also: no follow-up twice; nothing ever written into
a calendar while it was read-only: the proxy's or the fake's log shows no write
even tried into a calendar listed read-only from the start, none carried out in
``work`` after the freeze (refused ones, until syncd knows), and each holds byte
for byte what its owner put there (and ``work`` what it held at the freeze); the
daemon never exits, ends 0 on SIGTERM, and its open files do not grow.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import Backend, open_backend
from daemon_process import SYNCD, NotifySocket, Syncd, daemon_env, wait_until
from soak_accounts import Account, open_account
from soak_user import Interview, User, calendar_changes

STEPS = 60  # user changes during the soak
PAUSE = 0.15  # seconds between two changes: several changes per pass, several passes in all
SEED = 20261125
# The calendars' states once the daemon knows of every change of the account:
# main; shared, work (frozen), rota (appeared); team (gone).
SETTLED = "1 ok, 3 read-only, 1 vanished"


# The backends soak_accounts.open_account starts an account of its own on (not the
# servers of Debian packages the scenario suite also runs on).
SOAKED = ("radicale", "xandikos", "google")


@pytest.fixture(params=SOAKED)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def alive(daemon: Syncd) -> None:
    assert daemon.running(), f"syncd has exited:\n{daemon.log()}"


def caught_up(notify: NotifySocket, daemon: Syncd) -> None:
    """Wait until a whole pass has run since now (nothing changes meanwhile).

    The pass that ends with the next STATUS may have begun before now; the one
    after it begins at least a second (the interval, or a backoff: never less)
    after that STATUS was sent, so after now unless a STATUS took that second to
    reach the socket. A pass that failed (Xandikos' lock taken by the test's own
    write) can only be one that overlapped the test's changes: the next one runs
    alone, and does the whole work.
    """
    count = len(notify.fields("STATUS")) + 2

    def done() -> bool:
        alive(daemon)
        return len(notify.fields("STATUS")) >= count

    wait_until(done, 60, "a whole pass")


def next_status(notify: NotifySocket, daemon: Syncd, after: int, text: str) -> str:
    """The first STATUS line after the first ``after`` ones that holds ``text``."""

    def found() -> str:
        alive(daemon)
        return next((s for s in notify.fields("STATUS")[after:] if text in s), "")

    return wait_until(found, 60, f"a STATUS line saying {text!r}")


def calendars_status(line: str) -> str:
    """The calendars' part of a STATUS line ("1 ok, 3 read-only, ...")."""
    found = re.search(r"calendars: ([^;]*);", line)
    return found.group(1) if found else ""


def settled(backend: Backend) -> Counter[tuple[Any, ...]]:
    """The follow-ups in a reference calendar, as a user sees them."""
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
def account(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    """The soaked account, on a server of its own."""
    opened = open_account(kind, tmp_path / "server", monkeypatch.setenv)
    yield opened
    opened.close()


@pytest.fixture
def reference(
    request: pytest.FixtureRequest, kind: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Backend, Backend]]:
    """Two fresh calendars for the reference pass (main's share, work's), on the same service."""
    main, work = (open_backend(kind, request, monkeypatch) for _ in range(2))
    yield main, work
    main.close()
    work.close()


def clean_pass(folder: Path, head: str, into: list[tuple[Backend, dict[str, Interview]]]) -> None:
    """One pass of a fresh syncd over fresh calendars holding ``into``'s interviews."""
    folder.mkdir()
    for backend, interviews in into:
        for key, i in interviews.items():
            if i.state == "removed":
                continue
            backend.put(key, i.title, i.start, i.start + dt.timedelta(hours=1))
            if i.state == "cancelled":
                backend.change(key, status="cancelled")
    tomls = [backend.source_toml(folder) for backend, _ in into]
    names = [re.findall(r"^calendars = \[(.*)\]$", toml, re.M)[0] for toml in tomls]
    source = re.sub(r"^calendars = .*$", f"calendars = [{', '.join(names)}]", tomls[0], flags=re.M)
    (folder / "config.toml").write_text(head + source)
    run_once(folder / "config.toml")


@pytest.mark.slow
def test_the_daemon_under_a_stream_of_user_changes_ends_where_one_clean_pass_does(
    tmp_path: Path, account: Account, reference: tuple[Backend, Backend]
) -> None:
    rng = random.Random(SEED)
    user = User(account, rng)
    changes = calendar_changes(rng)
    folder = tmp_path / "soaked"
    folder.mkdir()
    config = folder / "config.toml"
    head = f'timezone = "Europe/London"\ninterval = "1s"\nstate_dir = "{folder / "state"}"\n'
    config.write_text(head + account.source_toml(folder))

    for home in user.homes * 2:  # the account has interviews already
        user.new(home)
    notify = NotifySocket()
    daemon = Syncd(config, tmp_path / "syncd.log", daemon_env(notify))
    try:
        notify.wait_for("STATUS", count=2, timeout=60)  # the first pass is done
        files = open_files(daemon.pid)
        since = 0
        for step in range(STEPS):
            change = changes.get(step)
            if change == "appear":
                user.appear()
            elif change == "freeze":
                caught_up(notify, daemon)
                since = account.mark()
                user.freeze()
            elif change == "vanish":
                caught_up(notify, daemon)
                before = len(notify.fields("STATUS"))
                user.vanish()
                status = next_status(notify, daemon, before, "vanished")
                assert calendars_status(status) == SETTLED, status
            user.change()
            time.sleep(PAUSE)
        caught_up(notify, daemon)  # a whole pass after the last change
        assert calendars_status(notify.fields("STATUS")[-1]) == SETTLED
        assert open_files(daemon.pid) <= files + 5, "open files grow"
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=10) == 0
    finally:
        daemon.stop()
        notify.close()
    assert run_once(config).endswith("did create 0, update 0, delete 0")
    log = (tmp_path / "syncd.log").read_text()
    assert "ERROR" not in log and "Traceback" not in log, log

    # Nothing was ever written where the account may only read: not even tried where the
    # calendar was listed read-only from the start; refused in work until syncd knew.
    for role in ("shared", "team", "rota"):
        assert account.writes(role) == [], role
    frozen = account.writes("work", since)
    assert [w for w in frozen if w.status != 403] == [], frozen
    for role in ("shared", "rota", "work"):
        assert account.contents(role) == account.left[role], role

    main, work = reference
    clean_pass(tmp_path / "reference", head.replace(str(folder), str(tmp_path / "reference")),
               [(main, user.in_main()), (work, user.frozen)])  # fmt: skip
    found = {role: account.followups(role) for role in ("main", "work")}
    states = Counter(i.state for i in user.interviews.values())
    about = f"interviews: {states}; changes: {user.done}"
    assert all(states[state] for state in ("live", "cancelled", "heard", "removed")), about
    # The seed gives every rule something to hold for: follow-ups frozen in work, left
    # behind by team, routed from the calendars read-only from the start or made so.
    for some in (user.frozen, user.left_behind):
        assert any(i.state in ("live", "heard") for i in some.values()), about
    assert user.done["on rota"] > 1 and user.done["on shared"] > 1, about
    assert any(i.home == "work" and k not in user.frozen for k, i in user.interviews.items())
    placed = Counter((f.interview, f.kind) for items in found.values() for f in items)
    assert max(placed.values()) == 1, f"duplicates: {placed.most_common(3)}"
    for role, fresh in (("work", work), ("main", main)):
        got, want = Counter(f.shown for f in found[role]), settled(fresh)
        assert got == want, f"{role}: missing {want - got}, extra {got - want}; {about}"
