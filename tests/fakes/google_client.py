"""A client of the Google fake for its tests: the real googleapiclient, any scopes."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from .google_calendar import FakeGoogleCalendar

OWNER = "me@example.com"
AUTH = "https://www.googleapis.com/auth/"
HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"
PARTNER = "partner@example.org"


def service_with(fake: FakeGoogleCalendar, *scopes: str) -> Any:
    access, refresh = fake.issue_tokens(" ".join(AUTH + s for s in scopes) or fake.SCOPE)
    credentials = Credentials(
        token=access,
        refresh_token=refresh,
        token_uri=fake.token_uri,
        client_id=fake.CLIENT_ID,
        client_secret=fake.CLIENT_SECRET,
    )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": fake.api_endpoint},
    )


def timed(summary: str, day: int = 4, **fields: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": f"2024-03-{day:02d}T09:00:00Z"},
        "end": {"dateTime": f"2024-03-{day:02d}T10:00:00Z"},
        **fields,
    }


def all_day(
    summary: str, day: str = "2024-03-04", end: str = "2024-03-05", **fields: Any
) -> dict[str, Any]:
    return {"summary": summary, "start": {"date": day}, "end": {"date": end}, **fields}


def error_of(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpError) as caught:
        call.execute()
    return caught.value.status_code, caught.value.error_details[0]["reason"]


def listed(service: Any, calendar: str = "primary", **params: Any) -> dict[str, Any]:
    return service.events().list(calendarId=calendar, **params).execute()
