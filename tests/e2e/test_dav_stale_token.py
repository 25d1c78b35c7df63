"""A sync token the server forgot, answered with the whole calendar instead of an error.

DAViCal drops sync tokens a week old once newer ones exist, and answers a token it
no longer knows with a 207 listing every object there is and no deletion, where
RFC 6578 has it refuse the token (``valid-sync-token``). Taken as changes, that
answer would hide the deletions since the token. Here the token goes stale by
DAViCal's own clean-up (its tokens and changes aged by SQL, as a week off-line
would): an interview deleted meanwhile loses its follow-ups at the next pass, and
nothing else changes.

The same answer played by a proxy in front of Radicale (SOGo, Stalwart, Purelymail
and OX answer so, by the caldav library's hints) is in test_dav_quirks.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import LONDON, PASSWORD_ENV, DavBackend
from dav_servers.davical import run_sql
from measured import Run, run_once
from servers import DavServer

MONDAY = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour), tzinfo=LONDON)


@pytest.fixture
def backend(davical: DavServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavBackend]:
    monkeypatch.setenv(PASSWORD_ENV, davical.password)
    found = DavBackend(davical)
    yield found
    found.close()


def sync(backend: DavBackend, tmp_path: Path) -> Run:
    config = tmp_path / "config.toml"
    config.write_text(
        f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
        '[calls]\nholidays = "none"\n' + backend.source_toml(tmp_path)
    )
    run = run_once(config)
    assert (run.exit_code, run.failures) == (0, []), run.stderr
    return run


def said(run: Run, what: str) -> list[str]:
    return [line for line in run.stderr.splitlines() if what in line]


def test_an_interview_deleted_while_the_token_went_stale_loses_its_follow_ups(
    backend: DavBackend, davical: DavServer, tmp_path: Path
) -> None:
    backend.put("acme-1", "Interview with Acme", at(1, 10), at(1, 11))
    backend.put("globex-1", "Interview with Globex", at(2, 14), at(2, 15))
    backend.put("dentist", "Dentist", at(3, 9), at(3, 10))
    sync(backend, tmp_path)
    sync(backend, tmp_path)  # the token now follows syncd's own writes
    followups = backend.followups()
    assert sorted(len(found) for found in followups.values()) == [2, 2, 2], followups
    # A week and a day off-line: the user edits twice (DAViCal makes a token at a write
    # that follows a change: a newer one than syncd's), then, a week later, deletes
    # Acme's interview and edits again: that write makes DAViCal drop every token older
    # than the last one of more than a week ago, syncd's among them.
    backend.change("dentist", title="Dentist (moved)")
    backend.change("dentist", title="Dentist (moved again)")
    age(davical, days=8)
    backend.remove("acme-1")
    backend.change("dentist", title="Dentist")
    before = backend.contents()

    run = sync(backend, tmp_path)

    assert said(run, "answered the sync token with the whole calendar"), run.stderr
    after = backend.contents()
    acme = {f.ref for found in followups.values() for f in found if f.title.endswith("Acme")}
    assert len(acme) == 3
    assert after == {name: etag for name, etag in before.items() if name not in acme}
    assert len(said(run, "syncd.apply: dav: delete ")) == 3
    assert not said(run, "syncd.apply: dav: create ") and not said(run, "syncd.apply: dav: update ")
    assert not run.logged("WARNING"), run.stderr
    assert len(sync(backend, tmp_path).stderr.splitlines()) < 10  # quiet again


def age(server: DavServer, days: int) -> None:
    """Every sync token and change the server holds made ``days`` older."""
    run_sql(
        server,
        f"UPDATE sync_tokens SET modification_time = modification_time - interval '{days} days';"
        f" UPDATE sync_changes SET sync_time = sync_time - interval '{days} days'",
    )
