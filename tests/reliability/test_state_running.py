"""The state file damaged at random points while the daemon runs, and the disk full.

Damage: while a driver-run daemon makes its passes on Radicale, the state file
is damaged at a random moment, a random way (pages of garbage, zeroed pages, a
cut, its header, the whole file, the write-ahead log's frames, the file
deleted). Each pass opens the file and checks it whole, so the daemon stops at
its next pass with the one line of the hostile-input issue (the file, "damaged",
``syncd --config ... state reset``), exit 1, no traceback; or it goes on, where
SQLite never reads the damage (pages the log holds newer copies of, which its
checkpoint writes back over them; a log whose frames no longer check out, which
SQLite ignores: the last commits are lost; a file deleted: a new one). The user
then does what the line says and starts syncd again.

Disk full: the daemon runs with its files capped (RLIMIT_FSIZE) a little above
the state's size: its next commits fail, and it stops with one line saying the
disk is full and to free space, exit 1. Started again with room, it goes on.

Either way, at the end a daemon catches up and the calendars are the oracle's
(tests/reliability/oracle.py): no duplicate, every object of the user's and
every follow-up the user edited byte for byte as left. The driver deletes no
follow-up here: on CalDAV a lost state forgets those (docs/behaviour.md, "What
a lost state forgets"); and the follow-ups of an interview deleted while the
state was lost stay (the same section), the one difference allowed.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import oracle
import pytest
from daemon_process import SYNCD, daemon_env
from driver import Driver
from rig import Run, open_faulted, run_once, source_name, sources_ok, write_config

from syncd.state_files import DB_NAME

SEED = 20261214
ROUNDS = 10
PAGE = 4096
DISK = "16m"  # the small disk's size
ROOM = 4 * PAGE  # what is left on it once it fills up


def _pages(path: Path) -> int:
    return max(1, path.stat().st_size // PAGE)


def garbage_pages(path: Path, rng: random.Random) -> None:
    with path.open("r+b") as file:
        for page in rng.sample(range(1, _pages(path)), min(2, _pages(path) - 1) or 0):
            file.seek(page * PAGE)
            file.write(rng.randbytes(PAGE))


def zeroed_pages(path: Path, rng: random.Random) -> None:
    with path.open("r+b") as file:
        start = rng.randrange(1, _pages(path)) if _pages(path) > 1 else 0
        file.seek(start * PAGE)
        file.write(bytes(2 * PAGE))


def cut(path: Path, rng: random.Random) -> None:
    with path.open("r+b") as file:
        file.truncate(rng.randrange(100, max(101, path.stat().st_size)))


def header(path: Path, rng: random.Random) -> None:
    with path.open("r+b") as file:
        file.write(rng.randbytes(100))


def whole(path: Path, rng: random.Random) -> None:
    path.write_bytes(rng.randbytes(path.stat().st_size))


def log_frames(path: Path, rng: random.Random) -> None:
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 32 + PAGE:
        with wal.open("r+b") as file:
            file.seek(rng.randrange(32, wal.stat().st_size - 64))
            file.write(rng.randbytes(64))


def deleted(path: Path, rng: random.Random) -> None:
    path.unlink()


DAMAGE: dict[str, Callable[[Path, random.Random], None]] = {
    "garbage pages": garbage_pages,
    "zeroed pages": zeroed_pages,
    "cut": cut,
    "header": header,
    "whole": whole,
    "log frames": log_frames,
    "deleted": deleted,
}


def one_line(log: str, *words: str) -> str:
    """The line of ``log`` holding every one of ``words``; fails unless there is one."""
    lines = [line for line in log.splitlines() if all(w in line for w in words)]
    assert len(lines) == 1 and "Traceback" not in log, log[-3000:]
    return lines[0]


def reset(config: Path) -> None:
    done = subprocess.run(
        [str(SYNCD), "--config", str(config), "state", "reset"],
        env=daemon_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


class Rounds:
    """The test's side: its account, driver, config and the daemons it started."""

    def __init__(self, tmp_path: Path, setenv: Callable[[str, str], None], state: Path) -> None:
        self.rng = random.Random(SEED)
        self.account, self.proxy = open_faulted(
            "radicale", tmp_path / "server", setenv, seed=SEED, rate=0
        )
        self.tmp_path, self.state = tmp_path, state
        self.config = write_config(self.account, self.proxy, tmp_path / "user", self.state)
        self.driver = Driver(self.account, self.rng, self.state, deletes=False)
        self.runs = 0
        self.seen: Counter[str] = Counter()

    def start(self) -> tuple[Run, Path]:
        self.runs += 1
        log = self.tmp_path / f"syncd-{self.runs}.log"
        return Run(self.config, log, {}), log

    def ended(self, run: Run, log: Path, *words: str) -> bool:
        """Whether the daemon stopped with the one line holding ``words`` (then the user
        does what it says); False when it still runs."""
        code = run.daemon.process.poll()
        if code is None:
            return False
        assert code == 1, log.read_text()[-3000:]
        line = one_line(log.read_text(), str(self.state / DB_NAME), *words)
        self.seen[line.split(": ", 1)[1].split(" (")[0]] += 1
        return True

    def passes(self, run: Run, count: int) -> None:
        """Up to ``count`` passes on the daemon's own schedule (every second: no pass
        fails here; a reload's SIGHUP could meet the daemon on its way out, its handlers
        gone), fewer if the daemon stops meanwhile."""
        for _ in range(count):
            try:
                run.wait_pass(timeout=60)
            except AssertionError:
                if run.daemon.process.poll() is None:
                    raise
                return

    def finish(self) -> oracle.Verdict:
        """A daemon that catches up; the calendars against the oracle."""
        run, log = self.start()
        try:
            run.wait_ready()
            run.catch_up(self.proxy, 0, self.driver.calendars_status())
            for _ in range(3):
                run.kick()
                assert sources_ok(run.wait_pass())
            verdict = oracle.check(self.driver, self.config, source_name("radicale"))
            assert run.stop() == 0
        finally:
            run.close()
        assert "Traceback" not in log.read_text()
        return verdict

    def close(self) -> None:
        self.proxy.close()
        self.account.close()


@pytest.fixture
def rounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rounds]:
    made = Rounds(tmp_path, monkeypatch.setenv, tmp_path / "state")
    yield made
    made.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own (mounting one takes root, as CI runs): a disk that fills up."""
    where = tmp_path / "disk"
    where.mkdir(mode=0o700)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"a full disk needs a small tmpfs, which only root may mount: {mounted.stderr}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.slow
def test_a_state_file_damaged_while_the_daemon_runs_duplicates_nothing(
    rounds: Rounds, capsys: pytest.CaptureFixture[str]
) -> None:
    rng, driver = rounds.rng, rounds.driver
    for home in driver.homes * 2:
        driver.new(home)
    kinds: Counter[str] = Counter()
    for number in range(ROUNDS):
        for _ in range(rng.choice((2, 3, 4))):
            driver.step()
        run, log = rounds.start()
        try:
            run.wait_ready(timeout=60)
            if rounds.ended(run, log, "state reset"):  # damage the last round left
                reset(rounds.config)
                continue
            rounds.passes(run, rng.choice((0, 1, 2)))
            kind = list(DAMAGE)[number % len(DAMAGE)]
            path = rounds.state / DB_NAME
            if run.daemon.process.poll() is None and path.exists():
                DAMAGE[kind](path, rng)
                kinds[kind] += 1
            for _ in range(rng.choice((1, 2))):
                driver.step()
            rounds.passes(run, 3)
            if rounds.ended(run, log, "state reset"):
                reset(rounds.config)
            else:
                assert run.stop() == 0
        finally:
            run.close()
    verdict = rounds.finish()
    # An interview deleted while syncd had no state leaves nothing to read: its
    # follow-ups stay (docs/behaviour.md, "What a lost state forgets").
    removed = {driver.key_of(k) for k, i in driver.interviews.items() if i.state == "removed"}
    left = [p for p in verdict.problems if "unexpected" in p.text and p.interview in removed]
    with capsys.disabled():
        print(f"\nstate damaged {dict(kinds)}; the user saw {dict(rounds.seen)};")
        print(f"{verdict}; of deleted interviews, left: {len(left)}")
    assert [p for p in verdict.problems if p not in left] == [], verdict
    assert sum(rounds.seen.values()) >= 3, rounds.seen


@pytest.mark.slow
def test_a_full_disk_stops_the_daemon_with_one_line_and_it_goes_on_later(
    tmp_path: Path,
    small_disk: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rounds = Rounds(tmp_path, monkeypatch.setenv, small_disk / "state")
    try:
        driver, filler = rounds.driver, small_disk / "someone-elses.bin"
        for home in driver.homes * 2:
            driver.new(home)
        stops = 0
        for _ in range(3):
            run, log = rounds.start()
            try:
                run.wait_pass()
                free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
                # The disk fills up (other files: a log, a download), but for a few pages.
                with filler.open("ab") as file:
                    file.write(bytes(max(0, free - ROOM)))
                for _ in range(12):
                    driver.new(rounds.rng.choice(driver.homes))
                rounds.passes(run, 6)
                stopped = rounds.ended(run, log, "is full", "free some space")
                stops += stopped
                if not stopped:
                    assert run.stop() == 0
            finally:
                run.close()
            filler.unlink()  # the user frees some space
        verdict = rounds.finish()
        again = run_once(rounds.config)
    finally:
        rounds.close()
    with capsys.disabled():
        print(f"\ndisk full ({DISK}, {ROOM} bytes left): {stops} stops of 3; {dict(rounds.seen)}")
    assert stops >= 2, rounds.seen
    assert not verdict.problems, verdict
    assert again.endswith("did create 0, update 0, delete 0")
    assert os.stat(rounds.state / DB_NAME).st_mode & 0o777 == 0o600
