"""The Google provider's contract, on the local fake of Calendar v3 (127.0.0.1 only).

Events are put the way the web UI or another person would (``add_event``,
``modify_event``, ``remove_event``); the provider reads and writes through the
real googleapiclient and google-auth, and ``fake.requests`` counts what reached
the server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from factories import make_followup as build_followup
from factories import make_source, replace_keys
from fakes.google_calendar import FakeGoogleCalendar

from providers import CalendarInfo, ReadScope
from providers.google.provider import GcalProvider, open_source
from syncd.config import Config, SourceConfig
from syncd.errors import AuthError, ConflictError, NotFoundError, source_line
from syncd.model import FollowUp, content_fingerprint

LONDON = ZoneInfo("Europe/London")
CONFIG = Config(timezone=LONDON)
OWNER = "me@example.com"  # the fake's account: its primary calendar's id
START = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
SCOPE = ReadScope.of(START, END, ["interview"])


# --- helpers


def source_for(fake: FakeGoogleCalendar, folder: Path, **changes: Any) -> SourceConfig:
    source = make_source(
        "gmail",
        "google",
        client_secrets=folder / "client_secret.json",
        token_file=fake.authorized_user_json(folder / "gmail.token.json"),
        api_endpoint=fake.api_endpoint,
        me=("me@example.com",),
    )
    return replace_keys(source, **changes)


def timed(summary: str, day: int = 10, hour: int = 10, **fields: Any) -> dict[str, Any]:
    start = dt.datetime(2027, 6, day, hour, tzinfo=dt.UTC)
    return {
        "summary": summary,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + dt.timedelta(hours=1)).isoformat()},
        **fields,
    }


def hour_at(moment: dt.datetime) -> dict[str, Any]:
    start = moment.replace(tzinfo=dt.UTC)
    end = start + dt.timedelta(hours=1)
    return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}}


def make_followup(target: str, title: str = "Thank-you letter: Acme", hour: int = 15) -> FollowUp:
    start = dt.datetime(2027, 6, 10, hour, tzinfo=LONDON)
    return build_followup(
        start=start, source="gmail", calendar=target, interview="interview1", title=title,
        description="Thank Ann Smith for the interview.\nPost it today.", reminders=(0, 30),
    )  # fmt: skip


def primary(provider: GcalProvider) -> CalendarInfo:
    return next(c for c in provider.list_calendars() if c.answers_to("primary"))


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


# --- calendars


def test_primary_calendar_answers_to_its_alias(fake, provider):
    jobs = fake.add_calendar("Jobs")

    calendars = {c.id: c for c in provider.list_calendars()}

    assert calendars[OWNER].aliases == ("primary",)
    assert calendars[OWNER].answers_to("primary")
    assert calendars[jobs].name == "Jobs"
    assert not calendars[jobs].answers_to("primary")


def test_ensure_calendar_creates_a_missing_calendar_once(fake, provider):
    first = provider.ensure_calendar("Follow-ups")
    second = provider.ensure_calendar("Follow-ups")

    assert first.id == second.id
    assert first.name == "Follow-ups"
    assert fake.requests.count("POST", "/calendar/v3/calendars") == 1
    assert first.id in {c.id for c in provider.list_calendars()}
    assert provider.ensure_calendar("primary").id == OWNER
    with pytest.raises(NotFoundError):
        provider.ensure_calendar("nosuch@group.calendar.google.com")


# --- reading


def test_full_read_maps_google_events(fake, provider):
    html = 'Company: Acme<br>Contact: <b>Jane</b> <a href="tel:+44">+44 20</a> &amp; co'
    interview = fake.add_event(
        OWNER,
        timed(
            "Interview with Acme",
            description=html,
            hangoutLink="https://meet.google.com/abc-defg-hij",
            organizer={"email": "Jane@Acme.example", "displayName": "Jane Doe"},
            attendees=[
                {"email": OWNER, "responseStatus": "declined"},
                {
                    "email": "Jane@Acme.example",
                    "displayName": "Jane Doe",
                    "responseStatus": "accepted",
                },
                {"email": "bob@acme.example"},
            ],
        ),
    )
    all_day = fake.add_event(
        OWNER,
        {
            "summary": "Assessment day",
            "start": {"date": "2027-06-11"},
            "end": {"date": "2027-06-12"},
        },
    )

    changes = provider.read_changes(primary(provider), None, SCOPE)

    assert changes.full and changes.token and changes.deleted == ()
    events = {e.id: e for e in changes.events}
    event = events[interview["id"]]
    assert event.title == "Interview with Acme"
    assert event.description == html  # left as Google stores it: detection converts
    assert event.conference and event.location == ""
    assert event.start == dt.datetime(2027, 6, 10, 10, tzinfo=dt.UTC)
    assert event.start.utcoffset() is not None
    assert (event.calendar, event.resource, event.etag) == (
        OWNER,
        interview["id"],
        interview["etag"],
    )
    assert event.markers is None and event.recurrence_id == ""
    me, jane, bob = event.attendees
    assert (me.email, me.is_self, me.response) == (OWNER, True, "declined")
    assert (jane.email, jane.name, jane.response, jane.is_self) == (
        "jane@acme.example",
        "Jane Doe",
        "accepted",
        False,
    )
    assert bob.response == "needs-action"
    assert event.organizer is not None and event.organizer.email == "jane@acme.example"
    day = events[all_day["id"]]
    assert (day.start, day.end, day.all_day) == (dt.date(2027, 6, 11), dt.date(2027, 6, 12), True)


def test_me_addresses_mark_self_where_google_does_not(fake, tmp_path):
    fake.add_event(OWNER, timed("Interview", attendees=[{"email": "Alias@Example.org"}]))
    source = source_for(fake, tmp_path, me=("alias@example.org",))
    provider = open_source(source, CONFIG)
    try:
        (event,) = provider.read_changes(primary(provider), None, SCOPE).events
    finally:
        provider.close()

    assert event.attendees[0].is_self


def test_idle_incremental_read_is_one_request_per_calendar(fake, provider):
    jobs = fake.add_calendar("Jobs")
    fake.add_event(OWNER, timed("Interview with Acme"))
    fake.add_event(jobs, timed("Interview at Foo"))
    calendars = [c for c in provider.list_calendars() if c.id in (OWNER, jobs)]
    tokens = {c.id: provider.read_changes(c, None, SCOPE).token for c in calendars}
    before = list_requests(fake)

    idle = [provider.read_changes(c, tokens[c.id], SCOPE) for c in calendars]

    assert list_requests(fake) - before == 2
    assert [(c.events, c.deleted, c.full) for c in idle] == [((), (), False)] * 2
    last = fake.requests.records[-1]
    assert last.query["syncToken"] and "timeMin" not in last.query
    assert last.query["singleEvents"] == ["true"] and last.query["showDeleted"] == ["true"]


def test_incremental_read_reports_changes_and_deletions(fake, provider):
    calendar = primary(provider)
    moved = fake.add_event(OWNER, timed("Interview with Acme"))
    gone = fake.add_event(OWNER, timed("Interview at Foo"))
    token = provider.read_changes(calendar, None, SCOPE).token

    fake.modify_event(OWNER, moved["id"], {"summary": "Interview with Acme (moved)"})
    fake.remove_event(OWNER, gone["id"])
    changes = provider.read_changes(calendar, token, SCOPE)

    assert not changes.full
    assert [e.title for e in changes.events] == ["Interview with Acme (moved)"]
    assert changes.deleted == (gone["id"],)
    assert changes.token != token


def test_expired_sync_token_gives_one_full_reread(fake, provider):
    calendar = primary(provider)
    kept = fake.add_event(OWNER, timed("Interview with Acme"))
    token = provider.read_changes(calendar, None, SCOPE).token
    fake.expire_sync_tokens()
    before = list_requests(fake)

    changes = provider.read_changes(calendar, token, SCOPE)

    assert changes.full
    assert [e.id for e in changes.events] == [kept["id"]]
    assert list_requests(fake) - before == 2  # the refused token, then the full read
    statuses = [r.status for r in fake.requests.records if r.path.endswith("/events")][-2:]
    assert statuses == [410, 200]
    assert not provider.read_changes(calendar, changes.token, SCOPE).full


def test_a_read_walks_every_page(fake, provider):
    for n in range(750):
        fake.add_event(OWNER, timed(f"Event {n}", day=1 + n % 28, hour=n % 24))
    provider.page_size = 250
    calendar = primary(provider)
    before = list_requests(fake)

    changes = provider.read_changes(calendar, None, SCOPE)

    assert list_requests(fake) - before == 3
    assert len({e.id for e in changes.events}) == 750
    idle = provider.read_changes(calendar, changes.token, SCOPE)
    assert (idle.events, idle.full) == ((), False)
    assert list_requests(fake) - before == 4


def test_first_read_is_bounded_by_start_and_end(fake, provider):
    fake.add_event(OWNER, {"summary": "Old interview", **hour_at(dt.datetime(2026, 6, 1))})
    fake.add_event(OWNER, {"summary": "Far ahead", **hour_at(dt.datetime(2029, 6, 1))})
    fake.add_event(OWNER, {"summary": "Interview", **hour_at(dt.datetime(2027, 6, 1))})

    changes = provider.read_changes(primary(provider), None, SCOPE)

    # The window means the same on every provider (docs/providers.md): nothing ending
    # before its start, nothing starting at or after its end (the core's window
    # reaches as far ahead as the follow-ups do).
    assert [e.title for e in changes.events] == ["Interview"]
    assert fake.requests.records[-1].query["timeMin"] == ["2027-01-01T00:00:00Z"]
    assert fake.requests.records[-1].query["timeMax"] == ["2028-01-01T00:00:00Z"]


def test_recurring_interview_expands_to_instances_and_deletions_show(fake, provider):
    calendar = primary(provider)
    series = fake.add_event(
        OWNER,
        {
            "summary": "Interview loop with Acme",
            "start": {"dateTime": "2027-06-07T10:00:00+01:00", "timeZone": "Europe/London"},
            "end": {"dateTime": "2027-06-07T11:00:00+01:00", "timeZone": "Europe/London"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
        },
    )
    first = provider.read_changes(calendar, None, SCOPE)
    instances = sorted(e.id for e in first.events)
    assert len(set(instances)) == 3
    assert all(i.startswith(series["id"] + "_") for i in instances)
    assert {e.resource for e in first.events} == set(instances)
    assert {e.start for e in first.events} == {
        dt.datetime(2027, 6, d, 9, tzinfo=dt.UTC) for d in (7, 14, 21)
    }

    fake.remove_event(OWNER, instances[1])
    one_cancelled = provider.read_changes(calendar, first.token, SCOPE)
    assert one_cancelled.deleted == (instances[1],)
    assert one_cancelled.events == ()

    fake.remove_event(OWNER, series["id"])
    series_gone = provider.read_changes(calendar, one_cancelled.token, SCOPE)
    assert series_gone.events == ()
    # Google reports a deleted series as its instances or as the one series id;
    # either way every instance is covered (an instance names its series in `series`).
    deleted = set(series_gone.deleted)
    assert all(i in deleted or series["id"] in deleted for i in instances)
    assert {e.series for e in first.events} == {series["id"]}


# --- writing


def test_create_get_update_delete_with_etags(fake, provider):
    calendar = primary(provider)
    followup = make_followup(calendar.id)

    created = provider.create(followup)

    assert created.id == created.resource == followup.id
    assert created.markers == followup.markers
    assert created.reminders == (0, 30)
    assert content_fingerprint(created) == followup.fingerprint
    stored = fake.event(OWNER, followup.id)
    assert stored is not None
    assert stored["transparency"] == "transparent"
    assert stored["start"]["timeZone"] == "Europe/London"
    assert stored["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 0}, {"method": "popup", "minutes": 30}],
    }
    assert provider.get(calendar.id, followup.id) == created

    moved = dataclasses.replace(followup, title="Thank-you letter: Acme Ltd", reminders=(5,))
    updated = provider.update(moved, created.resource, created.etag)

    patch = fake.requests.records[-1]
    assert (patch.method, patch.headers["if-match"]) == ("PATCH", created.etag)
    assert updated.etag != created.etag
    assert (updated.title, updated.reminders) == ("Thank-you letter: Acme Ltd", (5,))
    assert content_fingerprint(updated) == moved.fingerprint == updated.markers.fingerprint

    provider.delete(calendar.id, updated.resource, updated.etag)

    assert fake.requests.records[-1].headers["if-match"] == updated.etag
    assert fake.event(OWNER, followup.id)["status"] == "cancelled"
    assert provider.get(calendar.id, followup.id) is None


def test_own_writes_read_back_as_unchanged_when_known(fake, provider):
    calendar = primary(provider)
    token = provider.read_changes(calendar, None, SCOPE).token
    created = provider.create(make_followup(calendar.id))

    changes = provider.read_changes(calendar, token, SCOPE, {created.resource: created.etag})
    full = provider.read_changes(calendar, None, SCOPE)

    assert (changes.events, changes.unchanged) == ((), (created.resource,))
    assert [e.markers for e in full.events] == [created.markers]


def test_create_over_a_live_followup_is_a_conflict(fake, provider):
    calendar = primary(provider)
    followup = make_followup(calendar.id)
    provider.create(followup)

    with pytest.raises(ConflictError):
        provider.create(dataclasses.replace(followup, title="Another title"))

    assert [e["id"] for e in fake.events(OWNER)] == [followup.id]
    assert fake.event(OWNER, followup.id)["summary"] == followup.title


def test_create_over_a_deleted_id_revives_it(fake, provider):
    calendar = primary(provider)
    followup = make_followup(calendar.id)
    first = provider.create(followup)
    provider.delete(calendar.id, first.resource, first.etag)

    again = provider.create(followup)

    assert again.status == "confirmed"
    assert content_fingerprint(again) == followup.fingerprint
    assert [e["id"] for e in fake.events(OWNER)] == [followup.id]
    assert fake.event(OWNER, followup.id)["status"] == "confirmed"
    assert provider.get(calendar.id, followup.id) == again


def test_stale_etag_update_and_delete_conflict_and_keep_the_users_version(fake, provider):
    calendar = primary(provider)
    followup = make_followup(calendar.id)
    created = provider.create(followup)
    fake.modify_event(OWNER, followup.id, {"summary": "My own words"})

    with pytest.raises(ConflictError):
        provider.update(followup, created.resource, created.etag)
    with pytest.raises(ConflictError):
        provider.delete(calendar.id, created.resource, created.etag)

    stored = fake.event(OWNER, followup.id)
    assert (stored["summary"], stored["status"]) == ("My own words", "confirmed")
    # (after a 412 the provider reads the event, to tell "changed" from "deleted")
    writes = [r for r in fake.requests.records if r.method in ("PATCH", "DELETE")]
    assert writes[-1].status == 412


def test_writes_to_an_unknown_event_are_not_found(provider):
    calendar = primary(provider)
    followup = make_followup(calendar.id)

    with pytest.raises(NotFoundError):
        provider.update(followup, followup.id, '"1"')
    with pytest.raises(NotFoundError):
        provider.delete(calendar.id, followup.id, '"1"')
    assert provider.get(calendar.id, followup.id) is None


# --- credentials


def test_missing_token_file_names_the_auth_command(fake, tmp_path):
    source = source_for(fake, tmp_path, token_file=tmp_path / "absent.json")

    with pytest.raises(AuthError) as caught:
        open_source(source, CONFIG)

    # the line a user sees: the source once, what happened, the command that fixes it
    line = source_line("gmail", caught.value)
    assert line == "gmail: not authorized yet; run: syncd auth google gmail"


def test_a_token_without_the_needed_scopes_names_the_auth_command(fake, tmp_path):
    source = source_for(fake, tmp_path)
    token_file = source.settings.token_file
    token = json.loads(token_file.read_text())
    token["scopes"] = ["https://www.googleapis.com/auth/calendar.events.readonly"]
    token_file.write_text(json.dumps(token))

    with pytest.raises(AuthError) as caught:
        open_source(source, CONFIG)

    assert "lacks permission" in str(caught.value)
    assert str(caught.value).endswith("run: syncd auth google gmail")


def test_refresh_writes_the_token_file_back_0600(fake, provider, tmp_path):
    path = tmp_path / "gmail.token.json"
    os.chmod(path, 0o644)
    assert "token" not in json.loads(path.read_text())

    provider.read_changes(primary(provider), None, SCOPE)

    saved = json.loads(path.read_text())
    assert saved["token"] and saved["refresh_token"]
    assert saved["token_uri"] == fake.token_uri  # honoured, and kept
    assert saved["type"] == "authorized_user"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert fake.requests.count("POST", "/token") == 1
