"""The Google fake as real accounts are: access roles, hidden and vanished calendars,
scopes and granular consent (event types, tombstones and id shapes: test_google_events.py).

Driven through the real googleapiclient, as test_google_fake.py does; each test
names the Google behaviour it pins down.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .google_calendar import FakeGoogleCalendar
from .google_client import (
    AUTH,
    HOLIDAYS,
    OWNER,
    PARTNER,
    error_of,
    listed,
    service_with,
    timed,
)


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(account=OWNER, time_zone="America/New_York") as running:
        yield running


@pytest.fixture
def service(fake: FakeGoogleCalendar) -> Any:
    return service_with(fake)


# -- the calendar list ---------------------------------------------------------------------


@pytest.fixture
def shared(fake: FakeGoogleCalendar) -> dict[str, str]:
    """The calendars of a real account: its own, a colleague's, a partner's, holidays."""
    return {
        "jobs": fake.add_calendar("Jobs", time_zone="Europe/London"),
        "team": fake.add_calendar("Team", access_role="writer"),
        "partner": fake.add_calendar(
            "Partner", PARTNER, "Europe/Paris", access_role="reader", summary_override="Sam"
        ),
        "boss": fake.add_calendar("Boss", access_role="freeBusyReader"),
        "holidays": fake.add_calendar(
            "Holidays in United States", HOLIDAYS, access_role="reader", hidden=True
        ),
    }


def test_entries_state_role_zone_primary_hidden_and_the_users_own_name(service, shared):
    entries = {e["id"]: e for e in service.calendarList().list(showHidden=True).execute()["items"]}

    roles = {e["summary"]: e["accessRole"] for e in entries.values()}
    assert roles == {
        OWNER: "owner",
        "Jobs": "owner",
        "Team": "writer",
        "Partner": "reader",
        "Boss": "freeBusyReader",
        "Holidays in United States": "reader",
    }
    assert entries[OWNER]["primary"] is True and entries[OWNER]["timeZone"] == "America/New_York"
    assert [i for i, e in entries.items() if "primary" in e] == [OWNER]
    assert entries[shared["jobs"]]["timeZone"] == "Europe/London"
    assert entries[PARTNER]["summaryOverride"] == "Sam"
    assert [i for i, e in entries.items() if e.get("hidden")] == [HOLIDAYS]
    assert "hidden" not in entries[OWNER]  # Google sends it only when true


def test_hidden_entries_only_with_show_hidden_and_min_access_role_filters(service, shared):
    plain = service.calendarList().list().execute()["items"]
    writers = service.calendarList().list(minAccessRole="writer").execute()["items"]

    assert HOLIDAYS not in {e["id"] for e in plain}
    assert {e["summary"] for e in writers} == {OWNER, "Jobs", "Team"}


def test_calendars_insert_adds_an_owned_calendar_to_the_list(service):
    created = service.calendars().insert(body={"summary": "Follow-ups"}).execute()

    entry = service.calendarList().get(calendarId=created["id"]).execute()
    assert created["id"].endswith("@group.calendar.google.com")
    assert (entry["accessRole"], entry["timeZone"]) == ("owner", "America/New_York")
    assert "primary" not in entry


# -- what each role may do -------------------------------------------------------------


@pytest.mark.parametrize("role", ["reader", "freeBusyReader"])
def test_event_writes_need_writer_access(fake, service, shared, role):
    calendar = shared["partner"] if role == "reader" else shared["boss"]
    theirs = fake.add_event(calendar, timed("Dentist"))
    events = service.events()

    refused = [
        error_of(events.insert(calendarId=calendar, body=timed("Mine"))),
        error_of(events.patch(calendarId=calendar, eventId=theirs["id"], body={"summary": "x"})),
        error_of(events.delete(calendarId=calendar, eventId=theirs["id"])),
    ]

    assert refused == [(403, "requiredAccessLevel")] * 3
    assert fake.event(calendar, theirs["id"])["status"] == "confirmed"
    written = events.insert(calendarId=shared["team"], body=timed("Shared work")).execute()
    assert written["status"] == "confirmed"


def test_a_free_busy_reader_sees_busy_times_only(fake, service, shared):
    private = {"extendedProperties": {"private": {"k": "v"}}, "description": "secret"}
    busy = fake.add_event(shared["boss"], timed("Interview at Initech", **private))

    answer = listed(service, shared["boss"])
    fetched = service.events().get(calendarId=shared["boss"], eventId=busy["id"]).execute()

    assert answer["accessRole"] == "freeBusyReader"
    (item,) = answer["items"]
    assert fetched == item
    assert item["start"] == {"dateTime": "2024-03-04T04:00:00-05:00"}
    assert not {"summary", "description", "extendedProperties", "organizer"} & set(item)


def test_a_reader_sees_private_events_as_busy_times_and_others_whole(fake, service, shared):
    fake.add_event(shared["partner"], timed("Interview at Hooli", visibility="private"))
    fake.add_event(shared["partner"], timed("Dinner", day=5))

    answer = listed(service, shared["partner"])

    assert answer["accessRole"] == "reader"
    assert [item.get("summary") for item in answer["items"]] == [None, "Dinner"]


# -- calendars that vanish -------------------------------------------------------------


def test_a_deleted_calendar_answers_404_to_everything_and_leaves_the_list(fake, service, shared):
    jobs = shared["jobs"]
    token = service.calendarList().list().execute()["nextSyncToken"]
    event = service.events().insert(calendarId=jobs, body=timed("Interview")).execute()

    service.calendars().delete(calendarId=jobs).execute()

    events, calendars = service.events(), service.calendars()
    assert {
        error_of(events.list(calendarId=jobs)),
        error_of(events.get(calendarId=jobs, eventId=event["id"])),
        error_of(events.insert(calendarId=jobs, body=timed("Again"))),
        error_of(calendars.get(calendarId=jobs)),
        error_of(service.calendarList().get(calendarId=jobs)),
    } == {(404, "notFound")}
    assert jobs not in {e["id"] for e in service.calendarList().list().execute()["items"]}
    changes = service.calendarList().list(syncToken=token).execute()["items"]
    assert [(e["id"], e.get("deleted")) for e in changes] == [(jobs, True)]


def test_only_the_owner_deletes_a_calendar_and_never_the_primary_one(service, shared):
    calendars = service.calendars()

    assert error_of(calendars.delete(calendarId=shared["partner"])) == (403, "requiredAccessLevel")
    assert error_of(calendars.delete(calendarId="primary"))[0] == 400


def test_a_calendar_no_longer_shared_is_gone_too(fake, service, shared):
    fake.delete_calendar(PARTNER)

    assert error_of(service.events().list(calendarId=PARTNER)) == (404, "notFound")


def test_a_sync_token_of_a_deleted_calendar_is_404(fake, service, shared):
    token = listed(service, shared["jobs"])["nextSyncToken"]
    fake.delete_calendar(shared["jobs"])

    answer = service.events().list(calendarId=shared["jobs"], syncToken=token)
    assert error_of(answer) == (404, "notFound")


# -- scopes and granular consent -------------------------------------------------------


def test_each_method_needs_one_of_its_scopes(fake):
    reader = service_with(fake, "calendar.events.readonly")
    narrow = service_with(fake, "calendar.events", "calendar.calendarlist.readonly")
    creator = service_with(fake, "calendar.app.created")

    assert listed(reader)["items"] == []
    assert error_of(reader.events().insert(calendarId="primary", body=timed("x"))) == (
        403,
        "insufficientPermissions",
    )
    assert narrow.calendarList().list().execute()["items"]
    made = narrow.calendars().insert(body={"summary": "Follow-ups"})
    assert error_of(made) == (403, "insufficientPermissions")
    assert creator.calendars().insert(body={"summary": "Follow-ups"}).execute()["id"]


def test_an_unticked_scope_is_left_out_of_the_grant(fake):
    asked = [AUTH + "calendar.events", AUTH + "calendar.app.created"]
    fake.untick_scopes(AUTH + "calendar.app.created")
    params = {
        "response_type": "code",
        "client_id": fake.CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:8765/",
        "scope": " ".join(asked),
        "access_type": "offline",
    }

    answer = requests.get(fake.auth_uri, params=params, allow_redirects=False, timeout=5)
    redirected = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)
    exchange = {
        "grant_type": "authorization_code",
        "code": redirected["code"][0],
        "redirect_uri": "http://127.0.0.1:8765/",
        "client_id": fake.CLIENT_ID,
        "client_secret": fake.CLIENT_SECRET,
    }
    tokens = requests.post(fake.token_uri, data=exchange, timeout=5).json()

    assert redirected["scope"] == [AUTH + "calendar.events"]
    assert tokens["scope"] == AUTH + "calendar.events"
