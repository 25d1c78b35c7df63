"""The user's scenarios, end to end, on real Radicale and Xandikos and on the Google fake.

Each test writes a config naming a fresh calendar, changes events as the user's
calendar app would, drives ``syncd run --once`` through the real command line,
and reads the service back. Requests are counted outside syncd: a counting
proxy in front of the CalDAV servers, the fake's own log for Google.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backends import (
    BACKENDS,
    LONDON,
    Backend,
    GoogleBackend,
    Seen,
    open_backend,
)
from click.testing import CliRunner

from syncd.cli import main


def first_plain_monday() -> dt.date:
    """The Monday of a coming week that starts three weeks without a GB public holiday.

    The configs here leave ``calls.holidays`` unset, so calls skip the public
    holidays of the zone's country (Europe/London: GB); in these weeks the days
    the tests expect are plain working days whatever today is.
    """
    import holidays

    today = dt.datetime.now(LONDON).date()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    while True:
        days = [monday + dt.timedelta(days=n) for n in range(21)]
        table = holidays.country_holidays("GB", years={day.year for day in days})
        if not any(day in table for day in days):
            return monday
        monday += dt.timedelta(weeks=1)


FIRST_MONDAY = first_plain_monday()


def next_weekday(weekday: int, weeks_ahead: int = 1) -> dt.date:
    """That weekday (0 = Monday) of a coming week: in the future whatever today is."""
    return FIRST_MONDAY + dt.timedelta(weeks=weeks_ahead - 1, days=weekday)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


TUESDAY = next_weekday(1)
FRIDAY = TUESDAY + dt.timedelta(days=3)
TITLE = "Interview with Acme - Senior Engineer"
CONTACT = "contact: Ann Smith +44 20 7946 0958"
PLACE = "Acme HQ, 1 High Street, London"
EXPECTED = {
    "thank-you": at(TUESDAY, 12),
    "call-morning": at(FRIDAY, 10),
    "call-afternoon": at(FRIDAY, 15),
}


class User:
    """A job seeker: a calendar on a service, a config file, and syncd."""

    def __init__(self, backend: Backend, tmp_path: Path, *, target_calendar: str = "") -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.config = tmp_path / "config.toml"
        self.config.write_text(
            f'timezone = "Europe/London"\nstate_dir = "{tmp_path / "state"}"\n'
            + backend.source_toml(tmp_path, target_calendar=target_calendar)
        )

    def sync(self) -> str:
        """``syncd run --once``; its output. Fails the test on a non-zero exit."""
        result = CliRunner().invoke(main, ["--config", str(self.config), "run", "--once"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    def interview(self, title: str = TITLE, day: dt.date = TUESDAY, hour: int = 10) -> None:
        self.backend.put("acme-1", title, at(day, hour), at(day, hour + 1),
                         description=CONTACT, location=PLACE)  # fmt: skip

    def followups(self, target: str = "") -> dict[str, Seen]:
        """syncd's follow-ups by kind; fails when a kind appears twice."""
        found = self.backend.followups(target)
        assert all(len(items) == 1 for items in found.values()), found
        return {kind: items[0] for kind, items in found.items()}

    def starts(self, target: str = "") -> dict[str, dt.datetime]:
        return {kind: f.start for kind, f in self.followups(target).items()}


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    service = open_backend(request.param, request, monkeypatch)
    yield service
    service.close()


@pytest.fixture
def user(backend: Backend, tmp_path: Path) -> User:
    return User(backend, tmp_path)


def test_1_a_new_interview_gets_exactly_its_follow_ups(user: User) -> None:
    user.interview()
    assert "did create 3, update 0, delete 0" in user.sync()
    seen = user.followups()
    assert user.starts() == EXPECTED
    assert seen["thank-you"].title == "Thank-you letter: Acme"
    assert seen["call-morning"].title == "Follow-up call: Acme"
    assert seen["call-afternoon"].title == "Second follow-up call (only if no answer yet): Acme"
    assert seen["thank-you"].reminders == (0,)
    assert seen["call-morning"].reminders == seen["call-afternoon"].reminders == (10,)
    assert "Ann Smith" in seen["call-morning"].description
    assert "+44 20 7946 0958" in seen["call-morning"].description
    interview_ids = {f.interview for f in seen.values()}
    assert len(interview_ids) == 1 and interview_ids != {""}
    for f in seen.values():
        assert f.calendar == user.backend.calendar_id
        assert len(f.fingerprint) == 32
        assert f.ref.removesuffix(".ics").isalnum() and len(f.ref.removesuffix(".ics")) == 32


def test_2_a_second_pass_is_one_read_and_writes_nothing(user: User) -> None:
    user.interview()
    user.sync()
    before = user.followups()
    user.backend.reset_requests()
    assert "did create 0, update 0, delete 0" in user.sync()
    assert user.backend.requests() == user.backend.idle
    assert user.followups() == before


def test_3_a_moved_interview_moves_its_follow_ups(user: User) -> None:
    user.interview()
    user.sync()
    wednesday = TUESDAY + dt.timedelta(days=8)
    user.interview(day=wednesday, hour=14)
    assert "did create 0, update 3, delete 0" in user.sync()
    friday = wednesday + dt.timedelta(days=2)
    assert user.starts() == {
        "thank-you": at(wednesday, 16),
        "call-morning": at(friday, 10),
        "call-afternoon": at(friday, 15),
    }


@pytest.mark.parametrize("how", ["cancelled", "deleted"])
def test_4_a_cancelled_or_deleted_interview_loses_its_follow_ups(user: User, how: str) -> None:
    user.interview()
    user.sync()
    if how == "cancelled":
        user.backend.change("acme-1", status="cancelled")
    else:
        user.backend.remove("acme-1")
    assert "did create 0, update 0, delete 3" in user.sync()
    assert user.followups() == {}


def test_5_an_edited_thank_you_stays_while_the_calls_move(user: User) -> None:
    user.interview()
    user.sync()
    user.backend.retitle(user.followups()["thank-you"], "Thank-you letter to Ann (posted it!)")
    edited = user.followups()["thank-you"]
    user.interview(day=TUESDAY + dt.timedelta(days=7))
    assert "did create 0, update 2, delete 0" in user.sync()
    seen = user.followups()
    assert seen["thank-you"] == edited
    assert seen["call-morning"].start == at(FRIDAY + dt.timedelta(days=7), 10)


def test_6_a_call_the_user_deleted_is_never_recreated(user: User) -> None:
    user.interview()
    user.sync()
    user.backend.delete(user.followups()["call-morning"])
    user.sync()
    user.backend.change("acme-1", description="contact: Ann Smith, Head of Engineering")
    user.sync()
    assert set(user.followups()) == {"thank-you", "call-afternoon"}


@pytest.mark.parametrize("where", ["interview", "morning call"])
def test_7_heard_back_removes_the_remaining_calls(user: User, where: str) -> None:
    user.interview()
    user.sync()
    if where == "interview":
        user.backend.change("acme-1", title=TITLE + " #heard-back")
    else:
        morning = user.followups()["call-morning"]
        user.backend.retitle(morning, morning.title + " #heard-back")
    user.sync()
    left = set(user.followups())
    assert "call-afternoon" not in left and "thank-you" in left
    assert ("call-morning" in left) == (where == "morning call")


def test_8_an_agency_interview_calls_the_staffing_manager(user: User) -> None:
    agency = "agency: Hays\nstaffing manager: Bob Jones +44 161 496 0000"
    user.backend.put("globex-1", "Interview with Globex", at(TUESDAY, 14), at(TUESDAY, 15),
                     description=agency)  # fmt: skip
    user.sync()
    seen = user.followups()
    for kind in ("call-morning", "call-afternoon"):
        assert "Bob Jones at Hays (your staffing manager)" in seen[kind].description
        assert "+44 161 496 0000" in seen[kind].description


def test_9_a_target_calendar_is_created_and_holds_the_follow_ups(
    backend: Backend, tmp_path: Path
) -> None:
    name = f"Follow-ups {tmp_path.name[-12:]}"
    person = User(backend, tmp_path, target_calendar=name)
    person.interview()
    person.sync()
    assert person.starts(name) == EXPECTED
    assert person.followups() == {}
    backend.reset_requests()
    person.sync()
    # the watched and the target calendar: one read each
    assert backend.requests() == {k: 2 * v for k, v in backend.idle.items()}


def test_10_a_weekly_interview_loop_gets_follow_ups_per_remaining_instance(user: User) -> None:
    monday = next_weekday(0)
    moved = monday + dt.timedelta(days=8)  # the second instance moves to Tuesday 13:00
    user.backend.put_weekly("loop-1", "Interview loop: Initech", at(monday, 9), count=4,
                            moved=(1, at(moved, 13)), cancelled=2)  # fmt: skip
    user.sync()
    found = user.backend.followups()
    thanks = sorted(f.start for f in found["thank-you"])
    assert thanks == [at(monday, 11), at(moved, 15), at(monday + dt.timedelta(days=21), 11)]
    assert len({f.interview for f in found["thank-you"]}) == 3  # an identity per instance
    assert "did create 0, update 0, delete 0" in user.sync()


def test_11_user_events_are_untouched(user: User) -> None:
    others = {
        "lunch": ("Lunch with Sam", at(TUESDAY, 12)),
        "webinar": ("Interviewing skills webinar", at(TUESDAY, 16)),
        "mock": ("Mock interview with coach", at(FRIDAY, 9)),
    }
    for key, (title, start) in others.items():
        user.backend.put(key, title, start, start + dt.timedelta(hours=1))
    before = user.backend.snapshot(list(others))
    user.interview()
    user.sync()
    user.backend.change("acme-1", title="Interview with Acme - Staff Engineer")
    user.sync()
    user.backend.delete(user.followups()["call-afternoon"])
    user.sync()
    user.backend.change("acme-1", status="cancelled")
    user.sync()
    shutil.rmtree(user.tmp_path / "state")
    user.sync()
    assert user.backend.snapshot(list(others)) == before


def test_12_a_deleted_state_database_duplicates_nothing(user: User) -> None:
    user.interview()
    user.sync()
    before = user.followups()
    shutil.rmtree(user.tmp_path / "state")
    assert "did create 0, update 0, delete 0" in user.sync()
    assert user.followups() == before


def test_the_console_script_runs_a_pass_as_a_user_types_it(user: User) -> None:
    user.interview()
    syncd = Path(sys.executable).with_name("syncd")
    done = subprocess.run([str(syncd), "--config", str(user.config), "run", "--once"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "did create 3, update 0, delete 0" in done.stdout
    assert user.starts() == EXPECTED


# -- Google's own ways: sync tokens that expire, lost answers, concurrent edits


@pytest.fixture
def google_user(google_fake: Any, tmp_path: Path) -> User:
    return User(GoogleBackend(google_fake), tmp_path)


def test_an_expired_sync_token_means_one_full_read_and_no_duplicate(google_user: User) -> None:
    fake = google_user.backend.fake  # type: ignore[attr-defined]
    google_user.interview()
    google_user.sync()
    fake.expire_sync_tokens()
    google_user.backend.reset_requests()
    assert "did create 0, update 0, delete 0" in google_user.sync()
    lists = [r for r in fake.requests.records if r.path.endswith("/events")]
    assert [r.status for r in lists] == [410, 200]
    assert "syncToken" not in lists[1].query and "timeMin" in lists[1].query
    assert len(google_user.followups()) == 3


def test_a_create_whose_answer_was_lost_ends_with_one_event(google_user: User) -> None:
    fake = google_user.backend.fake  # type: ignore[attr-defined]
    google_user.interview()
    # the first insert reaches Google, but its answer is lost: the retry meets 409
    fake.inject(503, method="POST", path_contains="/events", after=True)
    google_user.sync()
    inserts = [r.status for r in fake.requests.records if r.method == "POST"
               and r.path.endswith("/events")]  # fmt: skip
    assert inserts[:2] == [503, 409]
    assert google_user.starts() == EXPECTED
    assert "did create 0, update 0, delete 0" in google_user.sync()


def test_a_users_edit_racing_an_update_leaves_the_users_version(google_user: User) -> None:
    fake = google_user.backend.fake  # type: ignore[attr-defined]
    google_user.interview()
    google_user.sync()
    thanks = google_user.followups()["thank-you"]
    calendar = google_user.backend.calendar_id
    fake.before(lambda: fake.modify_event(calendar, thanks.ref, {"summary": "Mine now"}),
                method="PATCH", path_contains=thanks.ref)  # fmt: skip
    google_user.interview(day=TUESDAY + dt.timedelta(days=7))
    google_user.sync()
    patches = [r.status for r in fake.requests.records if r.method == "PATCH"
               and thanks.ref in r.path]  # fmt: skip
    assert patches == [412]
    seen = google_user.followups()
    assert seen["thank-you"].title == "Mine now"
    assert seen["thank-you"].start == thanks.start
    assert seen["call-morning"].start == at(FRIDAY + dt.timedelta(days=7), 10)
