"""The Google fake's events as real accounts hold them: every event type and its rules,
tombstones that keep their fields, occurrence ids of other shapes.

Driven through the real googleapiclient; each test names the Google behaviour it
pins down.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .google_calendar import FakeGoogleCalendar
from .google_client import OWNER, all_day, error_of, listed, service_with, timed


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(account=OWNER, time_zone="America/New_York") as running:
        yield running


@pytest.fixture
def service(fake: FakeGoogleCalendar) -> Any:
    return service_with(fake)


@pytest.fixture
def shared(fake: FakeGoogleCalendar) -> dict[str, str]:
    return {"jobs": fake.add_calendar("Jobs", time_zone="Europe/London")}


# -- event types -----------------------------------------------------------------------


def seeded_types(fake: FakeGoogleCalendar) -> dict[str, dict[str, Any]]:
    """One event of every type on the primary calendar, as Google Calendar makes them."""
    yearly = {"recurrence": ["RRULE:FREQ=YEARLY"]}
    return {
        "default": fake.add_event(OWNER, timed("Interview at Acme")),
        "outOfOffice": fake.add_event(
            OWNER, timed("Out of office: interview at Umbrella", eventType="outOfOffice")
        ),
        "focusTime": fake.add_event(OWNER, timed("Focus", day=5, eventType="focusTime")),
        "workingLocation": fake.add_event(
            OWNER, all_day("Home", eventType="workingLocation", visibility="public")
        ),
        "birthday": fake.add_event(
            OWNER,
            all_day(
                "Ann's birthday",
                eventType="birthday",
                birthdayProperties={"type": "birthday", "contact": "people/c1"},
                **yearly,
            ),
        ),
        "fromGmail": fake.add_event(OWNER, timed("Flight to Berlin", day=6, eventType="fromGmail")),
    }


def test_every_event_type_is_stored_and_listed(fake, service):
    made = seeded_types(fake)

    items = listed(service, singleEvents=True, timeMax="2024-12-31T00:00:00Z")["items"]

    types = {item["eventType"] for item in items}
    assert types == set(made) == {
        "default", "outOfOffice", "focusTime", "workingLocation", "birthday", "fromGmail",
    }  # fmt: skip
    only = listed(service, eventTypes=["default", "fromGmail"])["items"]
    assert {item["eventType"] for item in only} == {"default", "fromGmail"}


def test_the_api_creates_status_events_on_the_primary_calendar_only(service, shared):
    events = service.events()
    away = timed("Away", eventType="outOfOffice")

    made = events.insert(calendarId="primary", body=away).execute()

    assert made["eventType"] == "outOfOffice"
    assert error_of(events.insert(calendarId=shared["jobs"], body=away))[0] == 400
    focus_all_day = all_day("Focus", eventType="focusTime")
    assert error_of(events.insert(calendarId="primary", body=focus_all_day))[0] == 400
    gmail = timed("Flight", eventType="fromGmail")
    assert error_of(events.insert(calendarId="primary", body=gmail))[0] == 400
    birthday = all_day("Ann", eventType="birthday")  # not yearly
    assert error_of(events.insert(calendarId="primary", body=birthday))[0] == 400


def test_a_type_never_changes_and_restricted_types_keep_their_fields(fake, service):
    made = seeded_types(fake)
    events = service.events()

    def patch(kind: str, body: dict[str, Any]) -> Any:
        return events.patch(calendarId="primary", eventId=made[kind]["id"], body=body)

    assert error_of(patch("default", {"eventType": "outOfOffice"}))[0] == 400
    assert error_of(patch("fromGmail", {"summary": "Renamed"}))[0] == 400
    kept = patch("fromGmail", {"colorId": "5", "reminders": {"useDefault": False}}).execute()
    assert (kept["colorId"], kept["eventType"]) == ("5", "fromGmail")
    birthday = f"{made['birthday']['id']}_20240304"
    renamed = events.patch(calendarId="primary", eventId=birthday, body={"summary": "x"})
    assert error_of(renamed)[0] == 400
    assert patch("outOfOffice", {"summary": "Out of office"}).execute()["summary"] == (
        "Out of office"
    )


# -- tombstones ------------------------------------------------------------------------


def test_a_deleted_event_keeps_its_fields_with_show_deleted(fake, service):
    marked = {"extendedProperties": {"private": {"syncd.kind": "thank-you"}}}
    event = service.events().insert(calendarId="primary", body=timed("Thanks", **marked)).execute()
    token = listed(service)["nextSyncToken"]
    service.events().delete(calendarId="primary", eventId=event["id"]).execute()

    full = listed(service, showDeleted=True)["items"]
    incremental = listed(service, syncToken=token, showDeleted=True)["items"]
    bare = listed(service, syncToken=token)["items"]

    for item in (*full, *incremental):
        assert (item["status"], item["summary"]) == ("cancelled", "Thanks")
        assert item["extendedProperties"] == marked["extendedProperties"]
        assert item["start"] == {"dateTime": "2024-03-04T04:00:00-05:00"}
    assert set(bare[0]) == {"kind", "etag", "id", "status"}


def test_a_cancelled_instance_of_a_live_series_shows_only_what_google_guarantees(service):
    weekly = timed("Standup", recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"])
    weekly["start"]["timeZone"] = weekly["end"]["timeZone"] = "UTC"
    series = service.events().insert(calendarId="primary", body=weekly).execute()
    second = f"{series['id']}_20240311T090000Z"
    service.events().delete(calendarId="primary", eventId=second).execute()

    items = listed(service, singleEvents=True, showDeleted=True)["items"]

    cancelled = next(item for item in items if item["id"] == second)
    assert set(cancelled) == {
        "kind",
        "etag",
        "id",
        "status",
        "recurringEventId",
        "originalStartTime",
    }


# -- occurrence ids of other shapes ----------------------------------------------------

OUTLOOK = "_6p332d1g85148b9m6cr3ib9k651jab9o70pjib9h6gr4ae1m6go44gi48o"


def test_an_outlook_series_has_ids_starting_with_an_underscore(fake, service):
    weekly = timed("Interview loop", recurrence=["RRULE:FREQ=WEEKLY;COUNT=2"], id=OUTLOOK)
    weekly["start"]["timeZone"] = weekly["end"]["timeZone"] = "Europe/London"
    fake.add_event(OWNER, weekly)

    items = listed(service, singleEvents=True)["items"]
    got = service.events().get(calendarId="primary", eventId=items[1]["id"]).execute()

    assert [(i["id"], i["recurringEventId"]) for i in items] == [
        (f"{OUTLOOK}_20240304T090000Z", OUTLOOK),
        (f"{OUTLOOK}_20240311T090000Z", OUTLOOK),
    ]
    assert got == items[1]
    # Only Google makes such ids: a client's must be base32hex.
    assert error_of(service.events().insert(calendarId="primary", body=timed("x", id=OUTLOOK))) == (
        400,
        "invalid",
    )


def test_this_and_following_splits_a_series_under_an_r_id(fake, service):
    weekly = timed("Interview loop", recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    weekly["start"]["timeZone"] = weekly["end"]["timeZone"] = "UTC"
    series = fake.add_event(OWNER, weekly)["id"]
    token = listed(service, singleEvents=True)["nextSyncToken"]

    new = fake.split_series(OWNER, f"{series}_20240318T090000Z", {"summary": "Final rounds"})

    assert new["id"] == f"{series}_R20240318T090000"
    assert new["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=2"]
    live = listed(service, singleEvents=True)["items"]
    assert [(i["id"], i["recurringEventId"], i["summary"]) for i in live] == [
        (f"{series}_20240304T090000Z", series, "Interview loop"),
        (f"{series}_20240311T090000Z", series, "Interview loop"),
        (f"{new['id']}_20240318T090000Z", new["id"], "Final rounds"),
        (f"{new['id']}_20240325T090000Z", new["id"], "Final rounds"),
    ]
    changes = listed(service, singleEvents=True, syncToken=token)["items"]
    gone = {i["id"] for i in changes if i["status"] == "cancelled"}
    assert gone == {f"{series}_20240318T090000Z", f"{series}_20240325T090000Z"}
    assert {i["id"] for i in changes if i["status"] == "confirmed"} == {i["id"] for i in live}
