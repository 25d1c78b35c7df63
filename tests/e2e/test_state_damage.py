"""A damaged state file, an unusable state folder, one that is not syncd's: one line, exit 1.

Every command that reads the state is run as a user would run it, in a process of its
own, against a state file damaged the ways a disk, a crash or a hand does (truncated,
garbage, zeroed pages, a folder in its place, written by a newer syncd) and against
state folders syncd must not use (a file, one it cannot make, one shared with others
or another user's, one holding other files). What the user sees is asserted: one line
on stderr naming the file or folder and what to do, exit 1, no traceback, and a folder
that is not syncd's left as it was. ``syncd state reset`` moves a damaged file aside
and the next pass starts afresh.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.lock import acquire
from syncd.state import DB_NAME, StateStore

TIMEOUT = 30
PAGE = 4096


@dataclasses.dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


def syncd(config: Path, *args: str) -> Ran:
    command = [sys.executable, "-m", "syncd", "--config", str(config), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    return Ran(done.returncode, done.stdout, done.stderr)


def config_for(tmp_path: Path, state_dir: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "Europe/London"\nstate_dir = "{state_dir}"\n')
    return config


def good_state(folder: Path) -> Path:
    """A state of several pages, closed cleanly (no -wal left)."""
    store = StateStore(folder)
    for number in range(40):
        store.set_token("src", f"calendar {number}", "t" * 400)
    store.close()
    return folder / DB_NAME


def truncated(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(PAGE + 100)


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def zeroed_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[PAGE : 3 * PAGE] = bytes(2 * PAGE)
    path.write_bytes(bytes(data))


def zeroed_file(path: Path) -> None:
    path.write_bytes(bytes(len(path.read_bytes())))


def folder_instead(path: Path) -> None:
    path.unlink()
    (path / "something").mkdir(parents=True)


def newer_schema(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE schema_version SET version = 99")
    db.close()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncated, "the state file is damaged"),
    "garbage": (garbage, "the state file is damaged"),
    "zeroed pages": (zeroed_pages, "the state file is damaged"),
    "zeroed file": (zeroed_file, "the state file is damaged"),
    "a folder": (folder_instead, "a folder stands where syncd's state file should be"),
    "newer schema": (newer_schema, "written by a newer syncd (schema 99"),
}
COMMANDS = {
    "run --once": ("run", "--once"),
    "run --once --dry-run": ("run", "--once", "--dry-run"),
    "plan": ("plan",),
    "status": ("status",),
    "daemon start": ("run",),
}


def assert_one_line(ran: Ran, *parts: str) -> None:
    assert ran.code == 1, ran.stderr[-2000:]
    assert len(ran.lines) == 1, ran.stderr[-3000:]
    assert "Traceback" not in ran.stderr
    for part in parts:
        assert part in ran.lines[0]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_state_file_is_one_line_from_every_command(tmp_path, damage):
    state = tmp_path / "state"
    path = good_state(state)
    spoil, said = DAMAGE[damage]
    spoil(path)
    config = config_for(tmp_path, state)

    for name, command in COMMANDS.items():
        ran = syncd(config, *command)
        # the command to run next, with the --config this one was given
        assert_one_line(ran, str(path), said, f"syncd --config {config} state reset")
        assert ran.stdout == "", name


@pytest.mark.parametrize("damage", ["garbage", "a folder", "newer schema"])
def test_state_reset_moves_the_file_aside_and_the_next_pass_starts_afresh(tmp_path, damage):
    state = tmp_path / "state"
    path = good_state(state)
    DAMAGE[damage][0](path)
    before = path.read_bytes() if path.is_file() else None
    config = config_for(tmp_path, state)

    reset = syncd(config, "state", "reset")
    ran = syncd(config, "run", "--once")

    assert reset.code == 0 and reset.stderr == ""
    [aside] = [p for p in state.iterdir() if p.name.startswith(f"{DB_NAME}.reset-")]
    assert reset.stdout == (
        f"moved {path} aside to {aside}; the next pass starts afresh and finds syncd's"
        " follow-ups again by their markers\n"
    )
    if before is not None:
        assert aside.read_bytes() == before
        assert stat.S_IMODE(aside.stat().st_mode) == 0o600
    assert ran.code == 0 and ran.stderr == ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a new state file


def test_state_reset_moves_the_write_ahead_log_along(tmp_path):
    state = tmp_path / "state"
    writes_and_dies = (
        "import os, sys; from pathlib import Path; from syncd.state import StateStore;"
        " store = StateStore(Path(sys.argv[1])); store.set_token('src', 'cal', 'kept');"
        " os._exit(0)"  # no checkpoint: the write is only in the -wal
    )
    subprocess.run([sys.executable, "-c", writes_and_dies, str(state)], check=True, timeout=TIMEOUT)
    assert (state / f"{DB_NAME}-wal").stat().st_size > 0

    reset = syncd(config_for(tmp_path, state), "state", "reset")

    assert reset.code == 0
    moved = sorted(p.name for p in state.iterdir() if "reset-" in p.name)
    assert moved == [moved[0], f"{moved[0]}-shm", f"{moved[0]}-wal"]
    db = sqlite3.connect(state / moved[0])
    assert db.execute("SELECT token FROM tokens").fetchall() == [("kept",)]
    db.close()


def test_state_reset_without_a_state_file_says_so(tmp_path):
    config = config_for(tmp_path, tmp_path / "state")

    reset = syncd(config, "state", "reset")

    assert reset.code == 0
    assert reset.stdout == f"nothing to reset: {tmp_path / 'state' / DB_NAME} does not exist\n"


def test_state_reset_waits_for_no_daemon(tmp_path):
    state = tmp_path / "state"
    good_state(state)
    lock = acquire(state)  # a running syncd holds it
    try:
        reset = syncd(config_for(tmp_path, state), "state", "reset")
    finally:
        lock.release()

    assert_one_line(reset, "syncd is already running for this state dir")
    assert (state / DB_NAME).exists()


# --- the state folder ---------------------------------------------------------------------


def test_a_state_dir_that_is_a_file_is_one_line(tmp_path):
    state = tmp_path / "state"
    state.write_text("not a folder")

    for command in COMMANDS.values():
        assert_one_line(syncd(config_for(tmp_path, state), *command), str(state), "not a folder")
    assert state.read_text() == "not a folder"


def test_a_state_dir_that_cannot_be_made_is_one_line(tmp_path):
    below_a_file = tmp_path / "file" / "state"
    below_a_file.parent.write_text("")

    ran = syncd(config_for(tmp_path, below_a_file), "run", "--once")

    assert_one_line(ran, str(below_a_file), "cannot use it as state_dir (not a directory)")


def shared(folder: Path) -> None:
    folder.mkdir()
    folder.chmod(0o1777)


def others_files(folder: Path) -> None:
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    folder.chmod(0o755)


def another_users(folder: Path) -> None:
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)


NOT_SYNCDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "shared (1777)": (shared, "state_dir is shared: others may write in it (mode 1777)"),
    "holding other files": (others_files, "holds files that are not syncd's (notes.txt)"),
    "another user's": (another_users, "belongs to another user (uid 65534)"),
}


@pytest.mark.parametrize("kind", NOT_SYNCDS)
def test_a_state_dir_that_is_not_syncds_is_refused_and_left_as_it_was(tmp_path, kind):
    make, said = NOT_SYNCDS[kind]
    if kind == "another user's" and os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    state = tmp_path / "state"
    make(state)
    before = (state.stat().st_mode, state.stat().st_uid, sorted(os.listdir(state)))
    config = config_for(tmp_path, state)

    for command in [*COMMANDS.values(), ("state", "reset")]:
        assert_one_line(syncd(config, *command), str(state), said)

    after = (state.stat().st_mode, state.stat().st_uid, sorted(os.listdir(state)))
    assert after == before  # not chmodded, no lock file, no state file


def test_a_state_dir_of_syncds_own_that_others_may_read_is_made_private(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / "gmail.token.json").write_text("{}")  # the example config keeps it there

    ran = syncd(config_for(tmp_path, state), "run", "--once")

    assert ran.code == 0, ran.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_a_private_state_dir_holding_other_files_is_used_as_it_is(tmp_path):
    state = tmp_path / "private"
    state.mkdir(mode=0o700)
    (state / "notes.txt").write_text("mine")

    ran = syncd(config_for(tmp_path, state), "run", "--once")

    assert ran.code == 0, ran.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700 and (state / DB_NAME).exists()
