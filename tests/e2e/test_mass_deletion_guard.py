"""The mass-deletion guard on a partial loss, on a real Radicale and on the Google fake.

A calendar restored from a backup that kept syncd's follow-ups but not the
interviews (Radicale: the interviews' files and the server's sync history gone, so
syncd's token is refused and its next read is whole), or a full Google listing that
lacks the interviews (the fake forgets them without a trace, and its sync tokens
expire): nothing was reported cancelled or deleted, so syncd deletes nothing, says
so once, and takes the interviews up again when they come back.
"""

from __future__ import annotations

import datetime as dt
import shutil
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import LONDON, Backend, DavBackend, GoogleBackend, open_account
from click.testing import CliRunner

from syncd.cli import main

COMPANIES = ("Acme", "Globex", "Initech")


def next_monday() -> dt.date:
    today = dt.datetime.now(LONDON).date()
    return today + dt.timedelta(days=7 - today.weekday() + 7)


MONDAY = next_monday()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


@pytest.fixture(params=("radicale", "google"))
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    # an account of its own: the shared one's calendars may be in another zone (a warning)
    service = open_account(request.param, request, monkeypatch)
    yield service
    service.close()


def sync(config: Path) -> tuple[int, list[str], str]:
    """``syncd run --once``: exit code, WARNING lines, output."""
    result = CliRunner().invoke(main, ["--config", str(config), "run", "--once"])
    lines = result.stderr.splitlines()
    return result.exit_code, [line for line in lines if " WARNING " in line], result.output


def lose_interviews(backend: Backend, keys: list[str]) -> Callable[[], None]:
    """The interviews ``keys`` are lost without a trace; returns how to bring them back."""
    if isinstance(backend, GoogleBackend):
        store = backend.fake.store
        with store.lock:
            events = store.calendar(backend.calendar_id).events
            saved: dict[str, Any] = {backend.ids[k]: events.pop(backend.ids[k]) for k in keys}
        backend.fake.expire_sync_tokens()

        def back() -> None:
            with store.lock:
                store.calendar(backend.calendar_id).events.update(saved)

        return back
    assert isinstance(backend, DavBackend)  # a restore: the files and the sync history
    relative = urllib.parse.unquote(backend.calendar.path).strip("/")
    folder = backend.server.folder / "collections" / "collection-root" / relative
    files = {k: (folder / f"{k}.ics").read_bytes() for k in keys}
    for key in keys:
        (folder / f"{key}.ics").unlink()
    shutil.rmtree(folder / ".Radicale.cache")

    def put_back() -> None:
        for key, data in files.items():
            backend.calendar.put(f"{key}.ics", data)

    return put_back


def test_a_read_losing_most_interviews_keeps_their_follow_ups_and_warns_once(
    backend: Backend, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        '[calls]\nholidays = "none"\n' + backend.source_toml(tmp_path)
    )
    keys = [f"{c.lower()}-1" for c in COMPANIES]
    for n, (key, company) in enumerate(zip(keys, COMPANIES, strict=True)):
        day = MONDAY + dt.timedelta(days=n)
        backend.put(key, f"Interview with {company}", at(day, 10), at(day, 11))
    code, warnings, output = sync(config)
    assert (code, warnings) == (0, []), output
    before = backend.followups()
    assert sum(len(v) for v in before.values()) == 9

    restore = lose_interviews(backend, keys)
    backend.reset_requests()
    code, warnings, output = sync(config)
    assert code == 0, output
    [warning] = warnings
    assert "a full read misses 3 of the 3 interviews known there" in warning
    assert "(mass-deletion guard)" in warning and "restore them" in warning
    assert backend.followups() == before, "every follow-up kept"

    code, warnings, output = sync(config)  # held: read whole again, nothing said again
    assert (code, warnings) == (0, []), output
    assert backend.followups() == before
    writes = {k: n for k, n in backend.requests().items() if k.split()[0] != "GET"}
    assert not {k for k in writes if k.split()[0] in ("PUT", "DELETE", "POST", "PATCH")}

    restore()
    code, warnings, output = sync(config)
    assert (code, warnings) == (0, []), output
    assert "did create 0, update 0, delete 0" in output
    assert backend.followups() == before
