"""The Google Calendar fake, driven through the real googleapiclient and google-auth.

What these tests pin down is what syncd relies on: Google's status codes, error
reasons and shapes as the client library parses them, sync and page tokens, and the
OAuth refresh path of google-auth.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth.exceptions
import pytest
import requests
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from .google_calendar import FakeGoogleCalendar

OWNER = "me@example.com"
SERIES_START = {"dateTime": "2024-01-08T10:00:00+01:00", "timeZone": "Europe/Berlin"}
SERIES_END = {"dateTime": "2024-01-08T11:00:00+01:00", "timeZone": "Europe/Berlin"}


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar(account=OWNER) as running:
        yield running


def calendar_service(fake: FakeGoogleCalendar, access: str, refresh: str) -> Any:
    """The client exactly as syncd builds it, pointed at the fake."""
    credentials = Credentials(
        token=access,
        refresh_token=refresh,
        token_uri=fake.base_url + "token",
        client_id=fake.CLIENT_ID,
        client_secret=fake.CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": fake.base_url + "calendar/v3/"},
    )


@pytest.fixture
def service(fake: FakeGoogleCalendar) -> Any:
    return calendar_service(fake, *fake.issue_tokens())


def timed(summary: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}, **fields}


def interview(**fields: Any) -> dict[str, Any]:
    return {**timed("Interview ACME", "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z"), **fields}


def http_error(call: Any) -> HttpError:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value


def reason_of(error: HttpError) -> str:
    return error.error_details[0]["reason"]


def list_all(service: Any, **params: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk every page; return (items, raw pages)."""
    pages, token = [], None
    while True:
        page = service.events().list(calendarId="primary", pageToken=token, **params).execute()
        pages.append(page)
        token = page.get("nextPageToken")
        if token is None:
            return [item for p in pages for item in p["items"]], pages


# -- paths and basic CRUD ------------------------------------------------------------------


def test_api_endpoint_option_keeps_googles_paths(fake, service):
    calendar_id = fake.add_calendar("Jobs", calendar_id="jobs@group.calendar.google.com")

    service.events().list(calendarId=calendar_id).execute()

    record = fake.requests.records[-1]
    assert record.path == "/calendar/v3/calendars/jobs%40group.calendar.google.com/events"
    assert record.status == 200


def test_insert_get_list_patch_delete_round_trip(fake, service):
    created = service.events().insert(calendarId="primary", body=interview()).execute()
    assert created["status"] == "confirmed"
    assert created["kind"] == "calendar#event"
    assert created["etag"].startswith('"') and created["etag"].endswith('"')

    fetched = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert fetched == created

    listed = service.events().list(calendarId="primary").execute()
    assert [item["id"] for item in listed["items"]] == [created["id"]]

    patched = (
        service.events()
        .patch(calendarId="primary", eventId=created["id"], body={"location": "Berlin"})
        .execute()
    )
    assert patched["location"] == "Berlin"
    assert patched["summary"] == "Interview ACME"
    assert patched["etag"] != created["etag"]

    service.events().delete(calendarId="primary", eventId=created["id"]).execute()

    deleted = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert deleted["status"] == "cancelled"
    assert service.events().list(calendarId="primary").execute()["items"] == []


def test_second_delete_is_410_deleted(service):
    created = service.events().insert(calendarId="primary", body=interview()).execute()
    service.events().delete(calendarId="primary", eventId=created["id"]).execute()

    error = http_error(service.events().delete(calendarId="primary", eventId=created["id"]))

    assert error.status_code == 410
    assert reason_of(error) == "deleted"


def test_unknown_event_is_404_not_found(service):
    error = http_error(service.events().get(calendarId="primary", eventId="nosuchevent"))

    assert error.status_code == 404
    assert error.error_details == [
        {"domain": "global", "reason": "notFound", "message": "Not Found"}
    ]


def test_update_replaces_the_whole_event(service):
    created = service.events().insert(calendarId="primary", body=interview(location="Berlin"))
    created = created.execute()

    replaced = (
        service.events()
        .update(calendarId="primary", eventId=created["id"], body=interview(summary="Moved"))
        .execute()
    )

    assert replaced["summary"] == "Moved"
    assert "location" not in replaced


def test_times_come_back_in_the_calendar_zone_with_attendee_self(service):
    body = interview(attendees=[{"email": OWNER}, {"email": "hr@acme.example"}])
    created = service.events().insert(calendarId="primary", body=body).execute()

    berlin = (
        service.events()
        .get(calendarId="primary", eventId=created["id"], timeZone="Europe/Berlin")
        .execute()
    )

    assert created["start"] == {"dateTime": "2024-03-04T09:00:00Z"}
    assert berlin["start"] == {"dateTime": "2024-03-04T10:00:00+01:00"}
    by_email = {a["email"]: a for a in created["attendees"]}
    assert by_email[OWNER]["self"] is True
    assert "self" not in by_email["hr@acme.example"]
    assert by_email["hr@acme.example"]["responseStatus"] == "needsAction"
    assert created["organizer"] == {"email": OWNER, "self": True}


def test_time_range_filters_on_end_after_min_and_start_before_max(service):
    for hour in (8, 10, 12):
        body = timed(
            f"at {hour}", f"2024-03-04T{hour:02}:00:00Z", f"2024-03-04T{hour + 1:02}:00:00Z"
        )
        service.events().insert(calendarId="primary", body=body).execute()

    listed = (
        service.events()
        .list(
            calendarId="primary",
            timeMin="2024-03-04T09:00:00Z",  # the 8-9 event ends exactly here: excluded
            timeMax="2024-03-04T12:00:00Z",  # the 12-13 event starts exactly here: excluded
        )
        .execute()
    )

    assert [item["summary"] for item in listed["items"]] == ["at 10"]


# -- paging and sync tokens ------------------------------------------------------------------


def test_paging_gives_sync_token_only_on_the_last_page(fake, service):
    for n in range(750):
        minute = f"{n % 60:02}"
        fake.add_event(OWNER, timed(f"e{n}", f"2024-03-04T09:{minute}:00Z", "2024-03-05T00:00:00Z"))

    items, pages = list_all(service)

    assert [len(page["items"]) for page in pages] == [250, 250, 250]
    assert ["nextSyncToken" in page for page in pages] == [False, False, True]
    assert ["nextPageToken" in page for page in pages] == [True, True, False]
    assert len({item["id"] for item in items}) == 750


def test_a_page_token_replays_the_same_page(fake, service):
    for n in range(3):
        fake.add_event(OWNER, interview(summary=f"e{n}"))
    first = service.events().list(calendarId="primary", maxResults=2).execute()

    again = [
        service.events()
        .list(calendarId="primary", maxResults=2, pageToken=first["nextPageToken"])
        .execute()
        for _ in range(2)
    ]

    assert again[0]["items"] == again[1]["items"]
    assert [item["summary"] for item in again[0]["items"]] == ["e2"]


def test_incremental_sync_returns_changes_and_deletions(fake, service):
    kept = fake.add_event(OWNER, interview(summary="kept"))
    moved = fake.add_event(OWNER, interview(summary="to move"))
    gone = fake.add_event(OWNER, interview(summary="to delete"))
    _, pages = list_all(service, singleEvents=True, showDeleted=False)
    token = pages[-1]["nextSyncToken"]

    fake.modify_event(OWNER, moved["id"], {"summary": "moved"})
    fake.remove_event(OWNER, gone["id"])
    added = service.events().insert(calendarId="primary", body=interview(summary="new")).execute()
    changes, pages = list_all(service, singleEvents=True, showDeleted=False, syncToken=token)

    by_id = {item["id"]: item for item in changes}
    assert set(by_id) == {moved["id"], gone["id"], added["id"]}
    assert kept["id"] not in by_id
    assert by_id[moved["id"]]["summary"] == "moved"
    assert set(by_id[gone["id"]]) == {"kind", "etag", "id", "status"}
    assert by_id[gone["id"]]["status"] == "cancelled"
    assert pages[-1]["nextSyncToken"] != token

    quiet, _ = list_all(service, singleEvents=True, syncToken=pages[-1]["nextSyncToken"])
    assert quiet == []


def test_expired_sync_token_is_410_full_sync_required(fake, service):
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    fake.expire_sync_tokens()

    error = http_error(service.events().list(calendarId="primary", syncToken=token))

    assert error.status_code == 410
    assert reason_of(error) == "fullSyncRequired"
    assert service.events().list(calendarId="primary").execute()["nextSyncToken"]


@pytest.mark.parametrize(
    "conflicting",
    [
        {"timeMin": "2024-01-01T00:00:00Z"},
        {"timeMax": "2024-01-01T00:00:00Z"},
        {"q": "interview"},
        {"orderBy": "updated"},
        {"updatedMin": "2024-01-01T00:00:00Z"},
        {"privateExtendedProperty": "syncd.kind=thank-you"},
    ],
)
def test_sync_token_with_a_filter_is_400(service, conflicting):
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]

    error = http_error(service.events().list(calendarId="primary", syncToken=token, **conflicting))

    assert error.status_code == 400
    assert error.error_details[0]["location"] == next(iter(conflicting))


def test_order_by_start_time_needs_single_events(service):
    error = http_error(service.events().list(calendarId="primary", orderBy="startTime"))

    assert error.status_code == 400


# -- parameter checking against the discovery document ----------------------------------------


def test_unknown_query_parameter_is_400_invalid_parameter(service):
    request = service.events().list(calendarId="primary")
    request.uri += "&sincToken=abc"

    error = http_error(request)

    assert error.status_code == 400
    assert reason_of(error) == "invalidParameter"
    assert error.error_details[0]["location"] == "sincToken"


@pytest.mark.parametrize(
    ("name", "value"), [("maxResults", "many"), ("singleEvents", "yes"), ("orderBy", "title")]
)
def test_ill_typed_query_parameter_is_400(service, name, value):
    request = service.events().list(calendarId="primary")
    request.uri += f"&{name}={value}"

    error = http_error(request)

    assert error.status_code == 400
    assert reason_of(error) == "invalidParameter"


def test_long_get_sent_as_post_with_method_override(fake, service):
    long_value = "x" * 2100
    fake.add_event(OWNER, interview(extendedProperties={"private": {"k": long_value[:1000]}}))

    listed = (
        service.events()
        .list(calendarId="primary", privateExtendedProperty=f"k={long_value}")
        .execute()
    )

    record = fake.requests.records[-1]
    assert record.headers["x-http-method-override"] == "GET"
    assert record.method == "GET" and record.status == 200
    assert listed["items"] == []


# -- ids -------------------------------------------------------------------------------------


def test_client_chosen_id_is_kept_and_a_reused_one_is_409_even_when_deleted(service):
    event_id = "0123456789abcdefghijklmnopqrstuv"
    created = service.events().insert(calendarId="primary", body=interview(id=event_id))
    assert created.execute()["id"] == event_id

    again = http_error(service.events().insert(calendarId="primary", body=interview(id=event_id)))
    assert again.status_code == 409
    assert reason_of(again) == "duplicate"

    service.events().delete(calendarId="primary", eventId=event_id).execute()
    after_delete = service.events().insert(calendarId="primary", body=interview(id=event_id))
    assert http_error(after_delete).status_code == 409


@pytest.mark.parametrize("bad_id", ["abcd", "ABCDEFGH", "abcdefgw", "abc-defg", "a" * 1025])
def test_id_outside_base32hex_rules_is_400(service, bad_id):
    error = http_error(service.events().insert(calendarId="primary", body=interview(id=bad_id)))

    assert error.status_code == 400
    assert reason_of(error) == "invalid"


# -- etags ------------------------------------------------------------------------------------


def test_stale_if_match_is_412_condition_not_met(fake, service):
    created = service.events().insert(calendarId="primary", body=interview()).execute()
    fake.modify_event(OWNER, created["id"], {"summary": "edited by the user"})

    request = service.events().patch(calendarId="primary", eventId=created["id"], body={})
    request.headers["If-Match"] = created["etag"]
    error = http_error(request)

    assert error.status_code == 412
    assert reason_of(error) == "conditionNotMet"
    assert fake.event(OWNER, created["id"])["summary"] == "edited by the user"


def test_current_if_match_is_accepted_on_update_and_delete(service):
    created = service.events().insert(calendarId="primary", body=interview()).execute()

    update = service.events().update(calendarId="primary", eventId=created["id"], body=interview())
    update.headers["If-Match"] = created["etag"]
    updated = update.execute()
    delete = service.events().delete(calendarId="primary", eventId=created["id"])
    delete.headers["If-Match"] = updated["etag"]
    delete.execute()

    assert service.events().get(calendarId="primary", eventId=created["id"]).execute()[
        "status"
    ] == ("cancelled")


def test_reminder_change_moves_etag_but_not_updated(service):
    created = service.events().insert(calendarId="primary", body=interview()).execute()
    reminders = {"useDefault": False, "overrides": [{"method": "popup", "minutes": 30}]}

    patched = (
        service.events()
        .patch(calendarId="primary", eventId=created["id"], body={"reminders": reminders})
        .execute()
    )

    assert patched["reminders"] == reminders
    assert patched["etag"] != created["etag"]
    assert patched["updated"] == created["updated"]


# -- reminders and extended properties ----------------------------------------------------------


def popups(*minutes: int) -> dict[str, Any]:
    return {"useDefault": False, "overrides": [{"method": "popup", "minutes": m} for m in minutes]}


@pytest.mark.parametrize(
    ("reminders", "reason"),
    [
        (popups(1, 2, 3, 4, 5, 6), "eventRemindersCountExceedsLimit"),
        (popups(40321), "invalid"),
        (popups(-1), "invalid"),
        ({**popups(10), "useDefault": True}, "cannotUseDefaultRemindersAndSpecifyOverride"),
    ],
)
def test_invalid_reminders_are_400(service, reminders, reason):
    body = interview(reminders=reminders)

    error = http_error(service.events().insert(calendarId="primary", body=body))

    assert error.status_code == 400
    assert reason_of(error) == reason


def test_five_overrides_up_to_four_weeks_are_accepted(service):
    body = interview(reminders=popups(0, 10, 60, 1440, 40320))

    created = service.events().insert(calendarId="primary", body=body).execute()

    assert created["reminders"] == popups(0, 10, 60, 1440, 40320)


def test_patching_use_default_onto_overrides_is_400_because_patch_merges(service):
    created = service.events().insert(calendarId="primary", body=interview(reminders=popups(5)))
    event_id = created.execute()["id"]

    merged = service.events().patch(
        calendarId="primary", eventId=event_id, body={"reminders": {"useDefault": True}}
    )
    assert reason_of(http_error(merged)) == "cannotUseDefaultRemindersAndSpecifyOverride"

    reset = {"reminders": {"useDefault": True, "overrides": None}}
    patched = service.events().patch(calendarId="primary", eventId=event_id, body=reset).execute()
    assert patched["reminders"] == {"useDefault": True}


def test_private_extended_properties_round_trip_merge_and_filter(fake, service):
    markers = {"syncd.kind": "thank-you", "syncd.interview": "abc123"}
    body = interview(extendedProperties={"private": markers})
    created = service.events().insert(calendarId="primary", body=body).execute()
    fake.add_event(OWNER, interview(summary="someone else's"))

    change = {"extendedProperties": {"private": {"syncd.fingerprint": "f1", "syncd.kind": None}}}
    patched = (
        service.events().patch(calendarId="primary", eventId=created["id"], body=change).execute()
    )
    found = (
        service.events()
        .list(calendarId="primary", privateExtendedProperty="syncd.interview=abc123")
        .execute()
    )

    assert created["extendedProperties"] == {"private": markers}
    assert patched["extendedProperties"]["private"] == {
        "syncd.interview": "abc123",
        "syncd.fingerprint": "f1",
    }
    assert [item["id"] for item in found["items"]] == [created["id"]]


# -- recurring events --------------------------------------------------------------------------


@pytest.fixture
def weekly_series(fake, service) -> dict[str, Any]:
    """Four Monday interviews 10:00 Berlin; the 2nd moved to 14:00, the 3rd cancelled."""
    body = {
        "summary": "Weekly loop",
        "start": SERIES_START,
        "end": SERIES_END,
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"],
    }
    series = service.events().insert(calendarId="primary", body=body).execute()
    second = f"{series['id']}_20240115T090000Z"
    third = f"{series['id']}_20240122T090000Z"
    moved = {
        "start": {"dateTime": "2024-01-15T14:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2024-01-15T15:00:00+01:00", "timeZone": "Europe/Berlin"},
    }
    service.events().patch(calendarId="primary", eventId=second, body=moved).execute()
    service.events().delete(calendarId="primary", eventId=third).execute()
    return series


def test_single_events_expands_a_weekly_series_with_exceptions(service, weekly_series):
    listed = (
        service.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", timeZone="UTC")
        .execute()
    )

    series_id = weekly_series["id"]
    assert [item["id"] for item in listed["items"]] == [
        f"{series_id}_20240108T090000Z",
        f"{series_id}_20240115T090000Z",
        f"{series_id}_20240129T090000Z",
    ]
    assert [item["start"]["dateTime"] for item in listed["items"]] == [
        "2024-01-08T09:00:00Z",
        "2024-01-15T13:00:00Z",
        "2024-01-29T09:00:00Z",
    ]
    moved = listed["items"][1]
    assert moved["recurringEventId"] == series_id
    assert moved["originalStartTime"] == {
        "dateTime": "2024-01-15T09:00:00Z",
        "timeZone": "Europe/Berlin",
    }
    assert all("recurrence" not in item for item in listed["items"])


def test_without_single_events_the_series_and_its_exceptions_are_listed(service, weekly_series):
    listed = service.events().list(calendarId="primary").execute()

    by_id = {item["id"]: item for item in listed["items"]}
    series_id = weekly_series["id"]
    assert by_id[series_id]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]
    assert by_id[f"{series_id}_20240122T090000Z"]["status"] == "cancelled"
    assert by_id[f"{series_id}_20240115T090000Z"]["status"] == "confirmed"


def test_incremental_sync_reports_a_cancelled_instance_with_its_series(service, weekly_series):
    token = service.events().list(calendarId="primary", singleEvents=True).execute()
    fourth = f"{weekly_series['id']}_20240129T090000Z"
    service.events().delete(calendarId="primary", eventId=fourth).execute()

    changes = (
        service.events()
        .list(calendarId="primary", singleEvents=True, syncToken=token["nextSyncToken"])
        .execute()
    )

    assert changes["items"] == [
        {
            "kind": "calendar#event",
            "etag": changes["items"][0]["etag"],
            "id": fourth,
            "status": "cancelled",
            "recurringEventId": weekly_series["id"],
            "originalStartTime": {"dateTime": "2024-01-29T09:00:00Z", "timeZone": "Europe/Berlin"},
        }
    ]


def test_incremental_sync_reports_a_deleted_series_by_its_own_id(service, weekly_series):
    token = service.events().list(calendarId="primary", singleEvents=True).execute()
    service.events().delete(calendarId="primary", eventId=weekly_series["id"]).execute()

    changes = (
        service.events()
        .list(calendarId="primary", singleEvents=True, syncToken=token["nextSyncToken"])
        .execute()
    )
    listed = service.events().list(calendarId="primary", singleEvents=True).execute()

    assert [(item["id"], item["status"]) for item in changes["items"]] == [
        (weekly_series["id"], "cancelled")
    ]
    assert listed["items"] == []


def test_daily_series_with_until_and_exdate(service):
    body = {
        "summary": "Daily standup",
        "start": SERIES_START,
        "end": SERIES_END,
        "recurrence": [
            "RRULE:FREQ=DAILY;UNTIL=20240111T235959Z",
            "EXDATE;TZID=Europe/Berlin:20240109T100000",
        ],
    }
    series = service.events().insert(calendarId="primary", body=body).execute()

    instances = service.events().instances(calendarId="primary", eventId=series["id"]).execute()

    assert [item["id"].split("_")[1] for item in instances["items"]] == [
        "20240108T090000Z",
        "20240110T090000Z",
        "20240111T090000Z",
    ]


def test_all_day_series_instance_ids_use_the_date(service):
    body = {
        "summary": "Decision day",
        "start": {"date": "2024-02-05"},
        "end": {"date": "2024-02-06"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
    }
    series = service.events().insert(calendarId="primary", body=body).execute()

    listed = service.events().list(calendarId="primary", singleEvents=True).execute()

    assert [item["id"] for item in listed["items"]] == [
        f"{series['id']}_20240205",
        f"{series['id']}_20240212",
    ]
    assert listed["items"][1]["start"] == {"date": "2024-02-12"}


def test_recurring_event_without_time_zone_is_400(service):
    body = interview(recurrence=["RRULE:FREQ=DAILY;COUNT=2"])

    error = http_error(service.events().insert(calendarId="primary", body=body))

    assert error.status_code == 400


# -- authentication ------------------------------------------------------------------------------


def test_request_without_token_is_401_in_googles_shape(fake):
    url = fake.base_url + "calendar/v3/calendars/primary/events"

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url)

    body = json.loads(caught.value.read())
    assert caught.value.code == 401
    assert body["error"]["code"] == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["errors"][0]["location"] == "Authorization"


def test_expired_access_token_makes_google_auth_refresh_and_retry(fake, service):
    fake.expire_access_tokens()

    listed = service.events().list(calendarId="primary").execute()

    assert listed["kind"] == "calendar#events"
    assert fake.requests.count("POST", "/token") == 1
    statuses = [r.status for r in fake.requests.records if "/events" in r.path]
    assert statuses == [401, 200]


def test_revoked_grant_raises_refresh_error_invalid_grant(fake):
    access, refresh = fake.issue_tokens()
    service = calendar_service(fake, access, refresh)
    fake.revoke_refresh_token(refresh)

    with pytest.raises(google.auth.exceptions.RefreshError) as caught:
        service.events().list(calendarId="primary").execute()

    assert "invalid_grant" in str(caught.value)
    assert "Token has been expired or revoked." in str(caught.value)


def test_authorized_user_file_needs_its_token_uri_set_again(fake, tmp_path):
    path = fake.authorized_user_json(tmp_path / "token.json")
    loaded = Credentials.from_authorized_user_file(str(path))
    credentials = loaded.with_token_uri(fake.token_uri)

    listed = fake.service(credentials).calendarList().list().execute()

    # google-auth 2.63 ignores a file's token_uri and always puts Google's in.
    assert loaded.token_uri == "https://oauth2.googleapis.com/token"
    assert [entry["id"] for entry in listed["items"]] == [OWNER]
    assert fake.requests.count("POST", "/token") == 1
    assert path.stat().st_mode & 0o777 == 0o600


# -- fault injection ------------------------------------------------------------------------------


def test_injected_429_carries_retry_after_and_googles_shape(fake, service):
    fake.inject(429, retry_after=7, path_contains="/events")

    error = http_error(service.events().list(calendarId="primary"))
    recovered = service.events().list(calendarId="primary").execute()

    assert error.status_code == 429
    assert error.resp["retry-after"] == "7"
    assert error.error_details == [
        {"domain": "usageLimits", "reason": "rateLimitExceeded", "message": "Rate Limit Exceeded"}
    ]
    assert recovered["kind"] == "calendar#events"


def test_injected_403_rate_limit_is_retried_by_the_client(fake, service, monkeypatch):
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)
    fake.inject(403, reason="userRateLimitExceeded", times=2, method="GET")

    listed = service.events().list(calendarId="primary").execute(num_retries=2)

    assert listed["kind"] == "calendar#events"
    assert [r.status for r in fake.requests.records] == [403, 403, 200]


def test_injected_403_forbidden_is_not_retried(fake, service, monkeypatch):
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)
    fake.inject(403)

    error = http_error(service.events().list(calendarId="primary"))

    assert reason_of(error) == "forbidden"
    assert fake.requests.count() == 1


# -- consent and code exchange -------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = "v" * 64
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def consent(fake: FakeGoogleCalendar, **overrides: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": fake.CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:8765/",
        "scope": fake.SCOPE,
        "state": "xyz-state",
        "access_type": "offline",
        **overrides,
    }
    return requests.get(fake.auth_uri, params=params, allow_redirects=False, timeout=5)


def test_consent_redirects_with_code_and_state_and_the_code_exchanges_once(fake):
    verifier, challenge = pkce_pair()
    answer = consent(fake, code_challenge=challenge, code_challenge_method="S256")
    location = urllib.parse.urlsplit(answer.headers["Location"])
    redirected = urllib.parse.parse_qs(location.query)

    exchange = {
        "grant_type": "authorization_code",
        "code": redirected["code"][0],
        "redirect_uri": "http://127.0.0.1:8765/",
        "client_id": fake.CLIENT_ID,
        "client_secret": fake.CLIENT_SECRET,
        "code_verifier": verifier,
    }
    tokens = requests.post(fake.token_uri, data=exchange, timeout=5)
    reused = requests.post(fake.token_uri, data=exchange, timeout=5)

    assert answer.status_code == 302
    assert location.netloc == "127.0.0.1:8765"
    assert redirected["state"] == ["xyz-state"]
    assert redirected["scope"] == [fake.SCOPE]
    assert tokens.status_code == 200
    assert set(tokens.json()) >= {"access_token", "refresh_token", "expires_in", "token_type"}
    service = calendar_service(fake, tokens.json()["access_token"], tokens.json()["refresh_token"])
    assert service.calendarList().list().execute()["items"][0]["primary"] is True
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_code_exchange_checks_the_pkce_verifier(fake):
    _, challenge = pkce_pair()
    answer = consent(fake, code_challenge=challenge, code_challenge_method="S256")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers["Location"]).query)["code"]

    exchange = {
        "grant_type": "authorization_code",
        "code": code[0],
        "redirect_uri": "http://127.0.0.1:8765/",
        "code_verifier": "w" * 64,
    }
    auth = (fake.CLIENT_ID, fake.CLIENT_SECRET)  # client credentials by HTTP Basic
    refused = requests.post(fake.token_uri, data=exchange, auth=auth, timeout=5)

    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
    }


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, 400),
        ({"client_id": "someone-else"}, 401),
        ({"scope": "https://www.googleapis.com/auth/drive"}, 400),
    ],
)
def test_consent_refuses_bad_requests_without_redirecting(fake, overrides, status):
    answer = consent(fake, **overrides)

    assert answer.status_code == status
    assert "Location" not in answer.headers


def test_installed_app_flow_against_the_client_secrets_file(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http
    secrets_file = fake.client_secrets_json(tmp_path / "client_secret.json")
    flow = Flow.from_client_secrets_file(
        str(secrets_file), scopes=[fake.SCOPE], redirect_uri="http://localhost:8080/"
    )
    auth_url, state = flow.authorization_url(prompt="consent")

    redirect = requests.get(auth_url, allow_redirects=False, timeout=5).headers["Location"]
    flow.fetch_token(authorization_response=redirect)

    assert urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["state"] == [state]
    assert flow.credentials.refresh_token
    assert fake.service(flow.credentials).calendarList().list().execute()["items"]


def test_client_secrets_file_points_at_the_fake(fake, tmp_path):
    path: Path = fake.client_secrets_json(tmp_path / "client_secret.json")

    installed = json.loads(path.read_text())["installed"]

    assert installed["auth_uri"] == fake.auth_uri
    assert installed["token_uri"] == fake.token_uri
    assert installed["client_id"] == fake.CLIENT_ID


def test_a_fault_after_the_request_keeps_the_write_but_loses_the_answer(fake, service):
    from googleapiclient.errors import HttpError

    fake.inject(503, method="POST", path_contains="/events", after=True)
    with pytest.raises(HttpError) as lost:
        service.events().insert(
            calendarId="primary", body={**interview(), "id": "abcdef0123456789"}
        ).execute()
    assert lost.value.resp.status == 503
    assert fake.event("primary", "abcdef0123456789")["status"] == "confirmed"
    with pytest.raises(HttpError) as again:
        service.events().insert(
            calendarId="primary", body={**interview(), "id": "abcdef0123456789"}
        ).execute()
    assert again.value.resp.status == 409


def test_a_hook_runs_another_clients_change_before_the_request(fake, service):
    from googleapiclient.errors import HttpError

    created = service.events().insert(calendarId="primary", body=interview()).execute()
    fake.before(
        lambda: fake.modify_event("primary", created["id"], {"summary": "The user's own"}),
        method="PATCH",
    )
    request = service.events().patch(
        calendarId="primary", eventId=created["id"], body={"summary": "syncd's"}
    )
    request.headers["If-Match"] = created["etag"]
    with pytest.raises(HttpError) as conflict:
        request.execute()
    assert conflict.value.resp.status == 412
    assert fake.event("primary", created["id"])["summary"] == "The user's own"
