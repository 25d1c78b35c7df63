"""The user's scenarios, end to end, on real Radicale and Xandikos servers.

Each test writes a config naming a fresh calendar, puts events on the server as
another calendar app would (plain PUT / DELETE), drives ``syncd run --once``
through the real command line, and reads the server back. A counting proxy
between syncd and the server counts the requests a pass makes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner
from proxy import CountingProxy
from servers import CalendarHandle, DavServer, make_calendar

from providers.ical import unescape
from syncd.cli import main

LONDON = ZoneInfo("Europe/London")
PASSWORD_ENV = "SYNCD_E2E_PASSWORD"


def next_weekday(weekday: int, weeks_ahead: int = 1) -> dt.date:
    """That weekday (0 = Monday) of a coming week: always in the future, whatever today is."""
    today = dt.datetime.now(LONDON).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks_ahead)
    return monday + dt.timedelta(days=weekday)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def ics(uid: str, summary: str, start: dt.datetime, end: dt.datetime, *, body: str = "") -> str:
    """One VEVENT as a calendar app writes it, times in UTC."""

    def utc(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example Corp//Calendar App 1.0//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261120T090000Z",
        f"DTSTART:{utc(start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{summary}",
        *[line for line in body.strip().splitlines() if line],
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


@dataclasses.dataclass
class FollowUpSeen:
    name: str
    kind: str
    title: str
    start: dt.datetime
    description: str
    alarms: list[dt.timedelta]
    markers: dict[str, str]


class User:
    """A job seeker with a calendar on a real server, a config, and syncd."""

    def __init__(
        self, server: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **source: object
    ) -> None:
        self.server = server
        self.calendar = make_calendar(server)
        self.tmp_path = tmp_path
        self.proxy = CountingProxy(server.url)
        monkeypatch.setenv(PASSWORD_ENV, server.password)
        self.target: CalendarHandle | None = None
        self.write_config(**source)

    def write_config(self, **source: object) -> None:
        extra = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in source.items())
        self.config = self.tmp_path / "config.toml"
        self.config.write_text(
            f'timezone = "Europe/London"\n'
            f'state_dir = "{self.tmp_path / "state"}"\n'
            f"[[sources]]\n"
            f'name = "dav"\nkind = "caldav"\nurl = "{self.proxy.url}/"\n'
            f'username = "{self.server.username}"\npassword_env = "{PASSWORD_ENV}"\n'
            f'calendars = ["{self.calendar.name}"]\n'
            f'me = ["me@example.com"]\n{extra}'
        )

    def sync(self) -> str:
        """``syncd run --once``; returns its output, fails the test on a non-zero exit."""
        result = CliRunner().invoke(main, ["--config", str(self.config), "run", "--once"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    def put(self, name: str, text: str) -> None:
        self.calendar.put(name, text)

    def followups(self, calendar: CalendarHandle | None = None) -> dict[str, FollowUpSeen]:
        """syncd's follow-ups in the calendar, by kind."""
        seen = {}
        cal = calendar or self.calendar
        for name in cal.names():
            data = cal.get(name)
            assert data is not None
            for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
                kind = event.get("X-SYNCD-KIND")
                if kind is None:
                    continue
                markers = {
                    k: unescape(str(v)) for k, v in event.items() if k.startswith("X-SYNCD-")
                }
                alarms = [a.decoded("TRIGGER") for a in event.walk("VALARM")]
                seen[str(kind)] = FollowUpSeen(
                    name,
                    str(kind),
                    str(event["SUMMARY"]),
                    event.decoded("DTSTART").astimezone(LONDON),
                    str(event.get("DESCRIPTION", "")),
                    alarms,
                    markers,
                )
        return seen

    def starts(self, calendar: CalendarHandle | None = None) -> dict[str, dt.datetime]:
        return {k: f.start for k, f in self.followups(calendar).items()}

    def edit(self, name: str, change: str, value: str) -> None:
        """Change one property of a stored object, as a calendar app would."""
        data = self.calendar.get(name)
        assert data is not None
        cal = icalendar.Calendar.from_ical(data)
        for event in cal.walk("VEVENT"):
            event[change] = value
        self.calendar.put(name, cal.to_ical())


@pytest.fixture
def user(dav_server: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[User]:
    person = User(dav_server, tmp_path, monkeypatch)
    yield person
    person.proxy.close()


TUESDAY = next_weekday(1)
FRIDAY = TUESDAY + dt.timedelta(days=3)
INTERVIEW = ics(
    "acme-1",
    "Interview with Acme - Senior Engineer",
    at(TUESDAY, 10),
    at(TUESDAY, 11),
    body="LOCATION:Acme HQ\\, 1 High Street\\, London\n"
    "DESCRIPTION:contact: Ann Smith +44 20 7946 0958",
)
EXPECTED = {
    "thank-you": at(TUESDAY, 12),
    "call-morning": at(FRIDAY, 10),
    "call-afternoon": at(FRIDAY, 15),
}


def test_1_a_new_interview_gets_exactly_its_follow_ups(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    seen = user.followups()
    assert user.starts() == EXPECTED
    assert seen["thank-you"].title == "Thank-you letter: Acme"
    assert seen["call-morning"].title == "Follow-up call: Acme"
    assert seen["call-afternoon"].title == ("Second follow-up call (only if no answer yet): Acme")
    assert seen["thank-you"].alarms == [dt.timedelta(0)]
    assert seen["call-morning"].alarms == [dt.timedelta(minutes=-10)]
    assert "Ann Smith" in seen["call-morning"].description
    assert "+44 20 7946 0958" in seen["call-morning"].description
    for kind, f in seen.items():
        assert f.markers["X-SYNCD-KIND"] == kind
        assert f.markers["X-SYNCD-INTERVIEW"] == "acme-1"
        assert f.markers["X-SYNCD-CALENDAR"] == user.proxy.url + user.calendar.path
        assert len(f.markers["X-SYNCD-FINGERPRINT"]) == 32
        assert f.name.endswith(".ics") and len(f.name) == 36  # <32 hex>.ics


def test_2_a_second_pass_is_one_report_and_writes_nothing(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    before = {n: user.calendar.etag(n) for n in user.calendar.names()}
    user.proxy.reset()
    assert "did create 0, update 0, delete 0" in user.sync()
    assert user.proxy.snapshot() == {"REPORT": 1}
    assert {n: user.calendar.etag(n) for n in user.calendar.names()} == before


def test_3_a_moved_interview_moves_its_follow_ups(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    wednesday = TUESDAY + dt.timedelta(days=8)
    user.put(
        "acme-1.ics",
        INTERVIEW.replace(
            at(TUESDAY, 10).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
            at(wednesday, 14).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        ).replace(
            at(TUESDAY, 11).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
            at(wednesday, 15).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        ),
    )
    user.sync()
    friday = wednesday + dt.timedelta(days=2)
    assert user.starts() == {
        "thank-you": at(wednesday, 16),
        "call-morning": at(friday, 10),
        "call-afternoon": at(friday, 15),
    }
    assert len(user.calendar.names()) == 4


@pytest.mark.parametrize("how", ["cancelled", "deleted"])
def test_4_a_cancelled_or_deleted_interview_loses_its_follow_ups(user: User, how: str) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    if how == "cancelled":
        user.edit("acme-1.ics", "STATUS", "CANCELLED")
    else:
        user.calendar.delete("acme-1.ics")
    user.sync()
    assert user.followups() == {}


def test_5_an_edited_thank_you_stays_while_the_calls_move(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    thanks = user.followups()["thank-you"]
    user.edit(thanks.name, "SUMMARY", "Thank-you letter to Ann (posted it!)")
    edited = user.calendar.get(thanks.name)
    next_tuesday = TUESDAY + dt.timedelta(days=7)
    user.put(
        "acme-1.ics",
        INTERVIEW.replace(
            at(TUESDAY, 10).astimezone(dt.UTC).strftime("%Y%m%d"),
            at(next_tuesday, 10).astimezone(dt.UTC).strftime("%Y%m%d"),
        ),
    )
    user.sync()
    seen = user.followups()
    assert user.calendar.get(thanks.name) == edited
    assert seen["thank-you"].start == at(TUESDAY, 12)
    assert seen["call-morning"].start == at(FRIDAY + dt.timedelta(days=7), 10)


def test_6_a_call_the_user_deleted_is_never_recreated(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    user.calendar.delete(user.followups()["call-morning"].name)
    user.sync()
    user.edit("acme-1.ics", "DESCRIPTION", "contact: Ann Smith, Head of Engineering")
    user.sync()
    assert set(user.followups()) == {"thank-you", "call-afternoon"}


@pytest.mark.parametrize("where", ["interview", "morning call"])
def test_7_heard_back_removes_the_remaining_calls(user: User, where: str) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    if where == "interview":
        user.edit("acme-1.ics", "SUMMARY", "Interview with Acme - Senior Engineer #heard-back")
    else:
        morning = user.followups()["call-morning"]
        user.edit(morning.name, "SUMMARY", morning.title + " #heard-back")
    user.sync()
    left = set(user.followups())
    assert "call-afternoon" not in left and "thank-you" in left
    assert ("call-morning" in left) == (where == "morning call")


def test_8_an_agency_interview_calls_the_staffing_manager(user: User) -> None:
    user.put(
        "globex.ics",
        ics(
            "globex-1",
            "Interview with Globex",
            at(TUESDAY, 14),
            at(TUESDAY, 15),
            body="DESCRIPTION:agency: Hays\\nstaffing manager: Bob Jones +44 161 496 0000",
        ),
    )
    user.sync()
    seen = user.followups()
    for kind in ("call-morning", "call-afternoon"):
        assert "Bob Jones at Hays (your staffing manager)" in seen[kind].description
        assert "+44 161 496 0000" in seen[kind].description


def test_9_a_target_calendar_is_created_and_holds_the_follow_ups(
    dav_server: DavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"Follow-ups {tmp_path.name[-12:]}"
    person = User(dav_server, tmp_path, monkeypatch, target_calendar=name)
    try:
        person.put("acme-1.ics", INTERVIEW)
        person.sync()
        from caldav.davclient import DAVClient

        with DAVClient(
            dav_server.url, username=dav_server.username, password=dav_server.password
        ) as client:
            [target] = [
                c for c in client.get_principal().get_calendars() if c.get_display_name() == name
            ]
            handle = CalendarHandle(dav_server, str(target.url), name)
        assert person.starts(handle) == EXPECTED
        assert person.followups() == {}
        person.proxy.reset()
        person.sync()
        assert person.proxy.snapshot() == {"REPORT": 2}  # the watched and the target calendar
    finally:
        person.proxy.close()


def test_10_a_weekly_interview_loop_gets_follow_ups_per_remaining_instance(user: User) -> None:
    monday = next_weekday(0)

    def utc(day: dt.date, hour: int) -> str:
        return at(day, hour).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    second, third = monday + dt.timedelta(days=7), monday + dt.timedelta(days=14)
    moved = second + dt.timedelta(days=1)  # the second instance moves to Tuesday
    series = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\n"
        "BEGIN:VEVENT\r\nUID:loop-1\r\nDTSTAMP:20261120T090000Z\r\n"
        f"DTSTART:{utc(monday, 9)}\r\nDTEND:{utc(monday, 10)}\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Interview loop: Initech\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:loop-1\r\nDTSTAMP:20261120T090000Z\r\n"
        f"RECURRENCE-ID:{utc(second, 9)}\r\nDTSTART:{utc(moved, 13)}\r\nDTEND:{utc(moved, 14)}\r\n"
        "SUMMARY:Interview loop: Initech\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:loop-1\r\nDTSTAMP:20261120T090000Z\r\n"
        f"RECURRENCE-ID:{utc(third, 9)}\r\nDTSTART:{utc(third, 9)}\r\nDTEND:{utc(third, 10)}\r\n"
        "STATUS:CANCELLED\r\nSUMMARY:Interview loop: Initech\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    user.put("loop.ics", series)
    user.sync()
    by_interview: dict[str, list[str]] = {}
    for name in user.calendar.names():
        data = user.calendar.get(name)
        assert data is not None
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            if "X-SYNCD-INTERVIEW" in event:
                start = event.decoded("DTSTART").astimezone(LONDON)
                by_interview.setdefault(unescape(str(event["X-SYNCD-INTERVIEW"])), []).append(
                    f"{event['X-SYNCD-KIND']} {start:%m-%d %H:%M}"
                )
    thanks = sorted(v for vs in by_interview.values() for v in vs if v.startswith("thank-you"))
    assert thanks == [
        f"thank-you {at(day, h):%m-%d %H:%M}"
        for day, h in ((monday, 11), (moved, 15), (monday + dt.timedelta(days=21), 11))
    ]
    assert len(by_interview) == 3  # three remaining instances, each its own identity
    assert all(key.startswith("loop-1;") for key in by_interview), sorted(by_interview)


def test_11_user_events_are_untouched_byte_for_byte(user: User) -> None:
    others = {
        "lunch.ics": ics("lunch-1", "Lunch with Sam", at(TUESDAY, 12), at(TUESDAY, 13)),
        "webinar.ics": ics(
            "web-1", "Interviewing skills webinar", at(TUESDAY, 16), at(TUESDAY, 17)
        ),
        "mock.ics": ics("mock-1", "Mock interview with coach", at(FRIDAY, 9), at(FRIDAY, 10)),
    }
    for name, text in others.items():
        user.put(name, text)
    before = {n: (user.calendar.etag(n), user.calendar.get(n)) for n in others}
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    user.edit("acme-1.ics", "SUMMARY", "Interview with Acme - Staff Engineer")
    user.sync()
    user.calendar.delete(user.followups()["call-afternoon"].name)
    user.sync()
    user.edit("acme-1.ics", "STATUS", "CANCELLED")
    user.sync()
    shutil.rmtree(user.tmp_path / "state")
    user.sync()
    after = {n: (user.calendar.etag(n), user.calendar.get(n)) for n in others}
    assert after == before


def test_12_a_deleted_state_database_duplicates_nothing(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    user.sync()
    before = {n: user.calendar.etag(n) for n in user.calendar.names()}
    shutil.rmtree(user.tmp_path / "state")
    assert "did create 0, update 0, delete 0" in user.sync()
    assert {n: user.calendar.etag(n) for n in user.calendar.names()} == before


def test_the_console_script_runs_a_pass_as_a_user_types_it(user: User) -> None:
    user.put("acme-1.ics", INTERVIEW)
    syncd = Path(sys.executable).with_name("syncd")
    done = subprocess.run(
        [str(syncd), "--config", str(user.config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "did create 3, update 0, delete 0" in done.stdout
    assert user.server.password not in done.stdout + done.stderr
    assert user.starts() == EXPECTED
