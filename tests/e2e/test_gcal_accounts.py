"""The Google provider on accounts as they are: calendars the account may only read or
see busy times of, hidden and vanished calendars, tombstones of deleted follow-ups,
every event type, occurrence ids of other shapes, and the scopes a token holds.

The fake (tests/fakes/) answers as Google does; the provider reads and writes through
the real googleapiclient and google-auth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup as build_followup
from factories import make_source, replace_keys
from fakes.google_calendar import FakeGoogleCalendar

from providers import CalendarInfo, ReadScope, get_kind
from providers.google.provider import GcalProvider, open_source
from providers.google.reading import zone_of
from syncd.config import Config, SourceConfig
from syncd.errors import AuthError, NotFoundError, RefusedError, source_line
from syncd.model import FollowUp

LONDON = ZoneInfo("Europe/London")
CONFIG = Config(timezone=LONDON)
OWNER = "me@example.com"
START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])
AUTH = "https://www.googleapis.com/auth/"
OUTLOOK = "_6p332d1g85148b9m6cr3ib9k651jab9o70pjib9h6gr4ae1m6go44gi48o"


def source_for(fake: FakeGoogleCalendar, folder: Path, **changes: Any) -> SourceConfig:
    source = make_source(
        "gmail",
        "google",
        client_secrets=folder / "client_secret.json",
        token_file=fake.authorized_user_json(folder / "gmail.token.json"),
        api_endpoint=fake.api_endpoint,
        me=(OWNER,),
    )
    return replace_keys(source, **changes)


def timed(summary: str, day: int = 10, **fields: Any) -> dict[str, Any]:
    start = dt.datetime(2027, 6, day, 10, tzinfo=dt.UTC)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
        **fields,
    }


def make_followup(target: str) -> FollowUp:
    return build_followup(
        start=dt.datetime(2027, 6, 10, 15, tzinfo=LONDON), source="gmail", calendar=target,
        interview="interview1", title="Thank-you letter: Acme", reminders=(30,),
    )  # fmt: skip


def calendars(provider: GcalProvider) -> dict[str, CalendarInfo]:
    return {c.id: c for c in provider.list_calendars()}


def list_requests(fake: FakeGoogleCalendar) -> int:
    return sum(1 for r in fake.requests.records if r.method == "GET" and r.path.endswith("/events"))


@pytest.fixture
def fake(google_fake: FakeGoogleCalendar) -> FakeGoogleCalendar:
    return google_fake


@pytest.fixture
def provider(fake: FakeGoogleCalendar, tmp_path: Path) -> Iterator[GcalProvider]:
    opened = open_source(source_for(fake, tmp_path), CONFIG)
    yield opened
    opened.close()


@pytest.fixture
def account(fake: FakeGoogleCalendar) -> dict[str, str]:
    """The calendars of a real account besides its own primary one."""
    fake.change_calendar(OWNER, time_zone="America/New_York")
    return {
        "jobs": fake.add_calendar("Jobs", time_zone="Europe/London"),
        "team": fake.add_calendar("Team", access_role="writer"),
        "partner": fake.add_calendar(
            "Partner",
            "partner@example.org",
            "Europe/Paris",
            access_role="reader",
            summary_override="Sam",
        ),  # fmt: skip
        "boss": fake.add_calendar("Boss", access_role="freeBusyReader"),
        "holidays": fake.add_calendar(
            "Holidays in United States",
            "en.usa#holiday@group.v.calendar.google.com",
            access_role="reader",
            hidden=True,
        ),  # fmt: skip
    }


# --- calendars


def test_each_calendar_says_what_the_account_may_do_its_zone_and_which_is_the_main_one(
    provider, account
):
    found = calendars(provider)

    def fields(calendar_id: str) -> tuple[Any, ...]:
        c = found[calendar_id]
        return (c.name, c.writable, c.readable, c.hidden, c.zone, c.default)

    assert fields(OWNER) == (OWNER, True, True, False, "America/New_York", True)
    assert found[OWNER].answers_to("primary")
    assert fields(account["jobs"]) == ("Jobs", True, True, False, "Europe/London", False)
    assert fields(account["team"]) == ("Team", True, True, False, "UTC", False)
    assert fields(account["partner"]) == ("Sam", False, True, False, "Europe/Paris", False)
    assert fields(account["boss"]) == ("Boss", False, False, False, "UTC", False)
    assert fields(account["holidays"])[1:4] == (False, True, True)
    assert [c.id for c in found.values() if c.default] == [OWNER]


def test_a_zone_this_machine_does_not_know_is_left_empty():
    assert zone_of({"id": "x", "timeZone": "Mars/Olympus_Mons"}, "gmail") == ""
    assert zone_of({"id": "x"}, "gmail") == ""
    assert zone_of({"id": "x", "timeZone": "Asia/Tokyo"}, "gmail") == "Asia/Tokyo"


def test_a_created_target_calendar_is_writable_in_the_configs_zone(fake, provider):
    created = provider.ensure_calendar("Follow-ups")

    assert (created.writable, created.readable, created.zone, created.default) == (
        True, True, "Europe/London", False
    )  # fmt: skip
    assert calendars(provider)[created.id].zone == "Europe/London"


def test_writes_into_a_calendar_the_account_may_only_read_are_refused(fake, provider, account):
    partner = account["partner"]
    followup = make_followup(partner)
    theirs = fake.add_event(partner, timed("Dinner"))

    with pytest.raises(RefusedError) as refused:
        provider.create(followup)
    with pytest.raises(RefusedError):
        provider.update(followup, theirs["id"], theirs["etag"])
    with pytest.raises(RefusedError):
        provider.delete(partner, theirs["id"], theirs["etag"])

    assert "403 requiredAccessLevel" in str(refused.value)
    assert [e["summary"] for e in fake.events(partner)] == ["Dinner"]
    assert fake.event(partner, theirs["id"])["etag"] == theirs["etag"]


def test_a_calendar_of_busy_times_only_is_never_read(fake, provider, account):
    fake.add_event(account["boss"], timed("Interview at Initech"))
    boss = calendars(provider)[account["boss"]]
    before = list_requests(fake)

    skipped = provider.read_changes(boss, None, SCOPE)
    stale = CalendarInfo(boss.id, boss.name)  # a list read before the owner narrowed it
    busy = provider.read_changes(stale, None, SCOPE)

    assert (skipped.events, skipped.deleted, skipped.full) == ((), (), True)
    assert list_requests(fake) - before == 1  # only the read of the stale one
    assert (busy.events, busy.full) == ((), True)


def test_a_deleted_calendar_reads_as_not_found_and_leaves_the_list(fake, provider, account):
    jobs = calendars(provider)[account["jobs"]]
    fake.add_event(jobs.id, timed("Interview at Acme"))
    token = provider.read_changes(jobs, None, SCOPE).token

    fake.delete_calendar(jobs.id)

    with pytest.raises(NotFoundError) as incremental:
        provider.read_changes(jobs, token, SCOPE)
    with pytest.raises(NotFoundError):
        provider.read_changes(jobs, None, SCOPE)
    with pytest.raises(NotFoundError):
        provider.create(make_followup(jobs.id))
    assert "404 notFound" in str(incremental.value)
    assert jobs.id not in calendars(provider)


# --- tombstones


def test_a_followup_the_user_deleted_comes_back_as_its_tombstone(fake, provider):
    primary = calendars(provider)[OWNER]
    followup = make_followup(OWNER)
    created = provider.create(followup)
    theirs = fake.add_event(OWNER, timed("Interview at Acme", day=11))
    token = provider.read_changes(primary, None, SCOPE).token

    fake.remove_event(OWNER, created.resource)
    fake.remove_event(OWNER, theirs["id"])
    incremental = provider.read_changes(primary, token, SCOPE)
    full = provider.read_changes(primary, None, SCOPE)  # the state was lost

    stored = fake.event(OWNER, followup.id)
    for changes in (incremental, full):
        (tombstone,) = changes.events
        assert (tombstone.status, tombstone.markers, tombstone.slot) == (
            "cancelled", followup.markers, followup.id
        )  # fmt: skip
        assert (tombstone.resource, tombstone.etag) == (followup.id, stored["etag"])
        assert followup.id not in changes.deleted
    assert incremental.deleted == (theirs["id"],)  # not syncd's: a deletion as before
    assert provider.get(OWNER, followup.id) is None


def test_a_deleted_copy_of_a_followup_is_a_tombstone_without_a_slot(fake, provider):
    primary = calendars(provider)[OWNER]
    followup = make_followup(OWNER)
    provider.create(followup)
    stored = fake.event(OWNER, followup.id)
    copy = fake.add_event(OWNER, {k: stored[k] for k in ("summary", "start", "end")} | {
        "extendedProperties": stored["extendedProperties"]
    })  # fmt: skip
    token = provider.read_changes(primary, None, SCOPE).token

    fake.remove_event(OWNER, copy["id"])
    (tombstone,) = provider.read_changes(primary, token, SCOPE).events

    assert (tombstone.resource, tombstone.status, tombstone.slot) == (copy["id"], "cancelled", "")
    assert tombstone.markers == followup.markers


# --- event types and series


def test_every_event_type_is_passed_through(fake, provider):
    kinds = {
        "default": timed("Interview at Acme"),
        "outOfOffice": timed("Out of office: interview at Umbrella", 11, eventType="outOfOffice"),
        "focusTime": timed("Focus: interview prep", 12, eventType="focusTime"),
        "workingLocation": timed("Office", 13, eventType="workingLocation"),
        "birthday": {
            "summary": "Ann's birthday",
            "start": {"date": "2027-06-14"},
            "end": {"date": "2027-06-15"},
            "recurrence": ["RRULE:FREQ=YEARLY"],
            "eventType": "birthday",
        },  # fmt: skip
        "fromGmail": timed("Interview with Hooli (from your e-mail)", 15, eventType="fromGmail"),
    }
    for body in kinds.values():
        fake.add_event(OWNER, body)

    events = provider.read_changes(calendars(provider)[OWNER], None, SCOPE).events

    assert sorted((e.event_type, e.title) for e in events) == sorted(
        (kind, body["summary"]) for kind, body in kinds.items()
    )


def test_an_outlook_series_keeps_its_series_from_recurring_event_id(fake, provider):
    series = timed("Interview loop", recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"], id=OUTLOOK)
    fake.add_event(OWNER, series)

    events = provider.read_changes(calendars(provider)[OWNER], None, SCOPE).events

    assert sorted((e.id, e.series, e.recurrence_id) for e in events) == [
        (f"{OUTLOOK}_20270610T100000Z", OUTLOOK, ""),
        (f"{OUTLOOK}_20270617T100000Z", OUTLOOK, ""),
    ]
    assert all(e.resource == e.id and e.slot == "" for e in events)


def test_a_split_series_names_its_new_series_and_reports_the_old_instances_gone(fake, provider):
    primary = calendars(provider)[OWNER]
    series = fake.add_event(
        OWNER, timed("Interview loop", recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"])
    )
    old = series["id"]
    token = provider.read_changes(primary, None, SCOPE).token

    new = fake.split_series(OWNER, f"{old}_20270617T100000Z", {"summary": "Final interview"})
    changes = provider.read_changes(primary, token, SCOPE)
    full = provider.read_changes(primary, None, SCOPE)

    assert new["id"] == f"{old}_R20270617T100000"
    assert sorted((e.id, e.series, e.title) for e in full.events) == [
        (f"{old}_20270610T100000Z", old, "Interview loop"),
        (f"{new['id']}_20270617T100000Z", new["id"], "Final interview"),
        (f"{new['id']}_20270624T100000Z", new["id"], "Final interview"),
    ]
    assert set(changes.deleted) == {f"{old}_20270617T100000Z", f"{old}_20270624T100000Z"}
    assert {e.series for e in changes.events} == {old, new["id"]}


# --- scopes


def token_with(fake: FakeGoogleCalendar, source: SourceConfig, *scopes: str) -> SourceConfig:
    path = source.settings.token_file
    fake.authorized_user_json(path, scopes=tuple(AUTH + s for s in scopes))
    return source


NARROW = ("calendar.events", "calendar.calendarlist.readonly")


def test_a_token_without_calendar_creation_works_while_no_target_is_set(fake, tmp_path):
    source = token_with(fake, source_for(fake, tmp_path), *NARROW)
    fake.add_event(OWNER, timed("Interview at Acme"))

    provider = open_source(source, CONFIG)
    try:
        primary = calendars(provider)[OWNER]
        events = provider.read_changes(primary, None, SCOPE).events
        provider.create(make_followup(OWNER))
    finally:
        provider.close()

    assert [e.title for e in events] == ["Interview at Acme"]
    assert json.loads(source.settings.token_file.read_text())["scopes"] == [
        AUTH + s for s in NARROW
    ]


def test_a_target_calendar_needs_a_token_that_may_create_calendars(fake, tmp_path):
    source = source_for(fake, tmp_path, target_calendar="Follow-ups")
    token_with(fake, source, *NARROW)

    with pytest.raises(AuthError) as caught:
        open_source(source, CONFIG)

    assert source_line("gmail", caught.value) == (
        "gmail: target_calendar is set, but its token may not create calendars"
        " (calendar.app.created); authorize it again, run: syncd auth google gmail"
    )


@pytest.mark.parametrize("granted", [(*NARROW, "calendar.app.created"), ("calendar",)])
def test_a_token_that_may_create_calendars_makes_the_target(fake, tmp_path, granted):
    source = source_for(fake, tmp_path, target_calendar="Follow-ups")
    token_with(fake, source, *granted)

    provider = open_source(source, CONFIG)
    try:
        created = provider.ensure_calendar("Follow-ups")
    finally:
        provider.close()

    assert created.name == "Follow-ups" and created.writable


def test_config_check_notes_a_token_that_may_not_create_the_target_calendar(fake, tmp_path):
    plain = token_with(fake, source_for(fake, tmp_path), *NARROW)
    fake.client_secrets_json(plain.settings.client_secrets)
    target = replace_keys(plain, target_calendar="Follow-ups")

    assert get_kind("google").notes(plain) == []
    assert get_kind("google").notes(target) == [
        "token_file: target_calendar is set, but its token may not create calendars"
        " (calendar.app.created); authorize it again, run: syncd auth google gmail"
    ]
