"""Token and state files 0600, their folders 0700: after creation, a token refresh, a
migration and a crash, whatever the umask.

syncd runs with umask 000 here, so that every mode it leaves is one it set: the
state folder and everything in it (the database, its -wal and -shm, the lock,
the copy before a migration), the folders it made above a state folder that did
not exist, and the Google token file it writes back after a refresh (over one the
user left 0644) or where no folder was. The crash: a daemon killed with SIGKILL in
its pass leaves its -wal, -shm and lock as they were, private.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_process import (
    SYNCD,
    Syncd,
    daemon_env,
    dav_source,
    put_interview,
    wait_until,
    write_config,
)
from servers import DavServer, make_calendar

from syncd.state import DB_NAME, StateStore

PASSWORD_ENV = "SYNCD_TEST_PASSWORD"


def modes(folder: Path) -> dict[str, str]:
    """Every folder and file below ``folder`` (itself too): its mode, in octal."""
    found = {".": f"{stat.S_IMODE(folder.stat().st_mode):04o}"}
    for path in sorted(folder.rglob("*")):
        found[str(path.relative_to(folder))] = f"{stat.S_IMODE(path.lstat().st_mode):04o}"
    return found


def private(folder: Path) -> dict[str, str]:
    """What ``modes`` must be: folders 0700, files 0600."""
    return {name: "0700" if (folder / name).is_dir() else "0600" for name in modes(folder)}


def syncd(config: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(SYNCD), "--config", str(config), *args],
        env=daemon_env(None, **(env or {})),
        capture_output=True,
        text=True,
        timeout=60,
        umask=0,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.fixture
def dav(tmp_path: Path, radicale: DavServer) -> Iterator[Path]:
    """A config with one interview to write follow-ups for, its state in folders to make."""
    calendar = make_calendar(radicale)
    put_interview(calendar, "acme-1", "Acme")
    source = dav_source("home", radicale.url, radicale.username, PASSWORD_ENV, calendar.name)
    yield write_config(tmp_path / "config.toml", tmp_path / "made" / "for" / "state", source)


def test_state_files_are_private_after_creation_and_a_crash(
    tmp_path: Path, dav: Path, radicale: DavServer
) -> None:
    env = {PASSWORD_ENV: radicale.password}
    state = tmp_path / "made" / "for" / "state"
    syncd(dav, "run", "--once", env=env)
    assert {DB_NAME, "syncd.lock"} <= set(modes(state))
    made = tmp_path / "made"  # the folders above the state folder syncd made, too
    assert modes(made) == private(made)

    def loose() -> None:
        os.umask(0)

    daemon = Syncd(dav, tmp_path / "daemon.log", daemon_env(None, **env), preexec=loose)
    try:
        wal = state / f"{DB_NAME}-wal"
        wait_until(wal.exists, 30, "the daemon's state open")
        daemon.signal(signal.SIGKILL)
        assert daemon.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        daemon.stop()
    assert {f"{DB_NAME}-wal", f"{DB_NAME}-shm"} <= set(modes(state)), modes(state)
    assert modes(state) == private(state)


def test_a_migrated_state_is_private_and_so_is_its_copy(
    tmp_path: Path, dav: Path, radicale: DavServer
) -> None:
    state = tmp_path / "made" / "for" / "state"
    StateStore(state).close()
    with sqlite3.connect(state / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = 3")
    db.close()
    os.chmod(state / DB_NAME, 0o644)  # as a hand, or a restore from a backup, left it
    syncd(dav, "run", "--once", env={PASSWORD_ENV: radicale.password})
    assert f"{DB_NAME}.v3.bak" in modes(state)
    assert modes(state) == private(state)


def test_a_refreshed_token_file_is_private(tmp_path: Path) -> None:
    from fakes.google_calendar import FakeGoogleCalendar

    with FakeGoogleCalendar(time_zone="Europe/London") as fake:
        tokens = tmp_path / "tokens"
        tokens.mkdir(mode=0o700)
        secrets = fake.client_secrets_json(tmp_path / "client_secret.json")
        token = fake.authorized_user_json(tokens / "gmail.token.json")  # no access token yet
        os.chmod(token, 0o644)
        before = token.read_text()
        source = (
            f'[[sources]]\nname = "gmail"\nkind = "google"\nclient_secrets = "{secrets}"\n'
            f'token_file = "{token}"\ncalendars = ["primary"]\n'
            f'api_endpoint = "{fake.api_endpoint}"\n'
        )
        config = write_config(tmp_path / "config.toml", tmp_path / "state", source)
        syncd(config, "run", "--once")
    assert token.read_text() != before  # refreshed: written back
    assert modes(tokens) == private(tokens)
    assert modes(tmp_path / "state") == private(tmp_path / "state")


def test_a_token_file_written_where_no_folder_was_is_private(tmp_path: Path) -> None:
    """As ``syncd auth google`` writes one: its folders made 0700, the file 0600."""
    from providers.google.credentials import write_private

    before = os.umask(0)
    try:
        write_private(tmp_path / "made" / "for" / "gmail.token.json", "{}")
    finally:
        os.umask(before)
    assert modes(tmp_path / "made") == private(tmp_path / "made")
