"""The user's scenarios on accounts as people have them: calendars the account may only
read, calendars deleted between passes, event types, tombstones, the account's zone,
occurrence ids of other shapes, narrow grants, public holidays.

Each test sets up an account of its own (``backends.open_account``: a new login on
the Radicale with a rights file, a Xandikos of its own behind the proxy that plays a
read-only calendar, a new Google fake), drives ``syncd run --once`` through the real
command line and checks what the user sees: the follow-ups in the calendars, the
lines on stderr, the exit status (docs/behaviour.md, "Exit codes").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from backends import BACKENDS, LONDON, Backend, Seen, open_account
from click.testing import CliRunner

from syncd.cli import main

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
LEVEL = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def source(backend: Backend) -> str:
    """The name of the backend's source in the configs (backends.py)."""
    return {"google": "gmail", "outlook": "outlook"}.get(backend.name, "dav")


@dataclasses.dataclass(frozen=True)
class Ran:
    """What one command showed: its exit status, stdout, and the lines on stderr."""

    code: int
    out: str
    err: list[str]  # without the time stamps

    def lines(self, *words: str) -> list[str]:
        """The stderr lines holding every one of ``words``."""
        return [line for line in self.err if all(w in line for w in words)]

    @property
    def warnings(self) -> list[str]:
        """The log lines of warnings and errors."""
        return [line for line in self.err if line.startswith(("WARNING ", "ERROR "))]

    @property
    def said(self) -> list[str]:
        """The lines that are not log lines: what the exit status is about (one line each)."""
        return [line for line in self.err if not LEVEL.match(line)]


class Person:
    """A job seeker with one account: a config file, syncd, and the account's calendars."""

    def __init__(self, backend: Backend, tmp_path: Path) -> None:
        self.backend, self.tmp_path = backend, tmp_path
        self.config = tmp_path / "config.toml"

    def configure(
        self,
        *,
        calendars: list[str] | None = None,
        target: str = "",
        timezone: str | None = "Europe/London",
        calls: str = "",
    ) -> None:
        top = f'timezone = "{timezone}"\n' if timezone else ""
        source = self.backend.source_toml(self.tmp_path, target_calendar=target,
                                          calendars=calendars)  # fmt: skip
        extra = f"[calls]\n{calls}\n" if calls else ""
        self.config.write_text(f'{top}state_dir = "{self.tmp_path / "state"}"\n{source}{extra}')

    def run(self, *args: str) -> Ran:
        result = CliRunner().invoke(main, ["--config", str(self.config), *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        err = [STAMP.sub("", line) for line in result.stderr.splitlines()]
        return Ran(result.exit_code, result.stdout, err)

    def sync(self, code: int = 0) -> Ran:
        """``syncd run --once``; fails the test unless it exits with ``code``."""
        ran = self.run("run", "--once")
        assert ran.code == code, (ran.code, ran.out, ran.err)
        return ran


@pytest.fixture(autouse=True)
def _plain_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)  # log lines with their level


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    service = open_account(request.param, request, monkeypatch)
    yield service
    service.close()


@pytest.fixture
def google(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    return open_account("google", request, monkeypatch)


@pytest.fixture
def person(backend: Backend, tmp_path: Path) -> Person:
    return Person(backend, tmp_path)


# -- dates: a coming week with no public holiday, whatever today is


def plain_monday(country: str, zone: ZoneInfo) -> dt.date:
    """The Monday of a coming week that starts three weeks without a public holiday."""
    import holidays

    today = dt.datetime.now(zone).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    while True:
        days = [monday + dt.timedelta(days=n) for n in range(21)]
        table = holidays.country_holidays(country, years={day.year for day in days})
        if not any(day in table for day in days):
            return monday
        monday += dt.timedelta(weeks=1)


MONDAY = plain_monday("GB", LONDON)
TUESDAY = MONDAY + dt.timedelta(days=1)
FRIDAY = MONDAY + dt.timedelta(days=4)


HOUR = dt.timedelta(hours=1)


def at(day: dt.date, hour: int, zone: ZoneInfo = LONDON) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zone)


def when(moment: dt.datetime) -> dict[str, str]:
    """A Google event time."""
    return {"dateTime": moment.isoformat(), "timeZone": str(moment.tzinfo)}


def expected(day: dt.date, hour: int = 10, zone: ZoneInfo = LONDON) -> dict[str, dt.datetime]:
    """The follow-ups of a one-hour interview starting at ``hour`` on ``day`` (a Monday to
    Thursday), decision at the end of the week."""
    friday = day + dt.timedelta(days=4 - day.weekday())
    return {
        "thank-you": at(day, hour + 2, zone),
        "call-morning": at(friday, 10, zone),
        "call-afternoon": at(friday, 15, zone),
    }


def interview(
    calendar: Backend, key: str, company: str, day: dt.date = TUESDAY, hour: int = 10,
    zone: ZoneInfo = LONDON, description: str = "",
) -> None:  # fmt: skip
    start = at(day, hour, zone)
    calendar.put(key, f"Interview with {company}", start, start + dt.timedelta(hours=1),
                 description=description)  # fmt: skip


def by_interview(calendar: Backend, target: str = "") -> dict[str, dict[str, dt.datetime]]:
    """The follow-ups in ``calendar`` (or the calendar named ``target`` of its account):
    interview id -> kind -> start; fails on a duplicate."""
    found: dict[str, dict[str, dt.datetime]] = {}
    for kind, items in calendar.followups(target).items():
        for seen in items:
            assert kind not in found.setdefault(seen.interview, {}), (kind, seen)
            found[seen.interview][kind] = seen.start
    return found


def followups_of(calendar: Backend, target: str = "") -> list[Seen]:
    return [seen for items in calendar.followups(target).values() for seen in items]


def plans(*followups: dict[str, dt.datetime]) -> list[list[tuple[str, dt.datetime]]]:
    """Sets of follow-ups compared whatever their order (and interview ids)."""
    return sorted(sorted(f.items()) for f in followups)


def event_writes(backend: Backend) -> int:
    """The writes of events syncd sent since the count was reset (refused ones too)."""
    writes = ("PUT", "DELETE", "POST", "PATCH")
    counts = backend.requests()
    return sum(n for key, n in counts.items() if key.split()[0] in writes
               and (backend.name not in ("google", "outlook") or "/events" in key))  # fmt: skip


# -- 1. an interview on a calendar the account may only read


@pytest.mark.parametrize("where", ["target_calendar", "main calendar"])
def test_1_a_read_only_calendar_blocks_nothing_and_is_never_written(
    person: Person, backend: Backend, where: str
) -> None:
    careers = backend.sibling(read_only=True, name="Careers centre")
    wednesday = TUESDAY + dt.timedelta(days=1)
    interview(backend, "acme-1", "Acme")
    interview(backend, "globex-1", "Globex", day=wednesday, hour=14)
    interview(careers, "umbrella-1", "Umbrella", hour=15)
    untouched = careers.contents()
    target = "Follow-ups" if where == "target_calendar" else ""
    person.configure(calendars=[backend.calendar_name, careers.calendar_name], target=target)
    backend.reset_requests()

    first = person.sync()

    assert "did create 9, update 0, delete 0" in first.out
    assert event_writes(backend) == 9  # none tried in the read-only calendar
    assert careers.contents() == untouched
    good = expected(TUESDAY), expected(wednesday, 14)
    umbrella = expected(TUESDAY, 15)
    if target:
        assert plans(*by_interview(backend, target).values()) == plans(*good, umbrella)
        assert by_interview(backend) == {}
        assert first.warnings == first.lines("read-only") == []
    else:
        main_calendar = backend.main()
        assert main_calendar.calendar_id != careers.calendar_id
        routed = [f for f in followups_of(main_calendar) if f.calendar == careers.calendar_id]
        assert {f.kind: f.start for f in routed} == umbrella  # its identity: its own calendar
        same = main_calendar.calendar_id == backend.calendar_id  # Radicale: the first writable
        assert plans(*by_interview(backend).values()) == plans(*good, *[umbrella] * same)
        assert first.lines("read-only") == [
            f"INFO syncd.engine: {source(backend)}: Careers centre: 'Interview with Umbrella':"
            " the calendar is read-only for this account; its follow-ups go to"
            f" {main_calendar.calendar_name!r}"
        ]
        assert first.warnings == []
    second = person.sync()
    assert "did create 0, update 0, delete 0" in second.out
    assert event_writes(backend) == 9
    assert second.warnings == [] and second.lines("read-only") == []
    assert careers.contents() == untouched


def test_1_a_calendar_made_read_only_after_syncd_wrote_there_is_not_written_again(
    person: Person, backend: Backend
) -> None:
    team = backend.sibling(name="Team")
    interview(team, "acme-1", "Acme")
    interview(backend, "globex-1", "Globex", hour=14)
    person.configure(calendars=[team.calendar_name, backend.calendar_name])
    person.sync()
    written = by_interview(team)
    team.narrow()  # its owner now shares it read-only; both interviews move a week on
    later = TUESDAY + dt.timedelta(days=7)
    interview(team, "acme-1", "Acme", day=later)
    interview(backend, "globex-1", "Globex", hour=14, day=later)
    untouched = team.contents()
    backend.reset_requests()

    refused = person.sync()  # the listing syncd holds still says writable: the server refuses

    assert "did create 0, update 3, delete 0" in refused.out  # Globex's
    assert list(by_interview(backend).values()) == [expected(later, 14)]
    assert event_writes(backend) == 6  # three refused, each tried once
    assert len(refused.warnings) == 3  # one per follow-up left alone, naming it
    for line in refused.warnings:
        assert line.startswith(f"WARNING syncd.apply: {source(backend)}: Team: left update '")
        assert "the server refuses the write" in line
    assert team.contents() == untouched and by_interview(team) == written

    # listed again: read-only; what syncd wrote there is left as it is, never tried again
    for _ in range(2):
        quiet = person.sync()
        assert "did create 0, update 0, delete 0" in quiet.out
        assert quiet.warnings == [] and quiet.said == []
    assert event_writes(backend) == 6
    assert team.contents() == untouched
    assert "    calendar 'Team': read-only" in person.run("status").out


# -- 2. a calendar deleted between passes


GONE = (
    "the calendar is gone (deleted, or no longer shared with this account); syncd no"
    " longer reads it and leaves the follow-ups of its interviews as they are; share it"
    " again to have it read"
)


@pytest.mark.parametrize("watching", ["named", "every calendar"])
def test_2_a_deleted_calendar_stops_nothing_else(
    person: Person, backend: Backend, watching: str
) -> None:
    team = backend.sibling(name="Team")
    interview(backend, "acme-1", "Acme")
    interview(team, "globex-1", "Globex", hour=14)
    named = watching == "named"
    person.configure(calendars=[backend.calendar_name, team.calendar_name] if named else [])
    assert "did create 6, update 0, delete 0" in person.sync().out
    moved = TUESDAY + dt.timedelta(days=7)

    team.vanish()
    interview(backend, "acme-1", "Acme", day=moved)
    gone = person.sync(code=1)

    assert "did create 0, update 3, delete 0" in gone.out  # the moved interview's
    assert list(by_interview(backend).values()) == [expected(moved)]
    assert gone.said == gone.lines("Team") == [f"{source(backend)}: Team: {GONE}"]
    assert gone.warnings == []
    later = person.sync(code=1 if named else 0)
    assert "did create 0, update 0, delete 0" in later.out
    if named:  # a vanished calendar named in `calendars` is said every pass, until taken out
        [said] = later.said
        assert said.startswith(f"{source(backend)}: Team: no calendar {team.calendar_name!r}")
        assert said.endswith("; check `calendars`")
    else:
        assert later.said == []
    assert later.warnings == []


def test_2_a_deleted_target_calendar_is_made_again_and_refilled(
    person: Person, backend: Backend
) -> None:
    interview(backend, "acme-1", "Acme")
    person.configure(target="Follow-ups")
    person.sync()
    backend.named("Follow-ups").vanish()

    again = person.sync(code=1)

    assert "did create 3, update 0, delete 0" in again.out
    assert list(by_interview(backend, "Follow-ups").values()) == [expected(TUESDAY)]
    assert again.said == [
        f"{source(backend)}: Follow-ups: the target calendar was gone; syncd created it again"
        " and writes the follow-ups it held anew",
    ]
    assert again.lines("created calendar") == [
        f"INFO syncd.calendars: {source(backend)}: created calendar 'Follow-ups'"
    ]
    assert again.warnings == []
    assert "did create 0, update 0, delete 0" in person.sync().out


def test_2_with_every_calendar_watched_a_new_calendar_is_read_within_12_passes(
    person: Person, backend: Backend
) -> None:
    interview(backend, "acme-1", "Acme")
    person.configure(calendars=[])
    person.sync()
    board = backend.sibling(name="Job board")
    interview(board, "globex-1", "Globex", hour=14)

    passes = 0
    while not by_interview(board) and passes < 13:
        person.sync()
        passes += 1
    assert list(by_interview(board).values()) == [expected(TUESDAY, 14)]
    assert passes <= 12  # the calendar list is looked up again every 12 passes


# -- 3. a follow-up the user deleted, after the state was lost


@pytest.mark.parametrize("seen", [True, False], ids=["seen deleted", "deleted unseen"])
def test_3_on_google_a_call_the_user_deleted_stays_deleted_after_the_state_is_lost(
    google: Backend, tmp_path: Path, seen: bool
) -> None:
    person = Person(google, tmp_path)
    person.configure()
    interview(google, "acme-1", "Acme")
    person.sync()
    morning = google.followups()["call-morning"][0]
    google.delete(morning)
    if seen:  # a pass records it as deleted by the user, then the state is lost
        assert "did create 0, update 0, delete 0" in person.sync().out
    shutil.rmtree(tmp_path / "state")
    google.reset_requests()

    again = person.sync()

    assert "did create 0, update 0, delete 0" in again.out
    assert set(google.followups()) == {"thank-you", "call-afternoon"}
    fake = google.fake  # type: ignore[attr-defined]
    assert [r for r in fake.requests.records if r.method != "GET"] == []  # no insert, no patch
    assert fake.event(google.calendar_id, morning.ref)["status"] == "cancelled"
    assert again.warnings == again.said == []
    assert "did create 0, update 0, delete 0" in person.sync().out


@pytest.mark.parametrize("server", ["radicale", "xandikos"])
def test_3_on_caldav_a_lost_state_writes_a_deleted_call_again_as_documented(
    server: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backend = open_account(server, request, monkeypatch)
    request.addfinalizer(backend.close)
    person = Person(backend, tmp_path)
    person.configure()
    interview(backend, "acme-1", "Acme")
    person.sync()
    backend.delete(backend.followups()["call-morning"][0])
    assert "did create 0, update 0, delete 0" in person.sync().out
    shutil.rmtree(tmp_path / "state")

    # CalDAV keeps no trace of a deletion (docs/behaviour.md, "What a lost state forgets")
    assert "did create 1, update 0, delete 0" in person.sync().out
    assert list(by_interview(backend).values()) == [expected(TUESDAY)]


# -- 4. Google's other event types


def test_4_out_of_office_focus_time_and_working_location_are_never_interviews(
    google: Backend, tmp_path: Path
) -> None:
    fake = google.fake  # type: ignore[attr-defined]
    primary = google.main()
    person = Person(primary, tmp_path)
    person.configure()
    others = {
        "outOfOffice": "Out of office: interview at Umbrella",
        "focusTime": "Focus time: interview with Initech",
        "workingLocation": "Interview day at the London office",
    }
    for hour, (kind, title) in enumerate(others.items(), 9):
        start = at(TUESDAY, hour)
        times = {"start": when(start), "end": when(start + HOUR)}
        fake.add_event(primary.calendar_id, {"summary": title, **times, "eventType": kind})
    start = at(TUESDAY + dt.timedelta(days=1), 14)
    fake.add_event(primary.calendar_id, {"summary": "Interview with Hooli", "start": when(start),
                   "end": when(start + HOUR), "eventType": "fromGmail"})  # fmt: skip
    interview(primary, "acme-1", "Acme", hour=15)

    first = person.sync()

    assert "did create 6, update 0, delete 0" in first.out  # Hooli's (from Gmail) and Acme's
    titles = sorted(f.title for f in followups_of(primary))
    assert not [t for t in titles if "Umbrella" in t or "Initech" in t or "office" in t], titles

    # Google never changes an event's type (the fake refuses it too): the user deletes the
    # interview and blocks the time as out of office, under the same title
    primary.remove("acme-1")
    start = at(TUESDAY, 15)
    fake.add_event(primary.calendar_id, {"summary": "Interview with Acme", "start": when(start),
                   "end": when(start + HOUR), "eventType": "outOfOffice"})  # fmt: skip
    then = person.sync()
    assert "did create 0, update 0, delete 3" in then.out
    assert sorted(f.title for f in followups_of(primary)) == sorted(
        t for t in titles if "Acme" not in t
    )
    assert first.warnings == then.warnings == then.said == []


# -- 5. the zone in force: the account's, not the machine's


NEW_YORK = ZoneInfo("America/New_York")


def test_5_with_timezone_unset_the_calls_follow_the_calendars_zone_not_the_machines(
    person: Person, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")  # a headless box in UTC
    # Google: the primary calendar's timeZone; CalDAV: the watched calendar's calendar-timezone
    (backend.main() if backend.name == "google" else backend).set_zone("America/New_York")
    tuesday = plain_monday("US", NEW_YORK) + dt.timedelta(days=1)
    interview(backend, "acme-1", "Acme", day=tuesday, zone=NEW_YORK)
    person.configure(timezone=None)

    ran = person.sync()

    assert list(by_interview(backend).values()) == [expected(tuesday, zone=NEW_YORK)]
    assert ran.warnings == []
    status = person.run("status")
    assert status.code == 0
    assert "    zone America/New_York (the account's main calendar's)\n" in status.out
    thank_you = expected(tuesday, zone=NEW_YORK)["thank-you"]
    assert f"  {thank_you:%a %Y-%m-%d %H:%M}  Thank-you letter: Acme  ({source(backend)})" in (
        status.out
    )


# -- 6. occurrence ids of other shapes (Google)


OUTLOOK = "_6p332d1g85148b9m6cr3ib9k651jab9o70pjib9h6gr4ae1m6go44gi48o"  # an Outlook invite's id


def weekly(start: dt.datetime, count: int, **fields: str) -> dict[str, object]:
    end = start + HOUR
    return {"summary": "Interview loop: Initech", "start": when(start), "end": when(end),
            "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"], **fields}  # fmt: skip


def instance(series: str, start: dt.datetime) -> str:
    return f"{series}_{start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def test_6_an_outlook_series_gets_follow_ups_per_instance(google: Backend, tmp_path: Path) -> None:
    fake = google.fake  # type: ignore[attr-defined]
    person = Person(google, tmp_path)
    person.configure()
    fake.add_event(google.calendar_id, weekly(at(TUESDAY, 10), 3, id=OUTLOOK))

    assert "did create 9, update 0, delete 0" in person.sync().out

    weeks = [TUESDAY + dt.timedelta(weeks=n) for n in range(3)]
    assert by_interview(google) == {instance(OUTLOOK, at(day, 10)): expected(day) for day in weeks}
    assert "did create 0, update 0, delete 0" in person.sync().out


def test_6_a_split_series_moves_its_follow_ups_and_deleting_the_new_part_removes_only_its_own(
    google: Backend, tmp_path: Path
) -> None:
    fake = google.fake  # type: ignore[attr-defined]
    person = Person(google, tmp_path)
    person.configure()
    old = fake.add_event(google.calendar_id, weekly(at(TUESDAY, 10), 3))["id"]
    person.sync()
    weeks = [TUESDAY + dt.timedelta(weeks=n) for n in range(3)]

    # "this and following events": from the second week on, the loop is at 14:00
    moved = {"start": when(at(weeks[1], 14)), "end": when(at(weeks[1], 15))}
    new = fake.split_series(google.calendar_id, instance(old, at(weeks[1], 10)), moved)["id"]
    split = person.sync()

    assert new == f"{old}_R{at(weeks[1], 10).astimezone(dt.UTC):%Y%m%dT%H%M%S}"
    assert "did create 6, update 0, delete 6" in split.out
    first = {instance(old, at(weeks[0], 10)): expected(weeks[0])}
    assert by_interview(google) == first | {
        instance(new, at(day, 14)): expected(day, 14) for day in weeks[1:]
    }

    fake.remove_event(google.calendar_id, new)  # the user deletes the new series
    assert "did create 0, update 0, delete 6" in person.sync().out
    assert by_interview(google) == first
    assert split.warnings == []


# -- 7. a grant without the right to create calendars


AUTH = "https://www.googleapis.com/auth/"


def test_7_a_token_without_calendar_creation_works_until_a_target_calendar_is_set(
    google: Backend, tmp_path: Path
) -> None:
    fake = google.fake  # type: ignore[attr-defined]
    person = Person(google, tmp_path)
    person.configure()
    # Google's granular consent: the user unticked "make secondary calendars"
    narrow = (AUTH + "calendar.events", AUTH + "calendar.calendarlist.readonly")
    fake.authorized_user_json(tmp_path / "token.json", scopes=narrow)
    interview(google, "acme-1", "Acme")

    assert "did create 3, update 0, delete 0" in person.sync().out
    assert list(by_interview(google).values()) == [expected(TUESDAY)]

    # a second source of the same account, with a full grant, beside it
    work = google.sibling(name="Work")
    (tmp_path / "work").mkdir()
    beside = work.source_toml(tmp_path / "work").replace('name = "gmail"', 'name = "work"')
    interview(work, "globex-1", "Globex", hour=14)
    person.configure(target="Follow-ups")  # (a new grant of every scope: narrowed again)
    fake.authorized_user_json(tmp_path / "token.json", scopes=narrow)
    person.config.write_text(person.config.read_text() + beside)
    ran = person.sync(code=1)

    assert ran.said == [  # the command to run, with the --config this run was given
        "gmail: target_calendar is set, but its token may not create calendars"
        " (calendar.app.created); authorize it again,"
        f" run: syncd --config {person.config} auth google gmail"
    ]
    assert "work: did create 3, update 0, delete 0" in ran.out
    assert list(by_interview(work).values()) == [expected(TUESDAY, 14)]
    assert list(by_interview(google).values()) == [expected(TUESDAY)]  # left as they were
    assert "Follow-ups" not in {c.summary for c in fake.store.calendars.values()}
    assert ran.warnings == []


# -- 8. public holidays of the zone's country, by default


def next_holiday(country: str, zone: ZoneInfo) -> dt.date:
    """The next public holiday on a weekday at least eight days ahead."""
    import holidays

    today = dt.datetime.now(zone).date()
    table = holidays.country_holidays(country, years={today.year, today.year + 1})
    return min(d for d in table if d >= today + dt.timedelta(days=8) and d.weekday() < 5)


@pytest.mark.parametrize("setting", ["unset", "none"])
def test_8_a_decision_day_on_a_public_holiday_moves_to_the_working_day_before(
    person: Person, backend: Backend, setting: str
) -> None:
    import holidays

    holiday = next_holiday("GB", LONDON)
    table = holidays.country_holidays("GB", years={holiday.year - 1, holiday.year})
    day = holiday - dt.timedelta(days=7)
    person.configure(calls='holidays = "none"' if setting == "none" else "")
    interview(backend, "acme-1", "Acme", day=day, description=f"decision: {holiday.isoformat()}")

    person.sync()

    calls = holiday
    if setting == "unset":  # Europe/London: GB's holidays
        calls -= dt.timedelta(days=1)
        while calls.weekday() >= 5 or calls in table:
            calls -= dt.timedelta(days=1)
    assert list(by_interview(backend).values()) == [
        {"thank-you": at(day, 12), "call-morning": at(calls, 10), "call-afternoon": at(calls, 15)}
    ]
    said = {"none": "no public holidays", "unset": "the zone's country: GB (Europe/London)"}
    assert f"  # {said[setting]}\n" in person.run("config", "check").out


# -- `syncd status` of an account with one calendar ok, one read-only, one vanished


@pytest.mark.parametrize("service", ["radicale", "google"])
def test_status_shows_each_calendars_state(
    service: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    backend = open_account(service, request, monkeypatch)
    request.addfinalizer(backend.close)
    if service == "google":  # the account's own calendar: its primary one, and no other
        backend.vanish()
        backend = backend.main()
    person = Person(backend, tmp_path)
    careers = backend.sibling(read_only=True, name="Careers centre")
    team = backend.sibling(read_only=True, name="Team")  # shared, then no longer
    backend.set_zone("America/New_York")
    interview(backend, "acme-1", "Acme", zone=NEW_YORK)
    interview(careers, "umbrella-1", "Umbrella", hour=15, zone=NEW_YORK)
    interview(team, "globex-1", "Globex", hour=14, zone=NEW_YORK)
    person.configure(calendars=[], timezone=None)
    person.sync()
    team.vanish()
    person.sync(code=1)

    status = person.run("status")

    assert status.code == 0
    name, kind = source(backend), "google" if service == "google" else "caldav"
    # Team's interview had its follow-ups in the main calendar: they stay as they are
    hours = {"Acme": 10, "Globex": 14, "Umbrella": 15}
    upcoming = sorted((start, what, company) for company, hour in hours.items()
                      for what, start in expected(TUESDAY, hour, NEW_YORK).items())  # fmt: skip
    shape = [
        "Sources:",
        f"  {name} ({kind}): ok, last sync <now>",
        "    zone America/New_York (the account's main calendar's)",
        f"    calendar {backend.calendar_name!r}: ok",
        "    calendar 'Careers centre': read-only",
        f"    calendar 'Team': vanished since <now>: {GONE}",
        "Upcoming follow-ups:",
        *[f"  {start:%a %Y-%m-%d %H:%M}  {TITLES[what]}: {company}  ({name})"
          for start, what, company in upcoming],
    ]  # fmt: skip
    pattern = re.escape("\n".join(shape)).replace("<now>", r"(\d{4}-\d\d-\d\d \d\d:\d\d)")
    shown = re.fullmatch(pattern, status.out.rstrip("\n"))
    assert shown is not None, status.out
    now = dt.datetime.now(NEW_YORK).replace(tzinfo=None)  # both times in the zone in force
    for stamp in shown.groups():
        assert abs(dt.datetime.fromisoformat(stamp) - now) < dt.timedelta(minutes=2), status.out


TITLES = {
    "thank-you": "Thank-you letter",
    "call-morning": "Follow-up call",
    "call-afternoon": "Second follow-up call (only if no answer yet)",
}
