"""The contract suite's set-up for Google: the provider against the local Calendar v3 fake,
the user's app writing as Google Calendar's web UI does (``add_event``, ``modify_event``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.google_calendar import FakeGoogleCalendar

from contract.setups import CONFIG, HOUR, WEEK, User, source_config
from providers import CalendarInfo, Provider, open_provider
from providers.google.events import markers_body, owned_body
from providers.google.provider import GcalProvider
from syncd.model import CalendarEvent, FollowUp, When


def _when(value: When) -> dict[str, str]:
    if isinstance(value, dt.datetime):
        return {"dateTime": value.isoformat(), "timeZone": "UTC"}
    return {"date": value.isoformat()}


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


class GoogleUser:
    """Google Calendar's web UI on one calendar of the fake."""

    def __init__(self, fake: FakeGoogleCalendar, calendar: str) -> None:
        self.fake, self.calendar = fake, calendar
        self.ids: dict[str, str] = {}  # key -> event id

    def put(self, key: str, title: str, start: When, end: When) -> None:
        body = {"summary": title, "start": _when(start), "end": _when(end)}
        self.ids[key] = self.fake.add_event(self.calendar, body)["id"]

    def put_weekly(
        self,
        key: str,
        title: str,
        first: dt.datetime,
        count: int,
        moved: tuple[int, dt.datetime],
        cancelled: int,
    ) -> None:
        body = {"summary": title, "start": _when(first), "end": _when(first + HOUR),
                "recurrence": [f"RRULE:FREQ=WEEKLY;COUNT={count}"]}  # fmt: skip
        series = self.fake.add_event(self.calendar, body)["id"]
        self.ids[key] = series
        index, new_start = moved
        instance = f"{series}_{_stamp(first + index * WEEK)}"
        change = {"start": _when(new_start), "end": _when(new_start + HOUR)}
        self.fake.modify_event(self.calendar, instance, change)
        self.fake.remove_event(self.calendar, f"{series}_{_stamp(first + cancelled * WEEK)}")

    def retitle(self, key: str, title: str) -> None:
        self.fake.modify_event(self.calendar, self.ids[key], {"summary": title})

    def move(self, key: str, start: When, end: When) -> None:
        change = {"start": _when(start), "end": _when(end)}
        self.fake.modify_event(self.calendar, self.ids[key], change)

    def remove(self, key: str) -> None:
        self.fake.remove_event(self.calendar, self.ids[key])

    def put_marked(self, key: str, followup: FollowUp) -> None:
        body = owned_body(followup, CONFIG.timezone)
        body["extendedProperties"] = {"private": markers_body(followup)}
        self.ids[key] = self.fake.add_event(self.calendar, body)["id"]

    def edit(self, event: CalendarEvent, title: str) -> None:
        self.fake.modify_event(self.calendar, event.resource, {"summary": title})

    def delete(self, event: CalendarEvent) -> None:
        self.fake.remove_event(self.calendar, event.resource)


class GoogleSetUp:
    """A fresh calendar in a fake Google account of this test alone."""

    name = "google"

    def __init__(self, fake: FakeGoogleCalendar, folder: Path) -> None:
        self.fake = fake
        calendar_id = fake.add_calendar("Contract")
        source = source_config(
            "google",
            client_secrets=fake.client_secrets_json(folder / "client_secret.json"),
            token_file=fake.authorized_user_json(folder / "token.json"),
            api_endpoint=fake.api_endpoint,
        )
        self.google: GcalProvider = open_provider(source, CONFIG)  # type: ignore[assignment]
        self.provider: Provider = self.google
        self.calendar = CalendarInfo(calendar_id, "Contract")
        self.user: User = GoogleUser(fake, calendar_id)
        self._made = 0

    def refused_token(self, token: str) -> str:
        self.fake.expire_sync_tokens()
        return token

    def new_calendar(self) -> CalendarInfo:
        self._made += 1
        name = f"Other {self._made}"
        return CalendarInfo(self.fake.add_calendar(name), name)

    def remove_calendar(self, calendar: CalendarInfo) -> None:
        self.fake.delete_calendar(calendar.id)  # as its owner does in the web UI

    def make_read_only(self) -> None:
        self.fake.change_calendar(self.calendar.id, access_role="reader")  # shared read-only

    def after_next_content(self, action: Callable[[], None]) -> None:
        # An events.list answer holds the content and the next token at once.
        retrier = self.google.retrier
        real = retrier.execute

        def execute(request: Any, what: str, **kwargs: Any) -> Any:
            answer = real(request, what, **kwargs)
            if what == "listing events":
                del retrier.execute
                action()
            return answer

        retrier.execute = execute  # type: ignore[method-assign]

    def close(self) -> None:
        self.provider.close()
