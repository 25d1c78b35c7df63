"""The servers syncd cannot run here, played by a proxy in front of Radicale: each
quirk of the caldav library's compatibility hints that would make syncd duplicate,
lose or touch someone's events, and what the user sees with it (tests/e2e/quirks.py
plays them; docs/servers.md lists them with the servers)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import quirks
from backends import LONDON, PASSWORD_ENV, DavBackend
from click.testing import CliRunner
from servers import DavServer

from syncd.cli import main

MONDAY = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(hour), tzinfo=LONDON)


@dataclasses.dataclass(frozen=True)
class Ran:
    out: str
    err: list[str]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.err if line.startswith(("WARNING ", "ERROR "))]

    def did(self, create: int, update: int, delete: int) -> bool:
        return f"did create {create}, update {update}, delete {delete}" in self.out


class Person:
    """A config naming the backend's calendar, and ``syncd run --once``."""

    def __init__(self, backend: DavBackend, tmp_path: Path, target: str = "") -> None:
        self.backend, self.config = backend, tmp_path / "config.toml"
        self.config.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
            '[calls]\nholidays = "none"\n' + backend.source_toml(tmp_path, target_calendar=target)
        )

    def sync(self) -> Ran:
        result = CliRunner().invoke(main, ["--config", str(self.config), "run", "--once"])
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return Ran(result.stdout, [STAMP.sub("", line) for line in result.stderr.splitlines()])


@pytest.fixture(autouse=True)
def _plain_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)


def open_backend(server: DavServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavBackend]:
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    backend = DavBackend(server)
    yield backend
    backend.close()


@pytest.fixture
def backend(radicale: DavServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[DavBackend]:
    yield from open_backend(radicale, monkeypatch)


def interviews(backend: DavBackend) -> None:
    backend.put("acme-1", "Interview with Acme", at(1, 10), at(1, 11))
    backend.put("globex-1", "Interview with Globex", at(2, 14), at(2, 15))
    backend.put("dentist", "Dentist", at(3, 9), at(3, 10))


def by_company(backend: DavBackend, target: str = "") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for kind, seen in backend.followups(target).items():
        for followup in seen:
            found.setdefault(followup.title.rsplit(": ", 1)[-1], set()).add(kind)
    return found


EVERY = {"thank-you", "call-morning", "call-afternoon"}


# --- sync tokens


def test_a_forgotten_token_answered_with_the_whole_calendar_finds_the_deletions(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirk = quirks.ForgetsTokens(backend.proxy)
    person = Person(backend, tmp_path)
    interviews(backend)
    person.sync()
    person.sync()
    quirk.forget()
    backend.remove("acme-1")
    kept = {n: e for n, e in backend.contents().items() if n != "acme-1.ics"}

    ran = person.sync()

    assert quirk.answered == 1
    assert ran.did(0, 0, 3) and ran.warnings == [], (ran.out, ran.err)
    assert by_company(backend) == {"Globex": EVERY}
    assert {n: e for n, e in backend.contents().items() if n in kept} == {
        n: e for n, e in kept.items() if n in backend.contents()
    }
    assert len(kept) - len(backend.contents()) == 3  # Acme's follow-ups, nothing else


def test_the_calendar_listed_among_its_own_changes_changes_nothing(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirks.ListsItself(backend.proxy)
    person = Person(backend, tmp_path)
    interviews(backend)
    person.sync()
    person.sync()
    backend.reset_requests()

    ran = person.sync()

    assert ran.did(0, 0, 0) and ran.warnings == []
    assert backend.requests() == backend.idle
    assert by_company(backend) == {"Acme": EVERY, "Globex": EVERY}


# --- time-range queries


def test_a_series_begun_before_the_window_is_read_where_time_ranges_skip_it(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirk = quirks.TimeRangeSkipsSeries(backend.proxy)
    first = dt.datetime.combine(MONDAY - dt.timedelta(weeks=3), dt.time(10), tzinfo=LONDON)
    stamp = f"{first.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    hour_later = f"{(first + dt.timedelta(hours=1)).astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    backend.calendar.put("loop.ics", "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp//Calendar App 1.0//EN",
        "BEGIN:VEVENT", f"UID:{backend.calendar.uid('loop')}", "DTSTAMP:20260101T000000Z",
        f"DTSTART:{stamp}", f"DTEND:{hour_later}", "RRULE:FREQ=WEEKLY;COUNT=5",
        "SUMMARY:Interview with Initech", "END:VEVENT", "END:VCALENDAR", "",
    ]))  # fmt: skip

    ran = Person(backend, tmp_path).sync()

    assert quirk.dropped >= 1  # the time-range answer left the series out
    thank_yous = {f.start.date() for f in backend.followups()["thank-you"]}
    assert {MONDAY, MONDAY + dt.timedelta(weeks=1)} <= thank_yous  # its instances ahead
    assert ran.did(3 * len(thank_yous), 0, 0) and ran.warnings == [], (ran.out, ran.err)


# --- conditional writes


def test_if_match_star_is_never_sent_every_write_names_its_etag(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirk = quirks.IfMatchStarBackwards(backend.proxy)
    person = Person(backend, tmp_path)
    interviews(backend)
    person.sync()
    backend.put("acme-1", "Interview with Acme", at(8, 10), at(8, 11))  # a week on
    moved = person.sync()
    backend.change("globex-1", status="cancelled")
    cancelled = person.sync()

    assert moved.did(0, 3, 0) and cancelled.did(0, 0, 3)
    assert [m for m, *_ in quirk.writes] == ["PUT"] * 9 + ["DELETE"] * 3
    assert all(
        (if_match.startswith('"') and not if_none) or (method == "PUT" and if_none == "*")
        for method, if_match, if_none in quirk.writes
    ), quirk.writes
    assert by_company(backend) == {"Acme": EVERY}


@pytest.mark.parametrize("how", ["weak", "encoded", "none"])
def test_an_etag_a_put_answers_in_another_shape_still_updates(
    backend: DavBackend, tmp_path: Path, how: str
) -> None:
    quirk = quirks.EtagOnPut(backend.proxy, how)
    person = Person(backend, tmp_path)
    backend.put("acme-1", "Interview with Acme", at(1, 10), at(1, 11))
    assert person.sync().did(3, 0, 0)
    backend.put("acme-1", "Interview with Acme", at(8, 10), at(8, 11))

    moved = person.sync()
    again = person.sync()

    assert moved.did(0, 3, 0) and moved.warnings == [], (moved.out, moved.err)
    assert quirk.refused == 0  # no write went with the etag in the shape the server refuses
    assert again.did(0, 0, 0) and again.warnings == []
    assert {f.start.date() for f in backend.followups()["thank-you"]} == {at(8, 0).date()}


# --- discovery, hrefs and calendars


def test_a_bare_host_leads_to_the_caldav_root_by_its_well_known_url(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirk = quirks.RootIsNotDav(backend.proxy, f"/{backend.server.username}/")
    person = Person(backend, tmp_path)
    assert f'url = "{backend.proxy.url}/"' in person.config.read_text()
    interviews(backend)

    ran = person.sync()

    assert quirk.redirected == 1
    assert ran.did(6, 0, 0) and ran.warnings == [], (ran.out, ran.err)
    assert by_company(backend) == {"Acme": EVERY, "Globex": EVERY}


def test_hrefs_spelling_the_at_sign_of_the_login_otherwise(
    radicale: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = dataclasses.replace(radicale, username="ann@example.com")
    for backend in open_backend(server, monkeypatch):
        quirks.EncodesAt(backend.proxy)
        person = Person(backend, tmp_path)
        interviews(backend)

        first = person.sync()
        backend.reset_requests()
        idle = person.sync()
        assert backend.requests() == backend.idle
        backend.put("acme-1", "Interview with Acme", at(8, 10), at(8, 11))
        moved = person.sync()

        assert first.did(6, 0, 0) and idle.did(0, 0, 0) and moved.did(0, 3, 0)
        assert [*first.warnings, *idle.warnings, *moved.warnings] == []
        assert by_company(backend) == {"Acme": EVERY, "Globex": EVERY}


def test_a_calendar_created_at_another_url_than_asked_holds_the_follow_ups(
    backend: DavBackend, tmp_path: Path
) -> None:
    quirk = quirks.RelocatesNewCalendars(backend.proxy)
    target = f"Follow-ups {tmp_path.name[-10:]}"
    person = Person(backend, tmp_path, target=target)
    interviews(backend)

    first = person.sync()
    second = person.sync()

    assert len(quirk.moved) == 1
    assert first.did(6, 0, 0) and second.did(0, 0, 0), (first.out, first.err)
    assert [*first.warnings, *second.warnings] == []
    assert by_company(backend, target) == {"Acme": EVERY, "Globex": EVERY}
    assert by_company(backend) == {}


@pytest.mark.parametrize("status", [405, 501])
def test_a_server_without_mkcalendar_is_one_line_for_a_missing_target_calendar(
    backend: DavBackend, tmp_path: Path, status: int
) -> None:
    quirks.NoMkcalendar(backend.proxy, status)
    target = f"Follow-ups {tmp_path.name[-10:]}"
    person = Person(backend, tmp_path, target=target)
    interviews(backend)

    result = CliRunner().invoke(main, ["--config", str(person.config), "run", "--once"])

    said = [line for line in result.stderr.splitlines() if not STAMP.match(line)]
    assert result.exit_code == 1
    assert said == [
        f'dav: creating calendar "{target}": the server refuses it (HTTP {status}); create it'
        " in a calendar app, or name a calendar the account may write to"
    ], result.stderr
    assert by_company(backend) == {}  # nothing written elsewhere
