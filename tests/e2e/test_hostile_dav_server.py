"""Hostile CalDAV servers: what syncd does when the server itself attacks or misbehaves.

A HostileServer (tests/e2e/hostile_server.py) stands in front of a real Radicale of
this module's own and answers one stage of the pass (discovery, the principal, the
calendar list, the sync token, the calendar-query, the sync-collection, the
multiget) with an attack: an entity bomb, an external entity, a 500 MB body, a
gzip bomb, an answer dripped a byte at a time, a redirect to another origin or
to itself, a 401 to everything. The user has two sources: the hostile one and a healthy one
on the same Radicale, each with an interview. ``syncd run --once`` runs as a
process (tests/e2e/measured.py: its CPU time and peak memory are the kernel's).

What the user sees is asserted: the healthy source's interview gets its three
follow-ups; the hostile source fails with ONE line naming it (exit 1), never a
traceback; the pass stays within 2 s of CPU and 200 MiB, and within the
source's deadline; no password is sent to another origin; no entity is fetched
or expanded. docs/reliability.md, "Hostile servers", lists these checks with
the figures measured.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import hostile_objects as hostile
import hostile_server as attacks
import icalendar
import pytest
from hostile_server import HostileServer, Recorder
from measured import Run, run_once
from servers import CalendarHandle, DavServer, make_calendar, start_radicale

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_HOSTILE_SERVER_PASSWORD"
CPU_SECONDS, PEAK_MIB = 2.0, 200  # the bounds of docs/reliability.md
THREE = ["call-afternoon", "call-morning", "thank-you"]


def next_tuesday() -> dt.date:
    today = dt.datetime.now(LONDON).date()
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 + 7)


TUESDAY = next_tuesday()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


# --- the user's calendars -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    found = start_radicale(tmp_path_factory.mktemp("hostile-server-radicale"))
    yield found
    found.stop()


def put_interview(calendar: CalendarHandle, uid: str, title: str, hour: int = 10) -> None:
    start = at(TUESDAY, hour)
    end = start + dt.timedelta(hours=1)
    event = hostile.vevent(uid, start, end, title, "DESCRIPTION:contact: Ann Smith")
    calendar.put(f"{uid}.ics", hostile.wrap(event))


def followups(calendar: CalendarHandle) -> dict[str, list[str]]:
    """Interview UID -> the kinds of its follow-ups in ``calendar``."""
    found: dict[str, list[str]] = {}
    for name in calendar.names():
        for event in icalendar.Calendar.from_ical(calendar.get(name) or b"").walk("VEVENT"):
            if "X-SYNCD-KIND" in event:
                interview = str(event["X-SYNCD-INTERVIEW"]).split(";")[0]
                found.setdefault(interview, []).append(str(event["X-SYNCD-KIND"]))
    return {key: sorted(kinds) for key, kinds in found.items()}


@dataclasses.dataclass
class Account:
    """A user with a hostile source and a healthy one, each with a calendar and an interview."""

    server: DavServer
    folder: Path
    hostile: CalendarHandle
    healthy: CalendarHandle

    def config(self, url: str, timeout: str = "") -> Path:
        def source(name: str, url: str, calendar: CalendarHandle, extra: str = "") -> str:
            return (
                f'[[sources]]\nname = "{name}"\nkind = "caldav"\nurl = "{url}"\n'
                f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
                f'calendars = ["{calendar.name}"]\n{extra}'
            )

        path = self.folder / "config.toml"
        path.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{self.folder / "state"}"\n'
            '[calls]\nholidays = "none"\n'
            + source("hostile", url, self.hostile, f'timeout = "{timeout}"\n' if timeout else "")
            + source("healthy", self.server.url, self.healthy)
        )
        return path


@pytest.fixture
def account(server: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Account:
    assert server.running, f"{server.name} has stopped; see {server.log_file}"
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    found = Account(server, tmp_path, make_calendar(server), make_calendar(server))
    put_interview(found.hostile, "hostile-side", "Interview with Acme")
    put_interview(found.healthy, "healthy-side", "Interview with Globex")
    return found


def check(run: Run, account: Account, says: str, figure: str) -> None:
    """The pass as the user sees it: the healthy source's follow-ups; ONE line, naming the
    hostile source and holding ``says``; no traceback; within the bounds."""
    run.show(figure)
    assert "Traceback" not in run.stderr, run.stderr
    assert followups(account.healthy) == {"healthy-side": THREE}, run.stderr
    assert run.exit_code == 1, run.stderr
    assert len(run.failures) == 1, run.stderr
    line = run.failures[0]
    print(f"LINE {line}")
    assert line.startswith("hostile: ") and says in line, line
    assert len(line) < 500, line
    assert run.cpu < CPU_SECONDS and run.peak_mib < PEAK_MIB, (run.cpu, run.peak_mib)


def check_fallback(run: Run, account: Account, figure: str) -> None:
    """The pass as the user sees it when syncd read around the hostile answer (READ_AROUND):
    both sources' follow-ups, exit 0, no line; within the bounds."""
    run.show(figure)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == 0 and not run.failures and not run.logged("WARNING"), run.stderr
    assert followups(account.healthy) == {"healthy-side": THREE}, run.stderr
    assert followups(account.hostile) == {"hostile-side": THREE}, run.stderr
    assert run.cpu < CPU_SECONDS and run.peak_mib < PEAK_MIB, (run.cpu, run.peak_mib)


# --- entity bombs and external entities, at every stage ------------------------------

EVERY_STAGE = list(attacks.STAGES)
# Answers syncd reads around: a calendar-query it cannot read, by multigets; a
# sync-collection, as on a server without it (etags compared).
READ_AROUND = {"query", "sync"}
# The calendar-query refused: the full read lists the calendar and multigets instead.
LISTED = {"sync": {"query": attacks.refused(501)}, "multiget": {"query": attacks.refused(501)}}


@pytest.mark.parametrize("stage", EVERY_STAGE)
def test_an_entity_bomb_at_any_stage_is_one_line(account: Account, stage: str) -> None:
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: attacks.entity_bomb})
    try:
        run = run_once(account.config(bad.url + "/"))
        assert stage in bad.stages()
    finally:
        bad.close()
    if stage in READ_AROUND:
        check_fallback(run, account, f"entity-bomb-{stage}")
    else:
        check(run, account, "DTD", f"entity-bomb-{stage}")


@pytest.mark.parametrize("stage", EVERY_STAGE)
def test_an_external_entity_at_any_stage_is_one_line_and_fetches_nothing(
    account: Account, stage: str
) -> None:
    canary = Recorder(200)
    secret = f"secret-{uuid.uuid4().hex}"
    (account.folder / "secret.txt").write_text(secret)
    entity = attacks.external_entity(canary.url, str(account.folder / "secret.txt"))
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: entity})
    try:
        run = run_once(account.config(bad.url + "/"))
        assert stage in bad.stages()
    finally:
        bad.close()
        canary.close()
    if stage in READ_AROUND:
        check_fallback(run, account, f"external-entity-{stage}")
    else:
        check(run, account, "DTD", f"external-entity-{stage}")
    assert canary.seen == []
    assert secret not in run.stderr


# --- answers too large: a 500 MB body, a gzip bomb ------------------------------------

BIG = {
    "endless": attacks.endless(),
    "endless-stated": attacks.endless(stated=True),
    "gzip-bomb": attacks.gzip_bomb,
}


@pytest.mark.parametrize("attack", sorted(BIG))
@pytest.mark.parametrize("stage", ["discovery", "calendars", "sync"])
def test_an_answer_past_the_cap_is_one_line_in_bounded_memory(
    account: Account, stage: str, attack: str
) -> None:
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: BIG[attack]})
    try:
        run = run_once(account.config(bad.url + "/"))
        assert stage in bad.stages()
    finally:
        bad.close()
    check(run, account, "larger than 16 MiB", f"{attack}-{stage}")


@pytest.mark.parametrize("attack", sorted(BIG))
def test_a_multiget_past_the_cap_even_in_halves_is_one_line(account: Account, attack: str) -> None:
    for n in range(3):  # four objects: a multiget of them, then one of each half
        put_interview(account.hostile, f"meeting-{n}", f"Team meeting {n}", hour=13 + n)
    stage = "multiget"
    bad = HostileServer(account.server.url, {**LISTED[stage], stage: BIG[attack]})
    try:
        run = run_once(account.config(bad.url + "/"))
        asked = bad.stages().count(stage)
    finally:
        bad.close()
    check(run, account, "larger than 16 MiB even for half as many objects", f"{attack}-{stage}")
    assert asked == 3


# --- a drip-fed answer: the deadline of a whole request -------------------------------


@pytest.mark.parametrize(
    "stage,headers_too", [("discovery", True), ("query", False), ("multiget", False)]
)
def test_a_dripping_answer_is_cut_at_the_sources_deadline(
    account: Account, stage: str, headers_too: bool
) -> None:
    drip = attacks.drip(0.25, headers_too=headers_too)
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: drip})
    try:
        run = run_once(account.config(bad.url + "/", timeout="2s"))
    finally:
        bad.close()
    check(run, account, "no complete answer within 2 s", f"drip-{stage}")
    assert run.wall < 30, run.wall  # not the 100,000 s the drip would take


# --- redirects and logins -------------------------------------------------------------


def test_a_redirect_to_another_origin_never_carries_the_password(account: Account) -> None:
    other = Recorder(401)
    bad = HostileServer(account.server.url, {"discovery": attacks.redirect(other.url)})
    try:
        run = run_once(account.config(bad.url + "/"))
    finally:
        bad.close()
        other.close()
    check(run, account, f"sent syncd on to {other.url}, which asks for a login", "redirect")
    assert other.seen, "the redirect was not followed"
    assert all("authorization" not in headers for headers in other.seen), other.seen
    assert [r for r in bad.seen if "authorization" in r.headers], "the server itself gets it"


@pytest.mark.parametrize("stage", ["discovery", "multiget"])
def test_a_redirect_loop_is_one_line(account: Account, stage: str) -> None:
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: attacks.redirect_loop})
    try:
        run = run_once(account.config(bad.url + "/"))
        asked = bad.stages().count(stage)
    finally:
        bad.close()
    check(run, account, "the server redirects in a loop", f"redirect-loop-{stage}")
    assert asked == 31  # the first request and niquests' 30 redirects


@pytest.mark.parametrize("stage", ["discovery", "multiget"])
def test_a_server_answering_401_to_everything_is_one_line(account: Account, stage: str) -> None:
    bad = HostileServer(account.server.url, {**LISTED.get(stage, {}), stage: attacks.unauthorized})
    try:
        run = run_once(account.config(bad.url + "/"))
        asked = bad.stages().count(stage)
    finally:
        bad.close()
    check(run, account, "refused the login", f"401-{stage}")
    assert asked == 1
